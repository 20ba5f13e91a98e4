"""The columns of the unit and site sheets (import template, importer and
export) and the two import templates, declared on :mod:`zhiben.core.tabular`.

A text column is formatted as text (``@``) in the template, so that Excel
keeps codes and phones as typed; a strict column's dropdown refuses other
values, the others (行业主管部门, 负责部门, 标签) only suggest. The export
writes the template's columns plus the list's own (风险等级 …), so that an
export can be filled in and imported again (unknown columns are ignored).
"""

from __future__ import annotations

from zhiben.core.tabular import (
    DATE,
    DATE_HINT,
    NUMBER,
    Column,
    HelpTable,
    build_template,
    header_of,
    headers,
    max_bytes,
    max_rows,
    widths,
)
from zhiben.org.tabular import owner_options, street_names

from ..choices import InsuranceStatus, LicenseStatus, StandardizationLevel
from ..models import Sector, SiteType, Tag

UNIT_SHEET = "生产经营单位"
SITE_SHEET = "场所"
CHOICE = "choice"

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("单位名称", "name", 30, True, "不超过 200 字", as_text=True),
    Column(
        "统一社会信用代码",
        "uscc",
        22,
        False,
        "18 位，校验校验位；不能与已登记的单位或本文件其他行重复；场所导入按此代码关联单位",
        as_text=True,
    ),
    Column("地址", "address", 30, False, "不超过 255 字", as_text=True),
    Column("所属街道", "street", 14, False, "街道名称，从下拉列表中选择", CHOICE, strict=True),
    Column(
        "行业主管部门",
        "owner",
        18,
        False,
        "部门全称、简称或别名均可，科室写“部门/科室”；留空则为行业领域的主管部门；须为您有权登记的部门",
        CHOICE,
    ),
    Column("行业领域", "sector", 16, False, "从下拉列表中选择", CHOICE, strict=True),
    Column("行业类型", "industry_type", 14, False, "如：餐饮、危险货物运输；不超过 60 字", as_text=True),
    Column("标签", "tags", 20, False, "可填多个，用顿号“、”分隔", CHOICE, list_in_help=True),
    Column("法定代表人", "legal_rep_name", 10, False, "不超过 50 字", as_text=True),
    Column(
        "法定代表人电话",
        "legal_rep_phone",
        16,
        False,
        "数字，可含区号连字符，如 13800000000、021-65000000",
        as_text=True,
    ),
    Column("安全管理联系人", "safety_contact_name", 12, False, "不超过 50 字", as_text=True),
    Column("安全管理联系人电话", "safety_contact_phone", 16, False, "同上", as_text=True),
    Column("安全生产责任险", "insurance_status", 12, False, "留空按“未知”；已投保的须填到期日", CHOICE, strict=True),
    Column("安责险到期日", "insurance_expiry", 12, False, DATE_HINT, DATE),
    Column("安全生产标准化等级", "standardization_level", 14, False, "留空按“未定级”", CHOICE, strict=True),
    Column("安全生产许可证", "license_status", 12, False, "留空按“未知”", CHOICE, strict=True),
    Column("许可证有效期至", "license_expiry", 12, False, DATE_HINT, DATE),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
UNIT_HEADERS: tuple[str, ...] = headers(UNIT_COLUMNS)
UNIT_HEADER_OF: dict[str, str] = header_of(UNIT_COLUMNS)
UNIT_REQUIRED: tuple[str, ...] = ("单位名称",)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("场所名称", "name", 30, True, "不超过 200 字", as_text=True),
    Column("场所类型", "site_type", 18, True, "类型名称或编码，从下拉列表中选择", CHOICE, strict=True),
    Column(
        "所属单位统一社会信用代码",
        "unit",
        24,
        False,
        f"已登记的单位，或本文件“{UNIT_SHEET}”工作表中的单位；留空表示不属于任何单位",
        as_text=True,
    ),
    Column("地址", "address", 30, False, "留空则取所属单位的地址", as_text=True),
    Column("所属街道", "street", 14, False, "留空则取所属单位的街道", CHOICE, strict=True),
    Column("负责部门", "owner", 18, False, "留空则按场所类型的分工（三管三必须）确定", CHOICE),
    Column("纬度", "latitude", 12, False, "-90 到 90，最多 6 位小数；须与经度同时填写", NUMBER),
    Column("经度", "longitude", 12, False, "-180 到 180，最多 6 位小数", NUMBER),
    Column(
        "专有信息",
        "attributes",
        36,
        False,
        "按场所类型填写，格式“字段：值”，多项用分号分隔，见“填写说明”",
        as_text=True,
    ),
    Column("备注", "note", 24, False, "不超过 300 字", as_text=True),
)
SITE_HEADERS: tuple[str, ...] = headers(SITE_COLUMNS)
SITE_HEADER_OF: dict[str, str] = header_of(SITE_COLUMNS)
SITE_REQUIRED: tuple[str, ...] = ("场所名称", "场所类型")

