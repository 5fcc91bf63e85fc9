"""Run agents on environments over seeds and write a results folder.

A run is a list of independent cells (env, agent, seed); each finished cell is written
atomically to ``<out>/cells/`` so an interrupted run resumes where it stopped.  The folder
gets ``results.csv``/``results.json`` (one row a cell), ``curve.png`` (mean episode return
against environment steps with a 95 % band over seeds) and ``rollout.gif`` (the greedy policy
of the best cell, rendered).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401  (registers the environments)

from .common import atomic_write_bytes
from .tabular import CONTROL_AGENTS, TD0, MonteCarlo

AGENTS = {cls.__name__: cls for cls in (*CONTROL_AGENTS, MonteCarlo, TD0)}


@dataclass
class Cell:
    env_id: str
    agent: str
    seed: int
    steps: int
    env_kwargs: dict = field(default_factory=dict)
    agent_kwargs: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.env_id.replace('/', '_')}__{self.agent}__seed{self.seed}"

    def validate(self) -> None:
        if self.env_id not in gym.registry:
            raise ValueError(f"unknown environment {self.env_id!r}; registered rl_envs ids: {', '.join(rl_envs.ENV_IDS)}")
        if self.agent not in AGENTS:
            raise ValueError(f"unknown agent {self.agent!r}; known agents: {', '.join(AGENTS)}")
        if not isinstance(self.steps, int) or self.steps <= 0:
            raise ValueError(f"steps must be a positive int, got {self.steps!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")


def exact_optimum(env: gym.Env) -> float | None:
    """The best expected return the environment exposes, if it has one."""
    fn = getattr(env.unwrapped, "optimal_return", None)
    return float(fn()) if callable(fn) else None


def evaluate(agent, env: gym.Env, n_episodes: int = 1, seed: int = 0, deterministic: bool = True):
    """Mean and standard deviation of the episode return of ``agent.predict``."""
    returns = []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + i)
        done, total = False, 0.0
        while not done:
            action, _ = agent.predict(obs, deterministic=deterministic)
            obs, r, terminated, truncated, _ = env.step(action)
            total += r
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns)), float(np.std(returns))


def run_cell(cell: Cell, n_eval_episodes: int = 1):
    """Train one agent from scratch; returns (result row, episode log, trained agent)."""
    env = gym.make(cell.env_id, **cell.env_kwargs)
    agent = AGENTS[cell.agent](env, seed=cell.seed, **cell.agent_kwargs)
    t0 = time.perf_counter()
    agent.learn(cell.steps)
    wall = time.perf_counter() - t0
    eval_env = gym.make(cell.env_id, **cell.env_kwargs)
    ret, _ = evaluate(agent, eval_env, n_eval_episodes, seed=10_000 + cell.seed)
    optimum = exact_optimum(eval_env)
    row = {
        "env": cell.env_id, "agent": cell.agent, "seed": cell.seed, "steps": cell.steps,
        "return": ret, "optimum": optimum,
        "fraction_of_optimum": (ret / optimum) if optimum not in (None, 0.0) else None,
        "wall_time_s": wall,
    }
    log = {"end_steps": agent.episodes.end_steps, "returns": agent.episodes.returns}
    return row, log, agent


def run(cells: list[Cell], out: str | Path, progress_bar: bool = True) -> list[dict]:
    """Run every cell not already finished in ``out``; write the results folder."""
    for cell in cells:
        cell.validate()
    out = Path(out)
    (out / "cells").mkdir(parents=True, exist_ok=True)
    done = {}
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), unit="cell")
    best = None
    for cell in cells:
        path = out / "cells" / f"{cell.key}.json"
        if path.exists():
            record = json.loads(path.read_text())
        else:
            row, log, agent = run_cell(cell)
            record = {"cell": asdict(cell), "row": row, "log": log}
            atomic_write_bytes(path, json.dumps(record).encode())
            agent.save(out / "cells" / f"{cell.key}.npz")
        done[cell.key] = record
        if best is None or record["row"]["return"] > best[1]["row"]["return"]:
            best = (cell, record)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    rows = [r["row"] for r in done.values()]
    write_table(rows, out)
    plot_learning_curves(list(done.values()), out / "curve.png")
    cell = best[0]
    agent = AGENTS[cell.agent].load(out / "cells" / f"{cell.key}.npz")
    write_rollout_gif(agent, cell.env_id, cell.env_kwargs, out / "rollout.gif", seed=cell.seed)
    return rows


def write_table(rows: list[dict], out: Path) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(out / "results.csv", buf.getvalue().encode())
    atomic_write_bytes(out / "results.json", json.dumps(rows, indent=1).encode())


def curve_on_grid(end_steps, returns, grid: np.ndarray) -> np.ndarray:
    """The return of the latest finished episode at each grid step (NaN before the first)."""
    end_steps = np.asarray(end_steps)
    idx = np.searchsorted(end_steps, grid, side="right") - 1
    vals = np.asarray(returns, dtype=float)[np.maximum(idx, 0)] if len(returns) else np.full(len(grid), np.nan)
    return np.where(idx >= 0, vals, np.nan)


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Running mean over ``window`` grid points (NaN-aware), to read a noisy curve."""
    out = np.full_like(y, np.nan)
    for i in range(len(y)):
        seg = y[max(0, i - window + 1): i + 1]
        seg = seg[~np.isnan(seg)]
        if len(seg):
            out[i] = seg.mean()
    return out


