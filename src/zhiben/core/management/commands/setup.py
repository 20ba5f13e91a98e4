"""`zhiben setup`: migrate the database and load the reference data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from zhiben.org.services import organizations_load_file


class Command(BaseCommand):
    help = "迁移数据库并加载参考数据（组织机构等），可重复执行"

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已迁移到最新结构。")
        for label, loader in reference_loaders():
            result = loader()
            self.stdout.write(f"{label}：{result}")


def reference_loaders():
    """(label, callable) for each kind of reference data, in load order.
    Apps with reference data add theirs here."""
    from zhiben.hazards.reference import load_files as hazard_reference

    def sectors_and_categories() -> str:
        sectors, categories = hazard_reference()
        return f"行业领域变更 {sectors}，隐患类别变更 {categories}"

    return [
        ("组织机构", lambda: _describe(organizations_load_file())),
        ("行业领域与隐患类别", sectors_and_categories),
    ]


def _describe(result) -> str:
    return f"新增 {result.created}，更新 {result.updated}，新增别名 {result.aliases}"
