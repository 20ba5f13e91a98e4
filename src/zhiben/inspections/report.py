"""The signed inspection report (检查记录), a .docx built with python-docx.

It is printed and signed on paper: A4 portrait, 宋体 with the East Asian font
set, bordered tables of fixed column widths that fit between the margins,
the items table's header row repeated on every page (core.printing).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from zhiben.core import printing

from .choices import AnswerResult
from .models import Inspection

# Column widths in cm; each table spans the 16 cm between 2.5 cm margins.
HEADER_WIDTHS = (3.2, 12.8)
ITEM_WIDTHS = (1.3, 5.4, 1.8, 3.8, 3.7)  # 编号, 检查内容, 结果, 情况说明, 隐患编号 (YH-2026-000001 on one line)


def inspection_docx(inspection: Inspection) -> bytes:
    """Header, site, team, date, every item with its result, the hazards
    created (codes), and signature lines for 检查人员 and 被检查单位负责人."""
    document = Document()
    printing.setup_document_for_print(document)
    title = document.add_heading("安全生产检查记录", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    site = inspection.site
    version = inspection.checklist_version
    inspectors = "、".join(str(u) for u in inspection.inspectors.all()) or "—"
    orgs = [inspection.organization, *inspection.team_orgs.exclude(pk=inspection.organization_id)]
    header = [
        ("检查类型", inspection.get_kind_display()),
        ("排查轮次", str(inspection.campaign) if inspection.campaign_id else "—"),
        ("被检查场所", site.name),
        ("场所码", site.public_code),
        ("被检查单位", site.unit.name if site.unit_id else "—"),
        ("地址", site.address or (site.unit.address if site.unit_id else "") or "—"),
        ("所属街道", str(site.street) if site.street_id else "—"),
        ("检查单位", "、".join(str(o) for o in orgs)),
        ("检查人员", inspectors),
        ("检查方式", inspection.get_method_display()),
        ("检查日期", f"{inspection.inspected_on:%Y年%m月%d日}"),
        ("检查表", f"{version.checklist.name}（第{version.number}版）"),
    ]
    if inspection.latitude is not None:
        header.append(("定位", f"{inspection.latitude}, {inspection.longitude}"))
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in header:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
        cells[0].paragraphs[0].runs[0].bold = True
    printing.setup_table_for_print(table, HEADER_WIDTHS)

    document.add_heading("检查内容及结果", level=2)
    answers = list(inspection.answers.select_related("item", "hazard").order_by("item__position"))
    items = document.add_table(rows=1, cols=5)
    items.style = "Table Grid"
    for cell, text in zip(items.rows[0].cells, ("编号", "检查内容", "结果", "情况说明", "隐患编号"), strict=True):
        cell.text = text
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.paragraphs[0].runs[0].bold = True
    group = None
    for answer in answers:
        if answer.item.group != group:
            group = answer.item.group
            row = items.add_row().cells
            merged = row[0].merge(row[4])
            merged.text = group
        cells = items.add_row().cells
        text = answer.item.text + ("（直接判定为重大隐患）" if answer.item.major else "")
        result = answer.get_result_display() + ("（即查即改）" if answer.fixed_on_site else "")
        values = (answer.item.code, text, result, answer.note, answer.hazard.code if answer.hazard_id else "")
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    printing.setup_table_for_print(items, ITEM_WIDTHS, header_rows=1)

    failed = [a for a in answers if a.result == AnswerResult.FAIL]
    document.add_heading("发现隐患", level=2)
    if failed:
        for answer in failed:
            code = answer.hazard.code if answer.hazard_id else "（未上账）"
            level = answer.hazard.get_level_display() if answer.hazard_id else ""
            suffix = "（记为已有隐患的重复发现）" if answer.linked_existing else ""
            document.add_paragraph(f"{code} {level} {answer.item.text}{suffix}", style="List Bullet")
    else:
        document.add_paragraph("本次检查未发现隐患。")
    if inspection.summary:
        document.add_heading("检查情况", level=2)
        document.add_paragraph(inspection.summary)

    document.add_paragraph()
    document.add_paragraph("检查人员（签字）：______________________    日期：__________")
    document.add_paragraph("被检查单位负责人（签字）：______________________    日期：__________")
    status = "已完成" if inspection.is_finished else "检查中（未完成，仅供核对）"
    document.add_paragraph(f"记录状态：{status}；记录编号：JC-{inspection.pk:06d}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
