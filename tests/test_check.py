"""The public checker, ``rl_envs.check``: it passes the development guide's example environment and
a user's own maze, names what is wrong with broken tasks, and runs from the command line."""

import dataclasses
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import rl_envs
from rl_envs.core import SingleEnv

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "development.md"


def guide_example() -> dict:
    """The namespace of the guide's random-walk block, run as a reader would run it."""
    text = GUIDE.read_text()
    block = re.search(r"<!-- example: random-walk[^\n]*-->\n```python\n(.*?)\n```", text, re.S)
    assert block, "docs/development.md lost its random-walk example"
    module = types.ModuleType("guide_random_walk")  # a real module, so that its classes pickle
    sys.modules[module.__name__] = module
    exec(compile(block.group(1), str(GUIDE), "exec"), module.__dict__)
    return module.__dict__


@pytest.fixture(scope="module")
def walk():
    return guide_example()


def test_the_guides_example_conforms(walk):
    assert walk["problems"] == []
    assert rl_envs.check(walk["RandomWalkEnv"](n=4, slip=0.0)) == []


def test_the_guides_example_has_its_exact_value(walk):
    """Always moving right reaches n with the gambler's-ruin probability: 5000 seeded episodes
    of the real env land within 99 % of it."""
    task = walk["RandomWalkTask"](slip=0.3, max_steps=100_000)
    venv = walk["RandomWalkVectorEnv"].from_task(task, 5000)
    venv.reset(seed=0)
    wins = np.zeros(5000)
    running = np.ones(5000, dtype=bool)
    while running.any():
        _, r, term, trunc, _ = venv.step(np.ones(5000, dtype=np.int64))
        wins += r * running
        running &= ~(term | trunc)
    p = task.value_of_always_right()
    assert abs(wins.mean() - p) < 2.576 * np.sqrt(p * (1 - p) / 5000)


def test_the_guides_reference_by_hand(walk):
    """n = 2 starts at 1, one step from either end: the best action reaches 2 with max(1 - slip,
    slip), a uniform one with 1/2; with a long limit the best is the gambler's-ruin probability."""
    task = walk["RandomWalkTask"](n=2, slip=0.2, max_steps=3)
    ref = task.reference()
    assert (ref.value, ref.random) == (pytest.approx(0.8), pytest.approx(0.5))
    long = walk["RandomWalkTask"](slip=0.3, max_steps=5000)
    assert long.reference().value == pytest.approx(long.value_of_always_right(), rel=1e-12)


def broken(walk, name, **methods):
    """A subclass of the guide's task with ``methods`` replaced: a bug a checker must catch."""
    task_type = dataclasses.dataclass(frozen=True)(type(name, (walk["RandomWalkTask"],), methods))
    task_type.__module__ = env_type_module = "guide_random_walk"
    env_type = type(
        name + "Env",
        (SingleEnv,),
        {"task_type": task_type, "__doc__": walk["RandomWalkEnv"].__doc__, "__module__": env_type_module},
    )
    setattr(sys.modules[env_type_module], name, task_type)
    setattr(sys.modules[env_type_module], name + "Env", env_type)
    return env_type()


def failing_checks(problems):
    return {p.split(":", 1)[0] for p in problems}


def test_an_unseeded_start_is_found(walk):
    env = broken(
        walk,
        "Unseeded",
        initial_state=lambda self, rng, n, options=None: np.random.default_rng().integers(1, self.n, size=n),
    )
    assert {"determinism", "vector_determinism", "vector_matches_single"} <= failing_checks(rl_envs.check(env))


def test_unchecked_actions_are_found(walk):
    env = broken(walk, "Lax", check_action=lambda self, action, n: np.asarray(action).reshape(-1)[:1].astype(np.int64))
    problems = rl_envs.check(env, only=["invalid_actions"])
    assert problems and all(p.startswith("invalid_actions: ") for p in problems)


def test_observations_outside_the_space_are_found(walk):
    env = broken(walk, "Outside", observe=lambda self, state: state + 100)
    assert {"step_types", "gymnasium_checker"} <= failing_checks(rl_envs.check(env))


def test_a_fast_single_step_that_differs_from_the_batched_one_is_found(walk):
    def step_one(self, state, action, rng):  # forgets the slip
        state = state + np.where(action == 1, 1, -1)
        s = int(state[0])
        return state, s, float(s == self.n), s in (0, self.n), {}

    env = broken(walk, "FastButWrong", step_one=step_one)
    assert "vector_matches_single" in failing_checks(rl_envs.check(env, only=["vector_matches_single"]))


def test_a_task_without_documented_sections_is_found(walk):
    problems = rl_envs.check(walk["RandomWalkTask"]())
    assert failing_checks(problems) == {"docstring"}


def test_a_users_own_maze_conforms():
    from rl_envs.maze.grid_maze import GridMazeEnv

    maze = "#######\n#S..#G#\n#.#.#.#\n#.....#\n#######"
    assert rl_envs.check(GridMazeEnv(layout=maze, slip=0.1)) == []


def test_bad_subjects_and_check_names_are_refused():
    with pytest.raises(ValueError, match="check takes an env id"):
        rl_envs.check(42)
    with pytest.raises(ValueError, match="unknown check 'nope'"):
        rl_envs.check("rl_envs/MountainCarRLPark-v0", only=["nope"])


def test_the_command_line(walk, tmp_path):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "rl_envs.check",
            "rl_envs/MountainCarRLPark-v0",
            "--only",
            "determinism",
            "--only",
            "autoreset_modes",
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and ok.stdout.strip() == "rl_envs/MountainCarRLPark-v0: conforms", ok.stderr
    # a registered env with a bug: the command prints the problem and exits 1
    module = tmp_path / "lax_walk.py"
    module.write_text(
        GUIDE.read_text()
        .split("<!-- example: random-walk", 1)[1]
        .split("```python\n", 1)[1]
        .split("\nproblems = rl_envs.check", 1)[0]
        + "\nRandomWalkTask.observe = lambda self, state: state + 100\n"
    )
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, runpy; sys.path.insert(0, sys.argv[1]); import lax_walk; "
            "from rl_envs.check import main; sys.exit(main(['my_envs/RandomWalk-v0', '--only', 'step_types']))",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1, bad.stderr
    assert "my_envs/RandomWalk-v0: 1 problem(s)" in bad.stdout and "step_types: observation" in bad.stdout
