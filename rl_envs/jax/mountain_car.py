"""The twin of :class:`rl_envs.mountain_car.MountainCarRLParkTask`: RLPark's mountain car
(Silver et al. 2014, §5.2) with the task's constants."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..mountain_car import FIXED_START, GRAVITY, POSITION_RANGE, POWER, VELOCITY_RANGE, MountainCarRLParkTask
from .core import Twin


@struct.dataclass
class MountainCarParams:
    goal_reward: jax.Array  # the reward of the step that reaches the goal (RLPark's -1, or 0)
    max_steps_in_episode: int


class MountainCarRLPark(Twin):
    """``v ← clip(v + 0.001 a − 0.0025 cos 3p, ±0.07)``, ``p ← p + v``, the left wall stops the car;
    −1 per step, ``goal_reward`` on reaching ``p ≥ 0.6``.  The state is ``(p, v)``."""

    task_type = MountainCarRLParkTask
    task: MountainCarRLParkTask

    def params_from_task(self) -> MountainCarParams:
        return MountainCarParams(goal_reward=self.real(self.task.goal_reward), max_steps_in_episode=self.task.max_steps)

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return None if self.task.start == "fixed" else ("uniform", (2,))

    def start(self, noise: jax.Array | None, params: MountainCarParams) -> jax.Array:
        if noise is None:
            return self.real(FIXED_START)
        low = self.real([POSITION_RANGE[0], VELOCITY_RANGE[0]])
        high = self.real([POSITION_RANGE[1], VELOCITY_RANGE[1]])
        return low + (high - low) * noise  # numpy's uniform(low, high): position, then velocity

    def transition(
        self, state: jax.Array, action: jax.Array, noise: None, params: MountainCarParams
    ) -> tuple[jax.Array, jax.Array, jax.Array, dict]:
        p, v = state[0], state[1]
        v = jnp.clip(v + POWER * action[0] - GRAVITY * jnp.cos(3 * p), *VELOCITY_RANGE)
        p = p + v
        v = jnp.where(p < POSITION_RANGE[0], 0.0, v)  # the left wall stops the car
        p = jnp.clip(p, *POSITION_RANGE)
        at_goal = p >= POSITION_RANGE[1]
        return jnp.stack([p, v]), jnp.where(at_goal, params.goal_reward, -1.0), at_goal, {}
