"""Linear-quadratic control in discrete and continuous time, with its exact Riccati solution.

The pure functions below are the specification the environment runs and the references it
reports, each taking the system as one :class:`LQModel`: a stage cost ``x'Qx + 2x'Nu + u'Ru``
(``N`` is zero in discrete time and comes from integrating the cost over a zero-order-hold step
in continuous time), the stationary Riccati gain, the finite-horizon Riccati recursion and the
Lyapunov recursion of a fixed gain.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike
from gymnasium import spaces

from .core import Reference, SingleEnv, Task, VectorEnv
from .validation import (
    clipped_box_actions,
    describe,
    integer,
    is_int,
    matrix,
    positive,
    real,
    real_array,
    symmetric_matrix,
)

#: The baseline policy of ``reference()`` (:meth:`LQControlTask.reference` says why it is not the uniform-random one).
ZERO_CONTROL = "zero control (u = 0)"

# name -> discrete-time A, B, Q, R, initial-state mean and covariance.  The continuous-time
# version of a named system is the one whose Euler step with dt = 1 is the discrete system:
# A_c = A - I, B_c = B (so the double integrator becomes x'' = u).
NAMED_SYSTEMS = {
    # Recht's "quadrotor" (benjamin-recht.github.io, 2018-02-26-nominal), a double integrator.
    "double_integrator": dict(
        A=[[1.0, 1.0], [0.0, 1.0]],
        B=[[0.0], [1.0]],
        Q=np.diag([1.0, 0.0]),
        R=[[1.0]],
        x0=[-1.0, 0.0],
        x0_cov=0.0,
        horizon=200,
    ),
    # Recht's "datacenter": three coupled, slightly unstable units, actuated directly.
    "datacenter": dict(
        A=[[1.01, 0.01, 0.0], [0.01, 1.01, 0.01], [0.0, 0.01, 1.01]],
        B=np.eye(3),
        Q=np.eye(3),
        R=1000.0 * np.eye(3),
        x0=[0.0, 0.0, 0.0],
        x0_cov=1.0,
        horizon=1000,  # R = 1000 I makes the end-of-horizon effect long; 1000 keeps it < 0.1 %
    ),
}


@dataclass(frozen=True, eq=False)
class LQModel:
    """A linear-quadratic system, its matrices in the one order every function here uses.

    Discrete time: ``x_{t+1} = A x_t + B u_t + w_t`` with ``w_t ~ N(0, W)`` and stage cost
    ``x'Qx + 2x'Nu + u'Ru``.  Continuous time: ``dx = (Ax + Bu) dt + dw`` with noise intensity
    ``W`` per unit time and cost rate ``x'Qx + 2x'Nu + u'Ru``.
    """

    A: np.ndarray
    B: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    N: np.ndarray
    W: np.ndarray


# -- validation ------------------------------------------------------------------------------


def as_square(value: Any, n: int, name: str) -> np.ndarray:
    """A scalar ``s`` (meaning ``s * I``) or an n x n matrix."""
    if not isinstance(value, (list, tuple, np.ndarray)) or np.ndim(value) == 0:
        return real(value, name) * np.eye(n)
    return matrix(value, name, (n, n))


def as_covariance(value: Any, n: int, name: str) -> np.ndarray:
    """A scalar ``s`` (meaning ``s * I``) or an n x n symmetric positive semidefinite matrix."""
    return symmetric_matrix(as_square(value, n, name), name, definite=False)


def is_stabilizable(A: np.ndarray, B: np.ndarray, continuous: bool) -> bool:
    """Hautus test: rank [A - lambda I, B] = n for every eigenvalue that is not stable."""
    n = A.shape[0]
    for lam in np.linalg.eigvals(A):
        unstable = lam.real >= 0 if continuous else abs(lam) >= 1
        if unstable and np.linalg.matrix_rank(np.hstack([A - lam * np.eye(n), B]), tol=1e-9) < n:
            return False
    return True


def validate_system(A: Any, B: Any, Q: Any, R: Any, noise_cov: Any, continuous: bool) -> LQModel:
    """The system as an :class:`LQModel` (no cross term, ``W`` from ``noise_cov``), or a
    ValueError saying what is wrong."""
    A = matrix(A, "A")
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError(f"A must be square, got shape {A.shape}")
    B = matrix(B, "B")
    if B.shape[0] != n:
        raise ValueError(f"B must have {n} rows like A, got shape {B.shape}")
    m = B.shape[1]
    Q = as_covariance(Q, n, "Q")
    R = symmetric_matrix(as_square(R, m, "R"), "R", definite=True)
    if not is_stabilizable(A, B, continuous):
        raise ValueError("(A, B) is not stabilizable: some unstable mode cannot be reached by the control")
    return LQModel(A, B, Q, R, N=np.zeros((n, m)), W=as_covariance(noise_cov, n, "noise_cov"))


def system_spec(system: str | None, A: Any, B: Any, Q: Any, R: Any, continuous: bool) -> tuple[str | None, dict]:
    """``(system, spec)``: the named system's matrices and defaults (continuous-time with
    ``continuous``), or the custom matrices with theirs; ``spec`` holds ``A, B, Q, R, x0,
    x0_cov`` and ``horizon`` (in time units in continuous time)."""
    if A is not None or B is not None:
        if system is not None:
            raise ValueError("give either a named system or matrices A, B (and Q, R), not both")
        if A is None or B is None:
            raise ValueError("custom systems need both A and B")
        A, B = matrix(A, "A"), matrix(B, "B")
        n, m = A.shape[0], B.shape[1]
        return None, dict(
            A=A,
            B=B,
            Q=np.eye(n) if Q is None else Q,
            R=np.eye(m) if R is None else R,
            x0=np.zeros(n),
            x0_cov=1.0,
            horizon=200,
        )
    if Q is not None or R is not None:
        raise ValueError("Q and R go with custom matrices A, B; a named system has its own")
    system = "double_integrator" if system is None else system
    if not isinstance(system, str) or system not in NAMED_SYSTEMS:
        raise ValueError(
            f"unknown system {describe(system)}: system must be one of "
            f"{', '.join(map(repr, NAMED_SYSTEMS))}, or give matrices A, B"
        )
    spec = dict(NAMED_SYSTEMS[system])
    if continuous:
        spec["A"] = np.asarray(spec["A"]) - np.eye(len(spec["A"]))
    return system, spec


# -- discretization --------------------------------------------------------------------------


def zoh_discretize(model: LQModel, dt: float) -> LQModel:
    """Exact zero-order-hold discretization of a continuous-time ``model`` over a step ``dt``.

    Returns the discrete model: ``x_{t+1} = A x + B u + w`` with ``w ~ N(0, W)``, and the cost
    integrated over the step, ``x'Q x + 2 x'N u + u'R u``.  Both integrals use Van Loan's
    block-matrix exponential (Van Loan 1978).
    """
    from scipy.linalg import expm

    A, B, W = model.A, model.B, model.W
    n, m = B.shape
    F = np.zeros((n + m, n + m))
    F[:n, :n], F[:n, n:] = A, B
    G = np.zeros_like(F)
    G[:n, :n], G[:n, n:], G[n:, :n], G[n:, n:] = model.Q, model.N, model.N.T, model.R
    E = expm(np.block([[-F.T, G], [np.zeros_like(F), F]]) * dt)
    Phi = E[n + m :, n + m :]
    cost = Phi.T @ E[: n + m, n + m :]  # int_0^dt e^{F's} G e^{Fs} ds
    cost = (cost + cost.T) / 2
    E = expm(np.block([[-A, W], [np.zeros_like(A), A.T]]) * dt)
    Wd = E[n:, n:].T @ E[:n, n:]  # int_0^dt e^{As} W e^{A's} ds
    return LQModel(Phi[:n, :n], Phi[:n, n:], Q=cost[:n, :n], R=cost[n:, n:], N=cost[:n, n:], W=(Wd + Wd.T) / 2)


# -- exact solutions -------------------------------------------------------------------------


def dare_gain(model: LQModel) -> tuple[np.ndarray, np.ndarray]:
    """Stationary ``(K, P)`` for ``u = -Kx`` from the discrete algebraic Riccati equation."""
    from scipy.linalg import solve_discrete_are

    A, B, Q, R, N = model.A, model.B, model.Q, model.R, model.N
    P = solve_discrete_are(A, B, Q, R, s=N)
    K = np.linalg.solve(R + B.T @ P @ B, B.T @ P @ A + N.T)
    return K, P


def care_gain(model: LQModel) -> tuple[np.ndarray, np.ndarray]:
    """Stationary ``(K, P)`` for ``u = -Kx`` from the continuous algebraic Riccati equation
    (of a cost rate without cross term, as the environment's continuous-time models have)."""
    from scipy.linalg import solve_continuous_are

    if np.any(model.N):
        raise ValueError("care_gain solves a continuous-time cost rate without cross term; model.N must be zero")
    P = solve_continuous_are(model.A, model.B, model.Q, model.R)
    return np.linalg.solve(model.R, model.B.T @ P), P


def riccati_recursion(model: LQModel, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Time-varying optimal gains ``K[t]`` and cost-to-go matrices ``P[t]`` (``P[horizon] = 0``)
    of the finite-horizon problem, by the backward Riccati recursion."""
    A, B, Q, R, N = model.A, model.B, model.Q, model.R, model.N
    n, m = B.shape
    P = np.zeros((horizon + 1, n, n))
    K = np.zeros((horizon, m, n))
    for t in range(horizon - 1, -1, -1):
        Pn = P[t + 1]
        K[t] = np.linalg.solve(R + B.T @ Pn @ B, B.T @ Pn @ A + N.T)
        Pt = Q + A.T @ Pn @ A - (A.T @ Pn @ B + N) @ K[t]
        P[t] = (Pt + Pt.T) / 2
    return K, P


def optimal_expected_cost(model: LQModel, x0_mean: np.ndarray, x0_cov: np.ndarray, horizon: int) -> float:
    """Minimum over all policies of ``E sum_{t<horizon} c_t``: ``E[x0'P_0 x0] + sum_t tr(P_{t+1} W)``."""
    _, P = riccati_recursion(model, horizon)
    S0 = x0_cov + np.outer(x0_mean, x0_mean)
    return float(np.trace(P[0] @ S0) + sum(np.trace(P[t + 1] @ model.W) for t in range(horizon)))


def closed_loop_cost_matrix(model: LQModel, K: np.ndarray) -> np.ndarray:
    """``M_K`` with ``c = x'M_K x`` when ``u = -Kx``."""
    Q, R, N = model.Q, model.R, model.N
    return Q - N @ K - K.T @ N.T + K.T @ R @ K


def spectral_radius(M: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def expected_episode_cost(
    model: LQModel, K: np.ndarray, x0_mean: np.ndarray, x0_cov: np.ndarray, horizon: int
) -> float:
    """``E sum_{t<horizon} c_t`` under ``u = -Kx`` by the forward Lyapunov recursion
    ``S_{t+1} = (A - BK) S_t (A - BK)' + W`` on the second moment; ``inf`` if ``A - BK`` is not
    stable (the cost then grows without bound with the horizon)."""
    Acl = model.A - model.B @ K
    if spectral_radius(Acl) >= 1.0:
        return math.inf
    M = closed_loop_cost_matrix(model, K)
    return _lyapunov_sum(Acl, M, model.W, x0_cov + np.outer(x0_mean, x0_mean), horizon)


def uniform_control_cost(model: LQModel, u_max: float, x0_mean: np.ndarray, x0_cov: np.ndarray, horizon: int) -> float:
    """``E sum_{t<horizon} c_t`` when every control is drawn uniformly from ``[-u_max, u_max]^m``,
    independently of the state: the control is then zero-mean noise of covariance
    ``U = (u_max^2 / 3) I``, so ``S_{t+1} = A S_t A' + B U B' + W`` and ``E c_t = tr(Q S_t) + tr(R U)``
    (the cross term ``2 E[x'N u]`` is 0).  Finite for any ``A`` over a finite horizon."""
    U = u_max**2 / 3 * np.eye(model.B.shape[1])
    S = x0_cov + np.outer(x0_mean, x0_mean)
    return _lyapunov_sum(model.A, model.Q, model.B @ U @ model.B.T + model.W, S, horizon, float(np.trace(model.R @ U)))


def _lyapunov_sum(
    Acl: np.ndarray, M: np.ndarray, W: np.ndarray, S: np.ndarray, horizon: int, extra: float = 0.0
) -> float:
    """``sum_{t<horizon} (tr(M S_t) + extra)`` along ``S_{t+1} = Acl S_t Acl' + W`` from ``S_0 = S``."""
    total = 0.0
    for _ in range(horizon):
        total += float(np.sum(M * S)) + extra
        S = Acl @ S @ Acl.T + W
    return total


def lq_step(model: LQModel, x: np.ndarray, u: np.ndarray, w: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """One step of a state ``(n,)`` or a batch ``(k, n)``: ``(A x + B u + w, x'Qx + 2x'Nu + u'Ru)``."""
    # x'(Qx + 2Nu) + u'Ru as row sums: a 3-operand einsum took 5x as long on (256, 3) batches
    cost = np.sum((x @ model.Q + 2.0 * (u @ model.N.T)) * x, axis=-1) + np.sum((u @ model.R) * u, axis=-1)
    return x @ model.A.T + u @ model.B.T + w, cost


def psd_sqrt(C: np.ndarray) -> np.ndarray:
    """``L`` with ``L L' = C`` for a positive semidefinite (possibly singular) ``C``."""
    lam, V = np.linalg.eigh(C)
    return V * np.sqrt(np.clip(lam, 0.0, None))


@contextmanager
def solvable(what: str, model: LQModel, *matrices: np.ndarray) -> Iterator[None]:
    """An overflow or a failed solve inside an exact reference, as a ValueError saying so
    (instead of a LinAlgError or an inf deep inside numpy or scipy)."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            yield
    except (FloatingPointError, np.linalg.LinAlgError) as e:
        scale = max(float(np.abs(M).max()) for M in (model.A, model.B, model.Q, model.R, *matrices))
        raise ValueError(
            f"{what} fails in float64 for this system ({e}); its largest matrix entry is "
            f"{scale:.3g}: a badly scaled system, or an undamped mode that Q does not penalise, "
            "has no finite solution"
        ) from None


def _plot_coords(plot_coords, n: int) -> tuple[int, int]:
    if plot_coords is None:
        return (0, 1) if n > 1 else (0, 0)
    pair = tuple(plot_coords) if isinstance(plot_coords, (tuple, list)) else ()
    if len(pair) != 2 or not all(is_int(i) and 0 <= i < n for i in pair):
        raise ValueError(f"plot_coords must be two state indices (ints) in [0, {n}), got {describe(plot_coords)}")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True, eq=False)  # eq=False: the matrices may be arrays, which do not compare to a bool
class LQControlTask(Task):
    """The linear-quadratic system's parameters, batched dynamics and exact references
    (documented on :class:`LQControlEnv`).

    A state holds, per copy: ``x``, and for the drawing the last control ``u`` and the largest
    ``|u[0]|`` of the episode so far, ``u_peak``."""

    system: str | None = None
    _: KW_ONLY
    A: Any = None
    B: Any = None
    Q: Any = None
    R: Any = None
    dt: float | None = None
    x0: Any = None
    x0_cov: Any = None
    noise_cov: Any = 1e-4
    max_steps: int | None = None
    u_max: float = 10.0
    max_state_norm: float = 1e6
    plot_coords: tuple[int, int] | None = None
    # Set by __post_init__, not arguments (as are the spaces; it also resolves max_steps and
    # plot_coords given as None, which the casts below say):
    action_space: spaces.Box = field(init=False, repr=False, compare=False)
    continuous: bool = field(init=False, repr=False, compare=False)
    model: LQModel = field(init=False, repr=False, compare=False)
    continuous_model: LQModel | None = field(init=False, repr=False, compare=False)
    _W_sqrt: np.ndarray | None = field(init=False, repr=False, compare=False)
    _x0_sqrt: np.ndarray | None = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 20}
    # The action is the physical control u in [-u_max, u_max]; normalising it would change the
    # meaning of R and of the Riccati gain the environment reports.
    documented_warnings = {"symmetric and normalized": "the physical control u, in the units of R and the Riccati gain"}
    aliases = {"horizon": "max_steps"}
    canvas_size = (480, 520)

    def __post_init__(self):
        continuous = self.dt is not None
        system, spec = system_spec(self.system, self.A, self.B, self.Q, self.R, continuous)
        dt = positive(self.dt, "dt") if continuous else None
        model = validate_system(spec["A"], spec["B"], spec["Q"], spec["R"], self.noise_cov, continuous)
        discrete = zoh_discretize(model, dt) if dt is not None else model
        n, m = model.B.shape
        x0 = real_array(spec["x0"] if self.x0 is None else self.x0, "x0", shape=(n,))
        x0_cov = as_covariance(spec["x0_cov"] if self.x0_cov is None else self.x0_cov, n, "x0_cov")
        max_steps = self.max_steps
        if max_steps is None:
            max_steps = math.ceil(spec["horizon"] / dt) if continuous else spec["horizon"]
        max_steps = integer(max_steps, "max_steps")
        u_max = positive(self.u_max, "u_max")
        max_state_norm = positive(self.max_state_norm, "max_state_norm")
        self._derive(
            system=system,
            continuous=continuous,
            dt=dt,
            continuous_model=model if continuous else None,
            model=discrete,
            x0=x0,
            x0_cov=x0_cov,
            max_steps=max_steps,
            u_max=u_max,
            max_state_norm=max_state_norm,
            plot_coords=_plot_coords(self.plot_coords, n),
            _W_sqrt=psd_sqrt(discrete.W) if np.any(discrete.W) else None,
            _x0_sqrt=psd_sqrt(x0_cov) if np.any(x0_cov) else None,
            # float32 bounds as SB3 asks; actions are still read at full float64 precision.
            action_space=spaces.Box(-u_max, u_max, (m,), np.float32),
            observation_space=spaces.Box(-max_state_norm, max_state_norm, (n,), np.float64),
        )

    @property
    def horizon(self) -> int:
        """Deprecated name of :attr:`max_steps`."""
        warnings.warn("LQControl: 'horizon' is deprecated; use 'max_steps'", DeprecationWarning, stacklevel=2)
        return cast(int, self.max_steps)

    # -- dynamics (batched) -------------------------------------------------------------------

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        """``n`` draws of ``x_0``, one after the other."""
        x = np.tile(self.x0, (n, 1))
        if self._x0_sqrt is not None:
            x += rng.standard_normal(x.shape) @ self._x0_sqrt.T
        return {"x": x, "u": np.zeros((n, self.action_space.shape[0])), "u_peak": np.zeros(n)}

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray | None:
        """The process noise ``w`` of ``n`` copies, copy by copy."""
        if self._W_sqrt is None:
            return None
        return rng.standard_normal((n, self._W_sqrt.shape[0])) @ self._W_sqrt.T

    def check_action(self, action: Any, n: int | None) -> np.ndarray:
        return clipped_box_actions(action, self.action_space, n, self.u_max)

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: np.ndarray | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        x, cost = lq_step(self.model, state["x"], action, 0.0 if noise is None else noise)
        terminated = np.sqrt(np.einsum("ij,ij->i", x, x)) > self.max_state_norm
        u_peak = np.maximum(state["u_peak"], np.abs(action[:, 0]))
        return {"x": x, "u": action, "u_peak": u_peak}, -cost, terminated, {}

    def end_info(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        # Tells an episode that diverged from one cut at max_steps: a sweep marks a setting whose
        # evaluation diverges instead of ranking its saturated cost (baselines.sweep).
        return {"diverged": np.sqrt(np.einsum("ij,ij->i", state["x"], state["x"])) > self.max_state_norm}

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        # Only a diverged state (||x|| > max_state_norm, which ends the episode) has a
        # coordinate outside the box; it is returned clipped into it.
        return np.minimum(np.maximum(state["x"], -self.max_state_norm), self.max_state_norm)

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        """The state ``x`` a user gives (``env.unwrapped.state = x``); the drawing's control restarts at 0."""
        x = real_array(value, "state", shape=self.observation_space.shape)[None].copy()
        return {"x": x, "u": np.zeros((1, self.action_space.shape[0])), "u_peak": np.zeros(1)}

    # -- exact references -------------------------------------------------------------------

    def optimal_gain(self, discretized: bool = False) -> np.ndarray:
        """``K*`` of ``u = -Kx``: DARE in discrete time, CARE in continuous time (the DARE
        gain of the exact discretized step with ``discretized=True``)."""
        if self.continuous_model is not None and not discretized:  # (set when continuous)
            with solvable("optimal_gain: the continuous algebraic Riccati equation", self.continuous_model):
                return care_gain(self.continuous_model)[0]
        with solvable("optimal_gain: the discrete algebraic Riccati equation", self.model):
            return dare_gain(self.model)[0]

    def expected_cost(self, K: ArrayLike) -> float:
        """Exact expected episode cost of ``u = -Kx`` (``inf`` if it does not stabilise)."""
        shape = self.model.B.T.shape
        K = matrix(np.reshape(K, shape) if np.size(K) == self.model.B.size else K, "K", shape)
        with solvable("expected_cost: the Lyapunov recursion", self.model, K):
            return expected_episode_cost(self.model, K, self.x0, self.x0_cov, cast(int, self.max_steps))

    def optimal_cost(self) -> float:
        """Minimum expected episode cost over all policies (time-varying Riccati gains)."""
        with solvable("optimal_cost: the Riccati recursion", self.model):
            return optimal_expected_cost(self.model, self.x0, self.x0_cov, cast(int, self.max_steps))

    def optimal_return(self) -> float:
        """``-optimal_cost()``: the best expected episode return, under the name runners look for."""
        return -self.optimal_cost()

    def random_cost(self) -> float:
        """The expected episode cost of the uniform-random policy (every control uniform in the
        action box), exactly, by the Lyapunov recursion of :func:`uniform_control_cost`."""
        with solvable("random_cost: the Lyapunov recursion", self.model):
            return uniform_control_cost(self.model, self.u_max, self.x0, self.x0_cov, cast(int, self.max_steps))

    def reference(self) -> Reference:
        """The optimum ``-optimal_cost()`` and the zero control's return, both exact for the
        expected episode return as ``expected_cost`` counts it: ``max_steps`` steps from
        ``x_0 ~ N(x0, x0_cov)``, the divergence bound ``max_state_norm`` ignored.

        The baseline is the zero control (``u = 0``), not the uniform-random policy: uniform
        controls in the box act as zero-mean noise of variance ``u_max^2 / 3`` that the dynamics
        integrate, so on the double integrator their cost (:meth:`random_cost`) is 10^8 to 10^9
        times the optimum's (100 to 200 steps), and scores between the two would not tell
        stabilising controllers apart.  The zero control applies no feedback at all: its cost,
        :func:`uniform_control_cost` with ``u_max = 0`` (the start and the noise alone), is the
        cost of leaving the system to itself, which a score of 0 then means.  On a system whose
        ``A`` is unstable (the datacenter) the zero control's state grows past the divergence
        bound too; the env ends those episodes early, and costs being nonnegative, the zero
        control's return in the env is then above this value.
        """
        with solvable("reference: the Lyapunov recursion of the zero control", self.model):
            zero = -uniform_control_cost(self.model, 0.0, self.x0, self.x0_cov, cast(int, self.max_steps))
        best = -self.optimal_cost()
        return Reference(
            kind="exact",
            value=best,
            lower=best,
            upper=best,
            random=zero,
            random_lower=zero,
            random_upper=zero,
            quantity=(
                f"minus the expected cost of an episode of max_steps = {self.max_steps} steps from x0 ~ N(x0, x0_cov), "
                "the divergence bound ignored"
            ),
            gamma=1.0,
            method="finite-horizon Riccati recursion (optimum); Lyapunov recursion with u = 0 (baseline)",
            citation="Bertsekas 2017, Dynamic Programming and Optimal Control I, §3.1 (the LQ problem)",
            baseline=ZERO_CONTROL,
        )

    # -- drawing ------------------------------------------------------------------------------

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        """The phase portrait of the episode's states (``trail`` then ``state``, oldest first)
        over the bar of the last control."""
        i, j = cast(tuple[int, int], self.plot_coords)
        pts = np.array([[s["x"][0, i], s["x"][0, j]] for s in (*trail, state)])
        scale = max(float(np.abs(pts).max()), 1e-9) * 1.1
        size, mid = 480, 240

        def px(p):
            return (int(mid + mid * p[0] / scale), int(mid - mid * p[1] / scale))

        pg.draw.line(surface, (200, 200, 200), (0, mid), (size, mid), 1)
        pg.draw.line(surface, (200, 200, 200), (mid, 0), (mid, size), 1)
        if len(pts) > 1:
            pg.draw.lines(surface, (60, 110, 200), False, [px(p) for p in pts], 2)
        pg.draw.circle(surface, (120, 120, 120), px(pts[0]), 5, 1)
        pg.draw.circle(surface, (200, 40, 40), px(pts[-1]), 6)
        # The control bar below the portrait: the first control component, relative to the
        # largest so far this episode (u_max is usually far larger than the controls used).
        last_u, u_peak = float(state["u"][0, 0]), float(state["u_peak"][0])
        pg.draw.rect(surface, (235, 235, 235), pg.Rect(0, size, size, 40))
        frac = last_u / u_peak if u_peak > 0 else 0.0
        bar = pg.Rect(mid, size + 8, max(1, abs(int(mid * frac))), 24)
        if frac < 0:
            bar.right = mid
        pg.draw.rect(surface, (240, 150, 50), bar)
        pg.draw.line(surface, (40, 40, 40), (mid, size), (mid, size + 40), 1)


class LQControlEnv(SingleEnv):
    """Riccati gain and exact expected cost.

    ## Description

    Linear dynamics ``x_{t+1} = A x_t + B u_t + w_t`` with Gaussian process noise
    ``w_t ~ N(0, W)`` and quadratic cost ``c_t = x_t'Q x_t + u_t'R u_t``: the linear-quadratic
    regulator.  The cost is charged for the state the control acts on, ``x_t`` (as in the
    policy-gradient example of the textbook chapter; Recht's blog charges ``x_{t+1}``).

    Named systems (``system=``): ``"double_integrator"`` (Recht's quadrotor: A = [[1,1],[0,1]],
    B = [0;1], Q = diag(1,0), R = 1, x0 = [-1, 0]) and ``"datacenter"`` (Recht's 3-state
    Laplacian system with Q = I, R = 1000 I, x0 ~ N(0, I)).  Or your own ``A, B, Q, R``.

    **Continuous time.** With ``dt`` the matrices are continuous: ``dx = (Ax + Bu) dt + dw``
    with cost rate ``x'Qx + u'Ru``.  The environment steps the exact zero-order-hold
    discretization (matrix exponential, the control held over the step) and charges the cost
    integrated over the step exactly (which adds a cross term ``2 x'N u``), so every exact
    reference tends to the continuous-time problem as ``dt -> 0``.  The noise ``dw`` is white
    with intensity ``noise_cov`` per unit time; its exact effect on the state over a step is
    added at the step's end (its O(dt^2) contribution to the step's cost is not charged).  The
    named systems in continuous time are those whose Euler step with ``dt = 1`` is the
    discrete system (A_c = A - I; the double integrator becomes x'' = u).

    ## Action Space

    ``Box(-u_max, u_max, (m,), float32)``: the control ``u`` (read as float64, so a float64
    action ``-Kx`` keeps its full precision).  ``action_out_of_range = "clip"``:
    each component is clipped to ``[-u_max, u_max]`` (``u_max = 10`` by default, far from the
    optimal controls of the named systems, so that the references below stay exact).  A wrong
    shape, NaN/inf or a non-number (str, bool, complex, None) raises ``ValueError``.  The box is
    in the system's units, not the ``[-1, 1]`` box SB3's checker advises (the yml entries of
    ``baselines.sb3`` rescale with ``rl_envs.wrappers.NormalizeAction``).

    ## Observation Space

    ``Box(-max_state_norm, max_state_norm, (n,), float64)``: the state ``x`` itself (full state
    feedback; ``env.unwrapped.state`` is ``x`` too, and setting it after ``reset`` puts the system
    there).  The state that ends an episode by diverging is clipped into this box.

    ## Rewards

    ``-c_t`` as a Python float (in continuous time the cost integrated over the step, about
    ``c * dt``).

    ## Starting State

    ``x_0 ~ N(x0, x0_cov)`` (a fixed ``x0`` when ``x0_cov = 0``).

    ## Episode End

    * Termination: the state diverges, ``||x|| > max_state_norm`` (default ``1e6``), which only
      happens under a destabilising controller; that state is returned once, clipped into the
      observation box, so no overflow or NaN reaches the agent.  The last step's
      ``info["diverged"]`` says whether the episode ended so.
    * Truncation: after ``max_steps`` steps.  The default is long enough for the named systems
      that the stationary Riccati gain is within 0.1 % of the finite-horizon optimum: 200 steps
      for the double integrator, 1000 for the datacenter, 200 for your own matrices (``H / dt``
      steps in continuous time, for a horizon of ``H`` time units).

    Stepping after the end raises ``ResetNeeded``.

    ## Exact references (on ``env.unwrapped``)

    * ``optimal_gain()``: the stationary ``K*`` of ``u = -Kx`` (DARE, or CARE in continuous time;
      ``optimal_gain(discretized=True)`` gives the DARE gain of the discretized step).
    * ``expected_cost(K)``: the exact expected sum of costs of one episode under ``u = -Kx``,
      as this environment runs it (``max_steps``, noise, initial-state distribution), by the
      Lyapunov recursion; ``inf`` for a gain that does not stabilise ``A - BK``.  It ignores
      the clipping at ``u_max`` and the divergence bound, which a stabilising gain does not
      reach from the named systems' starting states.
    * ``optimal_cost()``: the minimum expected episode cost over all policies (finite-horizon,
      time-varying Riccati recursion); ``optimal_return()`` is its negative.
    * ``random_cost()``: the uniform-random policy's expected episode cost (controls uniform in
      the box, a Lyapunov recursion).
    * ``reference()``: the optimum and the zero control's (``u = 0``) return, a
      :class:`rl_envs.core.Reference` whose baseline is the zero control: the uniform-random
      policy costs 10^8 to 10^9 times the optimum on the double integrator, so normalized between
      the two every stabilising controller would score 1 to several digits (the datacenter's
      zero-control episodes diverge, which the env ends early and the reference ignores).
    * ``model``: the discrete-time :class:`LQModel` (``A, B, Q, R, N, W``) that the environment
      steps; ``continuous_model``: the continuous-time one it discretizes (None in discrete time).

    ## Arguments

    * ``system``: ``"double_integrator"`` (default) or ``"datacenter"``; or give ``A, B`` (and
      ``Q``, ``R``, default identity) instead.  Matrices are validated: shapes, finiteness, Q
      symmetric positive semidefinite, R symmetric positive definite, (A, B) stabilizable.
      Matrices are 2-D (a one-state system is ``A=[[a]], B=[[b]]``); ``Q`` and ``R`` may be
      scalars, meaning that multiple of the identity.
    * ``dt``: ``None`` for discrete time, or the step of the continuous-time system.
    * ``x0``, ``x0_cov``: mean and covariance (scalar means times I) of the initial state.
    * ``noise_cov``: process-noise covariance (intensity per unit time in continuous time);
      default ``1e-4``, i.e. 1e-4 I.
    * ``max_steps``: episode length in steps.  Recht's setting: ``max_steps=10,
      noise_cov=1e-4`` on the double integrator (the defaults otherwise).  ``horizon`` is its
      deprecated alias (a ``DeprecationWarning``; ``env.unwrapped.horizon`` reads ``max_steps``).
    * ``u_max`` (10), ``max_state_norm`` (1e6), ``plot_coords`` (the two state indices of the
      phase portrait; default ``(0, 1)``, or ``(0, 0)``, the diagonal, for a one-dimensional
      state), ``render_mode`` (``"human"`` or ``"rgb_array"``).

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/LQControl-v0", num_envs=n, vectorization_mode="vector_entry_point", ...)``
    gives :class:`LQControlVectorEnv`: ``n`` copies of one system stepped with array operations,
    in any of Gymnasium's autoreset modes (``autoreset_mode=``, next-step by default; see
    :mod:`rl_envs.core.vector`); ``reset(seed=[s_0, ...])`` gives copy ``i`` the stream of a
    single env seeded ``s_i``.

    ```python
    env = gymnasium.make("rl_envs/LQControl-v0", max_steps=10)
    K = env.unwrapped.optimal_gain()  # [[0.4805, 1.2496]]
    env.unwrapped.expected_cost(K) / env.unwrapped.optimal_cost()  # close to 1
    ```
    """

    task_type = LQControlTask

    @property
    def state(self) -> np.ndarray:
        """The state ``x`` (unclipped); setting it (after ``reset``) puts the system there."""
        return super().state["x"]

    @state.setter
    def state(self, value: Any) -> None:
        SingleEnv.state.__set__(self, value)


class LQControlVectorEnv(VectorEnv):
    """``num_envs`` copies of one linear-quadratic system stepped with array operations (see
    :class:`LQControlEnv` for the task and :mod:`rl_envs.core.vector` for autoreset and seeding;
    the arguments are the same plus ``num_envs``).  Each step draws the process noise of the
    moving copies, copy by copy, then the initial states of the restarting ones, so with
    ``num_envs=1`` the env reproduces :class:`LQControlEnv` bit for bit.
    ``render_mode="rgb_array"`` renders a tuple of frames, one per copy, showing its state (no
    trail) and its last control.  The exact references (``optimal_gain()``,
    ``expected_cost(K)``, ``optimal_cost()``, ``model``) are those of :class:`LQControlEnv`.
    """

    task_type = LQControlTask


__all__ = [
    "LQControlEnv",
    "LQControlVectorEnv",
    "LQModel",
    "NAMED_SYSTEMS",
    "system_spec",
    "zoh_discretize",
    "dare_gain",
    "care_gain",
    "riccati_recursion",
    "optimal_expected_cost",
    "expected_episode_cost",
    "uniform_control_cost",
    "closed_loop_cost_matrix",
    "lq_step",
    "is_stabilizable",
    "validate_system",
    "spectral_radius",
]
