"""Agent files are data: loading one never unpickles, and any file that does not fit the agent is
refused with an AgentFileError naming the file and the problem (issues 12 and 13)."""

import base64
import gc
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import gymnasium as gym
import pytest

import rl_envs
from baselines import AgentFileError, agent_arguments
from baselines.agent_files import space_from_json, space_to_json
from baselines.belief import QMDP
from baselines.linear import LinearReinforce
from baselines.registry import AGENTS
from baselines.sb3 import SB3Agent
from baselines.tabular import QLearning, Sarsa

pytestmark = [
    pytest.mark.filterwarnings("error::ResourceWarning"),
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

DATA = Path(__file__).parent / "data" / "agents"
EXPECTED = json.loads((DATA / "expected.json").read_text())
MAZE = "rl_envs/GridMaze-v0"


class _RunsCode:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _entries(path: Path) -> dict:
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def _meta(entries: dict) -> dict:
    return json.loads(entries["__meta__"].tobytes().decode())


def _as_meta(meta: dict) -> np.ndarray:
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def _replay(agent, observations):
    state, actions = None, []
    for obs in observations:
        action, state = agent.predict(obs, state)
        actions.append(int(action))
    return actions


# -- files saved by an earlier release still load and predict the same --------------------------


@pytest.mark.parametrize("name, cls", [("q_learning.npz", QLearning), ("linear_reinforce.npz", LinearReinforce)])
def test_fixture_predicts_as_when_saved(name, cls):
    agent = cls.load(DATA / name)
    expected = EXPECTED[name]
    actions, _ = agent.predict(np.array(expected["observations"]))
    np.testing.assert_allclose(actions, expected["actions"], rtol=1e-12)


def test_belief_fixture_filters_and_acts_as_when_saved():
    expected = EXPECTED["qmdp.npz"]
    assert _replay(QMDP.load(DATA / "qmdp.npz"), expected["observations"]) == expected["actions"]


def test_sb3_fixture_predicts_as_when_saved():
    agent = SB3Agent.load(DATA / "ppo")
    expected = EXPECTED["ppo.zip"]
    assert np.asarray(agent.predict(np.array(expected["observations"]))[0]).tolist() == expected["actions"]


# -- pickles are never loaded -------------------------------------------------------------------


def test_pickled_spaces_of_the_first_format_are_never_unpickled(tmp_path):
    marker = tmp_path / "code-ran"
    entries = _entries(DATA / "q_learning.npz")
    meta = _meta(entries)
    del meta["spaces"], meta["format"]  # the first format had neither: its spaces were pickled
    entries["__meta__"] = _as_meta(meta)
    entries["__spaces__"] = np.frombuffer(pickle.dumps(_RunsCode(marker)), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **entries)
    with pytest.raises(AgentFileError, match=r"old\.npz: .*pickled the spaces.*never unpickled.*env="):
        QLearning.load(tmp_path / "old.npz")
    # With the env it was trained on, the file loads; its spaces come from the env.
    agent = QLearning.load(tmp_path / "old.npz", env=MAZE)
    assert agent.predict(np.arange(9))[0].tolist() == EXPECTED["q_learning.npz"]["actions"]
    assert not marker.exists()
    # Saving again writes the current format, which loads without an env.
    agent.save(tmp_path / "converted.npz")
    assert "__spaces__" not in _entries(tmp_path / "converted.npz")
    QLearning.load(tmp_path / "converted.npz")


def test_an_object_array_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "code-ran"
    entries = _entries(DATA / "q_learning.npz")
    entries["Q"] = np.array([_RunsCode(marker)], dtype=object)
    np.savez(tmp_path / "objects.npz", **entries)  # numpy pickles object arrays
    with pytest.raises(AgentFileError, match=r"objects\.npz: entry 'Q' holds pickled Python objects"):
        QLearning.load(tmp_path / "objects.npz")
    assert not marker.exists()


def _rewrite_sb3_data(src: Path, dst: Path, change) -> None:
    """Copy SB3Agent's files from ``src`` to ``dst`` with ``change(data)`` applied to the zip's JSON."""
    with zipfile.ZipFile(src.with_suffix(".zip")) as z:
        items = {name: z.read(name) for name in z.namelist()}
    data = json.loads(items["data"])
    change(data)
    items["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(dst.with_suffix(".zip"), "w") as z:
        for name, content in items.items():
            z.writestr(name, content)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))


