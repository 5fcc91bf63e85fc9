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
import pickle
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import gymnasium as gym

from rl_envs.core import Reference
from rl_envs.validation import integer

from ..episodes import EpisodeEnds
from ..evaluation import Diverged, evaluate, reference_columns, reference_notes, reference_of
from ..interrupts import Interrupted, sigterm_held
from ..io import atomic_write_bytes
from ..provenance import Provenance
from ..registry import AGENTS
from ..seeds import checkpoint_test_seeds
from .config import SB3_AGENTS, Cell
from .costs import CostTable, cell_name, duration, load_costs, slowdown
from .measures import run_measure
from .report import write_outputs
from .store import OutputError, check_writable, describe_cell, folder_lock, move_aside, read_cell, warn


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


def cell_stages(
    cell: Cell, film: bool = True, stop_if_diverged: bool = False
) -> Generator[tuple[int, float], None, dict]:
    """Train and evaluate one cell, yielding ``(steps, evaluation return)`` at each step count of
    ``cell.eval_at`` and returning the cell's record (the GIF left empty unless ``film``).

    Between checkpoints the agent learns on (the protocol's ``learn`` continues where the last
    call stopped), so a cell with checkpoints trains exactly as one without; a sweep advances
    the generators of several seeds in turn and stops one early without finishing it.  With
    ``stop_if_diverged``, an evaluation that diverges (:class:`~baselines.evaluation.Diverged`:
    a return that is not finite, or an episode ended at the environment's divergence bound)
    raises at once; without, only a final return that is not finite does (a saved cell must
    hold a number the table can average).
    """
    cpu_started = time.process_time()
    agent = make_agent(cell.agent, cell.env, cell.env_kwargs, cell.seed, cell.agent_kwargs)
    wall, cpu, done, eval_env, evals, test_seeds = 0.0, 0.0, 0, None, [], []
    for checkpoint, target in enumerate((*cell.eval_at, cell.steps)):
        if target > done:
            t0, c0 = time.perf_counter(), time.process_time()
            agent.learn(target - done)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            done = target
        eval_env = eval_env or _eval_env(agent, cell)
        seeds = checkpoint_test_seeds(cell.seed, checkpoint, cell.eval_episodes)
        test_seeds += seeds
        last_infos: list[dict] = []
        ret, std = evaluate(agent, eval_env, seeds=seeds, last_infos=last_infos)
        diverged = sum(bool(info.get("diverged")) for info in last_infos)
        if stop_if_diverged and diverged:
            raise Diverged(
                f"{diverged} of {len(last_infos)} evaluation episodes after {target:,} steps reached "
                f"the divergence bound of {cell.env}"
            )
        if not math.isfinite(ret) and (stop_if_diverged or target == cell.steps):
            raise Diverged(f"the evaluation return after {target:,} steps is {ret}, not a finite number")
        if len(evals) < len(cell.eval_at):
            evals.append(ret)
            yield target, ret
    assert eval_env is not None  # the loop ran at least once (for cell.steps)
    row = _row(cell, ret, std, reference_of(eval_env), wall, test_seeds)
    log = _log(agent)
    ends = getattr(agent, "env", None)
    if isinstance(ends, EpisodeEnds) and len(ends.terminated) == len(log["end_steps"]):
        log["terminated"] = ends.terminated
    if cell.eval_at:
        log.update(eval_steps=list(cell.eval_at), eval_returns=evals)
    gif = base64.b64encode(_rollout_gif(agent, cell)).decode() if film else ""
    row.update(train_cpu_s=cpu, cell_cpu_s=time.process_time() - cpu_started)
    return {"cell": cell.as_dict(), "row": row, "log": log, "gif": gif}


def cell_test_seeds(cell: Cell) -> list[int]:
    """The seeds of the test episodes :func:`cell_stages` plays for ``cell``, in order: its
    ``eval_episodes`` at each of ``eval_at`` and at the end (:mod:`baselines.seeds`)."""
    return [s for c in range(len(cell.eval_at) + 1) for s in checkpoint_test_seeds(cell.seed, c, cell.eval_episodes)]


