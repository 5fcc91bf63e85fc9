"""The twin of :class:`rl_envs.food_grid.FoodGridTask`: the four-room food grid of the maximum
occupancy principle (Ramírez-Ruiz et al. 2024, Fig. 1), with the task's arena tables."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..food_grid import (
    ADMISSIBLE,
    ADMISSIBLE_LIST,
    FOOD_CELL,
    FREE,
    N_ACTIONS,
    N_ADMISSIBLE,
    SIZE,
    START,
    STAY,
    TARGET,
    TV_CELL,
    FoodGridTask,
)
from .core import Twin


@struct.dataclass
class FoodGridParams:
    max_steps_in_episode: int
    food_gain: jax.Array
    tv_noise: jax.Array


class FoodGrid(Twin):
    """A king move (an inadmissible one stays; in the TV room, with probability ``tv_noise``, a
    uniformly drawn admissible move), the energy down by one per step and up by ``food_gain`` on
    food, death at energy 1; reward 1 per step alive.  The state is the task's ``{"s", "visits"}``
    (the state index and the episode's visit counts); ``info["action_mask"]`` the admissible
    actions of the state reached."""

    task_type = FoodGridTask
    task: FoodGridTask

    def params_from_task(self) -> FoodGridParams:
        return FoodGridParams(
            max_steps_in_episode=self.task.max_steps,
            food_gain=self.integer(self.task.food_gain),
            tv_noise=self.real(self.task.tv_noise),
        )

    def start(self, noise: None, params: FoodGridParams) -> dict[str, jax.Array]:
        s = self.task.encode(*START, self.task.energy_cap)
        cell = s // self.task.energy_cap
        visits = jnp.zeros(SIZE * SIZE, self.int_dtype).at[cell].set(1)  # its cell once: it starts alive
        return {"s": self.integer(s), "visits": visits.reshape(SIZE, SIZE)}

    def action_mask(self, s: jax.Array) -> jax.Array:
        """``mask[a] = 1`` where action ``a`` is admissible in state ``s`` (int8, as the task's)."""
        cell, u = s // self.task.energy_cap, s % self.task.energy_cap + 1
        alive = (u > 1) & jnp.asarray(FREE)[cell]
        return jnp.where(alive, jnp.asarray(ADMISSIBLE)[cell], jnp.arange(N_ACTIONS) == STAY).astype(jnp.int8)

    def sample_noise(self, key: jax.Array, params: FoodGridParams) -> jax.Array:
        return jax.random.uniform(key, (2,), self.dtype)  # does the TV take over, and which move it makes

    def transition(
        self, state: dict[str, jax.Array], action: jax.Array, noise: jax.Array | None, params: FoodGridParams
    ) -> tuple[dict[str, jax.Array], jax.Array, jax.Array, dict]:
        cap = self.task.energy_cap
        s = state["s"]
        cell, u = s // cap, s % cap + 1
        alive = u > 1
        a = jnp.where(jnp.asarray(ADMISSIBLE)[cell, action], action, STAY)  # inadmissible is stay
        if noise is not None:
            taken = jnp.asarray(TV_CELL)[cell] & (noise[0] < params.tv_noise)
            drawn = jnp.asarray(ADMISSIBLE_LIST)[cell, (noise[1] * jnp.asarray(N_ADMISSIBLE)[cell]).astype(jnp.int32)]
            a = jnp.where(taken, drawn, a)
        # The energy changes with the cell the agent leaves (or stays on); u = 1 is absorbing.
        u2 = jnp.where(alive, jnp.minimum(u + params.food_gain * jnp.asarray(FOOD_CELL)[cell] - 1, cap), u)
        cell2 = jnp.where(alive, jnp.asarray(TARGET)[cell, a], cell)
        s2 = (cell2 * cap + u2 - 1).astype(self.int_dtype)
        visits = state["visits"].reshape(-1).at[cell2].add((u2 > 1).astype(self.int_dtype)).reshape(SIZE, SIZE)
        reward = alive.astype(self.dtype)
        return {"s": s2, "visits": visits}, reward, u2 == 1, {"action_mask": self.action_mask(s2)}

    def observe(self, state: dict[str, jax.Array], params: FoodGridParams) -> jax.Array:
        return state["s"]
