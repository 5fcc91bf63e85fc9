"""Running a comparison: one cell (:func:`run_cell`), the backends that run many, and the
whole run (:func:`compare`), which keeps every finished cell in ``<out>/cells/`` at once.

A run that stops resumes where it stopped when given the same output folder.  Ctrl-C stops a
run at once: queued and running cells are cancelled, finished ones are kept.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import gymnasium as gym

from rl_envs.validation import integer

from ..episodes import EpisodeEnds
from ..evaluation import evaluate, exact_optimum, fraction_of_optimum
from ..io import atomic_write_bytes
from ..provenance import Provenance
from ..registry import AGENTS
from ..seeds import checkpoint_test_seeds
from .config import SB3_AGENTS, Cell
from .measures import run_measure
from .report import write_outputs
from .store import OutputError, check_writable, describe_cell, move_aside, read_cell, warn


def make_agent(name: str, env_id: str, env_kwargs: dict, seed: int, agent_kwargs: dict) -> Any:
    if name in SB3_AGENTS:
        from ..sb3 import SB3Agent

        return SB3Agent(env_id, algo=SB3_AGENTS[name], seed=seed, env_kwargs=env_kwargs, **agent_kwargs)
    return AGENTS[name](EpisodeEnds(gym.make(env_id, **env_kwargs)), seed=seed, **agent_kwargs)


# -- running one cell -----------------------------------------------------------------------------


def _eval_env(agent, cell: Cell, render_mode=None):
    maker = getattr(agent, "make_eval_env", None)
    if maker is not None:
        return maker(render_mode)
    # An env whose seeded reset draws a new problem (the bandit's C) is evaluated on the one the
    # agent learned, not on the one the evaluation seed would draw.
    problem = getattr(agent.env.unwrapped, "problem_kwargs", dict)()
    return gym.make(cell.env, render_mode=render_mode, **{**cell.env_kwargs, **problem})


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
    images = [Image.fromarray(np.asarray(f)) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return buf.getvalue()


def run_cell(cell: Cell, film: bool = True) -> dict:
    """Train, evaluate and film one cell (no GIF unless ``film``), or train and measure it if it
    names a measure (:func:`measured_cell`).  A pure function of the cell (any backend may call it)."""
    if cell.measure:
        return measured_cell(cell)
    stages = cell_stages(cell, film)
    while True:
        try:
            next(stages)
        except StopIteration as done:
            return done.value


def cell_stages(cell: Cell, film: bool = True) -> Generator[tuple[int, float], None, dict]:
    """Train and evaluate one cell, yielding ``(steps, evaluation return)`` at each step count of
    ``cell.eval_at`` and returning the cell's record (the GIF left empty unless ``film``).

    Between checkpoints the agent learns on (the protocol's ``learn`` continues where the last
    call stopped), so a cell with checkpoints trains exactly as one without; a sweep advances
    the generators of several seeds in turn and stops one early without finishing it.
    """
    agent = make_agent(cell.agent, cell.env, cell.env_kwargs, cell.seed, cell.agent_kwargs)
    wall, done, eval_env, evals, test_seeds = 0.0, 0, None, [], []
    for checkpoint, target in enumerate((*cell.eval_at, cell.steps)):
        if target > done:
            t0 = time.perf_counter()
            agent.learn(target - done)
            wall += time.perf_counter() - t0
            done = target
        eval_env = eval_env or _eval_env(agent, cell)
        seeds = checkpoint_test_seeds(cell.seed, checkpoint, cell.eval_episodes)
        test_seeds += seeds
        ret, std = evaluate(agent, eval_env, seeds=seeds)
        if len(evals) < len(cell.eval_at):
            evals.append(ret)
            yield target, ret
    if not math.isfinite(ret):  # a saved cell must hold a number the table can average
        raise ValueError(f"the evaluation return is {ret}, not a finite number")
    assert eval_env is not None  # the loop ran at least once (for cell.steps)
    row = _row(cell, ret, std, exact_optimum(eval_env), wall, test_seeds)
    log = _log(agent)
    ends = getattr(agent, "env", None)
    if isinstance(ends, EpisodeEnds) and len(ends.terminated) == len(log["end_steps"]):
        log["terminated"] = ends.terminated
    if cell.eval_at:
        log.update(eval_steps=list(cell.eval_at), eval_returns=evals)
    gif = base64.b64encode(_rollout_gif(agent, cell)).decode() if film else ""
    return {"cell": cell.as_dict(), "row": row, "log": log, "gif": gif}


def cell_test_seeds(cell: Cell) -> list[int]:
    """The seeds of the test episodes :func:`cell_stages` plays for ``cell``, in order: its
    ``eval_episodes`` at each of ``eval_at`` and at the end (:mod:`baselines.seeds`)."""
    return [s for c in range(len(cell.eval_at) + 1) for s in checkpoint_test_seeds(cell.seed, c, cell.eval_episodes)]


def measured_cell(cell: Cell) -> dict:
    """The record of a cell that names a measure (:mod:`.measures`): its row holds the measure's
    headline return, its log the agent's training episodes, ``"measurements"`` the measure's own
    JSON result; no GIF (the measure owns the agent's environments)."""
    t0 = time.perf_counter()
    measured = run_measure(cell)
    row = _row(cell, measured.ret, measured.ret_std, measured.optimum, time.perf_counter() - t0, measured.test_seeds)
    return {
        "cell": cell.as_dict(),
        "row": row,
        "log": _log(measured.agent),
        "gif": "",
        "measurements": measured.measurements,
    }


def _row(
    cell: Cell, ret: float | None, std: float | None, optimum: float | None, wall: float, test_seeds: list[int]
) -> dict:
    """The cell's row; ``seed`` is its training seed, ``test_seeds`` the seeds of every test
    episode its numbers come from (:mod:`baselines.seeds`), in the order they were played."""
    return {
        "env": cell.env,
        "agent": cell.agent,
        "seed": cell.seed,
        "steps": cell.steps,
        "return": ret,
        "return_std": std,
        "optimum": optimum,
        "fraction_of_optimum": None if ret is None else fraction_of_optimum(ret, optimum),
        "wall_time_s": wall,
        "env_kwargs": json.dumps(cell.env_kwargs, sort_keys=True),
        "agent_kwargs": json.dumps(cell.agent_kwargs, sort_keys=True),
        "test_seeds": test_seeds,
    }


def _log(agent) -> dict:
    """The training episodes (none for a policy that does not learn)."""
    episodes = getattr(agent, "episodes", None)
    if episodes is None:
        return {"end_steps": [], "returns": []}
    return {"end_steps": list(episodes.end_steps), "returns": list(episodes.returns)}


# -- backends -------------------------------------------------------------------------------------


class SerialBackend:
    """Runs cells one after another in this process."""

    def map(self, fn: Callable[[Cell], dict], cells: list[Cell]) -> Iterator[tuple[Cell, dict | BaseException]]:
        for cell in cells:
            try:
                yield cell, fn(cell)
            except Exception as e:  # a failed cell is reported, the others still run
                yield cell, e


def limit_threads(n: int = 1) -> None:
    """Let this process's torch and numba use ``n`` threads: a backend already runs one cell on
    each of its cores."""
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    # The octopus' vector kernel is multi-threaded (compiled, or numba where it is missing); its
    # threads, one set per worker, waited on each other at every step (SAC on the arm: 617 s a
    # cell instead of 72 s at load 4).
    import numba

    from rl_envs.octopus import physics

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))  # pyright: ignore[reportPrivateImportUsage, reportAttributeAccessIssue] - numba sets its config at run time
    physics.set_default_threads(n)


