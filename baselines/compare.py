"""Compare reference agents with Stable-Baselines3 over a grid of independent cells.

A cell is (environment, agent, seed, budget, keyword arguments).  Cells run on a backend
(in-process, or a local process pool; anything with the same ``map`` could run them on a
cluster), and every finished cell is written atomically to ``<out>/cells/`` at once, so a run
that stops resumes where it stopped when given the same output folder.  Ctrl-C stops a run at
once: queued and running cells are cancelled, finished ones are kept.  A cell file read back is
checked against what :func:`run_cell` writes; a bad one is named, moved to ``cells/corrupt/`` and
run again.  Configurations are checked whole (agent arguments against the agents' signatures,
seeds, at most :data:`MAX_CELLS` cells) and the output folder for writing, before any cell runs.

Outputs: ``results.csv`` / ``results.json`` (one row a cell), ``summary.md`` (mean return and
fraction of the exact optimum per env and agent), ``curves/<env>.png`` (mean episode return
against environment steps with a 95 % band over seeds) and ``gifs/<env>.gif`` (a rollout of
the best cell's policy).
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import io
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import gymnasium as gym

import rl_envs

from .common import atomic_write_bytes
from . import common, experiment
from .linear.settings import LQ_REINFORCE_IMPROVED, OCTOPUS_COPDAC_Q

SB3_AGENTS = {"A2C": "a2c", "DQN": "dqn", "PPO": "ppo", "SAC": "sac", "TD3": "td3"}


def known_agents() -> list[str]:
    return sorted(experiment.AGENTS) + sorted(SB3_AGENTS)


def make_agent(name: str, env_id: str, env_kwargs: dict, seed: int, agent_kwargs: dict):
    if name in SB3_AGENTS:
        from .sb3 import SB3Agent

        return SB3Agent(env_id, algo=SB3_AGENTS[name], seed=seed, env_kwargs=env_kwargs, **agent_kwargs)
    return experiment.AGENTS[name](gym.make(env_id, **env_kwargs), seed=seed, **agent_kwargs)


@dataclass
class Cell:
    env: str
    agent: str
    seed: int
    steps: int
    env_kwargs: dict = field(default_factory=dict)
    agent_kwargs: dict = field(default_factory=dict)
    eval_episodes: int = 5

    @property
    def key(self) -> str:
        """The cell's file name: everything that decides its result (a resumed run reuses a cell
        only when all of it is the same)."""
        extra = json.dumps([self.env_kwargs, self.agent_kwargs, self.steps, self.eval_episodes], sort_keys=True)
        return f"{self.env.replace('/', '_')}__{self.agent}__{digest(extra)}__seed{self.seed}"


def digest(text: str) -> str:
    """Eight digits from ``text``, the same in every process (Python's ``hash`` of a str is
    salted per process)."""
    import zlib

    return f"{zlib.crc32(text.encode()) % 10**8:08d}"


class ConfigError(ValueError):
    """A comparison configuration that cannot run."""


# Far more than any grid this machine could finish, and few enough to hold in memory (a cell is
# about a kilobyte): a typo such as ``seeds = 100000000`` is an error, not an out-of-memory crash.
MAX_CELLS = 100_000
# Arguments every cell sets itself, whatever a configuration says.
_SET_BY_THE_CELL = ("env", "seed", "env_kwargs", "algo")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def _is_int(value, low: int) -> bool:
    # bool is an int subclass, but ``eval_episodes: true`` is a mistake, not 1.
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def agent_arguments(name: str) -> set[str]:
    """The keyword arguments a configuration may give agent ``name`` (not those a cell sets)."""
    if name in SB3_AGENTS:
        from .sb3 import SB3Agent

        return common.agent_arguments(SB3Agent, {"algo": SB3_AGENTS[name]}) - set(_SET_BY_THE_CELL)
    return common.agent_arguments(experiment.AGENTS[name], {}) - set(_SET_BY_THE_CELL)


def _check_agent_arguments(where: str, name: str, kwargs: dict) -> None:
    valid = agent_arguments(name)
    for key in kwargs:
        _check(key not in _SET_BY_THE_CELL, f"{where}: {name}'s {key} is set by the cell, not by its arguments")
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            takes = f"its arguments: {', '.join(sorted(valid))}" if valid else "it takes none"
            raise ConfigError(f"{where}: {name} has no argument {key!r}{hint}; {takes}")


def cells_from_config(config: dict) -> list[Cell]:
    """Validate a configuration and expand it into cells; every error is found before any work.

    ``{"runs": [{"env": id, "steps": int, "seeds": int | [int], "eval_episodes": int,
    "env_kwargs": {}, "agents": {name: {kwargs}} | [name, ...]}, ...]}``; at most
    :data:`MAX_CELLS` cells, each once.
    """
    _check(isinstance(config, dict) and isinstance(config.get("runs"), list) and config["runs"],
           "a configuration needs a non-empty list 'runs'")
    cells, where_of = [], {}
    for i, run in enumerate(config["runs"]):
        where = f"runs[{i}]"
        _check(isinstance(run, dict), f"{where} must be a table/mapping")
        unknown = set(run) - {"env", "steps", "seeds", "eval_episodes", "env_kwargs", "agents"}
        _check(not unknown, f"{where}: unknown keys {sorted(unknown)}")
        env = run.get("env")
        _check(isinstance(env, str) and env in gym.registry,
               f"{where}: unknown environment {env!r}; registered rl_envs ids: {', '.join(rl_envs.ENV_IDS)}")
        steps = run.get("steps")
        _check(_is_int(steps, 1), f"{where}: steps must be a positive int, got {steps!r}")
        eval_episodes = run.get("eval_episodes", 5)
        _check(_is_int(eval_episodes, 1), f"{where}: eval_episodes must be a positive int, got {eval_episodes!r}")
        env_kwargs = run.get("env_kwargs", {})
        _check(isinstance(env_kwargs, dict), f"{where}: env_kwargs must be a mapping")
        agents = run.get("agents")
        if isinstance(agents, list):
            agents = {name: {} for name in agents}
        _check(isinstance(agents, dict) and agents, f"{where}: agents must be a non-empty list or mapping")
        for name, kwargs in agents.items():
            _check(name in known_agents(), f"{where}: unknown agent {name!r}; known agents: {', '.join(known_agents())}")
            _check(isinstance(kwargs, dict), f"{where}: the keyword arguments of {name} must be a mapping")
            _check_agent_arguments(where, name, kwargs)
        seeds = run.get("seeds", 3)
        _check(_is_int(seeds, 1) or (isinstance(seeds, list) and seeds and all(_is_int(s, 0) for s in seeds)),
               f"{where}: seeds must be a positive count or a list of non-negative ints, got {seeds!r}")
        n_seeds = seeds if isinstance(seeds, int) else len(seeds)
        total = len(cells) + n_seeds * len(agents)
        _check(total <= MAX_CELLS, f"{where}: the grid reaches {total:,} cells ({n_seeds:,} seeds x {len(agents)} "
                                   f"agent(s)); a comparison is limited to {MAX_CELLS:,} cells (split it into several)")
        seeds = list(range(seeds)) if isinstance(seeds, int) else seeds
        repeated = sorted(s for s, n in Counter(seeds).items() if n > 1)
        _check(not repeated, f"{where}: seeds repeat {', '.join(map(str, repeated))} (each seed is one cell)")
        for name, kwargs in agents.items():
            for seed in seeds:
                cell = Cell(env, name, seed, steps, dict(env_kwargs), dict(kwargs), eval_episodes)
                _check(cell.key not in where_of,
                       f"{where} repeats the cell {env} {name} seed {seed} of {where_of.get(cell.key)}")
                where_of[cell.key] = where
                cells.append(cell)
    return cells


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


# -- running one cell -----------------------------------------------------------------------------


def _eval_env(agent, cell: Cell, render_mode=None):
    maker = getattr(agent, "make_eval_env", None)
    if maker is not None:
        return maker(render_mode)
    return gym.make(cell.env, render_mode=render_mode, **cell.env_kwargs)


def _rollout_gif(agent, cell: Cell, max_frames: int = 200) -> bytes:
    from PIL import Image

    env = _eval_env(agent, cell, "rgb_array")
    obs, _ = env.reset(seed=20_000 + cell.seed)
    frames, done = [env.render()], False
    while not done and len(frames) < max_frames:
        action, _ = agent.predict(obs, deterministic=True)
        obs, _, terminated, truncated, _ = env.step(action)
        frames.append(env.render())
        done = terminated or truncated
    fps = env.metadata.get("render_fps", 10)
    env.close()
    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return buf.getvalue()


def run_cell(cell: Cell) -> dict:
    """Train, evaluate and film one cell.  A pure function of the cell (any backend may call it)."""
    agent = make_agent(cell.agent, cell.env, cell.env_kwargs, cell.seed, cell.agent_kwargs)
    t0 = time.perf_counter()
    agent.learn(cell.steps)
    wall = time.perf_counter() - t0
    eval_env = _eval_env(agent, cell)
    ret, std = experiment.evaluate(agent, eval_env, cell.eval_episodes, seed=10_000 + cell.seed)
    if not math.isfinite(ret):  # a saved cell must hold a number the table can average
        raise ValueError(f"the evaluation return is {ret}, not a finite number")
    optimum = experiment.exact_optimum(eval_env)
    row = {
        "env": cell.env, "agent": cell.agent, "seed": cell.seed, "steps": cell.steps,
        "return": ret, "return_std": std, "optimum": optimum,
        "fraction_of_optimum": fraction_of_optimum(ret, optimum), "wall_time_s": wall,
        "env_kwargs": json.dumps(cell.env_kwargs, sort_keys=True),
        "agent_kwargs": json.dumps(cell.agent_kwargs, sort_keys=True),
    }
    log = {"end_steps": agent.episodes.end_steps, "returns": agent.episodes.returns}
    gif = base64.b64encode(_rollout_gif(agent, cell)).decode()
    return {"cell": asdict(cell), "row": row, "log": log, "gif": gif}


def fraction_of_optimum(ret: float, optimum: float | None) -> float | None:
    """1 at the optimum, smaller when worse: ``ret/opt`` for a positive optimum, ``opt/ret`` for
    a negative one (a cost); undefined for an optimum of 0 or a return of the wrong sign."""
    if optimum is None or optimum == 0 or not math.isfinite(ret):
        return None
    if optimum > 0:
        return ret / optimum
    return optimum / ret if ret < 0 else None


# -- backends -------------------------------------------------------------------------------------


class SerialBackend:
    """Runs cells one after another in this process."""

    def map(self, fn, cells: list[Cell]) -> Iterator[tuple[Cell, dict | BaseException]]:
        for cell in cells:
            try:
                yield cell, fn(cell)
            except Exception as e:  # a failed cell is reported, the others still run
                yield cell, e


def _worker_init() -> None:
    # One thread per worker: the pool already uses every core.
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    # On Linux, die with the parent: a killed run must not leave workers training orphaned cells.
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C within the block (only the main thread may change signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class ProcessPoolBackend:
    """Runs cells in a local pool of ``workers`` processes, yielding them as they finish.

    On Ctrl-C, queued cells are cancelled and running ones stopped at once (a cell can take
    minutes, too long to wait for); the cells that had finished are yielded, then the
    KeyboardInterrupt goes on.
    """

    def __init__(self, workers: int):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers

    def map(self, fn, cells: list[Cell]) -> Iterator[tuple[Cell, dict | BaseException]]:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        before = set(mp.active_children())
        pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=_worker_init)
        # The workers start while SIGINT is ignored, and a Python started so installs no
        # KeyboardInterrupt handler: Ctrl-C reaches the whole process group, and only this process
        # acts on it (no traceback from every worker, even one still importing).
        with _sigint_ignored():
            futures = {pool.submit(fn, cell): cell for cell in cells}
        workers = set(mp.active_children()) - before
        handed = set()
        try:
            for fut in as_completed(futures):
                handed.add(fut)
                yield futures[fut], _outcome(fut)
        except BaseException as e:  # Ctrl-C, or the consumer stopped (GeneratorExit) or failed
            finished = [fut for fut in futures if fut.done() and not fut.cancelled() and fut not in handed]
            _stop(pool, workers)
            if isinstance(e, KeyboardInterrupt):
                for fut in finished:
                    yield futures[fut], _outcome(fut)
            raise
        pool.shutdown()


def _outcome(fut) -> dict | BaseException:
    exc = fut.exception()
    return exc if exc is not None else fut.result()


def _stop(pool, workers) -> None:
    """Cancel the queued cells and end the workers (a second Ctrl-C cannot cut this short and
    leave them running; it takes milliseconds)."""
    with _sigint_ignored():
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


# -- cell files -------------------------------------------------------------------------------------


def _is_number(x, finite: bool = True) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and (not finite or math.isfinite(x))


def _number(none: bool = False):
    return (lambda x: (none and x is None) or _is_number(x)), "a finite number" + (" or null" if none else "")


def _count(low: int):
    return (lambda x: _is_int(x, low)), f"an int >= {low}"


def _of_type(t: type):
    return (lambda x: isinstance(x, t)), {str: "a string", dict: "an object", list: "a list"}[t]


# What run_cell writes (rows written before agent_kwargs was recorded lack it; it reads as "{}").
_CELL_SCHEMA = {"env": _of_type(str), "agent": _of_type(str), "seed": _count(0), "steps": _count(1),
                "env_kwargs": _of_type(dict), "agent_kwargs": _of_type(dict), "eval_episodes": _count(1)}
_ROW_SCHEMA = {"env": _of_type(str), "agent": _of_type(str), "seed": _count(0), "steps": _count(1),
               "return": _number(), "return_std": _number(), "optimum": _number(none=True),
               "fraction_of_optimum": _number(none=True), "wall_time_s": _number(), "env_kwargs": _of_type(str)}
_LOG_SCHEMA = {"end_steps": _of_type(list), "returns": _of_type(list)}


def _schema_problem(obj, schema: dict, where: str) -> str | None:
    if not isinstance(obj, dict):
        return f"{where} is not an object"
    missing = sorted(set(schema) - set(obj))
    if missing:
        return f"{where} lacks {', '.join(missing)}"
    for key, (ok, what) in schema.items():
        if not ok(obj[key]):
            return f"{where}.{key} is {str(obj[key])[:40]!r}, not {what}"
    return None


def record_problem(record) -> str | None:
    """What makes ``record`` other than a finished cell as :func:`run_cell` writes it, or None."""
    if not isinstance(record, dict):
        return f"not a JSON object but a {type(record).__name__}"
    keys = {"cell", "row", "log", "gif"}
    if set(record) != keys:
        return f"has the keys {', '.join(sorted(record))}, not {', '.join(sorted(keys))}"
    for part, schema in (("cell", _CELL_SCHEMA), ("row", _ROW_SCHEMA), ("log", _LOG_SCHEMA)):
        problem = _schema_problem(record[part], schema, part)
        if problem:
            return problem
    cell, row, log = record["cell"], record["row"], record["log"]
    for key in ("env", "agent", "seed", "steps"):
        if row[key] != cell[key]:
            return f"row.{key} is {row[key]!r} but cell.{key} is {cell[key]!r}"
    for key in ("env_kwargs", "agent_kwargs"):
        text = json.dumps(cell[key], sort_keys=True)
        if row.get(key, text) != text:
            return f"row.{key} differs from cell.{key}"
    ends, returns = log["end_steps"], log["returns"]  # a diverging training episode may return inf
    if len(ends) != len(returns) or not all(_is_int(e, 0) for e in ends) or not all(_is_number(r, False) for r in returns):
        return "log must hold as many integer end_steps as numeric returns"
    try:
        base64.b64decode(record["gif"], validate=True)
    except (TypeError, ValueError):
        return "gif is not base64 text"
    return None


def read_cell(path: Path) -> tuple[dict | None, str | None]:
    """``(record, None)`` for a valid cell file, ``(None, problem)`` for any other."""
    try:
        record = json.loads(path.read_bytes())
    except OSError as e:
        return None, f"unreadable ({e.strerror or e})"
    except (ValueError, RecursionError) as e:  # JSON and UTF-8 decoding errors are ValueErrors
        return None, f"not JSON ({e})" if path.stat().st_size else "empty"
    problem = record_problem(record)
    return (None, problem) if problem else (record, None)


def _describe(cell: dict) -> str:
    return f"{cell['env']} {cell['agent']} seed {cell['seed']}"


def _move_aside(path: Path) -> Path:
    """Move a bad cell file to ``corrupt/`` next to it (never over an earlier one)."""
    target = path.parent / "corrupt" / path.name
    n = 0
    while target.exists():
        n += 1
        target = path.parent / "corrupt" / f"{path.name}.{n}"
    try:
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
    except OSError as e:
        raise OutputError(f"cannot move the bad cell {path} aside to {target}: {e.strerror or e}") from None
    return target


class OutputError(OSError):
    """A results folder that cannot be written."""


def check_writable(out: Path, folders=("cells", "curves", "gifs"), files=("results.csv", "results.json", "summary.md")) -> None:
    """Fail now, naming the path, if ``out`` cannot hold every output (before any cell trains)."""
    out = Path(out)
    for name in folders:
        folder = out / name
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"cannot write results to {out}: {existing} is not a directory")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as e:
            raise OutputError(f"cannot write results to {out}: {e.filename or folder}: {e.strerror or e}") from None
    for name in files:
        if (out / name).is_dir():
            raise OutputError(f"cannot write results to {out}: {out / name} is a directory")


# -- the whole run ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    rows: list[dict]
    failed: list[tuple[Cell, str]]
    ran: int
    reused: int


class Interrupted(Exception):
    """Ctrl-C stopped a run; ``saved`` of its ``total`` cells are in ``cell_dir``."""

    def __init__(self, saved: int, total: int, cell_dir: Path):
        super().__init__(f"{saved} of {total} cells are saved in {cell_dir}")
        self.saved, self.total, self.cell_dir = saved, total, cell_dir


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def compare(cells: list[Cell], out: str | Path, backend=None, progress_bar: bool = True) -> RunResult:
    """Run the cells not already finished in ``out``, then write every output from all of them.

    A cell file that is unreadable, invalid or holds another cell is named in a warning, moved to
    ``cells/corrupt/`` and its cell run again.  Ctrl-C raises :class:`Interrupted` once every
    cell that had finished is saved (cells still running are stopped; a resumed run reruns them).
    """
    out = Path(out)
    check_writable(out)
    cell_dir = out / "cells"
    records, todo = {}, []
    for cell in cells:
        path = cell_dir / f"{cell.key}.json"
        if not path.exists():
            todo.append(cell)
            continue
        record, problem = read_cell(path)
        expected = json.loads(json.dumps(asdict(cell)))  # tuples in the arguments read back as lists
        if record is not None and record["cell"] != expected:
            problem = f"holds the cell {_describe(record['cell'])}, not {_describe(expected)} as its name says"
        if problem:
            warn(f"{path}: {problem}; moved to {_move_aside(path)}, the cell reruns")
            todo.append(cell)
        else:
            records[cell.key] = record
    reused = len(records)
    backend = backend or SerialBackend()
    bar = None
    if progress_bar and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="cell", desc="cells")
    failed = []
    try:
        for cell, result in backend.map(run_cell, todo):
            if isinstance(result, BaseException):
                failed.append((cell, f"{type(result).__name__}: {result}"))
            else:
                path = cell_dir / f"{cell.key}.json"
                try:
                    atomic_write_bytes(path, json.dumps(result).encode())
                except OSError as e:  # e.g. the disk is full: stop, rather than train cells that cannot be kept
                    raise OutputError(f"cannot write the cell {path}: {e.strerror or e}") from None
                records[cell.key] = result
            if bar is not None:
                bar.update()
    except KeyboardInterrupt:
        raise Interrupted(len(records), len(cells), cell_dir) from None
    finally:
        if bar is not None:
            bar.close()
    ordered = [records[c.key] for c in cells if c.key in records]
    rows = [r["row"] for r in ordered]
    if rows:
        write_outputs(ordered, out)
    return RunResult(rows, failed, len(todo) - len(failed), reused)


def load_records(folders, envs=None, agents=None) -> list[dict]:
    """The finished cells of one or more results folders, merged (a cell found twice, under any
    file name, counts once), optionally only those of ``envs`` / ``agents``; ordered by env,
    agent, seed.  An invalid cell file is named in a warning and skipped."""
    records: dict[str, dict] = {}
    skipped = 0
    for folder in folders:
        cell_dir = Path(folder) / "cells"
        paths = sorted(cell_dir.glob("*.json"))
        if not paths:
            raise FileNotFoundError(f"{folder} holds no finished cells ({cell_dir}/*.json)")
        for path in paths:
            record, problem = read_cell(path)
            if problem:
                warn(f"{path}: {problem}; skipped")
                skipped += 1
            else:
                records.setdefault(json.dumps(record["cell"], sort_keys=True), record)
    if not records:
        raise ValueError(f"no valid cells in {', '.join(map(str, folders))} ({skipped} skipped)")
    chosen = [r for r in records.values()
              if (not envs or r["row"]["env"] in envs) and (not agents or r["row"]["agent"] in agents)]
    if not chosen:
        raise ValueError(f"no cell matches envs={envs} agents={agents}")
    return sorted(chosen, key=lambda r: (r["row"]["env"], r["row"]["agent"], r["row"]["seed"]))


def write_outputs(records: list[dict], out: Path) -> None:
    rows = [r["row"] for r in records]
    experiment.write_table(rows, out)
    lines = summary_table(rows)
    atomic_write_bytes(out / "summary.md", ("\n".join(lines) + "\n").encode())
    by_env: dict[str, list[dict]] = {}
    for rec, (env, agent) in zip(records, group_labels(rows)):
        by_env.setdefault(env, []).append({**rec, "row": {**rec["row"], "agent": agent}})
    for label, recs in by_env.items():
        name = file_name(recs[0]["row"]["env"], recs[0]["row"]["env_kwargs"], label)
        experiment.plot_learning_curves(recs, out / "curves" / f"{name}.png")
        best = max(recs, key=lambda r: r["row"]["return"])
        atomic_write_bytes(out / "gifs" / f"{name}.gif", base64.b64decode(best["gif"]))


README_MARKERS = ("<!-- compare-table:start -->", "<!-- compare-table:end -->")


def splice_table(path: str | Path, lines: list[str]) -> None:
    """Put the table ``lines`` between the README_MARKERS comments of the Markdown file ``path``
    (replacing what was there), so that a README's table comes from a run, not a copy by hand."""
    path = Path(path)
    text = path.read_text()
    start, end = README_MARKERS
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{path} has no {start!r} ... {end!r} pair to put the table between")
    i += len(start)
    atomic_write_bytes(path, (text[:i] + "\n" + "\n".join(lines) + "\n" + text[j:]).encode())


