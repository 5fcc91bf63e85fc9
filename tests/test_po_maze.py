"""The partially observable maze: classic models against rows of Cassandra's files, the Bayes
filter against brute force, the .POMDP reader/writer, the environment and the BeliefState wrapper."""

import itertools

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from rl_envs.maze.classic_pomdps import CLASSIC, cheese, four_by_three, hallway, hallway2, wall_sensor_probabilities
from rl_envs.maze.po_maze import PartiallyObservableMazeEnv
from rl_envs.maze.pomdp import POMDPModel, belief_update
from rl_envs.maze.pomdp_format import POMDPFormatError, format_pomdp, parse_pomdp
from rl_envs.wrappers import BeliefState

ID = "rl_envs/PartiallyObservableMaze-v0"


def _row(model, a, s):
    return {int(t): round(float(p), 6) for t, p in enumerate(model.T[a, s]) if p > 0}


# -- classic models: sizes and hand-copied rows of the files -----------------------------------


@pytest.mark.parametrize(
    "name, S, A, Z, goals",
    [
        ("hallway", 60, 5, 21, [56, 57, 58, 59]),
        ("hallway2", 92, 5, 17, [68, 69, 70, 71]),
        ("cheese", 11, 4, 7, [10]),
        ("4x3", 11, 4, 6, [3, 6]),
    ],
)
def test_classic_sizes_goals_and_start(name, S, A, Z, goals):
    m = CLASSIC[name]().model
    assert (m.n_states, m.n_actions, m.n_obs, m.gamma) == (S, A, Z, 0.95)
    assert np.flatnonzero(m.reset_states()).tolist() == goals
    expected_b0 = np.where(np.isin(np.arange(S), goals), 0.0, 1.0 / (S - len(goals)))
    np.testing.assert_allclose(m.b0, expected_b0, rtol=0, atol=1e-15)


def test_hallway_rows_match_the_file():
    m = hallway().model
    # Forward from cell 2 facing N (wall ahead): side slips 0.05, back slips 0.025 + 0.025.
    assert _row(m, 1, 8) == {13: 0.05, 44: 0.025, 46: 0.025, 7: 0.05, 8: 0.85}
    # Cell 8 facing E: the goal (cell 14) is a side cell to the right, entered facing S (58).
    assert _row(m, 1, 33) == {37: 0.8, 58: 0.05, 29: 0.025, 31: 0.025, 33: 0.1}
    assert _row(m, 3, 0) == {0: 0.1, 1: 0.15, 2: 0.6, 3: 0.15}  # turn around
    assert _row(m, 4, 0) == {0: 0.1, 1: 0.1, 2: 0.1, 3: 0.7}  # turn left
    assert _row(m, 0, 17) == {17: 1.0}
    np.testing.assert_allclose(m.T[:, 57], np.broadcast_to(m.b0, (5, 60)))  # goal restarts
    # O row of state 40 (cell 10 facing N: walls front, right, back): file prints six decimals.
    file_row_40 = [
        0.000949,
        0.000049,
        0.008549,
        0.000449,
        0.008549,
        0.000449,
        0.076949,
        0.004049,
        0.008549,
        0.000449,
        0.076949,
        0.004049,
        0.076949,
        0.004049,
        0.692550,
        0.036464,
    ]
    np.testing.assert_allclose(m.O[2, 40, :16], file_row_40, atol=1.5e-5)
    assert m.O[0, 40, 14] == pytest.approx(0.9**3 * 0.95, abs=1e-15)
    for s, o in ((10, 16), (18, 17), (26, 18), (34, 19), (56, 20), (59, 20)):  # landmarks, goal
        assert m.O[1, s, o] == 1.0
    assert m.R[32, 1] == pytest.approx(0.05) and m.R[34, 1] == pytest.approx(0.8)


