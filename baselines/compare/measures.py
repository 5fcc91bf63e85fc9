"""Measurements a cell can name in place of the comparison's evaluation (``Cell.measure``).

A figure reproduction often measures something other than the return of the final policy: the
discounted reward of a planner over thousands of runs, the exact cost of a learned gain after
every rollout, the checkpoint from which a greedy policy stays optimal, the trials until ten
successful ones, the test returns of a whole batch of runs at checkpoints.  Each such measurement is a function ``measure(cell, **arguments) ->
Measured`` registered here under its name, so that any process that runs cells (a pool worker,
a Ray task on another node) finds it from the name the cell holds.  It builds and trains the
cell's agent as its experiment requires; :func:`~baselines.compare.run.run_cell` puts the
headline return in the cell's row, the agent's training episodes in its log and the function's
JSON result in the record's ``"measurements"``.  The cell's ``measure`` mapping (name and
arguments) is part of its key, so a changed argument is a new cell.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import gymnasium as gym

from rl_envs.core import Reference

from ..episodes import EpisodeEnds
from ..evaluation import reference_of
from ..registry import AGENTS
from ..seeds import EPISODES_PER_CHECKPOINT, checkpoint_test_seeds

# compare.config.Cell, by name: config imports this module, which cannot import it back.
Cell: TypeAlias = Any


@dataclass
class Measured:
    """What a measure returns: the trained agent (its episodes are the cell's log), the JSON
    measurements, and the cell's headline return for its row (None when there is no finite
    one, e.g. a gain that no longer stabilises), with its spread, the seeds of the test episodes
    the measurements come from (none for an exact measure) and, when the headline is an episode
    return of the cell's environment, that environment's reference record (the row's reference
    columns and normalized score)."""

    agent: object
    measurements: dict
    ret: float | None
    ret_std: float | None = 0.0
    reference: Reference | None = None
    test_seeds: list[int] = field(default_factory=list)


MEASURES: dict = {}


def register(fn: Callable[..., Measured]) -> Callable[..., Measured]:
    """Register ``fn`` as a measure under its own name."""
    MEASURES[fn.__name__] = fn
    return fn


def measure_arguments(name: str, required: bool = False) -> set[str]:
    """The keyword arguments measure ``name`` takes besides the cell (only those without a
    default if ``required``)."""
    params = list(inspect.signature(MEASURES[name]).parameters.values())[1:]
    return {p.name for p in params if not required or p.default is p.empty}


def run_measure(cell: Cell) -> Measured:
    arguments = dict(cell.measure)
    return MEASURES[arguments.pop("name")](cell, **arguments)


def _agent(cell, env) -> Any:
    """The registry's agent of that name on ``env``, or an SB3 agent (the configuration allows one
    only for the measures of :data:`FOR_SB3`), which builds its own environments from the cell's."""
    if cell.agent in AGENTS:
        return AGENTS[cell.agent](env, seed=cell.seed, **cell.agent_kwargs)
    from ..sb3 import SB3Agent

    # compare.config.SB3_AGENTS: an SB3 agent is named by its algorithm in capitals
    return SB3Agent(cell.env, algo=cell.agent.lower(), seed=cell.seed, env_kwargs=cell.env_kwargs, **cell.agent_kwargs)


def _finite_or_none(values) -> list:
    """JSON has no infinity: an infinite value (an unstable gain's cost) is kept as null."""
    return [float(v) if math.isfinite(v) else None for v in values]


# -- belief-state planners: average discounted reward ----------------------------------------------


