"""Distributional TD at the paper's scale: 2·10⁶ rewards of the variable-magnitude task
(Dabney et al. 2020, Nature 577:671), α⁺ = 0.002 τ and α⁻ = 0.002 (1 − τ), the second half's
average of each predictor against the exact τ-expectile (``ExpectileTD``) and τ-quantile
(``QuantileTD``); and the agents' training steps per second.

    python benchmarks/bench_distributional_td.py [--rewards 2000000] [--seed 0]

It exits with status 1 if a learned value misses its reference by more than the tolerance: 0.01
for the quantiles, and for the expectiles the larger of 0.01 and four times the exact standard
deviation of a second-half average (``averaged_expectile_sd``; at τ = 0.9 one 10⁶-reward average
scatters by 0.015, so 0.01 alone would fail about half the seeds).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import rl_envs
from baselines.distributional import ExpectileTD, QuantileTD, averaged_expectile_sd
from rl_envs.variable_reward import VariableRewardEnv

TAUS = (0.1, 0.25, 0.5, 0.75, 0.9)
STEP_SIZE = 0.002


def second_half_average(agent, rewards: int) -> np.ndarray:
    agent.learn(rewards // 2)
    total, count = np.zeros(agent.n_predictors), [0]

    def add(a):
        total[:] += a.V[0]
        count[0] += 1

    agent.learn(rewards - rewards // 2, callback=add)
    return total / count[0]


def run(rewards: int, seed: int = 0) -> dict:
    """Rows (agent, τ, learned, exact, tolerance) and the problems found."""
    env = VariableRewardEnv()
    ref = env.reference()
    n = rewards - rewards // 2
    exact = {"ExpectileTD": ref.expectiles(TAUS), "QuantileTD": rl_envs.quantiles(ref.values, ref.probabilities, TAUS)}
    tolerance = {
        "ExpectileTD": [
            max(0.01, 4 * averaged_expectile_sd(ref.values, ref.probabilities, t) / np.sqrt(n)) for t in TAUS
        ],
        "QuantileTD": [0.01] * len(TAUS),
    }
    rows, problems, rates = [], [], {}
    for cls in (ExpectileTD, QuantileTD):
        start = time.perf_counter()
        learned = second_half_average(cls(env, taus=TAUS, step_size=STEP_SIZE, seed=seed), rewards)
        rates[cls.__name__] = rewards / (time.perf_counter() - start)
        for tau, value, target, tol in zip(TAUS, learned, exact[cls.__name__], tolerance[cls.__name__]):
            rows.append((cls.__name__, tau, value, target, tol))
            if abs(value - target) > tol:
                problems.append(f"{cls.__name__} τ = {tau}: {value:.4f}, exact {target:.4f} (tolerance {tol:.4f})")
    return {"rows": rows, "problems": problems, "steps_per_second": rates}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rewards", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.rewards, args.seed)
    print(f"{'agent':12s} {'tau':>5s} {'learned':>9s} {'exact':>9s} {'|diff|':>7s} {'tol':>7s}")
    for name, tau, value, target, tol in result["rows"]:
        print(f"{name:12s} {tau:5.2f} {value:9.4f} {target:9.4f} {abs(value - target):7.4f} {tol:7.4f}")
    for name, rate in result["steps_per_second"].items():
        print(f"{name}: {rate:,.0f} training steps/s")
    for problem in result["problems"]:
        print("FAIL", problem, file=sys.stderr)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
