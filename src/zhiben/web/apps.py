from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhiben.web"
    label = "web"
    verbose_name = "界面"
