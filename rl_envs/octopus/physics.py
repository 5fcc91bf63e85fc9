"""Octopus-arm physics: a muscular hydrostat of 2(C+1) point masses, as pure batched functions.

The equations are those of the McGill simulator used by the RL-Library and the 2008/2009 RL
Competition, as specified in ``docs/octopus-physics.md`` (the section numbers below refer to it).
The state of one arm is a float64 vector laid out exactly like the observation (§5)::

    [theta, omega, (x, y, vx, vy) of upper nodes 1..C, (x, y, vx, vy) of lower nodes 1..C]

The base pair (node 0 of each side) is implied by ``theta``: it is a rigid rod of half-length
``R`` turning about a fixed centre.  Node arrays inside the kernel are flat: upper node ``i``
is index ``i``, lower node ``i`` is index ``C + 1 + i``.

Three implementations of the same step exist on purpose:

* the compiled kernel ``_simd`` (``_simd.c``, built by ``pip install`` where a C compiler is
  found): SIMD across arms, the arms as the innermost, contiguous axis, blocks of arms shared
  by a few threads.  It performs each arm's arithmetic in the numba kernel's operation order,
  so its results are the numba kernel's bit for bit (tested);
* the numba kernels (:func:`advance`, :func:`advance_parallel`), one arm at a time, which run
  where the compiled kernel is missing (with a :class:`KernelFallbackWarning`) or when asked for
  (``kernel="numba"``);
* :func:`derivative_numpy` / :func:`rk4_step_numpy`, the same equations as NumPy array
  expressions over a batch, kept as the readable reference that the tests cross-check force
  evaluations against and that the benchmark measures the speed-up over.

:class:`Kernel` steps an env's arms with one of the first two; the single env and the vector
env share it, so one seed and one action sequence give bit-identical results in both.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass

from numpy.typing import ArrayLike

# numba's OpenMP threads spin while waiting by default; when other processes share the cores
# (the usual case on a laptop or CI), the spinning threads starve each other and the parallel
# vector env ran 4x slower than one thread (measured under load; idle cost not measured).
# Set before numba's threading layer (and so the OpenMP runtime) starts; a user's choice wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
from numba import njit, prange

from ..validation import describe, integer, one_of

try:
    from . import _simd  # pyright: ignore[reportAttributeAccessIssue] - a C extension, which pyright cannot read
except ImportError as error:  # built without a C compiler, or its build failed
    _simd, SIMD_MISSING = None, str(error)

# §2's table.  "icml06" has no base torque in the original (its base turns passively); we keep the
# RL-Library torque coefficient so that both sets share the 2 + 3C action layout.
CONSTANT_SETS = {
    "rl-library": dict(
        tangential_drag=0.4,
        perpendicular_drag=1.0,
        pressure=10.0,
        gravity=0.01,
        surface_level=5.0,
        muscle_active=0.1,
        muscle_passive=0.04,
        min_length=0.1,
        muscle_damping=-1.0,
        torque=0.025,
    ),
    "icml06": dict(
        tangential_drag=0.2,
        perpendicular_drag=1.0,
        pressure=10.0,
        gravity=0.01,
        surface_level=5.0,
        muscle_active=0.1,
        muscle_passive=0.05,
        min_length=0.4,
        muscle_damping=-0.3,
        torque=0.025,
    ),
}

# §1: node mass of each pair of the RL-Library ArmSpec (upper = lower), base first.
ARM_SPEC_MASSES = (
    0.675233,
    0.675233,
    0.668952,
    0.662704,
    0.656490,
    0.650311,
    0.644169,
    0.638064,
    0.631997,
    0.625970,
    0.619984,
)
MAX_COMPARTMENTS = len(ARM_SPEC_MASSES) - 1

H = 0.2  # §4: RK4 step; h >= 0.5 turns compartments inside out
SUBSTEPS = 25  # §4: 25 RK4 steps (5 time units) per agent step, action held

# The bound on every node velocity component and on the base's angular velocity.  Quadratic
# drag caps speeds: over adversarial runs (full torque spins, bang-bang and random activations,
# 1, 6 and 10 compartments, both constant sets) node speeds stayed below 0.25 and |omega| below
# 0.6, so 2 is never reached in practice; a step that would exceed it is a failure (below), so
# the observation space's bounds hold exactly.  See docs/octopus-physics.md, "Bounds".
VELOCITY_BOUND = 2.0

# Indices into ArmModel.par (a flat float64 array, so the kernels take few arguments).
(
    _CX,
    _CY,
    _R,
    _INERTIA,
    _CT,
    _CP,
    _P,
    _G,
    _SURFACE,
    _LMIN,
    _TORQUE,
    _H,
    _SUBSTEPS,
    _POSITION_BOUND,
    _VELOCITY_BOUND,
    _THETA_BOUND,
) = range(16)

OK, NON_FINITE, INVERTED, NAN_ACTION, OUT_OF_BOUNDS = 0, 1, 2, 3, 4
FAILURES = {
    NON_FINITE: "non-finite state",
    INVERTED: "a compartment turned inside out",
    OUT_OF_BOUNDS: "a state value left the observation bounds",
}


def rest_pose(n_compartments: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper nodes, lower nodes (each (C+1, 2)) and node masses (C+1,) of the tapered ArmSpec arm."""
    i = np.arange(n_compartments + 1)
    x = 0.0019746 + 0.897315 * i
    half_width = 0.4302831 - 0.0061818 * i
    upper = np.stack([x, half_width], axis=1)
    lower = np.stack([x, -half_width], axis=1)
    return upper, lower, np.array(ARM_SPEC_MASSES[: n_compartments + 1])


