"""Bad input to the environments' constructors and their exact references: every one is a
ValueError that names the argument and says what is allowed, raised before any work."""

import inspect
import re
import warnings

import numpy as np
import gymnasium as gym
import pytest
from gymnasium.envs.registration import load_env_creator

import rl_envs
from rl_envs.maze.classic_pomdps import cheese
from rl_envs.maze.layouts import LayoutError
from rl_envs.maze.pomdp_format import MAX_ENTRIES, POMDPFormatError, format_pomdp, parse_pomdp, read_pomdp, write_pomdp

ENV_IDS = sorted(rl_envs.ENV_IDS)
CONSTRUCTORS = [
    (env_id, ep)
    for env_id in ENV_IDS
    for ep in (gym.spec(env_id).entry_point, gym.spec(env_id).vector_entry_point)
    if ep is not None
]


def strict(fn, *args, **kwargs):
    """``fn(...)`` with every warning an error, so a silent cast or an overflow fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def raises_naming(name, fn, *args, **kwargs):
    with pytest.raises(ValueError, match=rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])") as info:
        strict(fn, *args, **kwargs)
    return str(info.value)


# A value of the wrong type for every argument of every environment: none is a valid layout,
# system, matrix, count, probability or render mode.
WRONG = {"object": object(), "complex": 1 + 1j, "bool": True, "str": "5", "nan": float("nan"), "nested": [[[]]]}


@pytest.mark.parametrize("kind", WRONG)
@pytest.mark.parametrize("env_id, entry_point", CONSTRUCTORS, ids=[ep for _, ep in CONSTRUCTORS])
def test_every_argument_rejects_a_wrong_type_by_name(env_id, entry_point, kind):
    cls = load_env_creator(entry_point)
    for name in inspect.signature(cls).parameters:
        raises_naming(name, cls, **{name: WRONG[kind]})


GRID = "rl_envs/GridMaze-v0"
PO = "rl_envs/PartiallyObservableMaze-v0"
LQ = "rl_envs/LQControl-v0"
BANDIT = "rl_envs/QuadraticBandit-v0"
OCTOPUS = "rl_envs/OctopusArm-v0"
NO_LEFT_BORDER = "+-+-+\n S  |\n+ + +\n   G|\n+-+-+"


@pytest.mark.parametrize(
    "env_id, kwargs, name, allowed",
    [
        (GRID, {"layout": "random", "size": "5"}, "size", "n or (height, width)"),
        (GRID, {"layout": "random", "size": (3, 4, 5)}, "size", "n or (height, width)"),
        (GRID, {"layout": "random", "size": (3, True)}, "size", "n or (height, width)"),
        (GRID, {"layout": "random", "size": 2.5}, "size", "n or (height, width)"),
        (GRID, {"layout": "random", "size": (0, 4)}, "size", "n or (height, width)"),
        (GRID, {"move_cost": -1}, "move_cost", ">= 0"),
        (GRID, {"max_steps": True}, "max_steps", "positive int"),
        (GRID, {"layout": "random", "size": 4, "maze_seed": True}, "maze_seed", "int"),
        (GRID, {"slip": 1.5}, "slip", "in [0, 1]"),
        (LQ, {"A": 2.0, "B": [[1.0]]}, "A", "2-D"),
        (LQ, {"A": [[1.0]], "B": 1.0}, "B", "2-D"),
        (LQ, {"A": [[1.0, 0.0]], "B": [[1.0]]}, "A", "square"),
        (LQ, {"dt": "x"}, "dt", "> 0"),
        (LQ, {"dt": -0.1}, "dt", "> 0"),
        (LQ, {"plot_coords": "ab"}, "plot_coords", "two state indices"),
        (LQ, {"plot_coords": 1}, "plot_coords", "two state indices"),
        (LQ, {"plot_coords": (0, 2)}, "plot_coords", "two state indices"),
        (LQ, {"plot_coords": (0.0, 1.0)}, "plot_coords", "two state indices"),
        (LQ, {"max_steps": True}, "max_steps", "int"),
        (LQ, {"u_max": "10"}, "u_max", "> 0"),
        (LQ, {"noise_cov": float("inf")}, "noise_cov", "finite"),
        (LQ, {"noise_cov": None}, "noise_cov", "real"),
        (LQ, {"x0_cov": float("inf")}, "x0_cov", "finite"),
        (LQ, {"x0": [1.0, "2"]}, "x0", "real"),
        (LQ, {"A": [[1.0]], "B": [[1.0]], "R": "5"}, "R", "real"),
        (LQ, {"A": [[1.0]], "B": [[1.0]], "R": [[1 + 1j]]}, "R", "real"),
        (LQ, {"system": ["datacenter"]}, "system", "'double_integrator', 'datacenter'"),
        (BANDIT, {"dim": 2, "C": [["1", "0"], ["0", "1"]]}, "C", "real numbers"),
        (BANDIT, {"dim": 2, "C": [[1, 0], [0, 1 + 1j]]}, "C", "real numbers"),
        (BANDIT, {"dim": 2, "a_star": ["4", "4"]}, "a_star", "real numbers"),
        (BANDIT, {"action_bound": "20"}, "action_bound", "> 0"),
        (OCTOPUS, {"n_compartments": True}, "n_compartments", "int in [1, 10]"),
        (OCTOPUS, {"constants": ["icml06"]}, "constants", "'rl-library'"),
        (OCTOPUS, {"target": (1 + 1j, 2)}, "target", "finite (x, y)"),
        (OCTOPUS, {"distance_gain": "1"}, "distance_gain", "> 0"),
        (OCTOPUS, {"max_steps": True}, "max_steps", "int"),
        (PO, {"layout": "book3x3", "sensor_noise": 1 + 1j}, "sensor_noise", "probability"),
        (PO, {"layout": "book3x3", "sensor_noise": (0.1, True)}, "sensor_noise", "probability"),
        (PO, {"layout": "book3x3", "slip": (0.1,)}, "slip", "in [0, 1]"),
        (PO, {"layout": "book3x3", "slip": True}, "slip", "in [0, 1]"),
    ],
)
def test_bad_argument_names_it_and_what_is_allowed(env_id, kwargs, name, allowed):
    message = raises_naming(name, gym.make, env_id, **kwargs)
    assert allowed in message


def test_wall_layout_must_close_its_border():
    with pytest.raises(LayoutError, match=r"line 2, column 1: .*border.*'\|'"):
        gym.make(GRID, layout=NO_LEFT_BORDER)
    with pytest.raises(LayoutError, match=r"line 1, column 4: .*border.*'-'"):
        gym.make(GRID, layout="+-+ +\n|S G|\n+-+-+")
    env = gym.make(GRID, layout=NO_LEFT_BORDER.replace("\n ", "\n|"))
    assert env.unwrapped.shortest_path_length() == 2


def test_zero_move_cost_is_allowed_and_solvable():
    env = gym.make(GRID, move_cost=0.0)
    assert env.unwrapped.optimal_return() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["optimal_gain", "optimal_cost"])
def test_lq_references_that_overflow_say_so(method):
    env = gym.make(LQ, A=[[1e200]], B=[[1.0]]).unwrapped
    with pytest.raises(ValueError, match=r"Riccati.*float64"):
        strict(getattr(env, method))


def test_lq_scalar_system_still_works():
    env = gym.make(LQ, A=[[0.9]], B=[[1.0]], Q=2.0, R=0.5)
    assert env.unwrapped.optimal_gain().shape == (1, 1)
    assert env.unwrapped.plot_coords == (0, 0)


# -- the .POMDP reader ------------------------------------------------------------------------------

PREAMBLE = "discount: 0.9\nvalues: reward\nstates: {states}\nactions: 1\nobservations: 1\n"
BODY = "T: * identity\nO: * uniform\n"


def pomdp_text(states="2", start="", body=BODY):
    return PREAMBLE.format(states=states) + start + body


def test_read_pomdp_reads_a_path_and_round_trips(tmp_path):
    model = cheese().model
    path = tmp_path / "cheese.pomdp"
    write_pomdp(model, path)
    for source in (path, str(path)):
        back = read_pomdp(source)
        assert np.array_equal(back.T, model.T) and np.array_equal(back.O, model.O) and back.states == model.states


@pytest.mark.parametrize("source", [None, b"discount: 0.9\n", 3, pomdp_text()], ids=["None", "bytes", "int", "text"])
def test_read_pomdp_takes_only_a_path(source):
    with pytest.raises(TypeError, match=r"read_pomdp needs a file path.*parse_pomdp\(text\)"):
        read_pomdp(source)


def test_read_pomdp_names_a_missing_file():
    with pytest.raises(FileNotFoundError, match=r"/nonexistent/x\.pomdp"):
        read_pomdp("/nonexistent/x.pomdp")


@pytest.mark.parametrize("text", [None, b"discount: 0.9\n"], ids=["None", "bytes"])
def test_parse_pomdp_takes_only_a_str(text):
    with pytest.raises(TypeError, match="str"):
        parse_pomdp(text)


def test_binary_file_is_named(tmp_path):
    path = tmp_path / "noise.pomdp"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)))
    with pytest.raises(POMDPFormatError, match=rf"{re.escape(str(path))}: .*not a UTF-8 text"):
        read_pomdp(path)


def test_errors_in_a_file_name_the_file_and_line(tmp_path):
    path = tmp_path / "bad.pomdp"
    path.write_text(pomdp_text(body="T: * identity\nO: 0 : 0 : 7 1\n"))
    with pytest.raises(POMDPFormatError, match=rf"^{re.escape(str(path))}, line 7: unknown observation '7'"):
        read_pomdp(path)
    path.write_text(pomdp_text(body="T: * : 0 : 0 0.5\nO: * uniform\n"))
    with pytest.raises(POMDPFormatError, match=rf"^{re.escape(str(path))}: the model is not a valid POMDP: T rows"):
        read_pomdp(path)


@pytest.mark.parametrize(
    "text, line, message",
    [
        (pomdp_text(states="s0 s0"), 3, "duplicate state name 's0'"),
        (pomdp_text(states="5 7"), 3, "expected a count or a list of names, not both: found '7' after the count 5"),
        (pomdp_text(start="start exclude: 0 1\n"), 6, "start exclude: excludes every state"),
        (pomdp_text(body="T: * identity\nO: * : * : 0 nan\n"), 7, "expected a finite number but found 'nan'"),
        (pomdp_text().replace("discount: 0.9", "discount: inf"), 1, "expected a finite number but found 'inf'"),
    ],
)
def test_bad_files_name_the_line(text, line, message):
    with pytest.raises(POMDPFormatError, match=rf"^<string>, line {line}: {re.escape(message)}"):
        parse_pomdp(text)


def test_start_exclude_of_some_states_is_uniform_over_the_rest():
    model = parse_pomdp(pomdp_text(states="3", start="start exclude: 1\n"))
    np.testing.assert_array_equal(model.b0, [0.5, 0.0, 0.5])


def test_size_limit_is_checked_before_allocating():
    # 100000 states would need 10^10 transition probabilities (80 GB) before any check.
    with pytest.raises(
        POMDPFormatError, match=rf"<string>, line 3: 100000 states.*more than max_entries={MAX_ENTRIES}"
    ):
        parse_pomdp(pomdp_text(states="100000"))
    with pytest.raises(POMDPFormatError, match=r"line 3: 1000000000000 states are more than max_entries"):
        parse_pomdp(pomdp_text(states=str(10**12)))  # refused before a tuple of 10^12 names is built
    assert parse_pomdp(pomdp_text(states="3"), max_entries=3 * 3).n_states == 3
    with pytest.raises(POMDPFormatError, match="max_entries"):
        parse_pomdp(pomdp_text(states="3"), max_entries=3 * 3 - 1)


def test_the_exported_text_still_reads():
    assert parse_pomdp(format_pomdp(cheese().model), source="cheese").n_states == 11
