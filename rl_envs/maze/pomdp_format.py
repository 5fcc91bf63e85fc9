"""Read and write Cassandra's ``.POMDP`` text format (pomdp-solve's pomdp-file-spec).

Preamble: ``discount:``, ``values: reward|cost``, ``states:``, ``actions:``, ``observations:``
(a count or a list of names) and an optional ``start:`` (probabilities, ``uniform``, one state,
or ``start include:`` / ``start exclude:`` a list of states).  Then, in any order, entries

    T: a : s : s' p      T: a : s  <row over s'>      T: a  <matrix> | identity | uniform
    O: a : s' : o p      O: a : s' <row over o>       O: a  <matrix> | uniform
    R: a : s : s' : o r  R: a : s : s'  <row over o>  R: a : s  <matrix over s' x o>

where ``*`` is a wildcard, anything unspecified is 0 and a later entry overrides an earlier
one.  ``#`` starts a comment.  Names must be distinct.

:func:`read_pomdp` reads a file (a path), :func:`parse_pomdp` a text.  A malformed file raises
:class:`POMDPFormatError` naming the file (``<string>`` for a text) and the line.  The model is
held in dense arrays, the largest being the reward ``(actions, states, states, observations)``;
a file whose reward array would exceed ``max_entries`` numbers (default :data:`MAX_ENTRIES`,
2e7, i.e. 160 MB of float64) is refused before anything is allocated.  Every classic maze
(hallway2: 0.7e6) is far below it.
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from ..validation import integer
from .pomdp import POMDPModel

_TOKEN = re.compile(r"[^\s:]+|:")
_PREAMBLE = ("discount", "values", "states", "actions", "observations", "start")
MAX_ENTRIES = 20_000_000


class POMDPFormatError(ValueError):
    """A ``.POMDP`` text that does not follow the format; the message names the line."""


class _Tokens:
    def __init__(self, text: str, source: str):
        self.source = source
        self.items: list[tuple[str, int]] = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            self.items.extend((t, lineno) for t in _TOKEN.findall(line.split("#", 1)[0]))
        self.i = 0

    def peek(self) -> str | None:
        return self.items[self.i][0] if self.i < len(self.items) else None

    @property
    def line(self) -> int:
        return self.items[min(self.i, len(self.items) - 1)][1] if self.items else 1

    def error(self, message: str, line: int | None = None) -> POMDPFormatError:
        return POMDPFormatError(f"{self.source}, line {self.line if line is None else line}: {message}")

    def next(self, what: str) -> str:
        if self.i >= len(self.items):
            raise self.error(f"unexpected end of file, expected {what}")
        tok = self.items[self.i][0]
        self.i += 1
        return tok

    def expect_colon(self) -> None:
        if self.next("':'") != ":":
            self.i -= 1
            raise self.error(f"expected ':' but found {self.peek()!r}")

    def number(self) -> float:
        tok = self.next("a number")
        x = float(tok) if _is_number(tok) else math.nan
        if not math.isfinite(x):
            self.i -= 1
            raise self.error(f"expected a {'finite ' if _is_number(tok) else ''}number but found {tok!r}")
        return x

    def numbers(self, n: int) -> np.ndarray:
        return np.array([self.number() for _ in range(n)])

    def at_keyword(self) -> bool:
        """At ``discount:``, ``T:`` and the like (a keyword followed by a colon)."""
        nxt = self.items[self.i + 1][0] if self.i + 1 < len(self.items) else None
        return self.peek() in _PREAMBLE + ("T", "O", "R") and (nxt == ":" or self.peek() == "start")

    def at_number(self) -> bool:
        tok = self.peek()
        if tok is None:
            return False
        try:
            float(tok)
        except (TypeError, ValueError):
            return False
        return True


def _names(toks: _Tokens, what: str, max_entries: int) -> tuple[str, ...]:
    """A count (names 0..n-1) or a list of distinct names, up to the next keyword."""
    if toks.at_number():
        line = toks.line
        tok = toks.next("a count")
        if not tok.isdigit() or int(tok) < 1:
            toks.i -= 1
            raise toks.error(f"expected a positive count or a list of names, found {tok!r}")
        if toks.peek() is not None and not toks.at_keyword() and toks.line == line:
            raise toks.error(
                f"expected a count or a list of names, not both: found {toks.peek()!r} after the count {tok}"
            )
        if int(tok) > max_entries:  # before making the names: the reward array would be larger still
            raise toks.error(f"{tok} {what}s are more than max_entries={max_entries}", line=line)
        return tuple(str(i) for i in range(int(tok)))
    names, seen = [], set()
    while toks.peek() is not None and not toks.at_keyword():
        if toks.peek() in seen:
            raise toks.error(f"duplicate {what} name {toks.peek()!r}")
        seen.add(toks.peek())
        names.append(toks.next("a name"))
    if not names:
        raise toks.error("expected a count or a list of names")
    return tuple(names)


def _index(toks: _Tokens, names: tuple[str, ...], what: str):
    """One index: a number, a name or ``*`` (a slice over everything)."""
    tok = toks.next(f"a {what}")
    if tok == "*":
        return slice(None)
    if tok in names:
        return names.index(tok)
    if tok.isdigit() and int(tok) < len(names):
        return int(tok)
    toks.i -= 1
    raise toks.error(f"unknown {what} {tok!r}")


def read_pomdp(path: str | os.PathLike, max_entries: int = MAX_ENTRIES) -> POMDPModel:
    """A :class:`POMDPModel` from a ``.POMDP`` file (``FileNotFoundError`` if there is none).

    Errors name the file and the line; see the module docstring for ``max_entries``.
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise TypeError(
            f"read_pomdp needs a file path (str or os.PathLike), got {type(path).__name__}; "
            "parse_pomdp(text) reads a text"
        )
    if isinstance(path, str) and "\n" in path:
        raise TypeError("read_pomdp needs a file path, got a text (it holds a newline); parse_pomdp(text) reads a text")
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise POMDPFormatError(
            f"{os.fspath(path)}: not a UTF-8 text file (byte {e.start} is {data[e.start]:#04x}); "
            "a .POMDP file is plain text"
        ) from None
    return parse_pomdp(text, source=os.fspath(path), max_entries=max_entries)


