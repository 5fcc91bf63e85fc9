"""Agent files: what :meth:`baselines.agent.Agent.save` writes and :meth:`baselines.agent.Agent.load`
reads, as data only.

An agent file is a ``.npz`` archive: the arrays of the agent's learned state (each described by
an :class:`ArraySpec`) and ``__meta__``, UTF-8 JSON bytes holding the class, hyperparameters,
step count and the spaces (:func:`space_to_json`).  Nothing in a file is ever unpickled; any
file that cannot be loaded raises :class:`AgentFileError` naming it and the problem.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import gymnasium as gym
from gymnasium import spaces


class AgentFileError(ValueError):
    """An agent file that cannot be loaded: unreadable, not an agent file, or holding data that
    does not fit the agent (another class, wrong shapes or dtypes, non-finite values)."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}")


AGENT_FILE_FORMAT = 2  # 1 pickled the spaces in '__spaces__'; 2 describes them in '__meta__'


def _json_numbers(values: np.ndarray) -> list:
    """Array values as JSON numbers, with the non-finite ones as the strings 'inf', '-inf', 'nan'."""
    return [v if isinstance(v, int) or math.isfinite(v) else repr(v) for v in values.ravel().tolist()]


def _numbers_array(values, shape: tuple, dtype: np.dtype, what: str) -> np.ndarray:
    _expect(
        isinstance(values, list) and len(values) == math.prod(shape),
        f"{what} must be a list of {math.prod(shape)} numbers",
    )
    _expect(
        all((isinstance(v, (int, float)) and not isinstance(v, bool)) or v in ("inf", "-inf", "nan") for v in values),
        f"{what} must hold numbers or 'inf', '-inf', 'nan'",
    )
    try:
        return np.array([float(v) if isinstance(v, str) else v for v in values], dtype=dtype).reshape(shape)
    except (OverflowError, ValueError) as e:
        raise ValueError(f"{what} do not fit {dtype}: {e}") from None


def _expect(condition: object, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _shape(value, what: str) -> tuple[int, ...]:
    _expect(
        isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value),
        f"{what} must be a list of non-negative ints, got {value!r}",
    )
    return tuple(value)


def _dtype(name, kinds: str, what: str) -> np.dtype:
    _expect(
        isinstance(name, str) and name in {np.dtype(c).name for c in np.typecodes["All"] if np.dtype(c).kind in kinds},
        f"{what} must name a numeric dtype, got {name!r}",
    )
    return np.dtype(name)


