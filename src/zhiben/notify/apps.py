from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "zhiben.notify"
    label = "notify"
    verbose_name = "消息"

    def ready(self) -> None:
        from zhiben.web.navigation import NavItem, register

        register(NavItem("我的消息", "notify:inbox", "bell", match_prefix="/inbox/"), before="隐患治理")
