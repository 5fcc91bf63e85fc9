"""Every ```python and ```bash block of README.md runs, so an example cannot rot.

The rules and the ``<!-- test: replace/requires/skip -->`` markers are those of
``docs/hooks/examples.py``, which the docs build uses for the blocks of every page of the site
(``tests/test_docs.py`` runs that build); here the README's blocks run, and every Markdown file
under ``docs/`` must at least parse (well-formed markers, closed fences).  Skips show in pytest's
summary (``-rs``) with their reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "hooks"))

import examples  # noqa: E402 - found through the sys.path line above

README = ROOT / "README.md"
BLOCKS = examples.blocks_of(README.read_text(encoding="utf-8"), "README.md")


def test_markers_are_well_formed():
    for page in sorted((ROOT / "docs").rglob("*.md")):
        examples.blocks_of(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))  # raises on a bad marker
    assert any(b.language == "python" and not b.skip for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_example_runs(block: examples.Block, tmp_path):
    status, detail = examples.run(block, cwd=tmp_path)
    if status == "skipped":
        pytest.skip(f"{block.name}: {detail}")
    assert status == "passed", detail
