"""The leaderboard: every environment with its reference agent(s) and Stable-Baselines3, each
agent on the settings :mod:`baselines.tuning` chose for it, all agents of an environment on one
budget, in two sizes.

Each row of :data:`LEADERBOARD` declares an environment's comparison budget in environment
steps (``budget``; every agent of the row trains for exactly it) and the smaller budget of the
short run (``quick_budget``).  :data:`SIZES` says how many seeds each size runs:

* ``full``, the published leaderboard (``python -m baselines compare --full``): 10 seeds at
  each environment's budget;
* ``quick``, ``make run`` (``python -m baselines compare``): 2 seeds at the quick budgets, a
  short check of the same grid whose table says it is not the leaderboard.

An agent's arguments come from its tuned file (``baselines/hyperparams/tuned/<agent>.yml``,
written by ``python -m baselines tune``) where it has an entry for the environment (with the
same ``env_kwargs``), and are then labelled ``tuned (N trials)``; otherwise from the row: an
SB3 algorithm's untuned zoo-format entry (``baselines/hyperparams/<algo>.yml``), labelled
``defaults``, or the settings a reference agent's experiments established, labelled
``experiments`` (``defaults`` where the row gives none).  The SB3 algorithms of a row are PPO,
which takes every action space, and the off-policy algorithm of its action space (SAC for
continuous actions, DQN for discrete ones); a task with one action has nothing to control, and
gets PPO only.  An environment registered without a row gets :data:`DEFAULT_RUN`.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import rl_envs

from ..continuous_time.settings import PENDULUM_VALUE_GRADIENT
from ..linear.settings import LQ_REINFORCE_IMPROVED, OCTOPUS_COPDAC_Q
from ..tuning import read_tuned
from .config import SB3_AGENTS, ConfigError

_SECTION_5_2 = ("rl_envs/MountainCarRLPark-v0", "rl_envs/SwingPendulum-v0", "rl_envs/PuddleWorld-v0")

# The budgets: ``budget`` is what the zoo-format entries ask for the environment
# (baselines/hyperparams/*.yml's n_timesteps, the most of them), or more where the reference
# agent's own experiments need more; ``quick_budget`` is sized so that ``make run`` ends within
# 15 minutes on this project's 2-core machine (docs/reports/sb3-comparison.md has the measured time).
LEADERBOARD: list[dict] = [
    {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "dyna_maze"},
        "budget": 50_000,
        "quick_budget": 10_000,
        "agents": {"QLearning": {}, "PPO": {}, "DQN": {}},
    },
    {
        "env": "rl_envs/QuadraticBandit-v0",
        "env_kwargs": {"dim": 10},
        "budget": 10_000,
        "quick_budget": 2_000,
        "agents": {"COPDACB": {}, "PPO": {}, "SAC": {}},
    },
    {
        "env": "rl_envs/LQControl-v0",
        "env_kwargs": {"max_steps": 100},
        "budget": 50_000,
        "quick_budget": 3_000,
        "agents": {"LinearReinforce": LQ_REINFORCE_IMPROVED, "PPO": {}, "SAC": {}},
    },
    # Scored as the maze's reference is, and as the POMDP literature scores it: the average
    # discounted reward from b0 over 2000 runs (an episode's undiscounted return is only whether
    # it reached the goal).
    {
        "env": "rl_envs/PartiallyObservableMaze-v0",
        "env_kwargs": {"layout": "hallway"},
        "budget": 50_000,
        "quick_budget": 10_000,
        "measure": {"name": "discounted_reward"},
        "agents": {"QMDP": {}, "PPO": {}, "DQN": {}},
    },
    # 3·10⁵ steps: the DPG paper's octopus curve (Silver et al. 2014, Fig. 3).
    {
        "env": "rl_envs/OctopusArm-v0",
        "budget": 300_000,
        "quick_budget": 3_000,
        "eval_episodes": 1,  # its start, target and dynamics are deterministic: every episode is the same
        "agents": {"COPDACQ": OCTOPUS_COPDAC_Q, "PPO": {}, "SAC": {}},
    },
    {
        "env": "rl_envs/PendulumSwingUp-v0",
        "budget": 200_000,
        "quick_budget": 5_000,
        "agents": {"ValueGradientPolicy": PENDULUM_VALUE_GRADIENT, "PPO": {}, "SAC": {}},
    },
    # Silver et al. (2014), §5.2: COPDAC-Q on tile features; episodes last up to 5000 steps.
    *(
        {
            "env": env_id,
            "budget": 200_000,
            "quick_budget": 3_000,
            "agents": {"TileCOPDACQ": {}, "PPO": {}, "SAC": {}},
        }
        for env_id in _SECTION_5_2
    ),
    # A prediction task with one action: every agent's return is the task's mean reward (the
    # optimum); the row shows that the agents run on it.  The paper's results are in
    # experiments/distributional_td.py.
    {
        "env": "rl_envs/VariableReward-v0",
        "budget": 2_000,
        "quick_budget": 2_000,
        "eval_episodes": 100,
        "agents": {"ExpectileTD": {}, "PPO": {}},
    },
    # The MOP paper's food grid: MOP solves the model (no reward; it survives for its path
    # entropy) against SB3 on the survival reward; episodes capped at 1000 steps.
    {
        "env": "rl_envs/FoodGrid-v0",
        "env_kwargs": {"max_steps": 1000},
        "budget": 100_000,
        "quick_budget": 10_000,
        "eval_episodes": 2,
        "agents": {"MOP": {}, "PPO": {}, "DQN": {}},
    },
]
# An environment registered without a row: PPO (which takes every action space SB3 does) on its
# zoo-format defaults (baselines/hyperparams/ppo.yml's entry, or its 'default' one).  No
# uniform-random row: a cell evaluates the agent's deterministic policy.
DEFAULT_RUN: dict = {"budget": 10_000, "quick_budget": 10_000, "agents": {"PPO": {}}}


@dataclass(frozen=True)
class Size:
    """A size of the leaderboard: its seeds (0 .. seeds-1, training seeds), which budget of each
    row it trains for, and the line its ``summary.md`` opens with."""

    name: str
    seeds: int
    budget_key: str
    title: str


SIZES = {
    "full": Size(
        "full",
        10,
        "budget",
        "**The leaderboard** (`python -m baselines compare --full`): 10 seeds per agent, each "
        "environment's comparison budget.",
    ),
    "quick": Size(
        "quick",
        2,
        "quick_budget",
        "**Quick run** (`make run`): 2 seeds per agent at small budgets, a short check of the "
        "leaderboard's grid; the leaderboard itself is `python -m baselines compare --full`.",
    ),
}


def leaderboard_rows() -> list[dict]:
    """:data:`LEADERBOARD`, then :data:`DEFAULT_RUN` for every environment of the ``rl_envs/``
    namespace (:func:`rl_envs.registered_ids`) without a row; a fresh copy each call."""
    declared = {row["env"] for row in LEADERBOARD}
    return copy.deepcopy(LEADERBOARD) + [
        {"env": env_id, **copy.deepcopy(DEFAULT_RUN)} for env_id in rl_envs.registered_ids() if env_id not in declared
    ]


def agent_settings(agent: str, row: dict, steps: int, tuned_dir: str | os.PathLike | None = None) -> tuple[dict, str]:
    """``(arguments, label)`` of ``agent`` in ``row`` at ``steps``: its tuned entry for the row's
    environment and ``env_kwargs`` if it has one, labelled ``tuned (N trials)`` (``... at B
    steps`` when it was tuned at another budget), else the row's settings, labelled
    ``experiments`` for a reference agent's non-empty ones and ``defaults`` otherwise."""
    try:
        tuned = read_tuned(agent, row["env"], tuned_dir)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if tuned is not None and tuned.env_kwargs == row.get("env_kwargs", {}):
        at = tuned.record["steps"]
        label = tuned.label if at == steps else f"{tuned.label[:-1]} at {at:,} steps)"
        return dict(tuned.kwargs), label
    declared = row["agents"][agent]
    return copy.deepcopy(declared), "experiments" if declared and agent not in SB3_AGENTS else "defaults"


