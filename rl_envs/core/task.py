"""The task protocol: an environment is a frozen parameter object plus pure functions over a batch.

A task is a frozen dataclass whose fields are the environment's arguments (each with its default,
checked in ``__post_init__`` with :mod:`rl_envs.validation`), and whose methods compute, for ``n``
sub-environments at once (every array with a leading batch axis of ``n``):

* ``initial_state(rng, n)``: ``n`` start states, drawn sub-env by sub-env from ``rng``;
* ``sample_noise(rng, n)``: the random numbers of one step of ``n`` sub-envs (None when the
  dynamics are deterministic), drawn sub-env by sub-env;
* ``transition(state, action, noise)``: the next state, the rewards, the termination flags and an
  info dict of arrays.  Pure: it reads its arguments and returns new arrays (which the shells may
  write into).  Row by row: a sub-env's results depend on its own rows of the arguments alone, so
  that the vector env can step every sub-env and keep the start state of one that restarts
  instead (its row is then the state its episode ended in, its noise zero, its results unused);
* ``observe(state)``: the observations;
* ``paint(pg, surface, state, trail)``: one sub-env's drawing (``state`` a batch of one; ``trail``
  the earlier states of the episode, oldest first, empty in a vector env; see ``trail_length``);
* ``reference()``: the :class:`~rl_envs.core.Reference` record of the task, the best and the
  uniform-random policy's return and how they are known, which the single and the vector env
  give as their own ``reference()`` and the docs, the checker and the comparison read.

Drawing "sub-env by sub-env" means ``f(rng, n)`` draws what ``n`` calls of ``f(rng, 1)`` would, in
that order: then a vector env with ``n = 1`` is the single env bit for bit, and a vector env whose
sub-envs each have their own stream (``reset(seed=[...])``) draws ``f(rng_i, 1)`` for each.

``step(state, action, rng)`` composes these; the shells in :mod:`rl_envs.core.single` and
:mod:`rl_envs.core.vector` own everything else (validation of what the user passes, step counting
and truncation at ``max_steps``, seeding, autoreset, info masks, rendering).  The same task object
is what the docs, the checker (:mod:`rl_envs.check`) and the references read.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from gymnasium import spaces

from ..validation import as_discrete_action, as_discrete_actions, clipped_box_action, real_array
from .reference import Reference
from .tree import Tree


class Task:
    """Base of every task (subclasses are ``@dataclass(frozen=True)``).

    ``__post_init__`` of a subclass checks its fields and sets, with :meth:`_derive`, at least
    ``observation_space`` and ``action_space`` (of one sub-env) and ``max_steps`` (an int).  Every
    attribute a task computes goes through :meth:`_derive`: a copy of the task and the envs read
    the names it records.
    """

    #: ``render_modes`` of the single env (the vector env renders ``rgb_array``) and ``render_fps``
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array"], "render_fps": 30}
    #: what a Box action outside the box becomes (every task here clips it)
    action_out_of_range: ClassVar[str] = "clip"
    #: the keys ``reset(options=...)`` accepts (``reset_mask`` comes on top in a vector env)
    reset_options: ClassVar[tuple[str, ...]] = ()
    #: deprecated argument name -> the argument it now is (same meaning and units)
    aliases: ClassVar[dict[str, str]] = {}
    #: an info key whose entries end an episode by truncation (the octopus arm's numerical
    #: ``failure``): the sub-envs where ``transition`` gives it are truncated at once
    truncated_by: ClassVar[str | None] = None
    #: checker warnings this task documents: a substring of the warning -> why the task is so
    #: (the checker, :mod:`rl_envs.check`, reports any other warning as a problem)
    documented_warnings: ClassVar[dict[str, str]] = {}
    #: the canvas of one sub-env's drawing, in pixels
    canvas_size: ClassVar[tuple[int, int]] = (400, 400)
    #: the earlier states a single env's drawing gets (``trail`` of :meth:`paint`): None, those of
    #: the episode; a number, the last that many across episodes, until the task redraws its problem
    #: (the bandit's pulls, one an episode)
    trail_length: ClassVar[int | None] = None

    observation_space: spaces.Space
    action_space: spaces.Space
    max_steps: int
    #: the names of the attributes :meth:`_derive` set, in order (see :func:`attribute_names`)
    _derived: tuple[str, ...] = ()
    if TYPE_CHECKING:  # every task is a dataclass, which dataclasses.fields() and replace() take
        __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def _derive(self, **values: Any) -> None:
        """Set attributes computed from the fields (spaces, models, ...) on the frozen instance."""
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_derived", (*self._derived, *(k for k in values if k not in self._derived)))

    def __copy__(self) -> Task:
        """A shallow copy set attribute by attribute.  ``copy.copy``'s own reads ``vars()`` of the
        task and of its copy, and CPython keeps an object's attributes in a dict from then on,
        where every read takes several times as long: a step of the tabular maze reads a dozen."""
        twin = object.__new__(type(self))
        for name in attribute_names(self):
            object.__setattr__(twin, name, getattr(self, name))
        return twin

    # -- the dynamics (batched; see the module docstring) ------------------------------------

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> Tree:
        raise NotImplementedError

    def sample_noise(self, rng: np.random.Generator, n: int) -> Tree:
        """None for deterministic dynamics (the vector env asks once, with ``n = 0``)."""
        return None

    def transition(self, state: Tree, action: np.ndarray, noise: Tree) -> tuple[Tree, np.ndarray, np.ndarray, dict]:
        raise NotImplementedError

    def observe(self, state: Tree) -> np.ndarray:
        """By default the state is an array of the observation's shape, observed in its dtype."""
        return state.astype(self.observation_space.dtype)

    def step(
        self, state: Tree, action: np.ndarray, rng: np.random.Generator
    ) -> tuple[Tree, np.ndarray, np.ndarray, np.ndarray, dict]:
        """``(state, obs, reward, terminated, info)`` of one step of every sub-env, drawing from ``rng``."""
        state, reward, terminated, info = self.transition(state, action, self.sample_noise(rng, batch_size(state)))
        return state, self.observe(state), reward, terminated, info

    def state_from(self, value: Any) -> Tree:
        """One env's state given by a user (``env.unwrapped.state = value``) as a checked batch of one
        (by default a finite array of the observation's shape, kept in float64)."""
        return real_array(value, "state", shape=self.observation_space.shape)[None].copy()

    def step_one(self, state: Tree, action: Any, rng: np.random.Generator) -> tuple[Tree, Any, float, bool, dict]:
        """``(state, obs, reward, terminated, info)`` of one step of a batch of one (``action`` as
        ``check_action(action, None)`` gives it), with the single env's types out: one
        observation, a ``float``, a ``bool`` and an info dict of one env (what the single env
        steps).  By default :meth:`step` unbatched; a task overrides it, for speed only, where
        numpy's per-call cost would dominate a cheap step (the tabular maze).  An override must
        draw and compute exactly what ``transition`` does: the checker holds the single env (which
        uses it) to the vector env (which does not) bit for bit."""
        state, reward, terminated, info = self.transition(state, action, self.sample_noise(rng, 1))
        return state, self.observe(state)[0], float(reward[0]), bool(terminated[0]), unbatch_info(info)

    def reset_info(self, state: Tree) -> dict[str, np.ndarray]:
        """Info entries of ``reset`` (arrays over the batch; the vector env keeps those of the
        sub-envs that start)."""
        return {}

    def end_info(self, state: Tree) -> dict[str, np.ndarray]:
        """Info entries added on the last step of an episode (arrays over the batch; the vector env
        keeps those of the sub-envs that end)."""
        return {}

    def for_env(self, single: bool, render_mode: str | None) -> Task:
        """The task as an env of that kind runs it: ``self``, unless a task serves a single env or a
        render mode differently (the octopus arm steps one arm on one thread; the partially
        observable maze tracks its belief only to draw it)."""
        return self

    def redraw(self, rng: np.random.Generator, seeded: bool) -> Task:
        """The task of the next episodes, called at every full reset (``seeded``: the reset was given a
        seed): ``self``, unless the task draws its problem (the DPG bandit's matrix C after a
        seeded reset, a random maze at every reset)."""
        return self

    def frozen_problem(self) -> Task:
        """This task with the problem it drew fixed, so that it never redraws (``self`` for a task
        that draws none): what the checker compares sub-env by sub-env with Gymnasium's own vector env."""
        return self

    # -- the reference -------------------------------------------------------------------------

    def reference(self) -> Reference:
        """The task's :class:`~rl_envs.core.Reference`: the optimum (exact, bounded or best known)
        and the uniform-random policy's expected return, for the quantity it names.  Every
        registered environment declares one (the checker, :mod:`rl_envs.check`, requires it)."""
        raise NotImplementedError(f"{type(self).__name__} declares no reference() (see rl_envs.core.Reference)")

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: Any, n: int | None) -> np.ndarray:
        """The action(s) of ``n`` sub-envs (``None``: one env's action, as :meth:`step_one` takes
        it) as a batch, or a ValueError naming the action space.  A Box action is clipped into the box."""
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            if n is None:
                return np.array([as_discrete_action(action, int(space.n))])
            return as_discrete_actions(action, n, int(space.n))
        if isinstance(space, spaces.Box):
            return clipped_box_action(action, space, n)
        raise NotImplementedError(f"{type(self).__name__} must define check_action for {space}")

    # -- drawing -------------------------------------------------------------------------------

    def paint(self, pg: Any, surface: Any, state: Tree, trail: list[Tree]) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no drawing")

    def ansi(self, state: Tree) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no text rendering")