@dataclass(frozen=True, eq=False)
class ArmModel:
    """Everything the kernels need besides the state: rest geometry, stiffnesses, constants.

    ``muscles[m, k] = (1 / L0, K_active, K_passive, K_damping)`` for muscle ``m`` (0 dorsal,
    1 transversal, 2 ventral: the action order) of compartment ``k``.
    """

    n_compartments: int
    muscles: np.ndarray  # (3, C, 4)
    area0: np.ndarray  # (C,) rest areas
    mass: np.ndarray  # (2C + 2,) flat node order
    inv_mass: np.ndarray  # 1 / mass: the kernels multiply, a division costs as much as a sqrt
    par: np.ndarray  # (13,) scalars, indexed by the _CX.. constants
    initial_state: np.ndarray  # (2 + 8C,)

    @property
    def state_size(self) -> int:
        return 2 + 8 * self.n_compartments

    @property
    def action_size(self) -> int:
        return 2 + 3 * self.n_compartments

    @property
    def base_centre(self) -> np.ndarray:
        """(x, y) of the point the base turns about."""
        return self.par[[_CX, _CY]]

    @property
    def water_surface(self) -> float:
        """The height above which buoyancy no longer cancels gravity."""
        return float(self.par[_SURFACE])

    def kernel_args(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.muscles, self.area0, self.mass, self.inv_mass, self.par


def build_model(
    n_compartments: int = 6, constants: str = "rl-library", h: float = H, substeps: int = SUBSTEPS
) -> ArmModel:
    C = integer(n_compartments, "n_compartments", low=1, high=MAX_COMPARTMENTS)
    c = CONSTANT_SETS[one_of(constants, "constants", sorted(CONSTANT_SETS))]
    upper, lower, m = rest_pose(C)
    dorsal_l0 = np.linalg.norm(upper[1:] - upper[:-1], axis=1)
    ventral_l0 = np.linalg.norm(lower[1:] - lower[:-1], axis=1)
    width = np.linalg.norm(upper[1:] - lower[1:], axis=1)  # transversal rest length = w
    coeffs = np.array([c["muscle_active"], c["muscle_passive"], c["muscle_damping"]])
    muscles = np.empty((3, C, 4))
    for idx, l0 in ((0, dorsal_l0), (2, ventral_l0)):
        muscles[idx, :, 0] = 1.0 / l0
        muscles[idx, :, 1:] = (0.5 * width**2 / l0)[:, None] * coeffs  # §2: K = 0.5 c w^2 / L0
    muscles[1, :, 0] = 1.0 / width
    muscles[1, :, 1:] = width[:, None] * coeffs  # §2: K = c L0
    area0 = np.abs(quad_areas(upper[None], lower[None]))[0]
    centre = 0.5 * (upper[0] + lower[0])
    radius = 0.5 * float(np.linalg.norm(upper[0] - lower[0]))
    # Integers, so that the bounds are exact in the float32 observation space.  Positions: twice
    # the rest reach (arm length plus base half-width); theta: wrapped into (-pi, pi] when a step
    # starts, then turned at most VELOCITY_BOUND * (h * substeps) within it.
    position_bound = math.ceil(2 * (upper[-1, 0] + radius))
    theta_bound = math.ceil(math.pi + VELOCITY_BOUND * h * substeps)
    par = np.array(
        [
            centre[0],
            centre[1],
            radius,
            radius**2 * 2 * m[0],
            c["tangential_drag"],
            c["perpendicular_drag"],
            c["pressure"],
            c["gravity"],
            c["surface_level"],
            c["min_length"],
            c["torque"],
            float(h),
            float(substeps),
            float(position_bound),
            VELOCITY_BOUND,
            float(theta_bound),
        ]
    )
    state = np.zeros(2 + 8 * C)
    state[0] = math.atan2(upper[0, 1] - centre[1], upper[0, 0] - centre[0])
    _nodes_of(state, C)[0][...] = np.concatenate([upper[1:], np.zeros((C, 2))], axis=1)
    _nodes_of(state, C)[1][...] = np.concatenate([lower[1:], np.zeros((C, 2))], axis=1)
    mass = np.concatenate([m, m])
    return ArmModel(C, muscles, area0, mass, 1.0 / mass, par, state)


def observation_bounds(model: ArmModel) -> tuple[np.ndarray, np.ndarray]:
    """float32 (low, high) of a state: |theta|, |omega|, |x|, |y|, |vx|, |vy| each within the
    bounds :func:`build_model` put in ``par``, which a step that succeeds never leaves."""
    C = model.n_compartments
    high = np.empty(model.state_size, dtype=np.float32)
    high[0] = model.par[_THETA_BOUND]
    high[1] = model.par[_VELOCITY_BOUND]
    node = np.array([model.par[_POSITION_BOUND]] * 2 + [model.par[_VELOCITY_BOUND]] * 2, dtype=np.float32)
    high[2:] = np.tile(node, 2 * C)
    return -high, high


def _nodes_of(state: np.ndarray, C: int):
    """Views (upper, lower), each (..., C, 4) of (x, y, vx, vy), into states (..., 2 + 8C)."""
    body = state[..., 2:].reshape(*state.shape[:-1], 2, C, 4)
    return body[..., 0, :, :], body[..., 1, :, :]


def node_arrays(states: np.ndarray, model: ArmModel) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities of all nodes, each (n, 2, C+1, 2) as [arm, side, node, xy]."""
    states = np.atleast_2d(states)
    C = model.n_compartments
    theta, omega = states[:, 0], states[:, 1]
    r = model.par[_R] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    w_r = omega[:, None] * np.stack([-r[:, 1], r[:, 0]], axis=1)  # omega x r = omega R90(r)
    centre = model.base_centre
    body = states[:, 2:].reshape(-1, 2, C, 4)
    pos = np.concatenate([np.stack([centre + r, centre - r], axis=1)[:, :, None], body[..., :2]], axis=2)
    vel = np.concatenate([np.stack([w_r, -w_r], axis=1)[:, :, None], body[..., 2:]], axis=2)
    return pos, vel


def quad_areas(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Signed areas (n, C) of the compartments (d, dt, tv, v) = (U[k], U[k+1], L[k+1], L[k]).

    A = 1/2 R90(tv - d) . (dt - v); positive for the rest pose (§2).
    """
    a = lower[:, 1:] - upper[:, :-1]
    b = upper[:, 1:] - lower[:, :-1]
    return 0.5 * (a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0])


