"""The JAX twins' speed, beside gymnax's CartPole and our NumPy vector envs measured in the same
run, and PPO's wall time to a score: JAX (16 seeds in one program) vs SB3 vs the NumPy reference.

    python benchmarks/bench_jax.py [--sizes 1 64 1024 16384] [--seconds 1] [--skip-ppo]
    JAX_PLATFORMS=cuda python benchmarks/bench_jax.py   # the same figures on a GPU

Steps: each row is ``jax.jit`` of a ``lax.scan`` of ``jax.vmap(env.step)`` over ``n`` envs with
uniformly random actions drawn inside the program (auto-reset as gymnax does), timed after one
call that compiles it; env steps/s counts ``n`` per vmapped step.  The NumPy rows step the
native vector env (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``) with
pre-drawn random actions.  The load column is the 1-minute load average after the row.

PPO: GridMaze (dyna_maze, 20k steps) and LQControl (100-step episodes, 30k steps), the agents on
the settings of the leaderboard's rows (``baselines.compare.leaderboard``; SB3 on its ``ppo.yml``
entry, one torch thread as a comparison cell), each method's score the normalized score of its
greedy policy's return (``env.reference().normalize``: 0 the baseline policy, 1 the optimum) as
the median, range and count above 0 over the seeds, its time the wall time of training (JAX: all
seeds in one call, its compilation apart; SB3 and the reference agents: one seed after another).
The JAX row's "time to target" reads, from the training curve, the first update whose mean
training return over the seeds reaches the target return: 95 % of the way from the random
policy to the optimum on the maze, an episode cost within 10 % of the optimal cost on LQ.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import gymnasium as gym
import jax

import rl_envs
import rl_envs.jax as rj

SIZES = (1, 64, 1024, 16384)
# gymnax's Discrete.sample asks for int64, which 32-bit JAX gives as int32 (with a warning per compile)
warnings.filterwarnings("ignore", message="Explicitly requested dtype int64")
# the twins' rows: id -> the NumPy env's arguments (GridMaze on the comparison's maze)
TWIN_KWARGS = {"rl_envs/GridMaze-v0": {"layout": "dyna_maze"}}


def jax_rate(env, params, num_envs: int, seconds: float) -> float:
    """Env steps/s of ``num_envs`` copies stepped by one compiled scan."""
    length = max(16, 2**17 // num_envs)

    def run(key, state):
        def step(state, key):
            act_key, step_key = jax.random.split(key)
            actions = jax.vmap(env.action_space(params).sample)(jax.random.split(act_key, num_envs))
            _, state, reward, _, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(step_key, num_envs), state, actions, params
            )
            return state, reward.sum()

        return jax.lax.scan(step, state, jax.random.split(key, length))

    key = jax.random.key(0)
    _, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, num_envs), params)
    run = jax.jit(run)
    state, _ = jax.block_until_ready(run(key, state))  # compile
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        key, sub = jax.random.split(key)
        state, _ = jax.block_until_ready(run(sub, state))
        calls += 1
    return calls * length * num_envs / (time.perf_counter() - t0)


def numpy_rate(env_id: str, kwargs: dict, num_envs: int, seconds: float) -> float:
    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(16)]
    venv.step(actions[0])
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        venv.step(actions[steps % 16])
        steps += 1
    return steps * num_envs / (time.perf_counter() - t0)


def step_table(sizes: tuple[int, ...], seconds: float) -> None:
    """Print the steps/s table, a row as it is measured."""
    import gymnax

    print(
        "| environment | n | JAX steps/s | × gymnax CartPole-v1 (same n) | NumPy vector env steps/s | JAX / NumPy | load |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
    cartpole = {}
    cp_env, cp_params = gymnax.make("CartPole-v1")
    for n in sizes:
        cartpole[n] = jax_rate(cp_env, cp_params, n, seconds)
        print(f"| gymnax CartPole-v1 | {n} | {cartpole[n]:,.0f} | 1.00 |  |  | {os.getloadavg()[0]:.2f} |", flush=True)
    for env_id in rj.registered_ids():
        kwargs = TWIN_KWARGS.get(env_id, {})
        env, params = rj.make(env_id, **kwargs)
        for n in sizes:
            rate = jax_rate(env, params, n, seconds)
            reference = numpy_rate(env_id, kwargs, n, seconds)
            print(
                f"| {env_id} | {n} | {rate:,.0f} | {rate / cartpole[n]:.2f} | {reference:,.0f} | "
                f"{rate / reference:.1f} | {os.getloadavg()[0]:.2f} |",
                flush=True,
            )


# -- PPO: wall time to a score --------------------------------------------------------------------------

PPO_RUNS = {
    "rl_envs/GridMaze-v0": dict(
        kwargs={"layout": "dyna_maze"},
        steps=20_000,
        reference="QLearning",
        config=dict(num_envs=16, num_steps=32, num_minibatches=8, lr=1e-3),
        target=lambda ref: ref.random + 0.95 * (ref.value - ref.random),
    ),
    "rl_envs/LQControl-v0": dict(
        kwargs={"max_steps": 100},
        steps=30_000,
        reference="LinearReinforce",
        config=dict(num_envs=16, num_steps=100, num_minibatches=4, lr=3e-4, init_log_std=-3.0, reward_scale=0.1),
        target=lambda ref: 1.1 * ref.value,
    ),
}


def seed_scores(scores: list[float]) -> str:
    """The seeds' normalized scores as the median, the range and how many are above the baseline
    (0): a mean would be the score of no seed, a controller that destabilises LQ control scoring
    below 0 without bound."""
    s = np.asarray(scores, dtype=float)
    return f"{np.median(s):.3f} [{s.min():.3g}, {s.max():.3g}], {np.count_nonzero(s > 0)}/{len(s)} > 0"


def jax_ppo_row(env_id: str, run: dict, seeds: int) -> str:
    from baselines.jax_ppo import PPOConfig, evaluate, make_train

    env, params = rj.make(env_id, **run["kwargs"])
    ref = env.task.reference()
    config = PPOConfig(total_timesteps=run["steps"], **run["config"])
    train = jax.jit(jax.vmap(make_train(env, params, config)))
    keys = jax.random.split(jax.random.key(0), seeds)
    t0 = time.perf_counter()
    jax.block_until_ready(train(keys))
    compile_and_run = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = jax.block_until_ready(train(jax.random.split(jax.random.key(1), seeds)))
    wall = time.perf_counter() - t0
    returns = np.asarray(jax.jit(jax.vmap(lambda p, k: evaluate(env, params, config, p, k)))(out["params"], keys))
    score = seed_scores([ref.normalize(float(r))[0] for r in returns])
    m = out["metrics"]
    ended = np.asarray(m["returned_episode"]).sum(axis=(2, 3))
    curve = np.asarray((m["returned_episode_returns"] * m["returned_episode"]).sum(axis=(2, 3))) / np.maximum(ended, 1)
    mean_curve = curve.mean(axis=0)
    reached = [i for i, r in enumerate(mean_curve) if r >= run["target"](ref)]
    to_target = f"{wall * (reached[0] + 1) / config.num_updates:.1f}" if reached else "not reached"
    return (
        f"| {env_id} | JAX PPO ({seeds} seeds, one program) | {run['steps']:,} | {score} | {wall:.1f} "
        f"({wall / seeds:.2f} per seed; compile {compile_and_run - wall:.0f}) | {to_target} | {os.getloadavg()[0]:.2f} |"
    )


def sequential_row(env_id: str, run: dict, agent: str, seeds: int) -> str:
    from baselines.compare.leaderboard import LEADERBOARD
    from baselines.compare.run import make_agent
    from baselines.evaluation import evaluate, reference_of

    # the agent's settings in the leaderboard's row of this env (SB3: its ppo.yml entry)
    tuned = next(r for r in LEADERBOARD if r["env"] == env_id and r.get("env_kwargs", {}) == run["kwargs"])
    scores, wall = [], 0.0
    for seed in range(seeds):
        learner = make_agent(agent, env_id, run["kwargs"], seed, tuned["agents"][agent])
        t0 = time.perf_counter()
        learner.learn(run["steps"])
        wall += time.perf_counter() - t0
        env = gym.make(env_id, **run["kwargs"])
        ret = evaluate(learner, env, n_episodes=16, seed=seed)[0]
        ref = reference_of(env)
        scores.append(np.nan if ref is None else ref.normalize(ret)[0])
    score = seed_scores(scores)
    return (
        f"| {env_id} | {agent} ({seeds} seeds, one after another) | {run['steps']:,} | {score} | {wall:.1f} "
        f"({wall / seeds:.2f} per seed) |  | {os.getloadavg()[0]:.2f} |"
    )


def ppo_table(seeds: int, sb3_seeds: int) -> None:
    """Print the PPO table, a row as it is measured."""
    from baselines.compare.run import limit_threads

    # One torch thread, as a comparison cell trains: on a shared 2-core machine torch's default
    # two threads wait on each other (SB3's PPO took 128 s for the maze's 20k steps at load 8,
    # 7.8 s on one thread; benchmarks/bench_sbx.py).
    limit_threads(1)
    print(
        "| environment | agent | steps | normalized score: median [range], seeds above the baseline | "
        "training wall time, s | JAX: s to target | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|", flush=True)
    for env_id, run in PPO_RUNS.items():
        print(jax_ppo_row(env_id, run, seeds), flush=True)
        print(sequential_row(env_id, run, run["reference"], sb3_seeds), flush=True)
        print(sequential_row(env_id, run, "PPO", sb3_seeds), flush=True)
    print(
        "\nTargets: 95 % of the way from the random return to the optimum (maze), a cost within 10 % of the optimum (LQ)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=list(SIZES), help="numbers of envs (default 1 64 1024 16384)"
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per row (default 1)")
    parser.add_argument("--seeds", type=int, default=16, help="JAX PPO seeds, trained at once (default 16)")
    parser.add_argument("--sb3-seeds", type=int, default=2, help="SB3 and reference seeds (default 2)")
    parser.add_argument("--skip-steps", action="store_true", help="leave out the steps/s table")
    parser.add_argument("--skip-ppo", action="store_true", help="leave out the PPO table")
    args = parser.parse_args()
    print(f"JAX {jax.__version__} on {jax.devices()}; rl_envs {rl_envs.__version__}; {os.cpu_count()} CPUs\n")
    if not args.skip_steps:
        step_table(tuple(args.sizes), args.seconds)
        print()
    if not args.skip_ppo:
        ppo_table(args.seeds, args.sb3_seeds)


if __name__ == "__main__":
    main()
