"""Doya (2000) on the pendulum swing-up: trials until 10 successful trials, per method and seed.

    python experiments/doya_pendulum.py [--seeds 10] [--seed-offset 0] [--max-trials 300]
                                        [--out results/doya_pendulum] [--only traces] [--jobs 2]

Doya, K. (2000). Reinforcement learning in continuous time and space. Neural Computation 12(1),
219-245.  Its abstract claims three orderings: the continuous actor-critic needs several times
fewer trials than the discrete one; the value-gradient policy with a known (or learned) model
several times fewer again; and exponential eligibility traces learn more efficiently and
stably than the backward-Euler update.  Each method learns on ``PendulumSwingUp-v0`` (20 s
trials from θ ~ U(-π, π)) until it has had 10 successful trials (more than 10 s up) or
``--max-trials`` trials.  A seed's record (time up per trial) is written atomically to
``<out>/<method>/seed<k>.json`` when it finishes, so an interrupted run resumes with the
missing ones.  Then ``docs/doya_pendulum.png`` (``--figure``) plots time up per trial (median
and quartiles over seeds) and ``<out>/table.md`` tabulates the trial counts.

Seeds 0-9 are reported; the settings said to be tuned in ``baselines/continuous_time/settings.py``
were chosen on seeds 100-104 (``--seed-offset 100 --seeds 5``), never on the reported ones.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.common import atomic_write_bytes
from baselines.continuous_time import ContinuousActorCritic, DiscreteActorCritic, ValueGradientPolicy
from baselines.continuous_time.settings import (PENDULUM_AC_EULER, PENDULUM_AC_TRACES, PENDULUM_DISCRETE_AC,
                                                PENDULUM_VALUE_GRADIENT, PENDULUM_VALUE_GRADIENT_EULER)
from rl_envs.pendulum_swingup import SUCCESS_TIME_UP

SUCCESSES = 10

SETTINGS = {
    "continuous AC, traces": (ContinuousActorCritic, PENDULUM_AC_TRACES),
    "continuous AC, Euler": (ContinuousActorCritic, PENDULUM_AC_EULER),
    "discrete AC": (DiscreteActorCritic, PENDULUM_DISCRETE_AC),
    "value gradient, known model": (ValueGradientPolicy, PENDULUM_VALUE_GRADIENT),
    "value gradient, known model, Euler": (ValueGradientPolicy, PENDULUM_VALUE_GRADIENT_EULER),
    "value gradient, learned model": (ValueGradientPolicy, dict(PENDULUM_VALUE_GRADIENT, model="learned")),
}


class TrialLog(gym.Wrapper):
    """The time up of every finished trial (``info["time_up"]`` of its last step)."""

    def __init__(self, env):
        super().__init__(env)
        self.time_up: list[float] = []

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.time_up.append(float(info["time_up"]))
        return obs, reward, terminated, truncated, info


def run_seed(job) -> dict:
    method, seed, max_trials = job
    cls, hyper = SETTINGS[method]
    env = TrialLog(gym.make("rl_envs/PendulumSwingUp-v0"))
    agent = cls(env, seed=seed, **hyper)
    t0 = time.perf_counter()

    def more(_agent) -> bool:
        ups = np.asarray(env.time_up)
        return int((ups > SUCCESS_TIME_UP).sum()) < SUCCESSES and len(ups) < max_trials

    agent.learn(10**9, callback=more)
    ups = np.asarray(env.time_up)
    successes = np.cumsum(ups > SUCCESS_TIME_UP)
    done = successes[-1] >= SUCCESSES
    return {"method": method, "seed": seed, "hyperparameters": hyper, "max_trials": max_trials,
            "wall_time": time.perf_counter() - t0, "time_up": env.time_up,
            "trials_to_10_successes": int(np.argmax(successes >= SUCCESSES)) + 1 if done else None}


def slug(method: str) -> str:
    return method.replace(", ", "_").replace(" ", "_")


def path_of(out: Path, method: str, seed: int) -> Path:
    return out / slug(method) / f"seed{seed}.json"


def summarise(records: dict[str, list[dict]], max_trials: int) -> list[dict]:
    rows = []
    for method, recs in records.items():
        counts = [r["trials_to_10_successes"] for r in recs]
        finished = [c for c in counts if c is not None]
        # a seed that did not finish counts as more than the budget: the median is still defined
        censored = np.array([c if c is not None else max_trials + 1 for c in counts], dtype=float)
        rows.append({"method": method, "seeds": len(recs), "finished": len(finished),
                     "median": float(np.median(censored)), "q25": float(np.percentile(censored, 25)),
                     "q75": float(np.percentile(censored, 75)),
                     "min": min(finished) if finished else None, "max": max(finished) if finished else None,
                     "wall_time": float(sum(r["wall_time"] for r in recs))})
    return rows


def count_text(value: float, max_trials: int) -> str:
    """A (median or quartile) trial count; beyond the budget it is only known to exceed it."""
    return f"> {max_trials}" if value > max_trials else f"{value:g}"


def orderings(rows: list[dict], max_trials: int) -> list[tuple[str, bool | None, str]]:
    """Each claim of the paper: True or False on the median trial counts, None when both exceed
    the budget (then the run cannot tell)."""
    median = {r["method"]: r["median"] for r in rows}
    claims = [("continuous AC < discrete AC", "continuous AC, traces", "discrete AC"),
              ("value gradient (known model) < continuous AC", "value gradient, known model", "continuous AC, traces"),
              ("traces < Euler (continuous AC)", "continuous AC, traces", "continuous AC, Euler"),
              ("traces < Euler (value gradient, known model)", "value gradient, known model",
               "value gradient, known model, Euler")]
    return [(text, None if min(median[a], median[b]) > max_trials else bool(median[a] < median[b]),
             f"median {count_text(median[a], max_trials)} vs {count_text(median[b], max_trials)}")
            for text, a, b in claims if a in median and b in median]


def table(rows: list[dict], max_trials: int) -> str:
    lines = [f"| method | seeds finished (≤ {max_trials} trials) | median trials to 10 successes | quartiles | range | "
             "wall time (s) |", "|---|---|---|---|---|---|"]
    for r in rows:
        span = f"{r['min']}-{r['max']}" if r["min"] is not None else "-"
        lines.append(f"| {r['method']} | {r['finished']}/{r['seeds']} | {count_text(r['median'], max_trials)} | "
                     f"{count_text(r['q25'], max_trials)} to {count_text(r['q75'], max_trials)} | {span} | "
                     f"{r['wall_time']:.0f} |")
    lines.append("")
    verdict = {True: "holds", False: "does NOT hold", None: "cannot be told (both beyond the budget)"}
    lines += [f"* {text}: {verdict[ok]} ({numbers})" for text, ok, numbers in orderings(rows, max_trials)]
    return "\n".join(lines) + "\n"


def plot(records: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from baselines.experiment import save_figure

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for method, recs in records.items():
        n = max(len(r["time_up"]) for r in recs)
        # a seed that stopped (10 successes) keeps its last 10 trials' mean from then on
        curves = np.array([r["time_up"] + [float(np.mean(r["time_up"][-SUCCESSES:]))] * (n - len(r["time_up"]))
                           for r in recs])
        trials = np.arange(1, n + 1)
        line, = ax.plot(trials, np.median(curves, axis=0), label=f"{method} ({len(recs)} seeds)")
        ax.fill_between(trials, *np.percentile(curves, [25, 75], axis=0), color=line.get_color(), alpha=0.2)
    ax.axhline(SUCCESS_TIME_UP, color="k", ls="--", lw=1, label="success: > 10 s up")
    ax.set_xscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("time up in the trial (s), median and quartiles")
    ax.set_title("Pendulum swing-up (Doya 2000): learning curves")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed-offset", type=int, default=0, help="100 for the tuning seeds")
    parser.add_argument("--max-trials", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("results/doya_pendulum"))
    parser.add_argument("--figure", type=Path, default=Path("docs/doya_pendulum.png"))
    parser.add_argument("--only", default=None, help="run only the methods whose name contains this")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    methods = [m for m in SETTINGS if args.only is None or args.only in m]
    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    jobs = [(m, s, args.max_trials) for m in methods for s in seeds if not path_of(args.out, m, s).exists()]
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    with multiprocessing.Pool(args.jobs) as pool, tqdm(total=len(jobs), unit="seed") as bar:
        for rec in pool.imap_unordered(run_seed, jobs):
            atomic_write_bytes(path_of(args.out, rec["method"], rec["seed"]), json.dumps(rec).encode())
            bar.set_postfix_str(f"{rec['method']} seed {rec['seed']}: {rec['trials_to_10_successes']}")
            bar.update()
    records = {m: [json.loads(path_of(args.out, m, s).read_text()) for s in seeds] for m in methods}
    rows = summarise(records, args.max_trials)
    text = table(rows, args.max_trials)
    atomic_write_bytes(args.out / "table.md", text.encode())
    atomic_write_bytes(args.out / "results.json", json.dumps(rows, indent=1).encode())
    plot(records, args.figure)
    print(text)
    print(f"wall time of this call: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
