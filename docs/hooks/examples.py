"""The code blocks of a Markdown document, and how to run one (used by the docs build and the tests).

Every ```python and ```bash block runs in a fresh subprocess whose working directory is a
temporary folder, with the checkout first on ``PYTHONPATH`` and the running interpreter first on
``PATH`` (so ``python`` is that interpreter).  Python blocks start from :data:`PRELUDE`
(``import gymnasium``, ``import gymnasium as gym``, ``import numpy as np``, ``import rl_envs``), as the pages' examples
assume.

HTML comments on the lines right before a block's fence change how it runs:

* ``<!-- test: replace OLD => NEW -->`` substitutes a short budget (the block must contain OLD);
* ``<!-- test: requires COMMAND -->`` skips the block, with the reason, while COMMAND fails;
* ``<!-- test: skip REASON -->`` never runs it (long runs such as ``make run``, interactive
  windows).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRELUDE = "import gymnasium\nimport gymnasium as gym\nimport numpy as np\nimport rl_envs\n"
TIMEOUT = 300  # seconds per block: a guard against a hang; the budgets make each a few seconds
MARKER = re.compile(r"^<!-- test: (replace|requires|skip)\b\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass
class Block:
    document: str  # a name for messages: a path, or a page of the site
    line: int
    language: str
    code: str
    replace: list[tuple[str, str]] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def name(self) -> str:
        return f"{self.document}:{self.line}:{self.language}"

    @property
    def source(self) -> str:
        """The code as it runs: the replacements made, the prelude before Python."""
        code = self.code
        for old, new in self.replace:
            code = code.replace(old, new)
        return PRELUDE + code if self.language == "python" else code


def blocks_of(text: str, document: str) -> list[Block]:
    """The python and bash blocks of Markdown ``text``, with the markers right above each."""
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i].strip())
        if not fence:
            i += 1
            continue
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```")), None)
        if end is None:
            raise ValueError(f"{document}:{i + 1}: a code block is never closed")
        if fence.group(1) in ("python", "bash"):
            body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]]
            block = Block(document, i + 1, fence.group(1), "\n".join(body) + "\n")
            k = i - 1
            while k >= 0 and (m := MARKER.match(lines[k].strip())):
                kind, arg = m.groups()
                if kind == "replace":
                    old, sep, new = arg.partition(" => ")
                    if not sep:
                        raise ValueError(f"{document}:{k + 1}: replace needs 'OLD => NEW', got {arg!r}")
                    if old not in block.code:
                        raise ValueError(f"{document}:{k + 1}: replace target {old!r} is not in the block below")
                    block.replace.append((old, new))
                elif kind == "requires":
                    block.requires.append(arg)
                else:
                    if not arg:
                        raise ValueError(f"{document}:{k + 1}: a skip needs a reason")
                    block.skip = arg
                k -= 1
            out.append(block)
        i = end + 1
    return out


def environment() -> dict:
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        SDL_VIDEODRIVER="dummy",
        SDL_AUDIODRIVER="dummy",
        MPLBACKEND="Agg",
    )


def _run(command: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, text=True, env=environment(), timeout=TIMEOUT
    )


def run(block: Block, cwd: Path | None = None) -> tuple[str, str]:
    """Run ``block``: ``("passed", "")``, ``("skipped", reason)`` or ``("failed", what went wrong)``."""
    if block.skip:
        return "skipped", block.skip
    with tempfile.TemporaryDirectory(prefix="rl_envs_example_") as tmp:
        where = cwd or Path(tmp)
        for command in block.requires:
            if _run(["bash", "-c", command], where).returncode != 0:
                return "skipped", f"needs `{command}`, which fails in this checkout"
        if block.language == "python":
            command = [sys.executable, "-"]
        else:
            command = ["bash", "-e", "-o", "pipefail", "-c", block.source]
        try:
            result = _run(command, where, block.source if block.language == "python" else None)
        except subprocess.TimeoutExpired:
            return "failed", f"{block.name} ran longer than {TIMEOUT} s"
    if result.returncode != 0:
        return "failed", f"{block.name} failed:\n{block.source}\n--- stderr ---\n{result.stderr[-3000:]}"
    return "passed", ""
