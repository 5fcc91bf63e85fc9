"""Tuned settings: the search space declared per agent, the one trial budget, and the files of
settings that ``python -m baselines tune`` (:mod:`baselines.sweep.tune`) writes and the
leaderboard (:func:`baselines.compare.leaderboard_config`) reads.

Every agent of the leaderboard, a Stable-Baselines3 algorithm or a reference agent, is tuned the
same way: :data:`TRIALS` trials of Optuna's TPE sampler over its space in :data:`SPACES`, each
trial trained on the tuning seeds :data:`TUNING_SEEDS` for the environment's comparison budget
and scored by its mean final return over those seeds' own test episodes (the tuning range of
:mod:`baselines.seeds`: no run or test episode of the leaderboard is looked at).  The chosen
setting goes into ``baselines/hyperparams/tuned/<agent>.yml`` (:func:`tuned_file`), keyed by
environment id:

* for an SB3 algorithm the entry is a complete rl-baselines3-zoo entry (the untuned
  ``hyperparams/<algo>.yml`` entry it started from, the chosen values, ``n_timesteps`` the
  budget and ``env_kwargs``), so ``rl_zoo3.train --conf-file`` trains with it;
* for a reference agent the entry is its keyword arguments, with ``env_kwargs``.

How each entry was found sits apart, under the file's top-level key ``tuning`` (rl_zoo3 only
looks an environment id up, and would hand any other key of an entry to the algorithm): the
number of trials (``trials``), the tuning seeds, the budget, the space, the scores.  An
environment without an entry has not been tuned: the leaderboard then runs the untuned
settings and labels their rows ``defaults`` (or ``experiments``), never ``tuned``.
"""

from __future__ import annotations

import fcntl
import importlib.resources
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .io import atomic_write_bytes

TUNED_DIR = Path(str(importlib.resources.files("baselines") / "hyperparams" / "tuned"))
# The same for every agent: a comparison between agents tuned with unequal effort is not fair.
TRIALS = 20
# From the tuning range (baselines/seeds.py), so that tuning never sees a leaderboard run.
TUNING_SEEDS = (1000, 1001, 1002)
# The sweep also runs the chosen setting on these training seeds: the score it reports there,
# beside the tuning score, shows how much of the choice was luck on the tuning seeds.
EVALUATION_SEEDS = (0, 1, 2)
METRIC = "final_return"  # on a task with a fixed reference, the normalized score ranks the same
# Keys of an entry that describe the environment and the budget, not the agent.
ENTRY_ENV_KEYS = ("env_kwargs", "n_timesteps")
TUNING_KEY = "tuning"

