"""Running a sweep on Ray Tune: trials on the tuning seeds, then the chosen setting alone on the
evaluation seeds through the comparison's cells.

A trial is one setting of the swept arguments.  It trains one agent per tuning seed with the
comparison's own cell code (:func:`~baselines.compare.run.cell_stages`), advancing them
together from checkpoint to checkpoint and reporting the metric of the curves so far after
each, which is the learning curve ASHA stops trials on.  The chosen setting is the best of the
trials that reached the end (a trial stopped early is scored on a shorter curve, which is not
comparable).  A trial that diverges (an evaluation return that is not finite, or an evaluation
episode ended at the environment's divergence bound, as LQ control's ``max_state_norm``) stops
at once, is marked ``diverged`` and never chosen.  Ties for the best score go to the first
trial in Tune's order (the grid's order; the order Optuna proposed its samples in), and the
tie is reported; when every trial diverged or failed, or the complete ones all tie, the sweep
chooses nothing (:class:`NothingChosen`).  Tune keeps its experiment state in
``<out>/tune/``: the same command after an
interruption restores it, keeps the finished trials and runs the rest.  Outputs in ``<out>``:
``trials.csv`` (every trial), ``chosen.json`` (the setting, its tuning and evaluation scores),
``sweep.png`` (the metric against each swept argument), ``summary.md``, and ``evaluation/``
(a comparison results folder of the chosen setting on the evaluation seeds).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..compare.config import ConfigError
from ..compare.ray_backend import RayBackend, connect, require_ray
from ..compare.run import cell_stages, cell_test_seeds, compare, limit_threads
from ..compare.store import check_writable, folder_lock, warn
from ..evaluation import Diverged
from ..interrupts import keep_sigint_handler
from ..io import atomic_write_bytes, save_figure, write_csv
from .config import Sweep

TUNE_NAME = "tune"


def trial(config: dict, sweep: Sweep) -> None:
    """A Tune function trainable: the setting ``config`` on every tuning seed."""
    from ray import tune

    limit_threads(sweep.cpus_per_trial)
    cells = sweep.cells(config, sweep.tuning_seeds)
    stages = [cell_stages(cell, film=False, stop_if_diverged=True) for cell in cells]
    reference = sweep.reference() if sweep.metric.needs else None
    curves = np.zeros((len(stages), 0))
    worst = math.inf if sweep.metric.mode == "min" else -math.inf
    try:
        for k, step in enumerate(sweep.checkpoints):
            column = []
            for cell, stage in zip(cells, stages):
                try:
                    column.append(next(stage)[1])
                except StopIteration as done:  # the end, past the last of eval_at
                    column.append(done.value["row"]["return"])
                except Diverged as e:
                    raise Diverged(f"seed {cell.seed}: {e}") from None
            curves = np.column_stack([curves, column])
            score = sweep.metric.score(sweep.checkpoints[: k + 1], curves, reference)
            if not math.isfinite(score):
                raise Diverged(f"the {sweep.metric.name} after {step:,} steps is {score}, not a finite number")
            tune.report(
                {
                    "score": score,
                    "steps": step,
                    "complete": k == len(sweep.checkpoints) - 1,
                    "error": "",
                    "diverged": False,
                }
            )
    except Diverged as e:  # never chosen, like any setting that breaks the agent
        tune.report({"score": worst, "steps": 0, "complete": True, "error": str(e), "diverged": True})
    except Exception as e:  # a setting that breaks the agent is the worst one
        tune.report(
            {"score": worst, "steps": 0, "complete": True, "error": f"{type(e).__name__}: {e}", "diverged": False}
        )


@dataclass
class SweepResult:
    trials: list[dict]
    chosen: dict  # chosen.json (an interrupted sweep raises SweepInterrupted instead)
    finished: int
    total: int


class SweepInterrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped a sweep; Tune saved its state in ``path``."""


class NothingChosen(Exception):
    """No trial can be chosen: every one diverged or failed, or the complete ones all tie."""


def _param_space(sweep: Sweep) -> dict:
    from ray import tune

    space = {}
    for name, (kind, values) in sweep.space.items():
        if sweep.search == "grid":
            space[name] = tune.grid_search(values)
        elif kind == "choice":
            space[name] = tune.choice(values)
        else:
            space[name] = tune.loguniform(*values)
    return space