# -- the numba kernels --------------------------------------------------------------------------
# error_model="numpy": a zero-length muscle gives inf/nan (caught as a failure), not an exception.


@njit(cache=True, error_model="numpy")
def _muscle(i, j, muscles, m, k, a, lmin, px, py, vx, vy, fx, fy):
    """§2 muscle m of compartment k between nodes i and j; returns the unit vector i -> j.

    The unit vector of the dorsal and ventral muscles is reused as the drag axis.
    """
    dx = px[j] - px[i]
    dy = py[j] - py[i]
    length = math.sqrt(dx * dx + dy * dy)
    inv_length = 1.0 / length
    ux = dx * inv_length
    uy = dy * inv_length
    stretch = length * muscles[m, k, 0]
    f = (muscles[m, k, 1] * a + muscles[m, k, 2]) * (stretch - lmin) if stretch > lmin else 0.0
    f += muscles[m, k, 3] * ((vx[i] - vx[j]) * ux + (vy[i] - vy[j]) * uy)
    fx[i] += f * ux
    fy[i] += f * uy
    fx[j] -= f * ux
    fy[j] -= f * uy
    return ux, uy


@njit(cache=True, error_model="numpy")
def _pressure(d, dt, tv, v, pressure, area0, px, py, fx, fy):
    """§2 area-keeping force with its square-root law on the quad (d, dt, tv, v)."""
    area = 0.5 * ((px[tv] - px[d]) * (py[dt] - py[v]) - (py[tv] - py[d]) * (px[dt] - px[v]))
    q = pressure * (abs(area) - area0)
    pf = math.sqrt(abs(q))
    if (q < 0.0) != (area < 0.0):
        pf = -pf
    # pf (R270(cur - prev) + R270(next - cur)) = pf R270(next - prev), R270(x, y) = (y, -x)
    fx[d] += pf * (py[dt] - py[v])
    fy[d] -= pf * (px[dt] - px[v])
    fx[dt] += pf * (py[tv] - py[d])
    fy[dt] -= pf * (px[tv] - px[d])
    fx[tv] += pf * (py[v] - py[dt])
    fy[tv] -= pf * (px[v] - px[dt])
    fx[v] += pf * (py[d] - py[tv])
    fy[v] -= pf * (px[d] - px[tv])


