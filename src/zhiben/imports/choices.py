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