def test_hallway2_rows_match_the_file():
    m = hallway2().model
    assert _row(m, 1, 0) == {5: 0.05, 24: 0.025, 26: 0.025, 0: 0.9}
    assert _row(m, 1, 24) == {0: 0.8, 40: 0.025, 42: 0.025, 23: 0.05, 24: 0.1}
    assert _row(m, 1, 35) == {16: 0.05, 37: 0.025, 39: 0.025, 50: 0.05, 35: 0.85}
    assert m.b0[0] == pytest.approx(1 / 88)
    goal = np.isin(np.arange(92), [68, 69, 70, 71])
    assert np.all(m.O[:, goal, 16] == 1.0) and m.O[:, ~goal, 16].sum() == 0  # goal observation only at the goal


def test_cheese_matches_pomdp_md():
    m = cheese().model
    # o0={0}, o1={1,3}, o2={2}, o3={4}, o4={5,6,7}, o5={8,9}, o6={G}; deterministic.
    assert m.O[0].argmax(axis=1).tolist() == [0, 1, 2, 1, 3, 4, 4, 4, 5, 5, 6]
    assert np.all(m.O.max(axis=2) == 1.0)
    N, S, E, W = range(4)
    assert _row(m, S, 2) == {6: 1.0} and _row(m, S, 6) == {10: 1.0} and _row(m, W, 0) == {0: 1.0}
    assert _row(m, E, 4) == {4: 1.0} and _row(m, N, 5) == {0: 1.0}
    assert m.R[6, S] == 1.0 and m.R[2, S] == 0.0


def test_4x3_matches_the_file():
    m = four_by_three().model
    n, s, e, w = range(4)
    assert _row(m, n, 0) == {0: 0.9, 1: 0.1}
    assert _row(m, n, 5) == {2: 0.8, 5: 0.1, 6: 0.1}
    assert _row(m, s, 2) == {1: 0.1, 3: 0.1, 5: 0.8}
    assert _row(m, e, 9) == {5: 0.1, 8: 0.1, 10: 0.8}  # the file's irregular row
    assert _row(m, w, 10) == {6: 0.1, 9: 0.8, 10: 0.1}
    assert m.O[0].argmax(axis=1).tolist() == [0, 2, 2, 4, 3, 0, 5, 0, 2, 2, 1]
    np.testing.assert_allclose(
        m.R[:, 0], [-0.04, -0.04, -0.04, 1.0, -0.04, -0.04, -1.0, -0.04, -0.04, -0.04, -0.04], atol=1e-12
    )


def test_wall_sensor_probabilities_hand_worked():
    P = wall_sensor_probabilities(np.array([[True, False, True, False]]), miss=0.1, false_alarm=0.05)
    assert P.sum() == pytest.approx(1.0)
    assert P[0, 0b1010] == pytest.approx(0.9 * 0.95 * 0.9 * 0.95)
    assert P[0, 0b0000] == pytest.approx(0.1 * 0.95 * 0.1 * 0.95)
    assert P[0, 0b1111] == pytest.approx(0.9 * 0.05 * 0.9 * 0.05)


# -- Bayes filter against brute force -----------------------------------------------------------


def _brute_force_belief(model, actions, observations):
    """P(s_t | a_1, o_1, ..., a_t, o_t) by summing over every state sequence."""
    S = model.n_states
    post = np.zeros(S)
    for path in itertools.product(range(S), repeat=len(actions) + 1):
        p = model.b0[path[0]]
        for t, (a, o) in enumerate(zip(actions, observations)):
            p *= model.T[a, path[t], path[t + 1]] * model.O[a, path[t + 1], o]
        post[path[-1]] += p
    return post / post.sum()


def _random_model(rng, S=3, A=2, Z=3):
    T = rng.dirichlet(np.ones(S), size=(A, S))
    O = rng.dirichlet(np.ones(Z), size=(A, S))
    return POMDPModel(T, O, rng.normal(size=(A, S, S, 1)), rng.dirichlet(np.ones(S)), 0.9)


def test_filter_equals_brute_force():
    rng = np.random.default_rng(0)
    model = _random_model(rng)
    actions, observations = [0, 1, 1, 0], [2, 0, 1, 1]
    b = model.b0
    for t, (a, o) in enumerate(zip(actions, observations), start=1):
        b = belief_update(b, a, o, model.T, model.O)
        np.testing.assert_allclose(b, _brute_force_belief(model, actions[:t], observations[:t]), rtol=1e-12)