def measured_cell(cell: Cell) -> dict:
    """The record of a cell that names a measure (:mod:`.measures`): its row holds the measure's
    headline return, its log the agent's training episodes, ``"measurements"`` the measure's own
    JSON result; no GIF (the measure owns the agent's environments)."""
    t0, c0 = time.perf_counter(), time.process_time()
    measured = run_measure(cell)
    row = _row(cell, measured.ret, measured.ret_std, measured.reference, time.perf_counter() - t0, measured.test_seeds)
    cpu = time.process_time() - c0
    row.update(train_cpu_s=cpu, cell_cpu_s=cpu)  # a measure trains and measures in one
    return {
        "cell": cell.as_dict(),
        "row": row,
        "log": _log(measured.agent),
        "gif": "",
        "measurements": measured.measurements,
    }


# The columns of a row that depend on the machine and its load, not on the cell: two runs of a
# cell agree on every other column, bit for bit.
TIMINGS = ("wall_time_s", "train_cpu_s", "cell_cpu_s")


def _row(
    cell: Cell, ret: float | None, std: float | None, ref: Reference | None, wall: float, test_seeds: list[int]
) -> dict:
    """A cell's row: its return, the environment's reference columns (the reference, its bounds,
    the baseline policy's value and the normalized score, see
    :func:`~baselines.evaluation.reference_columns`) and what they are of (the baseline's name
    and the reference's discount, :func:`~baselines.evaluation.reference_notes`), its wall time and settings; ``seed`` is its
    training seed, ``test_seeds`` the seeds of every test episode its numbers come from
    (:mod:`baselines.seeds`), in the order they were played; ``settings`` where the arguments
    come from (the cell's label, e.g. ``tuned (20 trials)``); ``wall_time_s`` is the training
    time, and :func:`run_cell` adds the processor time of the training (``train_cpu_s``) and of
    the whole cell (``cell_cpu_s``), which the cost model reads (:mod:`.costs`)."""
    return {
        "env": cell.env,
        "agent": cell.agent,
        "settings": cell.settings,
        "seed": cell.seed,
        "steps": cell.steps,
        "return": ret,
        "return_std": std,
        **reference_columns(ret, ref),
        **reference_notes(ref),
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
    """Runs cells one after another in this process (``started(cell)``, if given, as each starts)."""

    workers = 1

    def map(
        self, fn: Callable[[Cell], dict], cells: list[Cell], started: Callable[[Cell], None] | None = None
    ) -> Iterator[tuple[Cell, dict | BaseException]]:
        for cell in cells:
            if started is not None:
                started(cell)
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


def _worker(conn: Connection, fn: Callable[[Cell], dict]) -> None:
    """A pool worker: run the cells the parent sends, send back each record (or the exception the
    cell raised), until the parent closes its end.  A parent that dies while this worker still
    imports (before the death signal above is set) closes that end too, so no worker outlives it."""
    _worker_init()
    while True:
        try:
            cell = conn.recv()
        except EOFError:
            return
        try:
            outcome: dict | BaseException = fn(cell)
        except Exception as e:  # a failed cell is reported, the others still run
            outcome = e
        try:
            conn.send(outcome)
        except (TypeError, AttributeError, pickle.PicklingError):  # an exception that does not pickle
            conn.send(RuntimeError(f"{type(outcome).__name__}: {outcome}"))


class WorkerLost(RuntimeError):
    """The worker process running a cell died (killed, out of memory, a crash in compiled code)."""


def death_cause(exitcode: int | None) -> str:
    """Why a process ended, from its exit code (minus the signal number when a signal ended it)."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return f"killed by {name}, possibly out of memory" if -exitcode == signal.SIGKILL else f"killed by {name}"
    return f"exited with code {exitcode}"


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


@dataclass(eq=False)
class _Worker:
    process: Any  # a multiprocessing Process of the spawn context
    conn: Connection
    cell: Cell | None = None  # the cell it runs
    receiving: bool = False  # a Ctrl-C that cut a record in half leaves the rest unreadable


class ProcessPoolBackend:
    """Runs cells in a local pool of ``workers`` processes, yielding them as they finish.

    A worker that dies (the kernel's out-of-memory killer sends SIGKILL) costs only the cell it
    ran: the worker is replaced and the cell runs again, up to ``max_retries`` times (as the Ray
    back-end's tasks), after which the cell fails with :class:`WorkerLost` naming the cause; the
    other workers' cells go on.  On Ctrl-C, queued cells are cancelled and running ones stopped
    at once (a cell can take minutes, too long to wait for); the cells that had finished are
    yielded, then the KeyboardInterrupt goes on.  ``started(cell)``, if given, is called as each
    cell goes to a worker (again when it runs again).
    """

    def __init__(self, workers: int, max_retries: int = 3):
        self.workers = integer(workers, "workers")
        self.max_retries = integer(max_retries, "max_retries", low=0)

    def map(
        self, fn: Callable[[Cell], dict], cells: list[Cell], started: Callable[[Cell], None] | None = None
    ) -> Iterator[tuple[Cell, dict | BaseException]]:
        import multiprocessing as mp
        from multiprocessing.connection import wait

        context = mp.get_context("spawn")
        todo, lost = deque(cells), Counter[str]()
        pool: list[_Worker] = []

        def start() -> _Worker:
            ours, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, fn), daemon=True)
            # A worker started while SIGINT is ignored installs no KeyboardInterrupt handler: Ctrl-C
            # reaches the whole process group, and only this process acts on it (no traceback from
            # every worker, even one still importing).
            with _sigint_ignored():
                process.start()
            theirs.close()
            return _Worker(process, ours)

        try:
            while todo or any(w.cell is not None for w in pool):
                while todo and len(pool) < self.workers:
                    with sigterm_held():  # a SIGTERM while it starts stops the run once it is in the pool
                        pool.append(start())
                for w in pool:
                    if w.cell is None and todo:
                        w.cell = todo.popleft()
                        with contextlib.suppress(OSError):  # a dead worker: its sentinel says so below
                            w.conn.send(w.cell)
                        if started is not None:
                            started(w.cell)
                ready = set(wait([w.conn for w in pool] + [w.process.sentinel for w in pool]))
                for w in list(pool):
                    if w.conn in ready and w.cell is not None and (outcome := _receive(w)) is not None:
                        cell, w.cell = w.cell, None
                        yield cell, outcome
                        continue
                    if w.process.sentinel in ready or (w.conn in ready and w.cell is None):
                        w.process.join()
                        w.conn.close()
                        pool.remove(w)
                        if w.cell is not None:
                            failed = self._lost(w.cell, w.process.exitcode, lost)
                            if failed is None:
                                todo.appendleft(w.cell)
                            else:
                                yield w.cell, failed
        except BaseException as e:  # Ctrl-C, or the consumer stopped (GeneratorExit) or failed
            finished = []
            if isinstance(e, KeyboardInterrupt):  # a worker that is sending its record finishes at once
                for w in pool:
                    with contextlib.suppress(EOFError, OSError):
                        if w.cell is not None and not w.receiving and w.conn.poll():
                            finished.append((w.cell, w.conn.recv()))
            _stop([w.process for w in pool])
            for cell, outcome in finished:
                yield cell, outcome
            raise
        _stop([w.process for w in pool], [w.conn for w in pool])

    def _lost(self, cell: Cell, exitcode: int | None, lost: Counter[str]) -> WorkerLost | None:
        """Count the loss of ``cell``'s worker: None if the cell runs again, else its failure."""
        lost[cell.key] += 1
        cause = death_cause(exitcode)
        if lost[cell.key] > self.max_retries:
            return WorkerLost(f"its worker died {lost[cell.key]} times, the last one {cause}")
        warn(
            f"the worker running the cell {cell.key} died ({cause}); the cell runs again "
            f"(retry {lost[cell.key]} of {self.max_retries})"
        )
        return None


def _receive(w: _Worker) -> dict | BaseException | None:
    """The outcome ``w`` sent, or None if it died (its sentinel is ready too, or will be at the
    next wait).  ``w.receiving`` stays set if Ctrl-C cuts the read short."""
    w.receiving = True
    try:
        outcome = w.conn.recv()
    except (EOFError, OSError):
        outcome = None
    except Exception as e:  # read whole, but not a record this process can rebuild
        outcome = RuntimeError(f"the cell's result cannot be read back: {type(e).__name__}: {e}")
    w.receiving = False
    return outcome


def _stop(processes: list, conns: Sequence[Connection] = ()) -> None:
    """End the workers: those given ``conns`` are told to (their parent end closed) and given a
    second; the others, and any that linger, are terminated (a second Ctrl-C cannot cut this short
    and leave them running; it takes milliseconds)."""
    with _sigint_ignored():
        for conn in conns:
            conn.close()
        for proc in processes:
            if conns:
                proc.join(timeout=1)
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
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


class Progress:
    """The progress bar of a run: cells done out of those to run, the cells running now with how
    long each has run, and the time left by the cost model (:mod:`.costs`: the estimates of the
    cells not finished, less what the running ones have done, over the workers), scaled by how
    long the finished cells took against their estimates.  Redrawn every ``every`` seconds
    between events, so that a long cell shows it is running rather than looking like a hang."""

    def __init__(self, todo: list[Cell], costs: CostTable, workers: int | None, every: float) -> None:
        from tqdm.auto import tqdm

        self.estimates = {c.key: costs.per_cell(c.env, c.agent, c.steps)[0] for c in todo}
        self.waiting = dict(self.estimates)  # not started yet
        self.running: dict[str, tuple[Cell, float]] = {}
        # Wall time over estimated processor time of the finished cells, from the load's slowdown
        # (counted as one second of cells) until cells finish.
        self.took, self.expected = slowdown(workers or 1), 1.0
        self.workers = workers
        self.lock = threading.Lock()
        self.bar = tqdm(total=len(todo), desc="cells", bar_format="{desc}: {n_fmt}/{total_fmt} [{elapsed}]{postfix}")
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, args=(every,), daemon=True)
        self.ticker.start()

    def started(self, cell: Cell) -> None:
        with self.lock:
            self.waiting.pop(cell.key, None)
            self.running[cell.key] = (cell, time.perf_counter())
            self._show()

    def finished(self, cell: Cell) -> None:
        with self.lock:
            self.waiting.pop(cell.key, None)
            entry = self.running.pop(cell.key, None)
            estimate = self.estimates[cell.key]
            if entry is not None and math.isfinite(estimate):
                self.took += time.perf_counter() - entry[1]
                self.expected += estimate
            self.bar.update()
            self._show()

    def close(self) -> None:
        self.stop.set()
        self.ticker.join()
        self.bar.close()

    def _tick(self, every: float) -> None:
        while not self.stop.wait(every):
            with self.lock:
                self._show()

    def _show(self) -> None:
        now = time.perf_counter()
        scale = self.took / self.expected
        running = [(self.estimates[key], t0) for key, (_, t0) in self.running.items()]
        left = sum(self.waiting.values()) * scale + sum(
            math.nan if math.isnan(e) else max(0.0, e * scale - (now - t0)) for e, t0 in running
        )
        parts = [f"~{duration(left / self.workers)} left"] if self.workers and math.isfinite(left) else []
        if self.running:
            parts.append(
                "running: "
                + ", ".join(
                    f"{cell_name(cell)} ({duration(now - t0)})"
                    for cell, t0 in sorted(self.running.values(), key=lambda r: r[1])
                )
            )
        self.bar.set_postfix_str("; ".join(parts))


def saved_cells(cells: list[Cell], out: str | Path) -> tuple[dict[str, dict], list[tuple[Path, str]]]:
    """The records of ``cells`` saved in ``<out>/cells``, by key, and the files that cannot count
    (unreadable, or holding another cell than their name says), each with why; read only.  A
    run of ``cells`` trains those without a record."""
    cell_dir = Path(out) / "cells"
    records, bad = {}, []
    for cell in cells:
        path = cell_dir / f"{cell.key}.json"
        if not path.exists():
            continue
        record, problem = read_cell(path)
        expected = json.loads(json.dumps(cell.as_dict()))  # tuples in the arguments read back as lists
        if record is not None and record["cell"] != expected:
            problem = f"holds the cell {describe_cell(record['cell'])}, not {describe_cell(expected)} as its name says"
        if problem:
            bad.append((path, problem))
        else:
            records[cell.key] = record
    return records, bad


def compare(
    cells: list[Cell],
    out: str | Path,
    backend: Any = None,
    progress_bar: bool = True,
    outputs: bool = True,
    title: str = "",
    announce: Callable[[list[Cell], list[dict]], None] | None = None,
) -> RunResult:
    """Run the cells not already finished in ``out``, then write every output from all of them
    (unless not ``outputs``: a caller that draws its own figure only needs the cells);
    ``summary.md`` opens with ``title`` (what run this is) when given.  ``announce(todo,
    finished)``, if given, hears of the cells to run and the records of those finished before,
    once the run holds the folder and before any cell starts (the command line prints its
    estimate of the time it will take).

    ``out`` is checked writable and locked (one run per folder, :func:`~.store.folder_lock`)
    before any work.  A cell file that is unreadable, invalid or holds another cell is named in a
    warning, moved to ``cells/corrupt/`` and its cell run again.  Outputs written while cells are
    missing (failed) say so at the top of ``summary.md``.  Ctrl-C raises :class:`Interrupted`
    once every cell that had finished is saved (cells still running are stopped; a resumed run
    reruns them); a file that cannot be written (a full disk) raises :class:`OutputError`
    saying how many cells are saved.
    """
    provenance = Provenance()
    out = Path(out)
    check_writable(out)
    with folder_lock(out):
        return _compare(cells, out, backend, progress_bar, outputs, provenance, title, announce)


def _compare(
    cells: list[Cell],
    out: Path,
    backend: Any,
    progress_bar: bool,
    outputs: bool,
    provenance: Provenance,
    title: str,
    announce: Callable[[list[Cell], list[dict]], None] | None,
) -> RunResult:
    cell_dir = out / "cells"
    records, bad = saved_cells(cells, out)
    for path, problem in bad:
        warn(f"{path}: {problem}; moved to {move_aside(path)}, the cell reruns")
    todo = [cell for cell in cells if cell.key not in records]
    reused = len(records)
    if announce is not None:
        announce(todo, list(records.values()))
    backend = backend or SerialBackend()
    bar = None
    if progress_bar and todo:
        # A log (not a terminal) gets a line every half minute, which says the run goes on.
        every = 1.0 if sys.stderr.isatty() else 30.0
        bar = Progress(todo, load_costs().updated(records.values()), getattr(backend, "workers", None), every)
    failed = []
    try:
        for cell, result in backend.map(run_cell, todo, started=None if bar is None else bar.started):
            if isinstance(result, BaseException):
                failed.append((cell, f"{type(result).__name__}: {result}"))
            else:
                # A full disk stops the run here, rather than train cells that cannot be kept.
                atomic_write_bytes(cell_dir / f"{cell.key}.json", json.dumps(result).encode())
                records[cell.key] = result
            if bar is not None:
                bar.finished(cell)
        ordered = [records[c.key] for c in cells if c.key in records]
        if ordered and outputs:
            write_outputs(
                ordered,
                out,
                provenance,
                missing=[f"{c.key}: {e}" for c, e in failed],
                title=title,
                cells={"ran": len(todo) - len(failed), "reused": reused, "failed": len(failed)},
            )
    except KeyboardInterrupt:
        raise Interrupted(len(records), len(cells), cell_dir) from None
    except OSError as e:
        raise OutputError(f"{e}; {len(records)} of {len(cells)} cells are saved in {cell_dir}") from None
    finally:
        if bar is not None:
            bar.close()
    return RunResult([r["row"] for r in ordered], failed, len(todo) - len(failed), reused)