class UniformRandom:
    """The uniformly random policy (a floor for every POMDP table)."""

    def __init__(self, env: gym.Env, seed: int = 0):
        space = env.action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise TypeError(f"UniformRandom draws from a Discrete action space, got {space}")
        self.n, self.rng = space.n, np.random.default_rng(seed)

    def predict(
        self, obs: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        return self.rng.integers(self.n, size=np.shape(obs)), state


@register
def discounted_reward(cell: Cell, runs: int = 2000) -> Measured:
    """The average discounted reward from b0 over ``runs`` vectorised runs (the convention of the
    published POMDP scores, Pineau, Gordon & Thrun 2003; :func:`baselines.belief.discounted_rollouts`),
    with the time the agent took to plan or learn (``cell.steps``: a planner leaves it unused).
    ``cell.agent`` is a reference agent, an SB3 agent or ``UniformRandom``; an agent trained on the
    belief MDP (``rl_envs.wrappers.BeliefState``, as PPO's zoo entry is) acts on the beliefs that
    wrapper would give (:class:`baselines.belief.OnBeliefs`).  The row's return is that average,
    scored against the maze's reference, which is of the same discounted return."""
    from rl_envs.wrappers import BeliefState

    from ..belief import OnBeliefs, discounted_rollouts, summarize

    env = gym.make(cell.env, **cell.env_kwargs)
    maze: Any = env.unwrapped  # its exact references are its own methods (forwarded from its task)
    start = time.perf_counter()
    agent = UniformRandom(env, seed=cell.seed) if cell.agent == "UniformRandom" else _agent(cell, env).learn(cell.steps)
    solve_seconds = time.perf_counter() - start
    on_beliefs = getattr(agent, "observation_space", None) == BeliefState(env).observation_space
    policy = OnBeliefs(agent, maze.episode_model) if on_beliefs else agent
    # One generator draws every rollout: the first seed of the run's test stream.
    (test_seed,) = checkpoint_test_seeds(cell.seed, 0, 1)
    rollouts = discounted_rollouts(policy, env, runs, seed=test_seed)
    score = summarize(rollouts)
    score["median_steps"] = _finite_or_none([score["median_steps"]])[0]
    value_b0 = getattr(agent, "stats", {}).get("value_b0")
    measurements = {
        **score,
        "solve_seconds": solve_seconds,
        "planned_value_b0": value_b0,
        "mdp_upper_bound": maze.mdp_upper_bound(),
    }
    ref = reference_of(env, discounted=True)  # the discounted return from b0 that the rollouts average
    return Measured(agent, measurements, score["adr"], float(rollouts["returns"].std()), ref, [test_seed])


#: The measures an SB3 agent can take: those that train the agent with one ``learn`` call (each
#: call trains a fresh SB3 model, which cannot stop at a checkpoint and go on).
FOR_SB3 = {"discounted_reward"}


# -- linear-quadratic control: the exact cost of the learned gain ------------------------------------


@register
def gain_gap(cell: Cell) -> Measured:
    """The relative gap (C(K) - C(K*)) / C(K*) of the agent's deterministic gain before training
    and after each rollout, ``cell.steps / max_steps`` values in all, C being the environment's
    exact expected episode cost (``expected_cost``) and C(K*) the optimum (``optimal_cost``); an
    unstable gain's gap is infinite (null in JSON).  The row's return is -C of the final gain."""
    env = gym.make(cell.env, **cell.env_kwargs)
    lq: Any = env.unwrapped  # its exact references are its own methods (forwarded from its task)
    best, rollouts = lq.optimal_cost(), cell.steps // lq.max_steps
    agent = _agent(cell, env)
    gaps = [lq.expected_cost(agent.K) / best - 1.0]  # rollout 0: the initial gain

    def record(agent):
        gaps.append(lq.expected_cost(agent.K) / best - 1.0)
        return len(gaps) < rollouts

    agent.learn(cell.steps, callback=record)
    final = -best * (1.0 + gaps[-1])
    ref = reference_of(env)  # the same quantity: expected_cost ignores the divergence bound, as the reference does
    return Measured(agent, {"gaps": _finite_or_none(gaps)}, final if math.isfinite(final) else None, 0.0, ref)


# -- tabular control: steps until the greedy policy stays optimal ------------------------------------


@register
def greedy_checkpoints(cell: Cell, every: int, train_env_kwargs: dict | None = None) -> Measured:
    """Train on the maze with ``train_env_kwargs`` added (e.g. another episode limit), and every
    ``every`` steps evaluate the greedy policy on the maze of ``cell.env_kwargs`` (``cell.eval_episodes``
    episodes of the run's test stream at each checkpoint).  ``steps_to_optimal``: the checkpoint
    from which it stays optimal (exactly on a deterministic maze, within 0.05 with slip), or null."""
    from ..evaluation import evaluate

    eval_env = gym.make(cell.env, **cell.env_kwargs)
    maze: Any = eval_env.unwrapped  # its exact references are its own methods (forwarded from its task)
    optimum = maze.optimal_return()
    agent = _agent(cell, gym.make(cell.env, **cell.env_kwargs, **(train_env_kwargs or {})))
    deterministic = cell.env_kwargs.get("slip", 0.0) == 0
    checkpoints, returns, first_optimal, test_seeds = [], [], None, []
    for checkpoint, target in enumerate([*range(every, cell.steps, every), cell.steps]):
        while agent.num_timesteps < target:  # learn() returns early at a stopping test: keep going
            agent.learn(target - agent.num_timesteps)
        seeds = checkpoint_test_seeds(cell.seed, checkpoint, cell.eval_episodes)
        test_seeds += seeds
        ret, std = evaluate(agent, eval_env, seeds=seeds)
        checkpoints.append(agent.num_timesteps)
        returns.append(float(ret))
        optimal = abs(ret - optimum) <= 1e-6 * max(1.0, abs(optimum)) if deterministic else ret >= optimum - 0.05
        if optimal and first_optimal is None:
            first_optimal = agent.num_timesteps
        elif not optimal:
            first_optimal = None  # count from the checkpoint after which it stays optimal
    measurements = {"checkpoints": checkpoints, "returns": returns, "steps_to_optimal": first_optimal}
    return Measured(agent, measurements, returns[-1], float(std), reference_of(eval_env), test_seeds)


# -- the pendulum swing-up: trials until enough successful ones --------------------------------------


@register
def trials_to_successes(cell: Cell, successes: int = 10, max_trials: int = 300) -> Measured:
    """Learn on the pendulum swing-up until ``successes`` trials have been successful (more than
    ``SUCCESS_TIME_UP`` s up, as Doya 2000 counts them) or ``max_trials`` trials have run (``cell.steps``
    must allow them); the time up of every trial and the trial count (null if not reached).
    The row's return is the mean training return of the last ``successes`` trials."""
    from rl_envs.pendulum_swingup import SUCCESS_TIME_UP

    env = EpisodeEnds(gym.make(cell.env, **cell.env_kwargs), info_key="time_up")
    agent = _agent(cell, env)

    def more(_agent) -> bool:
        ups = np.asarray(env.info_values)
        return int((ups > SUCCESS_TIME_UP).sum()) < successes and len(ups) < max_trials

    agent.learn(cell.steps, callback=more)
    done = np.cumsum(np.asarray(env.info_values) > SUCCESS_TIME_UP) >= successes
    last = agent.episodes.returns[-successes:]
    measurements = {"time_up": env.info_values, "trials_to_successes": int(np.argmax(done)) + 1 if done.any() else None}
    return Measured(agent, measurements, float(np.mean(last)), float(np.std(last)), reference_of(env))


@register
def stopping_test(cell: Cell, pairs: list) -> Measured:
    """Learn for at most ``cell.steps`` steps, the agent's own stopping test ending it first
    (e.g. ``SoftmaxPolicyGradient``'s, as in the book's run); whether it stopped, the steps and
    episodes it took, the last episode's length, and the policy's probability ``pi[s, a]`` at
    each ``[s, a]`` of ``pairs``."""
    env = gym.make(cell.env, **cell.env_kwargs)
    agent = _agent(cell, env).learn(cell.steps)
    lengths = agent.episodes.lengths
    measurements = {
        "converged": bool(agent.converged),
        "steps": int(agent.num_timesteps),
        "episodes": len(lengths),
        "last_episode_length": lengths[-1],
        "pi": [float(agent.pi[s, a]) for s, a in pairs],
    }
    return Measured(agent, measurements, agent.episodes.returns[-1], 0.0, reference_of(env))


# -- tile actor-critics on the DPG paper's tasks: a batch of runs, tested at checkpoints ------------


@register
def seed_batch(cell: Cell, members: list, checkpoints: list, episodes: int = EPISODES_PER_CHECKPOINT) -> Measured:
    """Train the ``[seed, step sizes]`` members of ``cell.agent`` (a tile actor-critic, sharing
    ``cell.agent_kwargs``) on ``cell.env`` as one :class:`~baselines.linear.tile_actor_critic.SeedBatch`
    array program, and at each step count of ``checkpoints`` (increasing, from 0, the last
    ``cell.steps``) test every member's mean policy θᵀφ(s) (Silver et al. 2014, §5.2 and Fig. 2)
    on ``episodes`` episodes of its own test stream (:func:`baselines.seeds.checkpoint_test_seeds`
    of its seed, the i-th checkpoint's at the i-th).  ``returns`` and ``member_steps`` are
    ``(members, checkpoints)``, ``returns`` the mean over the episodes (``episode_returns`` and
    ``test_seeds`` hold each episode's, ``(members, checkpoints, episodes)``): a member that ended
    fewer episodes takes a few more steps, so its count is recorded (NaN returns: a diverged member).
    The row's return is the mean over the members at the last checkpoint (null if one diverged)."""
    from ..linear.tile_actor_critic import SeedBatch, TileActorCritic

    if not checkpoints or checkpoints[-1] != cell.steps:
        raise ValueError(f"the last checkpoint must be the cell's {cell.steps} steps, got {checkpoints}")
    agent_class = AGENTS[cell.agent]
    if not issubclass(agent_class, TileActorCritic):
        raise ValueError(f"seed_batch runs a tile actor-critic, got {cell.agent}")
    seeds = [s for s, _ in members]
    batch = SeedBatch(
        agent_class, cell.env, seeds, env_kwargs=cell.env_kwargs, settings=[m for _, m in members], **cell.agent_kwargs
    )
    # test_seeds[member, checkpoint, episode]
    test_seeds = np.array([[checkpoint_test_seeds(s, i, episodes) for i in range(len(checkpoints))] for s in seeds])
    episode_returns, steps, done = np.empty(test_seeds.shape), [], 0
    for i, t in enumerate(checkpoints):
        batch.learn(t - done)
        done = t
        steps.append(batch.steps.tolist())
        for k in range(episodes):
            episode_returns[:, i, k] = batch.test_returns(test_seeds[:, i, k])
    returns = episode_returns.mean(axis=2)
    last = returns[:, -1]
    finite = bool(np.isfinite(last).all())
    measurements = {
        "returns": returns.tolist(),
        "member_steps": np.array(steps).T.tolist(),
        "episode_returns": episode_returns.tolist(),
        "test_seeds": test_seeds.tolist(),
    }
    return Measured(
        None,
        measurements,
        float(last.mean()) if finite else None,
        float(last.std()) if finite else None,
        reference_of(gym.make(cell.env, **cell.env_kwargs)),
        test_seeds=test_seeds.ravel().tolist(),
    )
