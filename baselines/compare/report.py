"""What a comparison reports from its finished cells: ``results.csv`` / ``results.json`` (one
row a cell, with the environment's reference columns; the JSON with the run's provenance,
:mod:`baselines.provenance`, which ``provenance.md`` prints), ``summary.md`` (per env and agent:
the mean return, the environment's reference and its baseline policy's return, and the
normalized score), ``aggregate.md``, ``aggregate/*.png``, ``scores.npz`` and ``scores.json`` (normalized
scores aggregated over environments, :mod:`.aggregate`), ``curves/<env>.png`` (mean episode return
against environment steps with a 95 % band over seeds) and ``gifs/<env>.gif`` (a rollout of the
best cell's policy); and the table spliced into a README.
"""

from __future__ import annotations

import base64
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import stats
from ..curves import curve_on_grid, mean_and_band, smooth
from ..evaluation import undiscounted_reference
from ..io import atomic_write_bytes, save_figure, write_table
from ..provenance import Provenance, read as read_provenance, write_markdown
from ..seeds import seed_summary
from .aggregate import write_aggregate
from .config import digest
from .costs import write_costs


def run_seeds(record: dict) -> list[int]:
    """The seeds of the runs a record holds: its members' for a batch of runs, else its own."""
    members = record["cell"].get("measure", {}).get("members")
    return [int(s) for s, _ in members] if members else [record["row"]["seed"]]


def records_provenance(records: list[dict], provenance: Provenance, out: Path | None = None, **extra: Any) -> dict:
    """The ``provenance`` entry of a results folder of ``records``, with their seeds; where this
    invocation reused cells (``extra["cells"]["reused"]``), ``earlier`` lists the invocations of
    the folder ``out`` before it (from its ``results.json``), so that a resumed run's provenance
    covers every cell of its table, not only those of its last invocation."""
    seeds = seed_summary(
        (s for r in records for s in run_seeds(r)), (s for r in records for s in r["row"]["test_seeds"])
    )
    entry = provenance.record(seeds, **extra)
    if out is not None and extra.get("cells", {}).get("reused"):
        entry["earlier"] = earlier_invocations(out)
    return entry


# What a resumed run's provenance keeps of each invocation before it.
INVOCATION_KEYS = ("command", "started", "finished", "wall_time_s", "load_average", "git", "cells")


def earlier_invocations(folder: Path) -> list[dict]:
    """The invocations that wrote ``folder``'s results, oldest first: its own earlier ones, then
    its last; empty if it holds no provenance."""
    previous = read_provenance(folder)
    if previous is None:
        return []
    return [*previous.get("earlier", []), {k: previous[k] for k in INVOCATION_KEYS if k in previous}]


def write_outputs(
    records: list[dict],
    out: Path,
    provenance: Provenance,
    missing: Sequence[str] = (),
    title: str = "",
    **extra: Any,
) -> None:
    """Every output of the folder ``out`` from its finished cells ``records``; ``results.json``
    has the run's ``provenance`` (started before its first cell) with ``extra``, which
    ``provenance.md`` prints for a report page; ``missing`` (a line for each cell of the run that
    is not among them, with why) marks ``summary.md`` incomplete at its top, under ``title``
    (what run this is) when given, and the provenance (``results.json``, ``provenance.md``) lists
    it; ``costs.json`` holds what the cells cost (:mod:`.costs`)."""
    rows = [r["row"] for r in records]
    entry = records_provenance(records, provenance, out, **extra, missing=list(missing))
    write_table(rows, out, entry)
    write_costs(records, out / "costs.json", entry)
    lines = summary_lines(rows)
    if missing:
        lines = [
            f"**Incomplete: {len(missing)} of {len(missing) + len(records)} cells are missing** "
            "(the same command runs them again):",
            "",
            *(f"* {m}" for m in missing),
            "",
            *lines,
        ]
    if title:
        lines = [title, "", *lines]
    atomic_write_bytes(out / "summary.md", ("\n".join(lines) + "\n").encode())
    write_markdown(out, entry)
    labels = group_labels(rows)
    write_aggregate(records, labels, out)
    by_env: dict[str, list[dict]] = {}
    for rec, (env, agent) in zip(records, labels):
        by_env.setdefault(env, []).append({**rec, "row": {**rec["row"], "agent": agent}})
    for label, recs in by_env.items():
        name = file_name(recs[0]["row"]["env"], recs[0]["row"]["env_kwargs"], label)
        plot_learning_curves(recs, out / "curves" / f"{name}.png")
        best = max(recs, key=lambda r: -np.inf if r["row"]["return"] is None else r["row"]["return"])
        atomic_write_bytes(out / "gifs" / f"{name}.gif", base64.b64decode(best["gif"]))


