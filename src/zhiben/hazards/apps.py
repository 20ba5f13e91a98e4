from django.apps import AppConfig


class HazardsConfig(AppConfig):
    name = "zhiben.hazards"
    label = "hazards"
    verbose_name = "隐患台账"

    def ready(self) -> None:
        from zhiben.web.navigation import NavItem, register

        register(
            NavItem("隐患台账", "hazards:list", "exclamation-triangle", group="隐患治理", match_prefix="/hazards/"),
            before="基础",
        )
        register(
            NavItem("挂牌督办", "hazards:listed", "megaphone", group="隐患治理", match_prefix="/hazards-listed/"),
            before="基础",
        )
        register(
            NavItem(
                "回头看", "hazards:recheck_list", "arrow-repeat", group="隐患治理", match_prefix="/hazards-recheck/"
            ),
            before="基础",
        )