def test_sb3_files_are_loaded_without_unpickling_their_data(tmp_path):
    marker = tmp_path / "code-ran"
    payload = base64.b64encode(pickle.dumps(_RunsCode(marker))).decode()

    def poison(data):
        data["observation_space"][":serialized:"] = payload  # SB3's own load would run it

    _rewrite_sb3_data(DATA / "ppo", tmp_path / "poisoned", poison)
    agent = SB3Agent.load(tmp_path / "poisoned")
    assert np.asarray(agent.predict(np.arange(9))[0]).tolist() == EXPECTED["ppo.zip"]["actions"]

    def add_entry(data):
        data["surprise"] = {":type:": "<class 'object'>", ":serialized:": payload}

    _rewrite_sb3_data(DATA / "ppo", tmp_path / "unknown", add_entry)
    with pytest.raises(AgentFileError, match=r"unknown\.zip: entry 'surprise' of its data is pickled"):
        SB3Agent.load(tmp_path / "unknown")
    assert not marker.exists()


# -- bad files: one error type, naming the file and the problem ---------------------------------


def _variant(tmp_path, **changes) -> Path:
    entries = {**_entries(DATA / "q_learning.npz"), **changes}
    path = tmp_path / "variant.npz"
    np.savez(path, **{k: v for k, v in entries.items() if v is not None})
    return path


def _meta_variant(tmp_path, **changes) -> Path:
    meta = {**_meta(_entries(DATA / "q_learning.npz")), **changes}
    return _variant(tmp_path, __meta__=_as_meta(meta))


CUT = (DATA / "q_learning.npz").read_bytes()

