"""``python -m baselines tune``: every (agent, environment) pair of the leaderboard tuned by one
procedure, a sweep (:mod:`.config`, :mod:`.run`) per pair, its choice written into the agent's
tuned file (:mod:`baselines.tuning`).

The plan (:func:`plan`) takes each row of the leaderboard (:mod:`baselines.compare.leaderboard`)
and each of its agents that has a search space (:data:`baselines.tuning.SPACES`; the planners
have none), and makes it a sweep: the agent's space over the row's environment at its
comparison budget (the budget of the leaderboard's full size), the row's other settings of the
agent fixed, Optuna's TPE with :data:`~baselines.tuning.TRIALS` trials on the tuning seeds
:data:`~baselines.tuning.TUNING_SEEDS`, scored by the mean final return; the chosen setting is
then run on :data:`~baselines.tuning.EVALUATION_SEEDS` (the sweep's held-out check).  A row
where every policy scores the same (one action) is left out: no metric can choose there.

:func:`run_tuning` runs the plan's sweeps one after the other on one Ray connection, each in
``<out>/<agent>/<env>-<digest of the sweep>/`` (Tune keeps its state there: an interrupted
sweep resumes), and writes each chosen setting into the tuned file as soon as its sweep ends.
A pair whose tuned entry records the same procedure (space, budget, trials, seeds, metric) is
skipped, so the same command resumes a plan where it stopped; a pair where no trial can be
chosen gets no entry (the leaderboard keeps its untuned settings, labelled so) and is reported.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym

from ..compare.config import SB3_AGENTS, ConfigError, digest
from ..compare.costs import CostTable, duration
from ..compare.leaderboard import SIZES, leaderboard_rows
from ..compare.ray_backend import connect, require_ray
from ..evaluation import reference_of
from ..seeds import EPISODES_PER_CHECKPOINT
from ..tuning import EVALUATION_SEEDS, METRIC, SPACES, TRIALS, TUNING_SEEDS, read_file, tuned_file, write_tuned
from .config import Sweep, sweep_from_config
from .run import NothingChosen, SweepResult, run_sweep

# What a tuning record must match for its entry to stand (a plan that changed any of these tunes again).
PROCEDURE = ("trials", "tuning_seeds", "evaluation_seeds", "steps", "eval_episodes", "metric", "search_seed", "space")


@dataclass
class Pair:
    """One sweep of the plan: ``agent`` on ``env`` with ``env_kwargs``, its sweep configuration,
    and the row's settings of the agent that the sweep keeps fixed."""

    agent: str
    env: str
    env_kwargs: dict
    config: dict
    fixed: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.agent} on {self.env}"

    def record(self) -> dict:
        """The procedure, as the tuning record keeps it (:data:`PROCEDURE`)."""
        c = self.config
        return {
            "trials": c["budget"],
            "tuning_seeds": list(c["tuning_seeds"]),
            "evaluation_seeds": list(c["evaluation_seeds"]),
            "steps": c["steps"],
            "eval_episodes": c["eval_episodes"],
            "metric": c["metric"],
            "search_seed": c["search_seed"],
            "space": c["space"],
        }


def _one_action(env_id: str, env_kwargs: dict) -> bool:
    env = gym.make(env_id, **env_kwargs)
    reference = reference_of(env)
    env.close()
    return reference is not None and not reference.value > reference.random


def plan(
    agents: Sequence[str] | None = None,
    envs: Sequence[str] | None = None,
    trials: int = TRIALS,
    steps: int | None = None,
) -> tuple[list[Pair], list[str]]:
    """``(pairs, left out)``: the sweeps of the leaderboard's (agent, environment) pairs, only
    ``agents`` and ``envs`` where given, each of ``trials`` trials at the row's comparison budget
    (or ``steps``, for a short trial run: the entry records it), and why any pair asked for is
    left out.  An agent or environment not in the leaderboard is a :class:`ConfigError`."""
    rows = leaderboard_rows()
    known_envs = {row["env"] for row in rows}
    known_agents = {agent for row in rows for agent in row["agents"]}
    for name, asked, known in (("environment", envs, known_envs), ("agent", agents, known_agents)):
        unknown = sorted(set(asked or ()) - known)
        if unknown:
            raise ConfigError(f"no leaderboard row has the {name}(s) {unknown}; the leaderboard's: {sorted(known)}")
    pairs, left_out = [], []
    for row in rows:
        if envs and row["env"] not in envs:
            continue
        env_kwargs = dict(row.get("env_kwargs", {}))
        one_action = _one_action(row["env"], env_kwargs)
        for agent, declared in row["agents"].items():
            if agents and agent not in agents:
                continue
            if agent not in SPACES:
                left_out.append(f"{agent} on {row['env']}: no search space (a planner, nothing learns at a rate)")
                continue
            if one_action:
                left_out.append(f"{agent} on {row['env']}: every policy scores the same (one action)")
                continue
            space = SPACES[agent]
            fixed = {k: v for k, v in declared.items() if k not in space}
            config = {
                "env": row["env"],
                "env_kwargs": env_kwargs,
                "agent": agent,
                "agent_kwargs": fixed,
                "steps": steps if steps is not None else row[SIZES["full"].budget_key],
                "eval_episodes": row.get("eval_episodes", EPISODES_PER_CHECKPOINT),
                "space": space,
                "tuning_seeds": list(TUNING_SEEDS),
                "evaluation_seeds": list(EVALUATION_SEEDS),
                "metric": METRIC,
                "search": "optuna",
                "budget": trials,
                "search_seed": 0,
            }
            pairs.append(Pair(agent, row["env"], env_kwargs, config, fixed))
    return pairs, left_out


