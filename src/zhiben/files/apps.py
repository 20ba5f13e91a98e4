from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "zhiben.files"
    label = "files"
    verbose_name = "附件"
