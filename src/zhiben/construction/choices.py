"""Categories and statuses of the construction registers (建设工程)."""

from __future__ import annotations

from zhiben.core.choices import ColoredChoices


class WorkType(ColoredChoices):
    """危大工程 categories of 住建部令第37号《危险性较大的分部分项工程安全管理规定》
    (附件: 危大工程范围 / 超过一定规模的危大工程范围)."""

    PIT = "pit", "基坑工程"
    FORMWORK = "formwork", "模板工程及支撑体系"
    LIFTING = "lifting", "起重吊装及起重机械安装拆卸工程"
    SCAFFOLD = "scaffold", "脚手架工程"
    DEMOLITION = "demolition", "拆除工程"
    TUNNELLING = "tunnelling", "暗挖工程"
    OTHER = "other", "其他"

    __colors__ = {"pit": "danger", "formwork": "warning", "lifting": "warning", "scaffold": "info"}


class WorkStatus(ColoredChoices):
    NOT_STARTED = "not_started", "未施工"
    IN_PROGRESS = "in_progress", "施工中"
    DONE = "done", "已完成"

    __colors__ = {"not_started": "secondary", "in_progress": "warning", "done": "success"}


class ExpertConclusion(ColoredChoices):
    """专家论证结论 (37号令 第十二条: 通过、修改后通过、不通过)."""

    PASS = "pass", "通过"
    PASS_REVISED = "pass_revised", "修改后通过"
    FAIL = "fail", "不通过"

    __colors__ = {"pass": "success", "pass_revised": "info", "fail": "danger"}


PASSED_CONCLUSIONS = (ExpertConclusion.PASS, ExpertConclusion.PASS_REVISED)


class CraneType(ColoredChoices):
    TOWER = "tower", "塔式起重机"
    HOIST = "hoist", "施工升降机"
    MATERIAL_HOIST = "material_hoist", "物料提升机"
    GANTRY = "gantry", "门式起重机"
    BRIDGE_ERECTING = "bridge_erecting", "架桥机"
    OTHER = "other", "其他"


class InspectionResult(ColoredChoices):
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"

    __colors__ = {"pass": "success", "fail": "danger"}


class CraneStatus(ColoredChoices):
    INSTALLING = "installing", "安装中"
    IN_USE = "in_use", "检验合格在用"
    STOPPED = "stopped", "停用"
    DISMANTLED = "dismantled", "已拆除"

    __colors__ = {"installing": "info", "in_use": "success", "stopped": "secondary", "dismantled": "dark"}


class MonitoringItem(ColoredChoices):
    """深基坑监测项目 (GB 50497《建筑基坑工程监测技术标准》)."""

    WALL_TOP_HORIZONTAL = "wall_top_h", "围护墙（边坡）顶部水平位移"
    WALL_TOP_VERTICAL = "wall_top_v", "围护墙（边坡）顶部竖向位移"
    DEEP_HORIZONTAL = "deep_h", "深层水平位移"
    STRUT_FORCE = "strut_force", "支撑轴力"
    COLUMN_VERTICAL = "column_v", "立柱竖向位移"
    GROUND_SETTLEMENT = "ground_v", "周边地表竖向位移"
    BUILDING_SETTLEMENT = "building_v", "周边建筑竖向位移"
    WATER_LEVEL = "water_level", "地下水位"
    OTHER = "other", "其他"


# The unit an item is usually read in (the form's default; the point may say otherwise).
ITEM_UNITS = {
    MonitoringItem.STRUT_FORCE: "kN",
    MonitoringItem.WATER_LEVEL: "mm",
}
DEFAULT_UNIT = "mm"


# 《房屋市政工程生产安全重大事故隐患判定标准（2022版）》(建质规〔2022〕2号): the articles
# that list 重大事故隐患 (第四条 to 第十五条), by what each article covers.
MAJOR_HAZARD_CLAUSES: dict[str, str] = {
    "4": "第四条 施工安全管理",
    "5": "第五条 基坑工程",
    "6": "第六条 模板工程",
    "7": "第七条 脚手架工程",
    "8": "第八条 起重机械及吊装工程",
    "9": "第九条 高处作业",
    "10": "第十条 施工临时用电",
    "11": "第十一条 有限空间作业",
    "12": "第十二条 拆除工程",
    "13": "第十三条 暗挖工程",
    "14": "第十四条 使用危害程度较大的施工工艺、设备和材料",
    "15": "第十五条 其他严重违反法律法规和强制性标准的情形",
}
