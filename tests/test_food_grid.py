"""The four-room food grid (rl_envs/FoodGrid-v0): the arena, the energy rule, admissible moves,
the noisy-TV room and the model against the environment's own steps, the visit counts, the
reference record, and the conformance checker on short-lived variants."""

import numpy as np
import gymnasium as gym
import pytest

import rl_envs
from rl_envs.food_grid import (
    ACTION_NAMES,
    ADMISSIBLE,
    FREE,
    MOVES,
    N_FREE,
    SIZE,
    STAY,
    FoodGridTask,
    FoodGridVectorEnv,
    cell_index,
)

ACTION = {name: a for a, name in enumerate(ACTION_NAMES)}


def step_from(task, x, y, u, action):
    """One step of the task from ``(x, y, u)``: the next ``(x, y, u)``, reward, terminated, info."""
    s = np.array([task.encode(x, y, u)])
    state, reward, terminated, info = task.transition(
        {"s": s, "visits": task._visits_from(s)}, np.array([action]), task.sample_noise(np.random.default_rng(0), 1)
    )
    return task.decode(int(state["s"][0])), float(reward[0]), bool(terminated[0]), info


def test_the_arena_is_the_papers_four_rooms():
    walls = {(x, y) for x in range(1, SIZE + 1) for y in range(1, SIZE + 1) if not FREE[cell_index(x, y)]}
    assert len(walls) == 17 and N_FREE == 104  # the crossing (6, 6) once
    assert {(6, y) for y in (1, 2, 4, 5, 6, 7, 8, 10, 11)} | {(x, 6) for x in (1, 2, 4, 5, 7, 8, 10, 11)} == walls
    assert all(FREE[cell_index(*door)] for door in ((3, 6), (9, 6), (6, 3), (6, 9)))


def test_admissible_moves_stay_inside_the_arena_and_off_the_walls():
    task = FoodGridTask()
    mask = lambda x, y, u=50: task.action_mask(np.array([task.encode(x, y, u)]))[0]  # noqa: E731
    assert [ACTION_NAMES[a] for a in np.flatnonzero(mask(1, 1))] == ["stay", "right", "up-right", "up"]
    # beside the wall column x = 6, the doorway (6, 3) is the only way right
    assert [ACTION_NAMES[a] for a in np.flatnonzero(mask(5, 3))] == [
        "stay",
        "right",
        "up",
        "up-left",
        "left",
        "down-left",
        "down",
    ]
    assert mask(3, 3).all() and mask(5, 3).dtype == np.int8
    assert mask(3, 3, u=1).tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0]  # the dead only stay


def test_the_energy_rule_counts_the_cell_the_agent_leaves():
    task = FoodGridTask(food_gain=10, energy_cap=100)
    assert step_from(task, 1, 1, 2, ACTION["stay"])[:3] == ((1, 1, 11), 1.0, False)  # eats: 2 + 10 - 1
    assert step_from(task, 1, 1, 40, ACTION["up-right"])[0] == (2, 2, 49)  # eats while leaving
    assert step_from(task, 2, 2, 40, ACTION["down-left"])[0] == (1, 1, 39)  # arriving is not eating
    assert step_from(task, 1, 1, 95, ACTION["stay"])[0] == (1, 1, 100)  # the cap
    assert step_from(task, 3, 3, 2, ACTION["up"])[:3] == ((3, 4, 1), 1.0, True)  # the last step alive pays 1
    assert step_from(task, 3, 3, 1, ACTION["up"])[:3] == ((3, 3, 1), 0.0, True)  # death is absorbing
    assert step_from(task, 1, 1, 1, ACTION["stay"])[0] == (1, 1, 1)  # even on food


def test_an_inadmissible_action_is_carried_out_as_stay():
    task = FoodGridTask()
    for x, y, a in ((1, 1, ACTION["left"]), (5, 3, ACTION["up-right"]), (11, 11, ACTION["up"])):
        assert not ADMISSIBLE[cell_index(x, y), a]
        assert step_from(task, x, y, 50, a)[:3] == step_from(task, x, y, 50, STAY)[:3]


