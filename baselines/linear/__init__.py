"""Reference agents with linear (and small NumPy network) function approximation."""

from .copdac_b import COPDACB, copdac_b_update
from .copdac_q import COPDACQ, compatible_features, copdac_q_update
from .critic import fit_batch_critic
from .ct_actor_critic import ContinuousTimeActorCritic, ct_td_error, quadratic_features, quadratic_form
from .reinforce import LinearReinforce, reinforce_step, trace_update
from .sac_b import SACB, sac_b_features, sac_b_update
from .tile_actor_critic import (
    TileCOPDACQ,
    TileOffPAC,
    TileSAC,
    copdac_q_tile_update,
    importance_ratio,
    offpac_update,
    sac_update,
)

__all__ = [
    "COPDACB",
    "copdac_b_update",
    "COPDACQ",
    "compatible_features",
    "copdac_q_update",
    "fit_batch_critic",
    "ContinuousTimeActorCritic",
    "ct_td_error",
    "quadratic_features",
    "quadratic_form",
    "LinearReinforce",
    "reinforce_step",
    "trace_update",
    "SACB",
    "sac_b_features",
    "sac_b_update",
    "TileSAC",
    "TileOffPAC",
    "TileCOPDACQ",
    "sac_update",
    "offpac_update",
    "copdac_q_tile_update",
    "importance_ratio",
]
