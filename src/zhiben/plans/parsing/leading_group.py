"""The leading group (领导小组): its name, members and where its office sits.

Recognised member phrasings (one member entry per person/unit):

* "组长：伍志勇", "常务副组长：莫文定", "副组长：田晶、朱晓忆";
* "成员：办公室、商业发展科…等相关科室负责人为领导小组成员" / "领导小组成员：…";
* "X、Y和Z等相关科室（部门）负责人任组员", "各科室、基层单位的负责人为领导小组成员";
* "由区长任组长", "分管副区长担任副组长".

Roles are returned as written, except that 组员 / 成员单位 / 领导小组成员 are
all reported as 成员.  The office comes from "办公室设在X", "日常(…)工作由X承担/负责",
"工作专班设在X" or "X负责(…)日常工作", in that order of preference.
"""

from __future__ import annotations

import re

from . import spans
from .units import split_unit_list

_ROLE_WORDS = r"常务副组长|副组长|组长|领导小组成员|成员单位|成员|组员"
_ROLE_NORMAL = {"领导小组成员": "成员", "成员单位": "成员", "组员": "成员"}

# "组长：伍志勇" — a role label followed by names.
_LABELLED = re.compile(
    rf"^\s*(?:[（(][一二三四五六七八九十\d]+[）)])?\s*(?P<role>{_ROLE_WORDS})\s*[:：]\s*(?P<names>.+)$"
)
# "X负责人任组员" / "由X担任组长" — names then a role verb.
_ASSIGNED = re.compile(
    rf"^(?:由)?(?P<names>.+?)(?:的)?(?:主要负责同志|主要负责人|分管负责同志|分管领导|负责同志|负责人)?"
    rf"(?:担任|任|为)(?:领导小组)?(?P<role>{_ROLE_WORDS})$"
)
# Trailing descriptions after the names: "…等相关科室负责人为领导小组成员".
_NAMES_TAIL = re.compile(
    r"(?:等(?:相关|有关)?[^、，,]*|(?:的)?(?:主要负责同志|主要负责人|分管负责同志|分管领导|负责同志|负责人)"
    r"(?:为|任|担任).*|(?:为|任|担任)(?:领导小组)?(?:成员|组员).*)$"
)
_GROUP_NAME = [
    re.compile(r"(?:成立|建立|组建|设立)(?P<name>[^，,。；;：:\n]{2,60}?领导小组)"),
    re.compile(r"(?:成立|建立|组建|设立)(?P<name>[^，,。；;：:\n]{2,60}?(?:指挥部|工作小组))"),
]
# Without a founding verb, only a line that starts with the group's name, and
# only inside the organisation part ("区…领导小组（以下简称领导小组）统筹…").
_BARE_GROUP_NAME = re.compile(r"(?:^|\n)(?P<name>[\u4e00-\u9fff“”]{2,40}?领导小组)(?!办公室)")
_OFFICE = [
    re.compile(r"办公室设在(?P<unit>[^，,。；;\n]+)"),
    re.compile(r"日常(?:[\u4e00-\u9fff、]{0,12})?工作由(?P<unit>[^，,。；;\n]+?)(?:承担|负责|牵头)"),
    re.compile(r"(?:工作专班|专班)设在(?P<unit>[^，,。；;\n]+)"),
    re.compile(r"(?:^|[。；;，,\n])(?P<unit>[^，,。；;\n]{2,20}?)负责(?:[\u4e00-\u9fff]{0,10})?日常工作"),
]
_ALIAS = re.compile(r"[（(]以下简称[^）)]*[）)]")
_VERB_PREFIX = re.compile(r"^(?:成立|建立|组建|设立)")


def parse_leading_group(text: str, organisation_part: bool = True) -> dict:
    """``{"name", "members", "office"}`` read from organisation text.

    With ``organisation_part=False`` (searching the rest of a plan) the name
    must come with a founding verb (成立/建立/组建/设立), so that a cited body
    ("区…领导小组办公室《关于…》") is not taken for the plan's own group.
    """
    return {"name": _group_name(text, organisation_part), "members": _members(text), "office": _office(text)}


def _group_name(text: str, allow_bare: bool) -> str | None:
    clean = _ALIAS.sub("", text)
    patterns = [*_GROUP_NAME, _BARE_GROUP_NAME] if allow_bare else _GROUP_NAME
    for pattern in patterns:
        m = pattern.search(clean)
        if m:
            return _VERB_PREFIX.sub("", m.group("name").strip("“”"))
    return None


def _members(text: str) -> list[dict]:
    members: list[dict] = []
    for line in text.split("\n"):
        m = _LABELLED.match(line.strip())
        if m:
            _add(members, m.group("role"), m.group("names"))
            continue
        for start, end in spans.sentence_spans(line):
            for clause in re.split(r"[，,]", line[start:end]):
                # a paragraph numbered by the outline ("1.各科室…负责人为领导小组成员")
                m = _ASSIGNED.match(spans.strip_label(clause.strip()))
                if m:
                    _add(members, m.group("role"), m.group("names"))
    return members


def _add(members: list[dict], role: str, names_text: str) -> None:
    role = _ROLE_NORMAL.get(role, role)
    names_text = re.split(r"[。；;]", names_text, maxsplit=1)[0]
    names_text = _NAMES_TAIL.sub("", names_text)
    for name in split_unit_list(names_text):
        name = re.sub(r"(?:的)?(?:主要负责同志|负责同志|负责人)$", "", name).strip()
        if name and {"role": role, "name": name} not in members:
            members.append({"role": role, "name": name})


def _office(text: str) -> str | None:
    for pattern in _OFFICE:
        m = pattern.search(text)
        if m:
            unit = m.group("unit").strip()
            return unit or None
    return None