def test_the_environment_steps_as_its_model_says():
    """Every state and action of the deterministic grid at once: the batched step and the model agree."""
    task = FoodGridTask(food_gain=3, energy_cap=7)
    model = task.model
    s = np.repeat(np.arange(task.observation_space.n), 9)
    a = np.tile(np.arange(9), task.observation_space.n)
    live = FREE[s // task.energy_cap]
    s, a = s[live], a[live]
    state, reward, terminated, _ = task.transition({"s": s, "visits": task._visits_from(s)}, a, None)
    np.testing.assert_array_equal(state["s"], model.next_state[s, a, 0])
    np.testing.assert_array_equal(reward, model.reward[s, a])
    assert (model.prob == 1).all()
    np.testing.assert_array_equal(terminated, model.next_state[s, a, 0] % task.energy_cap == 0)  # u' = 1
    np.testing.assert_array_equal(model.admissible[s], task.action_mask(s).astype(bool))


@pytest.mark.parametrize("eta", [0.5, 1.0])
def test_the_noisy_tv_room_moves_as_its_model_says(eta):
    """20 000 draws of one step in the TV room (and one outside it) against the model's probabilities:
    the chosen move with 1 - eta + eta/n, each other admissible move with eta/n."""
    task = FoodGridTask(tv_noise=eta)
    n = 20_000
    for (x, y), action in (((9, 3), ACTION["right"]), ((11, 2), ACTION["up"]), ((3, 3), ACTION["right"])):
        s = np.full(n, task.encode(x, y, 50))
        state, _, _, _ = task.transition(
            {"s": s, "visits": task._visits_from(s)}, np.full(n, action), task.sample_noise(np.random.default_rng(1), n)
        )
        successors, probs = task.model.next_state[s[0], action], task.model.prob[s[0], action]
        reached = successors[probs > 0]
        assert probs.sum() == pytest.approx(1.0) and len(set(reached)) == len(reached)  # distinct successors
        assert np.isin(state["s"], reached).all()
        seen = np.array([(state["s"] == t).mean() for t in reached])
        np.testing.assert_allclose(seen, probs[probs > 0], atol=4 * np.sqrt(0.25 / n))
        admissible = ADMISSIBLE[cell_index(x, y)].sum()
        chosen = task.encode(x + MOVES[action][0], y + MOVES[action][1], 49)
        in_tv = x >= 7 and y <= 5
        assert probs[successors == chosen].sum() == pytest.approx(1 - eta + eta / admissible if in_tv else 1.0)


def test_an_episode_records_its_visits_and_ends_at_death():
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=6)
    obs, info = env.reset(seed=0)
    assert env.unwrapped.decode(obs) == (3, 3, 6) and info["action_mask"].tolist() == [1] * 9
    cells = [(3, 3)]
    for a in ("up", "down", "right", "stay", "left"):
        obs, reward, terminated, truncated, info = env.step(ACTION[a])
        cells.append(env.unwrapped.decode(obs)[:2])
        assert reward == 1.0
    assert terminated and not truncated and env.unwrapped.decode(obs)[2] == 1
    expected = np.zeros((SIZE, SIZE), dtype=np.int64)
    for x, y in cells[:-1]:  # the cell of death is not counted: the living agent never occupied it
        expected[y - 1, x - 1] += 1
    np.testing.assert_array_equal(info["visits"], expected)
    np.testing.assert_array_equal(env.unwrapped.state["visits"], expected)


def test_truncation_at_max_steps_reports_the_visits():
    env = gym.make("rl_envs/FoodGrid-v0", max_steps=3)
    env.reset(seed=0)
    out = [env.step(ACTION["stay"]) for _ in range(3)]
    assert [o[3] for o in out] == [False, False, True] and "visits" in out[-1][4] and "visits" not in out[0][4]
    assert out[-1][4]["visits"][2, 2] == 4


def test_encode_decode_and_the_state_setter():
    task = FoodGridTask(energy_cap=30)
    assert task.decode(task.encode(11, 1, 30)) == (11, 1, 30) and task.encode(1, 1, 1) == 0
    for kwargs, name in (
        ({"x": 0, "y": 1, "u": 2}, "x"),
        ({"x": 1, "y": 12, "u": 2}, "y"),
        ({"x": 1, "y": 1, "u": 31}, "u"),
        ({"x": 1.0, "y": 1, "u": 2}, "x"),
    ):
        with pytest.raises(ValueError, match=rf"^{name} must be"):
            task.encode(**kwargs)
    with pytest.raises(ValueError, match=r"\(6, 1\) is a wall cell"):
        task.encode(6, 1, 5)
    with pytest.raises(ValueError, match="s must be"):
        task.decode(SIZE * SIZE * 30)
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=30)
    env.reset(seed=0)
    env.unwrapped.state = task.encode(1, 1, 2)
    assert env.unwrapped.state["visits"].sum() == 1
    assert env.unwrapped.decode(env.step(ACTION["stay"])[0]) == (1, 1, 11)
    for bad in (task.encode(1, 1, 2) + 0.0, task.encode(5, 1, 2) + 30, -1, True):
        with pytest.raises(ValueError, match="state must be the index of a free cell's state"):
            env.unwrapped.state = bad