@njit(cache=True, error_model="numpy")
def _drag(n, ax, ay, ct, cp, vx, vy, fx, fy):
    """§2 quadratic anisotropic drag on node n about the axis (ax, ay); still water."""
    s = vx[n] * ax + vy[n] * ay
    wx = vx[n] - s * ax
    wy = vy[n] - s * ay
    w = math.sqrt(wx * wx + wy * wy)  # cp |v_perp|^2 unit(v_perp) = cp |v_perp| v_perp
    fx[n] -= ct * s * abs(s) * ax + cp * w * wx
    fy[n] -= ct * s * abs(s) * ay + cp * w * wy


@njit(cache=True, error_model="numpy")
def _derivative(y, act, muscles, area0, mass, inv_mass, par, px, py, vx, vy, fx, fy, dy):
    """dy = d/dt y for one arm under the held action ``act``."""
    C = area0.shape[0]
    lo = C + 1
    omega = y[1]
    rx = par[_R] * math.cos(y[0])
    ry = par[_R] * math.sin(y[0])
    px[0] = par[_CX] + rx
    py[0] = par[_CY] + ry
    px[lo] = par[_CX] - rx
    py[lo] = par[_CY] - ry
    vx[0] = -omega * ry
    vy[0] = omega * rx
    vx[lo] = omega * ry
    vy[lo] = -omega * rx
    for i in range(1, C + 1):
        b = 4 * i - 2
        px[i], py[i], vx[i], vy[i] = y[b], y[b + 1], y[b + 2], y[b + 3]
        b += 4 * C
        px[lo + i], py[lo + i], vx[lo + i], vy[lo + i] = y[b], y[b + 1], y[b + 2], y[b + 3]
    for n in range(2 * C + 2):
        fx[n] = 0.0
        # gravity cancelled by buoyancy below the surface (§2)
        fy[n] = -par[_G] * mass[n] if py[n] >= par[_SURFACE] else 0.0
    lmin = par[_LMIN]
    for k in range(C):
        u0, u1, l0, l1 = k, k + 1, lo + k, lo + k + 1
        a = 2 + 3 * k
        dax, day = _muscle(u0, u1, muscles, 0, k, act[a], lmin, px, py, vx, vy, fx, fy)
        _muscle(u1, l1, muscles, 1, k, act[a + 1], lmin, px, py, vx, vy, fx, fy)
        vax, vay = _muscle(l0, l1, muscles, 2, k, act[a + 2], lmin, px, py, vx, vy, fx, fy)
        _pressure(u0, u1, l1, l0, par[_P], area0[k], px, py, fx, fy)
        _drag(u1, dax, day, par[_CT], par[_CP], vx, vy, fx, fy)
        _drag(l1, vax, vay, par[_CT], par[_CP], vx, vy, fx, fy)
    # §3: the base turns under the applied torque plus the moments of the forces on its nodes
    torque = par[_TORQUE] * (act[0] - act[1]) + (rx * fy[0] - ry * fx[0]) - (rx * fy[lo] - ry * fx[lo])
    dy[0] = omega
    dy[1] = torque / par[_INERTIA]
    for i in range(1, C + 1):
        b = 4 * i - 2
        dy[b], dy[b + 1], dy[b + 2], dy[b + 3] = vx[i], vy[i], fx[i] * inv_mass[i], fy[i] * inv_mass[i]
        b += 4 * C
        n = lo + i
        dy[b], dy[b + 1], dy[b + 2], dy[b + 3] = vx[n], vy[n], fx[n] * inv_mass[n], fy[n] * inv_mass[n]


@njit(cache=True, error_model="numpy")
def _wrap_angle(theta):
    """theta in (-pi, pi] (§4: wrapped when each agent step starts)."""
    return theta - 2.0 * math.pi * math.ceil((theta - math.pi) / (2.0 * math.pi))


