"""Octopus arm: hand-worked force laws, physical invariants, the task, and the vector env.

Long trajectories are not compared across implementations: the square-root pressure law
amplifies a 1e-15 rounding difference to ~1e-3 in 20 steps (docs/octopus-physics.md §4), so
cross-checks are on force evaluations and single steps.
"""

import math

import numpy as np
import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode

import rl_envs  # noqa: F401
from rl_envs.octopus import physics as P
from rl_envs.octopus.env import OctopusArmEnv, OctopusArmVectorEnv

MODEL = P.build_model()
C = MODEL.n_compartments


def _nodes(C=2):
    n = 2 * C + 2
    return [np.zeros(n) for _ in range(6)]  # px, py, vx, vy, fx, fy


def _random_states(n_arms, n_steps, seed):
    """States reached by random activations (away from the pre-stressed rest pose)."""
    rng = np.random.default_rng(seed)
    s = np.repeat(MODEL.initial_state[None], n_arms, axis=0)
    for _ in range(n_steps):
        assert (P.step_arms(s, rng.random((n_arms, MODEL.action_size)), MODEL) == P.OK).all()
    return s, rng


def _positions(states):
    return P.node_arrays(states, MODEL)[0]


# -- the force laws against hand computations (docs/octopus-physics.md §2) -----------------------------------


def test_muscle_force_by_hand():
    px, py, vx, vy, fx, fy = _nodes()
    px[1] = 2.0  # node 0 at (0, 0), node 1 at (2, 0): length 2, rest length 1
    vx[0], vx[1] = 0.1, -0.1  # closing at 0.2
    muscles = np.array([[[1.0, 1.0, 0.5, -1.0]]])  # 1/L0, Ka, Kp, Kd
    u = P._muscle(0, 1, muscles, 0, 0, 0.5, 0.1, px, py, vx, vy, fx, fy)
    # (Ka a + Kp)(l - lmin) + Kd (v1 - v2).u = (0.5 + 0.5)(2 - 0.1) - 0.2 = 1.7, contracting
    assert u == (1.0, 0.0)
    assert fx[0] == pytest.approx(1.7, abs=1e-15) and fx[1] == pytest.approx(-1.7, abs=1e-15)
    assert fy[0] == fy[1] == 0.0
    fx[:] = 0.0
    px[1] = 0.05  # below the minimum length only damping acts
    vx[:] = 0.0
    P._muscle(0, 1, muscles, 0, 0, 1.0, 0.1, px, py, vx, vy, fx, fy)
    assert fx[0] == 0.0


def test_pressure_force_by_hand():
    px, py, _, _, fx, fy = _nodes(1)
    # square of side 2: d (0, 2), dt (2, 2), tv (2, 0), v (0, 0); area 4 against a rest area 3
    for n, (x, y) in enumerate([(0, 2), (2, 2), (2, 0), (0, 0)]):
        px[n], py[n] = x, y
    P._pressure(0, 1, 2, 3, 10.0, 3.0, px, py, fx, fy)
    pf = math.sqrt(10.0)  # sqrt(P (|A| - A0))
    # each corner: pf R270(next - prev), pointing into the square (it is too large)
    expected = pf * np.array([[2, -2], [-2, -2], [-2, 2], [2, 2]])
    np.testing.assert_allclose(np.stack([fx[:4], fy[:4]], axis=1), expected, rtol=1e-15)
    fx[:], fy[:] = 0.0, 0.0
    P._pressure(0, 1, 2, 3, 10.0, 5.0, px, py, fx, fy)  # too small: pushed outwards, sqrt(10) again
    np.testing.assert_allclose(np.stack([fx[:4], fy[:4]], axis=1), -expected, rtol=1e-15)


def test_drag_by_hand():
    _, _, vx, vy, fx, fy = _nodes(1)
    vx[0], vy[0] = 2.0, 1.0  # axis +x: tangential speed 2, perpendicular 1
    P._drag(0, 1.0, 0.0, 0.4, 1.0, vx, vy, fx, fy)
    assert (fx[0], fy[0]) == (-0.4 * 2 * 2, -1.0)


