"""What every tabular agent shares: discrete spaces, the interaction loop, exploration, softmax
policies, and the three kinds of table an agent learns (action values, preferences, state values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces

from rl_envs.validation import discount, positive, real

from ..agent import Agent
from ..agent_files import ArraySpec


def linear_schedule(start: float, end: float, steps: int) -> Callable[[int], float]:
    """``start`` at step 0, moving linearly to ``end`` at ``steps`` and staying there."""
    if steps <= 0:
        raise ValueError(f"schedule length must be positive, got {steps}")

    def value(t: int) -> float:
        return end + (start - end) * max(0.0, 1.0 - t / steps)

    value.__qualname__ = f"linear_schedule({start}, {end}, {steps})"
    return value


def as_schedule(value: float | tuple[float, float, int] | Callable[[int], float], name: str) -> Callable[[int], float]:
    """A constant, a ``(start, end, steps)`` triple, or a callable of the step count."""
    if callable(value):
        return cast(Callable[[int], float], value)  # the user's schedule of the step count
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return linear_schedule(float(value[0]), float(value[1]), int(value[2]))
    try:
        const = real(value, name, low=0)
    except ValueError as e:
        raise ValueError(f"{e}; a schedule is a number, a (start, end, steps) triple or a callable") from None
    return lambda t: const


def check_step_size(value: Any, name: str) -> float:
    """A constant step size in (0, 1]: past 1 a tabular update overshoots its target."""
    return real(value, name, low=0, high=1, low_open=True, kind="step size")


def greedy(q_row: np.ndarray, rng: np.random.Generator) -> int:
    """argmax with ties broken at random (a fixed tie-break biases early exploration)."""
    row = q_row.tolist()  # plain Python: this runs once per step
    top = max(row)
    best = [i for i, q in enumerate(row) if q == top]
    return best[0] if len(best) == 1 else best[int(rng.integers(len(best)))]


def softmax(prefs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """``exp(prefs / temperature)`` normalised over the last axis.

    NaN preferences are moves the policy may not take (the book's theta_0 marks walls so):
    they get probability 0.  A row with no allowed move is uniform, so that a policy is defined
    everywhere (such rows are terminal states, never acted in).
    """
    prefs = np.asarray(prefs, dtype=float)
    allowed = ~np.isnan(prefs)
    z = np.where(allowed, prefs, -np.inf) / temperature
    top = z.max(axis=-1, keepdims=True)
    e = np.where(allowed, np.exp(z - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = e.sum(axis=-1, keepdims=True)
    uniform = np.full_like(e, 1.0 / e.shape[-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, e / total, uniform)


def draw(weights: list[float], u: float) -> int:
    """The first index whose cumulative weight exceeds ``u * sum(weights)``: an index drawn with
    probabilities proportional to ``weights`` from a uniform ``u`` in [0, 1).

    Plain Python on purpose: on a handful of actions it is several times faster than NumPy's
    cumsum/searchsorted, and it runs once per environment step.  A zero weight is never drawn,
    not even when rounding leaves the total just below the threshold.
    """
    total = sum(weights)
    if not total > 0:
        raise ValueError(f"weights must have a positive sum, got {weights}")
    threshold = u * total
    c, last = 0.0, 0
    for i, w in enumerate(weights):
        if w > 0:
            c += w
            last = i
            if c > threshold:
                return i
    return last


def sample(p: np.ndarray, rng: np.random.Generator) -> int:
    """An index drawn with probabilities ``p``."""
    return draw(p.tolist(), rng.random())


def softmax_row(prefs: np.ndarray, temperature: float = 1.0) -> list[float]:
    """:func:`softmax` of one row, as a list: the per-step version (plain Python, for speed),
    with the same conventions (NaN excluded; uniform when no move is allowed)."""
    z = [x / temperature for x in prefs.tolist()]
    allowed = [x for x in z if x == x]  # NaN != NaN
    top = max(allowed) if allowed else math.nan
    e = [math.exp(x - top) if x == x else 0.0 for x in z] if math.isfinite(top) else []
    total = sum(e)
    if not (total > 0 and math.isfinite(total)):
        return softmax(prefs, temperature).tolist()  # no allowed move, or infinite preferences
    return [x / total for x in e]


def sample_softmax(prefs: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """An index drawn from ``softmax(prefs, temperature)`` (one row), NaN preferences excluded."""
    return draw(softmax_row(prefs, temperature), rng.random())


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_{t+1} + gamma G_{t+1}`` for every step of an episode, with ``G_T = 0``."""
    G = np.empty(len(rewards))
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = rewards[t] + gamma * g
        G[t] = g
    return G


class TabularAgent(Agent):
    """An agent over ``Discrete`` observations and actions.

    ``_action(s, deterministic)`` is the policy: with ``deterministic=False`` the behaviour that
    ``learn`` follows, with True the learned policy.  The loop's memo is ``(s, a)``: an agent
    that learns from every step implements ``_learn_step((s, a), r, s2, terminated,
    truncated)``; one that learns from whole episodes keeps this class's ``_learn_step``, which
    records the episode, and reads it in ``_learn_episode`` with :meth:`_take_episode`.
    """

    observation_space: spaces.Discrete
    action_space: spaces.Discrete

    def __init__(self, env: gym.Env | str, gamma: float = 1.0, seed: int | None = None, **hyperparameters: Any):
        super().__init__(env, seed=seed, gamma=gamma, **hyperparameters)
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Discrete):
                raise TypeError(
                    f"{type(self).__name__} is tabular: it needs a Discrete {what} space, got {space}. "
                    "Discretise the space first (e.g. with a wrapper)."
                )
        self.gamma = discount(gamma)
        self.n_states = int(self.observation_space.n)
        self.n_actions = int(self.action_space.n)
        self._ep_states: list[int] = []
        self._ep_actions: list[int] = []
        self._ep_rewards: list[float] = []

    def _action(self, s: int, deterministic: bool) -> int:
        raise NotImplementedError

    def _behave(self, obs):
        s = int(obs)
        a = self._action(s, deterministic=False)
        return a, (s, a)

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, a = memo
        self._ep_states.append(s)
        self._ep_actions.append(a)
        self._ep_rewards.append(r)

    def _take_episode(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The states, actions and rewards recorded since the last call."""
        episode = np.array(self._ep_states), np.array(self._ep_actions), np.array(self._ep_rewards)
        self._ep_states, self._ep_actions, self._ep_rewards = [], [], []
        return episode

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation)
        if not np.issubdtype(obs.dtype, np.integer):
            raise ValueError(f"observation must be integer state indices, got dtype {obs.dtype}")
        if np.any((obs < 0) | (obs >= self.n_states)):
            raise ValueError(f"observation out of range [0, {self.n_states}): {observation}")
        actions = np.array([self._action(int(s), deterministic) for s in obs.ravel()]).reshape(obs.shape)
        return (int(actions) if obs.ndim == 0 else actions), state


class ActionValueAgent(TabularAgent):
    """Learns a table ``Q[s, a]`` and behaves epsilon-greedily with respect to it (``_exploit``
    is the move when not exploring; soft Q-learning samples its Boltzmann policy there).

    Arguments shared by the value-based control agents: ``alpha`` step size, ``gamma``
    discount, ``epsilon`` exploration rate (a number, a ``(start, end, steps)`` linear decay,
    or a callable of the step count), ``q_init`` initial action values, ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha: float = 0.5,
        gamma: float = 1.0,
        epsilon: float | tuple[float, float, int] | Callable[[int], float] = (1.0, 0.05, 2_000),
        q_init: float = 0.0,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, gamma=gamma, seed=seed, alpha=alpha, epsilon=epsilon, q_init=q_init, **hyperparameters)
        self.alpha = check_step_size(alpha, "alpha")
        self.epsilon = as_schedule(epsilon, "epsilon")
        self.Q = np.full((self.n_states, self.n_actions), float(q_init))

    def _array_specs(self):
        return {"Q": ArraySpec((self.n_states, self.n_actions))}

    def _action(self, s: int, deterministic: bool) -> int:
        if deterministic:
            return int(np.argmax(self.Q[s]))
        if self.rng.random() < self.epsilon(self.num_timesteps):
            return int(self.rng.integers(self.n_actions))
        return self._exploit(s)

    def _exploit(self, s: int) -> int:
        """The behaviour's move when it does not explore: greedy, ties broken at random."""
        return greedy(self.Q[s], self.rng)


