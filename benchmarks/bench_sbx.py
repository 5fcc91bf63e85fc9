"""Stable-Baselines3 (PyTorch) against SBX (``sbx-rl``, its JAX port) on the same algorithm and
settings, and SB3's off-policy algorithms on 1 and 4 copies of the env at the same
update-to-data ratio: training wall time, and the normalized score of the greedy policy.

    PYTHONPATH=. nice -n 5 python benchmarks/bench_sbx.py [--seeds 3] [--scale 1]

SBX is not in the project's lock (sbx-rl 0.28 requires tfp-nightly, a nightly build of
TensorFlow Probability), so this runs in a venv of its own: the lock, then sbx-rl on top, which
adds tfp-nightly, dm-tree, gast and wrapt and changes none of the lock's versions::

    python -m venv /tmp/venv-sbx && /tmp/venv-sbx/bin/pip install --no-deps -r requirements-dev.lock
    /tmp/venv-sbx/bin/pip install sbx-rl==0.28.0

Each case trains with its entry of ``baselines/hyperparams/<algo>.yml`` through
:func:`baselines.sb3.build_model` (``backend="sbx"`` builds SBX's class with the same keywords
on the same ``VecEnv``), for a fixed budget on training seeds 0, 1, ..., the two ways of a case
alternating (the first way first on even seeds, second on odd) so that they share the machine's
load.  Torch and XLA run on one thread each, as the comparison's workers run a cell
(``baselines.compare.run.limit_threads``).  A time is the median over the seeds of the wall time
of building the model and its ``learn``; SBX's includes its JIT compilation, given apart too
("compile s": JAX's tracing, lowering and XLA compile events, as ``jax.monitoring`` reports
them; a new model may compile again what the last one compiled).  A score is the normalized
score (``env.unwrapped.reference().normalize``: 0 the random policy, 1 the optimum) of the
greedy policy's mean return over the run's 10 test episodes
(``baselines.seeds.checkpoint_test_seeds(seed, 0)``), as a comparison cell scores it: the median
over the seeds (a policy that destabilises LQ control scores -10⁶ or less), with the lowest and
highest.  The quadratic bandit's problem ``C`` is fixed per seed, so that the policy is tested
on the problem it learned.  ``load`` is the mean 1-minute load average after the case's runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version

# One XLA thread (its matrix products use every core otherwise); set before JAX is imported.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np

import rl_envs  # noqa: F401
from baselines.evaluation import evaluate, reference_of
from baselines.sb3 import build_model, load_hyperparams, make_env
from baselines.seeds import checkpoint_test_seeds
from rl_envs.bandit import random_cost_matrix

# JAX's compile-time events: tracing to a jaxpr, lowering it to MLIR, XLA's compilation.
COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)


@dataclass(frozen=True)
class Way:
    """One side of a comparison: the library and the overrides of the yml's entry."""

    label: str
    backend: str = "sb3"
    hyperparams: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    algo: str
    env_id: str
    env_kwargs: dict
    steps: int
    ways: tuple[Way, Way]


SB3_SBX = (Way("SB3"), Way("SBX", "sbx"))
MAZE = {"layout": "dyna_maze"}
BANDIT = {"dim": 10}
# SBX against SB3: the leaderboard's rows (PPO and the off-policy algorithm of the action space),
# at budgets that keep the whole run near 15 minutes on 2 shared cores.
SBX_CASES = (
    Case("ppo", "rl_envs/GridMaze-v0", MAZE, 20_000, SB3_SBX),
    Case("ppo", "rl_envs/LQControl-v0", {"max_steps": 100}, 50_000, SB3_SBX),
    Case("sac", "rl_envs/QuadraticBandit-v0", BANDIT, 2_000, SB3_SBX),
    Case("sac", "rl_envs/PendulumSwingUp-v0", {}, 5_000, SB3_SBX),
    Case("dqn", "rl_envs/GridMaze-v0", MAZE, 20_000, SB3_SBX),
)
# SB3 counts train_freq and gradient_steps in calls of the VecEnv, each of n_envs transitions: 4
# copies keep the yml's update-to-data ratio with DQN's train_freq 4 -> 1 (one gradient step per
# 4 transitions; its target update interval SB3 divides by n_envs itself) and SAC's
# gradient_steps 1 -> -1 (as many gradient steps as transitions collected).
N_ENVS_CASES = (
    Case(
        "dqn",
        "rl_envs/GridMaze-v0",
        MAZE,
        20_000,
        (Way("n_envs 1"), Way("n_envs 4", "sb3", {"n_envs": 4, "train_freq": 1})),
    ),
    Case(
        "sac",
        "rl_envs/QuadraticBandit-v0",
        BANDIT,
        2_000,
        (Way("n_envs 1"), Way("n_envs 4", "sb3", {"n_envs": 4, "gradient_steps": -1})),
    ),
)


class CompileClock:
    """Seconds JAX spent compiling since the last ``reset``."""

    def __init__(self) -> None:
        import jax.monitoring

        self.seconds = 0.0
        jax.monitoring.register_event_duration_secs_listener(self._record)

    def _record(self, event: str, duration: float, **_: object) -> None:
        if event in COMPILE_EVENTS:
            self.seconds += duration

    def reset(self) -> None:
        self.seconds = 0.0


