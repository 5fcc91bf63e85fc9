"""The check every experiment's test makes of its results folder's provenance (issue 27 item 4):
``results.json`` has the ``provenance`` entry of :mod:`baselines.provenance` with the code, the
packages, the load, the command line, the seeds and the wall time, and ``provenance.md`` beside it
prints that entry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from baselines.provenance import text


def check_provenance(out: Path, command: list[str], seeds: dict, longest_s: float) -> dict:
    """The ``provenance`` of ``results.json`` in ``out``, checked: run by ``command`` on ``seeds``
    (:func:`baselines.seeds.seed_summary`), within ``longest_s`` seconds (the test's own timing)."""
    entry = json.loads((out / "results.json").read_text())["provenance"]
    assert re.fullmatch(r"[0-9a-f]{40}", entry["git"]["commit"]) and isinstance(entry["git"]["dirty"], bool)
    assert entry["packages"]["numpy"] == np.__version__ and entry["packages"]["rl_envs"]
    for when in ("start", "end"):
        load = entry["load_average"][when]
        assert len(load) == 3 and all(x >= 0 for x in load), load
    assert entry["command"] == command
    assert entry["seeds"] == seeds
    assert 0 < entry["wall_time_s"] <= longest_s
    assert (out / "provenance.md").read_text() == "\n".join(text(entry)) + "\n"
    return entry
