"""The twin of :class:`rl_envs.bandit.QuadraticBanditTask`: the continuous bandit of Silver et al.
(2014), §5.1, with the task's cost matrix ``C`` and optimum ``a*``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..bandit import QuadraticBanditTask
from .core import Twin


@struct.dataclass
class QuadraticBanditParams:
    max_steps_in_episode: int
    C: jax.Array
    a_star: jax.Array
    action_bound: jax.Array


class QuadraticBandit(Twin):
    """One pull per episode, reward ``−(a − a*)ᵀ C (a − a*)``.  The state is the last pull,
    ``{"action", "cost"}`` (NaN before it).  ``C`` is the task's: the NumPy env draws it at a
    seeded reset, so pass ``C=`` (e.g. :func:`rl_envs.bandit.random_cost_matrix`) for a
    reproducible problem, or replace ``params.C``."""

    task_type = QuadraticBanditTask
    task: QuadraticBanditTask

    def params_from_task(self) -> QuadraticBanditParams:
        return QuadraticBanditParams(
            max_steps_in_episode=self.task.max_steps,
            C=self.real(self.task.C),
            a_star=self.real(self.task.a_star),
            action_bound=self.real(self.task.action_bound),
        )

    def start(self, noise: None, params: QuadraticBanditParams) -> dict[str, jax.Array]:
        return {"action": jnp.full(params.a_star.shape, jnp.nan, self.dtype), "cost": self.real(jnp.nan)}

    def clip_action(self, action: jax.Array, params: QuadraticBanditParams) -> jax.Array:
        return jnp.minimum(jnp.maximum(self.real(action), -params.action_bound), params.action_bound)

    def transition(
        self, state: dict[str, jax.Array], action: jax.Array, noise: None, params: QuadraticBanditParams
    ) -> tuple[dict[str, jax.Array], jax.Array, jax.Array, dict]:
        d = action - params.a_star
        cost = d @ params.C @ d
        return {"action": action, "cost": cost}, -cost, jnp.ones((), dtype=jnp.bool_), {"cost": cost}

    def observe(self, state: dict[str, jax.Array], params: QuadraticBanditParams) -> jax.Array:
        return jnp.zeros(1, self.dtype)