def test_filter_batch_equals_single_and_rejects_impossible_observations():
    rng = np.random.default_rng(1)
    model = _random_model(rng, S=4)
    B = rng.dirichlet(np.ones(4), size=5)
    a, o = np.array([0, 1, 1, 0, 1]), np.array([2, 0, 1, 1, 2])
    batch = belief_update(B, a, o, model.T, model.O)
    for i in range(5):
        np.testing.assert_allclose(batch[i], belief_update(B[i], a[i], o[i], model.T, model.O), rtol=1e-13)
    c = cheese().model
    with pytest.raises(ValueError, match="probability 0"):
        belief_update(np.eye(11)[0], 0, 6, c.T, c.O)  # N from cell 0 cannot show the goal


# -- .POMDP format ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_export_import_round_trip_is_exact(name):
    m = CLASSIC[name]().model
    m2 = parse_pomdp(format_pomdp(m, comment=f"{name}\nexported by rl_envs"))
    for field in ("T", "O", "reward", "b0", "R"):
        assert np.array_equal(getattr(m, field), getattr(m2, field)), field
    assert (m2.gamma, m2.actions) == (m.gamma, m.actions)


def test_export_picks_the_short_forms_and_stays_exact():
    S = 5
    T = np.stack([np.eye(S), np.full((S, S), 1.0 / S)])  # "a0 identity"; a1: uniform rows
    T[1, 0] = [0.1, 0.2, 0.3, 0.25, 0.15]  # a dense row
    O = np.tile(
        [[0.75, 0.25, 0, 0], [0, 0, 1.0, 0], [1.0, 0, 0, 0], [0.25] * 4, [0.125, 0.5, 0.25, 0.125]], (2, 1, 1)
    )  # the same for both actions
    b0 = np.array([0.0, 0.25, 0.25, 0.25, 0.25])
    m = POMDPModel(T, O, np.zeros((2, S, S, 1)), b0, 0.9)
    text = format_pomdp(m)
    lines = text.splitlines()
    assert "T: 0 identity" in lines and "T: 1 : 1 uniform" in lines
    assert "T: 1 : 0" in lines and "0.1 0.2 0.3 0.25 0.15" in lines  # dense row on its own line
    assert "O: * : 1 : 2 1.0" in lines and "O: * : 3 uniform" in lines  # one block for both actions
    assert "start exclude: 0" in lines
    m2 = parse_pomdp(text)
    for field in ("T", "O", "b0"):
        assert np.array_equal(getattr(m, field), getattr(m2, field)), field
    assert len(format_pomdp(hallway().model)) < 70_000  # one line per nonzero entry took 241 KB


def test_export_of_a_fully_observed_model_and_names_that_cannot_be_written():
    S = 3
    eye = np.tile(np.eye(S), (2, 1, 1))
    m = POMDPModel(eye, eye, np.zeros((2, S, S, 1)), np.full(S, 1 / S), 0.9)
    text = format_pomdp(m)
    assert "T: * identity" in text and "O: * identity" not in text  # the reader allows identity for T only
    assert np.array_equal(parse_pomdp(text).O, m.O)
    for names in [("uniform", "b", "c"), ("1", "0", "2"), ("a b", "c", "d"), ("*", "x", "y"), ("x", "y:z", "w")]:
        with pytest.raises(ValueError, match="cannot be written"):
            format_pomdp(POMDPModel(eye, eye, m.reward, m.b0, 0.9, names))


TIGER_LIKE = """# wildcards, rows, matrices, keywords, overrides, costs
discount: 0.75
values: cost
states: left right
actions: listen open
observations: hl hr
start include: right
T: listen identity
T: open uniform
T: listen : right : right 0.3   # overridden below
T: listen : right
0 1
O: listen
0.85 0.15
0.15 0.85
O: open : * uniform
O: listen : right : hr 0.8
O: listen : right : hl 0.2
R: * : * : * : * 1
R: open : left
-10 -10
-20 -20
R: open : left : right : hr 5
"""


