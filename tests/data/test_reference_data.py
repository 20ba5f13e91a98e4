"""Consistency checks for the reference data in data/*.yaml.

Plain pytest, no database:  .venv/bin/python -m pytest tests/data -p no:django -q
"""

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "data"

KINDS = {"district", "department", "section", "street", "external", "office"}
SECTOR_CODES = {
    "economy",
    "commerce",
    "road_traffic",
    "construction",
    "ecology",
    "civil_defense",
    "fire",
    "gas",
    "health",
    "greening",
    "general",
}
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

STREETS = [
    "四川北路街道",
    "北外滩街道",
    "嘉兴路街道",
    "欧阳路街道",
    "广中路街道",
    "曲阳路街道",
    "凉城新村街道",
    "江湾镇街道",
]

# ecology.txt 附件2, rows 1-11, verbatim.
ECOLOGY_FORM = [
    "危险废物、废弃危险化学品",
    "涉危险化学品",
    "尾矿库",
    "重金属",
    "核与辐射",
    "饮用水水源地",
    "环境应急日常管理",
    "安全生产（环保设施）",
    "安全生产（有限空间）",
    "安全生产（其他问题）",
    "其他",
]

# Unit names exactly as written in data/plans/*.txt -> expected node code.
PLAN_NAMES = {
    # district bodies
    "区安委会": "hk-awh",
    "虹口区安委会": "hk-awh",
    "区安委办": "hk-awb",
    "虹口区安全生产治本攻坚三年行动领导小组办公室": "hk-zbgjb",
    "区交安委": "hk-jaw",
    "区交安委办公室": "hk-jawb",
    "区地空联办": "hk-dklb",
    "区文明办": "hk-wmb",
    "区政府": "hk",
    # departments
    "区商务委": "hk-swj",
    "商务委": "hk-swj",
    "区建管委": "hk-jgw",
    "区建设管理部门": "hk-jgw",
    "区生态环境局": "hk-sthjj",
    "区国动办": "hk-gdb",
    "区公安分局": "hk-gafj",
    "区应急局": "hk-yjj",
    "区应急管理局": "hk-yjj",
    "区卫健委": "hk-wjw",
    "区绿化市容局": "hk-lhsrj",
    "区市场监管局": "hk-scjgj",
    "区城管执法局": "hk-cgzfj",
    "区教育局": "hk-jyj",
    "区文旅局": "hk-wlj",
    "区房管局": "hk-fgj",
    "区财政局": "hk-czj",
    # sections
    "商业发展科": "hk-swj-syfzk",
    "贸易促进科": "hk-swj-mycjk",
    "企业协调服务科": "hk-swj-qyxtfwk",
    "市场管理科": "hk-swj-scglk",
    "粮油食品科": "hk-swj-lyspk",
    "物资储备科": "hk-swj-wzcbk",
    "辐射与应急管理科": "hk-sthjj-fsyjk",
    "局法制与宣传教育科": "hk-sthjj-fzxjk",
    "法制与宣传教育科": "hk-sthjj-fzxjk",
    "执法大队": "hk-sthjj-zfdd",
    "环境监测站": "hk-sthjj-jcz",
    "监测站": "hk-sthjj-jcz",
    "防护工程科": "hk-gdb-fhgck",
    "指挥行动科": "hk-gdb-zhxdk",
    "区民防管理中心": "hk-gdb-mfglzx",
    "区民防保障中心": "hk-gdb-mfbzzx",
    "国动讲师团": "hk-gdb-jst",
    # external
    "国务院安委会": "ext-gwyawh",
    "住房城乡建设部": "ext-zfcxjsb",
    "市安委会": "ext-sawh",
    "上海市安委会办公室": "ext-sawb",
    "市交安委": "ext-sjaw",
    "市生态环境局": "ext-ssthjj",
    "市国动办": "ext-sgdb",
    "市住建委": "ext-szjw",
    "上海市住房城乡建设管理委": "ext-szjw",
    "交通执法总队七支队": "ext-sjtzfzd-7zd",
    "市交通执法总队七支队": "ext-sjtzfzd-7zd",
    "黄浦邮政管理局": "ext-hpyzglj",
    "黄浦政管理局": "ext-hpyzglj",
}

# Other spellings the brief requires to resolve.
EXTRA_NAMES = {
    "区建设管理委员会": "hk-jgw",
    "区建设和管理委员会": "hk-jgw",
    "区国防动员办公室": "hk-gdb",
    "区民防办": "hk-gdb",
    "虹口区生态环境局": "hk-sthjj",
    "虹口公安分局": "hk-gafj",
    "区安委会办公室": "hk-awb",
    "市安委办": "ext-sawb",
    "市民防办": "ext-sgdb",
    "江湾镇": "hk-jwz",
    "四川北路": "hk-scbl",
}


def _load(name):
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _walk(nodes, parent=None):
    for node in nodes or []:
        yield node, parent
        yield from _walk(node.get("children"), node)


@pytest.fixture(scope="module")
def orgs():
    return _load("organizations.yaml")


@pytest.fixture(scope="module")
def org_nodes(orgs):
    return list(_walk(orgs))


@pytest.fixture(scope="module")
def categories():
    return _load("hazard_categories.yaml")


@pytest.fixture(scope="module")
def sectors():
    return _load("sectors.yaml")


@pytest.fixture(scope="module")
def name_index(org_nodes):
    index = defaultdict(set)
    for node, _ in org_nodes:
        for label in [node["name"], node["short_name"], *node["aliases"]]:
            index[label].add(node["code"])
    return index


# --- organizations -----------------------------------------------------------


