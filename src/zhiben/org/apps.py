from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhiben.org"
    label = "org"
    verbose_name = "组织与用户"

    def reference_data(self):
        from .services import organizations_load_file

        def load() -> str:
            result = organizations_load_file()
            return f"新增 {result.created}，更新 {result.updated}，新增别名 {result.aliases}"

        return [("组织机构", load)]