def test_parse_every_form():
    m = parse_pomdp(TIGER_LIKE)
    assert m.states == ("left", "right") and m.gamma == 0.75
    np.testing.assert_array_equal(m.b0, [0.0, 1.0])
    np.testing.assert_array_equal(m.T[0], np.eye(2))
    np.testing.assert_array_equal(m.T[1], np.full((2, 2), 0.5))
    np.testing.assert_array_equal(m.O[0], [[0.85, 0.15], [0.2, 0.8]])
    np.testing.assert_array_equal(m.O[1], np.full((2, 2), 0.5))
    # costs are negated rewards; R(s, a) = sum T O reward
    assert m.reward.shape == (2, 2, 2, 2)
    assert m.reward[1, 0, 1, 1] == -5.0 and m.reward[1, 0, 0, 0] == 10.0 and m.reward[0, 1, 0, 0] == -1.0
    assert m.R[0, 1] == pytest.approx(0.5 * 10 + 0.5 * (0.5 * 20 + 0.5 * -5))


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("discount: 0.9\nstates: 2\nactions: 1\nobservations: 1\nT: 0 : 0 : 5 1.0\n", 5, "unknown state"),
        ("discount: 0.9\nstates: 2\nactions: 1\nobservations: 1\nT: 0\n1 0\n0 x\n", 7, "expected a number"),
        ("discount: 0.9\nstates: 2\nactions: 1\nobservations: 1\nQ: 0 : 0 1\n", 5, "expected 'T:'"),
        ("discount: 0.9\nvalues: utility\n", 2, "values must be"),
        ("discount: 0.9\nstates: 2\nactions: 1\n\nT: 0 identity\n", 5, "lacks 'observations:'"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(POMDPFormatError, match=rf"line {line}: .*{message}"):
        parse_pomdp(text)


def test_rows_that_do_not_sum_to_one_are_rejected():
    with pytest.raises(POMDPFormatError, match="T rows must sum to 1"):
        parse_pomdp(
            "discount: 0.9\nstates: 2\nactions: 1\nobservations: 1\nT: 0 : 0 : 0 0.5\nT: 0 : 1 : 1 1\nO: * uniform\n"
        )


def test_imported_model_becomes_an_environment():
    env = gym.make(ID, layout=parse_pomdp(format_pomdp(cheese().model)))
    obs, _ = env.reset(seed=0)
    assert obs == 7 and env.observation_space.n == 8
    assert np.flatnonzero(env.unwrapped.goal_states).tolist() == [10]


# -- environment ----------------------------------------------------------------------------------


def test_reset_gives_no_observation_and_hidden_state_in_info():
    env = gym.make(ID, layout="hallway2")
    obs, info = env.reset(seed=3)
    assert obs == 17 == env.unwrapped.no_observation
    assert 0 <= info["state"] < 68


def test_terminate_and_reset_goal_modes_on_cheese():
    S = 1
    for mode in ("terminate", "reset"):
        env = PartiallyObservableMazeEnv("cheese", goal_mode=mode)
        for seed in range(50):  # find a start in cell 6, just above the goal
            _, info = env.reset(seed=seed)
            if info["state"] == 6:
                break
        obs, r, terminated, truncated, info = env.step(S)
        assert (obs, r, info["state"]) == (6, 1.0, 10)
        assert terminated is (mode == "terminate") and truncated is False
        if mode == "reset":
            obs, r, terminated, _, info = env.step(0)
            assert info["state"] != 10 and r == 0.0 and not terminated


def test_4x3_terminate_pays_the_goal_reward_on_entry():
    env = PartiallyObservableMazeEnv("4x3")
    m = env.episode_model
    assert m.R[2, 2] == pytest.approx(-0.04 + 0.8 * 1.0)  # e from state 2 enters +1 with 0.8
    assert np.all(m.R[[3, 6]] == 0.0)


def test_state_puts_the_agent_in_a_hidden_state_before_any_observation():
    env = PartiallyObservableMazeEnv("cheese", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(0)
    env.state = 6  # just above the goal
    assert env.state["hidden"] == 6 and env.state["obs"] == env.no_observation
    np.testing.assert_array_equal(env.belief, env.episode_model.b0)  # nothing observed yet
    _, r, terminated, _, info = env.step(1)  # S
    assert (info["state"], r, terminated) == (10, 1.0, True)
    with pytest.raises(ValueError, match="state"):
        env.state = 11
    unrendered = PartiallyObservableMazeEnv("cheese")
    unrendered.reset(seed=0)
    assert unrendered.belief is None and "belief" not in unrendered.state  # tracked only when drawn


def test_truncation_at_251_steps():
    env = gym.make(ID, layout="hallway")
    env.reset(seed=0)
    for t in range(1, 252):
        _, _, terminated, truncated, _ = env.step(0)  # stay: never reaches the goal from a non-goal state
        assert not terminated and truncated == (t == 251)


def test_grid_layout_with_wall_sensor():
    env = PartiallyObservableMazeEnv("book3x3", sensor_noise=0.0, start="layout")
    assert env.observation_space.n == 18
    obs, info = env.reset(seed=0)
    assert info["state"] == 0
    obs, *_ = env.step(1)  # right from S0 to S1: walls up and down in the book's maze
    assert obs == 0b1010


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"goal_mode": "stop"}, "goal_mode"),
        ({"max_steps": 0}, "max_steps"),
        ({"layout": "hallway", "slip": 0.1}, "only apply to GridMaze"),
        ({"layout": "book3x3", "sensor_noise": (0.1, 1.5)}, "probability"),
        ({"layout": "book3x3", "start": "anywhere"}, "start must be"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PartiallyObservableMazeEnv(**kwargs)


def test_mdp_upper_bounds_match_pomdp_md():
    for layout, bound in (("hallway", 0.644), ("hallway2", 0.576), ("cheese", 0.865)):
        assert PartiallyObservableMazeEnv(layout).mdp_upper_bound() == pytest.approx(bound, abs=1e-3)
    assert PartiallyObservableMazeEnv("4x3", goal_mode="reset").mdp_upper_bound() == pytest.approx(2.481, abs=1e-3)


def test_belief_state_wrapper_follows_the_filter():
    env = BeliefState(gym.make(ID, layout="hallway"))
    b, _ = env.reset(seed=0)
    model = env.unwrapped.episode_model
    np.testing.assert_allclose(b, model.b0, rtol=1e-6)
    raw = PartiallyObservableMazeEnv("hallway")
    raw.reset(seed=0)
    expected = model.b0
    for a in (1, 2, 1, 1, 4):
        o, *_ = raw.step(a)
        b, *_ = env.step(a)
        expected = belief_update(expected, a, o, model.T, model.O)
        assert b.dtype == np.float32 and b in env.observation_space
        np.testing.assert_allclose(b, expected, rtol=1e-5)


def test_belief_state_passes_sb3_checker():
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    sb3_checker.check_env(BeliefState(gym.make(ID, layout="cheese")), warn=True)


def test_rendering_shows_the_belief():
    env = PartiallyObservableMazeEnv("hallway", render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    env.step(1)
    env.step(1)
    after = env.render()
    assert before.shape == after.shape and not np.array_equal(before, after)


# -- the native vector env --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"layout": "hallway", "max_steps": 15},
        {"layout": "4x3", "goal_mode": "reset", "max_steps": 30},
        {"layout": "maze10x10", "slip": 0.2, "start": "layout", "max_steps": 25},
    ],
    ids=["hallway", "4x3-reset", "maze10x10-slip"],
)
def test_vector_env_with_one_agent_reproduces_the_single_env(kw):
    venv = gym.make_vec(ID, num_envs=1, vectorization_mode="vector_entry_point", render_mode="rgb_array", **kw)
    env = gym.make(ID, render_mode="rgb_array", **kw).unwrapped
    vobs, vinfo = venv.reset(seed=5)
    obs, info = env.reset(seed=5)
    assert vobs.tolist() == [obs] and vinfo["state"].tolist() == [info["state"]] and vinfo["_state"].all()
    actions = np.random.default_rng(6).integers(env.action_space.n, size=120)
    needs_reset, ends = False, 0
    for a in actions:
        vobs, vr, vterm, vtrunc, vinfo = venv.step(np.array([a]))
        if needs_reset:
            obs, info = env.reset()
            expected, needs_reset = (obs, 0.0, False, False), False
        else:
            obs, r, term, trunc, info = env.step(int(a))
            expected, needs_reset = (obs, r, term, trunc), term or trunc
            ends += needs_reset
        assert (int(vobs[0]), float(vr[0]), bool(vterm[0]), bool(vtrunc[0])) == expected
        assert int(vinfo["state"][0]) == info["state"]
        assert np.array_equal(venv.render()[0], env.render())  # the same belief heat map
    assert ends >= 3


