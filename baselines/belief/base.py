"""What every belief-state agent shares: the exact Bayes filter in ``predict``'s state.

``predict(obs, state, episode_start)`` keeps ``state = (beliefs, last_actions)`` for a batch of
environments, so SB3's ``evaluate_policy`` (which passes the state back every step) runs a
belief agent like any recurrent policy.  The beliefs follow
:func:`rl_envs.maze.pomdp.filter_belief`, the filter of the env and of ``BeliefState``: the "no
observation" symbol of ``reset`` (or ``episode_start``) restarts the belief at ``b0``; otherwise
the belief is filtered with the action the agent took last.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import gymnasium as gym
from gymnasium import spaces

from rl_envs.maze.pomdp import POMDPModel, filter_belief

from ..agent import Agent, SpacesOnly, timesteps
from ..agent_files import ArraySpec
from ..callbacks import Callbacks

# Values closer than this (relative to the larger) count as tied.  A belief that is symmetric in
# exact arithmetic (hallway's uniform start) ties actions up to rounding, and the rounding of
# ``b @ Q`` differs between BLAS kernels, so a plain argmax made the policy depend on the CPU.
TIE_TOLERANCE = 1e-9


def first_max(values: np.ndarray) -> np.ndarray:
    """Per row, the lowest index whose value is within :data:`TIE_TOLERANCE` of the row's max."""
    values = np.asarray(values)
    top = values.max(axis=1, keepdims=True)
    return np.argmax(values >= top - TIE_TOLERANCE * np.maximum(1.0, np.abs(top)), axis=1)


class BeliefAgent(Agent):
    """A policy over beliefs: subclasses implement ``_plan()`` and ``_belief_policy(beliefs) -> actions``.

    The agent plans on the model the env's episode follows (``env.unwrapped.episode_model``);
    ``learn`` runs the planner.  ``T``, ``O`` and ``b0`` are saved with the agent so that a loaded
    agent can filter without the env.
    """

    observation_space: spaces.Discrete
    action_space: spaces.Discrete

    def __init__(self, env: gym.Env | str, seed: int | None = None, **hyperparameters: Any):
        super().__init__(env, seed=seed, **hyperparameters)
        model = getattr(self.env.unwrapped, "episode_model", None)
        if model is None and not isinstance(self.env, SpacesOnly):
            raise TypeError(f"{type(self).__name__} plans on a POMDP model: use rl_envs/PartiallyObservableMaze-v0")
        self.model = model
        if model is not None:
            self.T, self.O, self.b0 = model.T, model.O, model.b0

    def _array_specs(self):
        # Without the env (loaded only to predict) the number of states is whatever the file's T says.
        S = "S" if self.model is None else self.model.n_states
        A, Z = int(self.action_space.n), int(self.observation_space.n) - 1  # the last observation is "none yet"
        return {
            "T": ArraySpec((A, S, S), stochastic=True),
            "O": ArraySpec((A, S, Z), stochastic=True),
            "b0": ArraySpec((S,), stochastic=True),
        }

    def _pomdp(self) -> POMDPModel:
        """The model a planner solves (an agent loaded without its env has none)."""
        if self.model is None:
            raise ValueError(f"{type(self).__name__} plans on its env's POMDP model: load it with env=... to learn")
        return self.model

    def _plan(self) -> None:
        raise NotImplementedError

    def _belief_policy(self, beliefs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def learn(self, total_timesteps: int | None = None, callback: Any = None, progress_bar: bool = False) -> Self:
        """Solve the model.  A planner takes no environment step: ``total_timesteps`` (None or a
        non-negative int) is a budget it leaves unused, and ``num_timesteps`` stays as it was."""
        if total_timesteps is not None:
            timesteps(total_timesteps)
        calls = Callbacks(self, callback, progress_bar, self.num_timesteps)
        calls.on_training_start()
        self._plan()
        calls.on_training_end()
        return self

    def initial_state(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.tile(self.b0, (n, 1)), np.full(n, -1)

    def filter(self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None) -> np.ndarray:
        """The beliefs after ``observation`` (batched), from ``state = (beliefs, last_actions)``."""
        obs = np.atleast_1d(np.asarray(observation))
        if not np.issubdtype(obs.dtype, np.integer) or np.any((obs < 0) | (obs > self.O.shape[2])):
            raise ValueError(f"observation must be integers in [0, {self.O.shape[2]}], got {observation}")
        beliefs, last = self.initial_state(len(obs)) if state is None else state
        # An episode that starts here (no action taken yet, or SB3's episode_start) begins, in the
        # env, with the no-observation symbol: mapped to it, the filter's one reset rule applies.
        starts = np.asarray(last) < 0
        if episode_start is not None:
            starts = starts | np.atleast_1d(np.asarray(episode_start, dtype=bool))
        # The agent holds the model's T, O and b0 (saved with it), so a loaded agent filters too.
        return filter_belief(beliefs, last, np.where(starts, self.O.shape[2], obs), self)

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        beliefs = self.filter(observation, state, episode_start)
        actions = np.asarray(self._belief_policy(beliefs), dtype=np.int64)
        scalar = np.ndim(observation) == 0
        return (int(actions[0]) if scalar else actions), (beliefs, actions)