# The search space of each agent, in a sweep's notation ({choice = [...]} or {loguniform = [low,
# high]}), over the arguments that set how fast and how noisily it learns: step sizes, batch
# and rollout sizes, exploration.  Not searched: the discount and the wrappers (they are part of
# each task's definition, taken from the untuned entry), and the planners' arguments (QMDP has
# none; MOP's alpha and beta define the principle it follows rather than how fast it learns).
# The SB3 ranges are those of rl-baselines3-zoo's samplers (its module hyperparams_opt), cut to
# the values that fit this machine's budgets.
_LEARNING_RATE = {"loguniform": [1e-5, 3e-3]}
SPACES: dict[str, dict[str, dict]] = {
    "PPO": {
        "learning_rate": _LEARNING_RATE,
        "n_steps": {"choice": [64, 128, 256, 512, 1024]},
        "batch_size": {"choice": [32, 64, 128, 256]},
        "n_epochs": {"choice": [3, 5, 10]},
        "gae_lambda": {"choice": [0.9, 0.95, 0.98]},
        "clip_range": {"choice": [0.1, 0.2, 0.3]},
        "ent_coef": {"choice": [0.0, 0.001, 0.01]},
    },
    "A2C": {
        "learning_rate": _LEARNING_RATE,
        "n_steps": {"choice": [5, 8, 16, 32]},
        "gae_lambda": {"choice": [0.9, 0.95, 1.0]},
        "ent_coef": {"choice": [0.0, 0.001, 0.01]},
    },
    "DQN": {
        "learning_rate": _LEARNING_RATE,
        "batch_size": {"choice": [32, 64, 128]},
        "train_freq": {"choice": [1, 4]},
        "learning_starts": {"choice": [100, 1000]},
        "target_update_interval": {"choice": [100, 500, 1000]},
        "exploration_fraction": {"choice": [0.1, 0.3, 0.5]},
        "exploration_final_eps": {"choice": [0.01, 0.05, 0.1]},
    },
    "SAC": {
        "learning_rate": _LEARNING_RATE,
        "batch_size": {"choice": [64, 128, 256]},
        "tau": {"choice": [0.005, 0.01, 0.02]},
        "learning_starts": {"choice": [100, 1000]},
        "policy_kwargs": {"choice": ["dict(net_arch=[64, 64])", "dict(net_arch=[256, 256])"]},
    },
    "TD3": {
        "learning_rate": _LEARNING_RATE,
        "batch_size": {"choice": [64, 128, 256]},
        "tau": {"choice": [0.005, 0.01, 0.02]},
        "noise_std": {"choice": [0.1, 0.2, 0.5]},
    },
    "QLearning": {"alpha": {"loguniform": [0.01, 1.0]}, "epsilon": {"choice": [0.05, 0.1, 0.2]}},
    # Silver et al. (2014), §5.1: the actor's step size and the exploration noise.
    "COPDACB": {"alpha_theta": {"loguniform": [0.01, 3.0]}, "sigma_beta": {"choice": [0.02, 0.04, 0.1]}},
    "LinearReinforce": {"eta": {"loguniform": [1e-4, 1e-1]}, "sigma": {"choice": [0.05, 0.1, 0.3]}},
    # The DPG paper's octopus networks, with the three step sizes it swept (Silver et al. 2014, §5.3).
    "COPDACQ": {
        "alpha_theta": {"loguniform": [1e-4, 1e-2]},
        "alpha_w": {"loguniform": [1e-3, 1.0]},
        "alpha_v": {"loguniform": [1e-3, 1e-1]},
    },
    "TileCOPDACQ": {
        "alpha_theta": {"loguniform": [1e-3, 1e-1]},
        "alpha_w": {"loguniform": [1e-2, 1.0]},
        "alpha_v": {"loguniform": [1e-2, 1.0]},
    },
    # Doya (2000), §4: the critic's learning rate eta (its time constant kappa is the task's).
    "ValueGradientPolicy": {"eta": {"loguniform": [5.0, 500.0]}},
    "ExpectileTD": {"step_size": {"loguniform": [1e-3, 1e-1]}},
}


@dataclass(frozen=True)
class Tuned:
    """One environment's entry of a tuned file: ``kwargs`` the agent's arguments (for an SB3
    algorithm the zoo entry without ``n_timesteps`` and ``env_kwargs``), ``env_kwargs`` the
    environment's, ``record`` how it was found (its ``trials``, ``tuning_seeds``, ``steps``, ...)."""

    kwargs: dict
    env_kwargs: dict
    record: dict

    @property
    def label(self) -> str:
        """What a table says of the setting: ``tuned (20 trials)``."""
        return f"tuned ({self.record['trials']} trials)"


def tuned_file(agent: str, folder: str | os.PathLike | None = None) -> Path:
    """The tuned settings of ``agent`` (an SB3 algorithm's name, any case, or a reference agent's):
    ``<folder>/<agent in lower case>.yml``, ``folder`` by default the package's ``hyperparams/tuned``."""
    if not isinstance(agent, str) or not agent:
        raise ValueError(f"agent must be an agent's name such as 'PPO' or 'QLearning', got {agent!r}")
    return Path(folder if folder is not None else TUNED_DIR) / f"{agent.lower()}.yml"


