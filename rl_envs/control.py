"""The single and vector env shells of the small continuous-state control tasks of Silver et
al. 2014, §5.2 (puddle world, RLPark's mountain car and swing pendulum).

Each task follows the pattern of :mod:`rl_envs.vector` and writes its dynamics once, for a
batch: ``_sample_start(rng, n)`` returns ``n`` start states (drawn state by state),
``_noise(rng, n)`` the move noise of ``n`` steps (row by row; None for a deterministic task)
and ``_transition(states, controls, noise)`` the next states, the rewards and the termination
flags.  The single env is a batch of one, so the vector env with ``num_envs=1`` reproduces it
bit for bit.  ``reset(seed=[s_0, ..., s_{N-1}])`` gives each sub-env its own random stream,
seeded as a single env's ``reset(seed=s_i)`` is, so that sub-env ``i`` reproduces that single
env bit for bit (independent runs of many seeds in one array program).  Controls are the
checked actions: a Box action clipped to the action space (``action_out_of_range =
"clip"``, as the DPG paper caps out-of-range actions), or a Discrete action's row of
``self.discrete_controls``.
"""

from __future__ import annotations

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode

from .rendering import RenderMixin, VectorRenderMixin
from .validation import as_box_action, as_discrete_action, as_discrete_actions, describe, is_int, real_array

CANVAS_SIZE = (400, 400)


class ControlTask:
    """What the three tasks' single and vector envs share: checking actions and observing.

    A task sets ``self.max_steps``, the spaces of one env and, with Discrete actions,
    ``discrete_controls`` (an ``(n, control_dim)`` array)."""

    action_out_of_range = "clip"
    discrete_controls: np.ndarray | None = None
    _states: np.ndarray | None = None  # (n, state_dim) float64; None before the first reset

    def _controls(self, action, num_envs: int | None) -> np.ndarray:
        """The checked action(s) as an ``(n, control_dim)`` float64 array (``num_envs=None``: one env)."""
        space = self.action_space if num_envs is None else self.single_action_space
        if isinstance(space, spaces.Discrete):
            index = (as_discrete_action(action, int(space.n)) if num_envs is None
                     else as_discrete_actions(action, num_envs, int(space.n)))
            return self.discrete_controls[np.atleast_1d(index)]
        a = as_box_action(action, space if num_envs is None else self.action_space)
        return np.clip(a, space.low, space.high).reshape(num_envs or 1, -1)

    def _noise(self, rng: np.random.Generator, n: int) -> np.ndarray | None:
        return None

    def _observation(self, states: np.ndarray) -> np.ndarray:
        return states.astype(np.float32)

    def _canvas_size(self):
        return CANVAS_SIZE


class ControlEnv(RenderMixin, gym.Env):
    """The single env of a :class:`ControlTask`: a batch of one."""

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    _done = True  # before the first reset: step() raises ResetNeeded

    @property
    def state(self) -> np.ndarray:
        """The exact (float64) state; the observation is its float32 copy.  Setting it (after
        ``reset``) puts the env in that state, as Gymnasium's classic-control ``state`` does."""
        if self._states is None:
            raise ResetNeeded("call reset() first")
        return self._states[0].copy()

    @state.setter
    def state(self, value) -> None:
        if self._states is None:
            raise ResetNeeded("call reset() first")
        self._states = real_array(value, "state", shape=self.observation_space.shape)[None].copy()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._states = self._sample_start(self.np_random, 1)
        self._t = 0
        self._done = False
        if self.render_mode == "human":
            self.render()
        return self._observation(self._states[0]), {}

    def step(self, action):
        u = self._controls(action, None)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        self._states, reward, terminated = self._transition(self._states, u, self._noise(self.np_random, 1))
        self._t += 1
        terminated = bool(terminated[0])
        truncated = not terminated and self._t >= self.max_steps
        self._done = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return self._observation(self._states[0]), float(reward[0]), terminated, truncated, {}

    def _paint(self, pg, surface):
        self._paint_state(pg, surface, self._states[0])


class ControlVectorEnv(VectorRenderMixin):
    """The native vector env of a :class:`ControlTask` (put after ``TaskVectorEnv`` and the
    task in the bases).  Autoreset is next-step (see :mod:`rl_envs.vector`); the moving
    sub-envs draw their noise first, then the restarting ones their start states.  ``reset``
    takes ``seed=None``, an int (one stream for all sub-envs) or a list of ``num_envs`` ints
    (one stream per sub-env, as single envs seeded so)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50, "autoreset_mode": AutoresetMode.NEXT_STEP}
    _sub_rngs: list[np.random.Generator] | None = None  # one stream per sub-env, after reset(seed=[...])

    def reset(self, *, seed=None, options: dict | None = None):
        # TaskVectorEnv.reset, first in the bases, calls this to seed before it starts the sub-envs.
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs or not all(is_int(s) and s >= 0 for s in seed):
                raise ValueError(f"seed must be None, an int or a list of {self.num_envs} non-negative ints "
                                 f"(one per sub-env), got {describe(seed)}")
            self._sub_rngs = [seeding.np_random(int(s))[0] for s in seed]
            seed = None
        elif seed is not None:
            self._sub_rngs = None
        super().reset(seed=seed)  # the VectorEnv's: seeds np_random

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        if self._states is None or mask.all():
            self._states = self._draw(self._sample_start, mask)
        else:
            self._states[mask] = self._draw(self._sample_start, mask)

    def _observe(self):
        return self._observation(self._states), {}

    def _draw(self, sample, mask: np.ndarray):
        """``sample(rng, n)`` for the sub-envs in ``mask``: from the shared stream, or from each one's own."""
        if self._sub_rngs is None:
            return sample(self.np_random, int(mask.sum()))
        parts = [sample(self._sub_rngs[i], 1) for i in np.flatnonzero(mask)]
        if not parts:
            return sample(self.np_random, 0)  # an empty draw, of the right type and shape
        return None if parts[0] is None else np.concatenate(parts)

    def step(self, actions):
        u = self._controls(actions, self.num_envs)
        restarted = self._begin_step()  # their step is discarded: they start a new episode instead
        moving = ~restarted
        reward = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, dtype=np.bool_)
        states = self._states.copy()
        states[moving], reward[moving], terminated[moving] = self._transition(self._states[moving], u[moving],
                                                                              self._draw(self._noise, moving))
        if restarted.any():
            states[restarted] = self._draw(self._sample_start, restarted)
        self._states = states
        truncated = self._finish_step(restarted, terminated)
        return self._observation(states), reward, terminated, truncated, {}

    def _paint_env(self, pg, surface, i: int) -> None:
        if self._states is None:
            raise ResetNeeded("call reset() before render()")
        self._paint_state(pg, surface, self._states[i])
