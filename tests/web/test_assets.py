"""Air-gapped: no template or static file references an external asset."""

from __future__ import annotations

import re
from pathlib import Path

import zhiben

PACKAGE = Path(zhiben.__file__).parent
# An asset reference: src=/href= attributes, CSS url() and @import, JS import().
EXTERNAL_ASSET = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import\s+(?:url\()?\s*["']?(?:https?:)?//)""",
    re.IGNORECASE,
)


def _files(suffixes: tuple[str, ...]):
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix in suffixes:
            yield path


def test_pattern_catches_external_references():
    for bad in [
        '<script src="https://cdn.example.com/x.js">',
        "<link href='//fonts.example.com/a.css'>",
        "background: url(https://x/y.png)",
        '@import "https://x/y.css";',
        "@import url(//x/y.css);",
    ]:
        assert EXTERNAL_ASSET.search(bad), bad
    for good in ['<script src="/static/x.js">', 'xmlns="http://www.w3.org/2000/svg"', "url(data:image/svg+xml,abc)"]:
        assert not EXTERNAL_ASSET.search(good), good


def test_templates_reference_no_external_assets():
    offenders = [str(p) for p in _files((".html", ".txt")) if EXTERNAL_ASSET.search(p.read_text("utf-8"))]
    assert offenders == []


def test_static_files_reference_no_external_assets():
    offenders = []
    for path in _files((".css", ".js", ".html", ".svg")):
        text = path.read_text("utf-8", errors="replace")
        if EXTERNAL_ASSET.search(text):
            offenders.append(str(path))
    assert offenders == []


def test_every_static_reference_in_templates_exists():
    from django.contrib.staticfiles import finders

    missing = []
    for path in _files((".html",)):
        for ref in re.findall(r"""{%\s*static\s+['"]([^'"]+)['"]""", path.read_text("utf-8")):
            if finders.find(ref) is None:
                missing.append(f"{path.name}: {ref}")
    assert missing == []
