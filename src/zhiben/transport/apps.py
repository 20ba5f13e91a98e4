from django.apps import AppConfig


class TransportConfig(AppConfig):
    name = "zhiben.transport"
    label = "transport"
    verbose_name = "道路运输"
