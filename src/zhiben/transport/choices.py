"""Statuses and categories of the road-transport register (车辆、驾驶员、违法记录)."""

from __future__ import annotations

from zhiben.core.choices import ColoredChoices


class VehicleType(ColoredChoices):
    """车辆类型. 两客一危 is split into its three kinds (``TWO_PASSENGER_ONE_HAZMAT``)."""

    TOURIST_CHARTER = "tourist_charter", "旅游包车"
    COACH_LINE = "coach_line", "三类以上班线客车"
    HAZMAT = "hazmat", "危险货物运输车"
    HEAVY_TRUCK = "heavy_truck", "重型货车"
    MUCK_TRUCK = "muck_truck", "渣土车"
    RIDE_HAILING = "ride_hailing", "网约车"
    TAXI = "taxi", "出租车"
    BUS = "bus", "公交车"
    SCHOOL_BUS = "school_bus", "校车"
    OTHER = "other", "其他"

    __colors__ = {
        "tourist_charter": "danger",
        "coach_line": "danger",
        "hazmat": "danger",
        "heavy_truck": "warning",
        "muck_truck": "warning",
        "school_bus": "primary",
    }


TWO_PASSENGER_ONE_HAZMAT = (VehicleType.TOURIST_CHARTER, VehicleType.COACH_LINE, VehicleType.HAZMAT)
"""两客一危: 旅游包车, 三类以上班线客车, 危险货物运输车."""


class VehicleStatus(ColoredChoices):
    IN_USE = "in_use", "在用"
    SUSPENDED = "suspended", "停运"
    CANCELLED = "cancelled", "注销"

    __colors__ = {"in_use": "success", "suspended": "warning", "cancelled": "secondary"}


class LicenceClass(ColoredChoices):
    """准驾车型 (GB/公安部令第162号 机动车驾驶证申领和使用规定)."""

    A1 = "A1", "A1 大型客车"
    A2 = "A2", "A2 重型牵引挂车"
    A3 = "A3", "A3 城市公交车"
    B1 = "B1", "B1 中型客车"
    B2 = "B2", "B2 大型货车"
    C1 = "C1", "C1 小型汽车"
    C2 = "C2", "C2 小型自动挡汽车"
    C3 = "C3", "C3 低速载货汽车"
    C4 = "C4", "C4 三轮汽车"
    C5 = "C5", "C5 残疾人专用小型自动挡载客汽车"
    C6 = "C6", "C6 轻型牵引挂车"
    D = "D", "D 普通三轮摩托车"
    E = "E", "E 普通二轮摩托车"
    F = "F", "F 轻便摩托车"
    M = "M", "M 轮式专用机械车"
    N = "N", "N 无轨电车"
    P = "P", "P 有轨电车"


class DriverStatus(ColoredChoices):
    ACTIVE = "active", "在岗"
    SUSPENDED = "suspended", "停驾"
    LEFT = "left", "离职"

    __colors__ = {"active": "success", "suspended": "warning", "left": "secondary"}


class ViolationKind(ColoredChoices):
    SPEEDING = "speeding", "超速"
    SPEEDING_50 = "speeding_50", "超速50%以上"
    FATIGUE = "fatigue", "疲劳驾驶"
    OVERLOAD = "overload", "超载"
    RED_LIGHT = "red_light", "闯红灯"
    WRONG_LANE = "wrong_lane", "不按规定车道行驶"
    DRUNK = "drunk", "酒驾"
    OTHER = "other", "其他"

    __colors__ = {"speeding_50": "danger", "drunk": "danger", "fatigue": "warning", "overload": "warning"}


SERIOUS_KINDS = (ViolationKind.DRUNK, ViolationKind.SPEEDING_50)
"""One of these in a month makes the vehicle and the driver high-risk (selectors.high_risk)."""


class ViolationSource(ColoredChoices):
    POLICE = "police", "公安交警"
    PLATFORM = "platform", "平台"
    SELF_CHECK = "self_check", "企业自查"

    __colors__ = {"police": "primary", "platform": "info", "self_check": "secondary"}