def test_base_angular_acceleration_is_torque_over_inertia_at_rest():
    # At the symmetric rest pose the moments of the muscle forces on the two base nodes cancel,
    # so theta'' = 0.025 (a_ccw - a_cw) / I with I = R^2 (m_U0 + m_L0) (§3).
    inertia = 0.4302831**2 * 2 * 0.675233
    for a_ccw, a_cw in ((1.0, 0.0), (0.0, 1.0), (0.3, 0.8)):
        action = np.zeros(MODEL.action_size)
        action[:2] = a_ccw, a_cw
        for deriv in (P.derivative, P.derivative_numpy):
            d = deriv(MODEL.initial_state[None], action[None], MODEL)[0]
            assert d[1] == pytest.approx(0.025 * (a_ccw - a_cw) / inertia, rel=1e-12, abs=1e-15)


def test_numba_force_evaluation_matches_numpy_reference():
    states, rng = _random_states(4, 15, seed=0)
    actions = rng.random((4, MODEL.action_size))
    fast, ref = P.derivative(states, actions, MODEL), P.derivative_numpy(states, actions, MODEL)
    assert np.abs(ref).max() > 1e-2
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-13)
    stepped = states.copy()
    P.step_arms(stepped, actions, MODEL)
    np.testing.assert_allclose(stepped, P.rk4_step_numpy(states, actions, MODEL), rtol=0, atol=1e-9)


def test_rest_geometry_and_constants():
    upper = P.rest_pose(6)[0]
    assert upper[6, 0] == pytest.approx(0.0019746 + 6 * 0.897315)
    assert MODEL.initial_state[0] == pytest.approx(math.pi / 2)
    assert MODEL.state_size == 50 and MODEL.action_size == 20
    icml = P.build_model(constants="icml06")
    # §2: transversal muscle K = c L0, longitudinal K = 0.5 c w^2 / L0 with c = musclePassive
    w = 2 * (0.4302831 - 0.0061818)
    assert icml.muscles[1, 0, 2] == pytest.approx(0.05 * w)
    assert MODEL.muscles[0, 0, 2] == pytest.approx(0.04 * 0.5 * w**2 / math.hypot(0.897315, 0.0061818))


# -- physical behaviour --------------------------------------------------------------------------


def test_areas_stay_within_two_percent_of_rest_under_random_actions():
    rng = np.random.default_rng(3)
    s = np.repeat(MODEL.initial_state[None], 3, axis=0)
    worst = 0.0
    for _ in range(300):
        assert (P.step_arms(s, rng.random((3, MODEL.action_size)), MODEL) == P.OK).all()
        pos = _positions(s)
        worst = max(worst, np.abs(P.quad_areas(pos[:, 0], pos[:, 1]) / MODEL.area0 - 1).max())
    assert 0 < worst < 0.02


def test_zero_action_settles():
    s = MODEL.initial_state[None].copy()
    zero = np.zeros((1, MODEL.action_size))
    moves = []
    for _ in range(120):
        before = _positions(s)
        P.step_arms(s, zero, MODEL)
        moves.append(np.abs(_positions(s) - before).max())
    assert moves[0] > 1e-3  # the rest pose is pre-stressed: it moves at first
    assert max(moves[100:]) < 1e-9  # then stops; a small residual velocity remains (h = 0.2, sqrt law)
    assert abs(s[0, 0] - math.pi / 2) < 1e-12  # symmetric: no net turn


@pytest.mark.parametrize("index, sign", [(0, 1.0), (1, -1.0)])
def test_ccw_and_cw_turn_the_base_the_right_way(index, sign):
    s = MODEL.initial_state[None].copy()
    action = np.zeros((1, MODEL.action_size))
    action[0, index] = 1.0
    for _ in range(3):  # few enough steps that theta stays inside (-pi, pi]
        P.step_arms(s, action, MODEL)
    assert sign * (s[0, 0] - math.pi / 2) > 0.5
    # the base drags the first free node pair with it (up for ccw); the distal arm lags in the water
    assert sign * _positions(s)[0, :, 1, 1].mean() > 0.1


def _mirror_action(a):
    m = a.copy()
    m[..., [0, 1]] = a[..., [1, 0]]
    m[..., 2::3], m[..., 4::3] = a[..., 4::3], a[..., 2::3]  # dorsal <-> ventral
    return m