def group_labels(rows: list[dict]) -> list[tuple[str, str]]:
    """``(environment, agent)`` label of each row: the id and the agent's name, with the env's
    keyword arguments, the agent's keyword arguments or the budget added where the rows hold
    several of them (so that different settings are never averaged together)."""
    env_variants: dict[str, set] = {}
    agent_variants: dict[tuple, set] = {}
    for r in rows:
        env_variants.setdefault(r["env"], set()).add(r["env_kwargs"])
        agent_variants.setdefault((r["env"], r["env_kwargs"], r["agent"]), set()).add(
            (r.get("agent_kwargs", "{}"), r["steps"]))
    labels = []
    for r in rows:
        env = r["env"] if len(env_variants[r["env"]]) == 1 else f"{r['env']} {r['env_kwargs']}"
        variants = agent_variants[r["env"], r["env_kwargs"], r["agent"]]
        agent = r["agent"]
        if len({kw for kw, _ in variants}) > 1:
            agent += f" {r.get('agent_kwargs', '{}')}"
        if len({steps for _, steps in variants}) > 1:
            agent += f" ({r['steps']:,} steps)"
        labels.append((env, agent))
    return labels


def file_name(env_id: str, env_kwargs: str, label: str) -> str:
    """A short, safe file name for an environment label; a label with arguments gets a digest of
    them, so that two argument sets never share a file."""
    base = env_id.replace("/", "_")
    if label == env_id:
        return base
    readable = re.sub(r"[^A-Za-z0-9_.=-]+", "_", env_kwargs).strip("_")[:40]
    return f"{base}_{readable}_{digest(env_kwargs)}"


