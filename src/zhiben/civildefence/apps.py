from django.apps import AppConfig


class CivildefenceConfig(AppConfig):
    name = "zhiben.civildefence"
    label = "civildefence"
    verbose_name = "人防工程"
