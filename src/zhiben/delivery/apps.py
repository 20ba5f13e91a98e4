from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "zhiben.delivery"
    label = "delivery"
    verbose_name = "消息投递"

    def ready(self) -> None:
        from zhiben.web.navigation import NavItem, register

        from . import signals  # noqa: F401  (the audit-trail listener)
        from .access import can_manage_subscriptions

        register(
            NavItem(
                "事件订阅",
                "delivery:subscriptions",
                "broadcast",
                group="系统管理",
                visible=can_manage_subscriptions,
                match_prefix="/delivery/webhooks",
            )
        )
