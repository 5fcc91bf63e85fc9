"""Hyperparameter sweeps on Ray Tune, with tuning and evaluation seeds kept apart.

``python -m baselines sweep --config sweep.toml``: :mod:`.config` reads and checks the sweep
(search space, seeds, metric, search algorithm, budget), :mod:`.run` runs the trials on Ray Tune
(grid search, or Optuna's TPE through Tune's ``OptunaSearch``; ASHA early stopping on the
learning curve) and the chosen setting on the evaluation seeds through :mod:`baselines.compare`.
Needs the ``ray`` extra (``pip install 'rl_envs[ray]'``); importing this package does not.
"""

from .config import METRICS, Metric, Sweep, sweep_from_config
from .run import NothingChosen, SweepInterrupted, SweepResult, run_sweep

__all__ = [
    "METRICS",
    "Metric",
    "Sweep",
    "sweep_from_config",
    "NothingChosen",
    "SweepInterrupted",
    "SweepResult",
    "run_sweep",
]
