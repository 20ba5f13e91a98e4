"""Choices of civildefence: the use state of a filed work and its 用途."""

from zhiben.core.choices import ColoredChoices


class FilingState(ColoredChoices):
    """使用状态 of a filed 公用人防工程. 报废 is final."""

    IN_USE = "in_use", "在用"
    IDLE = "idle", "闲置"
    RETIRED = "retired", "报废"

    __colors__ = {"in_use": "success", "idle": "warning", "retired": "secondary"}


class Purpose(ColoredChoices):
    """用途 recorded in the 使用备案."""

    PARKING = "parking", "停车"
    STORAGE = "storage", "仓储"
    COMMERCIAL = "commercial", "商业"
    OTHER = "other", "其他"

    __colors__ = {"parking": "info", "storage": "info", "commercial": "primary", "other": "secondary"}


class DueFilter(ColoredChoices):
    """The list's 有效期 filter."""

    EXPIRED = "expired", "已过期"
    EXPIRING = "expiring", "30天内到期"
    VALID = "valid", "有效"

    __colors__ = {"expired": "danger", "expiring": "warning", "valid": "success"}


# States whose works must be checked every month (在用 and 闲置: plan 主要任务5(1)).
CHECKED_STATES = (FilingState.IN_USE, FilingState.IDLE)
