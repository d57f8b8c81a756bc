"""The product's documentation is in the repository: README and docs/ link only to files in
it (and to headings that exist), never to a DESIGN.md elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "deploy" / "SCALING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_docs_cover_the_design_and_the_metrics():
    design = (ROOT / "docs" / "design.md").read_text()
    metrics = (ROOT / "docs" / "metrics.md").read_text()
    assert "## Data model" in design and "rollups" in design
    for exact in ("1.959963984540054", "Wilson", "Rocks", "Bonett", "Krippendorff", "(n + m)"):
        assert exact in metrics


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_stays_in_the_repository_and_resolves(page):
    text = page.read_text(encoding="utf-8")
    assert "DESIGN.md" not in text and "shared/" not in text
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"
        if anchor:
            assert anchor in _anchors(resolved), f"{page.name}: no heading #{anchor}"


def test_the_code_cites_the_docs_not_a_design_file_outside_the_repository():
    cited = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "services").rglob("*.py"))
        if "DESIGN.md" in path.read_text(encoding="utf-8")
    ]
    assert cited == []