def leaderboard_config(size: str = "full", tuned_dir: str | os.PathLike | None = None) -> dict:
    """The comparison of size ``size`` (:data:`SIZES`) over :func:`leaderboard_rows`, every
    agent on its settings (:func:`agent_settings`, tuned files from ``tuned_dir``, by default the
    package's), as a configuration for :func:`~.config.cells_from_config`."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(map(repr, SIZES))}, got {size!r}")
    chosen = SIZES[size]
    runs = []
    for row in leaderboard_rows():
        steps = row[chosen.budget_key]
        settings = {agent: agent_settings(agent, row, steps, tuned_dir) for agent in row["agents"]}
        run = {
            "env": row["env"],
            **({"env_kwargs": row["env_kwargs"]} if row.get("env_kwargs") else {}),
            "steps": steps,
            "seeds": chosen.seeds,
            **{key: copy.deepcopy(row[key]) for key in ("eval_episodes", "measure") if key in row},
            "agents": {agent: kwargs for agent, (kwargs, _) in settings.items()},
            "settings": {agent: label for agent, (_, label) in settings.items()},
        }
        runs.append(run)
    return {"runs": runs}


def default_config() -> dict:
    """The default comparison (``make run``): the quick size of the leaderboard."""
    return leaderboard_config("quick")