@njit(cache=True, error_model="numpy")
def _step_arm(s, act, muscles, area0, mass, inv_mass, par):
    """One agent step of one arm, in place: RK4 with the action, clipped to [0, 1], held (§4).

    Returns OK, or NAN_ACTION / NON_FINITE / OUT_OF_BOUNDS / INVERTED, in which case ``s``
    keeps its value.
    """
    C = area0.shape[0]
    act = act.copy()
    for j in range(act.shape[0]):
        if math.isnan(act[j]):
            return NAN_ACTION
        act[j] = min(max(act[j], 0.0), 1.0)
    size = s.shape[0]
    # two allocations instead of twelve: this runs once per arm and agent step
    nodes = np.empty((6, 2 * C + 2))
    px, py, vx, vy, fx, fy = nodes[0], nodes[1], nodes[2], nodes[3], nodes[4], nodes[5]
    stages = np.empty((6, size))
    k1, k2, k3, k4, y, tmp = stages[0], stages[1], stages[2], stages[3], stages[4], stages[5]
    y[:] = s
    y[0] = _wrap_angle(y[0])
    h = par[_H]
    for _ in range(int(par[_SUBSTEPS])):
        _derivative(y, act, muscles, area0, mass, inv_mass, par, px, py, vx, vy, fx, fy, k1)
        for j in range(size):
            tmp[j] = y[j] + 0.5 * h * k1[j]
        _derivative(tmp, act, muscles, area0, mass, inv_mass, par, px, py, vx, vy, fx, fy, k2)
        for j in range(size):
            tmp[j] = y[j] + 0.5 * h * k2[j]
        _derivative(tmp, act, muscles, area0, mass, inv_mass, par, px, py, vx, vy, fx, fy, k3)
        for j in range(size):
            tmp[j] = y[j] + h * k3[j]
        _derivative(tmp, act, muscles, area0, mass, inv_mass, par, px, py, vx, vy, fx, fy, k4)
        for j in range(size):
            y[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])
    for j in range(size):
        if not math.isfinite(y[j]):
            return NON_FINITE
    if abs(y[0]) > par[_THETA_BOUND] or abs(y[1]) > par[_VELOCITY_BOUND]:
        return OUT_OF_BOUNDS
    for j in range(2, size, 4):
        if (
            max(abs(y[j]), abs(y[j + 1])) > par[_POSITION_BOUND]
            or max(abs(y[j + 2]), abs(y[j + 3])) > par[_VELOCITY_BOUND]
        ):
            return OUT_OF_BOUNDS
    _node_positions(y, par, C, px, py)
    for k in range(C):
        if _signed_area(k, k + 1, C + 2 + k, C + 1 + k, px, py) <= 0.0:
            return INVERTED
    s[:] = y
    return OK


@njit(cache=True, error_model="numpy")
def _node_positions(y, par, C, px, py):
    rx = par[_R] * math.cos(y[0])
    ry = par[_R] * math.sin(y[0])
    px[0], py[0] = par[_CX] + rx, par[_CY] + ry
    px[C + 1], py[C + 1] = par[_CX] - rx, par[_CY] - ry
    for i in range(1, C + 1):
        px[i], py[i] = y[4 * i - 2], y[4 * i - 1]
        px[C + 1 + i], py[C + 1 + i] = y[4 * (C + i) - 2], y[4 * (C + i) - 1]


@njit(cache=True, error_model="numpy")
def _signed_area(d, dt, tv, v, px, py):
    return 0.5 * ((px[tv] - px[d]) * (py[dt] - py[v]) - (py[tv] - py[d]) * (px[dt] - px[v]))


@njit(cache=True, error_model="numpy")
def _inside_quad(x, y, qx, qy):
    """Even-odd rule: is (x, y) inside the polygon (qx, qy)?"""
    inside = False
    n = qx.shape[0]
    for i in range(n):
        j = i - 1 if i > 0 else n - 1
        if (qy[i] > y) != (qy[j] > y):
            if x < qx[j] + (y - qy[j]) * (qx[i] - qx[j]) / (qy[i] - qy[j]):
                inside = not inside
    return inside


@njit(cache=True, error_model="numpy")
def _distance_and_hit(s, target, par, C):
    """(distance from the target to the nearest node or compartment centroid, target inside a compartment)."""
    n_nodes = 2 * C + 2
    px, py = np.empty(n_nodes), np.empty(n_nodes)
    _node_positions(s, par, C, px, py)
    tx, ty = target[0], target[1]
    best = math.inf
    for n in range(n_nodes):
        best = min(best, math.sqrt((px[n] - tx) ** 2 + (py[n] - ty) ** 2))
    qx, qy = np.empty(4), np.empty(4)
    hit = False
    for k in range(C):
        corners = (k, k + 1, C + 2 + k, C + 1 + k)
        for c in range(4):
            qx[c], qy[c] = px[corners[c]], py[corners[c]]
        cx, cy = 0.25 * (qx[0] + qx[1] + qx[2] + qx[3]), 0.25 * (qy[0] + qy[1] + qy[2] + qy[3])
        best = min(best, math.sqrt((cx - tx) ** 2 + (cy - ty) ** 2))
        hit = hit or _inside_quad(tx, ty, qx, qy)
    return best, hit