def parse_pomdp(text: str, source: str = "<string>", max_entries: int = MAX_ENTRIES) -> POMDPModel:
    """A :class:`POMDPModel` from the text of a ``.POMDP`` file; errors name ``source`` and the line."""
    if not isinstance(text, str):
        raise TypeError(
            f"parse_pomdp needs the text as a str, got {type(text).__name__}; read_pomdp(path) reads a file"
        )
    integer(max_entries, "max_entries")
    toks = _Tokens(text, source)
    header: dict = {"values": "reward", "discount": None}
    lines: dict[str, int] = {}
    while (word := toks.peek()) in _PREAMBLE:
        lines[word] = toks.line
        key = toks.next("a keyword")
        if key == "start" and toks.peek() in ("include", "exclude"):
            key = "start " + toks.next("include/exclude")
        toks.expect_colon()
        if key == "discount":
            header["discount"] = toks.number()
        elif key == "values":
            header["values"] = toks.next("reward or cost")
            if header["values"] not in ("reward", "cost"):
                toks.i -= 1
                raise toks.error(f"values must be 'reward' or 'cost', found {header['values']!r}")
        elif key in ("states", "actions", "observations"):
            header[key] = _names(toks, key[:-1], max_entries)
        else:
            header["start"] = _start(toks, key)
    for key in ("discount", "states", "actions", "observations"):
        if header.get(key) is None:
            raise toks.error(f"the preamble lacks '{key}:'")
    S, A, Z = (header[k] for k in ("states", "actions", "observations"))
    nS, nA, nZ = len(S), len(A), len(Z)
    if nA * nS * nS * nZ > max_entries:  # Python ints: no overflow
        raise toks.error(
            f"{nS} states, {nA} actions and {nZ} observations need {nA * nS * nS * nZ:.3g} reward "
            f"entries (actions x states^2 x observations), more than max_entries={max_entries}",
            line=lines["states"],
        )
    T = np.zeros((nA, nS, nS))
    O = np.zeros((nA, nS, nZ))
    reward = np.zeros((nA, nS, nS, nZ))
    while toks.peek() is not None:
        kind = toks.next("T:, O: or R:")
        if kind not in ("T", "O", "R"):
            toks.i -= 1
            raise toks.error(f"expected 'T:', 'O:' or 'R:' but found {kind!r}")
        toks.expect_colon()
        if kind == "T":
            _entry(toks, T, [(A, "action"), (S, "state"), (S, "state")], square=True)
        elif kind == "O":
            _entry(toks, O, [(A, "action"), (S, "state"), (Z, "observation")], square=False)
        else:
            _entry(toks, reward, [(A, "action"), (S, "state"), (S, "state"), (Z, "observation")], square=False)
    if header["values"] == "cost":
        reward = -reward
    if np.all(reward == reward[..., :1]):
        reward = reward[..., :1].copy()
    b0 = header.get("start")
    b0 = np.full(nS, 1.0 / nS) if b0 is None else b0(S, toks)
    try:
        return POMDPModel(T, O, reward, b0, header["discount"], S, A, Z)
    except ValueError as e:
        raise POMDPFormatError(f"{source}: the model is not a valid POMDP: {e}") from None


