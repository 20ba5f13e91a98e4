"""Choices of the tips (举报) app."""

from zhiben.core.choices import ColoredChoices


class TipChannel(ColoredChoices):
    """Where a tip came in. 网页 is the public form (/report/); the others are
    entered by staff on /tips/new/ (内部报告 can also come through the public
    form when the reporter says they work at the place)."""

    WEB = "web", "网页"
    HOTLINE = "12345", "12345热线"
    SUISHENPAI = "suishenpai", "随申拍"
    LETTER = "letter", "来信来访"
    INTERNAL = "internal", "内部报告"

    __colors__ = {
        "web": "primary",
        "12345": "danger",
        "suishenpai": "info",
        "letter": "secondary",
        "internal": "warning",
    }


STAFF_CHANNELS = (TipChannel.HOTLINE, TipChannel.SUISHENPAI, TipChannel.LETTER, TipChannel.INTERNAL)


class TipStatus(ColoredChoices):
    PENDING = "pending", "待处理"
    ACCEPTED = "accepted", "已受理"
    TRANSFERRED = "transferred", "已移交"
    REJECTED = "rejected", "不予受理"
    REPLIED = "replied", "已答复"

    __colors__ = {
        "pending": "secondary",
        "accepted": "primary",
        "transferred": "info",
        "rejected": "dark",
        "replied": "success",
    }


# Not yet decided (the routed department has to accept, transfer or reject).
UNDECIDED_STATUSES = (TipStatus.PENDING, TipStatus.TRANSFERRED)
# Not yet answered: the reply deadline runs for these.
UNANSWERED_STATUSES = (TipStatus.PENDING, TipStatus.TRANSFERRED, TipStatus.ACCEPTED, TipStatus.REJECTED)
