"""Reference agents for rl_envs, with the interface of Stable-Baselines3 models."""

from .common import Agent, AgentFileError, agent_arguments, check_agent_arguments, make_env

__all__ = ["Agent", "AgentFileError", "agent_arguments", "check_agent_arguments", "make_env"]