def _tuner(sweep: Sweep, storage: Path, progress: bool):
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    trainable = tune.with_resources(tune.with_parameters(trial, sweep=sweep), {"cpu": sweep.cpus_per_trial})
    path = storage / TUNE_NAME
    if tune.Tuner.can_restore(path):
        # Finished trials are kept; those an interruption left unfinished (or errored) start again.
        return tune.Tuner.restore(str(path), trainable, resume_unfinished=True, restart_errored=True)
    search_alg, num_samples = None, 1
    if sweep.search == "optuna":
        from ray.tune.search.optuna import OptunaSearch

        search_alg, num_samples = OptunaSearch(seed=sweep.search_seed), sweep.budget  # TPE, Optuna's default sampler
    scheduler = None
    if sweep.early_stopping == "asha":
        n = len(sweep.checkpoints)
        scheduler = ASHAScheduler(
            time_attr="training_iteration", max_t=n, grace_period=max(1, n // 9), reduction_factor=3
        )
    return tune.Tuner(
        trainable,
        param_space=_param_space(sweep),
        tune_config=tune.TuneConfig(
            metric="score",
            mode=sweep.metric.mode,
            search_alg=search_alg,
            scheduler=scheduler,
            num_samples=num_samples,
            reuse_actors=True,
        ),  # no process start per trial
        # A trial whose process or node is lost starts again (twice at most), as a cell's task does.
        run_config=tune.RunConfig(
            name=TUNE_NAME,
            storage_path=str(storage),
            verbose=1 if progress else 0,
            failure_config=tune.FailureConfig(max_failures=2),
        ),
    )


def expected_trials(sweep: Sweep) -> int:
    return len(sweep.grid_settings()) if sweep.search == "grid" else sweep.budget


def run_sweep(
    sweep: Sweep, out: str | Path, address: str | None = None, progress: bool = True, init_kwargs: dict | None = None
) -> SweepResult:
    """Tune ``sweep`` on its tuning seeds, then run the chosen setting on the evaluation seeds
    through :func:`~baselines.compare.compare` (into ``<out>/evaluation``), and write the outputs.

    Raises :class:`SweepInterrupted` when Ctrl-C stopped the trials (Tune saved its state;
    the same call resumes), :class:`~baselines.compare.Interrupted` when it stopped the
    evaluation (its finished cells are kept), and :class:`NothingChosen` (after writing
    ``trials.csv`` and ``summary.md``) when no trial can be chosen.  ``out`` is locked for the
    sweep (one run per folder).
    """
    require_ray()  # before anything is written
    out = Path(out).resolve()  # Tune wants an absolute storage path
    check_writable(out, folders=("evaluation",), files=("trials.csv", "chosen.json", "sweep.png", "summary.md"))
    with folder_lock(out):
        return _run_sweep(sweep, out, address, progress, init_kwargs)


def _run_sweep(sweep: Sweep, out: Path, address: str | None, progress: bool, init_kwargs: dict | None) -> SweepResult:
    recorded = out / "sweep.json"
    if recorded.exists() and recorded.read_text() != sweep.to_json():
        raise ConfigError(f"{out} holds another sweep ({recorded} differs); give a new --out to start this one")
    atomic_write_bytes(recorded, sweep.to_json().encode())
    connected = connect(address, **(init_kwargs or {}))
    try:
        from ray import tune

        with keep_sigint_handler():
            _tuner(sweep, out, progress).fit()
        # The trials as Tune saved them: one an interruption cut short is PENDING there (and runs
        # again on resume), while the in-memory result calls it TERMINATED like one ASHA stopped.
        trials = _trial_rows(sweep, tune.ExperimentAnalysis(str(out / TUNE_NAME)).trials)
        write_csv(
            out / "trials.csv", trials, ["trial", *sweep.space, "score", "checkpoints", "steps", "status", "error"]
        )
        total = expected_trials(sweep)
        done = sum(t["status"] != "unfinished" for t in trials)
        if done < total:
            raise SweepInterrupted(f"{done} of {total} trials finished; Tune saved the sweep in {out / TUNE_NAME}")
        try:
            chosen = choose(sweep, trials)
        except NothingChosen as e:
            atomic_write_bytes(
                out / "summary.md", ("\n".join(summary_lines(sweep, trials, None, str(e))) + "\n").encode()
            )
            raise
        if chosen["tied_with"]:
            warn(
                f"trials {', '.join(chosen['tied_with'])} tie with trial {chosen['trial']} for the best score "
                f"{chosen['tuning_score']:.6g}; chosen: the first of them ({_setting_text(chosen['setting'])})"
            )
        result = compare(
            sweep.cells(chosen["setting"], sweep.evaluation_seeds),
            out / "evaluation",
            RayBackend(),
            progress_bar=progress,
        )
    finally:
        if connected:
            require_ray().shutdown()
    records = [
        json.loads((out / "evaluation" / "cells" / f"{c.key}.json").read_text())
        for c in sweep.cells(chosen["setting"], sweep.evaluation_seeds)
    ]
    chosen["evaluation_score"] = evaluation_score(sweep, records)
    # Every test episode the choice looked at (a trial that ASHA stopped played the first of its
    # seeds' share), and those of the reported evaluation: disjoint ranges (baselines/seeds.py).
    chosen["tuning_test_seeds"] = [
        s for c in sweep.cells(chosen["setting"], sweep.tuning_seeds) for s in cell_test_seeds(c)
    ]
    chosen["evaluation_test_seeds"] = [s for r in records for s in r["row"]["test_seeds"]]
    chosen["failed_evaluation_cells"] = [f"{c.key}: {e}" for c, e in result.failed]
    atomic_write_bytes(out / "chosen.json", json.dumps(chosen, indent=1).encode())
    plot_sweep(sweep, trials, chosen, out / "sweep.png")
    atomic_write_bytes(out / "summary.md", ("\n".join(summary_lines(sweep, trials, chosen)) + "\n").encode())
    return SweepResult(trials, chosen, done, total)


def _trial_rows(sweep: Sweep, saved_trials) -> list[dict]:
    """One row per trial Tune knows of, finished or not."""
    rows = []
    for t in saved_trials:
        metrics = t.last_result or {}
        if t.status == "TERMINATED" and metrics.get("complete"):
            status = "diverged" if metrics.get("diverged") else "error" if metrics.get("error") else "complete"
        elif t.status == "TERMINATED":
            status = "stopped early"  # by ASHA: ended without error before its last checkpoint
        elif t.status == "ERROR":
            status = "error"
        else:
            status = "unfinished"
        error = metrics.get("error") or (
            "the trial's process failed (see Tune's logs in tune/)" if t.status == "ERROR" else ""
        )
        rows.append(
            {
                "trial": t.trial_id,
                **{name: t.config.get(name) for name in sweep.space},
                "score": metrics.get("score", math.nan),
                "checkpoints": metrics.get("training_iteration", 0),
                "steps": metrics.get("steps", 0),
                "status": status,
                "error": error,
            }
        )
    return sorted(rows, key=lambda r: r["trial"])


def choose(sweep: Sweep, trials: list[dict]) -> dict:
    """The best complete trial on the tuning seeds; a tie for the best score goes to the first
    of the tied trials in Tune's order (``trials`` is in it), the others listed in ``tied_with``.
    :class:`NothingChosen` if no trial is complete (every one diverged, failed or was stopped
    early), or if several are and all tie: the metric then cannot tell the settings apart."""
    complete = [t for t in trials if t["status"] == "complete"]
    if not complete:
        counts = Counter(t["status"] for t in trials)
        raise NothingChosen(
            f"no trial finished without diverging or failing ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}); "
            "see trials.csv"
        )
    sign = 1 if sweep.metric.mode == "min" else -1
    best = min(complete, key=lambda t: sign * t["score"])
    tied = [t["trial"] for t in complete if t["score"] == best["score"] and t is not best]
    if len(complete) > 1 and len(tied) == len(complete) - 1:
        others = len(trials) - len(complete)
        raise NothingChosen(
            f"all {len(complete)} complete trials score {best['score']:.6g}"
            f"{f' (the other {others} diverged, failed or stopped early)' if others else ''}: "
            f"the {sweep.metric.name} cannot tell the settings apart; see trials.csv"
        )
    return {
        "setting": {name: best[name] for name in sweep.space},
        "trial": best["trial"],
        "tied_with": tied,
        "tuning_score": best["score"],
        "metric": sweep.metric.name,
        "mode": sweep.metric.mode,
        "tuning_seeds": sweep.tuning_seeds,
        "evaluation_seeds": sweep.evaluation_seeds,
    }


def evaluation_score(sweep: Sweep, records: list[dict]) -> float:
    """The metric of the chosen setting on the evaluation seeds, from their cells' curves."""
    curves = np.array(
        [
            r["log"].get("eval_returns", []) + ([] if sweep.checkpoints == sweep.eval_at else [r["row"]["return"]])
            for r in records
        ]
    )
    return sweep.metric.score(sweep.checkpoints, curves, sweep.reference() if sweep.metric.needs else None)


def summary_lines(sweep: Sweep, trials: list[dict], chosen: dict | None, nothing: str = "") -> list[str]:
    """``summary.md``: the choice (or, with ``chosen`` None, why there is ``nothing``) and the trials."""
    names = list(sweep.space)
    if chosen is None:
        choice = f"Nothing chosen: {nothing}."
    else:
        tie = chosen.get("tied_with")
        choice = (
            f"Chosen on the tuning seeds: {_setting_text(chosen['setting'])} (trial {chosen['trial']}), "
            f"score {chosen['tuning_score']:.4g}; on the evaluation seeds: {chosen['evaluation_score']:.4g}."
            + (
                f" Tied for the best score with trial(s) {', '.join(tie)}: the first in trial order is chosen."
                if tie
                else ""
            )
        )
    lines = [
        f"# Sweep of {sweep.agent} on {sweep.env} {json.dumps(sweep.env_kwargs)}",
        "",
        f"Metric: {sweep.metric.name} ({sweep.metric.mode}); search: {sweep.search}"
        f"{', ASHA early stopping' if sweep.early_stopping else ''}; tuning seeds {sweep.tuning_seeds}, "
        f"evaluation seeds {sweep.evaluation_seeds}.",
        "",
        choice,
        "",
        "| trial | " + " | ".join(names) + " | score | checkpoints | status |",
        "|---|" + "---|" * len(names) + "---|---|---|",
    ]
    sign = 1 if sweep.metric.mode == "min" else -1
    for t in sorted(trials, key=lambda t: (t["status"] != "complete", sign * t["score"])):
        mark = " **chosen**" if chosen is not None and t["trial"] == chosen["trial"] else ""
        lines.append(
            f"| {t['trial']}{mark} | "
            + " | ".join(f"{t[n]:.4g}" if isinstance(t[n], float) else str(t[n]) for n in names)
            + f" | {t['score']:.4g} | {t['checkpoints']} | {t['status']}{': ' + t['error'] if t['error'] else ''} |"
        )
    return lines


def _setting_text(setting: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in setting.items())


def plot_sweep(sweep: Sweep, trials: list[dict], chosen: dict, path: Path) -> None:
    """The metric against each swept argument: one panel per argument, a point per trial."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(sweep.space)
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        kind, values = sweep.space[name]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        position = (
            (lambda v: v)
            if numeric
            else (lambda v, values=values: [json.dumps(x) for x in values].index(json.dumps(v)))
        )
        for status, marker in (("complete", "o"), ("stopped early", "x")):
            pts = [
                (position(t[name]), t["score"]) for t in trials if t["status"] == status and math.isfinite(t["score"])
            ]
            if pts:
                ax.plot(*zip(*pts), marker, ls="none", label=f"{status} ({len(pts)})", alpha=0.8)
        ax.plot([position(chosen["setting"][name])], [chosen["tuning_score"]], "*", color="k", ms=14, label="chosen")
        if numeric and min(values) > 0 and (kind == "loguniform" or max(values) / min(values) >= 10):
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set_xlabel(name)
        ax.set_ylabel(f"{sweep.metric.name} on the tuning seeds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{sweep.agent} on {sweep.env} {json.dumps(sweep.env_kwargs)}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
