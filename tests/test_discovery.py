"""Registering an environment is all that the media, the site (gallery, nav, API page), the README's
table, the default comparison and the SB3 defaults need: the development guide's random walk,
registered in the ``rl_envs/`` namespace for this module's tests, appears in each of them with no
other edit, and gets the generic defaults (a seeded random animation, PPO at a small budget, the
yml's ``default`` entries)."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import gymnasium as gym
import pytest
import yaml
from mkdocs.exceptions import PluginError

import rl_envs
from baselines import compare as cmp
from baselines.sb3 import ALGOS, HYPERPARAMS_DIR, load_hyperparams, train
from test_check import guide_example
from test_docs import _hook, frames_of, gen_media

TESTS = Path(__file__).resolve().parent
WALK = "rl_envs/RandomWalk-v0"
NAME = "RandomWalk"  # its pages and files are written with it, so tests/test_references.py takes none for a file
# The first sentence of the guide's "## Description": its env class has no summary line.
WALK_SUMMARY = "A walk on the cells 0..n, started in the middle"


def register_walk() -> dict:
    """The guide's example, registered as if it were a line of rl_envs' ``_ENVIRONMENTS``."""
    walk = guide_example()
    gym.register(WALK, entry_point=walk["RandomWalkEnv"], vector_entry_point=walk["RandomWalkVectorEnv"])
    return walk


@pytest.fixture(scope="module")
def walk():
    assert WALK not in gym.registry
    yield register_walk()
    del gym.registry[WALK]


def test_the_registry_lists_it_beside_the_packages_own(walk):
    assert rl_envs.registered_ids() == [*rl_envs.ENV_IDS, WALK]


def test_its_animation_is_one_seeded_random_episode(walk):
    media = gen_media.media()
    assert list(media)[-1] == NAME and media[NAME].variants == ()
    assert list(gen_media.outputs(media[NAME])) == [f"{NAME}.gif"]
    frames, durations = frames_of(gen_media.outputs(media[NAME])[f"{NAME}.gif"]())
    env = gym.make(WALK)  # the same episode, stepped here: a frame at the start and after each step
    env.action_space.seed(0)
    env.reset(seed=0)
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps, done = steps + 1, terminated or truncated
    assert len(frames) == min(steps + 1, gen_media.MAX_FRAMES) and durations[-1] == 1500


def test_the_site_lists_it_and_asks_for_its_media(walk):
    site = _hook()
    assert (
        f"[![{NAME}](media/{NAME}.gif)](envs/{NAME}.md)\n<figcaption markdown>"
        f"[{NAME}](envs/{NAME}.md): {WALK_SUMMARY}</figcaption>"
    ) in site.gallery("index.md")
    nav = site.environments_nav([{"Home": "index.md"}, {"Environments": []}])
    assert nav[1]["Environments"][-1] == f"envs/{NAME}.md" and len(nav[1]["Environments"]) == len(rl_envs.ENV_IDS) + 1
    assert site.env_modules().endswith("\n\n::: guide_random_walk")
    with pytest.raises(PluginError, match=f"run `python docs/gen_media.py --only {NAME}`"):
        site.env_page(WALK)  # its GIF is not committed


def test_the_readme_table_lists_it(walk):
    table = gen_media.readme_table()
    ids = rl_envs.registered_ids()
    assert ids[-1] == WALK
    # a header of two lines, then two lines (pictures, captions) per row of three environments
    assert len(table) == 2 + 2 * -(-len(ids) // 3)
    pictures = [cell.strip() for cell in table[-2].strip("|").split("|")]
    assert len(pictures) == 3 and pictures[(len(ids) - 1) % 3] == f"![{NAME}](docs/media/{NAME}.gif)"
    assert all(cell == "" for cell in pictures[(len(ids) - 1) % 3 + 1 :])
    assert f"`RandomWalk-v0`: {WALK_SUMMARY} |" in table[-1]


def test_the_default_comparison_runs_it_and_keeps_every_other_cell(walk):
    cells = cmp.cells_from_config(cmp.default_config())
    mine = [c for c in cells if c.env == WALK]
    assert [(c.agent, c.seed, c.steps) for c in mine] == [("PPO", 0, 10_000), ("PPO", 1, 10_000)]
    declared = {row["env"] for row in cmp.LEADERBOARD}
    rows = cmp.cells_from_config({"runs": [r for r in cmp.default_config()["runs"] if r["env"] in declared]})
    assert [c.key for c in cells if c.env != WALK] == [c.key for c in rows]  # the results cache stays valid
    record = cmp.run_cell(dataclasses.replace(mine[0], steps=64), film=False)
    row, ref = record["row"], walk["RandomWalkTask"]().reference()  # the guide's task declares its reference
    assert row["env"] == WALK and np.isfinite(row["return"]) and row["reference"] == ref.value
    assert row["normalized_score"] == (row["return"] - ref.random) / (ref.value - ref.random)


@pytest.mark.parametrize("algo", ["a2c", "dqn", "ppo"])  # the walk's actions are Discrete: not SAC or TD3
def test_sb3_trains_it_on_the_default_entry(walk, algo):
    default = yaml.safe_load((HYPERPARAMS_DIR / f"{algo}.yml").read_text())["default"]
    assert load_hyperparams(algo, WALK) == default
    model = train(algo, WALK, total_timesteps=128)
    assert model.num_timesteps >= 128 and model.get_env().num_envs == 1


def test_every_algorithm_has_a_default_entry(walk):
    assert all(load_hyperparams(algo, WALK)["policy"] == "MlpPolicy" for algo in ALGOS)
    assert load_hyperparams("ppo", "rl_envs/GridMaze-v0")["n_steps"] == 128  # an entry of its own wins


def test_rl_zoo3_trains_it_on_the_default_entry(tmp_path):
    """rl_zoo3 reads the yml's 'default' key itself, in its own process (the walk registered there
    by a --gym-packages module)."""
    pytest.importorskip("rl_zoo3")
    (tmp_path / "walk_package.py").write_text("from test_discovery import register_walk\n\nregister_walk()\n")
    cmd = [
        sys.executable,
        "-m",
        "rl_zoo3.train",
        "--algo",
        "a2c",
        "--env",
        WALK,
        "--gym-packages",
        "walk_package",
        "--conf-file",
        str(HYPERPARAMS_DIR / "a2c.yml"),
        "-n",
        "100",
        "--eval-freq",
        "-1",
        "--log-folder",
        str(tmp_path / "logs"),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "SB3_LOGDIR": str(tmp_path / "sb3_log"),
    }
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600, env=env, cwd=TESTS.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Using 'default' hyperparameters" in out.stdout
    assert list((tmp_path / "logs" / "a2c").glob("rl_envs-RandomWalk-v0_*/*.zip"))
