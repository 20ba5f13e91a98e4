"""`zhiben setup`: migrate the database, load the reference data, create the
cache table (the embedded shared cache, see settings/base.py) and collect the
static files (hashed names for WhiteNoise; run again after an update).

Each app that ships reference data gives its AppConfig a ``reference_data()``
method returning ``[(label, loader), ...]``; loaders are idempotent and return
a short Chinese description of what changed. Apps are visited in
INSTALLED_APPS order.
"""

from django.apps import apps
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "迁移数据库并加载参考数据（组织机构等），可重复执行"

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已迁移到最新结构。")
        for label, loader in reference_loaders():
            self.stdout.write(f"{label}：{loader()}")
        call_command("createcachetable", verbosity=0)
        if getattr(staticfiles_storage, "manifest_name", None):
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("静态文件已收集。")


def reference_loaders():
    loaders = []
    for config in apps.get_app_configs():
        hook = getattr(config, "reference_data", None)
        if callable(hook):
            loaders.extend(hook())
    return loaders
