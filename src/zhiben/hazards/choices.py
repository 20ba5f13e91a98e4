"""Choices of the hazard ledger."""

import datetime as dt

from zhiben.core.choices import ColoredChoices

# Found on or before this day = 存量 (the plans' "2023年及以前排查发现的").
STOCK_CUTOFF = dt.date(2023, 12, 31)


class HazardStatus(ColoredChoices):
    PENDING = "pending", "待确认"
    RECTIFYING = "rectifying", "整改中"
    AWAITING_VERIFICATION = "awaiting", "待验收"
    TRANSFERRING = "transferring", "移交中"
    CLOSED = "closed", "已销号"
    VOID = "void", "已作废"

    __colors__ = {
        "pending": "secondary",
        "rectifying": "warning",
        "awaiting": "info",
        "transferring": "primary",
        "closed": "success",
        "void": "dark",
    }


OPEN_STATUSES = (
    HazardStatus.PENDING,
    HazardStatus.RECTIFYING,
    HazardStatus.AWAITING_VERIFICATION,
    HazardStatus.TRANSFERRING,
)


class HazardLevel(ColoredChoices):
    GENERAL = "general", "一般隐患"
    MAJOR = "major", "重大隐患"

    __colors__ = {"general": "warning", "major": "danger"}


class HazardSource(ColoredChoices):
    SELF_CHECK = "self_check", "自查"
    SUPERVISION = "supervision", "监督检查"
    THIRD_PARTY = "third_party", "第三方排查"
    REPORT = "report", "举报"
    ENFORCEMENT = "enforcement", "执法"
    RECHECK = "recheck", "回头看"
    OTHER = "other", "其他"


class Difficulty(ColoredChoices):
    """Who handles it (国动方案 五(三)): 易 — the unit rectifies at once and the
    department verifies; 较难 — the department supervises the rectification;
    难 — the district office coordinates and takes part in verification."""

    EASY = "easy", "易整改"
    HARD = "hard", "较难整改"
    VERY_HARD = "very_hard", "难整改"

    __colors__ = {"easy": "success", "hard": "warning", "very_hard": "danger"}


class DeadlineKind(ColoredChoices):
    IMMEDIATE = "immediate", "立即整改"
    DATE = "date", "限期整改"


class EvidencePhase(ColoredChoices):
    BEFORE = "before", "整改前"
    AFTER = "after", "整改后"


class SupervisionKind(ColoredChoices):
    SUPERVISED = "supervised", "督办"
    LISTED = "listed", "挂牌督办"

    __colors__ = {"supervised": "warning", "listed": "danger"}


class SupervisionLevel(ColoredChoices):
    DISTRICT = "district", "区级"
    CITY = "city", "市级"


class TransferStatus(ColoredChoices):
    PENDING = "pending", "待接收"
    ACCEPTED = "accepted", "已接收"
    RETURNED = "returned", "已退回"


class RecheckResult(ColoredChoices):
    PENDING = "pending", "待复查"
    PASSED = "passed", "复查合格"
    FAILED = "failed", "返潮"

    __colors__ = {"pending": "secondary", "passed": "success", "failed": "danger"}


class NoteKind(ColoredChoices):
    NOTE = "note", "备注"
    DUPLICATE = "duplicate", "重复发现"