BAD_FILES = {
    "empty": (lambda p: _write(p, b""), "is empty"),
    "text": (lambda p: _write(p, b"Q = [[0, 0, 0, 0]]\n"), "not an agent file"),
    "truncated to half": (lambda p: _write(p, CUT[: len(CUT) // 2]), "truncated or damaged"),
    "truncated by 10 bytes": (lambda p: _write(p, CUT[:-10]), "truncated or damaged"),
    "missing": (lambda p: None, "cannot be opened"),
    "an SB3 zip": (lambda p: _write(p, (DATA / "ppo.zip").read_bytes()), "Stable-Baselines3 model.*SB3Agent.load"),
    "Q of the wrong shape": (
        lambda p: _variant(p.parent, Q=np.zeros((3, 4))),
        r"array 'Q' has shape \(3, 4\), expected \(9, 4\)",
    ),
    "Q all NaN": (lambda p: _variant(p.parent, Q=np.full((9, 4), np.nan)), "array 'Q' holds 36 non-finite values"),
    "Q with an inf": (lambda p: _variant(p.parent, Q=np.where(np.eye(9, 4) > 0, np.inf, 0.0)), "non-finite"),
    "Q of strings": (
        lambda p: _variant(p.parent, Q=np.full((9, 4), "0.5")),
        "array 'Q' has dtype <U3, expected floats",
    ),
    "no Q": (lambda p: _variant(p.parent, Q=None), r"lacks the arrays \['Q'\]"),
    "an extra array": (lambda p: _variant(p.parent, W=np.zeros(3)), r"does not save: \['W'\]"),
    "no meta": (lambda p: _variant(p.parent, __meta__=None), "no '__meta__' entry"),
    "meta not JSON": (lambda p: _variant(p.parent, __meta__=np.frombuffer(b"{oops", dtype=np.uint8)), "not UTF-8 JSON"),
    "meta a list": (lambda p: _variant(p.parent, __meta__=_as_meta([1, 2])), "not a mapping"),
    "negative steps": (lambda p: _meta_variant(p.parent, num_timesteps=-1), "num_timesteps"),
    "a newer format": (lambda p: _meta_variant(p.parent, format=99), "format 99"),
    "a bad space": (
        lambda p: _meta_variant(
            p.parent, spaces={"observation": {"type": "Discrete", "n": -1}, "action": {"type": "Discrete", "n": 4}}
        ),
        "saved spaces are invalid",
    ),
    "a bad hyperparameter": (
        lambda p: _meta_variant(p.parent, hyperparameters={"alpha": 7.0}),
        "cannot rebuild.*alpha",
    ),
    "a misspelt hyperparameter": (
        lambda p: _meta_variant(p.parent, hyperparameters={"alpah": 0.1}),
        "did you mean 'alpha'",
    ),
}


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_is_refused_naming_it_and_the_problem(case, tmp_path):
    make, problem = BAD_FILES[case]
    path = make(tmp_path / "variant.npz") or tmp_path / "variant.npz"
    with pytest.raises(AgentFileError, match=f"^{path}: .*{problem}"):
        QLearning.load(path)
    gc.collect()  # an unclosed file would warn here, and the warning is an error in this module


def test_a_file_of_another_class_is_refused():
    with pytest.raises(
        AgentFileError, match=r"q_learning\.npz: holds a QLearning, not a Sarsa; load it with QLearning\.load"
    ):
        Sarsa.load(DATA / "q_learning.npz")
    assert issubclass(AgentFileError, ValueError)


def test_belief_arrays_must_be_probabilities(tmp_path):
    entries = _entries(DATA / "qmdp.npz")
    entries["b0"] = entries["b0"] * 2
    np.savez(tmp_path / "qmdp.npz", **entries)
    with pytest.raises(AgentFileError, match="array 'b0' must hold probabilities"):
        QMDP.load(tmp_path / "qmdp.npz")
    entries = _entries(DATA / "qmdp.npz")
    entries["O"] = entries["O"][:, :-1]  # one state fewer than T has
    np.savez(tmp_path / "qmdp.npz", **entries)
    with pytest.raises(AgentFileError, match=r"array 'O' has shape \(4, 8, 17\), expected \(4, 9, 17\)"):
        QMDP.load(tmp_path / "qmdp.npz")


def test_loading_on_an_env_with_other_spaces_is_refused():
    with pytest.raises(AgentFileError, match=r"spaces differ.*Discrete\(9\).*Discrete\(100\)"):
        QLearning.load(DATA / "q_learning.npz", env=gym.make(MAZE, layout="maze10x10"))


def test_sb3_bad_files(tmp_path):
    zip_bytes = (DATA / "ppo.zip").read_bytes()
    for cut in (len(zip_bytes) // 2, len(zip_bytes) - 30, 100, 0):
        (tmp_path / "t.zip").write_bytes(zip_bytes[:cut])
        shutil.copy(DATA / "ppo.json", tmp_path / "t.json")
        with pytest.raises(AgentFileError, match=r"t\.zip: .*truncated"):
            SB3Agent.load(tmp_path / "t")
    meta = json.loads((DATA / "ppo.json").read_text())
    meta["algo"] = meta["hyperparameters"]["algo"] = "dqn"
    del meta["hyperparameters"]["n_steps"]
    (tmp_path / "w.json").write_text(json.dumps(meta))
    shutil.copy(DATA / "ppo.zip", tmp_path / "w.zip")
    with pytest.raises(AgentFileError, match=r"w\.zip: holds a model of A2C or PPO, but its \.json names DQN"):
        SB3Agent.load(tmp_path / "w")
    with pytest.raises(AgentFileError, match=r"nothing\.json: cannot be read"):
        SB3Agent.load(tmp_path / "nothing")
    (tmp_path / "w.json").write_text("[")
    with pytest.raises(AgentFileError, match=r"w\.json: is not UTF-8 JSON"):
        SB3Agent.load(tmp_path / "w")


def test_sb3_pickled_statistics_of_the_earlier_format_are_refused(tmp_path):
    shutil.copy(DATA / "ppo.zip", tmp_path / "old.zip")
    meta = json.loads((DATA / "ppo.json").read_text())
    del meta["obs_normalization"]
    (tmp_path / "old.json").write_text(json.dumps(meta))
    (tmp_path / "old.vecnormalize.pkl").write_bytes(pickle.dumps(_RunsCode(tmp_path / "code-ran")))
    with pytest.raises(AgentFileError, match=r"old\.vecnormalize\.pkl: holds pickled observation statistics"):
        SB3Agent.load(tmp_path / "old")
    assert not (tmp_path / "code-ran").exists()


def test_sb3_load_honours_env():
    agent = SB3Agent.load(DATA / "ppo", env=gym.make(MAZE, layout="book3x3"))
    assert agent.env_id == MAZE and agent.env_kwargs["layout"] == "book3x3"
    with pytest.raises(AgentFileError, match=r"ppo\.zip: .*Observation spaces do not match"):
        SB3Agent.load(DATA / "ppo", env=gym.make(MAZE, layout="maze10x10"))


def test_sb3_observation_statistics_round_trip(tmp_path):
    agent = SB3Agent(
        "rl_envs/LQControl-v0",
        algo="td3",
        seed=0,
        learning_starts=20,
        normalize="{'norm_obs': True, 'norm_reward': False}",
    ).learn(64)
    agent.save(tmp_path / "td3")
    assert json.loads((tmp_path / "td3.json").read_text())["obs_normalization"]["count"] > 1
    loaded = SB3Agent.load(tmp_path / "td3")
    obs = np.array([[0.5, -0.2], [3.0, 1.0]])
    np.testing.assert_array_equal(loaded.predict(obs)[0], agent.predict(obs)[0])


# -- spaces as JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "space",
    [
        gym.spaces.Discrete(5, start=-2),
        gym.spaces.Box(-np.inf, np.inf, (3,), np.float32),
        gym.spaces.Box(np.array([0.0, -1e6]), np.array([1.0, 1e6]), dtype=np.float64),
        gym.spaces.Box(0, 255, (2, 2), np.uint8),
        gym.spaces.MultiBinary(4),
        gym.spaces.MultiBinary([2, 3]),
        gym.spaces.MultiDiscrete([3, 4]),
        gym.spaces.Tuple([gym.spaces.Discrete(2), gym.spaces.Dict({"x": gym.spaces.Box(0, 1, (2,))})]),
        *[gym.make(env_id).observation_space for env_id in rl_envs.ENV_IDS],
        *[gym.make(env_id).action_space for env_id in rl_envs.ENV_IDS],
    ],
    ids=repr,
)
def test_space_json_round_trip(space):
    desc = json.loads(json.dumps(space_to_json(space), allow_nan=False))  # plain JSON, no Infinity
    assert space_from_json(desc) == space


# -- constructor arguments ----------------------------------------------------------------------


def test_a_misspelt_argument_names_the_closest_valid_one():
    with pytest.raises(TypeError, match=r"^QLearning got an unexpected argument 'alpah'; did you mean 'alpha'\?$"):
        QLearning(MAZE, alpah=0.1)
    with pytest.raises(
        TypeError, match=r"^SB3Agent got an unexpected argument 'learning_rat'; did you mean 'learning_rate'\?$"
    ):
        SB3Agent(MAZE, learning_rat=1)
    with pytest.raises(TypeError, match=r"^SB3Agent got an unexpected argument 'n_epochs'"):
        SB3Agent(MAZE, "dqn", n_epochs=3)  # a PPO argument; the algorithm given positionally counts
    with pytest.raises(TypeError, match=r"^SB3Agent got an unexpected argument 'noise_type'"):
        SB3Agent(MAZE, "ppo", noise_type="normal")  # PPO takes no action noise
    SB3Agent("rl_envs/QuadraticBandit-v0", "td3", noise_type="normal", noise_std=0.2)
    with pytest.raises(
        TypeError, match=r"unexpected arguments 'alpah' \(did you mean 'alpha'\?\), 'zzz'; QLearning takes alpha, "
    ):
        QLearning(MAZE, alpah=0.1, zzz=1)


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_every_agent_checks_its_arguments_before_building_anything(name):
    with pytest.raises(TypeError, match="did you mean 'seed'"):
        AGENTS[name](None, seeed=1)  # fails before the (missing) env is looked at
    assert "seed" in agent_arguments(AGENTS[name])


def test_agent_arguments_come_from_the_signatures():
    assert agent_arguments(QLearning) == {"alpha", "gamma", "epsilon", "q_init", "seed"}
    assert agent_arguments(QMDP) == {"seed"}
    dqn = agent_arguments(SB3Agent, {"algo": "dqn"})
    assert {"exploration_fraction", "learning_starts", "normalize", "env_kwargs"} <= dqn and "n_epochs" not in dqn
    assert "n_epochs" in agent_arguments(SB3Agent)  # PPO by default
    assert not {"device", "verbose", "env", "n_timesteps"} & agent_arguments(SB3Agent)
