from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "zhiben.inspections"
    label = "inspections"
    verbose_name = "检查"

    def reference_data(self):
        from .services import load_files

        def load() -> str:
            return f"检查表变更 {load_files()} 张"

        return [("检查表", load)]

    def demo_data(self) -> str:
        from .demo import create_demo_inspections

        return create_demo_inspections()

    def unit_dossier(self, request, unit):
        from .access import visible_inspections

        rows = visible_inspections(request.user).filter(unit=unit).select_related("site", "organization")
        return "inspections/_unit_dossier.html", {"inspections": rows.order_by("-inspected_on", "-id")[:50]}

    def ready(self) -> None:
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        from .access import is_enterprise

        group = "检查"
        for item in (
            NavItem("检查记录", "inspections:list", "clipboard-check", group=group, match_prefix="/inspections/"),
            NavItem(
                "排查轮次",
                "inspections:campaign_list",
                "calendar-range",
                group=group,
                visible=is_government,
                match_prefix="/campaigns/",
            ),
            NavItem(
                "检查表",
                "inspections:checklist_list",
                "list-check",
                group=group,
                visible=is_government,
                match_prefix="/checklists/",
            ),
            NavItem(
                "企业自查",
                "inspections:self_check",
                "person-check",
                group=group,
                visible=is_enterprise,
                match_prefix="/self-check/",
            ),
        ):
            register(item, before="基础")
