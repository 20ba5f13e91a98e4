"""Choices of inspections: methods, answer results, statuses, frequency periods."""

from zhiben.core.choices import ColoredChoices


class InspectionMethod(ColoredChoices):
    FOUR_NO_TWO_DIRECT = "four_no_two", "四不两直"
    OPEN_SECRET = "open_secret", "明查暗访"
    RANDOM = "random", "随机抽查/双随机"
    JOINT = "joint", "联合检查"
    BIWEEKLY = "biweekly", "双周查"
    THIRD_PARTY = "third_party", "第三方专家"
    REMOTE = "remote", "非现场检查"
    SELF_CHECK = "self_check", "企业自查"

    __colors__ = {
        "four_no_two": "danger",
        "open_secret": "dark",
        "random": "primary",
        "joint": "info",
        "biweekly": "success",
        "third_party": "warning",
        "remote": "secondary",
        "self_check": "light",
    }


# Methods a campaign (排查轮次) may use; 企业自查 is not a campaign method.
CAMPAIGN_METHODS = [(m.value, m.label) for m in InspectionMethod if m != InspectionMethod.SELF_CHECK]


class InspectionKind(ColoredChoices):
    SUPERVISION = "supervision", "监督检查"
    SELF_CHECK = "self_check", "企业自查"

    __colors__ = {"supervision": "primary", "self_check": "warning"}


class InspectionStatus(ColoredChoices):
    DRAFT = "draft", "检查中"
    FINISHED = "finished", "已完成"

    __colors__ = {"draft": "secondary", "finished": "success"}


class AnswerResult(ColoredChoices):
    PENDING = "pending", "未填"
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    NOT_APPLICABLE = "na", "不适用"

    __colors__ = {"pending": "light", "pass": "success", "fail": "danger", "na": "secondary"}


class FrequencyPeriod(ColoredChoices):
    YEAR = "year", "每年"
    HALF_YEAR = "half_year", "每半年"
    QUARTER = "quarter", "每季度"
    MONTH = "month", "每月"
    BIWEEKLY = "biweekly", "每两周"


class VersionOrigin(ColoredChoices):
    FILE = "file", "数据文件"
    WEB = "web", "页面发布"


class PhotoPhase(ColoredChoices):
    BEFORE = "before", "检查发现"
    AFTER = "after", "整改后"
