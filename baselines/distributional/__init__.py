"""Distributional TD, the dopamine model of Dabney et al. (2020, Nature 577:671): the agents, the
reversal-point analysis of their simulated cells, and the decoding of a reward distribution from
expectiles (Rowland et al. 2019's imputation)."""

from .agents import (
    DEFAULT_TAUS,
    ClassicalTD,
    DistributionalTD,
    ExpectileTD,
    QuantileTD,
    averaged_expectile_sd,
    distributional_td_update,
    rates_from_taus,
    sample_rates,
)
from .analysis import AsymmetryAnalysis, asymmetry_analysis, fit_reversal_points, fit_slopes, record_trials, responses
from .decoding import Decoded, decode_by_root, decode_expectiles, imputation_loss

__all__ = [
    "DEFAULT_TAUS",
    "ClassicalTD",
    "DistributionalTD",
    "ExpectileTD",
    "QuantileTD",
    "averaged_expectile_sd",
    "distributional_td_update",
    "rates_from_taus",
    "sample_rates",
    "AsymmetryAnalysis",
    "asymmetry_analysis",
    "fit_reversal_points",
    "fit_slopes",
    "record_trials",
    "responses",
    "Decoded",
    "decode_by_root",
    "decode_expectiles",
    "imputation_loss",
]
