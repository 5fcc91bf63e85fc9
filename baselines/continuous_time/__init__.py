"""Continuous-time reinforcement learning after Doya (2000): the NGnet, the continuous TD
critic and the agents of the pendulum swing-up."""

from .agents import ContinuousActorCritic, DiscreteActorCritic, NGnetAgent, ValueGradientPolicy, squash
from .critic import ContinuousTDCritic
from .ngnet import NGnet

__all__ = [
    "ContinuousActorCritic",
    "ContinuousTDCritic",
    "DiscreteActorCritic",
    "NGnet",
    "NGnetAgent",
    "ValueGradientPolicy",
    "squash",
]
