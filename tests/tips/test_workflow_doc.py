"""docs/tips-workflow.md is drawn from the table in tips/workflow.py (on the
engine in zhiben.core.workflow) and kept in sync here, like the hazards one."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhiben.tips import workflow
from zhiben.tips.management.commands.tips import workflow_doc

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_workflow_doc_is_generated_from_the_table():
    doc = (DOCS / "tips-workflow.md").read_text("utf-8")
    assert doc == workflow_doc(), "run: zhiben tips workflow-doc"
    assert workflow.mermaid() in doc and workflow.markdown_table() in doc
    assert workflow.markdown_table() in (DOCS / "tips.md").read_text("utf-8")


def test_workflow_doc_check_command(settings, tmp_path):
    settings.PROJECT_DIR = tmp_path
    (tmp_path / "docs").mkdir()
    with pytest.raises(CommandError):
        call_command("tips", "workflow-doc", "--check")
    call_command("tips", "workflow-doc")
    call_command("tips", "workflow-doc", "--check")
    assert (tmp_path / "docs" / "tips-workflow.md").read_text("utf-8") == workflow_doc()


def test_the_table_draws_every_transition_and_state():
    diagram = workflow.mermaid()
    for t in workflow.TRANSITION_LIST:
        for source in t.sources:
            assert f"{source} --> {t.target}: {t.label}" in diagram
    assert "previous" not in diagram  # no transition returns to the state before
