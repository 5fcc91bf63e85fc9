"""The environment core: the task protocol and the two shells every environment is built from.

See :mod:`rl_envs.core.task` for what a task writes, :mod:`rl_envs.core.single` and
:mod:`rl_envs.core.vector` for what the shells own."""

from .reference import NoReference, Reference
from .single import SingleEnv
from .task import Task
from .vector import VectorEnv

__all__ = ["NoReference", "Reference", "SingleEnv", "Task", "VectorEnv"]