def _start(toks: _Tokens, key: str):
    """The start belief of ``start:`` (probabilities, or one state), ``start include:`` or
    ``start exclude:`` (states); resolved once the state names are known (they may come later)."""
    line = toks.line
    if toks.peek() == "uniform":
        toks.next("uniform")
        return lambda S, _: np.full(len(S), 1.0 / len(S))
    values = []
    while toks.peek() is not None and not toks.at_keyword():
        values.append(toks.next("a start value"))

    def resolve(S, toks: _Tokens):
        try:
            if key == "start" and all(_is_number(v) for v in values) and len(values) == len(S):
                return np.array([float(v) for v in values])
            chosen = [S.index(v) if v in S else int(v) for v in values]
            if not all(0 <= c < len(S) for c in chosen):
                raise ValueError
        except ValueError:
            raise toks.error(f"start must list {len(S)} probabilities, 'uniform' or states", line=line) from None
        mask = np.zeros(len(S), dtype=bool)
        mask[chosen] = True
        mask = ~mask if key == "start exclude" else mask
        if not mask.any():
            raise toks.error("start exclude: excludes every state", line=line)
        return mask / mask.sum()

    return resolve


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _entry(toks: _Tokens, array: np.ndarray, axes, square: bool) -> None:
    """Indices separated by ':' then a value, a row, a matrix or a keyword."""
    index = [_index(toks, axes[0][0], axes[0][1])]
    while toks.peek() == ":" and len(index) < len(axes):
        toks.next(":")
        index.append(_index(toks, *axes[len(index)]))
    rest = [len(names) for names, _ in axes[len(index) :]]
    if len(rest) == 2 and toks.peek() in ("identity", "uniform"):
        word = toks.next("identity or uniform")
        if word == "identity" and not square:
            toks.i -= 1
            raise toks.error("'identity' needs a square matrix")
        value = np.eye(rest[0]) if word == "identity" else np.full(rest, 1.0 / rest[1])
    elif len(rest) == 1 and toks.peek() == "uniform":
        toks.next("uniform")
        value = np.full(rest, 1.0 / rest[0])
    else:
        value = toks.numbers(int(np.prod(rest))).reshape(rest) if rest else toks.number()
    array[tuple(index)] = value  # a wildcard is a slice, so the value broadcasts over it


