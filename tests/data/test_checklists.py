"""Consistency checks for the inspection checklists in data/checklists/*.yaml.

Plain pytest, no database:
    .venv/bin/python -m pytest tests/data/test_checklists.py -p no:django --noconftest -q
"""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "data"
CHECKLISTS = DATA / "checklists"
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")

CHECKLIST_KEYS = {"code", "name", "version", "source", "sectors", "hazard_category", "groups"}
GROUP_KEYS = {"name", "items"}
ITEM_REQUIRED = {"code", "text", "major"}
ITEM_OPTIONAL = {"clause", "category"}

REQUIRED_FILES = {
    "cd-key-hazards",
    "gb35181-2017",
    "housing-municipal-2024",
    "industry-trade-2023-general",
    "industry-trade-2023-confined",
    "gas-restaurant",
    "ebike-parking-charging",
    "civil-defense-monthly",
}

# Checklists that reproduce a 重大事故隐患 standard: every item is major.
ALL_MAJOR = {
    "gb35181-2017",
    "housing-municipal-2024",
    "industry-trade-2023-general",
    "industry-trade-2023-confined",
}

# civil-defense.txt 整治重点隐患: group names and item counts.
CD_GROUPS = [
    ("违法违规施工作业和生产经营", 6),
    ("安全疏散条件不足", 7),
    ("其他突出问题", 5),
]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys instead of keeping the last one."""


def _mapping_no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates)


def _load(path):
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_StrictLoader)  # a SafeLoader subclass


def _walk(nodes, root=None):
    for node in nodes or []:
        top = root or node
        yield node, top
        yield from _walk(node.get("children"), top)


def _items(checklist):
    for group in checklist["groups"]:
        yield from group["items"]


FILES = sorted(CHECKLISTS.glob("*.yaml"))


@pytest.fixture(scope="module")
def checklists():
    return {p.stem: _load(p) for p in FILES}


@pytest.fixture(scope="module")
def category_nodes():
    """code -> (node, root node)."""
    return {n["code"]: (n, root) for n, root in _walk(_load(DATA / "hazard_categories.yaml"))}


@pytest.fixture(scope="module")
def sector_codes():
    return {s["code"] for s in _load(DATA / "sectors.yaml")}


def test_directory_contents():
    assert CHECKLISTS.is_dir()
    others = [p.name for p in CHECKLISTS.iterdir() if p.suffix != ".yaml"]
    assert not others, others
    present = {p.stem for p in FILES}
    assert not REQUIRED_FILES - present, REQUIRED_FILES - present


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_schema(path):
    cl = _load(path)
    assert isinstance(cl, dict), path.name
    assert set(cl) == CHECKLIST_KEYS, (path.name, set(cl) ^ CHECKLIST_KEYS)
    assert cl["code"] == path.stem and SLUG.match(cl["code"]), cl["code"]
    assert type(cl["version"]) is int and cl["version"] >= 1, cl["version"]
    for key in ("name", "source", "hazard_category"):
        assert isinstance(cl[key], str) and cl[key].strip() == cl[key] and cl[key], key
    assert isinstance(cl["sectors"], list) and cl["sectors"], "sectors"
    assert len(set(cl["sectors"])) == len(cl["sectors"]), "duplicate sector"
    assert isinstance(cl["groups"], list) and cl["groups"], "groups"

    group_names = Counter()
    for group in cl["groups"]:
        assert isinstance(group, dict) and set(group) == GROUP_KEYS, group
        assert isinstance(group["name"], str) and group["name"].strip(), group
        group_names[group["name"]] += 1
        assert isinstance(group["items"], list) and group["items"], group["name"]
        for item in group["items"]:
            assert isinstance(item, dict), item
            keys = set(item)
            assert ITEM_REQUIRED <= keys <= ITEM_REQUIRED | ITEM_OPTIONAL, item
            # Quoted in YAML: an unquoted 6.10 would load as the float 6.1.
            assert isinstance(item["code"], str) and item["code"].strip() == item["code"], item
            assert item["code"], item
            assert isinstance(item["text"], str) and item["text"].strip() == item["text"], item
            assert len(item["text"]) >= 4, item
            assert type(item["major"]) is bool, item
            if "clause" in item:
                assert isinstance(item["clause"], str) and item["clause"].strip(), item
            if "category" in item:
                assert isinstance(item["category"], str) and item["category"], item
    assert all(n == 1 for n in group_names.values()), group_names

    codes = Counter(item["code"] for item in _items(cl))
    dupes = [c for c, n in codes.items() if n > 1]
    assert not dupes, dupes


def test_checklist_codes_unique(checklists):
    codes = Counter(cl["code"] for cl in checklists.values())
    assert all(n == 1 for n in codes.values()), codes


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_codes_exist(path, category_nodes, sector_codes):
    cl = _load(path)
    assert set(cl["sectors"]) <= sector_codes, set(cl["sectors"]) - sector_codes
    assert cl["hazard_category"] in category_nodes, cl["hazard_category"]
    for item in _items(cl):
        if "category" in item:
            assert item["category"] in category_nodes, (item["code"], item["category"])
            node, _ = category_nodes[item["category"]]
            assert not node.get("children"), f"{item['code']}: {item['category']} is not a leaf"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_categories_fit_sectors(path, category_nodes):
    """Every category a checklist uses is offered to each sector that uses the checklist.

    A category inherits its root's sectors; "general" means every sector.
    """
    cl = _load(path)
    used = {cl["hazard_category"]} | {i["category"] for i in _items(cl) if "category" in i}
    for code in sorted(used):
        _, root = category_nodes[code]
        if "general" in root["sectors"]:
            continue
        missing = set(cl["sectors"]) - set(root["sectors"])
        assert not missing, f"{code} (root {root['code']}) is not offered to {sorted(missing)}"


def test_cd_key_hazards_match_plan(checklists):
    cl = checklists["cd-key-hazards"]
    assert [(g["name"], len(g["items"])) for g in cl["groups"]] == CD_GROUPS
    assert sum(len(g["items"]) for g in cl["groups"]) == 18
    expected_codes = [f"{gi}-{ii}" for gi, (_, n) in enumerate(CD_GROUPS, 1) for ii in range(1, n + 1)]
    assert [i["code"] for i in _items(cl)] == expected_codes
    plan = (DATA / "plans" / "civil-defense.txt").read_text(encoding="utf-8")
    section = plan[plan.index("整治重点隐患：") : plan.index("二、组织领导")]
    for group in cl["groups"]:
        assert group["name"] in section, group["name"]
    # Each item is written in the plan as "（n）text。".
    missing = [i["code"] for i in _items(cl) if f"（{i['code'].split('-')[1]}）{i['text']}。" not in section]
    assert not missing, f"item texts not found verbatim in the plan: {missing}"
    assert all(i["category"].startswith("cd-") for i in _items(cl))


def test_gb35181_direct_elements(checklists):
    cl = checklists["gb35181-2017"]
    items = list(_items(cl))
    assert [i["code"] for i in items] == [f"6.{n}" for n in range(1, 11)]
    assert all(i["major"] is True for i in items)
    assert all(i["clause"] == f"GB 35181-2017 {i['code']}" for i in items)


@pytest.mark.parametrize("code", sorted(ALL_MAJOR))
def test_standards_all_major(checklists, code):
    not_major = [i["code"] for i in _items(checklists[code]) if i["major"] is not True]
    assert not not_major, not_major


def test_cd_key_hazards_not_major(checklists):
    """The plan marks none of its 整治重点隐患 as 重大事故隐患."""
    assert not any(i["major"] for i in _items(checklists["cd-key-hazards"]))
