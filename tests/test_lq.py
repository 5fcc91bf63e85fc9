import math

import numpy as np
import gymnasium as gym
import pytest

from rl_envs.lq import LQControlEnv, LQModel, lq_step, riccati_recursion, zoh_discretize


@pytest.mark.parametrize("system", ["double_integrator", "datacenter"])
def test_optimal_gain_equals_riccati_recursion_iterated_to_convergence(system):
    env = LQControlEnv(system)
    K_iter, _ = riccati_recursion(env.model, horizon=3000)
    np.testing.assert_allclose(env.optimal_gain(), K_iter[0], rtol=1e-9, atol=1e-12)


def test_optimal_gains_match_the_published_dare_solutions():
    # Recht's (2018) systems' DARE solutions, computed independently with scipy, 4 digits (docs/references.md)
    np.testing.assert_allclose(LQControlEnv().optimal_gain(), [[0.4805, 1.2496]], atol=5e-5)
    K = LQControlEnv("datacenter").optimal_gain()
    np.testing.assert_allclose(np.diag(K), [0.0437, 0.0450, 0.0437], atol=5e-5)
    assert K[0, 1] == pytest.approx(0.0125, abs=5e-5) and K[0, 2] == pytest.approx(0.0013, abs=5e-5)


@pytest.mark.parametrize("system", ["double_integrator", "datacenter"])
def test_default_horizon_makes_the_stationary_gain_near_optimal(system):
    env = LQControlEnv(system)
    cost, best = env.expected_cost(env.optimal_gain()), env.optimal_cost()
    assert best <= cost <= 1.001 * best


def test_optimal_cost_is_a_lower_bound_and_attained_only_near_k_star():
    env = LQControlEnv(max_steps=10)
    best = env.optimal_cost()
    assert env.optimal_return() == -best
    for K in ([[0.1, 0.3]], [[0.6, 1.5]], [[0.48, 1.2]]):
        assert env.expected_cost(K) > best
    assert env.expected_cost([[0.0, 0.0]]) == math.inf  # the double integrator alone is unstable
    assert env.expected_cost([[-0.1, 0.5]]) == math.inf


def _mc_episode_costs(env, K, episodes, seed):
    K = np.asarray(K, dtype=float)
    costs = []
    obs, _ = env.reset(seed=seed)
    for _ in range(episodes):
        total, done = 0.0, False
        while not done:
            obs, r, terminated, truncated, _ = env.step(-K @ obs)
            total -= r
            done = terminated or truncated
        costs.append(total)
        obs, _ = env.reset()
    return np.array(costs)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_steps=10, noise_cov=0.01, x0_cov=0.1),
        dict(dt=0.5, max_steps=12, noise_cov=0.02, x0_cov=[[0.2, 0.05], [0.05, 0.1]]),  # cross term N
    ],
)
def test_expected_cost_matches_simulated_rollouts(kwargs):
    env = LQControlEnv(**kwargs)
    K = [[0.3, 0.8]]
    costs = _mc_episode_costs(env, K, episodes=3000, seed=0)
    se = costs.std(ddof=1) / math.sqrt(len(costs))
    assert abs(costs.mean() - env.expected_cost(K)) < 3.5 * se
    assert se < 0.02 * costs.mean()  # the check is sharp enough to see a wrong term


def test_step_by_hand():
    env = LQControlEnv(noise_cov=0.0)
    obs, _ = env.reset(seed=0)
    assert obs.tolist() == [-1.0, 0.0]
    obs, r, terminated, truncated, _ = env.step(np.array([0.5]))
    assert obs.tolist() == [-1.0, 0.5] and not terminated and not truncated  # x' = A x + B u
    assert r == -(1.0 + 0.25) and type(r) is float
    obs, r, *_ = env.step(np.array([20.0]))  # clipped to u_max = 10
    assert obs.tolist() == [-0.5, 10.5] and r == -(1.0 + 100.0)
    model = LQModel(
        A=np.eye(2), B=np.ones((2, 1)), Q=np.eye(2), R=np.eye(1), N=np.array([[1.0], [0.0]]), W=np.zeros((2, 2))
    )
    x, c = lq_step(model, np.array([1.0, 2.0]), np.array([3.0]), 0.0)
    assert x.tolist() == [4.0, 5.0] and c == 5.0 + 2 * 3.0 + 9.0


def test_state_is_x_and_setting_it_puts_the_system_there():
    env = LQControlEnv(noise_cov=0.0)
    env.reset(seed=0)
    env.state = [2.0, -1.0]
    obs, r, *_ = env.step(np.array([0.5]))
    assert obs.tolist() == [1.0, -0.5] and r == -(4.0 + 0.25)  # A x + B u; x'Qx + u'Ru with Q = diag(1, 0)
    assert env.state.tolist() == [1.0, -0.5]
    with pytest.raises(ValueError, match="state must have shape"):
        env.state = [1.0]


