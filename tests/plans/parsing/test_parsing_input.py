"""Input handling: encodings, binary content, bad .docx, empty and non-plan files."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_file, parse_plan_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
KEYS = {"title", "period", "leading_group", "goals", "tasks", "recurring", "source"}


def plan(name: str) -> str:
    return (PLANS_DIR / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("data", [b"", b"   \n\t \r\n", "\ufeff".encode()])
def test_empty_files(data):
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_plan_bytes(data, "plan.txt")


def test_empty_text():
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_plan_text("  \n ")


def test_png_header_with_random_bytes():
    rng = random.Random(1)
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(PlanParseError, match="无法识别的文件内容"):
        parse_plan_bytes(data, "plan.txt")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_without_nul(seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(1, 256) for _ in range(3000))
    with pytest.raises(PlanParseError, match="无法识别的文件内容"):
        parse_plan_bytes(data)


def test_pdf_and_old_office_files():
    with pytest.raises(PlanParseError, match="PDF"):
        parse_plan_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
    with pytest.raises(PlanParseError, match=r"\.doc"):
        parse_plan_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_zip_that_is_not_a_word_file():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PlanParseError, match="不是有效的Word文件"):
        parse_plan_bytes(buffer.getvalue(), "plan.docx")


def test_corrupt_docx():
    with pytest.raises(PlanParseError, match="不是有效的Word文件"):
        parse_plan_bytes(b"PK\x03\x04" + b"garbage" * 50, "plan.docx")


def test_docx_with_broken_document_xml():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")
    with pytest.raises(PlanParseError, match="不是有效的Word文件"):
        parse_plan_bytes(buffer.getvalue())


@pytest.mark.parametrize("name", ["commerce", "ecology", "civil-defense"])
def test_gb18030_equals_utf8(name):
    text = plan(name)
    assert parse_plan_bytes(text.encode("gb18030")) == parse_plan_bytes(text.encode("utf-8"))


def test_utf8_bom_utf16_and_crlf_are_equivalent():
    text = plan("road-traffic")
    expected = parse_plan_bytes(text.encode("utf-8"))
    assert parse_plan_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == expected
    assert parse_plan_bytes(text.encode("utf-16")) == expected
    assert parse_plan_bytes(text.replace("\n", "\r\n").encode("utf-8")) == expected


def test_undecodable_text():
    with pytest.raises(PlanParseError, match="无法识别的文件内容"):
        parse_plan_bytes("安全生产".encode()[:-1] + b"\xff\xfe\xfd" * 3 + b"\x81")


@pytest.mark.parametrize(
    "text",
    [
        "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n",
        "静夜思\n李白\n床前明月光\n疑是地上霜\n",
        "今天天气很好，我们去公园散步，看见很多人在跳舞。2024年底前，公园会重新装修。",
        "Hello world. This is not a plan at all.",
        "一、\n（一）\n1.\n",
        "附件\n附件1\n",
    ],
)
def test_non_plan_text_is_an_empty_valid_result(text):
    result = parse_plan_text(text)
    assert set(result) == KEYS
    assert result["tasks"] == []
    assert result["leading_group"]["members"] == []


def test_parse_plan_file(tmp_path):
    path = tmp_path / "方案.txt"
    path.write_text(plan("economy"), encoding="gb18030")
    assert len(parse_plan_file(path)["tasks"]) == 3
    assert parse_plan_file(str(path)) == parse_plan_file(path)


def test_text_with_nul_is_refused():
    with pytest.raises(PlanParseError):
        parse_plan_text("一、主要任务\x00\x00")


def test_plan_parse_error_is_a_value_error():
    assert issubclass(PlanParseError, ValueError)
