"""Every reference in the repository's text files points at something a reader of the repository has.

Citations name a paper (authors, year, section) or a page under ``docs/``.  Two kinds of
reference are refused: a path to a repository file that does not exist, and pointers to
material that never shipped with the repository (research notes, numbered source documents).
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".ini"}
TEXT_NAMES = {"Makefile", "run"}  # run: .ci/run
CHECKED_EXTENSIONS = "md|py|yml|yaml|toml|txt|png|gif|json|csv|npz|pomdp"

# Pointers to documents outside the repository.  Built from pieces so that this file does not
# match itself.
OUTSIDE = [
    (re.compile(r"\bresearch" + r"/"), "a research note outside the repository"),
    (re.compile(r"\.\./" + r"shared"), "a path outside the repository"),
    (re.compile(r"\bseeds? 0\d\d\b", re.IGNORECASE), "a numbered source document"),
    (re.compile(r"\bseeds? 0\d\d's\b", re.IGNORECASE), "a numbered source document"),
    (re.compile(r"\(0\d\d(?:, 0\d\d)*\)"), "a numbered source document"),
]
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# a/b/c.ext with at least one directory; placeholders (<algo>, {x}, *) are not paths
PATH = re.compile(r"(?<![\w./<{*-])((?:[\w.-]+/)+[\w.-]+\.(?:" + CHECKED_EXTENSIONS + r"))\b")
# The research notes the project was first written from, cited by bare name ("pomdp.md §3").
# Other bare names are mostly files the code writes (table.md, summary.md), so only these are refused.
NOTES = re.compile(r"(?<![\w./-])(?:octopus|octopus-speed|papers|pomdp|doya|ecosystem)\.md\b")
# Directories that the code writes into (outputs, not repository files).
OUTPUT_DIRS = ("results/", "zoo_logs/", "logs/", "curves/", "gifs/", "cells/", "aggregate/")


def generated_pages() -> set[Path]:
    """The site's pages that the docs build writes from the code (docs/hooks/site.py): one per env."""
    import rl_envs

    return {ROOT / "docs" / "envs" / f"{env_id.split('/')[1].split('-v')[0]}.md" for env_id in rl_envs.ENV_IDS}


def published() -> list[str]:
    """What docs/publish_tables.py copies (runs' files under results/) and where to (under docs/):
    outputs, which the publish step skips and reports while no run has written them, so only a
    page that links one needs it to exist."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("publish_tables", ROOT / "docs" / "publish_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [name for source, (target, _) in module.PUBLISHED.items() for name in (source, target)]


def exists(path: str, where: Path) -> bool:
    """A path names a repository file: from the root, beside the file that names it, or, in
    mkdocs.yml and the site's files (nav entries, included snippets), under docs/; a page the
    docs build writes counts as existing, and so does, in the publish script, (the end of) a
    file it publishes."""
    if where == ROOT / "docs" / "publish_tables.py" and any(f"/{name}".endswith(f"/{path}") for name in published()):
        return True
    site = where.name == "mkdocs.yml" or where.is_relative_to(ROOT / "docs")
    bases = [ROOT, where.parent] + ([ROOT / "docs"] if site else [])
    return any((base / path).exists() or (base / path).resolve() in generated_pages() for base in bases)


def tracked_text_files() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the references are checked on the source tree")
    files = [ROOT / n for n in names]
    return [f for f in files if f.is_file() and (f.suffix in TEXT_SUFFIXES or f.name in TEXT_NAMES)]


def problems(text: str, where: Path = ROOT / "README.md") -> list[str]:
    """What is wrong with the references in ``text`` (a file at ``where``)."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, why in OUTSIDE:
            for m in pattern.finditer(line):
                found.append(f"line {number}: {m.group(0)!r} is {why}")
        line = URL.sub("", line)
        for m in PATH.finditer(line):
            path = m.group(1)
            if path.startswith(OUTPUT_DIRS):
                continue
            if not exists(path, where):
                found.append(f"line {number}: {path!r} does not exist in the repository")
        for m in NOTES.finditer(line):
            found.append(f"line {number}: {m.group(0)!r} is a research note outside the repository")
    return found


def test_the_checker_catches_what_it_should():
    assert problems("as read in " + "research" + "/octopus.md §7")
    assert problems("see ../" + "shared/seeds/000.txt")
    assert problems("the rule of seed 000") and problems("Seed 004's TD error") and problems("seeds 000, 001")
    assert problems("| `QLearning` | TD control (000) |") and problems("REINFORCE (000, 003)")
    assert problems("specified in docs/no-such-page.md") and problems("--conf-file baselines/hyperparams/x.yml")
    assert problems("the reproduction in pomdp" + ".md") and problems("(octopus" + ".md §2)")


def test_the_checker_accepts_real_references():
    assert not problems("docs/octopus-physics.md §4, experiments/dpg_bandit.py, baselines/hyperparams/sac.yml")
    assert not problems("[pages](references.md), docs/pomdp-mazes.md §4", ROOT / "docs" / "pomdp-mazes.md")
    assert not problems("seed=0; seeds 100-104; 10_000 steps; seed 3; (1000 rollouts) (0.1, 1.0)")
    assert not problems("writes results/dpg_bandit/fig1.png; baselines/hyperparams/<algo>.yml; https://x.org/a/b.md")
    assert not problems("[the maze](../envs/GridMaze.md)", ROOT / "docs" / "guides" / "x.md")
    assert problems("[no page](../envs/NoSuchEnv.md)", ROOT / "docs" / "guides" / "x.md")
    assert not problems("- agents/tabular.md", ROOT / "mkdocs.yml") and problems("- agents/tabular.md")


def test_every_reference_in_the_repository_resolves():
    here = Path(__file__).resolve()
    report = []
    for path in tracked_text_files():
        if path == here:
            continue
        report += [f"{path.relative_to(ROOT)}: {p}" for p in problems(path.read_text(encoding="utf-8"), path)]
    assert not report, "\n".join(report)