def test_mirrored_activations_give_mirror_image_motion():
    rng = np.random.default_rng(5)
    s = np.repeat(MODEL.initial_state[None], 2, axis=0)
    for _ in range(5):
        a = rng.random(MODEL.action_size)
        P.step_arms(s, np.stack([a, _mirror_action(a)]), MODEL)
    pos, vel = P.node_arrays(s, MODEL)
    flip = np.array([1.0, -1.0])
    assert np.abs(pos[0] - pos[0, ::-1] * flip).max() > 0.1  # a random action breaks the symmetry
    # summation order differs between the sides, so exact only to rounding amplified by the sqrt law
    np.testing.assert_allclose(pos[1], pos[0, ::-1] * flip, atol=1e-6)
    np.testing.assert_allclose(vel[1], vel[0, ::-1] * flip, atol=1e-6)


def test_step_agrees_with_fine_step_reference():
    # One agent step (5 time units) from a random state: h = 0.2 (25 substeps) against h = 0.05
    # (100).  Measured: positions differ by <= 0.019 (the step itself moves nodes by 0.08-0.2),
    # velocities by <= 0.033; tolerance 0.03 / 0.05.  Explicit Euler at h = 0.2 is off by ~0.3.
    fine = P.build_model(h=0.05, substeps=100)
    states, rng = _random_states(3, 20, seed=11)
    actions = rng.random((3, MODEL.action_size))
    coarse, ref = states.copy(), states.copy()
    P.step_arms(coarse, actions, MODEL)
    P.step_arms(ref, actions, fine)
    diff = np.abs(coarse - ref)[:, 2:].reshape(3, 2, C, 4)
    assert diff[..., :2].max() < 0.03 and diff[..., 2:].max() < 0.05
    assert np.abs(coarse[:, 0] - ref[:, 0]).max() < 0.01
    assert np.abs(_positions(coarse) - _positions(states)).max() > 0.05


def test_long_random_run_stays_finite():
    rng = np.random.default_rng(7)
    n_arms, n_steps = 50, 2000  # 1e5 arm-steps
    s = np.repeat(MODEL.initial_state[None], n_arms, axis=0)
    for _ in range(n_steps):
        assert (P.step_arms(s, rng.random((n_arms, MODEL.action_size)), MODEL) == P.OK).all()
    assert np.isfinite(s).all()


# -- the task -----------------------------------------------------------------------------------


def _hand_distance(state, target):
    pos = _positions(state[None])[0]
    U, L = pos[0], pos[1]
    centroids = (U[:-1] + U[1:] + L[1:] + L[:-1]) / 4
    points = np.concatenate([U, L, centroids])
    return np.linalg.norm(points - target, axis=1).min()


def test_reward_is_the_decrease_of_the_distance():
    env = OctopusArmEnv(target=(3.5, 3.5), distance_gain=2.0)
    env.reset(seed=0)
    d0 = _hand_distance(MODEL.initial_state, np.array([3.5, 3.5]))
    assert env.distance == pytest.approx(d0, abs=1e-12)
    action = np.zeros(MODEL.action_size, dtype=np.float32)
    action[0] = 1.0
    total = 0.0
    for _ in range(5):
        obs, r, terminated, truncated, _ = env.step(action)
        total += r
    d5 = _hand_distance(obs.astype(np.float64), np.array([3.5, 3.5]))
    assert env.distance == pytest.approx(d5, abs=1e-5)  # obs is float32
    assert total == pytest.approx(2.0 * (d0 - env.distance), abs=1e-12) and total > 0
    assert not terminated and not truncated


def test_hit_pays_50_and_terminates():
    upper, lower, _ = P.rest_pose(C)
    centre = (upper[2] + upper[3] + lower[3] + lower[2]) / 4  # inside compartment 2, even after a step
    env = OctopusArmEnv(target=tuple(centre))
    env.reset(seed=0)
    assert env.distance == pytest.approx(0.0, abs=1e-12)
    _, r, terminated, truncated, _ = env.step(np.zeros(MODEL.action_size, dtype=np.float32))
    assert terminated and not truncated
    assert r == pytest.approx(50.0 - env.distance, abs=1e-12)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(MODEL.action_size, dtype=np.float32))


def test_never_hitting_truncates_at_max_steps():
    env = OctopusArmEnv(max_steps=4)
    env.reset(seed=0)
    flags = [env.step(np.zeros(MODEL.action_size, dtype=np.float32))[2:4] for _ in range(4)]
    assert flags == [(False, False)] * 3 + [(False, True)]


def test_numerical_failure_truncates_with_reason_and_finite_observation():
    env = OctopusArmEnv()
    obs0, _ = env.reset(seed=0)
    env.model.par[P._H] = 1.0  # docs/octopus-physics.md §4: h = 1 gives NaN in the first step
    obs, r, terminated, truncated, info = env.step(np.ones(MODEL.action_size, dtype=np.float32))
    assert truncated and not terminated and r == 0.0
    assert info["failure"] in P.FAILURES.values()
    assert np.array_equal(obs, obs0)