def test_vector_env_samples_every_agent_from_the_model():
    n = 4000
    venv = gym.make_vec(ID, num_envs=n, vectorization_mode="vector_entry_point", layout="cheese")
    _, info = venv.reset(seed=0)
    s = info["state"]
    obs, *_, info = venv.step(np.zeros(n, dtype=np.int64))  # everyone moves north
    model = venv.unwrapped.episode_model
    s2 = info["state"]
    expected = np.einsum("ns,st->t", np.eye(model.n_states)[s], model.T[0]) / n
    assert np.abs(np.bincount(s2, minlength=model.n_states) / n - expected).max() < 0.03
    assert all(model.O[0, t, o] > 0 for t, o in zip(s2, obs))  # every observation possible where it was made


def test_vector_env_rejects_bad_input():
    venv = gym.make_vec(ID, num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(gym.error.ResetNeeded):
        venv.step(np.zeros(2, dtype=np.int64))
    venv.reset(seed=0)
    for bad in (np.zeros(3, dtype=np.int64), np.array([0, 5]), np.array([0.0, 1.0])):
        with pytest.raises(ValueError):
            venv.step(bad)
    with pytest.raises(ValueError, match="num_envs"):
        gym.make_vec(ID, num_envs=0, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="goal_mode"):
        gym.make_vec(ID, num_envs=2, vectorization_mode="vector_entry_point", goal_mode="stay")


@pytest.mark.parametrize(
    "layout, key_names, actions",
    [
        ("cheese", ["UP", "RIGHT"], [0, 2]),  # N S E W
        ("hallway", ["SPACE", "UP", "LEFT"], [0, 1, 4]),  # stay forward turn_right turn_around turn_left
        ("maze10x10", ["DOWN", "LEFT"], [2, 3]),  # up right down left
    ],
)
def test_keyboard_play_maps_keys_by_action_name(monkeypatch, layout, key_names, actions):
    pygame = pytest.importorskip("pygame")
    from gymnasium.utils.play import play

    script = []
    for name in key_names:
        key = getattr(pygame, f"K_{name}")
        script += [[pygame.event.Event(pygame.KEYDOWN, key=key)], [pygame.event.Event(pygame.KEYUP, key=key)]]
    frames = iter(script + [[pygame.event.Event(pygame.QUIT)]])
    monkeypatch.setattr(pygame.event, "get", lambda *a, **k: next(frames, [pygame.event.Event(pygame.QUIT)]))
    seen = []
    play(
        gym.make(ID, layout=layout, render_mode="rgb_array"),
        wait_on_player=True,
        fps=1000,
        callback=lambda o0, o1, a, *rest: seen.append(a),
    )
    assert seen == actions


def test_keyboard_play_falls_back_to_digit_keys():
    pygame = pytest.importorskip("pygame")
    eye = np.tile(np.eye(3), (2, 1, 1))
    model = POMDPModel(eye, eye, np.zeros((2, 3, 3, 1)), np.full(3, 1 / 3), 0.9)  # actions named "0", "1"
    keys = gym.make(ID, layout=model).unwrapped.get_keys_to_action()
    assert keys == {(pygame.K_1,): 0, (pygame.K_2,): 1}
