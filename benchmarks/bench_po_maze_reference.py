"""The partially observable maze's reference values: bounds on the optimum of every named layout.

    OMP_NUM_THREADS=1 python benchmarks/bench_po_maze_reference.py [--only hallway ...] [--write]

For each named layout and goal mode, HSVI (:mod:`rl_envs.maze.pomdp_bounds`) runs until the gap at
``b0`` is below 1e-6 or its time budget (``SECONDS``) is spent.  Where the interval is still wider
than ``EXACT_WIDTH`` (hallway, hallway2, 4x3 with restarts), two policies are measured over
``max_steps = 251`` steps in the environment's own simulator: HSVI's alpha-vector policy and
Perseus (Spaan & Vlassis 2005; the settings of ``experiments/pomdp_scores.py``).  The better one on
2 000 screening episodes is measured again on ``--episodes`` fresh ones (another seed, so that the
choice does not bias the estimate), and its mean minus the half-width of the 99 % interval becomes
the lower bound where it beats the alpha-vector bound.

The table gives, per model, what ``env.unwrapped.reference()`` reports (kind, value, lower, upper,
the gap and the random policy's exact value) and the seconds spent.  ``--write`` stores the bounds
in ``rl_envs/maze/po_maze_reference.json``, keyed by each model's fingerprint;
``tests/test_pomdp_bounds.py`` checks that file against the models.  The whole run takes about
half an hour on one core; single-threaded BLAS matters (the solver's matrices are small).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.belief import Perseus, discounted_rollouts
from rl_envs.maze.classic_pomdps import CLASSIC
from rl_envs.maze.po_maze import EXACT_WIDTH, REFERENCE_FILE, stored_references
from rl_envs.maze.pomdp import filter_belief
from rl_envs.maze.pomdp_bounds import HSVI, ValueBounds, model_fingerprint, solve_bounds

ID = "rl_envs/PartiallyObservableMaze-v0"
# HSVI's time budget (s) per layout, each goal mode.
SECONDS = {"cheese": 60, "4x3": 600, "hallway": 600, "hallway2": 600}
PERSEUS = {
    "hallway": dict(n_beliefs=3000, time_limit=150),
    "hallway2": dict(n_beliefs=3000, time_limit=300),
    "cheese": dict(n_beliefs=300),
    "4x3": dict(n_beliefs=1000, tol=1e-6),
}
SCREENING = 2000
Z99 = 2.5758293035489004  # the two-sided 99 % quantile of the normal distribution


class AlphaPolicy:
    """HSVI's alpha-vector policy on the exact belief (``predict`` as the belief agents have it,
    for :func:`baselines.belief.discounted_rollouts`)."""

    def __init__(self, solver: HSVI):
        self.solver, self.model = solver, solver.model

    def predict(self, obs: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True):
        obs = np.asarray(obs)
        beliefs, last = state if state is not None else (np.tile(self.model.b0, (len(obs), 1)), np.full(len(obs), -1))
        restart = (np.asarray(last) < 0) | np.asarray(episode_start, dtype=bool)
        beliefs = filter_belief(beliefs, last, np.where(restart, self.model.n_obs, obs), self.model)
        actions = self.solver.policy(beliefs)
        return actions, (beliefs, actions)


def measured(agent: Any, env: gym.Env, episodes: int, seed: int) -> tuple[float, float]:
    """Mean discounted return over ``episodes`` episodes and the half-width of its 99 % interval."""
    returns = discounted_rollouts(agent, env, episodes, seed=seed)["returns"]
    return float(returns.mean()), float(Z99 * returns.std(ddof=1) / np.sqrt(len(returns)))


def code_version() -> str:
    """The commit the numbers come from (with ``+changes`` when the tree differs from it)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        "+changes" if git("status", "--porcelain", "rl_envs", "benchmarks") else ""
    )


def entry(layout: str, goal_mode: str, episodes: int, seconds: float, code: str) -> dict:
    start = time.perf_counter()
    env = gym.make(ID, layout=layout, goal_mode=goal_mode)
    maze: Any = env.unwrapped
    model = maze.episode_model
    bounds, solver = solve_bounds(model, tol=1e-6, time_limit=seconds)
    lower, upper = bounds.over(maze.max_steps, model.gamma)
    result = {
        "layout": layout,
        "goal_mode": goal_mode,
        "fingerprint": model_fingerprint(model),
        "bounds": dataclasses.asdict(bounds),
        "policy": None,
        "code": code,
    }
    if upper - lower > EXACT_WIDTH:
        perseus = Perseus(env, seed=0, **PERSEUS[layout]).learn()
        candidates = {
            "HSVI alpha-vector": AlphaPolicy(solver),
            f"Perseus ({', '.join(f'{k}={v}' for k, v in PERSEUS[layout].items())})": perseus,
        }
        screened = {name: measured(agent, env, SCREENING, seed=1)[0] for name, agent in candidates.items()}
        best = max(screened, key=screened.__getitem__)
        mean, half_width = measured(candidates[best], env, episodes, seed=2)
        result["policy"] = {
            "name": best,
            "horizon": maze.max_steps,
            "episodes": episodes,
            "mean": mean,
            "half_width": half_width,
            "screening": screened,
        }
    result["seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(CLASSIC), default=sorted(CLASSIC))
    parser.add_argument("--goal-modes", nargs="+", choices=("terminate", "reset"), default=["terminate", "reset"])
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, help="HSVI's time budget for every model (default: SECONDS)")
    parser.add_argument("--write", action="store_true", help=f"store the bounds in {REFERENCE_FILE.name}")
    args = parser.parse_args()
    code = code_version()  # now: the modules are imported, and the tree may change while this runs
    data = json.loads(REFERENCE_FILE.read_text())
    done = {(e["layout"], e["goal_mode"]): e for e in data["entries"]}
    for layout in args.only:
        for goal_mode in args.goal_modes:
            done[layout, goal_mode] = entry(layout, goal_mode, args.episodes, args.seconds or SECONDS[layout], code)
            print(json.dumps(done[layout, goal_mode]), flush=True)
    data["entries"] = [done[key] for key in sorted(done)]
    if args.write:
        REFERENCE_FILE.write_text(json.dumps(data, indent=1) + "\n")
    # The table is what reference() makes of these entries, written or not.
    stored_references.cache_clear()
    stored_references().update({e["fingerprint"]: e for e in data["entries"]})
    print(
        "| layout | goal mode | kind | value | lower | upper | interval width | alpha-vector lower | random | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for layout, goal_mode in sorted(done):
        if layout in args.only and goal_mode in args.goal_modes:
            maze: Any = gym.make(ID, layout=layout, goal_mode=goal_mode).unwrapped
            ref, e = maze.reference(), done[layout, goal_mode]
            alpha_lower, upper = ValueBounds(**e["bounds"]).over(maze.max_steps, maze.model.gamma)
            lower = max(alpha_lower, e["policy"]["mean"] - e["policy"]["half_width"]) if e["policy"] else alpha_lower
            print(
                f"| {layout} | {goal_mode} | {ref.kind} | {ref.value:.4f} | {ref.lower:.4f} | {ref.upper:.4f} | "
                f"{upper - lower:.1e} | {alpha_lower:.4f} | {ref.random:.4f} | {e['seconds']:.0f} |"
            )


if __name__ == "__main__":
    main()