def test_leaving_the_observation_bounds_is_a_failure_not_an_observation():
    env = OctopusArmEnv()
    obs0, _ = env.reset(seed=0)
    env.model.par[P._VELOCITY_BOUND] = 1e-3  # full CCW torque turns the base faster than this
    action = np.zeros(MODEL.action_size, dtype=np.float32)
    action[0] = 1.0
    obs, r, terminated, truncated, info = env.step(action)
    assert truncated and not terminated and r == 0.0
    assert info["failure"] == P.FAILURES[P.OUT_OF_BOUNDS]
    assert np.array_equal(obs, obs0) and env.observation_space.contains(obs)


@pytest.mark.parametrize("n_compartments, constants", [(1, "icml06"), (6, "rl-library"), (10, "icml06")])
def test_hard_driven_arms_stay_inside_the_observation_space(n_compartments, constants):
    """Full torque (the fastest spin) and random bang-bang activations never hit the bounds."""
    env = OctopusArmEnv(n_compartments=n_compartments, constants=constants, target=(50.0, 50.0), max_steps=300)
    space, rng = env.observation_space, np.random.default_rng(0)
    assert np.isfinite(space.low).all() and np.isfinite(space.high).all()
    for spin in (True, False):
        obs, _ = env.reset(seed=0)
        done = False
        while not done:
            action = rng.integers(0, 2, env.action_space.shape[0])
            if spin:
                action[:2] = (1, 0)
            obs, _, terminated, truncated, info = env.step(action.astype(np.float32))
            assert "failure" not in info and space.contains(obs)
            done = terminated or truncated


def test_random_target_is_appended_and_seeded():
    env = OctopusArmEnv(target="random")
    obs, _ = env.reset(seed=4)
    assert obs.shape == (52,) and env.observation_space.shape == (52,)
    np.testing.assert_array_equal(obs[-2:], env.target.astype(np.float32))
    radius = np.linalg.norm(env.target - MODEL.par[:2])
    assert 1.5 <= radius <= 5.0
    targets = {tuple(env.reset()[0][-2:]) for _ in range(5)}
    assert len(targets) == 5
    assert np.array_equal(OctopusArmEnv(target="random").reset(seed=4)[0], obs)


def test_state_set_back_replays_the_episode():
    env = OctopusArmEnv(target="random")
    env.reset(seed=2)
    rng = np.random.default_rng(2)
    for _ in range(3):
        env.step(rng.random(MODEL.action_size).astype(np.float32))
    saved = env.state
    assert set(saved) == {"arm", "target", "distance", "activation"} and saved["arm"].shape == (MODEL.state_size,)
    actions = rng.random((4, MODEL.action_size)).astype(np.float32)
    first = [env.step(a) for a in actions]
    env.state = {"arm": saved["arm"], "target": saved["target"], "activation": saved["activation"]}
    assert env.distance == saved["distance"]  # recomputed from the arm and the target
    assert all(data_equivalence(x, env.step(a), exact=True) for x, a in zip(first, actions))
    for bad in ({"arm": saved["arm"]}, {**saved, "speed": 1.0}, {**saved, "arm": saved["arm"][:-1]}, saved["arm"]):
        with pytest.raises(ValueError, match="state"):
            env.state = bad


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_compartments=0),
        dict(n_compartments=11),
        dict(n_compartments=2.5),
        dict(constants="water"),
        dict(target="anywhere"),
        dict(target=(np.nan, 1.0)),
        dict(target=(1, 2, 3)),
        dict(max_steps=0),
        dict(distance_gain=-1.0),
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        OctopusArmEnv(**kwargs)


def test_other_sizes_and_constant_set():
    env = OctopusArmEnv(n_compartments=3, constants="icml06")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (26,) and env.action_space.shape == (11,)
    obs2, *_ = env.step(np.full(11, 0.5, dtype=np.float32))
    assert np.isfinite(obs2).all() and not np.array_equal(obs, obs2)


