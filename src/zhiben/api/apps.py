from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhiben.api"
    label = "api"
    verbose_name = "接口"
