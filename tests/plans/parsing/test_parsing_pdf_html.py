"""PDF and saved web pages: the same plan as the .txt gives the same result.

The PDFs are made here from the sample plans with LibreOffice (as the print
checks do: skipped without it, a failure in CI); the web pages wrap a plan in
the noise of a government site (navigation, breadcrumbs, scripts, sidebars,
footer) in GBK and UTF-8.
"""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from zhiben.core import printing
from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_text, pdf_reader
from zhiben.plans.parsing.blocks import Table, blocks_from_text
from zhiben.plans.parsing.html_reader import looks_like_html
from zhiben.plans.parsing.textnorm import normalize_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"


def plan(name: str) -> str:
    return (PLANS_DIR / f"{name}.txt").read_text(encoding="utf-8")


def without_source(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "source"}


# --- PDF ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_pdfs():
    """Skip without LibreOffice, unless ZHIBEN_REQUIRE_BROWSER=1 (CI): then fail."""
    if printing.soffice_path() is None:
        if os.environ.get("ZHIBEN_REQUIRE_BROWSER") == "1":
            pytest.fail("找不到 LibreOffice（soffice）：请先 apt-get install -y libreoffice-writer-nogui")
        pytest.skip("not installed: soffice")
    return {name: printing.convert_to_pdf(plan(name).encode("utf-8"), ".txt") for name in ("health", "road-traffic")}


@pytest.mark.parametrize("name", ["health", "road-traffic"])
def test_a_pdf_export_reads_like_the_text(plan_pdfs, name):
    pdf = plan_pdfs[name]
    assert pdf.startswith(b"%PDF")
    from_pdf = parse_plan_bytes(pdf, f"{name}.pdf")
    from_text = parse_plan_text(plan(name))
    assert without_source(from_pdf) == without_source(from_text)
    assert parse_plan_bytes(pdf, "upload.bin") == from_pdf  # detected by content


def _image_pdf(pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    images = [Image.new("RGB", (595, 842), (250, 250, 250)) for _ in range(pages)]
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def test_a_scanned_pdf_is_refused_with_a_clear_message():
    with pytest.raises(PlanParseError, match=r"该 PDF 没有文字层（可能是扫描件）"):
        parse_plan_bytes(_image_pdf(2), "scan.pdf")


def test_a_pdf_with_too_many_pages_is_refused_before_reading_them(monkeypatch):
    writer = PdfWriter()
    for _ in range(pdf_reader.MAX_PAGES + 1):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(PlanParseError, match=rf"共 {pdf_reader.MAX_PAGES + 1} 页，超过方案文件的上限"):
        parse_plan_bytes(buffer.getvalue(), "big.pdf")


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(PlanParseError, match="密码"):
        parse_plan_bytes(buffer.getvalue(), "locked.pdf")


def test_a_broken_pdf_is_refused():
    with pytest.raises(PlanParseError, match="无法读取该 PDF"):
        parse_plan_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\ntrailer garbage", "x.pdf")


def test_visual_lines_become_paragraphs():
    full = "一" * 40
    lines = [
        "方案标题",  # short: its own paragraph
        "1.任务一" + "二" * 36,  # full width: runs on
        "续行。",
        full[:-1] + "。",
        "2.下一项以标签开头",  # a label after a finished sentence starts a paragraph
        "二" * 39 + "统",
        "一、协调推进",  # "统一、协调" wrapped: not a heading
        "组长：张三",
        "- 3 -",
    ]
    cleaned = pdf_reader._clean_lines("\n".join(lines))
    assert "- 3 -" not in cleaned
    assert pdf_reader.join_lines(cleaned) == [
        "方案标题",
        "1.任务一" + "二" * 36 + "续行。",
        full[:-1] + "。",
        "2.下一项以标签开头",
        "二" * 39 + "统一、协调推进",
        "组长：张三",
    ]


def test_spaces_between_chinese_and_digits_are_removed():
    assert pdf_reader.join_lines(["到2024 年底前，培树 2-3 家 示范单位 A B"]) == ["到2024年底前，培树2-3家示范单位A B"]


# --- HTML --------------------------------------------------------------------

NAV = """
<div class="header"><div class="logo">上海市虹口区人民政府</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zw">政务公开</a></li><li><a href="/bs">办事服务</a></li>
<li><a href="/hd">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zw">政务公开</a> &gt; 通知公告</div>
"""
SIDEBAR = """<div class="sidebar"><h3>相关文章</h3><ul><li><a href="/a">关于开展安全生产月活动的通知</a></li>
<li><a href="/b">2024年第一季度安全生产形势分析</a></li></ul></div>"""
FOOTER = """<div id="footer"><p>版权所有：上海市虹口区人民政府 地址：飞虹路518号 邮编：200080</p>
<p>沪ICP备12345678号 网站标识码3101090001</p></div>"""
SCRIPT = """<script>var title = "每月报送一次 区公安分局牵头";document.write("<p>2025年底前完成</p>");</script>
<style>.TRS_Editor p { text-indent: 2em; }</style>"""


def _body(text: str) -> str:
    """One <p> per paragraph; tables as <table> with <br> between a cell's lines."""
    out: list[str] = []
    for block in blocks_from_text(normalize_text(text)):
        if isinstance(block, Table):
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(cell).replace(chr(10), '<br/>')}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            out.append(f"<table border='1'><tbody>{rows}</tbody></table>")
        else:
            out.append(f"<p style='text-indent:2em'>{html.escape(block.text)}</p>")
    return "\n".join(out)