# The exports: the template's columns and the list's own.
UNIT_EXPORT_COLUMNS: tuple[Column, ...] = (
    *UNIT_COLUMNS,
    Column("风险等级", "risk_level", 10),
    Column("风险评估日期", "risk_assessed_on", 12, kind=DATE),
    Column("登记时间", "created_at", 17),
)
SITE_EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("场所码", "public_code", 13),
    *SITE_COLUMNS,
    Column("所属单位", "unit_name", 28),
    Column("在册", "is_active", 6),
    Column("风险等级", "risk_level", 10),
    Column("风险评估日期", "risk_assessed_on", 12, kind=DATE),
    Column("登记时间", "created_at", 17),
)
UNIT_EXPORT_HEADERS: tuple[str, ...] = headers(UNIT_EXPORT_COLUMNS)
UNIT_EXPORT_WIDTHS: tuple[float, ...] = widths(UNIT_EXPORT_COLUMNS)
SITE_EXPORT_HEADERS: tuple[str, ...] = headers(SITE_EXPORT_COLUMNS)
SITE_EXPORT_WIDTHS: tuple[float, ...] = widths(SITE_EXPORT_COLUMNS)


# --- Templates ---------------------------------------------------------------------------------


def option_lists() -> dict[str, list[str]]:
    """The dropdowns of both templates, by header (in the 选项 sheet's order)."""
    owners = owner_options()
    return {
        "所属街道": street_names(),
        "行业主管部门": owners,
        "负责部门": owners,
        "行业领域": list(Sector.objects.values_list("name", flat=True)),
        "标签": list(Tag.objects.values_list("name", flat=True)),
        "安全生产责任险": [str(c.label) for c in InsuranceStatus],
        "安全生产标准化等级": [str(c.label) for c in StandardizationLevel],
        "安全生产许可证": [str(c.label) for c in LicenseStatus],
        "场所类型": list(SiteType.objects.filter(is_active=True).values_list("name", flat=True)),
    }


HELP_WIDTHS = (22, 8, 60, 60)


def _notes(sheet: str, what: str) -> list[str]:
    return [
        f"1. 在“{sheet}”工作表填写：第 1 行为表头，请勿修改或删除列名；从第 2 行起每行一条{what}。",
        "2. 红色列名为必填项；带下拉列表的列请从列表中选择。",
        "3. 任何一行有误时，整个文件都不会导入；系统会列出所有有误的行（行号即 Excel 行号）、列和原因，改正后重新上传即可。",
        f"4. 单个文件不超过 {max_rows()} 行数据、{max_bytes() // 1024 // 1024} MB；仅支持 .xlsx 格式。",
        f"5. 日期可填写 Excel 日期，也可填写文本：{DATE_HINT}。",
    ]


def unit_template() -> bytes:
    """The unit import template (生产经营单位, 填写说明, hidden 选项)."""
    what = "生产经营单位"
    notes = [
        *_notes(UNIT_SHEET, what),
        "6. 统一社会信用代码不能与已登记的单位重复，也不能在本文件中重复；电话号码加密保存。",
    ]
    return build_template(
        [(UNIT_SHEET, UNIT_COLUMNS)],
        title=f"{what}批量导入填写说明",
        notes=notes,
        options=option_lists(),
        help_widths=HELP_WIDTHS,
    )


def _site_type_fields(site_type: SiteType) -> str:
    """ "施工阶段（基坑/主体结构/…）；含深基坑（是/否）（必填）…" """
    fields = []
    for spec in site_type.attributes or []:
        extra = f"（{'/'.join(spec['choices'])}）" if spec.get("choices") else ""
        extra = "（是/否）" if spec.get("kind") == "bool" else extra
        fields.append(f"{spec['label']}{extra}{'（必填）' if spec.get('required') else ''}")
    return "；".join(fields)


def site_template() -> bytes:
    """The site import template, with the table of site types and their
    专有信息 fields on the 填写说明 sheet."""
    what = "场所"
    notes = [
        *_notes(SITE_SHEET, what),
        f"6. 所属单位按统一社会信用代码关联：可以是已登记的单位，也可以在本文件中增加“{UNIT_SHEET}”工作表"
        "（列与单位导入模板相同），这些单位会与场所一并导入。",
        "7. 专有信息按场所类型填写，如“施工阶段：基坑；含深基坑：是”，可填的字段见下方类型表。",
    ]
    types = HelpTable(
        "场所类型与专有信息",
        ("类型名称", "编码", "专有信息字段"),
        [
            (site_type.name, site_type.code, _site_type_fields(site_type))
            for site_type in SiteType.objects.filter(is_active=True)
        ],
    )
    return build_template(
        [(SITE_SHEET, SITE_COLUMNS)],
        title=f"{what}批量导入填写说明",
        notes=notes,
        options=option_lists(),
        help_widths=HELP_WIDTHS,
        tables=[types],
    )
