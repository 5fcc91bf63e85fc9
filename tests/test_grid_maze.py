import math
import pickle

import numpy as np
import gymnasium as gym
import pytest
from gymnasium.error import ResetNeeded

import rl_envs  # noqa: F401
from rl_envs.maze import LAYOUTS, LayoutError, get_layout, maze_model, parse_layout, policy_evaluation, random_maze
from rl_envs.maze.grid_maze import GridMazeEnv

UP, RIGHT, DOWN, LEFT = range(4)
NAN = math.nan
# theta_0 of Ogawa (2018) section 2.3: NaN marks a blocked move.
BOOK_THETA0 = np.array(
    [
        [NAN, 1, 1, NAN],
        [NAN, 1, NAN, 1],
        [NAN, NAN, 1, 1],
        [1, 1, 1, NAN],
        [NAN, NAN, 1, 1],
        [1, NAN, NAN, NAN],
        [1, NAN, NAN, NAN],
        [1, 1, NAN, NAN],
    ]
)
BOOK_DELTA = (-3, +1, +3, -1)


def make(**kw):
    return gym.make("rl_envs/GridMaze-v0", **kw).unwrapped


def step_from(env, s, a):
    env.reset(seed=0)
    env.state = s  # place the agent: the transition table is what is under test
    return env.step(a)


@pytest.mark.parametrize("s", range(8))
@pytest.mark.parametrize("a", range(4))
def test_book3x3_transitions_match_the_book(s, a):
    env = make(layout="book3x3", move_cost=0.25)
    s2, r, terminated, truncated, _ = step_from(env, s, a)
    expected = s if np.isnan(BOOK_THETA0[s, a]) else s + BOOK_DELTA[a]
    assert s2 == expected
    assert terminated == (expected == 8) and not truncated
    assert r == pytest.approx((1.0 if expected == 8 else 0.0) - 0.25)


def test_book3x3_shortest_path_and_optimal_return():
    for goal_reward, move_cost in [(1.0, 0.01), (1.0, 0.0), (2.0, 0.3), (10.0, 1.0)]:
        env = make(layout="book3x3", goal_reward=goal_reward, move_cost=move_cost)
        assert env.shortest_path_length() == 4
        assert env.optimal_return() == pytest.approx(goal_reward - 4 * move_cost, abs=1e-9)


def test_book_path_is_the_optimal_greedy_path():
    env = make(layout="book3x3")
    _, Q = env.optimal_values()
    s, path = 0, [0]
    while s != 8:
        s = int(env.layout.next_cell[s, int(np.argmax(Q[s]))])
        path.append(s)
    assert path == [0, 3, 4, 7, 8]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_value_iteration_agrees_with_breadth_first_search(name):
    env = make(layout=name, move_cost=0.02)
    d = env.shortest_path_length()
    assert env.optimal_return() == pytest.approx(1.0 - 0.02 * d, abs=1e-9)
    assert env.optimal_return(gamma=0.9) == pytest.approx(
        sum(-0.02 * 0.9**k for k in range(d)) + 0.9 ** (d - 1), abs=1e-9
    )


def test_policy_evaluation_by_hand():
    # Corridor S G: the uniform policy enters G with probability 1/4 per step:
    # V = -c + 1/4 * 1 + 3/4 * V  =>  V = 1 - 4c.
    env = make(layout="SG", move_cost=0.1)
    V = policy_evaluation(env.model, np.full((2, 4), 0.25))
    assert V[0] == pytest.approx(1 - 4 * 0.1)
    assert V[1] == 0.0


def test_slip_statistics_match_the_model():
    env = make(layout="...\n.S.\n..G", slip=0.3, move_cost=0.0)
    counts = np.zeros(9)
    n = 20_000
    env.reset(seed=42)
    for _ in range(n):
        env.reset()
        s2, *_ = env.step(RIGHT)
        counts[s2] += 1
    p = env.model.P[4, RIGHT]
    assert p[5] == pytest.approx(0.7) and p[1] == pytest.approx(0.15) and p[7] == pytest.approx(0.15)
    se = np.sqrt(p * (1 - p) / n)
    # 4 standard errors: a false alarm about once in 15,000 runs per cell.
    assert np.all(np.abs(counts / n - p) <= 4 * se + 1e-12)


def test_model_rows_are_distributions_and_goal_absorbs():
    for name in LAYOUTS:
        m = make(layout=name, slip=0.2).model
        assert np.allclose(m.P.sum(axis=2), 1.0)
        g = get_layout(name).goal_mask
        assert np.all(m.R[g] == 0) and np.all(m.terminal[g])