class SoftmaxPolicyAgent(TabularAgent):
    """Acts with the softmax policy ``pi(a|s) = exp(theta[s, a] / temperature) / sum_b ...``.

    ``theta0`` is the initial preference table (NaN marks moves never to take); the default is
    zeros (the uniform policy).  The deterministic (greedy) action is the most probable one.
    """

    theta: np.ndarray  # the preferences, (n_states, n_actions)

    def __init__(
        self,
        env: gym.Env | str,
        gamma: float = 1.0,
        temperature: float = 1.0,
        theta0: ArrayLike | None = None,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, gamma=gamma, seed=seed, temperature=temperature, **hyperparameters)
        self.temperature = positive(temperature, "temperature")
        shape = (self.n_states, self.n_actions)
        if theta0 is None:
            self.theta = np.zeros(shape)
        else:
            self.theta = np.array(theta0, dtype=float)
            if self.theta.shape != shape:
                raise ValueError(f"theta0 must have shape {shape}, got {self.theta.shape}")
            if np.any(np.isinf(self.theta)):
                raise ValueError("theta0 must be finite (use NaN to forbid a move)")

    def _array_specs(self):
        return {"theta": ArraySpec((self.n_states, self.n_actions), nan_ok=True)}

    @property
    def pi(self) -> np.ndarray:
        """The policy as a table ``pi[s, a]``."""
        return softmax(self.theta, self.temperature)

    def _action(self, s: int, deterministic: bool) -> int:
        if deterministic:
            return int(np.argmax(softmax(self.theta[s], self.temperature)))
        return sample_softmax(self.theta[s], self.temperature, self.rng)


class FixedPolicyAgent(TabularAgent):
    """Value prediction: estimates ``V[s]`` of a fixed policy ``policy[s, a]`` while following it.

    ``policy`` defaults to the uniformly random policy.  ``predict`` samples the policy
    (``deterministic=True`` gives its most probable action).
    """

    def __init__(
        self,
        env: gym.Env | str,
        policy: ArrayLike | None = None,
        gamma: float = 1.0,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, gamma=gamma, seed=seed, **hyperparameters)
        shape = (self.n_states, self.n_actions)
        if policy is None:
            policy = np.full(shape, 1.0 / self.n_actions)
        self.policy = np.array(policy, dtype=float)
        if self.policy.shape != shape:
            raise ValueError(f"policy must have shape {shape}, got {self.policy.shape}")
        if (
            np.any(~np.isfinite(self.policy))
            or np.any(self.policy < 0)
            or not np.allclose(self.policy.sum(axis=1), 1.0)
        ):
            raise ValueError("policy must hold probabilities: non-negative rows that sum to 1")
        self.V = np.zeros(self.n_states)

    def _array_specs(self):
        return {"V": ArraySpec((self.n_states,)), "policy": ArraySpec((self.n_states, self.n_actions), stochastic=True)}

    def _action(self, s: int, deterministic: bool) -> int:
        return int(np.argmax(self.policy[s])) if deterministic else sample(self.policy[s], self.rng)