@njit(cache=True, error_model="numpy")
def measure(
    states: np.ndarray,
    targets: np.ndarray,
    muscles: np.ndarray,
    area0: np.ndarray,
    mass: np.ndarray,
    inv_mass: np.ndarray,
    par: np.ndarray,
    distance: np.ndarray,
    hit: np.ndarray,
) -> None:
    """Distance to target and hit flag of every arm (no step), e.g. after a reset."""
    for i in range(states.shape[0]):
        distance[i], hit[i] = _distance_and_hit(states[i], targets[i], par, area0.shape[0])


@njit(cache=True, error_model="numpy")
def advance(
    states: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    muscles: np.ndarray,
    area0: np.ndarray,
    mass: np.ndarray,
    inv_mass: np.ndarray,
    par: np.ndarray,
    distance: np.ndarray,
    hit: np.ndarray,
    status: np.ndarray,
) -> None:
    """One agent step for every arm (serially), then its distance to target and hit flag.

    ``states`` (n, 2 + 8C) is updated in place; ``actions`` (n, 2 + 3C) are clipped to [0, 1].
    An arm whose step fails keeps its state and gets ``status`` NAN_ACTION, NON_FINITE,
    OUT_OF_BOUNDS or INVERTED.
    """
    C = area0.shape[0]
    for i in range(states.shape[0]):
        status[i] = _step_arm(states[i], actions[i], muscles, area0, mass, inv_mass, par)
        distance[i], hit[i] = _distance_and_hit(states[i], targets[i], par, C)


@njit(cache=True, error_model="numpy", parallel=True)
def advance_parallel(
    states: np.ndarray,
    actions: np.ndarray,
    targets: np.ndarray,
    muscles: np.ndarray,
    area0: np.ndarray,
    mass: np.ndarray,
    inv_mass: np.ndarray,
    par: np.ndarray,
    distance: np.ndarray,
    hit: np.ndarray,
    status: np.ndarray,
) -> None:
    """:func:`advance` with the arms spread over threads (same per-arm arithmetic, same bits)."""
    C = area0.shape[0]
    for i in prange(states.shape[0]):
        status[i] = _step_arm(states[i], actions[i], muscles, area0, mass, inv_mass, par)
        distance[i], hit[i] = _distance_and_hit(states[i], targets[i], par, C)


def step_arms(states: np.ndarray, actions: np.ndarray, model: ArmModel) -> np.ndarray:
    """Advance a batch of arms one agent step in place with the numba kernel; returns the status per arm."""
    n = states.shape[0]
    distance, hit, status = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64)
    advance(states, actions, np.zeros((n, 2)), *model.kernel_args(), distance, hit, status)
    return status


def derivative(states: np.ndarray, actions: np.ndarray, model: ArmModel) -> np.ndarray:
    """The numba force evaluation d/dt of a batch of states (for tests against the NumPy reference)."""
    states = np.atleast_2d(np.asarray(states, dtype=np.float64))
    actions = np.atleast_2d(np.asarray(actions, dtype=np.float64))
    out = np.empty_like(states)
    n_nodes = 2 * model.n_compartments + 2
    for i in range(states.shape[0]):
        work = [np.empty(n_nodes) for _ in range(6)]
        _derivative(states[i], actions[i], *model.kernel_args(), *work, out[i])  # pyright: ignore[reportCallIssue] - pyright cannot count *work
    return out


# -- the NumPy reference ----------------------------------------------------------------------


def _unit(v):
    norm = np.sqrt((v**2).sum(-1, keepdims=True))
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0), norm[..., 0]