def test_vector_env_matches_single_envs_bit_for_bit_through_autoreset():
    n, steps = 3, 25
    venv = OctopusArmVectorEnv(num_envs=n, max_steps=10)
    envs = [OctopusArmEnv(max_steps=10) for _ in range(n)]
    vobs, _ = venv.reset(seed=1)
    for i, env in enumerate(envs):
        assert data_equivalence(vobs[i], env.reset(seed=1)[0], exact=True)
    rng = np.random.default_rng(2)
    done = np.zeros(n, dtype=bool)
    for _ in range(steps):
        actions = rng.random((n, MODEL.action_size)).astype(np.float32)
        vobs, vr, vterm, vtrunc, _ = venv.step(actions)
        for i, env in enumerate(envs):
            if done[i]:
                obs, r, term, trunc = env.reset()[0], 0.0, False, False
            else:
                obs, r, term, trunc, _ = env.step(actions[i])
            assert np.array_equal(vobs[i], obs) and vr[i] == r and vterm[i] == term and vtrunc[i] == trunc
            done[i] = term or trunc
    assert venv._t.max() < steps  # the arms were reset on the way


@pytest.mark.parametrize("mode", list(AutoresetMode), ids=lambda m: m.name)
def test_vector_env_failures_end_episodes_as_gymnasiums_sync_vector_env(mode):
    """A numerical failure truncates the arm's episode in each autoreset mode, step by step as
    Gymnasium's SyncVectorEnv of single envs (random targets, so restarts draw from each arm's
    stream), also in steps where other arms end by time."""
    seeds, n = [5, 6, 7, 8], 4
    kwargs = {"target": "random", "max_steps": 3}
    native = gym.make_vec(
        "rl_envs/OctopusArm-v0", num_envs=n, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs
    )
    sync = gym.make_vec(
        "rl_envs/OctopusArm-v0", num_envs=n, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs
    )
    pars = [native.unwrapped.model.par] + [env.unwrapped.model.par for env in sync.envs]
    for x, y in zip(native.reset(seed=seeds), sync.reset(seed=seeds)):
        assert data_equivalence(x, y, exact=True)
    rng = np.random.default_rng(0)
    failures = mixed = 0  # mixed: steps where one arm fails and another ends by time
    for t in range(36):
        # weak activations with balanced base torques keep theta near pi/2; on every third step one
        # arm spins at full torque past a theta bound lowered to 1.75 (it fails), in turn
        actions = 0.1 * rng.random((n, MODEL.action_size)).astype(np.float32)
        actions[:, 1] = actions[:, 0]
        spin = t % 3 == 1
        if spin:
            actions[t // 3 % n, :2] = (1.0, 0.0)
        for par in pars:
            par[P._THETA_BOUND] = 1.75 if spin else MODEL.par[P._THETA_BOUND]
        out_native, out_sync = native.step(actions), sync.step(actions)
        for x, y in zip(out_native, out_sync):
            assert data_equivalence(x, y, exact=True), f"step {t}"
        info = out_native[4] if mode is not AutoresetMode.SAME_STEP else out_native[4].get("final_info", {})
        failed = info.get("_failure", np.zeros(n, dtype=bool))
        assert failed.sum() <= spin  # none when the spinning arm restarts instead (next-step autoreset)
        failures += failed.sum()
        mixed += bool(failed.any() and (out_native[3] & ~failed).any())
        ended = out_native[2] | out_native[3]
        if mode is AutoresetMode.DISABLED and ended.any():
            with pytest.raises(gym.error.ResetNeeded):
                native.step(actions)
            for x, y in zip(native.reset(options={"reset_mask": ended}), sync.reset(options={"reset_mask": ended})):
                assert data_equivalence(x, y, exact=True)
    assert failures >= 8 and mixed >= 3


def test_vector_env_random_targets_are_drawn_per_arm():
    venv = gym.make_vec("rl_envs/OctopusArm-v0", num_envs=4, vectorization_mode="vector_entry_point", target="random")
    obs, _ = venv.reset(seed=0)
    assert obs.shape == (4, 52) and len({tuple(t) for t in obs[:, -2:]}) == 4


def test_vector_env_frames_are_the_single_envs_frames():
    n = 2
    venv = OctopusArmVectorEnv(num_envs=n, max_steps=3, render_mode="rgb_array")
    envs = [OctopusArmEnv(max_steps=3, render_mode="rgb_array") for _ in range(n)]
    venv.reset(seed=0)
    for env in envs:
        env.reset(seed=0)
    rng = np.random.default_rng(4)
    done = np.zeros(n, dtype=bool)
    for _ in range(5):  # through an autoreset at the fourth step
        actions = rng.random((n, MODEL.action_size)).astype(np.float32)
        venv.step(actions)
        for i, env in enumerate(envs):
            if done[i]:
                env.reset()
                done[i] = False
            else:
                done[i] = any(env.step(actions[i])[2:4])
        frames = venv.render()
        assert len(frames) == n
        for frame, env in zip(frames, envs):
            assert np.array_equal(frame, env.render())
    assert not np.array_equal(frames[0], frames[1])  # different activations, different colours
    venv.close()


@pytest.mark.parametrize("target", [(3.5, 3.5), "random"])
def test_observation_layout_names_every_dimension_once(target):
    env = OctopusArmEnv(n_compartments=3, target=target)
    obs, _ = env.reset(seed=0)
    layout = env.observation_layout
    covered = np.concatenate([np.arange(len(obs))[where] for where in layout.values()])
    assert sorted(covered) == list(range(len(obs)))
    assert obs[layout["theta"]][0] == pytest.approx(math.pi / 2)  # the arm starts along +x
    pos, vel = P.node_arrays(env.state["arm"], env.model)
    np.testing.assert_allclose(obs[layout["x"]], pos[0, :, 1:, 0].ravel(), rtol=1e-6)  # dorsal then ventral nodes
    np.testing.assert_allclose(obs[layout["vy"]], vel[0, :, 1:, 1].ravel(), atol=1e-7)
    if target == "random":
        np.testing.assert_allclose(obs[layout["target"]], env.target, rtol=1e-6)
    else:
        assert "target" not in layout
    assert OctopusArmVectorEnv(2, n_compartments=3, target=target).observation_layout == layout


# -- the compiled SIMD kernel against the numba kernel -------------------------------------------------------

simd = pytest.mark.skipif(P._simd is None, reason=f"the compiled kernel is not built: {getattr(P, 'SIMD_MISSING', '')}")
KERNELS = [pytest.param("simd", marks=simd), "numba"]


def _random_batch(n_arms, seed):
    """States of n_arms arms after 0-24 random steps each, and random (unclipped) actions."""
    rng = np.random.default_rng(seed)
    states = np.repeat(MODEL.initial_state[None], n_arms, axis=0)
    for t in range(36):
        moving = rng.random(n_arms) < 0.8 if t else np.ones(n_arms, dtype=bool)
        batch = states[moving]
        assert (P.step_arms(batch, rng.random((len(batch), MODEL.action_size)), MODEL) == P.OK).all()
        states[moving] = batch
    return states, rng.uniform(-0.2, 1.2, (n_arms, MODEL.action_size))


@simd
def test_simd_force_evaluation_matches_the_numba_kernel():
    # 67 arms: eight blocks of 8 and a padded one (with AVX-512); the bar is 1e-12 per
    # force evaluation, and the kernels perform the same operations in the same order, so they
    # agree exactly.
    states, actions = _random_batch(67, seed=21)
    fast, ref = P.Kernel(MODEL, "simd").derivative(states, actions), P.derivative(states, actions, MODEL)
    assert np.abs(ref).max() > 1e-2 and len({tuple(r) for r in ref.round(6)}) == 67
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-12)
    assert np.array_equal(fast, ref)
    np.testing.assert_allclose(fast, P.derivative_numpy(states, actions, MODEL), rtol=0, atol=1e-13)


