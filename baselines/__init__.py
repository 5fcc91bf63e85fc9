"""Reference agents for rl_envs, with the interface of Stable-Baselines3 models."""

from .agent import Agent, agent_arguments, check_agent_arguments, make_env
from .agent_files import AgentFileError

__all__ = ["Agent", "AgentFileError", "agent_arguments", "check_agent_arguments", "make_env"]
