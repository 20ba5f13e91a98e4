"""Statuses and categories of 道路交通 (事故多发点段, 一校一方案)."""

from zhiben.core.choices import ColoredChoices


class ListingLevel(ColoredChoices):
    """Who listed the 事故多发点段 (市、区两级挂牌督办)."""

    CITY = "city", "市级"
    DISTRICT = "district", "区级"

    __colors__ = {"city": "danger", "district": "warning"}


class RectificationStatus(ColoredChoices):
    """整治状态 of a listed 事故多发点段."""

    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "整治中"
    COMPLETED = "completed", "已完成"
    ACCEPTED = "accepted", "已验收"

    __colors__ = {"not_started": "secondary", "in_progress": "warning", "completed": "info", "accepted": "success"}


DONE_STATUSES = (RectificationStatus.COMPLETED, RectificationStatus.ACCEPTED)
"""A point counts as treated (治理完成) in these states, from its 完成日期 on."""


class SchoolPlanStatus(ColoredChoices):
    """一校一方案的状态."""

    DRAFTING = "drafting", "编制中"
    IMPLEMENTED = "implemented", "已落实"

    __colors__ = {"drafting": "warning", "implemented": "success"}