@simd
@pytest.mark.parametrize(
    "n_arms, threads", [(1, 1), (2, 2), (3, 4), (5, 2), (8, 1), (17, 3), (27, 2), (63, 2), (65, 2), (66, 8), (67, 2)]
)
def test_simd_steps_are_the_numba_kernels_bit_for_bit(n_arms, threads):
    """Every block shape (full blocks of 8 with AVX-512 or 4 without, a padded block, one or two
    single arms after full blocks), more threads than jobs, and thread counts: the same states,
    distances, hits and statuses as the numba kernel, step after step (40 steps: far enough
    for the square-root law to turn any rounding difference into ~1e-3)."""
    kernels = P.Kernel(MODEL, "simd", threads), P.Kernel(MODEL, "numba")
    for _, states, outs in _in_lockstep(kernels, n_arms, np.random.default_rng(n_arms), 40):
        assert np.array_equal(states[0], states[1])
        for a, b in zip(*outs):
            assert np.array_equal(a, b)
    assert (outs[0][2] == P.OK).all() and np.abs(states[0] - MODEL.initial_state).max() > 0.1


def _in_lockstep(kernels, n_arms: int, rng, steps: int):
    """Advance every kernel from the same start with the same random actions and targets; after
    each step yield the step index, the kernels' states and their (distance, hit, status)."""
    states = [np.repeat(MODEL.initial_state[None], n_arms, axis=0) for _ in kernels]
    targets = rng.uniform(-5, 5, (n_arms, 2))
    outs = [(np.empty(n_arms), np.empty(n_arms, dtype=bool), np.empty(n_arms, dtype=np.int64)) for _ in kernels]
    for step in range(steps):
        actions = rng.uniform(-0.2, 1.2, (n_arms, MODEL.action_size))
        for kernel, s, out in zip(kernels, states, outs):
            kernel.advance(s, actions, targets, *out)
        yield step, states, outs


