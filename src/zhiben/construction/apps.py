from django.apps import AppConfig


class ConstructionConfig(AppConfig):
    name = "zhiben.construction"
    label = "construction"
    verbose_name = "建设工程"
