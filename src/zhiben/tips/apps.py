from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "zhiben.tips"
    label = "tips"
    verbose_name = "举报"
