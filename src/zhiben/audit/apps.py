from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhiben.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from zhiben.core.recorder import register_recorder

        from . import signals  # noqa: F401
        from .services import audit_record

        register_recorder(audit_record)  # core writes its refusals through this hook