def test_truncation_and_step_after_end():
    env = make(layout="book3x3", max_steps=3)
    env.reset(seed=0)
    assert env.step(UP)[3] is False
    assert env.step(UP)[3] is False
    _, _, terminated, truncated, _ = env.step(UP)
    assert truncated is True and terminated is False
    with pytest.raises(ResetNeeded):
        env.step(UP)
    env = make(layout="book3x3", max_steps=4)  # the goal on the last allowed step terminates
    env.reset()
    for a in (DOWN, RIGHT, DOWN):
        env.step(a)
    assert env.step(RIGHT)[2:4] == (True, False)
    with pytest.raises(ResetNeeded):
        env.step(UP)


def test_step_before_reset_raises():
    with pytest.raises(ResetNeeded):
        GridMazeEnv().step(0)


def test_default_time_limit_scales_with_the_maze():
    assert make(layout="book3x3").max_steps == 25 * 9
    assert make(layout="maze10x10").max_steps == 25 * 100


def test_random_mazes_are_perfect_solvable_and_reproducible():
    for seed in range(30):
        h, w = 2 + seed % 9, 3 + seed % 7
        lay = random_maze(h, w, np.random.default_rng(seed))
        assert np.all(lay.distances_from_start() >= 0)  # every cell reachable, goal included
        # A perfect maze is a spanning tree: exactly n_cells - 1 open passages.
        open_passages = (~lay.walls[:, :, 1]).sum() + (~lay.walls[:, :, 2]).sum()
        assert open_passages == h * w - 1
        again = random_maze(h, w, np.random.default_rng(seed))
        assert np.array_equal(lay.walls, again.walls)


def test_random_layout_seeding():
    fixed_a = make(layout="random", size=(7, 9), maze_seed=3)
    fixed_b = make(layout="random", size=(7, 9), maze_seed=3)
    assert np.array_equal(fixed_a.layout.walls, fixed_b.layout.walls)
    fixed_a.reset(seed=1)
    fixed_a.reset(seed=2)
    assert np.array_equal(fixed_a.layout.walls, fixed_b.layout.walls)  # a fixed maze stays fixed

    fresh = make(layout="random", size=8)
    fresh.reset(seed=11)
    first = fresh.layout.walls.copy()
    fresh.reset(seed=12)
    assert not np.array_equal(first, fresh.layout.walls)  # a new maze each reset ...
    fresh.reset(seed=11)
    assert np.array_equal(first, fresh.layout.walls)  # ... reproducible from the reset seed
    assert fresh.optimal_return() == pytest.approx(1.0 - 0.01 * fresh.shortest_path_length())


def test_an_unseeded_reset_draws_a_new_random_maze_from_the_seeded_stream():
    fresh, twin = make(layout="random", size=6), make(layout="random", size=6)
    fresh.reset(seed=3)
    twin.reset(seed=3)
    first = fresh.layout.walls.copy()
    with pytest.raises(ValueError, match="bogus"):
        fresh.reset(options={"bogus": 1})  # refused before it draws
    fresh.reset()
    twin.reset()
    assert not np.array_equal(first, fresh.layout.walls)  # a new maze at every reset ...
    assert np.array_equal(fresh.layout.walls, twin.layout.walls)  # ... drawn from np_random


def test_state_places_the_agent_on_a_cell_it_can_occupy():
    env = make(layout="dyna_maze")
    with pytest.raises(ResetNeeded):
        env.state = 0
    env.reset(seed=0)
    env.state = 1
    assert env.state == 1 and env.step(RIGHT)[0] == 2
    blocked = int(np.flatnonzero(env.layout.blocked)[0])
    for bad in (blocked, env.layout.n_cells, -1, 1.5):
        with pytest.raises(ValueError, match="state"):
            env.state = bad


def test_frozen_maze10x10_is_the_generators_output():
    assert np.array_equal(get_layout("maze10x10").walls, random_maze(10, 10, np.random.default_rng(2018)).walls)


