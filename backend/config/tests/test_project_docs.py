"""README.md and docs/*.md: every link resolves inside the repository, and the README stays short.

A newcomer follows these links first; a moved file or a renamed heading must fail here, not in
their hands. References outside the repository (`../shared/...`, another host) are refused: the
docs must hold, or say how to point at, whatever they need.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings

ROOT: Path = settings.PROJECT_DIR
README = ROOT / "README.md"
DOCS = sorted([README, *(ROOT / "docs").glob("*.md")])
README_MAX_LINES = 260
# The service a reader runs locally is the only host a link may name.
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|<(https?://[^>\s]+)>")
_PARENT_PATH = re.compile(r"(?<![\w./])\.\./[\w./-]+")


def _prose(path: Path) -> str:
    """The file without its fenced code blocks (shell comments there are not headings)."""
    return _FENCE.sub("", path.read_text())


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*$", _prose(path), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def _inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def _link_problem(source: Path, target: str) -> str | None:
    parts = urlsplit(target)
    if parts.scheme in {"http", "https"}:
        return None if parts.hostname in LOCAL_HOSTS else "a link outside the repository"
    if parts.scheme:
        return f"a {parts.scheme}: link"
    path = (source.parent / unquote(parts.path)) if parts.path else source
    if not _inside(path):
        return "a path outside the repository"
    if not path.exists():
        return "no such file"
    if parts.fragment and path.suffix == ".md" and parts.fragment not in _anchors(path):
        return f"no heading #{parts.fragment} in {path.resolve().relative_to(ROOT)}"
    return None


def test_the_docs_exist() -> None:
    assert README in DOCS
    assert len(DOCS) > 1, "docs/*.md is empty"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(doc: Path) -> None:
    problems = []
    for match in _LINK.finditer(_prose(doc)):
        target = match.group(1) or match.group(2)
        if problem := _link_problem(doc, target):
            problems.append(f"{target}: {problem}")
    assert problems == [], f"{doc.relative_to(ROOT)}: {problems}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_path_leaves_the_repository(doc: Path) -> None:
    # Code blocks included: a command that reads ../shared/... fails on a fresh clone.
    escaping = [
        found for found in _PARENT_PATH.findall(doc.read_text()) if not _inside(doc.parent / found)
    ]
    assert escaping == [], f"{doc.relative_to(ROOT)} names paths outside the repository: {escaping}"


def test_the_readme_stays_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move detail into docs/"
