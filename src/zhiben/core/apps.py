from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhiben.core"
    label = "core"
    verbose_name = "基础"