def unbatch_info(info: dict[str, np.ndarray], i: int = 0) -> dict[str, Any]:
    """Sub-env ``i``'s entries of a batched info dict (masked entries ``_key`` left out where False),
    numbers as Python scalars."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        mask = info.get("_" + key)
        if mask is not None and not mask[i]:
            continue
        if isinstance(value, dict):
            out[key] = unbatch_info(value, i)
            continue
        v = value[i]
        out[key] = v.item() if isinstance(v, np.generic) else v
    return out


def attribute_names(task: Task) -> list[str]:
    """The names of ``task``'s attributes: its dataclass fields that are set, then those
    :meth:`Task._derive` set.  Read without ``vars(task)``, which would slow every later attribute
    read of the task (see :meth:`Task.__copy__`)."""
    names = [f.name for f in dataclasses.fields(task) if hasattr(task, f.name)]
    return names + [name for name in task._derived if name not in names] + ["_derived"]


def batch_size(state: Tree) -> int:
    """The length of ``state``'s first leaf: the number of sub-envs it holds."""
    while isinstance(state, (dict, tuple)):
        state = next(iter(state.values())) if isinstance(state, dict) else state[0]
    return len(state)


def arguments(task_type: type[Task]) -> list[str]:
    """The names of ``task_type``'s arguments, in order."""
    if not dataclasses.is_dataclass(task_type):
        raise TypeError(f"{task_type.__name__} must be a @dataclass(frozen=True), as every Task is")
    return [f.name for f in dataclasses.fields(task_type) if f.init]


