from django.apps import AppConfig


class CivildefenceConfig(AppConfig):
    name = "zhiben.civildefence"
    label = "civildefence"
    verbose_name = "人防工程"

    def demo_data(self) -> str:
        from .demo import create_demo_filings

        return create_demo_filings()

    def ready(self) -> None:
        from zhiben.audit.labels import register_labels
        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        register_labels(
            {
                "civildefence.create": "登记人防工程使用备案",
                "civildefence.update": "修改人防工程使用备案",
                "civildefence.transition": "变更人防工程使用状态",
                "civildefence.import": "批量导入人防工程使用备案",
                "civildefence.export": "导出人防工程使用备案",
            }
        )
        register_importer("civildefence_filings", "zhiben.civildefence.tabular.FilingImporter")
        register_exporter("civildefence_filings", "zhiben.civildefence.tabular.FilingExporter")
        group = "行业台账"
        register(
            NavItem(
                "人防使用备案",
                "civildefence:list",
                "shield-check",
                group=group,
                visible=is_government,
                match_prefix="/civildefence/filings/",
            )
        )
        register(
            NavItem(
                "人防月度检查",
                "civildefence:monthly",
                "calendar-check",
                group=group,
                visible=is_government,
                match_prefix="/civildefence/monthly/",
            )
        )