def format_pomdp(model: POMDPModel, comment: str = "") -> str:
    """The model as ``.POMDP`` text; floats are written with ``repr`` so reading it back is exact.

    Names must read back as names: not numbers (unless they are the default ``0 .. n-1``), not
    keywords, no whitespace, ``:``, ``*`` or ``#``; otherwise ``ValueError``.
    """
    for key in ("states", "actions", "observations"):
        _check_names(getattr(model, key), key)
    lines = [f"# {c}" for c in comment.splitlines()] + [
        f"discount: {float(model.gamma)!r}",
        "values: reward",
    ]
    for key in ("states", "actions", "observations"):
        names = getattr(model, key)
        lines.append(f"{key}: {len(names) if names == tuple(map(str, range(len(names)))) else ' '.join(names)}")
    lines.append(_start_line(model.b0, model.states))
    lines.extend(_table_lines("T", model.T, model.actions, model.states, model.states))
    lines.extend(_table_lines("O", model.O, model.actions, model.states, model.observations))
    lines.extend(_reward_lines(model))
    return "\n".join(lines) + "\n"


_RESERVED = set(_PREAMBLE) | {"T", "O", "R", "uniform", "identity", "include", "exclude", "reward", "cost"}


def _check_names(names, what: str) -> None:
    if names == tuple(map(str, range(len(names)))):
        return  # written as a count
    for name in names:
        bad = not name or name in _RESERVED or any(c.isspace() or c in ":*#" for c in name) or _is_number(name)
        if bad:
            raise ValueError(
                f"{what} name {name!r} cannot be written in the .POMDP format: names must not be "
                "numbers or keywords, nor contain whitespace, ':', '*' or '#'"
            )


def _number(x: float) -> str:
    return "0" if x == 0 else repr(float(x))


def _table_lines(kind: str, M: np.ndarray, actions, rows, cols) -> list[str]:
    """``T:``/``O:`` lines of ``M[a, row, col]``, each piece in the shortest of the format's
    forms: one ``*`` block when every action has the same table, ``identity`` for an identity
    matrix, and per row ``uniform``, its nonzero entries one per line, or the whole row."""
    same = all(np.array_equal(M[0], m) for m in M[1:])
    lines = []
    for a, table in [("*", M[0])] if same else zip(actions, M):
        if kind == "T" and np.array_equal(table, np.eye(len(table))):
            lines.append(f"{kind}: {a} identity")
            continue
        for r, row in zip(rows, table):
            nonzero = np.flatnonzero(row)
            if not len(nonzero):
                continue
            forms = [
                "\n".join(f"{kind}: {a} : {r} : {cols[c]} {_number(row[c])}" for c in nonzero),
                f"{kind}: {a} : {r}\n" + " ".join(_number(x) for x in row),
            ]
            if np.array_equal(row, np.full(len(row), 1.0 / len(row))):
                forms.append(f"{kind}: {a} : {r} uniform")
            lines.append(min(forms, key=len))
    return lines


def _start_line(b0: np.ndarray, states) -> str:
    """The shortest ``start`` form: ``uniform``, ``include:``/``exclude:`` for a uniform belief
    over some of the states, or the probabilities."""
    forms = ["start: " + " ".join(_number(p) for p in b0)]
    support = b0 > 0
    if np.array_equal(b0, np.where(support, 1.0 / support.sum(), 0.0)):
        if support.all():
            forms.append("start: uniform")
        else:
            forms.append("start include: " + " ".join(states[i] for i in np.flatnonzero(support)))
            forms.append("start exclude: " + " ".join(states[i] for i in np.flatnonzero(~support)))
    return min(forms, key=len)


def _reward_lines(model: POMDPModel) -> list[str]:
    """Nonzero rewards, with ``*`` over the actions / start states / observations they do not depend on."""
    r = model.reward
    any_a = np.all(r == r[:1])
    if any_a:
        r = r[:1]
    any_s = np.all(r == r[:, :1])
    if any_s:
        r = r[:, :1]
    any_o = r.shape[3] == 1
    A, S, Z = model.actions, model.states, model.observations
    out = []
    for a, s, s2, o in zip(*np.nonzero(r)):
        fields = ["*" if any_a else A[a], "*" if any_s else S[s], S[s2], "*" if any_o else Z[o]]
        out.append(f"R: {' : '.join(fields)} {float(r[a, s, s2, o])!r}")
    return out


def write_pomdp(model: POMDPModel, path: str | os.PathLike, comment: str = "") -> None:
    with open(path, "w") as f:
        f.write(format_pomdp(model, comment))
