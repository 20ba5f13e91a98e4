"""任务分解表 as .xlsx, in the layout of the ecology plan's 附件1:
序号 | 主要任务 | 工作要求 | 完成时间 | 牵头单位 | 参与单位.

A task with several milestones takes one row per milestone (工作要求 = the
milestone's text, 完成时间 = its date); 序号, 主要任务, 牵头单位 and 参与单位
are merged down over those rows. A task without milestones takes one row with
its full text and "持续推进". Written with XlsxWriter (opens cleanly in Excel
and WPS: real merged ranges, no formulas, fonts set explicitly).

Offices print it: A4 landscape, one page wide, the header row repeated,
borders, and row heights computed from the wrapped text (core.printing).
The columns are declared with the tabular layer's ``Column`` (header,
width); the sheet itself stays with XlsxWriter, because the streaming
``core.tabular`` writer has no merged cells, row heights or print setup.
"""

from __future__ import annotations

import io

import xlsxwriter

from zhiben.core import printing
from zhiben.core.tabular import Column, headers, widths

from .models import Plan, Task

COLUMNS = (
    Column("序号", width=6),
    Column("主要任务", width=22),
    Column("工作要求", width=60),
    Column("完成时间", width=14),
    Column("牵头单位", width=22),
    Column("参与单位", width=22),
)
HEADERS = list(headers(COLUMNS))
WIDTHS = list(widths(COLUMNS))


def _units(units) -> str:
    return "、".join(str(u) for u in units)


def task_rows(task: Task) -> list[tuple[str, str]]:
    milestones = sorted(task.milestones.all(), key=lambda m: (m.due_date, m.sort_order))
    if not milestones:
        return [(task.text or task.title, "持续推进")]
    return [(m.text, f"{m.due_date.year}年{m.due_date.month}月底前") for m in milestones]


def export_plan(plan: Plan, tasks: list[Task]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("任务分解表")
    base = printing.border_format()
    title_fmt = book.add_format(
        {"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    head_fmt = book.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
    cell_fmt = book.add_format(base)
    center_fmt = book.add_format({**base, "align": "center"})
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    title = f"{plan.title}主要任务分解表"
    sheet.merge_range(0, 0, 0, len(HEADERS) - 1, title, title_fmt)
    heights = printing.RowHeights()
    heights.cell(0, title, sum(WIDTHS), font_size=16)
    for col, header in enumerate(HEADERS):
        sheet.write(1, col, header, head_fmt)
        heights.cell(1, header, WIDTHS[col])
    sheet.freeze_panes(2, 0)
    row = 2
    blocks = []
    for index, task in enumerate(tasks, start=1):
        rows = task_rows(task)
        first, last = row, row + len(rows) - 1
        spanned = [
            (0, str(index), center_fmt),
            (1, task.title, cell_fmt),
            (4, _units(task.lead_units), cell_fmt),
            (5, _units(task.participating_units), cell_fmt),
        ]
        for offset, (requirement, when) in enumerate(rows):
            sheet.write(first + offset, 2, requirement, cell_fmt)
            sheet.write(first + offset, 3, when, center_fmt)
            heights.cell(first + offset, requirement, WIDTHS[2])
            heights.cell(first + offset, when, WIDTHS[3])
        for col, value, fmt in spanned:
            if last > first:
                sheet.merge_range(first, col, last, col, value, fmt)
            else:
                sheet.write(first, col, value, fmt)
            heights.span(first, last, value, WIDTHS[col])
        blocks.append((first, last))
        row = last + 1
    heights.apply(sheet)
    breaks = printing.page_breaks(heights.resolve(), blocks, widths=WIDTHS, header_rows=(1, 1))
    printing.setup_sheet_for_print(sheet, widths=WIDTHS, header_rows=(1, 1), breaks=breaks)
    book.close()
    return buffer.getvalue()
