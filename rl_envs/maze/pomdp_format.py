"""Read and write Cassandra's ``.POMDP`` text format (pomdp-solve's pomdp-file-spec).

Preamble: ``discount:``, ``values: reward|cost``, ``states:``, ``actions:``, ``observations:``
(a count or a list of names) and an optional ``start:`` (probabilities, ``uniform``, one state,
or ``start include:`` / ``start exclude:`` a list of states).  Then, in any order, entries

    T: a : s : s' p      T: a : s  <row over s'>      T: a  <matrix> | identity | uniform
    O: a : s' : o p      O: a : s' <row over o>       O: a  <matrix> | uniform
    R: a : s : s' : o r  R: a : s : s'  <row over o>  R: a : s  <matrix over s' x o>

where ``*`` is a wildcard, anything unspecified is 0 and a later entry overrides an earlier
one.  ``#`` starts a comment.  A malformed file raises :class:`POMDPFormatError` naming the line.
"""

from __future__ import annotations

import os
import re

import numpy as np

from .pomdp import POMDPModel

_TOKEN = re.compile(r"[^\s:]+|:")
_PREAMBLE = ("discount", "values", "states", "actions", "observations", "start")


class POMDPFormatError(ValueError):
    """A ``.POMDP`` text that does not follow the format; the message names the line."""


class _Tokens:
    def __init__(self, text: str):
        self.items: list[tuple[str, int]] = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            self.items.extend((t, lineno) for t in _TOKEN.findall(line.split("#", 1)[0]))
        self.i = 0

    def peek(self) -> str | None:
        return self.items[self.i][0] if self.i < len(self.items) else None

    @property
    def line(self) -> int:
        return self.items[min(self.i, len(self.items) - 1)][1] if self.items else 1

    def error(self, message: str) -> POMDPFormatError:
        return POMDPFormatError(f"line {self.line}: {message}")

    def next(self, what: str) -> str:
        if self.i >= len(self.items):
            raise POMDPFormatError(f"line {self.line}: unexpected end of file, expected {what}")
        tok = self.items[self.i][0]
        self.i += 1
        return tok

    def expect_colon(self) -> None:
        if self.next("':'") != ":":
            self.i -= 1
            raise self.error(f"expected ':' but found {self.peek()!r}")

    def number(self) -> float:
        tok = self.next("a number")
        try:
            return float(tok)
        except ValueError:
            self.i -= 1
            raise self.error(f"expected a number but found {tok!r}") from None

    def numbers(self, n: int) -> np.ndarray:
        return np.array([self.number() for _ in range(n)])

    def at_keyword(self) -> bool:
        """At ``discount:``, ``T:`` and the like (a keyword followed by a colon)."""
        nxt = self.items[self.i + 1][0] if self.i + 1 < len(self.items) else None
        return self.peek() in _PREAMBLE + ("T", "O", "R") and (nxt == ":" or self.peek() == "start")

    def at_number(self) -> bool:
        tok = self.peek()
        try:
            float(tok)
        except (TypeError, ValueError):
            return False
        return True


def _names(toks: _Tokens) -> tuple[str, ...]:
    """A count (names 0..n-1) or a list of names, up to the next keyword."""
    if toks.at_number():
        tok = toks.next("a count")
        if not tok.isdigit() or int(tok) < 1:
            toks.i -= 1
            raise toks.error(f"expected a positive count or a list of names, found {tok!r}")
        return tuple(str(i) for i in range(int(tok)))
    names = []
    while toks.peek() is not None and not toks.at_keyword():
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


def read_pomdp(source: str | os.PathLike) -> POMDPModel:
    """A :class:`POMDPModel` from a ``.POMDP`` file path or the text itself."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source and os.path.exists(source)):
        with open(source) as f:
            text = f.read()
    else:
        text = str(source)
    return parse_pomdp(text)


def parse_pomdp(text: str) -> POMDPModel:
    toks = _Tokens(text)
    header: dict = {"values": "reward", "discount": None}
    while toks.peek() in _PREAMBLE:
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
            header[key] = _names(toks)
        else:
            header["start"] = _start(toks, exclude=key == "start exclude")
    for key in ("discount", "states", "actions", "observations"):
        if header.get(key) is None:
            raise toks.error(f"the preamble lacks '{key}:'")
    S, A, Z = (header[k] for k in ("states", "actions", "observations"))
    nS, nA, nZ = len(S), len(A), len(Z)
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
    b0 = np.full(nS, 1.0 / nS) if b0 is None else b0(S)
    try:
        return POMDPModel(T, O, reward, b0, header["discount"], S, A, Z)
    except ValueError as e:
        raise POMDPFormatError(f"the model is not a valid POMDP: {e}") from None


def _start(toks: _Tokens, exclude: bool):
    """The start belief; resolved once the state names are known (they may come later)."""
    line = toks.line
    if toks.peek() == "uniform":
        toks.next("uniform")
        return lambda S: np.full(len(S), 1.0 / len(S))
    values = []
    while toks.peek() is not None and not toks.at_keyword():
        values.append(toks.next("a start value"))

    def resolve(S):
        try:
            if all(_is_number(v) for v in values) and len(values) == len(S):
                return np.array([float(v) for v in values])
            chosen = [S.index(v) if v in S else int(v) for v in values]
            if not all(0 <= c < len(S) for c in chosen):
                raise ValueError
        except ValueError:
            raise POMDPFormatError(f"line {line}: start must list {len(S)} probabilities, 'uniform' or states") from None
        mask = np.zeros(len(S), dtype=bool)
        mask[chosen] = True
        mask = ~mask if exclude else mask
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
    rest = [len(names) for names, _ in axes[len(index):]]
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
        bad = (not name or name in _RESERVED or any(c.isspace() or c in ":*#" for c in name)
               or _is_number(name))
        if bad:
            raise ValueError(f"{what} name {name!r} cannot be written in the .POMDP format: names must not be "
                             "numbers or keywords, nor contain whitespace, ':', '*' or '#'")


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
            forms = ["\n".join(f"{kind}: {a} : {r} : {cols[c]} {_number(row[c])}" for c in nonzero),
                     f"{kind}: {a} : {r}\n" + " ".join(_number(x) for x in row)]
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
        else:  # a list shorter than len(states), so numbered states read as indices
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
