from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "zhiben.tips"
    label = "tips"
    verbose_name = "举报"

    def demo_data(self) -> str:
        from .demo import create_demo_tips

        return create_demo_tips()

    def unit_dossier(self, request, unit):
        from .models import Tip

        # Number, channel, status and date only: reporter data stays on the tip page.
        rows = Tip.objects.restrict(request.user, "view").filter(unit=unit).order_by("-created_at")[:50]
        return "tips/_unit_dossier.html", {"tips": rows}

    def ready(self) -> None:
        from zhiben.web.navigation import NavItem, register

        register(
            NavItem("举报处理", "tips:list", "megaphone-fill", group="举报", visible=_sees_tips, match_prefix="/tips/"),
            before="基础",
        )


def _sees_tips(user) -> bool:
    """Everyone whose role can see some tips (not 企业用户: tips about their
    own unit must never reach them)."""
    from zhiben.org.choices import Role

    return user.is_district_admin or user.has_role(
        Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER, Role.EXPERT, Role.READONLY
    )
