"""Choices of the plan/task ledger."""

from zhiben.core.choices import ColoredChoices


class UnitRole(ColoredChoices):
    LEAD = "lead", "牵头单位"
    PARTICIPATING = "participating", "参与单位"

    __colors__ = {"lead": "primary", "participating": "secondary"}


class TaskStatus(ColoredChoices):
    """Derived, never stored (see ``Task.status``)."""

    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "推进中"
    DONE = "done", "已完成"
    OVERDUE = "overdue", "逾期"

    __colors__ = {"not_started": "secondary", "in_progress": "primary", "done": "success", "overdue": "danger"}


class ReportStatus(ColoredChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "退回补充"
    ACCEPTED = "accepted", "已确认"

    __colors__ = {"draft": "secondary", "submitted": "info", "returned": "warning", "accepted": "success"}


class Period(ColoredChoices):
    WEEK = "week", "每周"
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    HALF_YEAR = "half_year", "每半年"
    YEAR = "year", "每年"
    HOLIDAY = "holiday", "逢节假日"


class InstanceState(ColoredChoices):
    """Derived state of one dated obligation instance."""

    ON_TIME = "on_time", "按期"
    LATE = "late", "逾期完成"
    MISSED = "missed", "未完成（逾期）"
    PENDING = "pending", "待完成"

    __colors__ = {"on_time": "success", "late": "warning", "missed": "danger", "pending": "secondary"}


class IndicatorState(ColoredChoices):
    MET = "met", "已达标"
    NOT_MET = "not_met", "未达标"
    PENDING = "pending", "待评估"

    __colors__ = {"met": "success", "not_met": "danger", "pending": "secondary"}


class ImportStatus(ColoredChoices):
    PENDING = "pending", "待确认"
    APPLIED = "applied", "已更新"
    DISCARDED = "discarded", "已放弃"

    __colors__ = {"pending": "warning", "applied": "success", "discarded": "secondary"}