def test_the_vector_env_gives_masks_and_visits_per_sub_env():
    venv = gym.make_vec("rl_envs/FoodGrid-v0", num_envs=3, vectorization_mode="vector_entry_point", energy_cap=4)
    assert isinstance(venv.unwrapped, FoodGridVectorEnv)
    _, info = venv.reset(seed=0)
    assert info["action_mask"].shape == (3, 9) and info["_action_mask"].all()
    for _ in range(2):
        venv.step(np.array([ACTION["down-left"], ACTION["stay"], ACTION["up"]]))
    # from (3, 3) with u = 4: two diagonal steps reach the food alive; the others die on step 3
    _, _, terminated, _, info = venv.step(np.array([ACTION["stay"]] * 3))
    assert terminated.tolist() == [False, True, True] and info["_visits"].tolist() == [False, True, True]
    assert info["visits"][1, 2, 2] == 3 and info["visits"][2].sum() == 3


def test_the_reference_record():
    # food in reach: the best agent lives to max_steps; two diagonal moves then staying shows it
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=4, max_steps=40)
    ref = env.unwrapped.reference()
    assert ref.kind == "exact" and ref.value == 40 and env.unwrapped.optimal_return() == 40
    env.reset(seed=0)
    actions = [ACTION["down-left"]] * 2 + [ACTION["stay"]] * 38
    assert sum(env.step(a)[1] for a in actions) == 40
    # out of reach (cap 3): every action sequence dies on its second step
    task = FoodGridTask(energy_cap=3)
    assert task.reference().value == 2
    for first in range(9):
        for second in range(9):
            (x, y, u), *_ = step_from(task, 3, 3, 3, first)
            assert step_from(task, x, y, u, second)[2]


def test_the_random_policys_survival_matches_many_random_episodes():
    task = FoodGridTask()
    ref = task.reference()
    assert ref.random_lower <= ref.random <= ref.random_upper < ref.random + 1e-6
    n = 2000
    venv = FoodGridVectorEnv.from_task(task, n)
    venv.reset(seed=3)
    venv.action_space.seed(3)
    survival, running, t = np.zeros(n), np.ones(n, dtype=bool), 0
    while running.any():
        _, _, terminated, _, _ = venv.step(venv.action_space.sample())
        t += 1
        survival[running & terminated] = t
        running &= ~terminated
    assert abs(survival.mean() - ref.random) < 4 * survival.std() / np.sqrt(n)


def test_the_frame_shows_the_heat_map_and_the_energy_bar():
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=20, render_mode="rgb_array")
    env.reset(seed=0)

    def pixel(frame, x, y, dx=3, dy=3):  # near a cell's top-left corner, off the agent and the food
        return tuple(frame[12 + (SIZE - y) * 34 + dy, 12 + (x - 1) * 34 + dx])

    first = env.render()
    assert pixel(first, 3, 3) != (255, 255, 255) and pixel(first, 4, 3) == (255, 255, 255)
    assert pixel(first, 6, 1) == (70, 70, 80)  # a wall
    for a in ["right"] + ["stay"] * 5:
        env.step(ACTION[a])
    again = env.render()
    assert pixel(first, 3, 3) == pixel(again, 4, 3) == (170, 30, 30)  # the most visited cell
    assert pixel(again, 3, 3) not in ((255, 255, 255), (170, 30, 30))  # 1 visit of 6: a paler shade
    bar = lambda frame: (frame[12 : 12 + SIZE * 34, 12 + SIZE * 34 + 20] != 255).any(axis=1).sum()  # noqa: E731
    assert bar(again) < bar(first)


def test_the_checker_passes_on_variants_whose_sub_envs_die_at_different_steps():
    # deaths at different steps exercise the vector env's same-step autoreset with step infos
    assert rl_envs.check("rl_envs/FoodGrid-v0", energy_cap=5, food_gain=2, tv_noise=0.5) == []


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"food_gain": 0}, "food_gain"),
        ({"energy_cap": 1}, "energy_cap"),
        ({"tv_noise": 1.5}, "tv_noise"),
        ({"max_steps": 0}, "max_steps"),
        ({"food_gain": 2.5}, "food_gain"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must be"):
        gym.make("rl_envs/FoodGrid-v0", **kwargs)
