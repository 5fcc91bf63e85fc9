"""What the planners of the food grid share: a value table and a policy table computed from the
environment's model (``env.unwrapped.model``, a :class:`rl_envs.food_grid.SuccessorModel`).

``learn`` solves the model (a planner takes no environment step, as the belief agents); ``predict``
samples the policy, or takes its deterministic action; ``value(obs)`` reads the value table.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces

from rl_envs.food_grid import SuccessorModel
from rl_envs.validation import discount

from ..agent import Agent, SpacesOnly, timesteps
from ..agent_files import ArraySpec
from ..callbacks import Callbacks


def check_discount(gamma: Any) -> float:
    """``gamma`` in [0, 1): value iteration to a fixed point needs a contraction."""
    gamma = discount(gamma)
    if gamma == 1:
        raise ValueError("gamma must be in [0, 1) for the value iteration to converge, got 1.0")
    return gamma


def first_best(values: np.ndarray, admissible: np.ndarray) -> np.ndarray:
    """Per row, the lowest admissible index of the row's largest admissible value.  Ties are
    exact: values that differ in the last digits are not tied, because they do differ (on the
    food grid the reward-seeking agent's action values at full energy differ by 1e-12 and point
    to the food, as in exact arithmetic)."""
    return np.argmax(np.where(admissible, values, -np.inf), axis=1)


class TabularPlanner(Agent):
    """A policy over the states of a ``Discrete`` env, computed from its model.

    Subclasses implement ``_solve() -> (V, sweeps)`` and ``_tables(V) -> (policy, mode)``: the
    stochastic policy ``policy[s, a]`` that ``predict(deterministic=False)`` samples, and the
    action ``mode[s]`` it returns when deterministic.  ``V``, ``policy`` and ``mode`` are saved
    with the agent, so a loaded agent predicts without the env.
    """

    observation_space: spaces.Discrete
    action_space: spaces.Discrete

    def __init__(self, env: gym.Env | str, seed: int | None = 0, **hyperparameters: Any):
        super().__init__(env, seed=seed, **hyperparameters)
        if not (isinstance(self.observation_space, spaces.Discrete) and isinstance(self.action_space, spaces.Discrete)):
            raise TypeError(
                f"{type(self).__name__} needs Discrete observations and actions, got "
                f"{self.observation_space} and {self.action_space}"
            )
        self.model = None if isinstance(self.env, SpacesOnly) else getattr(self.env.unwrapped, "model", None)
        if not isinstance(self.model, SuccessorModel) and not isinstance(self.env, SpacesOnly):
            raise TypeError(
                f"{type(self).__name__} plans on the env's model (env.unwrapped.model, a SuccessorModel): "
                "use rl_envs/FoodGrid-v0"
            )
        S, A = int(self.observation_space.n), int(self.action_space.n)
        self.sweeps = 0
        if self.model is None:  # loaded only to predict: load() fills the tables from the file
            self.V, self.policy, self.mode = np.zeros(S), np.full((S, A), 1.0 / A), np.zeros(S, dtype=np.int64)
        else:  # the policy of V = 0 until learn() solves the model
            self._set_values(np.zeros(S))

    def _array_specs(self):
        S, A = int(self.observation_space.n), int(self.action_space.n)
        return {
            "V": ArraySpec((S,)),
            "policy": ArraySpec((S, A), stochastic=True),
            "mode": ArraySpec((S,), integer=True, low=0, high=A - 1),
        }

    def _solve(self) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def _tables(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _set_values(self, V: np.ndarray) -> None:
        self.V = V
        self.policy, self.mode = self._tables(V)

    def learn(self, total_timesteps: int | None = None, callback: Any = None, progress_bar: bool = False) -> Self:
        """Solve the model.  A planner takes no environment step: ``total_timesteps`` (None or a
        non-negative int) is a budget it leaves unused, and ``num_timesteps`` stays as it was."""
        if total_timesteps is not None:
            timesteps(total_timesteps)
        self._planning_model()  # an agent loaded without its env cannot solve
        calls = Callbacks(self, callback, progress_bar, self.num_timesteps)
        calls.on_training_start()
        V, self.sweeps = self._solve()
        self._set_values(V)
        calls.on_training_end()
        return self

    def _planning_model(self) -> SuccessorModel:
        """The env's model, which ``_solve`` and ``_tables`` read."""
        if self.model is None:
            raise RuntimeError("this agent was loaded without an env; pass env= to load() to solve the model again")
        return self.model

    def _states(self, observation) -> np.ndarray:
        obs = np.asarray(observation)
        n = len(self.V)
        if obs.dtype.kind not in "iu" or np.any((obs < 0) | (obs >= n)):
            raise ValueError(f"observation must be state indices (integers in [0, {n})), got {observation!r}")
        return obs

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = self._states(observation)
        s = obs.reshape(-1)
        if deterministic:
            actions = self.mode[s]
        else:
            cumulative = np.cumsum(self.policy[s], axis=1)
            cumulative /= cumulative[:, -1:]  # the last entry exactly 1, so a draw in [0, 1) always lands
            actions = (cumulative < self.rng.random(len(s))[:, None]).sum(axis=1)
        return (int(actions[0]) if obs.ndim == 0 else actions.reshape(obs.shape)), state

    def value(self, observation: ArrayLike) -> np.ndarray | float:
        """The value table at ``observation`` (a state index, or an array of them)."""
        obs = self._states(observation)
        return float(self.V[obs]) if obs.ndim == 0 else self.V[obs]