def build_task(task_type: type[Task], owner: str, args: tuple, kwargs: dict) -> Task:
    """``task_type(*args, **kwargs)``, with an unknown keyword refused by a TypeError that names the
    arguments the environment takes (and the closest one), and a deprecated alias mapped with a warning."""
    known = arguments(task_type)
    for name in list(kwargs):
        if name in task_type.aliases:
            import warnings

            target = task_type.aliases[name]
            warnings.warn(
                f"{owner}: the argument {name!r} is deprecated; use {target!r}", DeprecationWarning, stacklevel=4
            )
            if target in kwargs:
                raise TypeError(f"{owner}: give {target!r} or its deprecated alias {name!r}, not both")
            kwargs[target] = kwargs.pop(name)
        elif name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            # Python's own wording first: libraries match it (TorchRL's GymEnv retries without
            # ``frameskip`` when it reads "unexpected keyword argument 'frameskip'")
            raise TypeError(
                f"{owner}.__init__() got an unexpected keyword argument {name!r}{hint}; its arguments "
                f"are: {', '.join(known)}"
            )
    if len(args) > len(known):
        raise TypeError(
            f"{owner} takes at most {len(known)} positional arguments ({', '.join(known)}), got {len(args)}"
        )
    return task_type(*args, **kwargs)