def summary_table(rows: list[dict]) -> list[str]:
    """Markdown: per environment and agent (with their settings where they differ), seeds, budget,
    mean ± sd return, optimum, fraction, wall time."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r, label in zip(rows, group_labels(rows)):
        groups.setdefault(label, []).append(r)
    lines = ["| environment | agent | seeds | steps | return (mean ± sd) | exact optimum | fraction of optimum | wall time / seed (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for (env, agent), rs in groups.items():
        rets = np.array([r["return"] for r in rs])
        opt = rs[0]["optimum"]
        fracs = [r["fraction_of_optimum"] for r in rs if r["fraction_of_optimum"] is not None]
        env, agent = (text.replace("|", "\\|") for text in (env, agent))  # a wall-layout text has bars
        lines.append(
            f"| {env} | {agent} | {len(rs)} | {rs[0]['steps']:,} | {rets.mean():.4g} ± {rets.std():.2g} | "
            f"{'n/a' if opt is None else f'{opt:.4g}'} | {f'{np.mean(fracs):.3f}' if fracs else 'n/a'} | "
            f"{np.mean([r['wall_time_s'] for r in rs]):.1f} |")
    return lines


# The embedded default: every environment with its reference agent(s) and SB3 counterparts,
# sized to finish within 15 minutes on a 2-core machine with 2 workers.  Reference agents get
# the settings their experiments established (experiments/*.py); SB3 the zoo-format defaults.
DEFAULT_CONFIG = {
    "runs": [
        {"env": "rl_envs/GridMaze-v0", "env_kwargs": {"layout": "dyna_maze"}, "steps": 20_000, "seeds": 3,
         "agents": {"QLearning": {}, "DQN": {}, "PPO": {}}},
        {"env": "rl_envs/QuadraticBandit-v0", "env_kwargs": {"dim": 10}, "steps": 3_000, "seeds": 3,
         "agents": {"COPDACB": {}, "SAC": {}}},
        {"env": "rl_envs/LQControl-v0", "env_kwargs": {"horizon": 100}, "steps": 30_000, "seeds": 3,
         "agents": {"LinearReinforce": LQ_REINFORCE_IMPROVED, "PPO": {}}},
        {"env": "rl_envs/PartiallyObservableMaze-v0", "env_kwargs": {"layout": "hallway"}, "steps": 20_000, "seeds": 3,
         "eval_episodes": 20, "agents": {"QMDP": {}, "PPO": {}}},
        {"env": "rl_envs/OctopusArm-v0", "steps": 3_000, "seeds": 2, "eval_episodes": 1,
         "agents": {"COPDACQ": OCTOPUS_COPDAC_Q, "SAC": {}}},
    ]
}
