"""Writing results so that a reader, or a run stopped half-way, never sees a partial file:
bytes, CSV and JSON tables, PNG figures, each written whole or not at all.  A write that fails
(a full disk, a read-only folder) raises :class:`OutputError` naming the path."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class OutputError(OSError):
    """A results folder, or a file in it, that cannot be written."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the whole new one, never a part
    (:class:`OutputError` if it cannot be written)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, path)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
        raise


def write_csv(path: Path, rows: list[dict], fieldnames: Sequence[str] | None = None) -> None:
    """Write ``rows`` as CSV atomically (columns: ``fieldnames``, or every key of the rows in the
    order first met: rows written by different versions may not all have the same ones)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames or dict.fromkeys(k for row in rows for k in row)))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(path, buf.getvalue().encode())


def write_table(rows: list[dict], out: Path, provenance: dict) -> None:
    """``results.csv`` of one row per cell, and ``results.json``: ``{"provenance": provenance,
    "rows": rows}`` (:mod:`baselines.provenance`)."""
    write_csv(out / "results.csv", rows)
    atomic_write_bytes(out / "results.json", json.dumps({"provenance": provenance, "rows": rows}, indent=1).encode())


def save_figure(fig: Any, path: Path, dpi: int = 100) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