class Greedy:
    """The trained model's deterministic policy on the env's own observations, as
    ``baselines.evaluation.evaluate`` calls it: one-hot encoded for an SBX model of Discrete
    observations, normalised where the training ``VecNormalize`` normalises them."""

    def __init__(self, model) -> None:
        from stable_baselines3.common.vec_env import VecNormalize

        from baselines.sb3_vec import OneHotObservations

        self.model = model
        venv = model.get_env()
        if isinstance(venv, OneHotObservations):
            self.prepare = venv.encode
        elif isinstance(venv, VecNormalize) and venv.norm_obs:
            self.prepare = lambda obs: venv.normalize_obs(np.asarray(obs, dtype=np.float32))
        else:
            self.prepare = np.asarray

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.model.predict(self.prepare(obs), state, episode_start, deterministic)


def env_kwargs_of(case: Case, seed: int) -> dict:
    """The case's env arguments; the bandit's problem drawn once per seed and given as ``C``, so
    that the seeded resets of training and testing keep it."""
    if case.env_id == "rl_envs/QuadraticBandit-v0":
        return {**case.env_kwargs, "C": random_cost_matrix(case.env_kwargs["dim"], np.random.default_rng(seed))}
    return dict(case.env_kwargs)


def run(case: Case, way: Way, seed: int, clock: CompileClock | None, steps: int) -> dict:
    """Train one seed one way; its wall time, compile time, gradient steps and normalized score."""
    env_kwargs = env_kwargs_of(case, seed)
    if clock is not None:
        clock.reset()
    t0 = time.perf_counter()
    model = build_model(case.algo, case.env_id, seed, way.hyperparams, env_kwargs, backend=way.backend)
    model.learn(steps)
    seconds = time.perf_counter() - t0
    compile_seconds = clock.seconds if clock is not None and way.backend == "sbx" else 0.0
    env = make_env(case.env_id, env_kwargs, load_hyperparams(case.algo, case.env_id).get("env_wrapper"))
    ret, _ = evaluate(Greedy(model), env, seeds=checkpoint_test_seeds(seed, 0))
    ref = reference_of(env)
    assert ref is not None, f"{case.env_id} has no reference of the episode return"
    return {
        "seconds": seconds,
        "compile": compile_seconds,
        "updates": int(getattr(model, "_n_updates", 0)),
        "score": ref.normalize(ret)[0],
        "load": os.getloadavg()[0],
    }


def measure(case: Case, seeds: int, clock: CompileClock | None, scale: float) -> dict[str, list[dict]]:
    steps = max(1, round(case.steps * scale))
    results: dict[str, list[dict]] = {way.label: [] for way in case.ways}
    for seed in range(seeds):
        for way in case.ways if seed % 2 == 0 else case.ways[::-1]:
            results[way.label].append(run(case, way, seed, clock, steps))
            print(f"  {case.algo} {case.env_id} seed {seed} {way.label}: {results[way.label][-1]}", file=sys.stderr)
    return results


def scores(runs: list[dict]) -> str:
    values = [r["score"] for r in runs]
    return f"{statistics.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def warm_up(clock: CompileClock | None) -> None:
    """One short run each way first, so that no timed run pays for loading torch's and XLA's code."""
    case = SBX_CASES[-1]
    for way in SB3_SBX if clock is not None else SB3_SBX[:1]:
        build_model(case.algo, case.env_id, 0, {"learning_starts": 64}, case.env_kwargs, backend=way.backend).learn(256)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="training seeds 0 .. seeds-1 per case")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every budget (a short trial run)")
    parser.add_argument("--no-sbx", action="store_true", help="only the n_envs table (SB3 alone)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    clock = None if args.no_sbx else CompileClock()
    libraries = ["stable-baselines3", "torch", "gymnasium"] + (
        [] if args.no_sbx else ["sbx-rl", "jax", "flax", "optax"]
    )
    print(
        f"{date.today()}, {cpu_name()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {', '.join(f'{name} {version(name)}' for name in libraries)}; "
        f"torch threads 1, XLA_FLAGS={os.environ['XLA_FLAGS']!r}; {args.seeds} seeds; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    warm_up(clock)
    started = time.perf_counter()
    if not args.no_sbx:
        print(
            "| algorithm | environment | steps | SB3 s | SBX s | of which SBX compile s | SB3 / SBX | SB3 score | SBX score | load |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---|---|---:|")
        for case in SBX_CASES:
            res = measure(case, args.seeds, clock, args.scale)
            sb3, sbx = res["SB3"], res["SBX"]
            print(
                f"| {case.algo.upper()} | {case.env_id} | {round(case.steps * args.scale):,} | "
                f"{median(sb3, 'seconds'):.1f} | {median(sbx, 'seconds'):.1f} | {median(sbx, 'compile'):.1f} | "
                f"{median(sb3, 'seconds') / median(sbx, 'seconds'):.2f} | {scores(sb3)} | {scores(sbx)} | "
                f"{np.mean([r['load'] for r in sb3 + sbx]):.2f} |",
                flush=True,
            )
        print()
    print(
        "| SB3 algorithm | environment | steps | n_envs 1 s | n_envs 4 s | 1 / 4 | gradient steps | n_envs 1 score | n_envs 4 score | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---|---:|")
    for case in N_ENVS_CASES:
        res = measure(case, args.seeds, None, args.scale)
        one, four = (res[way.label] for way in case.ways)
        print(
            f"| {case.algo.upper()} | {case.env_id} | {round(case.steps * args.scale):,} | "
            f"{median(one, 'seconds'):.1f} | {median(four, 'seconds'):.1f} | "
            f"{median(one, 'seconds') / median(four, 'seconds'):.2f} | "
            f"{median(one, 'updates'):,.0f} / {median(four, 'updates'):,.0f} | {scores(one)} | {scores(four)} | "
            f"{np.mean([r['load'] for r in one + four]):.2f} |",
            flush=True,
        )
    print(
        f"\n{time.perf_counter() - started:.0f} s in all; load average after: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