def space_to_json(space: gym.Space) -> dict:
    """A JSON description of a Discrete, Box, MultiBinary, MultiDiscrete, Tuple or Dict space,
    which :func:`space_from_json` turns back into an equal space."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": space.dtype.name,
            "low": _json_numbers(space.low),
            "high": _json_numbers(space.high),
        }
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "shape": list(space.shape)}
    if isinstance(space, spaces.MultiDiscrete):
        return {
            "type": "MultiDiscrete",
            "shape": list(space.shape),
            "dtype": space.dtype.name,
            "nvec": space.nvec.ravel().tolist(),
            "start": space.start.ravel().tolist(),
        }
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {key: space_to_json(s) for key, s in space.spaces.items()}}
    raise TypeError(f"cannot describe a {type(space).__name__} space in an agent file")


def space_from_json(desc: Any) -> gym.Space:
    """The space :func:`space_to_json` described; ValueError for anything else."""
    _expect(
        isinstance(desc, dict) and isinstance(desc.get("type"), str),
        f"a space is a mapping with a 'type', got {desc!r}",
    )
    kind = desc["type"]
    if kind == "Discrete":
        n, start = desc.get("n"), desc.get("start", 0)
        if not (
            isinstance(n, int)
            and isinstance(start, int)
            and not isinstance(n, bool)
            and not isinstance(start, bool)
            and n > 0
        ):
            raise ValueError(f"Discrete needs an int n > 0 and an int start, got {desc!r}")
        return spaces.Discrete(n, start=start)
    if kind == "Box":
        shape = _shape(desc.get("shape"), "Box shape")
        dtype = _dtype(desc.get("dtype"), "fiu", "Box dtype")
        low = _numbers_array(desc.get("low"), shape, dtype, "Box low")
        high = _numbers_array(desc.get("high"), shape, dtype, "Box high")
        _expect(not np.any(low > high), "Box low must not exceed high")
        return spaces.Box(low, high, shape, dtype)
    if kind == "MultiBinary":
        shape = _shape(desc.get("shape"), "MultiBinary shape")
        return spaces.MultiBinary(list(shape) if len(shape) != 1 else shape[0])
    if kind == "MultiDiscrete":
        shape = _shape(desc.get("shape"), "MultiDiscrete shape")
        dtype = _dtype(desc.get("dtype"), "iu", "MultiDiscrete dtype")
        nvec = _numbers_array(desc.get("nvec"), shape, dtype, "MultiDiscrete nvec")
        _expect(np.all(nvec > 0), "MultiDiscrete nvec must be positive")
        return spaces.MultiDiscrete(
            nvec, dtype=dtype, start=_numbers_array(desc.get("start"), shape, dtype, "MultiDiscrete start")
        )
    if kind == "Tuple":
        _expect(isinstance(desc.get("spaces"), list), "Tuple needs a list 'spaces'")
        return spaces.Tuple([space_from_json(d) for d in desc["spaces"]])
    if kind == "Dict":
        _expect(isinstance(desc.get("spaces"), dict), "Dict needs a mapping 'spaces'")
        return spaces.Dict({key: space_from_json(d) for key, d in desc["spaces"].items()})
    raise ValueError(f"unknown space type {kind!r}")


@dataclass(frozen=True)
class ArraySpec:
    """What one saved array must be; :meth:`Agent.load` checks every array against its spec.

    ``shape`` holds ints, or names for sizes that only the file tells (such as the number of
    alpha vectors), equal wherever the same name appears.  Arrays hold floats, or integers with
    ``integer``; values are finite, except NaN where ``nan_ok`` (a preference table marks
    forbidden moves so); ``stochastic`` arrays hold probabilities summing to 1 over the last
    axis; ``low`` bounds the values from below and ``high`` from above.  An ``optional`` array
    was added in a later version: older files may lack it, and the agent keeps its
    constructor's value.
    """

    shape: tuple
    integer: bool = False
    nan_ok: bool = False
    stochastic: bool = False
    low: float | None = None
    high: float | None = None
    optional: bool = False

    def problem(self, value: np.ndarray, sizes: dict) -> str | None:
        """What is wrong with ``value``, or None; records the named sizes it fixes in ``sizes``."""
        if value.dtype.kind not in ("iu" if self.integer else "f"):
            return f"has dtype {value.dtype}, expected {'integers' if self.integer else 'floats'}"
        if value.ndim == len(self.shape):
            for n, want in zip(value.shape, self.shape):
                if n != (sizes.setdefault(want, n) if isinstance(want, str) else want):
                    break
            else:
                return self._value_problem(value)
        expected = tuple(sizes.get(n, n) if isinstance(n, str) else n for n in self.shape)
        return f"has shape {value.shape}, expected {expected}".replace("'", "")

    def _value_problem(self, value: np.ndarray) -> str | None:
        if not self.integer:
            nan = np.isnan(value)
            bad = np.isinf(value) | (nan & (not self.nan_ok))
            if bad.any():
                return f"holds {int(bad.sum())} non-finite values (of {value.size})"
            if value.size and nan.all():
                return "is all NaN"
            value = np.where(nan, 0.0, value)
        if self.low is not None and np.any(value < self.low):
            return f"holds values below {self.low}"
        if self.high is not None and np.any(value > self.high):
            return f"holds values above {self.high}"
        if self.stochastic and (np.any(value < 0) or not np.allclose(value.sum(axis=-1), 1.0)):
            return "must hold probabilities (non-negative, summing to 1 over the last axis)"
        return None


@contextlib.contextmanager
def open_agent_file(path: Path) -> Iterator[Any]:
    """The .npz archive at ``path``, opened so that nothing in it is unpickled."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed by the with below; only the open error is caught here
    except OSError as e:
        raise AgentFileError(path, f"cannot be opened ({e.strerror or e})") from None
    with f:
        head = f.read(4)
        if not head:
            raise AgentFileError(path, "is empty")
        if head != b"PK\x03\x04":
            raise AgentFileError(path, "is not an agent file: agent files are .npz (zip) archives, and this is not one")
        f.seek(0)
        try:
            data = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise AgentFileError(path, f"is truncated or damaged ({e})") from None
        with data:
            yield data


