"""Every reference agent by class name: tabular, linear, belief-state, continuous-time, distributional
and intrinsic (the maximum occupancy principle).

A comparison cell names its agent here (:mod:`baselines.compare`), and tests/test_agent_protocol.py
checks the agent protocol (:mod:`baselines.agent`) over every entry, so registering an agent
here tests it.
"""

from __future__ import annotations

from . import belief, continuous_time, distributional, intrinsic, linear
from .tabular import CONTROL_AGENTS, TD0, MonteCarlo

AGENTS = {
    cls.__name__: cls
    for cls in (
        *CONTROL_AGENTS,
        MonteCarlo,
        TD0,
        linear.COPDACB,
        linear.SACB,
        linear.COPDACQ,
        linear.LinearReinforce,
        linear.ContinuousTimeActorCritic,
        linear.TileSAC,
        linear.TileOffPAC,
        linear.TileCOPDACQ,
        belief.QMDP,
        belief.MostLikelyState,
        belief.Perseus,
        continuous_time.ContinuousActorCritic,
        continuous_time.DiscreteActorCritic,
        continuous_time.ValueGradientPolicy,
        distributional.ExpectileTD,
        distributional.QuantileTD,
        distributional.ClassicalTD,
        intrinsic.MOP,
        intrinsic.RewardSeeking,
    )
}
