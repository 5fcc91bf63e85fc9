"""The twin of :class:`rl_envs.maze.po_maze.POMazeTask`: a finite POMDP sampled by inverse CDF
from the task's cumulative tables (:class:`rl_envs.maze.pomdp.POMDPSampler`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..maze.po_maze import POMazeTask
from .core import Twin


@struct.dataclass
class POMazeParams:
    max_steps_in_episode: int
    cum_T: jax.Array  # (A, S, S): cumulative over the next state
    cum_O: jax.Array  # (A, S, O): cumulative over the observation
    cum_b0: jax.Array  # (S,)
    reward: jax.Array  # (A, S, S, O or 1)
    goal: jax.Array  # (S,) bool: the states that end an episode (goal_mode="terminate")


def sample_index(cumulative: jax.Array, u: jax.Array) -> jax.Array:
    """Inverse-CDF sampling, as :func:`rl_envs.maze.pomdp.sample_index`: scaled by the total, so
    that rows a few 1e-6 short of 1 (printed files) stay exact."""
    return jnp.minimum((cumulative < u * cumulative[-1]).sum(), cumulative.shape[-1] - 1)


class PartiallyObservableMaze(Twin):
    """The hidden state moves by ``T[a, s]``, the agent observes ``o ~ O[a, s2]`` and gets
    ``reward[a, s, s2, o]``; an episode starts with the "no observation" symbol ``n_obs``.  The
    state is the task's ``{"hidden", "obs"}`` (the NumPy env tracks the belief only to draw it);
    ``info["state"]`` is the hidden state."""

    task_type = POMazeTask
    task: POMazeTask

    def params_from_task(self) -> POMazeParams:
        sampler = self.task.sampler
        return POMazeParams(
            max_steps_in_episode=self.task.max_steps,
            cum_T=self.real(sampler.cum_T),
            cum_O=self.real(sampler.cum_O),
            cum_b0=self.real(sampler.cum_b0),
            reward=self.real(sampler.model.reward),
            goal=jnp.asarray(self.task.goal_states & (self.task.goal_mode == "terminate")),
        )

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return ("uniform", ())

    def start(self, noise: jax.Array | None, params: POMazeParams) -> dict[str, jax.Array]:
        assert noise is not None
        return {
            "hidden": self.integer(sample_index(params.cum_b0, noise)),
            "obs": self.integer(self.task.no_observation),
        }

    def sample_noise(self, key: jax.Array, params: POMazeParams) -> jax.Array:
        """The uniforms of the next state and of the observation."""
        return jax.random.uniform(key, (2,), self.dtype)

    def transition(
        self, state: dict[str, jax.Array], action: jax.Array, noise: jax.Array, params: POMazeParams
    ) -> tuple[dict[str, jax.Array], jax.Array, jax.Array, dict]:
        s = state["hidden"]
        s2 = self.integer(sample_index(params.cum_T[action, s], noise[0]))
        o = self.integer(sample_index(params.cum_O[action, s2], noise[1]))
        reward = params.reward[action, s, s2, o if params.reward.shape[3] > 1 else 0]
        return {"hidden": s2, "obs": o}, reward, params.goal[s2], {"state": s2}

    def observe(self, state: dict[str, jax.Array], params: POMazeParams) -> jax.Array:
        return state["obs"]