@simd
@pytest.mark.parametrize("change, failure", [((P._H, 1.0), None), ((P._VELOCITY_BOUND, 1e-3), P.OUT_OF_BOUNDS)])
def test_simd_failures_are_the_numba_kernels(change, failure):
    model = P.build_model()
    model.par[change[0]] = change[1]
    states, actions = _random_batch(19, seed=5)
    actions[3, 4] = np.nan  # the kernel's own guard: this arm is not stepped
    results = []
    for kind in ("simd", "numba"):
        s = states.copy()
        results.append((P.Kernel(model, kind).step(s, actions), s))
    (status, s), (ref_status, ref_s) = results
    assert np.array_equal(status, ref_status) and np.array_equal(s, ref_s)
    assert status[3] == P.NAN_ACTION and np.array_equal(s[3], states[3])
    assert (status != P.OK).sum() >= 10
    if failure is not None:
        assert failure in status
    assert np.array_equal(s[status != P.OK], states[status != P.OK])  # a failed arm keeps its state


@simd
def test_simd_kernel_rejects_bad_buffers_by_name():
    kernel = P.Kernel(MODEL, "simd")
    states = np.repeat(MODEL.initial_state[None], 3, axis=0)
    actions = np.zeros((3, MODEL.action_size))
    with pytest.raises(ValueError, match="states must be a writable, C-contiguous float64 array"):
        kernel.step(states.astype(np.float32), actions)
    with pytest.raises(ValueError, match="states must be a writable"):
        kernel.step(np.asfortranarray(states), actions)
    with pytest.raises(ValueError, match=r"actions must have shape \(3, 20\)"):
        kernel.step(states, actions[:, :-1])
    with pytest.raises(ValueError, match="states must be 2-D"):
        kernel.step(states[0], actions[0])
    # the module checks the buffers itself: element type, size, layout, writability
    n, args = 3, (C, *MODEL.kernel_args())
    out = np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=np.int64)
    targets = np.zeros((n, 2))
    cases = [
        ((states, actions, targets, out[0], out[1].astype(np.int8), out[2]), "hit must hold 3 bool"),
        ((states, actions, targets, out[0], out[1], out[2].astype(np.int32)), "status must hold 3 int64"),
        ((states, actions[:2], targets, *out), "actions has the wrong size for 60 float64"),
        ((states, actions.T, targets, *out), "actions must be a C-contiguous float64"),
        ((states, actions, targets.astype(np.float32), *out), "targets must hold 6 float64"),
    ]
    for buffers, message in cases:
        with pytest.raises(ValueError, match=message):
            P._simd.advance(n, *args, *buffers, 1)
    readonly = states.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="states must be a C-contiguous, writable float64"):
        P._simd.advance(n, *args, readonly, actions, targets, *out, 1)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        P._simd.advance(n, *args, states, actions, targets, *out, 0)
    with pytest.raises(ValueError, match="1 <= C <= 10"):
        P._simd.advance(n, 11, *args[1:], states, actions, targets, *out, 1)
    assert np.array_equal(states, np.repeat(MODEL.initial_state[None], 3, axis=0))  # nothing was stepped