def read_file(path: Path) -> tuple[dict, dict]:
    """``(entries, tuning records)`` of a tuned file, each keyed by environment id; empty for a
    file that is not there.  A file that is not such a mapping raises a ValueError naming it."""
    import yaml

    if not path.exists():
        return {}, {}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{path} is not valid YAML: {e}") from None
    records = data.pop(TUNING_KEY, {}) if isinstance(data, dict) else None
    if not (isinstance(data, dict) and isinstance(records, dict) and all(isinstance(v, dict) for v in data.values())):
        raise ValueError(f"{path} must map environment ids to entries, with their records under {TUNING_KEY!r}")
    missing = sorted(set(data) ^ set(records))
    if missing:
        raise ValueError(f"{path}: every entry needs its record under {TUNING_KEY!r} and back; unmatched: {missing}")
    return data, records


def read_tuned(agent: str, env_id: str, folder: str | os.PathLike | None = None) -> Tuned | None:
    """The tuned entry of ``agent`` on ``env_id``, or None where it has not been tuned."""
    entries, records = read_file(tuned_file(agent, folder))
    if env_id not in entries:
        return None
    entry = dict(entries[env_id])
    kwargs = {k: v for k, v in entry.items() if k not in ENTRY_ENV_KEYS}
    return Tuned(kwargs, dict(entry.get("env_kwargs") or {}), dict(records[env_id]))


def plain(value: Any) -> Any:
    """``value`` as YAML and JSON both write it: tuples as lists, NumPy scalars as numbers."""
    return json.loads(json.dumps(value, default=lambda x: x.item() if hasattr(x, "item") else str(x)))


def header(agent: str, entries: dict) -> str:
    """The comment at the top of a tuned file: what it is, how rl_zoo3 reads it, what is tuned."""
    zoo = agent.lower() if agent.lower() in ("a2c", "dqn", "ppo", "sac", "td3") else None
    lines = [
        f"{agent} settings tuned per environment by `python -m baselines tune` (baselines/tuning.py):",
        "Optuna's TPE sampler on the tuning seeds only; each entry's trial budget is its record's 'trials'.",
    ]
    if zoo:
        lines += [
            "Each entry is a complete rl-baselines3-zoo entry:",
            f"  python -m rl_zoo3.train --algo {zoo} --env <id> --gym-packages rl_envs \\",
            f'      --conf-file "$(python -m baselines hyperparams {zoo} --tuned)"',
        ]
    lines += [
        f"How each entry was found is under the key '{TUNING_KEY}' (rl_zoo3 reads only the id's key).",
        "An environment without an entry is not tuned: the leaderboard runs its untuned settings"
        + (f" (baselines/hyperparams/{zoo}.yml)" if zoo else "")
        + " and says so.",
    ]
    if not entries:
        lines.append("No environment is tuned yet.")
    return "".join(f"# {line}\n" for line in lines)


def render(agent: str, entries: dict, records: dict) -> str:
    """A tuned file's text: the header, the entries, then their records under ``tuning``."""
    import yaml

    body = yaml.safe_dump(plain(entries), sort_keys=True, default_flow_style=False) if entries else ""
    tail = yaml.safe_dump({TUNING_KEY: plain(records)}, sort_keys=True, default_flow_style=None) if records else ""
    return header(agent, entries) + body + ("\n" if body else "") + tail


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``folder`` itself for the block: two tune runs writing the same
    file one after the other each keep the other's entries (no lock file is left behind)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_tuned(
    agent: str, env_id: str, kwargs: dict, env_kwargs: dict, record: dict, folder: str | os.PathLike | None = None
) -> Path:
    """Put ``agent``'s tuned entry for ``env_id`` (``kwargs`` with ``env_kwargs``) and its
    ``record`` into its tuned file, keeping the other environments' entries; the file is
    replaced whole (a reader never sees half of it).  Returns the file's path."""
    for key in ("trials", "tuning_seeds", "steps"):
        if key not in record:
            raise ValueError(f"a tuning record needs {key!r} (how the entry was found), got {sorted(record)}")
    path = tuned_file(agent, folder)
    with _locked(path.parent):
        entries, records = read_file(path)
        entries[env_id] = {**kwargs, **({"env_kwargs": env_kwargs} if env_kwargs else {})}
        records[env_id] = record
        atomic_write_bytes(path, render(agent, entries, records).encode())
    return path
