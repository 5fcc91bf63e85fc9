"""Every ```python and ```bash block of README.md and docs/*.md runs, so an example cannot rot.

Each block runs in a fresh subprocess whose working directory is a temporary folder, with this
checkout first on ``PYTHONPATH`` and this interpreter first on ``PATH`` (so ``python`` is the
test's Python).  Python blocks start from ``import gymnasium as gym`` and ``import rl_envs``,
as the README's examples assume after its first one.

HTML comments on the lines right before a block's fence change how it runs:

* ``<!-- test: replace OLD => NEW -->`` substitutes a short budget (the block must contain OLD);
* ``<!-- test: requires COMMAND -->`` skips the block, with the reason, while COMMAND fails;
* ``<!-- test: skip REASON -->`` never runs it (long runs such as ``make run``, interactive
  windows).  Skips show in pytest's summary (``-rs``) with their reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PRELUDE = "import gymnasium as gym\nimport rl_envs\n"
TIMEOUT = 120  # seconds per block; the budgets make each a few seconds
MARKER = re.compile(r"^<!-- test: (replace|requires|skip)\b\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    document: Path
    line: int
    language: str
    code: str
    replace: list[tuple[str, str]] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}:{self.language}"


def blocks_of(path: Path) -> list[Block]:
    """The python and bash blocks of a Markdown file, with the markers right above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if fence.group(1) in ("python", "bash"):
            block = Block(path, i + 1, fence.group(1), "\n".join(lines[i + 1:end]) + "\n")
            k = i - 1
            while k >= 0 and (m := MARKER.match(lines[k].strip())):
                kind, arg = m.groups()
                if kind == "replace":
                    old, sep, new = arg.partition(" => ")
                    if not sep:
                        raise ValueError(f"{path.name}:{k + 1}: replace needs 'OLD => NEW', got {arg!r}")
                    block.replace.append((old, new))
                elif kind == "requires":
                    block.requires.append(arg)
                else:
                    block.skip = arg
                k -= 1
            out.append(block)
        i = end + 1
    return out


BLOCKS = [b for doc in DOCUMENTS for b in blocks_of(doc)]


def _environment() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", MPLBACKEND="Agg")
    return env


def _run(command: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=_environment(), timeout=TIMEOUT)


def test_markers_are_well_formed():
    for block in BLOCKS:
        assert block.skip is None or block.skip, f"{block.name}: a skip needs a reason"
        for old, _ in block.replace:
            assert old in block.code, f"{block.name}: replace target {old!r} is not in the block"
    assert any(b.language == "python" and not b.skip for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.name)
def test_example_runs(block: Block, tmp_path):
    if block.skip:
        pytest.skip(f"{block.name}: {block.skip}")
    for command in block.requires:
        if _run(["bash", "-c", command], tmp_path).returncode != 0:
            pytest.skip(f"{block.name}: needs `{command}`, which fails in this checkout")
    code = block.code
    for old, new in block.replace:
        code = code.replace(old, new)
    if block.language == "python":
        result = _run([sys.executable, "-"], tmp_path, PRELUDE + code)
    else:
        result = _run(["bash", "-e", "-o", "pipefail", "-c", code], tmp_path)
    assert result.returncode == 0, f"{block.name} failed:\n{code}\n--- stderr ---\n{result.stderr[-3000:]}"
