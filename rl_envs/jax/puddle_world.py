"""The twin of :class:`rl_envs.puddle_world.PuddleWorldTask`: the OffPAC puddle world (Degris,
White & Sutton 2012; Silver et al. 2014, §5.2) and Boyan & Moore's (1995), with the task's
constants."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import struct

from ..puddle_world import (
    CAPSULE_PENALTY,
    CAPSULE_RADIUS,
    CAPSULES,
    DISCRETE_CONTROLS,
    GAUSSIAN_MEANS,
    GAUSSIAN_STDS,
    GOAL_SUM,
    OFFPAC_START,
    PuddleWorldTask,
)
from .core import Twin

#: Candidate starts drawn for Boyan & Moore's variant, the first outside the goal kept: the NumPy
#: task redraws until one is, and all 16 fall in the goal corner with probability 0.005^16.
START_CANDIDATES = 16


@struct.dataclass
class PuddleWorldParams:
    max_steps_in_episode: int
    noise: jax.Array  # the uniform noise's half-width (OffPAC) or the Gaussian's standard deviation


def gaussian_puddle_reward(s: jax.Array) -> jax.Array:
    """OffPAC's reward at ``s`` (2,): -1 - 2 sum_k N(s; mean_k, diag(std_k^2))."""
    z = (s - GAUSSIAN_MEANS) / GAUSSIAN_STDS
    density = jnp.exp(-0.5 * (z**2).sum(axis=1)) / (2 * math.pi * GAUSSIAN_STDS.prod(axis=1))
    return -1.0 - 2.0 * density.sum()


def capsule_puddle_reward(s: jax.Array) -> jax.Array:
    """Boyan & Moore's reward: -1, minus 400 (0.1 - d) within 0.1 of the nearest segment."""
    a, b = CAPSULES[:, 0], CAPSULES[:, 1]
    ab = b - a
    t = jnp.clip(((s - a) * ab).sum(axis=1) / (ab * ab).sum(axis=1), 0.0, 1.0)
    nearest = a + t[:, None] * ab
    distance = jnp.sqrt(((s - nearest) ** 2).sum(axis=1)).min()
    return -1.0 - CAPSULE_PENALTY * jnp.maximum(CAPSULE_RADIUS - distance, 0.0)


class PuddleWorld(Twin):
    """A move (continuous, or one of four of 0.05) plus noise, clipped to the unit square; the
    variant's puddle cost at the position reached; the episode ends in the goal corner
    ``x + y > 1.9``.  The state is ``(x, y)``."""

    task_type = PuddleWorldTask
    task: PuddleWorldTask

    def params_from_task(self) -> PuddleWorldParams:
        return PuddleWorldParams(max_steps_in_episode=self.task.max_steps, noise=self.real(self.task.noise))

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return None if self.task.variant == "offpac" else ("uniform", (START_CANDIDATES, 2))

    def start(self, noise: jax.Array | None, params: PuddleWorldParams) -> jax.Array:
        if noise is None:
            return self.real(OFFPAC_START)
        return noise[jnp.argmax(noise.sum(axis=1) < GOAL_SUM)]  # the first candidate outside the goal

    def sample_noise(self, key: jax.Array, params: PuddleWorldParams) -> jax.Array:
        if self.task.variant == "offpac":
            return jax.random.uniform(key, (2,), self.dtype, -params.noise, params.noise)
        return params.noise * jax.random.normal(key, (2,), self.dtype)

    def transition(
        self, state: jax.Array, action: jax.Array, noise: jax.Array, params: PuddleWorldParams
    ) -> tuple[jax.Array, jax.Array, jax.Array, dict]:
        move = self.real(DISCRETE_CONTROLS)[action] if self.task.actions == "discrete" else action
        s = jnp.clip(state + move + noise, 0.0, 1.0)
        if self.task.variant == "offpac":
            return s, gaussian_puddle_reward(s), s.sum() > GOAL_SUM, {}
        return s, capsule_puddle_reward(s), s.sum() >= GOAL_SUM, {}