@pytest.mark.parametrize("name, hitting_time, shortest", [("maze10x10", 9360.0, 56), ("rooms10x10", 866.2, 18)])
def test_random_walk_hitting_times_quoted_for_the_10x10_layouts(name, hitting_time, shortest):
    layout = get_layout(name)
    model = maze_model(layout, goal_reward=0.0, move_cost=1.0, slip=0.0)  # V = -(expected steps to the goal)
    steps = -policy_evaluation(model, np.full((model.n_states, 4), 0.25))[layout.start_index]
    assert steps == pytest.approx(hitting_time, abs=0.05)
    assert layout.distances_from_start()[layout.index(layout.goals[0])] == shortest


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_text_round_trips(name):
    lay = get_layout(name)
    again = parse_layout(lay.to_text())
    assert np.array_equal(lay.walls, again.walls) and np.array_equal(lay.blocked, again.blocked)
    assert lay.start == again.start and lay.goals == again.goals


@pytest.mark.parametrize(
    "text, message",
    [
        ("...\n...\n..G", "no start"),
        ("S..\n...\n...", "no goal"),
        ("S.#\n.##\n#.G", "no goal is reachable"),
        ("S..\n....\n..G", "line 2: ragged row"),
        ("S..\n.x.\n..G", "line 2, column 2: unknown cell character 'x'"),
        ("S..\n.S.\n..G", "line 2, column 2: a second start"),
        ("+-+-+\n|S|G|\n+-+-+", "no goal is reachable"),
        ("+-+-+\n|S*G|\n+-+-+", "line 2, column 3: unknown wall character '*'"),
        ("+-+-+\n|S G|\n+-+", "ragged row"),
        ("+-+-+-\n|S G |\n+-+-+-", "odd number of lines and columns"),
    ],
)
def test_malformed_layouts_are_rejected_with_their_position(text, message):
    with pytest.raises(LayoutError, match=message):
        parse_layout(text)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"layout": "nope"}, "unknown layout 'nope'"),
        ({"layout": "random"}, "needs size"),
        ({"layout": "book3x3", "size": 5}, "size is only used"),
        ({"slip": 1.5}, "slip must be a probability"),
        ({"move_cost": float("nan")}, "move_cost must be finite"),
        ({"goal_reward": "big"}, "goal_reward must be a real number"),
        ({"max_steps": 0}, "max_steps must be a positive int"),
        ({"layout": "random", "size": 4, "maze_seed": -1}, "maze_seed"),
        ({"render_mode": "video"}, "render_mode must be one of"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GridMazeEnv(**kwargs)


def test_ansi_shows_the_agent():
    env = make(layout="book3x3", render_mode="ansi")
    env.reset(seed=0)
    env.step(DOWN)
    lines = env.render().splitlines()
    assert lines[3][1] == "@" and lines[1][1] == "S"


def test_rgb_frame_shows_the_agent_where_it_is():
    env = make(layout="book3x3", render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    env.step(DOWN)
    after = env.render()
    cs = env.task._cell_px()
    m = cs // 2
    red = np.array([200, 40, 40])

    def centre(r, c):
        return m + r * cs + cs // 2, m + c * cs + cs // 2

    assert np.array_equal(before[centre(0, 0)], red) and np.array_equal(after[centre(1, 0)], red)
    assert not np.array_equal(after[centre(0, 0)], red)


def test_keyboard_play_with_arrow_keys(monkeypatch):
    pygame = pytest.importorskip("pygame")
    from gymnasium.utils.play import play

    script = [
        [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_DOWN)],
        [pygame.event.Event(pygame.KEYUP, key=pygame.K_DOWN)],
        [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT)],
        [pygame.event.Event(pygame.KEYUP, key=pygame.K_RIGHT)],
        [pygame.event.Event(pygame.QUIT)],
    ]
    frames = iter(script)
    monkeypatch.setattr(pygame.event, "get", lambda *a, **k: next(frames, [pygame.event.Event(pygame.QUIT)]))
    seen = []
    env = gym.make("rl_envs/GridMaze-v0", render_mode="rgb_array")
    # gymnasium's play() hands the first callback the (obs, info) pair of reset(); unwrap it.
    play(
        env,
        wait_on_player=True,
        fps=1000,
        callback=lambda o0, o1, a, *rest: seen.append((o0[0] if isinstance(o0, tuple) else o0, a, o1)),
    )
    assert seen == [(0, DOWN, 3), (3, RIGHT, 4)]


def test_maze_model_matches_stepping_everywhere():
    env = make(layout="four_rooms", slip=0.0, move_cost=0.1, goal_reward=3.0)
    m = maze_model(env.layout, 3.0, 0.1, 0.0)
    reachable = ~m.terminal
    for s in np.flatnonzero(reachable):
        for a in range(4):
            s2, r, *_ = step_from(env, int(s), a)
            assert m.P[s, a, s2] == 1.0
            assert m.R[s, a] == pytest.approx(r)


