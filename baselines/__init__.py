"""Reference agents for rl_envs, with the interface of Stable-Baselines3 models."""

from .common import Agent, make_env

__all__ = ["Agent", "make_env"]
