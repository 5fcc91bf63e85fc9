"""The twin of :class:`rl_envs.variable_reward.VariableRewardTask`: Dabney et al.'s (2020) cue
then one reward of random size, with the task's size distribution and utilities."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..variable_reward import VariableRewardTask
from .core import Twin


@struct.dataclass
class VariableRewardParams:
    max_steps_in_episode: int
    cdf: jax.Array  # cumulative probabilities of the sizes
    chance: jax.Array  # the probability of a reward after each cue, then 1 for an uncued trial
    sizes: jax.Array  # the magnitudes
    reward_values: jax.Array  # the reward of each size (after the utility)
    uncued_probability: jax.Array


class VariableReward(Twin):
    """A cue (or none), ``delay`` steps, then a reward of a size drawn from ``cdf``, given with the
    cue's probability.  The state is the task's ``{"cue", "t", "outcome"}`` (cue −1: uncued;
    outcome NaN before it); ``info["magnitude"]`` is the size given (0 before the outcome)."""

    task_type = VariableRewardTask
    task: VariableRewardTask

    def params_from_task(self) -> VariableRewardParams:
        task = self.task
        return VariableRewardParams(
            max_steps_in_episode=task.max_steps,
            cdf=self.real(task._cdf),
            chance=self.real(task._chance),
            sizes=self.real(task._sizes),
            reward_values=self.real(task.reward_values),
            uncued_probability=self.real(task.uncued_probability),
        )

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return ("uniform", ())

    def start(self, noise: jax.Array | None, params: VariableRewardParams) -> dict[str, jax.Array]:
        """One uniform: below ``uncued_probability`` the trial is uncued, else it picks the cue."""
        assert noise is not None
        q, n_cues = params.uncued_probability, self.task.n_cues
        cue = jnp.minimum(((noise - q) / jnp.where(q < 1, 1 - q, 1.0) * n_cues).astype(self.int_dtype), n_cues - 1)
        cue = jnp.where((noise < q) | (q >= 1), -1, cue)
        return {"cue": cue, "t": self.integer(0), "outcome": self.real(jnp.nan)}

    def sample_noise(self, key: jax.Array, params: VariableRewardParams) -> jax.Array:
        return jax.random.uniform(key, (2,), self.dtype)  # whether a cued reward comes, and its size

    def transition(
        self, state: dict[str, jax.Array], action: jax.Array, noise: jax.Array, params: VariableRewardParams
    ) -> tuple[dict[str, jax.Array], jax.Array, jax.Array, dict]:
        cue, t = state["cue"], state["t"] + 1
        outcome = (cue < 0) | (t >= self.task.delay)
        rewarded = noise[0] < params.chance[jnp.where(cue < 0, self.task.n_cues, cue)]
        size = jnp.minimum(jnp.searchsorted(params.cdf, noise[1], side="right"), params.sizes.shape[0] - 1)
        reward = jnp.where(outcome & rewarded, params.reward_values[size], 0.0)
        magnitude = jnp.where(outcome & rewarded, params.sizes[size], 0.0)
        state = {"cue": cue, "t": t, "outcome": jnp.where(outcome, reward, jnp.nan)}
        return state, reward, outcome, {"magnitude": magnitude}

    def observe(self, state: dict[str, jax.Array], params: VariableRewardParams) -> jax.Array:
        cue = state["cue"]
        # uncued, or after the outcome (not NaN): the background observation
        after = (cue < 0) | ~jnp.isnan(state["outcome"])
        return jnp.where(after, self.task.background, cue * self.task.delay + state["t"]).astype(self.int_dtype)