# -- the native vector env --------------------------------------------------------------------


def make_vec(num_envs, **kw):
    return gym.make_vec("rl_envs/GridMaze-v0", num_envs=num_envs, vectorization_mode="vector_entry_point", **kw)


def test_make_vec_gives_the_native_vector_env_with_the_exact_references():
    venv = gym.make_vec("rl_envs/GridMaze-v0", num_envs=3, layout="maze10x10")
    assert type(venv).__name__ == "GridMazeVectorEnv"
    single = make(layout="maze10x10")
    assert venv.unwrapped.optimal_return() == single.optimal_return()
    assert np.array_equal(venv.unwrapped.model.P, single.model.P)


def test_vector_env_with_slip_reproduces_the_single_env_bit_for_bit():
    kw = dict(layout="maze10x10", slip=0.3, max_steps=40)  # truncations and autoresets within the run
    venv, env = make_vec(1, **kw), make(**kw)
    assert venv.reset(seed=11)[0].tolist() == [env.reset(seed=11)[0]]
    actions = np.random.default_rng(0).integers(4, size=500)
    needs_reset, ends = False, 0
    for a in actions:
        obs, r, term, trunc, _ = venv.step(np.array([a]))
        if needs_reset:
            expected = (env.reset()[0], 0.0, False, False)
            needs_reset = False
        else:
            expected = env.step(int(a))[:4]
            needs_reset = expected[2] or expected[3]
            ends += needs_reset
        assert (int(obs[0]), float(r[0]), bool(term[0]), bool(trunc[0])) == expected
    assert ends >= 5


def test_vector_env_agents_are_independent_single_envs():
    n, kw = 5, dict(layout="dyna_maze", max_steps=30)
    venv, envs = make_vec(n, **kw), [make(**kw) for _ in range(n)]
    venv.reset(seed=0)
    for env in envs:
        env.reset(seed=0)
    pending = [False] * n
    actions = np.random.default_rng(1).integers(4, size=(300, n))
    for a in actions:
        obs, r, term, trunc, _ = venv.step(a)
        for i, env in enumerate(envs):
            if pending[i]:  # next-step autoreset: this agent's action is ignored
                expected, pending[i] = (env.reset()[0], 0.0, False, False), False
            else:
                expected = env.step(int(a[i]))[:4]
                pending[i] = expected[2] or expected[3]
            assert (int(obs[i]), float(r[i]), bool(term[i]), bool(trunc[i])) == expected
    assert obs.dtype == np.int64 and r.dtype == np.float64


@pytest.mark.parametrize(
    "actions, message",
    [
        (np.array([0, 1]), "shape"),
        (np.array([0.0, 1.0, 2.0]), "int"),
        (np.array([0, 4, 1]), r"\[0, 4\)"),
        (np.array([-1, 0, 0]), r"\[0, 4\)"),
        ([0, None, 1], "int"),
    ],
)
def test_vector_env_rejects_bad_actions(actions, message):
    venv = make_vec(3)
    venv.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        venv.step(actions)


def test_vector_env_arguments_are_checked():
    with pytest.raises(ResetNeeded):
        make_vec(2).step(np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="maze_seed"):
        make_vec(2, layout="random", size=5)
    assert (
        make_vec(2, layout="random", size=5, maze_seed=4).unwrapped.layout.to_text()
        == make(layout="random", size=5, maze_seed=4).layout.to_text()
    )
    with pytest.raises(ValueError, match="num_envs"):
        make_vec(0)
    with pytest.raises(ValueError, match="render_mode"):
        make_vec(2, render_mode="human")
    with pytest.raises(ValueError, match="slip"):
        make_vec(2, slip=1.5)


def test_vector_env_renders_one_frame_per_agent_and_pickles():
    venv = make_vec(2, layout="book3x3", render_mode="rgb_array")
    venv.reset(seed=0)
    single = make(layout="book3x3", render_mode="rgb_array")
    single.reset(seed=0)
    frames = venv.render()
    assert len(frames) == 2 and np.array_equal(frames[0], single.render()) and np.array_equal(frames[0], frames[1])
    venv.step(np.array([RIGHT, DOWN]))
    moved = venv.render()
    assert not np.array_equal(moved[0], moved[1])
    twin = pickle.loads(pickle.dumps(venv))
    a = np.array([LEFT, UP])
    assert all(np.array_equal(x, y) for x, y in zip(twin.step(a)[:4], venv.step(a)[:4]))
    venv.close()
    venv.close()