def saved_page(name: str, charset: str, *, title_in_body: bool = False) -> str:
    """The plan as a government site shows it: the title a heading above the
    body (which repeats it or not)."""
    text = plan(name)
    lines = text.split("\n")
    title = lines[0].strip()
    if not title.endswith(("）", ")", "方案")):  # the title is split over two lines
        second = 1 if lines[1].strip() else 2
        title += lines[second].strip()
        lines = lines[second:]
    if not title_in_body:
        text = "\n".join(lines[1:])
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_上海市虹口区人民政府</title>{SCRIPT}</head>
<body>{NAV}
<div class="main"><div class="article-title"><h1>{html.escape(title)}</h1>
<div class="info">发布日期：2024-05-10 来源：区应急局 <a href="javascript:window.print()">打印</a></div></div>
<div class="TRS_Editor">{_body(text)}</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
</div>{SIDEBAR}{FOOTER}{SCRIPT}</body></html>"""


@pytest.mark.parametrize("name", ["health", "greening", "ecology", "commerce"])
def test_a_saved_gbk_page_reads_like_the_text(name):
    data = saved_page(name, "gb2312").encode("gb18030")
    from_page = parse_plan_bytes(data, f"{name}.htm")
    assert without_source(from_page) == without_source(parse_plan_text(plan(name)))


def test_a_utf8_page_is_detected_by_its_content():
    data = saved_page("civil-defense", "utf-8", title_in_body=True).encode("utf-8")
    assert without_source(parse_plan_bytes(data, "upload.bin")) == without_source(
        parse_plan_text(plan("civil-defense"))
    )


def test_a_page_without_a_charset_is_sniffed_as_gb18030():
    page = saved_page("economy", "gbk", title_in_body=True).replace(
        '<meta http-equiv="Content-Type" content="text/html; charset=gbk">', ""
    )
    assert "charset" not in page
    result = parse_plan_bytes(page.encode("gb18030"), "economy.html")
    assert without_source(result) == without_source(parse_plan_text(plan("economy")))


def test_html_detection():
    assert looks_like_html(b"\xef\xbb\xbf<!doctype html><html>")
    assert looks_like_html(b"  <?xml version='1.0'?>\n<!-- saved --><html xmlns='x'>")
    assert looks_like_html(b"<div><p>\xe6\x96\xb9\xe6\xa1\x88</p></div>", "plan.HTM")
    assert not looks_like_html(b"<div><p>x</p></div>", "plan.txt")
    assert not looks_like_html("一、总体要求 <html>".encode())


def test_a_page_without_text_is_refused():
    with pytest.raises(PlanParseError, match="没有找到正文"):
        parse_plan_bytes(b"<html><body><div class='nav'><a href='/'>Home</a></div><script>x()</script></body></html>")


def test_nav_and_footer_text_do_not_reach_the_plan():
    result = parse_plan_bytes(saved_page("health", "utf-8").encode("utf-8"), "health.html")
    everything = str(result)
    for noise in ("当前位置", "版权所有", "相关文章", "分享到", "办事服务", "document.write", "发布日期"):
        assert noise not in everything, noise


def test_merged_cells_of_a_page_table_are_padded_like_a_docx():
    from zhiben.plans.parsing.decoding import decode_text
    from zhiben.plans.parsing.html_reader import read_html_blocks

    page = """<html><body><div class="content"><p>附件：任务分解表</p><table>
    <thead><tr><th>序号</th><th>主要任务</th><th>完成时间</th></tr></thead>
    <tbody><tr><td rowspan="2">1</td><td>排查<br>整治</td><td>2024年底前</td></tr>
    <tr><td colspan="2">建立长效机制</td></tr></tbody></table><p>以上请遵照执行。</p></div></body></html>"""
    blocks = read_html_blocks(page.encode("utf-8"), decode_text)
    assert [type(b).__name__ for b in blocks] == ["Paragraph", "Table", "Paragraph"]
    assert blocks[1].rows == (
        ("序号", "主要任务", "完成时间"),
        ("1", "排查\n整治", "2024年底前"),
        ("", "建立长效机制", ""),
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    from zhiben.plans.parsing.decoding import MAX_BYTES

    with pytest.raises(PlanParseError, match=r"文件过大（20\.0 MB），方案文件最大 20 MB"):
        parse_plan_bytes(b"%PDF-1.7\n" + b" " * MAX_BYTES, "huge.pdf")
