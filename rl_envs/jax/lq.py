"""The twin of :class:`rl_envs.lq.LQControlTask`: the linear-quadratic regulator with the task's
discrete model (the exact zero-order-hold step of a continuous-time system), and its exact
solution, the backward Riccati recursion, as a jitted scan."""

from __future__ import annotations

import numpy as np
import jax
import jax.numpy as jnp
from flax import struct

from ..lq import LQControlTask
from .core import Twin


@struct.dataclass
class LQParams:
    """The discrete model the task steps, ``x' = A x + B u + w`` with ``w = W_sqrt z``, stage cost
    ``x'Qx + 2x'Nu + u'Ru``; ``x_0 = x0 + x0_sqrt z``."""

    max_steps_in_episode: int
    A: jax.Array
    B: jax.Array
    Q: jax.Array
    R: jax.Array
    N: jax.Array
    W_sqrt: jax.Array
    x0: jax.Array
    x0_sqrt: jax.Array
    u_max: jax.Array
    max_state_norm: jax.Array


class LQControl(Twin):
    """``x_{t+1} = A x_t + B u_t + w_t``, reward ``−(x'Qx + 2x'Nu + u'Ru)``, termination when
    ``‖x‖`` passes ``max_state_norm``.  The state is the task's ``{"x", "u", "u_peak"}``."""

    task_type = LQControlTask
    task: LQControlTask

    def params_from_task(self) -> LQParams:
        task, model = self.task, self.task.model
        n = model.B.shape[0]
        W_sqrt, x0_sqrt = task._W_sqrt, task._x0_sqrt
        return LQParams(
            max_steps_in_episode=int(task.max_steps or 0),
            A=self.real(model.A),
            B=self.real(model.B),
            Q=self.real(model.Q),
            R=self.real(model.R),
            N=self.real(model.N),
            W_sqrt=self.real(np.zeros((n, n)) if W_sqrt is None else W_sqrt),
            x0=self.real(task.x0),
            x0_sqrt=self.real(np.zeros((n, n)) if x0_sqrt is None else x0_sqrt),
            u_max=self.real(task.u_max),
            max_state_norm=self.real(task.max_state_norm),
        )

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return ("normal", (self.task.model.B.shape[0],))

    def start(self, noise: jax.Array | None, params: LQParams) -> dict[str, jax.Array]:
        assert noise is not None
        m = params.B.shape[1]
        return {"x": params.x0 + noise @ params.x0_sqrt.T, "u": jnp.zeros(m, self.dtype), "u_peak": self.real(0.0)}

    def sample_noise(self, key: jax.Array, params: LQParams) -> jax.Array:
        return jax.random.normal(key, params.x0.shape, self.dtype) @ params.W_sqrt.T

    def clip_action(self, action: jax.Array, params: LQParams) -> jax.Array:
        return jnp.minimum(jnp.maximum(self.real(action), -params.u_max), params.u_max)

    def transition(
        self, state: dict[str, jax.Array], action: jax.Array, noise: jax.Array | None, params: LQParams
    ) -> tuple[dict[str, jax.Array], jax.Array, jax.Array, dict]:
        x, u = state["x"], action
        cost = jnp.sum((x @ params.Q + 2.0 * (u @ params.N.T)) * x) + jnp.sum((u @ params.R) * u)
        x = x @ params.A.T + u @ params.B.T + (0.0 if noise is None else noise)
        terminated = jnp.sqrt(x @ x) > params.max_state_norm
        u_peak = jnp.maximum(state["u_peak"], jnp.abs(u[0]))
        return {"x": x, "u": u, "u_peak": u_peak}, -cost, terminated, {}

    def observe(self, state: dict[str, jax.Array], params: LQParams) -> jax.Array:
        return jnp.minimum(jnp.maximum(state["x"], -params.max_state_norm), params.max_state_norm)


def riccati_recursion(params: LQParams, horizon: int) -> tuple[jax.Array, jax.Array]:
    """The finite-horizon optimal gains ``K[t]`` (``u = −K[t] x``) and cost-to-go matrices ``P[t]``
    (``P[horizon] = 0``) by the backward Riccati recursion (Bertsekas 2017, Vol. I, §3.1), as
    :func:`rl_envs.lq.riccati_recursion` computes them, in one ``lax.scan``:
    ``K = (R + B'PB)⁻¹ (B'PA + N')``, ``P ← Q + A'PA − (A'PB + N) K``."""
    A, B, Q, R, N = params.A, params.B, params.Q, params.R, params.N

    def back(P_next, _):
        K = jnp.linalg.solve(R + B.T @ P_next @ B, B.T @ P_next @ A + N.T)
        P = Q + A.T @ P_next @ A - (A.T @ P_next @ B + N) @ K
        P = (P + P.T) / 2
        return P, (K, P)

    _, (K, P) = jax.lax.scan(back, jnp.zeros_like(Q), None, length=horizon, reverse=True)
    return K, jnp.concatenate([P, jnp.zeros_like(Q)[None]])
