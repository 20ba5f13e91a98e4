from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhiben.registry"
    label = "registry"
    verbose_name = "单位与场所"

    def reference_data(self):
        from .reference import load_files

        def load() -> str:
            result = load_files()
            return (
                f"行业领域变更 {result['sectors']}，单位标签新增 {result['tags']}，"
                f"场所类型（含分工）变更 {result['site_types']}"
            )

        return [("单位标签、场所类型与分工", load)]

    def demo_units(self):
        """For org's `zhiben demo`: the organization codes the demo units need, and the
        function creating them (org sits below registry and does not import it)."""
        from .demo import create_demo_units, demo_unit_organizations

        return demo_unit_organizations(), create_demo_units

    def demo_data(self) -> str:
        from .demo import create_demo_confined, create_demo_registry

        return f"{create_demo_registry()}；{create_demo_confined()}"

    def ready(self) -> None:
        from zhiben.audit.labels import register_labels
        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        register_labels(
            {
                "confined.permit_update": "更正有限空间作业审批",
                "confined.permit_withdraw": "撤回有限空间作业审批",
            }
        )
        # Excel import (zhiben.imports): dotted paths, imported on first use.
        register_importer("units", "zhiben.registry.tabular.UnitImporter")
        register_importer("sites", "zhiben.registry.tabular.SiteImporter")
        register_importer("confined_spaces", "zhiben.registry.tabular.confined.ConfinedSpaceImporter")
        register_exporter("units", "zhiben.registry.tabular.export.UnitExporter")
        register_exporter("sites", "zhiben.registry.tabular.export.SiteExporter")
        register_exporter("confined_spaces", "zhiben.registry.tabular.confined.ConfinedSpaceExporter")

        group = "单位与场所"
        for item in (
            NavItem("生产经营单位", "registry:unit_list", "building", group=group, match_prefix="/units/"),
            NavItem("场所与点位", "registry:site_list", "geo-alt", group=group, match_prefix="/sites/"),
            # Everyone, 企业用户 included: an enterprise registers its own confined spaces and 作业审批
            # (the list is scoped like the units).
            NavItem("有限空间", "registry:confined_list", "door-closed", group=group, match_prefix="/confined-spaces/"),
            NavItem(
                "网格", "registry:grid_list", "grid-3x3", group=group, visible=is_government, match_prefix="/grids/"
            ),
            NavItem(
                "高风险清单",
                "registry:high_risk",
                "fire",
                group=group,
                visible=is_government,
                match_prefix="/registry/high-risk/",
            ),
            NavItem(
                "监管盲区",
                "registry:blind_spots",
                "eye-slash",
                group=group,
                visible=is_government,
                match_prefix="/registry/blind-spots/",
            ),
        ):
            register(item, before="基础")
