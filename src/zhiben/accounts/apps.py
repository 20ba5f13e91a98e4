from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhiben.accounts"
    label = "accounts"
    verbose_name = "账号安全"

    def ready(self) -> None:
        from . import signals  # noqa: F401