def _entry(data, name: str, path: Path) -> np.ndarray:
    """One array of an open .npz, or an AgentFileError saying why it cannot be read."""
    try:
        value = data[name]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise AgentFileError(path, f"entry {name!r} holds pickled Python objects, which are never loaded") from None
        raise AgentFileError(path, f"entry {name!r} is damaged ({e})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as e:
        raise AgentFileError(path, f"entry {name!r} is truncated or damaged ({e})") from None
    if not isinstance(value, np.ndarray):
        raise AgentFileError(path, f"entry {name!r} is not a NumPy array")
    return value


def read_meta(data: Any, path: Path) -> dict:
    """The JSON header of an agent file, checked for the fields every format has."""
    names = set(data.files)
    if "__meta__" not in names:
        if {"data", "policy.pth"} <= names:
            raise AgentFileError(
                path,
                "is a Stable-Baselines3 model, not a reference agent's file; load it with baselines.sb3.SB3Agent.load",
            )
        raise AgentFileError(path, "has no '__meta__' entry, so Agent.save did not write it")
    raw = _entry(data, "__meta__", path)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise AgentFileError(path, f"'__meta__' must be UTF-8 JSON bytes (uint8), got {raw.dtype} of shape {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise AgentFileError(path, f"'__meta__' is not UTF-8 JSON ({e})") from None
    problem = (
        "is not a mapping"
        if not isinstance(meta, dict)
        else "lacks the agent's class name"
        if not isinstance(meta.get("class"), str)
        else "lacks the hyperparameters mapping"
        if not isinstance(meta.get("hyperparameters"), dict)
        else "has no non-negative int num_timesteps"
        if not (type(meta.get("num_timesteps")) is int and meta["num_timesteps"] >= 0)
        else f"is of format {meta['format']!r}, which this version does not read (it reads up to {AGENT_FILE_FORMAT})"
        if meta.get("format", 1) not in range(1, AGENT_FILE_FORMAT + 1)
        else None
    )
    if problem:
        raise AgentFileError(path, f"'__meta__' {problem}")
    return meta


def saved_spaces(meta: dict, path: Path) -> tuple[gym.Space, gym.Space]:
    """The (observation, action) spaces of an agent file's parsed header; ``AgentFileError`` if invalid."""
    desc = meta.get("spaces")
    try:
        if not isinstance(desc, dict):
            raise ValueError("'spaces' must be a mapping with 'observation' and 'action'")
        return space_from_json(desc.get("observation")), space_from_json(desc.get("action"))
    except (ValueError, TypeError, RecursionError) as e:
        raise AgentFileError(path, f"its saved spaces are invalid: {e}") from None


def read_arrays(data: Any, specs: dict[str, ArraySpec], path: Path, owner: str) -> dict[str, np.ndarray]:
    """The arrays of an open agent file, by name, each checked against its spec in ``specs`` (what
    a ``owner`` instance saves) and converted to float64 (int64 for integer specs)."""
    unexpected = sorted(set(data.files) - set(specs) - {"__meta__", "__spaces__"})
    if unexpected:
        raise AgentFileError(path, f"holds entries a {owner} does not save: {unexpected}")
    missing = [name for name, spec in specs.items() if name not in data.files and not spec.optional]
    if missing:
        raise AgentFileError(path, f"lacks the arrays {missing} of a {owner}")
    arrays: dict[str, np.ndarray] = {}
    sizes: dict[str, int] = {}
    for name, spec in specs.items():
        if name not in data.files:
            continue  # an optional array (added after the file was written) keeps its constructor value
        value = _entry(data, name, path)
        problem = spec.problem(value, sizes)
        if problem:
            raise AgentFileError(path, f"array {name!r} {problem}")
        arrays[name] = value.astype(np.int64 if spec.integer else np.float64)
    return arrays
