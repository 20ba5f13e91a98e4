from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "zhiben.imports"
    label = "imports"
    verbose_name = "导入"
