"""Pieces every experiment shares: the reference-agent registry, evaluation, the exact optimum
of an environment, result tables and learning-curve plots (mean and a 95 % band over seeds).

The runner over cells (env, agent, seed) is :mod:`baselines.compare`.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401  (registers the environments)

from .common import atomic_write_bytes
from . import belief, continuous_time, intrinsic, linear
from .tabular import CONTROL_AGENTS, TD0, MonteCarlo

# Every reference agent by class name: tabular, linear, belief-state and intrinsic.  tests/test_agent_protocol.py
# checks the agent protocol (baselines/common.py) over every entry, so registering an agent here tests it.
AGENTS = {cls.__name__: cls for cls in (
    *CONTROL_AGENTS, MonteCarlo, TD0,
    linear.COPDACB, linear.SACB, linear.COPDACQ, linear.LinearReinforce, linear.ContinuousTimeActorCritic,
    linear.TileSAC, linear.TileOffPAC, linear.TileCOPDACQ,
    belief.QMDP, belief.MostLikelyState, belief.Perseus,
    intrinsic.MOP, intrinsic.RewardSeeking,
    continuous_time.ContinuousActorCritic, continuous_time.DiscreteActorCritic, continuous_time.ValueGradientPolicy,
)}


def exact_optimum(env: gym.Env) -> float | None:
    """The best expected return the environment exposes, if it has one.

    ``optimal_return()`` where the environment defines it, else minus ``optimal_cost()`` (LQ
    control reports costs); None for tasks without a known optimum (the octopus arm).
    """
    u = env.unwrapped
    if callable(getattr(u, "optimal_return", None)):
        return float(u.optimal_return())
    if callable(getattr(u, "optimal_cost", None)):
        return -float(u.optimal_cost())
    return None


def evaluate(agent, env: gym.Env, n_episodes: int = 1, seed: int = 0, deterministic: bool = True):
    """Mean and standard deviation of the episode return of ``agent.predict``."""
    returns = []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + i)
        done, total, state, start = False, 0.0, None, True
        while not done:
            # state/episode_start as SB3's evaluate_policy passes them: belief agents keep their belief there.
            action, state = agent.predict(obs, state=state, episode_start=np.array([start]), deterministic=deterministic)
            obs, r, terminated, truncated, _ = env.step(action)
            total += r
            done, start = terminated or truncated, False
        returns.append(total)
    return float(np.mean(returns)), float(np.std(returns))


def write_csv(path: Path, rows: list[dict], fieldnames=None) -> None:
    """Write ``rows`` as CSV atomically (columns: ``fieldnames`` or the first row's keys)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames or rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(path, buf.getvalue().encode())


def write_table(rows: list[dict], out: Path) -> None:
    """``results.csv`` and ``results.json`` of one row per cell."""
    write_csv(out / "results.csv", rows)
    atomic_write_bytes(out / "results.json", json.dumps(rows, indent=1).encode())


def save_figure(fig, path: Path, dpi: int = 100) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


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


def _symlog_if_wide(ax, optimum: float | None) -> None:
    """Returns spanning several decades (a diverging LQ controller, a bandit's early costs) are
    unreadable on a linear axis: switch to symlog, linear within the optimum's own scale."""
    signed = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()])
    signed = signed[np.isfinite(signed)]
    values = np.abs(signed)
    scale = abs(optimum) if optimum else (np.percentile(values, 5) if len(values) else 1.0)
    scale = max(float(scale), 1e-6)
    if len(values) and values.max() > 100 * scale:
        ax.set_yscale("symlog", linthresh=scale)
        ax.set_ylim(top=signed.max() + scale)


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
            # A normal-approximation band over few seeds of heavy-tailed returns can leave the range
            # any seed reached; it is drawn within that range.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # grid points before any episode ended
                lo, hi = np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)
            ax.fill_between(grid, np.maximum(mean - half, lo), np.minimum(mean + half, hi), color=line.get_color(), alpha=0.25)
            optimum = recs[0]["row"]["optimum"]
        if optimum is not None:
            ax.axhline(optimum, color="k", ls="--", lw=1, label=f"exact optimum {optimum:.3g}")
        _symlog_if_wide(ax, optimum)
        ax.set_xlabel("environment steps")
        ax.set_ylabel("episode return (behaviour policy)")
        ax.set_title(env_id)
        ax.legend(loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
