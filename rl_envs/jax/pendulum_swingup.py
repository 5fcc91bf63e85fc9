"""The twin of :class:`rl_envs.pendulum_swingup.PendulumSwingUpTask`: Doya's (2000) swing-up in
continuous time, the numba kernel :func:`rl_envs.pendulum_swingup.advance` for one pendulum."""

from __future__ import annotations

import math
from typing import cast

import jax
import jax.numpy as jnp
from flax import struct

from ..pendulum_swingup import (
    COS_UP,
    LAST_U,
    OMEGA,
    OVER_ROTATION,
    OVER_TIME,
    PENALTY_TIME,
    SUCCESS_TIME_UP,
    THETA,
    TIME_UP,
    PendulumSwingUpTask,
)
from .core import Twin


@struct.dataclass
class PendulumSwingUpParams:
    max_steps_in_episode: int
    u_max: jax.Array
    dt: jax.Array
    friction: jax.Array
    mgl: jax.Array  # m g l
    inertia: jax.Array  # m l^2


class PendulumSwingUp(Twin):
    """``m l² dω/dt = −μ ω + m g l sin θ + u`` in RK4 substeps with the reward ``∫ cos θ dt``;
    −1 per second for a second after ``|θ|`` passes 5π, then the trial ends.  The state is the
    task's row ``(θ, ω, over_time, time_up, last_u)``."""

    task_type = PendulumSwingUpTask
    task: PendulumSwingUpTask

    def params_from_task(self) -> PendulumSwingUpParams:
        u_max, dt, _, friction, mgl, inertia = self.task._physics
        return PendulumSwingUpParams(
            max_steps_in_episode=cast(int, self.task.max_steps),  # an int once the task is made
            u_max=self.real(u_max),
            dt=self.real(dt),
            friction=self.real(friction),
            mgl=self.real(mgl),
            inertia=self.real(inertia),
        )

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        return ("uniform", ())

    def start(self, noise: jax.Array | None, params: PendulumSwingUpParams) -> jax.Array:
        assert noise is not None
        theta = -math.pi + (math.pi - -math.pi) * noise
        return jnp.zeros(5, self.dtype).at[OVER_TIME].set(-1.0).at[THETA].set(theta)

    def clip_action(self, action: jax.Array, params: PendulumSwingUpParams) -> jax.Array:
        return self.real(action)  # the dynamics clip the torque at u_max, as the kernel does

    def transition(
        self, state: jax.Array, action: jax.Array, noise: None, params: PendulumSwingUpParams
    ) -> tuple[jax.Array, jax.Array, jax.Array, dict]:
        substeps = self.task.substeps
        h = params.dt / substeps
        u = jnp.minimum(jnp.maximum(action[0], -params.u_max), params.u_max)

        def derivative(theta, omega):
            return omega, (-params.friction * omega + params.mgl * jnp.sin(theta) + u) / params.inertia

        def substep(_, carry):
            th, om, over_time, time_up, total, cos_th = carry
            over = over_time >= 0.0
            over_time = jnp.where(over, over_time + h, over_time)
            k1t, k1w = derivative(th, om)
            k2t, k2w = derivative(th + 0.5 * h * k1t, om + 0.5 * h * k1w)
            k3t, k3w = derivative(th + 0.5 * h * k2t, om + 0.5 * h * k2w)
            k4t, k4w = derivative(th + h * k3t, om + h * k3w)
            # RK4 on q' = cos(theta), with theta at the stages where RK4 evaluates it
            cosine_rate = (
                cos_th + 2.0 * jnp.cos(th + 0.5 * h * k1t) + 2.0 * jnp.cos(th + 0.5 * h * k2t) + jnp.cos(th + h * k3t)
            ) / 6.0
            rate = jnp.where(over, -1.0, cosine_rate)
            th = th + h * (k1t + 2.0 * k2t + 2.0 * k3t + k4t) / 6.0
            om = om + h * (k1w + 2.0 * k2w + 2.0 * k3w + k4w) / 6.0
            total = total + h * rate
            cos_th = jnp.cos(th)
            time_up = jnp.where(cos_th > COS_UP, time_up + h, time_up)  # the wrapped |theta| < pi/4
            over_time = jnp.where((over_time < 0.0) & (jnp.abs(th) > OVER_ROTATION), 0.0, over_time)
            return th, om, over_time, time_up, total, cos_th

        th, om = state[THETA], state[OMEGA]
        carry = (th, om, state[OVER_TIME], state[TIME_UP], self.real(0.0), jnp.cos(th))
        th, om, over_time, time_up, total, _ = jax.lax.fori_loop(0, substeps, substep, carry)
        state = state.at[THETA].set(th).at[OMEGA].set(om).at[OVER_TIME].set(over_time)
        state = state.at[TIME_UP].set(time_up).at[LAST_U].set(u)
        # the trial ends when the penalty second after an over-rotation is over
        terminated = over_time >= PENALTY_TIME - 1e-9
        return state, total, terminated, {"time_up": time_up, "success": time_up > SUCCESS_TIME_UP}

    def observe(self, state: jax.Array, params: PendulumSwingUpParams) -> jax.Array:
        theta = (state[THETA] + math.pi) % (2 * math.pi) - math.pi
        return jnp.stack([theta, state[OMEGA]]).astype(self.dtype)