@pytest.mark.parametrize("kwargs", [dict(kernel="fast"), dict(kernel=None), dict(threads=0), dict(threads=1.5)])
def test_bad_kernel_arguments_raise(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        OctopusArmVectorEnv(2, **kwargs)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("threads", [1, 2])
def test_each_kernel_vector_env_matches_the_single_env_of_the_other(kernel, threads):
    other = "numba" if kernel == "simd" else ("simd" if P._simd is not None else "numba")
    n = 5
    venv = OctopusArmVectorEnv(num_envs=n, target=(20.0, 20.0), kernel=kernel, threads=threads)  # out of reach
    envs = [OctopusArmEnv(target=(20.0, 20.0), kernel=other) for _ in range(n)]
    venv.reset(seed=3)
    for env in envs:
        env.reset(seed=3)
    rng = np.random.default_rng(3)
    for _ in range(30):
        actions = rng.random((n, MODEL.action_size)).astype(np.float32)
        vobs, vr, *_ = venv.step(actions)
        for i, env in enumerate(envs):
            obs, r, *_ = env.step(actions[i])
            assert np.array_equal(vobs[i], obs) and vr[i] == r
    assert len({tuple(o) for o in vobs}) == n


FALLBACK = """
import warnings, sys
sys.modules["rl_envs.octopus._simd"] = None  # as if the extension had not been built
import numpy as np
import gymnasium as gym
import rl_envs
from rl_envs.octopus import physics
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    env = gym.make("rl_envs/OctopusArm-v0")
    quiet = gym.make("rl_envs/OctopusArm-v0", kernel="numba")
assert [w.category for w in caught] == [physics.KernelFallbackWarning], caught
message = str(caught[0].message)
assert "not installed" in message and "kernel='numba'" in message, message
assert env.unwrapped.task._kernel.kind == quiet.unwrapped.task._kernel.kind == "numba"
try:
    gym.make("rl_envs/OctopusArm-v0", kernel="simd")
    raise AssertionError("kernel='simd' without the extension must fail")
except ImportError as error:
    assert "_simd is not installed" in str(error)
obs, _ = env.reset(seed=0)
for _ in range(3):
    obs, reward, *_ = env.step(np.full(20, 0.5, dtype=np.float32))
np.save(sys.argv[1], obs)
"""


@simd
def test_without_the_extension_the_numba_kernel_runs_with_a_warning(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "obs.npy"
    subprocess.run([sys.executable, "-c", FALLBACK, str(out)], check=True, timeout=300)
    env = OctopusArmEnv()
    env.reset(seed=0)
    for _ in range(3):
        obs, *_ = env.step(np.full(20, 0.5, dtype=np.float32))
    assert np.array_equal(np.load(out), obs)  # the compiled kernel's result, bit for bit


@simd
def test_threads_work_in_a_forked_child():
    """Helper threads do not survive fork(): the child makes its own (no hang, same result)."""
    import multiprocessing

    venv = OctopusArmVectorEnv(num_envs=40, threads=2)
    venv.reset(seed=0)
    actions = np.full((40, MODEL.action_size), 0.3, dtype=np.float32)
    venv.step(actions)  # the parent's helpers exist now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        child = pool.apply_async(_step_once, (venv, actions)).get(timeout=120)
    assert np.array_equal(child, venv.step(actions)[0])


@simd
@pytest.mark.parametrize("threads", [2, 8])
def test_simd_threads_that_fell_asleep_give_the_same_bits(threads):
    """Pauses between steps longer than the helpers spin (0.2 ms), so that they sleep and are
    woken, and 8 threads on fewer cores (nobody spins): the same bits as one thread."""
    import time

    n_arms = 33  # four blocks of 8 (with AVX-512) and a single arm: 5 jobs
    kernels = P.Kernel(MODEL, "simd", threads), P.Kernel(MODEL, "simd", 1)
    for step, states, outs in _in_lockstep(kernels, n_arms, np.random.default_rng(3), 30):
        assert np.array_equal(states[0], states[1]) and all(np.array_equal(a, b) for a, b in zip(*outs))
        time.sleep(0.002 if step % 2 else 0.0)
    assert np.abs(states[0] - MODEL.initial_state).max() > 0.1


def _step_once(venv, actions):
    return venv.step(actions)[0]


def test_default_threads_can_be_set_for_the_process():
    assert OctopusArmVectorEnv(2).task._kernel.threads == P.default_threads() >= 1
    assert OctopusArmEnv().task._kernel.threads == 1
    try:
        P.set_default_threads(1)
        assert (
            OctopusArmVectorEnv(2).task._kernel.threads == 1
            and OctopusArmVectorEnv(2, threads=3).task._kernel.threads == 3
        )
        with pytest.raises(ValueError, match="threads"):
            P.set_default_threads(0)
    finally:
        P.set_default_threads(None)
    assert OctopusArmVectorEnv(2).task._kernel.threads == P.default_threads()