def test_org_nodes_well_formed(org_nodes):
    for node, _ in org_nodes:
        assert set(node) == {"code", "name", "short_name", "kind", "aliases", "children"}, node.get("code")
        assert SLUG.match(node["code"]), node["code"]
        assert node["name"] and node["short_name"], node["code"]
        assert node["kind"] in KINDS, node["code"]
        assert isinstance(node["aliases"], list), node["code"]
        assert isinstance(node["children"], list), node["code"]


def test_org_roots(orgs):
    assert [(r["code"], r["kind"]) for r in orgs] == [("hk", "district"), ("ext", "external")]
    assert orgs[0]["name"] == "虹口区"
    assert orgs[1]["name"] == "外部单位"
    assert all(n["kind"] == "external" for n, _ in _walk(orgs[1]["children"]))
    assert all(n["kind"] != "external" for n, _ in _walk(orgs[0]["children"]))


def test_org_codes_unique(org_nodes):
    dupes = [c for c, n in Counter(n["code"] for n, _ in org_nodes).items() if n > 1]
    assert not dupes


def test_section_codes_and_names(org_nodes):
    for node, parent in org_nodes:
        if node["kind"] == "section":
            assert parent is not None and parent["kind"] == "department", node["code"]
            assert node["code"].startswith(parent["code"] + "-"), node["code"]
        if node["children"]:
            names = Counter(c["name"] for c in node["children"])
            assert all(n == 1 for n in names.values()), (node["code"], names)


def test_aliases_unique_and_not_other_names(org_nodes):
    owner = {}
    for node, _ in org_nodes:
        assert len(set(node["aliases"])) == len(node["aliases"]), node["code"]
        for alias in node["aliases"]:
            assert alias not in owner, f"alias {alias} on {owner.get(alias)} and {node['code']}"
            owner[alias] = node["code"]
    for node, _ in org_nodes:
        for label in (node["name"], node["short_name"]):
            assert owner.get(label, node["code"]) == node["code"], f"{label} is a name of {node['code']}"
    for node, _ in org_nodes:
        assert node["name"] not in node["aliases"] and node["short_name"] not in node["aliases"], node["code"]


def test_streets(orgs):
    streets = {c["name"]: c for c in orgs[0]["children"] if c["kind"] == "street"}
    assert sorted(streets) == sorted(STREETS)
    for name, node in streets.items():
        assert name.removesuffix("街道") in node["aliases"], name
    assert "江湾镇" in streets["江湾镇街道"]["aliases"]


@pytest.mark.parametrize("label,code", sorted({**PLAN_NAMES, **EXTRA_NAMES}.items()))
def test_unit_names_resolve(name_index, label, code):
    assert name_index.get(label) == {code}, (label, name_index.get(label))


def test_plan_names_occur_in_plans():
    text = "".join(p.read_text(encoding="utf-8") for p in (DATA / "plans").glob("*.txt"))
    missing = [n for n in PLAN_NAMES if n not in text]
    assert not missing


# --- sectors -----------------------------------------------------------------


def test_sectors(sectors, name_index, org_nodes):
    codes = [s["code"] for s in sectors]
    assert len(codes) == len(set(codes))
    assert set(codes) == SECTOR_CODES
    org_codes = {n["code"] for n, _ in org_nodes}
    for s in sectors:
        assert set(s) == {"code", "name", "plan", "owner"}, s["code"]
        assert s["name"], s["code"]
        if s["plan"] is not None:
            assert (DATA / "plans" / s["plan"]).is_file(), s["plan"]
        assert s["owner"] is None or s["owner"] in org_codes, s["code"]
    plans = {s["plan"] for s in sectors if s["plan"]}
    assert plans == {p.name for p in (DATA / "plans").glob("*.txt")}


# --- hazard categories -------------------------------------------------------


def test_category_codes_unique_and_nested(categories):
    seen = Counter()
    for node, parent in _walk(categories):
        assert set(node) <= {"code", "name", "sectors", "children", "description"}, node.get("code")
        assert SLUG.match(node["code"]) and node["name"], node
        seen[node["code"]] += 1
        if parent is not None:
            assert node["code"].startswith(parent["code"] + "-"), node["code"]
            assert "sectors" not in node, node["code"]
        if "children" in node:
            assert node["children"], node["code"]
            names = Counter(c["name"] for c in node["children"])
            assert all(n == 1 for n in names.values()), node["code"]
    assert all(n == 1 for n in seen.values()), [c for c, n in seen.items() if n > 1]


def test_category_sectors_exist(categories, sectors):
    known = {s["code"] for s in sectors}
    for root in categories:
        assert root.get("sectors"), root["code"]
        assert set(root["sectors"]) <= known, (root["code"], set(root["sectors"]) - known)


def test_ecology_form_categories(categories):
    eco = [r for r in categories if "ecology" in r["sectors"] and "general" not in r["sectors"]]
    assert len(eco) == 1
    assert [c["name"] for c in eco[0]["children"]] == ECOLOGY_FORM


def test_required_groups_present(categories):
    names = {n["name"] for n, _ in _walk(categories)}
    for required in [
        "消防安全",
        "燃气安全",
        "电动自行车",
        "有限空间",
        "建筑施工",
        "高处坠落",
        "基坑坍塌",
        "起重机械",
        "道路交通设施",
        "事故多发点段",
        "检测线圈损坏",
        "违法违规施工作业和生产经营",
        "安全疏散条件不足",
        "其他突出问题",
        "大型商业综合体",
        "农贸市场",
        "再生资源回收",
        "其他",
    ]:
        assert required in names, required
