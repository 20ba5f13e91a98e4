from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "zhiben.delivery"
    label = "delivery"
    verbose_name = "消息投递"
