"""How an environment shares its task between a single and a native vector env.

GridMaze, PartiallyObservableMaze and OctopusArm follow one pattern; a new environment copies it.

* **The task class** (``class FooTask:``, in the env's module) holds what both envs share.  Its
  ``__init__`` is the only place the task's arguments and their defaults are written (the
  single env's docstring documents them).  It checks every argument with
  :mod:`rl_envs.validation` (a ``ValueError`` naming the argument) and ``render_mode``
  against the env's ``metadata``, then sets what both envs read (the model, ``max_steps``,
  ...) and the ``observation_space`` and ``action_space`` of *one* env.  Its other methods are
  the exact references and the drawing of one env.
* **The single env**, ``class FooEnv(FooTask, RenderMixin, gym.Env)``, inherits that
  ``__init__`` unchanged; class attributes give its state before the first ``reset``.
* **The vector env**, ``class FooVectorEnv(TaskVectorEnv, FooTask, VectorRenderMixin, VectorEnv)``
  with ``__signature__ = vector_signature(FooTask)``, takes ``num_envs`` and then the task's
  arguments: :class:`TaskVectorEnv` checks ``num_envs``, passes the rest to ``FooTask.__init__``
  (next in the method resolution order) and batches the spaces that set.
* **A step** checks the action first (``validation.as_discrete_action(s)`` /
  ``as_box_action``), then that an episode runs (``ResetNeeded``), and changes no state
  before both pass.
* **Random numbers**: the vector env draws from its ``np_random`` in the order in which
  ``num_envs`` single envs would draw, sub-env by sub-env, so that with ``num_envs=1`` it
  reproduces the single env bit for bit under the same seed and actions (the conformance suite
  checks this for every native vector env).
* **Autoreset** is Gymnasium's ``AutoresetMode.NEXT_STEP`` (as in ``CartPoleVectorEnv``): the step
  after a sub-env's episode ends restarts it instead of moving it: its action is ignored, and
  it returns its first observation with reward 0, neither terminated nor truncated.
* **Reset** is :meth:`TaskVectorEnv.reset`; the env supplies ``_start(mask, options)`` (put the
  sub-envs in ``mask`` at the start of an episode, drawing their random numbers in sub-env order;
  ``options`` are ``reset``'s) and
  ``_observe()`` (the current observations and reset infos of all sub-envs).
  ``reset(options={"reset_mask": mask})``, Gymnasium's partial reset, restarts only the
  sub-envs in ``mask`` at once, so that a same-step autoreset (SB3's ``VecEnv``,
  :mod:`baselines.sb3_vec`) can be built on top.
"""

from __future__ import annotations

import inspect

import numpy as np
from gymnasium.error import ResetNeeded
from gymnasium.vector.utils import batch_space

from .validation import integer


def vector_signature(task: type) -> inspect.Signature:
    """``num_envs=1`` followed by the arguments of ``task.__init__``: the signature of its vector env."""
    num_envs = inspect.Parameter("num_envs", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1, annotation=int)
    arguments = inspect.signature(task)
    return arguments.replace(parameters=[num_envs, *arguments.parameters.values()])


class TaskVectorEnv:
    """The vector half of the pattern above: ``num_envs``, the batched spaces, the sub-envs'
    step counts and restart flags.

    Per step: ``restarted = self._begin_step()`` once the actions are checked (those sub-envs
    restart instead of moving), then ``truncated = self._finish_step(restarted, terminated)``
    counts the step against ``self.max_steps`` and marks the sub-envs that end now to restart
    on the next step.
    """

    _needs_reset: np.ndarray | None = None  # None until the first reset

    def __init__(self, num_envs: int = 1, *args, **kwargs):
        self.num_envs = integer(num_envs, "num_envs")
        super().__init__(*args, **kwargs)  # the task's: it sets the spaces of one sub-env
        self.single_observation_space, self.single_action_space = self.observation_space, self.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._t = np.zeros(self.num_envs, dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Every sub-env, or with ``options={"reset_mask": mask}`` (a bool array of
        ``num_envs``) only those in ``mask``: they start new episodes now, the others keep
        their state, and the observations returned are those of every sub-env."""
        mask = None if options is None else options.get("reset_mask")
        if mask is None:
            super().reset(seed=seed)  # the VectorEnv's: seeds np_random
            self._t[:] = 0
            self._needs_reset = np.zeros(self.num_envs, dtype=np.bool_)
            mask = np.ones(self.num_envs, dtype=np.bool_)
        else:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
                raise ValueError(f"options['reset_mask'] must be a bool array of shape ({self.num_envs},), "
                                 f"got {mask.dtype} of shape {mask.shape}")
            if seed is not None:
                raise ValueError("reset(seed=...) seeds every sub-env; a reset with a reset_mask takes no seed")
            self._begin_step()  # ResetNeeded before the first full reset
            self._t[mask] = 0
            self._needs_reset[mask] = False
        self._start(mask, options)
        return self._observe()

    def _begin_step(self) -> np.ndarray:
        """The sub-envs that restart on this step instead of moving."""
        if self._needs_reset is None:
            raise ResetNeeded("call reset() before step()")
        return self._needs_reset

    def _finish_step(self, restarted: np.ndarray, terminated: np.ndarray, failed: np.ndarray | None = None) -> np.ndarray:
        """The truncation flags of this step (``failed`` sub-envs are truncated too)."""
        self._t = np.where(restarted, 0, self._t + 1)
        truncated = ~terminated & ~restarted & (self._t >= self.max_steps)
        if failed is not None:
            truncated |= failed
        self._needs_reset = terminated | truncated
        return truncated