README_MARKERS = ("<!-- compare-table:start -->", "<!-- compare-table:end -->")


def splice_table(path: str | Path, lines: list[str], markers: tuple[str, str] = README_MARKERS) -> None:
    """Put the table ``lines`` between the ``markers`` comments of the Markdown file ``path``
    (replacing what was there), so that a README's table comes from a run, not a copy by hand."""
    path = Path(path)
    text = path.read_text()
    start, end = markers
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{path} has no {start!r} ... {end!r} pair to put the table between")
    i += len(start)
    atomic_write_bytes(path, (text[:i] + "\n" + "\n".join(lines) + "\n" + text[j:]).encode())


def group_labels(rows: list[dict]) -> list[tuple[str, str]]:
    """``(environment, agent)`` label of each row: the id and the agent's name, with the env's
    keyword arguments, the agent's keyword arguments or the budget added where the rows hold
    several of them (so that different settings are never averaged together)."""
    env_variants: dict[str, set] = {}
    agent_variants: dict[tuple, set] = {}
    for r in rows:
        env_variants.setdefault(r["env"], set()).add(r["env_kwargs"])
        agent_variants.setdefault((r["env"], r["env_kwargs"], r["agent"]), set()).add(
            (r.get("agent_kwargs", "{}"), r["steps"])
        )
    labels = []
    for r in rows:
        env = r["env"] if len(env_variants[r["env"]]) == 1 else f"{r['env']} {r['env_kwargs']}"
        variants = agent_variants[r["env"], r["env_kwargs"], r["agent"]]
        agent = r["agent"]
        if len({kw for kw, _ in variants}) > 1:
            agent += f" {r.get('agent_kwargs', '{}')}"
        if len({steps for _, steps in variants}) > 1:
            agent += f" ({r['steps']:,} steps)"
        labels.append((env, agent))
    return labels


def file_name(env_id: str, env_kwargs: str, label: str) -> str:
    """A short, safe file name for an environment label; a label with arguments gets a digest of
    them, so that two argument sets never share a file."""
    base = env_id.replace("/", "_")
    if label == env_id:
        return base
    readable = re.sub(r"[^A-Za-z0-9_.=-]+", "_", env_kwargs).strip("_")[:40]
    return f"{base}_{readable}_{digest(env_kwargs)}"


def _mean_with_interval(rows: list[dict], keys: tuple[str, str, str], fmt: str) -> str:
    """The mean over ``rows`` of the column ``keys[0]``, with the means of its interval columns
    ``keys[1:]`` in brackets where they differ from it (an interval reference); ``n/a`` where no
    row has it."""
    present = [r for r in rows if r.get(keys[0]) is not None]
    if not present:
        return "n/a"
    value, low, high = (float(np.mean([r[k] for r in present])) for k in keys)
    text = format(value, fmt)
    return text if low == value == high else f"{text} [{format(low, fmt)}, {format(high, fmt)}]"


# A normalized score up to this is, as far as a table of a few seeds can tell, no better than the
# baseline policy's (the uniform-random one, or the one the reference names): a twentieth of the
# way from the baseline to the reference.
NEAR_BASELINE = 0.05
FLAG = "not above the baseline: budget too small to tell"