def _worker_init() -> None:
    limit_threads(1)
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
        self.workers = integer(workers, "workers")

    def map(self, fn: Callable[[Cell], dict], cells: list[Cell]) -> Iterator[tuple[Cell, dict | BaseException]]:
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


def compare(
    cells: list[Cell], out: str | Path, backend: Any = None, progress_bar: bool = True, outputs: bool = True
) -> RunResult:
    """Run the cells not already finished in ``out``, then write every output from all of them
    (unless not ``outputs``: a caller that draws its own figure only needs the cells).

    A cell file that is unreadable, invalid or holds another cell is named in a warning, moved to
    ``cells/corrupt/`` and its cell run again.  Ctrl-C raises :class:`Interrupted` once every
    cell that had finished is saved (cells still running are stopped; a resumed run reruns them).
    """
    provenance = Provenance()
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
        expected = json.loads(json.dumps(cell.as_dict()))  # tuples in the arguments read back as lists
        if record is not None and record["cell"] != expected:
            problem = f"holds the cell {describe_cell(record['cell'])}, not {describe_cell(expected)} as its name says"
        if problem:
            warn(f"{path}: {problem}; moved to {move_aside(path)}, the cell reruns")
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
    if rows and outputs:
        write_outputs(
            ordered, out, provenance, cells={"ran": len(todo) - len(failed), "reused": reused, "failed": len(failed)}
        )
    return RunResult(rows, failed, len(todo) - len(failed), reused)
