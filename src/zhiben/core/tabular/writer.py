"""The one sheet writer: a one-sheet .xlsx written row by row.

Every export of a list (hazards, units, sites …) goes through
:class:`SheetWriter`, usually via :func:`write_sheet` with the app's
:class:`~zhiben.core.tabular.columns.Column` declarations (header and width).

XlsxWriter (used for workbooks that need more: templates with dropdowns,
printed reports) spends about 10 µs of Python per cell on a slow 2-core
machine, so 100,000 hazards × 28 columns took 27–43 s against a 15 s target
(bench/RESULTS.md). This writer does only what a flat data export needs — one
sheet, a styled header row, inline strings, numbers, booleans, dates and
date-times, column widths, a frozen header and an autofilter — and builds
each row as one string. Memory stays constant: rows go straight into the
deflated ZIP member. It has no print setup (page size, repeated header rows,
row heights): printed layouts (plans' 任务分解表) stay with XlsxWriter and
core.printing.

The package is the minimal SpreadsheetML of ECMA-376 (the same parts
XlsxWriter writes for such a sheet); tests read it back with openpyxl and
the importer.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from .columns import Column

MAX_CELL_CHARS = 32767
_EPOCH = dt.date(1899, 12, 30)
_EPOCH_DT = dt.datetime(1899, 12, 30)
# Characters XML 1.0 does not allow; Excel's own escape is _xHHHH_.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Style indexes (cellXfs below).
STYLE_HEADER, STYLE_DATE, STYLE_DATETIME = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
<Override PartName="/docProps/app.xml" \
ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>\
</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>\
<Relationship Id="rId3" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" \
Target="docProps/app.xml"/>\
</Relationships>"""

_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
</Relationships>"""

_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
<Application>Zhiben</Application></Properties>"""

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FF{header_fill}"/><bgColor indexed="64"/></patternFill></fill>\
</fills>\
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>\
<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" \
applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _illegal(match: re.Match) -> str:
    return f"_x{ord(match.group()):04X}_"


def _text(value: str) -> str:
    if len(value) > MAX_CELL_CHARS:
        value = value[:MAX_CELL_CHARS]
    value = escape(value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(_illegal, value)
    return value


class SheetWriter:
    """``with SheetWriter(file, "隐患台账", headers, widths) as sheet: sheet.write_rows(rows)``.

    Cell values: ``str`` (inline string), ``int``/``float``, ``datetime.date``,
    ``datetime.datetime`` (naive, local time) and ``None``/``""`` (empty).
    """

    def __init__(
        self,
        target: str | IO[bytes],
        sheet_name: str,
        headers: Sequence[str],
        widths: Sequence[float] | None = None,
        *,
        header_fill: str = "FDECEC",
        compresslevel: int = 1,
    ) -> None:
        self.sheet_name = sheet_name
        self.columns = [column_letter(i) for i in range(len(headers))]
        self.rows = 0
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(widths or [], 1)
        )
        self._write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
        )
        self._header_fill = header_fill
        self.write_row(headers, style=STYLE_HEADER)

    def _write(self, text: str) -> None:
        self._sheet.write(text.encode("utf-8"))

    def write_row(self, values: Iterable[Any], style: int = 0) -> None:
        self.rows += 1
        self._write(self._row_xml(self.rows, values, style))

    def write_rows(self, rows: Iterable[Iterable[Any]], batch: int = 500) -> int:
        """Write many rows, encoding them in batches; returns how many."""
        buffer: list[str] = []
        written = 0
        for values in rows:
            self.rows += 1
            written += 1
            buffer.append(self._row_xml(self.rows, values, 0))
            if len(buffer) >= batch:
                self._write("".join(buffer))
                buffer.clear()
        if buffer:
            self._write("".join(buffer))
        return written

    def _row_xml(self, number: int, values: Iterable[Any], style: int) -> str:
        cells = []
        text_style = f' s="{style}"' if style else ""
        for letter, value in zip(self.columns, values, strict=False):
            if value is None or value == "":
                continue
            ref = f"{letter}{number}"
            if isinstance(value, str):
                cells.append(
                    f'<c r="{ref}"{text_style} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
                )
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, dt.datetime):
                delta = value.replace(tzinfo=None) - _EPOCH_DT
                serial = delta.days + delta.seconds / 86400
                cells.append(f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>')
            elif isinstance(value, dt.date):
                cells.append(f'<c r="{ref}" s="{STYLE_DATE}"><v>{(value - _EPOCH).days}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"{text_style}><v>{value!r}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}"{text_style} t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'
                )
        return f'<row r="{number}">{"".join(cells)}</row>'

    def close(self) -> None:
        last = f"{self.columns[-1]}{self.rows}" if self.columns else "A1"
        self._write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>')
        self._sheet.close()
        name = quoteattr(self.sheet_name)
        last_column = self.columns[-1] if self.columns else "A"
        filter_ref = escape("'" + self.sheet_name.replace("'", "''") + "'") + f"!$A$1:${last_column}${self.rows}"
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("docProps/app.xml", _APP)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._zip.writestr(
            "docProps/core.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:creator>Zhiben</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            "</cp:coreProperties>",
        )
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{filter_ref}</definedName>"
            "</definedNames></workbook>",
        )
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", _STYLES.replace("{header_fill}", self._header_fill))
        self._zip.close()

    def __enter__(self) -> SheetWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._sheet.close()
            self._zip.close()


def write_sheet(
    target: str | IO[bytes], sheet_name: str, columns: Sequence[Column], rows: Iterable[Iterable[Any]]
) -> int:
    """Write ``rows`` (one value per column, in order) under the headers and
    widths of ``columns``; returns the number of rows written."""
    headers = [c.header for c in columns]
    with SheetWriter(target, sheet_name, headers, [c.width for c in columns]) as sheet:
        return sheet.write_rows(rows)