def derivative_numpy(states: np.ndarray, actions: np.ndarray, model: ArmModel) -> np.ndarray:
    """§2-3 as array expressions over a batch: d/dt of states (n, 2 + 8C) under actions (n, 2 + 3C)."""
    states = np.atleast_2d(states)
    actions = np.atleast_2d(actions)
    par, C = model.par, model.n_compartments
    pos, vel = node_arrays(states, model)  # (n, 2, C+1, 2)
    mass = model.mass.reshape(2, C + 1)
    force = np.zeros_like(pos)
    force[..., 1] = np.where(pos[..., 1] >= par[_SURFACE], -par[_G] * mass, 0.0)
    act = actions[:, 2:].reshape(-1, C, 3)
    U, L, vU, vL = pos[:, 0], pos[:, 1], vel[:, 0], vel[:, 1]
    ends = {
        0: (U[:, :-1], U[:, 1:], vU[:, :-1], vU[:, 1:]),  # dorsal d -> dt
        1: (U[:, 1:], L[:, 1:], vU[:, 1:], vL[:, 1:]),  # transversal dt -> tv
        2: (L[:, :-1], L[:, 1:], vL[:, :-1], vL[:, 1:]),
    }  # ventral v -> tv
    slots = {
        0: ((0, slice(0, C)), (0, slice(1, C + 1))),
        1: ((0, slice(1, C + 1)), (1, slice(1, C + 1))),
        2: ((1, slice(0, C)), (1, slice(1, C + 1))),
    }
    axes = {}
    for m, (p1, p2, v1, v2) in ends.items():
        u, length = _unit(p2 - p1)
        axes[m] = u
        inv_l0, ka, kp, kd = model.muscles[m].T
        stretch = length * inv_l0
        f = np.where(stretch > par[_LMIN], (ka * act[..., m] + kp) * (stretch - par[_LMIN]), 0.0)
        f = f + kd * ((v1 - v2) * u).sum(-1)
        (s1, i1), (s2, i2) = slots[m]
        force[:, s1, i1] += f[..., None] * u
        force[:, s2, i2] -= f[..., None] * u
    d, dt, tv, v = U[:, :-1], U[:, 1:], L[:, 1:], L[:, :-1]
    area = quad_areas(U, L)
    q = par[_P] * (np.abs(area) - model.area0)
    pf = (np.sign(area) * np.sign(q) * np.sqrt(np.abs(q)))[..., None]

    def r270(w):
        return np.stack([w[..., 1], -w[..., 0]], axis=-1)

    force[:, 0, :-1] += pf * r270(dt - v)
    force[:, 0, 1:] += pf * r270(tv - d)
    force[:, 1, 1:] += pf * r270(v - dt)
    force[:, 1, :-1] += pf * r270(d - tv)
    for side, axis in ((0, axes[0]), (1, axes[2])):
        w = vel[:, side, 1:]
        s = (w * axis).sum(-1, keepdims=True)
        perp = w - s * axis
        speed = np.sqrt((perp**2).sum(-1, keepdims=True))
        force[:, side, 1:] -= par[_CT] * s * np.abs(s) * axis + par[_CP] * speed * perp
    r = pos[:, 0, 0] - par[[_CX, _CY]]
    torque = par[_TORQUE] * (actions[:, 0] - actions[:, 1])
    for side, sign in ((0, 1.0), (1, -1.0)):
        torque = torque + sign * (r[:, 0] * force[:, side, 0, 1] - r[:, 1] * force[:, side, 0, 0])
    acc = force[:, :, 1:] / mass[None, :, 1:, None]
    body = np.concatenate([vel[:, :, 1:], acc], axis=-1)  # (n, 2, C, 4) = (vx, vy, ax, ay)
    return np.concatenate([states[:, 1:2], (torque / par[_INERTIA])[:, None], body.reshape(len(states), -1)], axis=1)


def rk4_step_numpy(states: np.ndarray, actions: np.ndarray, model: ArmModel) -> np.ndarray:
    """One agent step of a batch with the NumPy reference (no failure handling)."""
    y = np.array(states, dtype=np.float64, ndmin=2)
    y[:, 0] = y[:, 0] - 2 * np.pi * np.ceil((y[:, 0] - np.pi) / (2 * np.pi))
    h = model.par[_H]
    for _ in range(int(model.par[_SUBSTEPS])):
        k1 = derivative_numpy(y, actions, model)
        k2 = derivative_numpy(y + 0.5 * h * k1, actions, model)
        k3 = derivative_numpy(y + 0.5 * h * k2, actions, model)
        k4 = derivative_numpy(y + h * k3, actions, model)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


# -- choosing the kernel ------------------------------------------------------------------------

KERNELS = ("auto", "simd", "numba")


class KernelFallbackWarning(UserWarning):
    """The compiled SIMD kernel is not installed: the octopus arm runs on the numba kernel."""


