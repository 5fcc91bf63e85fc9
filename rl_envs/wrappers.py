"""Wrappers over the rl_envs environments."""

from __future__ import annotations

from typing import Any, SupportsFloat

import numpy as np
import gymnasium as gym
from gymnasium import spaces

from .maze.pomdp import filter_belief


class NormalizeAction(gym.wrappers.RescaleAction):
    """Gymnasium's ``RescaleAction`` to ``[-1, 1]``, with the new bounds in the action space's dtype.

    Given scalar bounds, Gymnasium builds float64 arrays and then warns that a float32 box's
    precision is lowered; ``-1`` and ``1`` are exact in float32, so passing them in the box's
    dtype keeps the same space without the warning.  This is the ``env_wrapper`` of the
    ``baselines/hyperparams`` entries for Box-action environments (SB3 and the zoo want actions
    in ``[-1, 1]``).
    """

    def __init__(self, env: gym.Env):
        space = env.action_space
        super().__init__(env, *_unit_bounds(space))


def _unit_bounds(space: gym.Space) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(space, spaces.Box):
        raise TypeError(f"NormalizeAction rescales a Box action space, got {space}")
    return np.full(space.shape, -1, dtype=space.dtype), np.full(space.shape, 1, dtype=space.dtype)


class NormalizeActionVector(gym.wrappers.vector.RescaleAction):
    """:class:`NormalizeAction` for a vector env: every copy's actions rescaled to ``[-1, 1]``
    (what ``baselines.sb3.make_vec_env`` puts on a native vector env for a yml's
    ``NormalizeAction``)."""

    def __init__(self, env: gym.vector.VectorEnv):
        super().__init__(env, *_unit_bounds(env.single_action_space))


# single-env wrapper -> its vector counterpart, for the yml entries' env_wrapper
VECTOR_WRAPPERS = {NormalizeAction: NormalizeActionVector}


class BeliefState(gym.ObservationWrapper):
    """Replace a partially observable maze's observation with the exact Bayes-filter belief.

    The observation becomes ``b``, a ``Box(0, 1, (S,), float32)`` on the probability simplex:
    ``b0`` after ``reset`` (the env's "no observation" symbol carries no information) and
    ``b'(s') ~ O[a, s', o] sum_s b(s) T[a, s, s']`` after each step.  This is the belief MDP
    (Kaelbling, Littman & Cassandra 1998), which any SB3 algorithm can train on.  The filter uses the model the episode
    follows (``env.unwrapped.episode_model``).
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        base = env.unwrapped
        self.model = getattr(base, "episode_model", None)
        if self.model is None:
            raise TypeError(f"BeliefState needs a partially observable maze, got {type(base).__name__}")
        self.observation_space = spaces.Box(0.0, 1.0, (self.model.n_states,), np.float32)
        self.belief = self.model.b0.copy()
        self._last_action: int | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        self._last_action = None
        return super().reset(seed=seed, options=options)

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        self._last_action = action  # an invalid action raises in the env before the filter sees it
        return super().step(action)

    def observation(self, observation: Any) -> np.ndarray:
        self.belief = filter_belief(self.belief, self._last_action, observation, self.model)
        return self.belief.astype(np.float32)
