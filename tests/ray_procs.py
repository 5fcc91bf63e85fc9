"""Finding and stopping the Ray processes a test started, and only those.

Every Ray process (GCS, raylet, workers, agents) inherits the environment of whatever started
it, so a test gives its Ray a ``RAY_TMPDIR`` of its own (a short path: Ray's sockets live under
it, and a Unix socket path has at most 107 bytes) and finds the processes by that variable.
``ray stop`` would end every Ray on the machine, other people's too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path


def ray_tmpdir() -> str:
    return tempfile.mkdtemp(prefix="rt", dir="/tmp")


def processes_with(tmpdir: str) -> list[int]:
    """Live processes whose environment holds ``RAY_TMPDIR=tmpdir``."""
    marker = f"RAY_TMPDIR={tmpdir}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0") and alive(int(environ.parent.name)):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """``pid`` runs and is not a zombie (also used by test_faults.py)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def tasks_running(tmpdir: str, name: str = "run_cell_task") -> list[int]:
    """Worker processes of that Ray executing a task ``name`` (Ray sets the process title)."""
    return [pid for pid in processes_with(tmpdir) if title(pid).startswith(f"ray::{name}")]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def stop(tmpdir: str, timeout: float = 15) -> list[int]:
    """End every process of that Ray (SIGTERM, then SIGKILL) and remove its folder; the pids that
    were still running, for the caller to report."""
    left = processes_with(tmpdir)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_with(tmpdir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while processes_with(tmpdir) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not processes_with(tmpdir), f"Ray processes survived SIGKILL: {processes_with(tmpdir)}"
    shutil.rmtree(tmpdir, ignore_errors=True)
    return left
