"""docs/civildefence.md shows the workflow table as declared in workflow.py."""

from pathlib import Path

from zhiben.civildefence.workflow import WORKFLOW

DOC = Path(__file__).resolve().parents[2] / "docs" / "civildefence.md"


def test_the_doc_shows_the_declared_transition_table():
    assert WORKFLOW.markdown_table() in DOC.read_text(encoding="utf-8")
