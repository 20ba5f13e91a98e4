"""Statuses and categories of the registry."""

from zhiben.core.choices import ColoredChoices


class RiskLevel(ColoredChoices):
    """安全风险等级 (红/橙/黄/蓝)."""

    MAJOR = "major", "重大风险"
    LARGE = "large", "较大风险"
    GENERAL = "general", "一般风险"
    LOW = "low", "低风险"

    __colors__ = {"major": "danger", "large": "warning", "general": "warning", "low": "primary"}


# The hex colour of each level (红/橙/黄/蓝) for badges; Bootstrap has no orange.
RISK_HEX = {"major": "#dc3545", "large": "#fd7e14", "general": "#ffc107", "low": "#0d6efd"}
HIGH_RISK_LEVELS = (RiskLevel.MAJOR, RiskLevel.LARGE)


class RiskMethod(ColoredChoices):
    LEC = "lec", "LEC 作业条件危险性分析法（D = L×E×C）"
    LS = "ls", "LS 风险矩阵法（R = L×S）"

    __colors__ = {"lec": "info", "ls": "info"}


class InsuranceStatus(ColoredChoices):
    """安全生产责任险."""

    INSURED = "insured", "已投保"
    UNINSURED = "uninsured", "未投保"
    NOT_REQUIRED = "not_required", "不适用"
    UNKNOWN = "unknown", "未知"

    __colors__ = {"insured": "success", "uninsured": "danger", "not_required": "secondary", "unknown": "light"}


class StandardizationLevel(ColoredChoices):
    """安全生产标准化等级."""

    LEVEL1 = "level1", "一级"
    LEVEL2 = "level2", "二级"
    LEVEL3 = "level3", "三级"
    SMALL = "small", "小微企业达标"
    NONE = "none", "未定级"

    __colors__ = {"level1": "success", "level2": "success", "level3": "info", "small": "info", "none": "light"}


class LicenseStatus(ColoredChoices):
    """安全生产许可证."""

    VALID = "valid", "有效"
    SUSPENDED = "suspended", "暂扣"
    REVOKED = "revoked", "吊销"
    EXPIRED = "expired", "过期"
    NOT_REQUIRED = "not_required", "不需要"
    UNKNOWN = "unknown", "未知"

    __colors__ = {
        "valid": "success",
        "suspended": "danger",
        "revoked": "danger",
        "expired": "warning",
        "not_required": "secondary",
        "unknown": "light",
    }


class FlagKind(ColoredChoices):
    """Restrictions and marks on a unit, each with a period."""

    NO_AWARD = "no_award", "1年内不得评优表彰"
    NO_BIDDING = "no_bidding", "限制参加招标投标"
    DISHONEST = "dishonest", "不诚信管理对象"
    ABNORMAL = "abnormal", "经营异常名录"
    KEY_SUPERVISION = "key_supervision", "重点监管"

    __colors__ = {
        "no_award": "danger",
        "no_bidding": "danger",
        "dishonest": "danger",
        "abnormal": "warning",
        "key_supervision": "warning",
    }


class DocumentKind(ColoredChoices):
    LICENSE = "license", "证照"
    SAFETY_LICENSE = "safety_license", "安全生产许可证"
    INSURANCE = "insurance", "安责险保单"
    COMMITMENT = "commitment", "承诺书"
    PLAN = "plan", "应急预案"
    OTHER = "other", "其他"

    __colors__ = {"license": "primary", "safety_license": "primary", "insurance": "info", "commitment": "success"}


class AttributeKind(ColoredChoices):
    TEXT = "text", "文本"
    BOOL = "bool", "是/否"
    CHOICE = "choice", "选项"
    NUMBER = "number", "数字"
    DATE = "date", "日期"


# 单位标签: loaded into the Tag table by `zhiben setup` (more can be added there).
DEFAULT_TAGS = [
    ("key_unit", "重点单位", "danger"),
    ("crowded", "人员密集场所", "warning"),
    ("three_in_one", "“三合一”场所", "danger"),
    ("high_risk_industry", "高危行业", "danger"),
    ("key_transport", "重点运输企业", "warning"),
    ("gas_user", "燃气使用单位", "info"),
    ("hazardous_chemicals", "涉危化品", "danger"),
    ("limited_space", "有限空间作业", "info"),
    ("demonstration", "示范单位", "success"),
]