def score_interval(rows: list[dict]) -> tuple[float, float] | None:
    """The 95 % interval of the mean normalized score over the rows' seeds: the stratified
    bootstrap's percentile interval (:func:`baselines.stats.interval_estimate`), its low end from
    the scores' lower bounds and its high end from their upper bounds (an interval reference);
    for one seed its own bounds.  None where no row has a score."""
    scored = [r for r in rows if r.get("normalized_score") is not None]
    if not scored:
        return None
    lows, highs = (np.array([[r[k]] for r in scored], dtype=float) for k in ("normalized_low", "normalized_high"))
    if len(scored) == 1:
        return float(lows[0, 0]), float(highs[0, 0])
    low = stats.interval_estimate(stats.aggregate_mean, lows, reps=2_000).low
    high = stats.interval_estimate(stats.aggregate_mean, highs, reps=2_000).high
    return float(low), float(high)


def not_above_baseline(rows: list[dict]) -> bool:
    """Whether the rows' agent is not shown to do better than the baseline policy: the interval of
    its mean normalized score (:func:`score_interval`) reaches down to :data:`NEAR_BASELINE` or
    below.  An agent that has learned nothing at a small budget scores about 0, or below 0 where
    its greedy policy is worse than the baseline (one that never reaches the goal), so the table
    flags both rather than read them as the algorithm's verdict."""
    interval = score_interval(rows)
    return interval is not None and interval[0] <= NEAR_BASELINE


def summary_table(rows: list[dict]) -> list[str]:
    """Markdown: per environment and agent (with their settings where they differ), where the
    agent's arguments come from (``settings``), seeds, budget, training wall time per seed, mean
    ± sd return, the reference (with its bounds where it is an interval), the baseline policy's
    return with its name (the uniform-random policy, or the one the reference names), the
    normalized score (mean over the seeds, with the interval the bounds allow) and a note:
    :data:`FLAG` where :func:`not_above_baseline`.  The reference and baseline columns are means
    over the seeds too, which differ only where each seed draws its own problem (the bandit's C)."""
    lines = [
        "| environment | agent | settings | seeds | steps | wall time / seed (s) | return (mean ± sd) | reference | "
        "baseline | normalized score | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (env, agent), rs in _groups(rows).items():
        rets = np.array([r["return"] for r in rs], dtype=float)  # a measure's missing return (None) is NaN
        reference = _mean_with_interval(rs, ("reference", "reference_low", "reference_high"), ".4g")
        random = _mean_with_interval(rs, ("random_return", "random_return", "random_return"), ".4g")
        names = {r["baseline"] for r in rs if r.get("baseline")}
        random += "".join(f" ({name})" for name in sorted(names))
        score = _mean_with_interval(rs, ("normalized_score", "normalized_low", "normalized_high"), ".3f")
        settings = ", ".join(dict.fromkeys(r.get("settings") or "" for r in rs)) or ""
        env, agent = (text.replace("|", "\\|") for text in (env, agent))  # a wall-layout text has bars
        lines.append(
            f"| {env} | {agent} | {settings} | {len(rs)} | {rs[0]['steps']:,} | "
            f"{np.mean([r['wall_time_s'] for r in rs]):.1f} | {rets.mean():.4g} ± {rets.std():.2g} | "
            f"{reference} | {random} | {score} | {FLAG if not_above_baseline(rs) else ''} |"
        )
    return lines


def summary_notes(rows: list[dict], flagged: bool) -> list[str]:
    """What the table's settings labels and, where it ``flagged`` a row, its note mean (those of
    them that ``rows`` show)."""
    labels = {r.get("settings") or "" for r in rows}
    notes = []
    if any(label.startswith("tuned") for label in labels):
        notes.append(
            "`tuned (N trials)`: chosen by `python -m baselines tune` in N trials on the tuning seeds "
            "(baselines/hyperparams/tuned/)."
        )
    if "defaults" in labels:
        notes.append(
            "`defaults`: not tuned (an SB3 algorithm's zoo-format entry in baselines/hyperparams/, "
            "a reference agent's own defaults)."
        )
    if "experiments" in labels:
        notes.append(
            "`experiments`: the settings the project's experiments established for the reference agent "
            "(chosen by their own sweeps, not by `python -m baselines tune`)."
        )
    if flagged:
        notes.append(
            f"{FLAG}: the 95 % bootstrap interval over seeds of the mean normalized score reaches down to "
            f"{NEAR_BASELINE} or below (0 is the score of the baseline policy, the uniform-random one unless the "
            "baseline column names another): at this budget the agent is not shown to do better than that "
            "policy, which says nothing of what it learns with more steps."
        )
    notes.append("Wall time: training only, so it grows with the machine's load (results.json has the run's).")
    return [f"* {note}" for note in notes]


def summary_lines(rows: list[dict]) -> list[str]:
    """``summary.md``'s table and its notes (also what ``plot --readme`` puts into a README)."""
    table = summary_table(rows)
    # the flag's note from the table's own rows: each flag costs a bootstrap
    return table + ["", *summary_notes(rows, flagged=any(line.endswith(f"| {FLAG} |") for line in table))]


def _groups(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r, label in zip(rows, group_labels(rows)):
        groups.setdefault(label, []).append(r)
    return groups


def _symlog_if_wide(ax, reference: float | None) -> None:
    """Returns spanning several decades (a diverging LQ controller, a bandit's early costs) are
    unreadable on a linear axis: switch to symlog, linear within the reference's own scale."""
    signed = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()])
    signed = signed[np.isfinite(signed)]
    values = np.abs(signed)
    scale = abs(reference) if reference else (np.percentile(values, 5) if len(values) else 1.0)
    scale = max(float(scale), 1e-6)
    if len(values) and values.max() > 100 * scale:
        ax.set_yscale("symlog", linthresh=scale)
        ax.set_ylim(top=signed.max() + scale)


