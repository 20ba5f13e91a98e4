"""Dependencies point one way (docs/architecture.md, "Dependency order").

Reads every module under ``src/zhiben`` (migrations aside) with ``ast`` — imports
inside functions and under ``TYPE_CHECKING`` included — and checks that

* no two modules import each other, directly or round a longer loop;
* no app imports an app above it in the documented order, except that an app's
  page and API modules may use the shared UI/API kit of ``web`` and ``api``.

``ALLOWED`` lists the arrows that still run the wrong way, each with its reason;
a new one fails here. Remove an entry when its arrow is gone (a stale entry fails too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "zhiben"

# Lowest first; an app may import only apps on its own level or below. Apps on the
# same level (a set) must not import each other. Keep in step with docs/architecture.md.
ORDER: list[set[str]] = [
    {"core"},
    {"audit"},
    {"org"},
    {"accounts"},
    {"files"},
    {"notify"},
    {"delivery"},
    {"imports"},
    {"registry"},
    {"hazards"},
    {"inspections", "plans", "tips"},
    # The sector registers: they use sites, hazards, checklists and register indicator rules.
    {"transport", "traffic", "construction", "civildefence"},
    {"api"},
    {"web"},
    # The project's wiring: settings and URLs, the command line, the package itself.
    {"config"},
    {"cli"},
    {"__main__", "zhiben"},
]

# The shared kit every app's pages and API use, though web and api sit at the top
# (they also mount every app). Prefixes: a module or a package.
KIT = (
    "zhiben.api.base",
    "zhiben.api.idempotency",
    "zhiben.api.workflow",
    "zhiben.web.toolkit",
    "zhiben.web.widgets",
    "zhiben.web.navigation",
    "zhiben.web.access",
)

# Only these modules of an app (its surface) may use the kit; models, services,
# selectors, access rules … never do.
SURFACE_NAMES = {"api", "apps", "forms", "filters", "urls", "views"}
SURFACE_PREFIXES = ("views_", "urls_")
SURFACE_PACKAGES = {"templatetags", "management"}

# (importing module, imported module): why it is still allowed. Fix, then delete the line.
ALLOWED: dict[tuple[str, str], str] = {
    # The xlsx modules are being replaced by one tabular layer (issue 10, item 1); not touched meanwhile.
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module (or package) of ours that ``name`` points into."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name: str, path: Path) -> set[str]:
    """Every zhiben module ``name`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import submodule`` imports the submodule; ``from mod import name`` the module.
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == "zhiben" or target.startswith("zhiben."):
                resolved = _resolve(target)
                if resolved and resolved != name:
                    found.add(resolved)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "zhiben"


LEVEL = {app: level for level, apps in enumerate(ORDER) for app in apps}


def _in_kit(module: str) -> bool:
    return any(module == kit or module.startswith(f"{kit}.") for kit in KIT)


def _is_surface(module: str) -> bool:
    parts = module.split(".")[2:]
    if not parts:
        return False
    return parts[0] in SURFACE_PACKAGES or parts[-1] in SURFACE_NAMES or parts[-1].startswith(SURFACE_PREFIXES)


def _cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    allowed = {(source, target) for source, target in ALLOWED}
    graph = {name: sorted(t for t in targets if (name, t) not in allowed) for name, targets in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _upward() -> list[str]:
    wrong = []
    for module, targets in sorted(GRAPH.items()):
        for target in sorted(targets):
            if (module, target) in ALLOWED:
                continue
            source_app, target_app = _app(module), _app(target)
            if source_app == target_app:
                continue
            if _in_kit(target):
                if not _is_surface(module) and LEVEL[target_app] > LEVEL[source_app]:
                    wrong.append(f"{module} -> {target} (the web/api kit is for pages and API modules only)")
                continue
            if LEVEL[target_app] >= LEVEL[source_app]:
                wrong.append(f"{module} -> {target} ({source_app} may not import {target_app})")
    return wrong


def test_every_app_has_a_place_in_the_order():
    assert {_app(module) for module in MODULES} - set(LEVEL) == set()


def test_no_import_cycles():
    assert _cycles() == []


def test_no_app_imports_an_app_above_it():
    assert _upward() == []


def test_every_allowed_arrow_still_exists():
    stale = [pair for pair in ALLOWED if pair[1] not in GRAPH.get(pair[0], set())]
    assert stale == [], "remove these from ALLOWED: the import is gone"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import zhiben.org.models\n", {"zhiben.org.models"}),
        ("def f():\n    from zhiben.org import models\n", {"zhiben.org.models"}),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from zhiben.org.models import User\n",
            {"zhiben.org.models"},
        ),
        ("from ..org.models import User\n", {"zhiben.org.models"}),
        ("from .scoping import ScopeSpec\n", {"zhiben.core.scoping"}),
    ],
)
def test_the_reader_sees_every_kind_of_import(tmp_path, source, expected):
    """The checks above are only as good as the reader: lazy, typing-only and relative imports count."""
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert _imports("zhiben.core.probe", path) == expected


def test_an_upward_import_is_caught(monkeypatch):
    monkeypatch.setitem(GRAPH, "zhiben.core.probe", {"zhiben.org.models"})
    assert _upward() == ["zhiben.core.probe -> zhiben.org.models (core may not import org)"]


def test_a_cycle_is_caught(monkeypatch):
    monkeypatch.setitem(GRAPH, "zhiben.core.errors", GRAPH["zhiben.core.errors"] | {"zhiben.core.services"})
    assert ["zhiben.core.errors", "zhiben.core.services"] in _cycles()