def test_horizon_is_a_deprecated_alias_of_max_steps():
    with pytest.warns(DeprecationWarning, match="'horizon' is deprecated; use 'max_steps'"):
        env = gym.make("rl_envs/LQControl-v0", horizon=3)
    assert env.unwrapped.max_steps == 3
    env.reset(seed=0)
    assert [env.step(np.zeros(1))[3] for _ in range(3)] == [False, False, True]
    with pytest.warns(DeprecationWarning, match="'horizon' is deprecated"):
        assert env.unwrapped.horizon == 3
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="not both"):
        LQControlEnv(horizon=3, max_steps=4)


def test_zoh_discretization_of_the_double_integrator_by_hand():
    # x1(s) = x1 + s x2 + s^2 u / 2, x2(s) = x2 + s u; cost rate x1^2 + u^2
    h = 0.3
    d = zoh_discretize(
        LQModel(
            A=np.array([[0.0, 1.0], [0.0, 0.0]]),
            B=np.array([[0.0], [1.0]]),
            Q=np.diag([1.0, 0.0]),
            R=np.eye(1),
            N=np.zeros((2, 1)),
            W=np.eye(2),
        ),
        h,
    )
    np.testing.assert_allclose(d.A, [[1, h], [0, 1]], atol=1e-14)
    np.testing.assert_allclose(d.B, [[h * h / 2], [h]], atol=1e-14)
    np.testing.assert_allclose(d.Q, [[h, h**2 / 2], [h**2 / 2, h**3 / 3]], atol=1e-14)
    np.testing.assert_allclose(d.N, [[h**3 / 6], [h**4 / 8]], atol=1e-14)
    np.testing.assert_allclose(d.R, [[h + h**5 / 20]], atol=1e-14)
    # white noise of unit intensity on both coordinates: int_0^h e^{As} e^{A's} ds
    np.testing.assert_allclose(d.W, [[h + h**3 / 3, h**2 / 2], [h**2 / 2, h]], atol=1e-14)


def test_continuous_time_gain_and_cost_tend_to_the_continuous_riccati_solution():
    # x'' = u, cost x1^2 + u^2: CARE gives K = [1, sqrt 2], P = [[sqrt 2, 1], [1, sqrt 2]]
    errors = []
    for dt in (0.1, 0.01, 0.001):
        env = LQControlEnv(dt=dt, noise_cov=0.0, max_steps=round(30 / dt))
        np.testing.assert_allclose(env.optimal_gain(), [[1.0, math.sqrt(2)]], rtol=1e-12)
        errors.append(np.abs(env.optimal_gain(discretized=True) - env.optimal_gain()).max())
        if dt == 0.001:
            assert env.optimal_cost() == pytest.approx(math.sqrt(2), rel=1e-3)  # x0' P x0
    assert errors[0] > 5 * errors[1] > 25 * errors[2] and errors[2] < 1e-3  # first order in dt


