from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhiben.registry"
    label = "registry"
    verbose_name = "单位与场所"
