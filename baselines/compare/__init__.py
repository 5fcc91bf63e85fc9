"""Compare reference agents with Stable-Baselines3 over a grid of independent cells.

A cell is (environment, agent, seed, budget, keyword arguments).  The package is split by
what a comparison does, each module usable alone:

* :mod:`.config`: the cells, from a configuration (a TOML/YAML file, or the leaderboard's), every
  problem found before any cell runs (:class:`ConfigError`);
* :mod:`.leaderboard`: the leaderboard's grid, every environment with its budget in environment
  steps and its agents on their tuned (or labelled untuned) settings, in two sizes:
  :func:`leaderboard_config` (``--full``) and :func:`default_config` (``make run``'s quick one);
* :mod:`.costs`: what a cell costs (seconds per training step, and the rest), measured from
  finished cells, and the wall time of a run estimated from it before it starts;
* :mod:`.run`: one cell (:func:`run_cell`, a pure function of the cell; :func:`cell_stages` yields
  its evaluations at the checkpoints ``eval_at``), the backends that run many (in-process, or a
  local process pool) and the whole run (:func:`compare`): every finished cell is written atomically to
  ``<out>/cells/`` at once, so a run that stops resumes where it stopped when given the same
  output folder, and Ctrl-C stops a run at once, keeping the finished cells;
* :mod:`.measures`: what a cell that names a ``measure`` measures in place of the evaluation
  (a planner's discounted reward, an LQ gain's exact gap after every rollout, the checkpoint from
  which a greedy policy stays optimal, trials to ten successes, a batch of tile actor-critic runs
  tested at checkpoints), registered by name so that any
  worker finds it; the record keeps the result under ``"measurements"``;
* :mod:`.ray_backend`: :class:`~.ray_backend.RayBackend`, every cell a Ray task, locally or on a
  cluster (Ray is imported only when it runs; docs/cluster.md);
* :mod:`.store`: the results folder: cell files checked against what :func:`run_cell` writes
  (a bad one is named, moved to ``cells/corrupt/`` and run again), outputs checked writable
  before any work (:class:`OutputError`), finished cells of several folders read back;
* :mod:`.report`: ``results.csv`` / ``results.json`` (one row a cell, with the environment's
  reference columns, :data:`~baselines.evaluation.REFERENCE_COLUMNS`, what they are of,
  :data:`~baselines.evaluation.REFERENCE_NOTES`, and the run's provenance), ``provenance.md``
  (the provenance for a report page), ``summary.md`` (per env and agent: mean return, reference,
  baseline policy's return, normalized score), ``curves/<env>.png`` (mean
  episode return against environment steps with a 95 % band over seeds), ``gifs/<env>.gif`` (a
  rollout of the best cell's policy), and the table spliced into a README;
* :mod:`.aggregate`: normalized scores aggregated over environments (Agarwal et al. 2021):
  ``aggregate.md``, ``aggregate/*.png`` and the export ``scores.npz`` / ``scores.json``.

Every run is tested on its own test episodes (:mod:`baselines.seeds`), which its row lists under
``test_seeds``.

Imports go one way (tests/test_import_graph.py checks it): :mod:`.measures`, :mod:`.store` and
:mod:`.aggregate` use no other module of the package, :mod:`.config` uses :mod:`.measures` (to
check a cell's measure), :mod:`.leaderboard` and :mod:`.costs` use :mod:`.config`,
:mod:`.report` uses :mod:`.config` and :mod:`.aggregate`, :mod:`.run` those, and
:mod:`.ray_backend` :mod:`.run`.

The names below are the package's interface (``from baselines import compare``).
"""

from ..evaluation import REFERENCE_COLUMNS, REFERENCE_NOTES, reference_columns, reference_notes, reference_of
from . import (
    aggregate as aggregate,
    config as config,
    costs as costs,
    leaderboard as leaderboard,
    measures as measures,
    report as report,
    run as run,
    store as store,
)
from .config import (
    MAX_CELLS,
    SB3_AGENTS,
    Cell,
    ConfigError,
    agent_arguments,
    cells_from_config,
    digest,
    known_agents,
    load_config,
)
from .leaderboard import DEFAULT_RUN, LEADERBOARD, SIZES, default_config, leaderboard_config, leaderboard_rows
from .report import (
    README_MARKERS,
    file_name,
    group_labels,
    splice_table,
    summary_lines,
    summary_table,
    write_outputs,
)
from .run import Interrupted, ProcessPoolBackend, RunResult, SerialBackend, compare, make_agent, run_cell
from .store import OutputError, check_writable, load_records, read_cell, record_problem

__all__ = [
    "DEFAULT_RUN",
    "LEADERBOARD",
    "SIZES",
    "leaderboard_config",
    "leaderboard_rows",
    "MAX_CELLS",
    "SB3_AGENTS",
    "Cell",
    "ConfigError",
    "agent_arguments",
    "cells_from_config",
    "default_config",
    "digest",
    "known_agents",
    "load_config",
    "README_MARKERS",
    "file_name",
    "group_labels",
    "splice_table",
    "summary_lines",
    "summary_table",
    "write_outputs",
    "Interrupted",
    "ProcessPoolBackend",
    "RunResult",
    "SerialBackend",
    "compare",
    "REFERENCE_COLUMNS",
    "REFERENCE_NOTES",
    "reference_columns",
    "reference_notes",
    "reference_of",
    "make_agent",
    "run_cell",
    "OutputError",
    "check_writable",
    "load_records",
    "read_cell",
    "record_problem",
]
