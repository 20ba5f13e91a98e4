"""Every app has the same layout (docs/architecture.md, "How to add an app").

A new maintainer finds an app's rules in ``access.py`` (opening with them in
words), its reads in ``selectors.py`` and its state changes in ``services``;
pages in ``views.py``/``urls.py``/``templates/<app>/``; Excel columns in
``tabular.py``; a state machine in ``workflow.py`` on ``core.workflow``.
(That no app compares organization paths itself: tests/org.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "zhiben"

# The domain apps (everything but the kit and the wiring: core, api, web, config).
APPS = [
    "audit",
    "org",
    "accounts",
    "files",
    "notify",
    "delivery",
    "imports",
    "registry",
    "hazards",
    "inspections",
    "plans",
    "tips",
    "transport",
    "traffic",
    "construction",
    "civildefence",
]
REQUIRED = ("apps", "models", "access", "selectors", "services")
# Apps whose views.py holds helpers for other apps' pages, with no URLs of their own.
VIEW_HELPERS_ONLY = {
    "files": "serve_file/content_disposition: files are served through the page of the record they belong to"
}
# Names that belong to the old layout and must not come back.
RETIRED = ("xlsx.py", "views_xlsx.py", "urls_xlsx.py", "xlsxstream.py")


def _has_module(app: Path, name: str) -> bool:
    return (app / f"{name}.py").is_file() or (app / name / "__init__.py").is_file()


@pytest.mark.parametrize("app", APPS)
def test_app_has_the_common_modules(app):
    folder = PACKAGE / app
    missing = [name for name in REQUIRED if not _has_module(folder, name)]
    assert not missing, f"{app} lacks {missing}"
    if _has_module(folder, "views") and app not in VIEW_HELPERS_ONLY:
        assert _has_module(folder, "urls"), f"{app} has pages but no urls.py"
        assert not (folder / "templates").exists() or (folder / "templates" / app).is_dir(), (
            f"{app}'s templates belong in templates/{app}/"
        )


@pytest.mark.parametrize("app", APPS)
def test_access_module_opens_with_its_rules(app):
    source = (PACKAGE / app / "access.py").read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    assert len(doc) >= 80, f"{app}/access.py must open with its access rules in words"


def test_no_retired_module_names():
    found = [str(p.relative_to(PACKAGE)) for name in RETIRED for p in PACKAGE.rglob(name)]
    assert not found, f"use core/tabular and <app>/tabular.py instead of {found}"
