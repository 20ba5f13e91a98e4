from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "zhiben.plans"
    label = "plans"
    verbose_name = "行动方案与任务"

    def demo_data(self) -> str:
        from .demo import create_demo_plans

        return create_demo_plans()

    def ready(self) -> None:
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        from .access import can_map_names

        for item in (
            NavItem(
                "行动方案",
                "plans:list",
                "journal-text",
                group="任务清单",
                visible=is_government,
                match_prefix="/plans/",
            ),
            NavItem(
                "我的任务",
                "plans:my_tasks",
                "list-check",
                group="任务清单",
                visible=is_government,
                match_prefix="/plan-tasks/",
            ),
            NavItem(
                "月度报送",
                "plans:reports",
                "send-check",
                group="任务清单",
                visible=is_government,
                match_prefix="/plan-reports/",
            ),
            NavItem(
                "合规日历",
                "plans:calendar",
                "calendar-check",
                group="任务清单",
                visible=is_government,
                match_prefix="/plan-calendar/",
            ),
            NavItem(
                "名称对照",
                "plans:names",
                "link-45deg",
                group="任务清单",
                visible=can_map_names,
                match_prefix="/plans/names/",
            ),
        ):
            register(item, before="基础")