def already_tuned(pair: Pair, folder: str | os.PathLike | None = None) -> bool:
    """Whether the agent's tuned file has an entry for the pair found by the same procedure."""
    entries, records = read_file(tuned_file(pair.agent, folder))
    if pair.env not in entries:
        return False
    record = pair.record()
    same = all(json.dumps(records[pair.env].get(k)) == json.dumps(record[k]) for k in PROCEDURE)
    return same and (entries[pair.env].get("env_kwargs") or {}) == pair.env_kwargs


def tuned_entry(pair: Pair, setting: dict) -> dict:
    """The entry the chosen ``setting`` makes: for an SB3 algorithm the untuned zoo entry it
    started from with the fixed and chosen values and ``n_timesteps`` the budget (a complete zoo
    entry: what the trials trained with); for a reference agent its fixed and chosen arguments."""
    if pair.agent in SB3_AGENTS:
        from ..sb3 import load_hyperparams

        base = load_hyperparams(SB3_AGENTS[pair.agent], pair.env)
        return {**base, **pair.fixed, **setting, "n_timesteps": pair.config["steps"]}
    return {**pair.fixed, **setting}


def estimate_text(pairs: list[Pair], costs: CostTable, cpus: int) -> str:
    """The plan's compute by the cost model (:mod:`baselines.compare.costs`): every trial trains
    one cell per tuning seed, and the chosen setting one per evaluation seed."""
    total, unmeasured = 0.0, 0
    for pair in pairs:
        c = pair.config
        seconds, measured = costs.per_cell(pair.env, pair.agent, c["steps"])
        total += seconds * (c["budget"] * len(c["tuning_seeds"]) + len(c["evaluation_seeds"]))
        unmeasured += not measured
    if math.isnan(total):
        return f"{len(pairs)} sweep(s); no cost is measured, so no estimate of their compute"
    guess = f"; {unmeasured} pair(s) priced by the agent's cost on other environments" if unmeasured else ""
    return (
        f"{len(pairs)} sweep(s): about {duration(total)} of cell time, {duration(total / max(cpus, 1))} "
        f"on {cpus} CPU(s){guess}"
    )


@dataclass
class TuningResult:
    tuned: list[tuple[Pair, SweepResult]] = field(default_factory=list)
    skipped: list[Pair] = field(default_factory=list)
    nothing_chosen: list[tuple[Pair, str]] = field(default_factory=list)


def sweep_folder(out: Path, pair: Pair, sweep: Sweep) -> Path:
    """Where a pair's sweep keeps its trials: a changed procedure gets a new folder."""
    return out / pair.agent / f"{pair.env.replace('/', '_')}-{digest(sweep.to_json())}"


def run_tuning(
    pairs: list[Pair],
    out: str | Path,
    folder: str | os.PathLike | None = None,
    address: str | None = None,
    progress: bool = True,
    report: Callable[[str], None] = print,
) -> TuningResult:
    """Run the sweep of every pair not already tuned (:func:`already_tuned`) and write each
    chosen setting into ``folder``'s tuned files (by default the package's), with its record.
    ``report`` gets a line as each pair starts and ends."""
    out = Path(out)
    sweeps = [sweep_from_config(pair.config) for pair in pairs]  # every configuration checked before any trial
    result = TuningResult()
    todo = []
    for pair, sweep in zip(pairs, sweeps):
        if already_tuned(pair, folder):
            result.skipped.append(pair)
            report(f"{pair.name}: already tuned by this procedure in {tuned_file(pair.agent, folder)}")
        else:
            todo.append((pair, sweep))
    connected = connect(address) if todo else False  # Ray takes seconds to start
    try:
        for pair, sweep in todo:
            where = sweep_folder(out, pair, sweep)
            report(f"{pair.name}: {pair.config['budget']} trials at {pair.config['steps']:,} steps, in {where}")
            try:
                swept = run_sweep(sweep, where, progress=progress)
            except NothingChosen as e:
                result.nothing_chosen.append((pair, str(e)))
                report(f"{pair.name}: nothing chosen ({e}); it stays untuned")
                continue
            chosen = swept.chosen
            record = {
                **pair.record(),
                "tuning_score": chosen["tuning_score"],
                "evaluation_score": chosen["evaluation_score"],
                "trial": chosen["trial"],
                "tuned_on": datetime.date.today().isoformat(),
            }
            path = write_tuned(
                pair.agent, pair.env, tuned_entry(pair, chosen["setting"]), pair.env_kwargs, record, folder
            )
            result.tuned.append((pair, swept))
            report(
                f"{pair.name}: chosen {chosen['setting']} (tuning score {chosen['tuning_score']:.4g}, "
                f"evaluation score {chosen['evaluation_score']:.4g}); written to {path}"
            )
    finally:
        if connected:
            require_ray().shutdown()
    return result
