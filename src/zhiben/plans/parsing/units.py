"""Who leads and who takes part: unit names and the phrases that assign roles.

A *unit name* is what a plan uses for a government body: 区公安分局, 区建管委,
区交安委办公室, 黄浦邮政管理局, 市交通执法总队七支队, 辐射与应急管理科, 区民防管理中心,
各街道办事处 … It ends in a unit suffix.  Strong suffixes (委/局/办/科/中心/大队/
支队/街道 …) suffice; weak ones (部/处/站/所/院/室/队/组/会) are only accepted
after an administrative prefix (区/市/县/各/国家 …) so that 内部, 全部 or 学习中心组
are not taken for units.  Names holding generic or verb words (相关, 有关, 负责,
督促, 的 …) are rejected: we never invent units.

Role phrases, in prose:

* subject of a clause: "区公安分局、区建管委要…", "区公安分局、区建管委、区绿化市容局全面排查…",
  "2024年，区生态环境局紧盯…" → lead;
* "由X牵头/负责/组织…", "X牵头，Y配合" → X lead, Y participating;
* "X会同Y…", "由X会同Y…" → X lead, Y participating;
* "配合X" / "会同X" / "协同X" / "协助X" / "联合X" → X participating (as the brief says);
* annotations "（牵头单位：X；责任单位：Y）" → X lead, Y participating; a lone
  "责任单位：X" is the lead.

A unit that leads somewhere in a task is not repeated among its participants.
Lists split on 、，, 和/及/以及 — but 和/与/及 only split when both sides are
unit names by themselves (区规划和自然资源局 stays whole, 执法大队和环境监测站 splits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import spans

_STRONG_SUFFIX = re.compile(
    r"(?:委员会|管委会|办公室|办事处|街道|分局|总队|支队|大队|中队|中心|委|办|局|科|厅|署"
    r"|监测站|管理站|服务站|工作站|检查站|派出所|管理所|检测所|医院|法院|检察院|研究院|设计院|管理处)$"
)
_WEAK_SUFFIX = re.compile(r"(?:部|处|站|所|院|室|队|组|会|集团|公司)$")
_ADMIN_PREFIX = re.compile(r"^(?:区|市|县|省|镇|乡|各|国家|中央|国务院|上海|全国)")
# Words that never occur inside a real unit name: generic words, verbs of the
# surrounding sentence, function words.
_NOT_IN_NAME = re.compile(
    r"相关|有关|其他|其它|以上|以下|的|等|要|负责|牵头|会同|配合|协同|协助|督促|指导|开展|加强|推动|推进|落实|"
    r"依托|加大|按照|结合|要求|建立|完善|做好|确保|实现|提升|强化|各类|以及|人员|负责人|领导|同志|群众|"
    r"由|把|被|向|通过|根据"
)
# A name never starts with a pronoun, preposition or verb ("根据市生态环境局…").
_BAD_START = re.compile(
    r"^(?:本|该|我|其|每|由|对|在|为|向|经|将|把|与|和|及|或|并|从|按|以|于|自|被|让|使|给|请|邀请|根据|依据|"
    r"通过|针对|围绕|结合|联合|会同|配合|协助|督促|指导|推动|组织|加强|支持|落实|开展|参照|对照|依托|借助|利用)"
)
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff（）()·]")
_MAX_NAME = 20
_MIN_NAME = 3
# "区建管委委" (typo) → "区建管委".
_DOUBLED_SUFFIX = re.compile(r"(委|局|办|科)\1$")
_CONJUNCTION = "和与及"
# Last characters of every suffix above: a cheap filter before the full check.
_SUFFIX_LAST_CHARS = frozenset("会委室处道局队心办科厅署站所院部组团司")
# A suffix character that is really the first half of a word ("区民防管理中心会|同",
# "区应急管理部|门"): the name cannot end there.
_SUFFIX_WORD = re.compile(
    r"会同|会商|会议|组织|组建|部署|部门|处置|处理|办理|委托|科学|科技|站点|所有|所属|院校|队伍|室内|局部|中心城区"
)

# After a subject list, before the verb: "区商务委、区公安分局…等部门要".
_ETC = re.compile(r"等(?:[\u4e00-\u9fff]{0,6}?(?:部门|单位|机构|科室|街道))?")
_LIST_SEP = re.compile(r"(?:要)?(?:[、，,]|以及|和|及|与)")
_MODAL = re.compile(r"要|应当|应|须|需要|需|负责|牵头|会同|统筹|联合|共同|分别")
_ASSIST = re.compile(r"配合|参与|协助|协同")
# Verbs that may directly follow a lone subject at a sentence start.
_ACTION = re.compile(
    r"全面|持续|进一步|加强|加快|加大|强化|积极|切实|紧盯|依托|结合|按照|对|在|于|将|做好|建立|健全|完善|制定|"
    r"指导|督促|组织|开展|推动|推进|落实|围绕|聚焦|深化|探索|实施|严格|定期|不断|着力|抓好|认真|主动|及时|重点|"
    r"承担|研究|编制|牵头|会同|统筹|联合|共同|分别"
)
# Prefixes skipped at a sentence start before looking for the subject.
_LEADING_NOISE = re.compile(
    r"(?:\s|[一二三四五六七八九十]是|[（(]\d{1,2}[）)]|\d{1,2}[.、]|同时[，,]?|此外[，,]?|另外[，,]?|其中[，,]?|并且?|还要?|"
    r"(?:于|到|在)?20\d{2}\s*年[^，,。；;：:]{0,8}?[，,：:]){0,4}"
)
_AGENT = re.compile(r"由(?!于|此|衷)")
_PARTNER = re.compile(r"会同|配合|协同|协助|联合")
_ANNOTATION_LABEL = (
    r"牵头单位|牵头部门|主责单位|主责部门|责任单位|责任部门|负责单位|配合单位|配合部门|参与单位|参与部门|"
    r"协办单位|协同单位|协助单位"
)
# "（牵头单位：X；责任单位：Y）": the body runs to the next label or the closing bracket.
_ANNOTATION = re.compile(
    rf"(?P<label>{_ANNOTATION_LABEL})\s*[:：]\s*(?P<body>(?:(?!{_ANNOTATION_LABEL})[^；;）)\n。])+)"
)
_LEAD_LABEL = re.compile(r"牵头|主责")
_ASSIST_LABEL = re.compile(r"配合|参与|协办|协同|协助")


def normalize_unit(name: str) -> str:
    name = name.strip(" \t，,、；;。：:")
    return _DOUBLED_SUFFIX.sub(r"\1", name)


def is_unit_name(name: str) -> bool:
    """Strict check used for names found in running prose."""
    if not _MIN_NAME <= len(name) <= _MAX_NAME:
        return False
    if not all(_NAME_CHARS.match(ch) for ch in name):
        return False
    if _BAD_START.match(name) or _NOT_IN_NAME.search(name):
        return False
    if _STRONG_SUFFIX.search(name):
        return True
    return bool(_WEAK_SUFFIX.search(name) and _ADMIN_PREFIX.match(name))


def split_unit_list(text: str) -> list[str]:
    """Split a cell/annotation listing units ("辐射与应急管理科、办公室").

    Lenient: the column says these are units, so any non-empty item counts;
    placeholders ("-", "无", "/") are dropped.
    """
    items: list[str] = []
    for raw in re.split(r"[、，,；;\n/]|以及", text):
        item = normalize_unit(raw)
        if not item or item in ("-", "—", "无", "／", "……", "…"):
            continue
        items.extend(_split_conjunction(item))
    return _dedupe(items)


def _split_conjunction(name: str) -> list[str]:
    """ "执法大队和环境监测站" → both; "区规划和自然资源局" stays whole."""
    for i, ch in enumerate(name):
        if ch in _CONJUNCTION and _looks_like_unit(name[:i]) and _looks_like_unit(name[i + 1 :]):
            return [name[:i], *_split_conjunction(name[i + 1 :])]
    return [name]


def _looks_like_unit(name: str) -> bool:
    return len(name) >= 2 and bool(_STRONG_SUFFIX.search(name) or _WEAK_SUFFIX.search(name))


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if not (x in seen or seen.add(x))]


# --- scanning prose -------------------------------------------------------------


def _name_at(text: str, pos: int) -> int | None:
    """End of the longest unit name starting at ``pos`` (None if there is none).

    A candidate that is two unit names joined by 和/与/及 yields the first one.
    """
    limit = pos
    while limit < len(text) and limit - pos < _MAX_NAME and _NAME_CHARS.match(text[limit]):
        limit += 1
    for end in range(limit, pos + _MIN_NAME - 1, -1):
        if text[end - 1] not in _SUFFIX_LAST_CHARS or _SUFFIX_WORD.match(text, end - 1):
            continue
        candidate = normalize_unit(text[pos:end])
        if not is_unit_name(candidate):
            continue
        for i in range(pos + 2, end - 2):
            if text[i] in _CONJUNCTION and is_unit_name(text[pos:i]) and is_unit_name(text[i + 1 : end]):
                return i
        return end
    return None


def scan_names(text: str, pos: int) -> tuple[list[str], int]:
    """Read a list of unit names starting at ``pos``: "区公安分局、区建管委要…".

    Returns the names and the position after the last one.  A stray "要"
    inside the list ("区建管委要、区应急局要…") is tolerated.
    """
    names: list[str] = []
    while True:
        end = _name_at(text, pos)
        if end is None:
            break
        names.append(normalize_unit(text[pos:end]))
        pos = end
        sep = _LIST_SEP.match(text, pos)
        if sep is None or _name_at(text, sep.end()) is None:
            break
        pos = sep.end()
    return names, pos


@dataclass
class Roles:
    lead: list[str] = field(default_factory=list)
    participating: list[str] = field(default_factory=list)

    def add_lead(self, names: list[str]) -> None:
        seen = set(self.lead)
        self.lead.extend(n for n in dict.fromkeys(names) if n not in seen)

    def add_participating(self, names: list[str]) -> None:
        seen = set(self.participating)
        self.participating.extend(n for n in dict.fromkeys(names) if n not in seen)

    def merge(self, other: Roles) -> None:
        self.add_lead(other.lead)
        self.add_participating(other.participating)

    def finish(self) -> Roles:
        """Leads win: drop participants that lead elsewhere in the same task."""
        leads = set(self.lead)
        self.participating = [n for n in self.participating if n not in leads]
        return self


def extract_roles(text: str, masked: str | None = None) -> Roles:
    """Lead and participating units named in a stretch of prose."""
    masked = spans.mask_citations(text) if masked is None else masked
    roles = Roles()
    _annotations(masked, roles)
    # Annotation bodies are lists, not sentences: hide them from the prose rules.
    prose = _ANNOTATION.sub(lambda m: spans.MASK_CHAR * len(m.group(0)), masked)
    _subjects(prose, roles)
    _agents_and_partners(prose, roles)
    return roles.finish()


def _annotations(text: str, roles: Roles) -> None:
    groups = list(_ANNOTATION.finditer(text))
    runs = _annotation_runs(text, groups)
    for index, m in enumerate(groups):
        label = m.group("label")
        # a cited document number or title in the list is no unit ("牵头单位：〔2023〕")
        names = [n for n in split_unit_list(spans.drop_masked(m.group("body"))) if len(n) <= 30]
        if _LEAD_LABEL.search(label):
            roles.add_lead(names)
        elif _ASSIST_LABEL.search(label):
            roles.add_participating(names)
        elif runs[index]:
            roles.add_participating(names)  # 责任单位 next to a 牵头单位
        else:
            roles.add_lead(names)  # a lone 责任单位 is the lead


_GLUE = re.compile(r"[\s；;，,]*")


def _annotation_runs(text: str, groups: list[re.Match]) -> list[bool]:
    """For each annotation: does its run (annotations joined only by
    separators, as in "（牵头单位：X；责任单位：Y）") contain a 牵头 label?"""
    result = [False] * len(groups)
    run_start = 0
    for i in range(1, len(groups) + 1):
        if i == len(groups) or _GLUE.fullmatch(text, groups[i - 1].end(), groups[i].start()) is None:
            has_lead = any(_LEAD_LABEL.search(g.group("label")) for g in groups[run_start:i])
            result[run_start:i] = [has_lead] * (i - run_start)
            run_start = i
    return result


def _clause_starts(text: str):
    """Yield (position, strong) for every place a subject may start.

    ``strong`` is True at a sentence start (or after "：" / "（"), False after
    a comma.  A leading date clause ("2024年，") counts as part of the start.
    """
    yield 0, True
    for i, ch in enumerate(text):
        if ch in spans.SENTENCE_ENDS or ch in "：:（(":
            yield i + 1, True
        elif ch in "，,":
            yield i + 1, False


def _subjects(text: str, roles: Roles) -> None:
    for pos, strong in _clause_starts(text):
        if pos >= len(text):
            continue
        noise = _LEADING_NOISE.match(text, pos)
        skipped = noise.end() > pos if noise else False
        start = noise.end() if noise else pos
        names, end = scan_names(text, start)
        if not names:
            continue
        etc = _ETC.match(text, end)
        verb_at = etc.end() if etc else end
        if _ASSIST.match(text, verb_at):
            roles.add_participating(names)
        elif _MODAL.match(text, verb_at) or ((strong or skipped) and (len(names) >= 2 or _ACTION.match(text, verb_at))):
            roles.add_lead(names)


def _agents_and_partners(text: str, roles: Roles) -> None:
    for m in _AGENT.finditer(text):
        names, _end = scan_names(text, m.end())
        if names:
            roles.add_lead(names)
    for m in _PARTNER.finditer(text):
        names, _end = scan_names(text, m.end())
        if names:
            roles.add_participating(names)
