from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "zhiben.inspections"
    label = "inspections"
    verbose_name = "检查"