def resolve_kernel(kernel: str) -> str:
    """``"simd"`` or ``"numba"``: ``"auto"`` is the compiled kernel where it is installed, else
    the numba kernel with a :class:`KernelFallbackWarning`."""
    kernel = one_of(kernel, "kernel", KERNELS)
    if kernel == "auto":
        if _simd is not None:
            return "simd"
        warnings.warn(
            f"the octopus arm's compiled SIMD kernel is not installed ({SIMD_MISSING}); using the "
            "numba kernel, 3-10x slower at 64 arms.  Reinstall rl_envs where a C compiler is found "
            "to build it, or pass kernel='numba' to choose the numba kernel without this warning.",
            KernelFallbackWarning,
            stacklevel=4,
        )
        return "numba"
    if kernel == "simd" and _simd is None:
        raise ImportError(f"kernel='simd': the compiled kernel rl_envs.octopus._simd is not installed ({SIMD_MISSING})")
    return kernel


_default_threads: int | None = None


def set_default_threads(threads: int | None) -> None:
    """The threads a vector env made with ``threads=None`` uses from now on in this process
    (``None``: every core it may run on), as ``numba.set_num_threads`` for numba: a pool of
    worker processes that already fills the cores sets 1."""
    global _default_threads
    _default_threads = None if threads is None else integer(threads, "threads")


def default_threads() -> int:
    """:func:`set_default_threads`'s value, else the CPU cores this process may run on."""
    if _default_threads is not None:
        return _default_threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _float64(name: str, a, shape: tuple, writable: bool = False) -> np.ndarray:
    """``a`` as a C-contiguous float64 array of ``shape``; an array the kernel writes into must
    already be one (a converted copy would be written instead)."""
    if writable:
        if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.flags.c_contiguous and a.flags.writeable):
            raise ValueError(f"{name} must be a writable, C-contiguous float64 array, got {describe(a)}")
    else:
        a = np.ascontiguousarray(a, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


class Kernel:
    """Steps batches of arms of one model with the compiled or the numba kernel.

    ``advance`` and ``measure`` take the batch's buffers as the numba :func:`advance` does
    (states ``(n, 2 + 8C)`` updated in place, actions ``(n, 2 + 3C)``, targets ``(n, 2)``,
    distance, hit and status ``(n,)``: float64, bool, int64) and check none of them: the envs
    pass arrays they own.  ``threads`` (the most a step uses) spreads blocks of arms over
    threads (compiled kernel) or the arms over numba's threads.
    """

    def __init__(self, model: ArmModel, kernel: str = "auto", threads: int = 1):
        self.kind = resolve_kernel(kernel)
        self.threads = integer(threads, "threads")
        self.model = model
        self._args = (model.n_compartments, *model.kernel_args())

    def advance(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        targets: np.ndarray,
        distance: np.ndarray,
        hit: np.ndarray,
        status: np.ndarray,
    ) -> None:
        if self.kind == "simd" and _simd is not None:  # (resolve_kernel gives "simd" only with _simd)
            _simd.advance(len(states), *self._args, states, actions, targets, distance, hit, status, self.threads)
        elif self.threads > 1:
            import numba

            numba.set_num_threads(min(self.threads, numba.config.NUMBA_NUM_THREADS))  # pyright: ignore[reportPrivateImportUsage, reportAttributeAccessIssue] - numba sets its config at run time
            advance_parallel(states, actions, targets, *self._args[1:], distance, hit, status)
        else:
            advance(states, actions, targets, *self._args[1:], distance, hit, status)

    def measure(self, states: np.ndarray, targets: np.ndarray, distance: np.ndarray, hit: np.ndarray) -> None:
        if self.kind == "simd" and _simd is not None:
            _simd.measure(len(states), *self._args, states, targets, distance, hit)
        else:
            measure(states, targets, *self._args[1:], distance, hit)

    def step(self, states: np.ndarray, actions: ArrayLike) -> np.ndarray:
        """Advance ``states`` one agent step in place (checked input); returns the status per arm."""
        if states.ndim != 2:
            raise ValueError(f"states must be 2-D (arms, {self.model.state_size}), got shape {np.shape(states)}")
        n = states.shape[0]
        states = _float64("states", states, (n, self.model.state_size), writable=True)
        actions = _float64("actions", actions, (n, self.model.action_size))
        distance, hit, status = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64)
        self.advance(states, actions, np.zeros((n, 2)), distance, hit, status)
        return status

    def derivative(self, states: ArrayLike, actions: ArrayLike) -> np.ndarray:
        """The force evaluation d/dt of a batch of states (checked input; actions not clipped)."""
        states = np.atleast_2d(np.asarray(states, dtype=np.float64))
        n = states.shape[0]
        states = _float64("states", states, (n, self.model.state_size))
        actions = _float64("actions", np.atleast_2d(actions), (n, self.model.action_size))
        if self.kind == "numba" or _simd is None:
            return derivative(states, actions, self.model)
        out = np.empty_like(states)
        _simd.derivative(n, *self._args, states, actions, out)
        return out
