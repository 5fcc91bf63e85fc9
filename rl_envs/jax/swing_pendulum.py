"""The twin of :class:`rl_envs.swing_pendulum.SwingPendulumTask`: RLPark's swing-up pendulum
(Silver et al. 2014, §5.2) with the task's constants."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import struct

from ..swing_pendulum import FIXED_START, GRAVITY, LENGTH, MASS, MAX_VELOCITY, STEP_TIME, SwingPendulumTask
from .core import Twin


@struct.dataclass
class SwingPendulumParams:
    max_steps_in_episode: int


class SwingPendulum(Twin):
    """``θ̇ ← clip(θ̇ − 0.01 θ̇ + m g l sin θ + u, ±(π/4)/0.01)``, ``θ ← θ + 0.01 θ̇`` wrapped into
    ``[−π, π)``; reward ``cos θ``, no termination.  The state is ``(θ, θ̇)``."""

    task_type = SwingPendulumTask
    task: SwingPendulumTask

    def params_from_task(self) -> SwingPendulumParams:
        return SwingPendulumParams(max_steps_in_episode=self.task.max_steps)

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return None if self.task.start == "fixed" else ("uniform", ())

    def start(self, noise: jax.Array | None, params: SwingPendulumParams) -> jax.Array:
        if noise is None:
            return self.real(FIXED_START)
        return jnp.stack([-math.pi + (math.pi - -math.pi) * noise, self.real(0.0)])

    def transition(
        self, state: jax.Array, action: jax.Array, noise: None, params: SwingPendulumParams
    ) -> tuple[jax.Array, jax.Array, jax.Array, dict]:
        theta, velocity = state[0], state[1]
        # RLPark adds the whole acceleration term to the velocity (no dt) and integrates the angle with dt
        acceleration = -STEP_TIME * velocity + MASS * GRAVITY * LENGTH * jnp.sin(theta) + action[0]
        velocity = jnp.clip(velocity + acceleration, -MAX_VELOCITY, MAX_VELOCITY)
        theta = theta + velocity * STEP_TIME
        theta = jnp.where(
            theta >= math.pi, theta - 2 * math.pi, jnp.where(theta < -math.pi, theta + 2 * math.pi, theta)
        )
        return jnp.stack([theta, velocity]), jnp.cos(theta), jnp.zeros((), dtype=jnp.bool_), {}
