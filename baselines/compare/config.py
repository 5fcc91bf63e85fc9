"""A comparison's configuration: its cells, checked whole before any cell runs.

A cell is (environment, agent, seed, budget, keyword arguments); :func:`cells_from_config`
expands a configuration (:func:`default_config`, or a TOML/YAML file read by :func:`load_config`)
into cells, checking agent arguments against the agents' signatures, seeds, repeated cells and
the grid size (at most :data:`MAX_CELLS` cells); every problem is a :class:`ConfigError`.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

import rl_envs
from rl_envs.validation import integer, is_int

from ..agent import agent_arguments as class_arguments, closest_name
from ..registry import AGENTS
from ..seeds import EPISODES_PER_CHECKPOINT, TEST_PROTOCOL, TRAINING, role
from .measures import FOR_SB3, MEASURES, measure_arguments

SB3_AGENTS = {"A2C": "a2c", "DQN": "dqn", "PPO": "ppo", "SAC": "sac", "TD3": "td3"}


def known_agents() -> list[str]:
    return sorted(AGENTS) + sorted(SB3_AGENTS)


@dataclass
class Cell:
    env: str
    agent: str
    seed: int
    steps: int
    env_kwargs: dict = field(default_factory=dict)
    agent_kwargs: dict = field(default_factory=dict)
    # Test episodes at each checkpoint, from the run's own stream of test seeds (baselines/seeds.py).
    eval_episodes: int = EPISODES_PER_CHECKPOINT
    # Steps after which the learned policy is also evaluated (a learning curve of the target
    # policy, which a sweep's metric or ASHA reads); empty: only at the end.
    eval_at: list = field(default_factory=list)
    # A measurement in place of the evaluation: ``{"name": one of measures.MEASURES, **its
    # arguments}``; the function trains and measures the cell itself, and its JSON result is kept
    # in the record's "measurements" (baselines/compare/measures.py).  Empty: train, then evaluate.
    measure: dict = field(default_factory=dict)
    # Where the agent's arguments come from, as a table says it ("tuned (20 trials)", "defaults",
    # "experiments"; see leaderboard_config); empty where nobody said.
    settings: str = ""

    @property
    def key(self) -> str:
        """The cell's file name: everything that decides its result (a resumed run reuses a cell
        only when all of it is the same)."""
        parts = [self.env_kwargs, self.agent_kwargs, self.steps, self.eval_episodes] + (
            [self.eval_at] if self.eval_at else []
        )
        parts += [{"measure": self.measure}] if self.measure else []
        parts += [{"settings": self.settings}] if self.settings else []
        if self.agent in SB3_AGENTS:  # its settings are its yml entry with agent_kwargs over it
            parts += [{"zoo": zoo_entry(SB3_AGENTS[self.agent], self.env)}]
        parts += [{"test_streams": TEST_PROTOCOL}]  # cells tested on the seeds of an older protocol run again
        extra = json.dumps(parts, sort_keys=True)
        return f"{self.env.replace('/', '_')}__{self.agent}__{digest(extra)}__seed{self.seed}"

    def as_dict(self) -> dict:
        """The cell as its file holds it; ``eval_at``, ``measure`` and ``settings`` only when set,
        so that cells written before they existed are still this cell."""
        d = asdict(self)
        for name in ("eval_at", "measure", "settings"):
            if not d[name]:
                del d[name]
        return d


@functools.cache
def zoo_entry(algo: str, env_id: str) -> dict:
    """The zoo-format entry an SB3 cell trains with (``baselines/hyperparams/<algo>.yml``'s), read
    once a process: part of the cell's key, so that an edited entry is not silently reused."""
    from ..sb3 import load_hyperparams

    return load_hyperparams(algo, env_id)


def digest(text: str) -> str:
    """Eight digits from ``text``, the same in every process (Python's ``hash`` of a str is
    salted per process)."""
    return f"{zlib.crc32(text.encode()) % 10**8:08d}"


class ConfigError(ValueError):
    """A comparison configuration that cannot run."""


# Far more than any grid this machine could finish, and few enough to hold in memory (a cell is
# about a kilobyte): a typo such as ``seeds = 100000000`` is an error, not an out-of-memory crash.
MAX_CELLS = 100_000
# Arguments every cell sets itself, whatever a configuration says.
_SET_BY_THE_CELL = ("env", "seed", "env_kwargs", "algo")


def require(condition: object, message: str) -> None:
    """A ConfigError with ``message`` unless ``condition``."""
    if not condition:
        raise ConfigError(message)


def checked(check: Callable[..., Any], value: Any, name: str, **bounds: Any) -> Any:
    """``check(value, name, **bounds)``, one of ``rl_envs.validation``'s (``integer``, ``real``, ...,
    which refuse ``true`` and ``"0.5"`` where a number is meant), its ValueError a ConfigError."""
    try:
        return check(value, name, **bounds)
    except ValueError as e:
        raise ConfigError(str(e)) from None


def _count(value, low: int) -> bool:
    # A plain int (bool is an int subclass, but ``eval_episodes: true`` is a mistake, not 1).
    return is_int(value) and value >= low


def agent_arguments(name: str) -> set[str]:
    """The keyword arguments a configuration may give agent ``name`` (not those a cell sets)."""
    if name in SB3_AGENTS:
        from ..sb3 import SB3Agent

        return class_arguments(SB3Agent, {"algo": SB3_AGENTS[name]}) - set(_SET_BY_THE_CELL)
    return class_arguments(AGENTS[name], {}) - set(_SET_BY_THE_CELL)


def _check_agent_arguments(where: str, name: str, kwargs: dict) -> None:
    valid = agent_arguments(name)
    for key in kwargs:
        require(key not in _SET_BY_THE_CELL, f"{where}: {name}'s {key} is set by the cell, not by its arguments")
        if key not in valid:
            close = closest_name(key, valid)
            hint = f" (did you mean {close!r}?)" if close else ""
            takes = f"its arguments: {', '.join(sorted(valid))}" if valid else "it takes none"
            raise ConfigError(f"{where}: {name} has no argument {key!r}{hint}; {takes}")


def cells_from_config(config: dict) -> list[Cell]:
    """Validate a configuration and expand it into cells; every error is found before any work.

    ``{"runs": [{"env": id, "steps": int, "seeds": int | [int], "eval_episodes": int,
    "env_kwargs": {}, "agents": {name: {kwargs}} | [name, ...], "settings": {name: text}}, ...]}``
    (``settings`` says where an agent's arguments come from, for the table); at most
    :data:`MAX_CELLS` cells, each once.
    """
    require(
        isinstance(config, dict) and isinstance(config.get("runs"), list) and config["runs"],
        "a configuration needs a non-empty list 'runs'",
    )
    cells, where_of = [], {}
    for i, run in enumerate(config["runs"]):
        where = f"runs[{i}]"
        require(isinstance(run, dict), f"{where} must be a table/mapping")
        unknown = set(run) - {
            "env",
            "steps",
            "seeds",
            "eval_episodes",
            "eval_at",
            "env_kwargs",
            "agents",
            "measure",
            "settings",
        }
        require(not unknown, f"{where}: unknown keys {sorted(unknown)}")
        env = run.get("env")
        require(
            isinstance(env, str) and env in gym.registry,
            f"{where}: unknown environment {env!r}; registered rl_envs ids: {', '.join(rl_envs.ENV_IDS)}",
        )
        steps = checked(integer, run.get("steps"), f"{where}: steps")
        eval_episodes = checked(integer, run.get("eval_episodes", EPISODES_PER_CHECKPOINT), f"{where}: eval_episodes")
        env_kwargs = run.get("env_kwargs", {})
        require(isinstance(env_kwargs, dict), f"{where}: env_kwargs must be a mapping")
        eval_at = evaluation_steps(run.get("eval_at", []), steps, where)
        measure = run.get("measure", {})
        check_measure(measure, where)
        require(not (measure and eval_at), f"{where}: a measure replaces the evaluation, so it takes no eval_at")
        agents = run.get("agents")
        if isinstance(agents, list):
            agents = {name: {} for name in agents}
        require(isinstance(agents, dict) and agents, f"{where}: agents must be a non-empty list or mapping")
        for name, kwargs in agents.items():
            require(
                name in known_agents(), f"{where}: unknown agent {name!r}; known agents: {', '.join(known_agents())}"
            )
            require(
                name not in SB3_AGENTS or importlib.util.find_spec("stable_baselines3"),
                f"{where}: {name} is a Stable-Baselines3 agent, and Stable-Baselines3 is not installed: "
                "pip install 'rl_envs[sb3]'",
            )
            # SB3Agent.learn trains a fresh model each call, so it cannot stop at a checkpoint and go on.
            require(
                not (measure and name in SB3_AGENTS and measure["name"] not in FOR_SB3),
                f"{where}: the measure {measure.get('name')} needs a reference agent, not {name} "
                f"(an SB3 agent takes only {', '.join(sorted(FOR_SB3))})",
            )
            require(
                not (eval_at and name in SB3_AGENTS),
                f"{where}: eval_at needs a reference agent, not {name} "
                "(an SB3 model cannot be paused at a checkpoint and go on)",
            )
            require(isinstance(kwargs, dict), f"{where}: the keyword arguments of {name} must be a mapping")
            _check_agent_arguments(where, name, kwargs)
        # A run whose agents were filtered may keep the others' labels; a name no agent has is a typo.
        settings = run.get("settings", {})
        require(
            isinstance(settings, dict)
            and set(settings) <= set(known_agents())
            and all(isinstance(text, str) for text in settings.values()),
            f"{where}: settings must map agents' names to texts, got {settings!r}",
        )
        seeds = run.get("seeds", 3)
        require(
            _count(seeds, 1) or (isinstance(seeds, list) and seeds and all(_count(s, 0) for s in seeds)),
            f"{where}: seeds must be a positive count or a list of non-negative ints, got {seeds!r}",
        )
        n_seeds = len(seeds) if isinstance(seeds, list) else int(seeds)
        total = len(cells) + n_seeds * len(agents)
        require(
            total <= MAX_CELLS,
            f"{where}: the grid reaches {total:,} cells ({n_seeds:,} seeds x {len(agents)} "
            f"agent(s)); a comparison is limited to {MAX_CELLS:,} cells (split it into several)",
        )
        require(
            isinstance(seeds, list) or n_seeds <= len(TRAINING),
            f"{where}: a count of seeds takes the training seeds 0, 1, ...: at most {len(TRAINING)}, got {seeds}",
        )
        seeds = [int(s) for s in seeds] if isinstance(seeds, list) else list(range(int(seeds)))
        for seed in seeds:
            checked(role, seed, f"{where}: seed")
        repeated = sorted(s for s, n in Counter(seeds).items() if n > 1)
        require(not repeated, f"{where}: seeds repeat {', '.join(map(str, repeated))} (each seed is one cell)")
        for name, kwargs in agents.items():
            for seed in seeds:
                cell = Cell(
                    env,
                    name,
                    seed,
                    steps,
                    dict(env_kwargs),
                    dict(kwargs),
                    eval_episodes,
                    list(eval_at),
                    dict(measure),
                    settings.get(name, ""),
                )
                require(
                    cell.key not in where_of,
                    f"{where} repeats the cell {env} {name} seed {seed} of {where_of.get(cell.key)}",
                )
                where_of[cell.key] = where
                cells.append(cell)
    return cells


def check_measure(measure: Any, where: str = "cell") -> None:
    """A cell's ``measure``: empty, or ``{"name": a registered measure, **its arguments}``."""
    require(isinstance(measure, dict), f"{where}: measure must be a mapping {{name = ..., arguments...}}")
    if not measure:
        return
    name = measure.get("name")
    require(name in MEASURES, f"{where}: unknown measure {name!r}; registered measures: {', '.join(sorted(MEASURES))}")
    unknown = set(measure) - {"name"} - measure_arguments(name)
    require(
        not unknown,
        f"{where}: the measure {name} has no argument(s) {sorted(unknown)}; "
        f"its arguments: {', '.join(sorted(measure_arguments(name))) or 'none'}",
    )
    missing = measure_arguments(name, required=True) - set(measure)
    require(not missing, f"{where}: the measure {name} needs the argument(s) {sorted(missing)}")


def evaluation_steps(spec: Any, steps: int, where: str) -> list[int]:
    """``eval_at`` as a sorted list of steps below the budget: a list of steps, or
    ``{logspace = [first, last, points]}``, points log-spaced from first to last, rounded, each once
    (as Silver et al. 2014, Fig. 1, sample the cost on a log time axis)."""
    if isinstance(spec, dict):
        require(
            set(spec) == {"logspace"},
            f"{where}: eval_at must be a list of steps or {{logspace = [first, last, points]}}",
        )
        lo_hi_n = spec["logspace"]
        require(
            isinstance(lo_hi_n, list)
            and len(lo_hi_n) == 3
            and all(_count(v, 1) for v in lo_hi_n)
            and lo_hi_n[0] <= lo_hi_n[1],
            f"{where}: eval_at.logspace must be [first, last, points], "
            f"positive ints with first <= last, got {lo_hi_n!r}",
        )
        import numpy as np

        lo, hi, n = lo_hi_n
        spec = np.unique(np.round(np.logspace(np.log10(lo), np.log10(hi), n)).astype(int)).tolist()
    require(
        isinstance(spec, list) and all(_count(s, 1) for s in spec),
        f"{where}: eval_at must be a list of positive step counts, got {spec!r}",
    )
    require(all(s <= steps for s in spec), f"{where}: eval_at goes past the budget of {steps} steps")
    return sorted({int(s) for s in spec})


def load_config(path: str | Path) -> dict:
    """Read a TOML or YAML configuration file."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"no configuration file {path}")
    text = path.read_text()
    if path.suffix == ".toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: {e}") from None
    if path.suffix in (".yml", ".yaml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: {e}") from None
    raise ConfigError(f"{path}: the configuration must be .toml, .yml or .yaml")
