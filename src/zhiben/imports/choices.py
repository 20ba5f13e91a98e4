"""Choices of import jobs."""

from zhiben.core.choices import ColoredChoices


class ImportStatus(ColoredChoices):
    PENDING = "pending", "排队中"
    VALIDATING = "validating", "校验中"
    IMPORTING = "importing", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"

    __colors__ = {
        "pending": "secondary",
        "validating": "info",
        "importing": "primary",
        "done": "success",
        "failed": "danger",
    }


RUNNING_STATUSES = (ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class ExportStatus(ColoredChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "导出中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"

    __colors__ = {
        "pending": "secondary",
        "running": "primary",
        "done": "success",
        "failed": "danger",
    }


EXPORT_RUNNING_STATUSES = (ExportStatus.PENDING, ExportStatus.RUNNING)