def mean_and_band(curves: np.ndarray, z: float = 1.96):
    """Mean over axis 0 and a normal-approximation 95 % confidence half-width.

    Columns with no value (before any run finished an episode) are NaN in both.
    """
    n = np.sum(~np.isnan(curves), axis=0)
    filled = np.where(np.isnan(curves), 0.0, curves)
    mean = np.where(n > 0, filled.sum(axis=0) / np.maximum(n, 1), np.nan)
    sq = np.where(np.isnan(curves), 0.0, (curves - mean) ** 2).sum(axis=0)
    std = np.sqrt(sq / np.maximum(n - 1, 1))
    return mean, np.where(n > 0, z * std / np.sqrt(np.maximum(n, 1)), np.nan)


def plot_learning_curves(records: list[dict], path: Path, n_points: int = 200) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_group: dict[tuple[str, str], list[dict]] = {}
    for rec in records:
        by_group.setdefault((rec["row"]["env"], rec["row"]["agent"]), []).append(rec)
    envs = sorted({env for env, _ in by_group})
    fig, axes = plt.subplots(1, len(envs), figsize=(6 * len(envs), 4), squeeze=False)
    for ax, env_id in zip(axes[0], envs):
        optimum = None
        for (env, agent), recs in sorted(by_group.items()):
            if env != env_id:
                continue
            steps = max(r["row"]["steps"] for r in recs)
            grid = np.linspace(1, steps, n_points)
            curves = np.array([smooth(curve_on_grid(r["log"]["end_steps"], r["log"]["returns"], grid), 5) for r in recs])
            mean, half = mean_and_band(curves)
            line, = ax.plot(grid, mean, label=f"{agent} ({len(recs)} seeds)")
            ax.fill_between(grid, mean - half, mean + half, color=line.get_color(), alpha=0.25)
            optimum = recs[0]["row"]["optimum"]
        if optimum is not None:
            ax.axhline(optimum, color="k", ls="--", lw=1, label=f"exact optimum {optimum:.3g}")
        ax.set_xlabel("environment steps")
        ax.set_ylabel("episode return (behaviour policy)")
        ax.set_title(env_id)
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def write_rollout_gif(agent, env_id: str, env_kwargs: dict, path: Path, seed: int = 0, max_frames: int = 200) -> None:
    """Render one greedy episode of ``agent`` to an animated GIF."""
    from PIL import Image

    env = gym.make(env_id, render_mode="rgb_array", **env_kwargs)
    obs, _ = env.reset(seed=seed)
    frames = [env.render()]
    done = False
    while not done and len(frames) < max_frames:
        action, _ = agent.predict(obs, deterministic=True)
        obs, _, terminated, truncated, _ = env.step(action)
        frames.append(env.render())
        done = terminated or truncated
    env.close()
    images = [Image.fromarray(f) for f in frames]
    fps = env.metadata.get("render_fps", 8)
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    atomic_write_bytes(path, buf.getvalue())


def summary_lines(rows: list[dict]) -> list[str]:
    """A Markdown table: mean return and fraction of optimum per env and agent."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["env"], r["agent"]), []).append(r)
    lines = ["| env | agent | seeds | steps | mean return | exact optimum | fraction of optimum | wall time (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for (env, agent), rs in sorted(groups.items()):
        ret = np.mean([r["return"] for r in rs])
        opt = rs[0]["optimum"]
        frac = [r["fraction_of_optimum"] for r in rs if r["fraction_of_optimum"] is not None]
        frac_s = f"{np.mean(frac):.3f}" if frac else "n/a"
        opt_s = f"{opt:.4g}" if opt is not None and math.isfinite(opt) else "n/a"
        lines.append(f"| {env} | {agent} | {len(rs)} | {rs[0]['steps']} | {ret:.4g} | {opt_s} | {frac_s} | "
                     f"{np.mean([r['wall_time_s'] for r in rs]):.2f} |")
    return lines