def test_divergence_terminates_with_a_finite_observation():
    env = LQControlEnv(A=[[2.0]], B=[[1.0]], x0=[1.0], x0_cov=0.0, noise_cov=0.0, max_state_norm=1e3)
    env.reset(seed=0)
    for t in range(1, 100):  # noqa: B007 - the step that terminates, read after the loop
        obs, r, terminated, truncated, _ = env.step(np.array([10.0]))
        assert np.all(np.isfinite(obs)) and math.isfinite(r)
        if terminated:
            break
    assert terminated and not truncated and obs[0] == 1e3 and t == 7  # x_t = 11 * 2^t - 10 first passes 1e3 at t = 7
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.array([0.0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(A=[[1.0, 1.0]], B=[[1.0]]), "square"),
        (dict(A=np.eye(2), B=[[1.0]]), "rows"),
        (dict(A=[[np.nan]], B=[[1.0]]), "finite"),
        (dict(A=np.eye(2), B=[[0.0], [1.0]], Q=[[1.0, 0.0], [1.0, 1.0]]), "symmetric"),
        (dict(A=np.eye(2), B=[[0.0], [1.0]], Q=-np.eye(2)), "semidefinite"),
        (dict(A=np.eye(2), B=[[0.0], [1.0]], R=[[0.0]]), "positive definite"),
        (dict(A=[[2.0, 0.0], [0.0, 0.5]], B=[[0.0], [1.0]]), "stabilizable"),
        (dict(A=[[0.1, 0.0], [0.0, 0.5]], B=[[0.0], [1.0]], dt=0.1), "stabilizable"),  # Re 0.1 > 0
        (dict(system="datacenter", A=np.eye(2), B=np.eye(2)), "not both"),
        (dict(system="pendulum"), "unknown system"),
        (dict(dt=-1.0), "dt"),
        (dict(max_steps=0), "max_steps"),
        (dict(x0=[1.0, 2.0, 3.0]), "x0"),
        (dict(noise_cov=[[1.0, 2.0], [2.0, 1.0]]), "semidefinite"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LQControlEnv(**kwargs)


def test_stable_but_uncontrollable_mode_is_accepted():
    env = LQControlEnv(A=[[2.0, 0.0], [0.0, 0.5]], B=[[1.0], [0.0]])
    assert env.expected_cost(env.optimal_gain()) < math.inf


def test_recht_setting_and_phase_portrait():
    env = gym.make("rl_envs/LQControl-v0", max_steps=10, render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    frames = []
    for _ in range(10):
        obs, *_ = env.step(-env.unwrapped.optimal_gain() @ obs)
        frames.append(env.render())
    assert frames[-1].shape == (520, 480, 3)
    assert not np.array_equal(frames[0], frames[-1])  # the trajectory is drawn as it grows


def test_continuous_riccati_refuses_a_cross_term_it_does_not_solve():
    from rl_envs.lq import care_gain

    model = LQControlEnv(dt=0.1).continuous_model
    assert care_gain(model)[0] == pytest.approx(np.array([[1.0, math.sqrt(2)]]), rel=1e-12)
    with pytest.raises(ValueError, match=r"model\.N must be zero"):
        care_gain(LQModel(model.A, model.B, model.Q, model.R, N=np.ones((2, 1)), W=model.W))


# -- native vector env ---------------------------------------------------------------------------


def _make_pair(**kwargs):
    return gym.make("rl_envs/LQControl-v0", **kwargs), gym.make_vec(
        "rl_envs/LQControl-v0", num_envs=1, vectorization_mode="vector_entry_point", **kwargs
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_steps=3, x0_cov=0.5),
        dict(system="datacenter", dt=0.5, max_steps=4),
        dict(A=[[2.0]], B=[[1.0]], x0=[1.0], max_state_norm=50.0, max_steps=20),
    ],
)
def test_one_vector_copy_reproduces_the_single_env_through_episode_ends(kwargs):
    """Short horizons (and a diverging system) put truncation, termination and the next-step
    restart into the comparison; every value is compared exactly."""
    env, venv = _make_pair(**kwargs)
    obs, _ = env.reset(seed=5)
    vobs, _ = venv.reset(seed=5)
    assert np.array_equal(vobs[0], obs)
    rng, done, ends = np.random.default_rng(0), False, 0
    for _ in range(30):
        u = rng.uniform(-1, 1, env.action_space.shape)  # float64: read at full precision
        vobs, vr, vterm, vtrunc, _ = venv.step(u[None])
        if done:  # next-step autoreset
            (obs, _), r, term, trunc = env.reset(), 0.0, False, False
        else:
            obs, r, term, trunc, _ = env.step(u)
        assert (vr[0], vterm[0], vtrunc[0]) == (r, term, trunc) and np.array_equal(vobs[0], obs)
        done = term or trunc
        ends += done
    assert ends >= 2


def test_vector_env_has_the_single_envs_references_and_its_expected_cost():
    """256 copies under K* average the exact expected episode cost (within 4 standard errors)."""
    env, venv = _make_pair(max_steps=10, x0_cov=0.1)
    venv = gym.make_vec(
        "rl_envs/LQControl-v0", num_envs=256, vectorization_mode="vector_entry_point", max_steps=10, x0_cov=0.1
    )
    ref, vref = env.unwrapped, venv.unwrapped
    K = ref.optimal_gain()
    assert np.array_equal(vref.optimal_gain(), K) and vref.optimal_cost() == ref.optimal_cost()
    assert vref.expected_cost(K) == ref.expected_cost(K)
    x, _ = venv.reset(seed=1)
    total = np.zeros(256)
    for _ in range(10):
        x, r, term, trunc, _ = venv.step(-x @ K.T)
        total -= r
    assert trunc.all() and not term.any()
    assert abs(total.mean() - ref.expected_cost(K)) < 4 * total.std() / 16
    x, r, term, trunc, _ = venv.step(np.zeros((256, 1)))  # the restart: new x_0, reward 0
    assert not (r.any() or term.any() or trunc.any()) and len({tuple(row) for row in x}) == 256
