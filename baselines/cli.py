"""What the command lines share: a parser whose errors are one line and whose help shows what
each option accepts and its default, argument types that check their values with the rules of
:mod:`rl_envs.validation` (as a configuration's values are checked), and the cluster options.

``python -m baselines`` and the experiment scripts (``experiments/*.py``) build their parsers
from these, so that a bad argument is refused in the same words everywhere, and at once: this
module imports only argparse and :mod:`rl_envs.validation` (numpy), so that a script checks its
arguments before it imports the comparison machinery (seconds) or trains anything.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from rl_envs.validation import allowed_integer, allowed_real, integer, real


class Checked:
    """An argparse ``type``: the text read by ``parse`` (``int`` or ``float``), then checked by
    ``check`` (:func:`~rl_envs.validation.integer` or :func:`~rl_envs.validation.real`) with
    ``bounds``.  ``allowed`` says in words what passes; the help shows it."""

    def __init__(self, parse: Callable[[str], Any], check: Callable[..., Any], allowed: str, **bounds: Any) -> None:
        self.parse, self.check, self.allowed, self.bounds = parse, check, allowed, bounds

    def __call__(self, text: str) -> Any:
        try:
            return self.check(self.parse(text), "value", **self.bounds)
        except ValueError:  # no number, or one out of bounds
            raise argparse.ArgumentTypeError(f"must be {self.allowed}, got {text!r}") from None


def count(low: int = 1, high: int | None = None) -> Checked:
    """An int in ``[low, high]``: seeds, steps, episodes, workers."""
    return Checked(int, integer, allowed_integer(low, high), low=low, high=high)


def number(
    low: float | None = None, high: float | None = None, low_open: bool = False, kind: str = "real number"
) -> Checked:
    """A finite real number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    return Checked(
        float, real, allowed_real(low, high, low_open, kind), low=low, high=high, low_open=low_open, kind=kind
    )


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def output_folder(text: str) -> Path:
    """An argparse ``type``: a folder for results, one already there or one that can be made (its
    nearest existing ancestor a folder this process may write in).  Nothing is made here, so a
    refused command leaves nothing behind."""
    path = Path(text)
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write results to {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write results to {path}: {existing} is not writable")
    return path


def output_file(text: str) -> Path:
    """An argparse ``type``: a file to write (a figure), not a directory, in a folder that
    :func:`output_folder` accepts."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {path}: it is a directory")
    existing = _nearest_existing(path.parent)
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write {path}: {existing} is not a writable directory")
    return path


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (a script's docstring keeps its lines), and after each option's help
    what it accepts and its default, e.g. ``(a positive int; default: 5)``.  An option without a
    default (None, an empty text or list) or a flag says in its help what happens without it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if text is argparse.SUPPRESS:
            return text
        notes = [action.type.allowed] if isinstance(action.type, Checked) else []
        default = action.default
        nothing = any(default is v for v in (None, False, argparse.SUPPRESS)) or default in ("", [], ())
        if action.option_strings and not nothing:
            shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
            notes.append("default: " + shown.replace("%", "%%"))
        return f"{text or ''} ({'; '.join(notes)})".strip() if notes else text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser with :class:`HelpFormatter` whose errors are one line, ``PROG: error:
    MESSAGE`` (exit code 2), rather than the usage and then the message."""

    def __init__(self, *args: Any, formatter_class: type[argparse.HelpFormatter] = HelpFormatter, **kwargs: Any):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def cluster_options(p: argparse.ArgumentParser) -> None:
    """``--backend``, ``--address`` and ``--cpus-per-cell`` (:func:`check_cluster_options` checks
    them together with ``--workers``, which the caller adds with its own help)."""
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local: --workers processes on this machine; ray: one Ray task per cell (pip install 'rl_envs[ray]')",
    )
    p.add_argument(
        "--address",
        help="with --backend ray: the cluster to join (auto, or HOST:PORT of its head); "
        "default: $RAY_ADDRESS, else a new Ray instance on this machine",
    )
    p.add_argument(
        "--cpus-per-cell", type=count(), default=1, help="with --backend ray: CPUs (and torch threads) per cell"
    )


def ray_address_option(p: argparse.ArgumentParser) -> None:
    """``--address`` of a command that always runs on Ray (``sweep``, ``tune``)."""
    p.add_argument(
        "--address",
        help="the Ray cluster to join (auto, or HOST:PORT); default: $RAY_ADDRESS, else a new "
        "Ray instance on this machine",
    )


def check_cluster_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What the options of :func:`cluster_options` need of each other (a parser error)."""
    if args.backend != "ray" and args.address:
        parser.error("--address needs --backend ray")


def missing_modules(modules: Mapping[str, str]) -> list[str]:
    """The distributions (values) of ``modules`` (import name -> distribution) whose module is not installed."""
    return [dist for module, dist in modules.items() if importlib.util.find_spec(module) is None]