def plot_learning_curves(records: list[dict], path: Path, n_points: int = 200) -> None:
    """One panel per environment: each agent's training return against environment steps, the
    mean over its seeds with a 95 % band, and the environment's reference where it has one of
    the episode return."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_group: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        by_group.setdefault((rec["row"]["env"], rec["row"]["agent"]), []).append(rec)
    envs = sorted({env for env, _ in by_group})
    fig, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4), squeeze=False)
    for ax, env_id in zip(axes[0], envs):
        reference = None
        for (env, agent), recs in sorted(by_group.items()):
            if env != env_id:
                continue
            steps = max(r["row"]["steps"] for r in recs)
            grid = np.linspace(1, steps, n_points)
            curves = np.array(
                [smooth(curve_on_grid(r["log"]["end_steps"], r["log"]["returns"], grid), 5) for r in recs]
            )
            mean, half = mean_and_band(curves)
            (line,) = ax.plot(grid, mean, label=f"{agent} ({len(recs)} seeds)")
            # A normal-approximation band over few seeds of heavy-tailed returns can leave the range
            # any seed reached; it is drawn within that range.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # grid points before any episode ended
                lo, hi = np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)
            ax.fill_between(
                grid, np.maximum(mean - half, lo), np.minimum(mean + half, hi), color=line.get_color(), alpha=0.25
            )
            # a reference of another quantity (a discounted return) has no place beside episode returns
            reference = recs[0]["row"]["reference"] if undiscounted_reference(recs[0]["row"]) else None
        if reference is not None:
            ax.axhline(reference, color="k", ls="--", lw=1, label=f"reference {reference:.3g}")
        _symlog_if_wide(ax, reference)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("episode return (behaviour policy)")
        ax.set_title(env_id)
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
