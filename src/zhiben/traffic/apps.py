from django.apps import AppConfig


class TrafficConfig(AppConfig):
    name = "zhiben.traffic"
    label = "traffic"
    verbose_name = "道路交通"
