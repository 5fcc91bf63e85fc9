"""SIGTERM handled as Ctrl-C, and the one line a stopped run ends with.

A batch scheduler (Slurm, ``docker stop``, systemd) asks a job to stop with SIGTERM and kills it
a grace period later.  Python's default for SIGTERM ends the process where it stands: no message,
no resume line, the pool's workers orphaned if they were still starting.  :func:`sigterm_as_ctrl_c`
makes SIGTERM do what Ctrl-C does in this process, so every path that keeps the finished cells on
Ctrl-C (the back-ends, :func:`~baselines.compare.compare`, Ray Tune's own stop) keeps them on
SIGTERM; the run then exits with ``128 + 15 = 143``, as a process ended by SIGTERM does.

:func:`run_script` gives an experiment script the command line's endings: an interruption prints
how many cells are saved and the command that resumes (exit 130 or 143), a results folder that
cannot be written is one line naming the path (exit 2).
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .io import OutputError


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a run; ``saved`` of its ``total`` cells are in ``cell_dir``."""

    def __init__(self, saved: int, total: int, cell_dir: Path):
        super().__init__(f"{saved} of {total} cells are saved in {cell_dir}")
        self.saved, self.total, self.cell_dir = saved, total, cell_dir


class Terminated(KeyboardInterrupt):
    """Raised by SIGTERM where Ctrl-C raises :class:`KeyboardInterrupt` (a subclass of it, so
    that every ``except KeyboardInterrupt`` handles both)."""


_active = 0  # how many sigterm_as_ctrl_c blocks this process is in
_stop_signal = signal.SIGINT  # what stopped this run (SIGTERM once the handler has run)
_holding = 0  # how many sigterm_held blocks this process is in
_held = False  # a SIGTERM came within them


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM runs whatever handles Ctrl-C in this process at the time:
    Python's KeyboardInterrupt (raised as :class:`Terminated`) or Ray Tune's stop, which saves
    the experiment.  Only the main thread may set handlers; elsewhere the block changes nothing."""
    global _active, _stop_signal
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _stop_signal = signal.SIGINT
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        signal.signal(signal.SIGTERM, previous)


def restore_sigterm() -> None:
    """Take SIGTERM back after a library replaced the handler (``ray.init`` installs one that
    exits, and Ray's core a native one that prints a stack dump), within :func:`sigterm_as_ctrl_c`."""
    if _active and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def keep_sigint_handler() -> Iterator[None]:
    """Put Ctrl-C's handler back after the block as it was before.  Ray Tune's ``fit`` installs its
    own (it stops the trials and saves the experiment) and leaves it in place after a fit that no
    signal stopped: the sweep's first Ctrl-C or SIGTERM after the fit would only set Tune's flag,
    which nothing reads any more, and the evaluation would run on to its end."""
    on_sigint = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        if on_sigint is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_sigint)


@contextlib.contextmanager
def sigterm_held() -> Iterator[None]:
    """Within the block, a SIGTERM that finds Ctrl-C ignored is held, and acted on (as
    :func:`sigterm_as_ctrl_c` acts) once the block ends, instead of dropped.  For a block that
    ignores Ctrl-C only so that a worker process it starts inherits the ignored SIGINT: a batch
    scheduler sends SIGTERM once, and one that came in those milliseconds must still stop the
    run.  (Ctrl-C itself cannot be held there: an ignored signal never arrives.)"""
    global _holding, _held
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
    if _held and not _holding:
        _held = False
        _on_sigterm(signal.SIGTERM, None)


def _on_sigterm(signum: int, frame: Any) -> None:
    global _stop_signal, _held
    _stop_signal = signal.SIGTERM
    on_sigint = signal.getsignal(signal.SIGINT)
    if on_sigint is signal.SIG_IGN:
        # a worker is starting (sigterm_held: act once it has), or a stop is being cleaned up (a
        # second signal must not cut it short)
        _held = _held or _holding > 0
        return
    if callable(on_sigint) and on_sigint is not signal.default_int_handler:
        on_sigint(signal.SIGINT, frame)  # e.g. Ray Tune's: it stops the trials and saves the experiment
        return
    raise Terminated


def exit_code() -> int:
    """The shell's code for a process stopped so: 130 (SIGINT) or 143 (SIGTERM)."""
    return 128 + int(_stop_signal)


def stop_word() -> str:
    """How the run stopped, as the message that ends it says."""
    return "terminated (SIGTERM)" if _stop_signal == signal.SIGTERM else "interrupted"


def stopped(what: str, resume: str) -> int:
    """Print that the run stopped (``what``: what is kept) with the command that resumes it;
    return the exit code."""
    print(f"{stop_word()}{': ' + what if what else ''}; resume with: {resume}", file=sys.stderr)
    return exit_code()


def run_script(main: Callable[[], object]) -> int:
    """Run an experiment script's ``main()`` as the command line runs its commands, and return
    the exit code: ``main``'s own if it returns an int, else 0.

    SIGTERM stops it as Ctrl-C does; an interruption prints how many cells are saved and the
    command that resumes (130, or 143 for SIGTERM); a results folder that cannot be written
    (:class:`~baselines.compare.OutputError`, a full disk say) is one line (2).
    """
    resume = "python " + shlex.join(sys.argv)
    try:
        with sigterm_as_ctrl_c():
            code = main()
    except Interrupted as e:
        return stopped(f"{e} (cells that were running are not)", resume)
    except KeyboardInterrupt:
        return stopped("", resume)
    except OutputError as e:
        print(f"error: {e}; once it can be written, resume with: {resume}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0
