"""Train and compare reference agents and Stable-Baselines3 on the rl_envs environments.

``python -m baselines compare`` runs the default comparison (every environment, its reference
agents and SB3 counterparts) or a TOML/YAML configuration; ``python -m baselines run`` trains
one agent on one environment over seeds.  Both write a results folder and resume into it.
``python -m baselines plot FOLDER [FOLDER ...]`` redraws the table, curves and GIFs from finished
cells, merging folders (e.g. a reference-agent run and an SB3 run made apart), and with ``--readme
FILE`` puts the table into FILE between ``<!-- compare-table:start -->`` and ``<!-- compare-table:end -->``.
Ctrl-C or SIGTERM stops a run at once (exit code 130 or 143); the same command resumes it, as it
does after a full disk (exit code 2) or failed cells (exit code 1).  One run at a time holds a
results folder.
``python -m baselines hyperparams ALGO`` prints the path of the installed ``ALGO.yml``, for
``python -m rl_zoo3.train --conf-file "$(python -m baselines hyperparams ppo)"`` (``--tuned``: the
tuned one).  ``python -m baselines compare --full`` runs the published leaderboard (the default
is its quick size, ``make run``); ``python -m baselines tune`` tunes every leaderboard agent on the
tuning seeds into ``baselines/hyperparams/tuned/`` (:mod:`baselines.sweep.tune`).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import shlex
import sys
from pathlib import Path

from . import compare as cmp
from .cli import (
    Parser,
    check_cluster_options,
    cluster_options,
    count,
    missing_modules,
    output_folder,
    ray_address_option,
)
from .interrupts import sigterm_as_ctrl_c, stopped
from .tuning import TRIALS

# What compare, run, sweep and plot import as they go (learning curves, each cell's GIF, the
# progress bar; pyyaml for a .yml configuration) and the extra that installs them: a missing one
# is named before any work, rather than failing every cell or the outputs at the end.
EXPERIMENTS_EXTRA = "pip install 'rl_envs[experiments]'"


def key_value(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` as ``(key, value)`` (an argparse type): the value read as a Python literal
    when it is one (``0.1``, ``(5, 5)``, ``True``), else kept as text (``layout=dyna_maze``)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def make_backend(args):
    """The back-end the options ask for: Ray, a local process pool, or this process."""
    if args.backend == "ray":
        from .compare.ray_backend import RayBackend

        return RayBackend(args.address, args.cpus_per_cell)
    return cmp.ProcessPoolBackend(args.workers) if args.workers > 1 else cmp.SerialBackend()


def output_error(e: cmp.OutputError, resume: str) -> int:
    """Report a results folder that cannot be written: one line, the command that resumes once
    it can be (not for a folder another run holds); exit code 2."""
    then = "" if isinstance(e, cmp.store.FolderInUse) else f"; once it can be written, resume with: {resume}"
    print(f"error: {e}{then}", file=sys.stderr)
    return 2


def estimate_line(todo: list, finished: list[dict], total: int, args) -> str:
    """What running the cells ``todo`` will take, by the cost model of :mod:`baselines.compare.costs`
    (refined by the ``finished`` cells' records), on the workers the options give (Ray's are not
    known here); ``total`` the cells of the whole run."""
    from .compare.costs import estimate, load_costs, slowdown

    costs = load_costs().updated(finished)
    workers = args.workers if args.backend == "local" else 1
    where = "" if args.backend == "local" else " (with --backend ray: the time on one CPU; divide by the cluster's)"
    done = f" ({total - len(todo)} of {total} already finished in {args.out})" if len(todo) < total else ""
    return f"estimated: {estimate(todo, costs, workers, slowdown(workers)).text()}{where}{done}"


def _estimate_only(cells: list, args) -> int:
    """``--estimate``: the estimate of the cells not finished in ``args.out``, and nothing run."""
    records, _ = cmp.run.saved_cells(cells, args.out)
    todo = [c for c in cells if c.key not in records]
    print(estimate_line(todo, list(records.values()), len(cells), args))
    return 0


def _execute(config: dict, args, argv: list[str], title: str = "") -> int:
    from .compare.ray_backend import MissingExtra

    resume = f"python -m baselines {shlex.join(argv)}"
    try:
        cells = cmp.cells_from_config(config)
        heading = [title.replace("**", "").replace("`", "")] if title else []
        if getattr(args, "estimate", False):
            print(*heading, sep="\n")
            return _estimate_only(cells, args)
        backend = make_backend(args)

        def announce(todo: list, finished: list[dict]) -> None:
            print(*heading, estimate_line(todo, finished, len(cells), args), sep="\n", flush=True)

        result = cmp.compare(
            cells, args.out, backend, progress_bar=not args.no_progress, title=title, announce=announce
        )
    except (cmp.ConfigError, MissingExtra) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except cmp.OutputError as e:
        return output_error(e, resume)
    except cmp.Interrupted as e:
        return stopped(f"{e} (cells that were running are not)", resume)
    if result.rows:
        print("\n".join(cmp.summary_lines(result.rows)))
    written = (
        f"outputs in {args.out}/ (results.csv, results.json, summary.md, curves/, gifs/)"
        if result.rows
        else "no cell finished, so no outputs were written"
    )
    print(f"\n{result.ran} cells run, {result.reused} reused from {args.out}/; {written}")
    nodes = sorted(set(getattr(backend, "placements", {}).values()))
    if nodes:
        print(f"the cells ran on {len(nodes)} Ray node(s): {', '.join(nodes)}")
    for cell, error in result.failed:
        print(f"FAILED {cell.key}: {error}", file=sys.stderr)
    if result.failed:
        print(
            f"{len(result.failed)} of {len(cells)} cells failed (the outputs say they are incomplete); "
            f"resume with: {resume}",
            file=sys.stderr,
        )
    return 1 if result.failed else 0


def _run_time_modules(args) -> dict[str, str]:
    """The modules (import name -> distribution) that the command ``args`` asks for imports as it runs."""
    needs = {"matplotlib": "matplotlib"}
    if args.command != "plot":
        needs["PIL"] = "pillow"
        if not args.no_progress:
            needs["tqdm"] = "tqdm"
    config = getattr(args, "config", None)  # compare's and sweep's
    # the tuned files (baselines/hyperparams/tuned/*.yml), which the leaderboard reads
    leaderboard = args.command == "tune" or (args.command == "compare" and not config)
    if leaderboard or (config and config.endswith((".yml", ".yaml"))):
        needs["yaml"] = "pyyaml"
    return needs


def _plot(args) -> int:
    from .provenance import Provenance

    provenance = Provenance()
    out = Path(args.out or args.folders[0])
    try:
        cmp.check_writable(out, folders=("curves", "gifs", "aggregate"))
        records = cmp.load_records(args.folders, args.envs, args.agents)
        cmp.write_outputs(records, out, provenance, read_from=[str(f) for f in args.folders])
        table = cmp.summary_lines([r["row"] for r in records])
        if args.readme:
            cmp.splice_table(args.readme, table)
    except (FileNotFoundError, ValueError, cmp.OutputError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(table))
    print(
        f"\n{len(records)} cells from {', '.join(args.folders)}; outputs in {out}/ (results.csv, results.json, "
        f"summary.md, curves/, gifs/){f'; the table is in {args.readme}' if args.readme else ''}"
    )
    return 0


def _sweep(args, argv: list[str]) -> int:
    from .compare.ray_backend import MissingExtra
    from .sweep import NothingChosen, SweepInterrupted, run_sweep, sweep_from_config

    resume = f"python -m baselines {shlex.join(argv)}"
    try:
        sweep = sweep_from_config(cmp.load_config(args.config))
        result = run_sweep(sweep, args.out, args.address, progress=not args.no_progress)
    except (cmp.ConfigError, MissingExtra) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except cmp.OutputError as e:
        return output_error(e, resume)
    except NothingChosen as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except SweepInterrupted as e:
        return stopped(str(e), resume)
    except cmp.Interrupted as e:
        return stopped(f"while evaluating the chosen setting, {e}", resume)
    print((Path(args.out) / "summary.md").read_text())
    print(f"outputs in {args.out}/ (trials.csv, chosen.json, sweep.png, summary.md, evaluation/)")
    for failure in result.chosen["failed_evaluation_cells"]:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if result.chosen["failed_evaluation_cells"] else 0


def _tune(args, argv: list[str]) -> int:
    from .compare.costs import load_costs
    from .compare.ray_backend import MissingExtra
    from .sweep import SweepInterrupted
    from .sweep.tune import estimate_text, plan, run_tuning

    resume = f"python -m baselines {shlex.join(argv)}"
    try:
        pairs, left_out = plan(args.agents, args.envs, args.trials, args.steps)
        for line in left_out:
            print(f"left out: {line}")
        print(f"estimated: {estimate_text(pairs, load_costs(), os.cpu_count() or 1)} (with Ray on this machine)")
        if args.estimate:
            return 0
        result = run_tuning(pairs, args.out, args.hyperparams_dir, args.address, progress=not args.no_progress)
    except (cmp.ConfigError, MissingExtra, ValueError) as e:  # ValueError: a tuned file that does not read
        print(f"error: {e}", file=sys.stderr)
        return 2
    except cmp.OutputError as e:
        return output_error(e, resume)
    except SweepInterrupted as e:
        return stopped(str(e), resume)
    except cmp.Interrupted as e:
        return stopped(f"while evaluating a chosen setting, {e}", resume)
    print(
        f"{len(result.tuned)} pair(s) tuned, {len(result.skipped)} already tuned, "
        f"{len(result.nothing_chosen)} with nothing chosen (they stay untuned)"
    )
    return 1 if result.nothing_chosen else 0


def main(argv=None) -> int:
    """The command line (``argv``: its arguments, default ``sys.argv[1:]``); returns the exit code.
    SIGTERM stops a command as Ctrl-C does (:mod:`baselines.interrupts`)."""
    with sigterm_as_ctrl_c():
        return _main(argv)


def _main(argv) -> int:
    parser = Parser(prog="python -m baselines", description=(__doc__ or "").partition("\n")[0])  # none under -OO
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, out, where="results folder (an existing one is resumed)"):
        p.add_argument("--out", default=out, help=where)
        p.add_argument("--workers", type=count(), default=2, help="parallel processes (1: run in this process)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar over the cells")
        cluster_options(p)

    p = sub.add_parser(
        "compare", help="run a comparison grid (the quick leaderboard, --full for the published one, or --config FILE)"
    )
    grid = p.add_mutually_exclusive_group()
    grid.add_argument(
        "--config",
        help="a .toml or .yml file with a list 'runs', each with env, steps, seeds, agents and optionally "
        "env_kwargs, eval_episodes, eval_at, measure (the site's guide 'Comparison grids'); "
        "default: the quick leaderboard (every environment with its reference agents and SB3, 2 seeds, "
        "small budgets)",
    )
    grid.add_argument(
        "--full",
        action="store_true",
        help="the published leaderboard: 10 seeds at each environment's comparison budget "
        "(default --out results/leaderboard; hours to days: see the estimate it prints first)",
    )
    p.add_argument(
        "--estimate", action="store_true", help="print the cells and the estimated wall time, and run nothing"
    )
    common(
        p,
        None,
        "results folder (an existing one is resumed); default: results/compare, or results/leaderboard with --full",
    )

    p = sub.add_parser("run", help="train one agent on one environment over seeds")
    p.add_argument("--env", default="rl_envs/GridMaze-v0", help="a registered environment id")
    p.add_argument(
        "--env-kwargs",
        nargs="*",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="the environment's arguments, e.g. layout=book3x3 move_cost=0.01 (default: its defaults)",
    )
    p.add_argument(
        "--agent", default="QLearning", help="a reference agent (e.g. QLearning) or an SB3 one (PPO, DQN, ...)"
    )
    p.add_argument(
        "--agent-kwargs",
        nargs="*",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="the agent's arguments, e.g. alpha=0.5 gamma=0.95 (default: its defaults)",
    )
    p.add_argument("--seeds", type=count(), default=5, help="seeds 0 .. N-1, one cell each")
    p.add_argument("--steps", type=count(), default=3000, help="environment steps per seed")
    p.add_argument("--eval-episodes", type=count(), default=1, help="episodes of the final evaluation")
    common(p, "results/demo")
    p = sub.add_parser("plot", help="redraw table, curves and GIFs from finished cells (merging folders)")
    p.add_argument("folders", nargs="+", help="results folders of compare/run")
    p.add_argument("--out", help="where to write (default: the first folder)")
    p.add_argument("--envs", nargs="*", help="only these environment ids (default: all)")
    p.add_argument("--agents", nargs="*", help="only these agents (default: all)")
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also put the table into FILE between <!-- compare-table:start --> and <!-- compare-table:end --> "
        "(default: no file)",
    )
    p = sub.add_parser(
        "sweep", help="tune an agent's arguments on Ray Tune, then evaluate the chosen setting on other seeds"
    )
    p.add_argument(
        "--config",
        required=True,
        help="a .toml or .yml sweep: env, agent, a [space] of the agent's arguments to tune, tuning_seeds, "
        "evaluation_seeds, metric, search and budget (the site's page 'Running on a cluster')",
    )
    p.add_argument("--out", default="results/sweep", help="results folder (an interrupted sweep is resumed)")
    ray_address_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress output from Ray Tune and the evaluation")
    p = sub.add_parser(
        "tune",
        help="tune the leaderboard's agents per environment on the tuning seeds (Ray Tune with Optuna) "
        "into baselines/hyperparams/tuned/",
    )
    p.add_argument("--agents", nargs="*", help="only these agents (default: every agent with a search space)")
    p.add_argument("--envs", nargs="*", help="only these environment ids (default: every leaderboard row)")
    p.add_argument("--trials", type=count(), default=TRIALS, help="trials per (agent, environment)")
    p.add_argument(
        "--steps",
        type=count(),
        help="train each trial this many steps, for a short trial run (the entry records it); "
        "default: the environment's comparison budget",
    )
    p.add_argument(
        "--hyperparams-dir",
        type=output_folder,
        help="write the tuned files here (default: the installed package's baselines/hyperparams/tuned)",
    )
    p.add_argument("--out", default="results/tune", help="where the sweeps keep their trials (a run resumes)")
    ray_address_option(p)
    p.add_argument("--no-progress", action="store_true", help="no progress output from Ray Tune")
    p.add_argument("--estimate", action="store_true", help="print the plan's estimated compute, and tune nothing")
    p = sub.add_parser("hyperparams", help="print the path of the installed yml of ALGO, for rl_zoo3")
    p.add_argument("algo", help="a2c, dqn, ppo, sac or td3")
    p.add_argument("--tuned", action="store_true", help="the tuned file of ALGO, under baselines/hyperparams/tuned/")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    resume = f"python -m baselines {shlex.join(argv)}"
    if args.command != "hyperparams":
        missing = missing_modules(_run_time_modules(args))
        if missing:
            print(
                f"error: python -m baselines {args.command} needs {', '.join(missing)}, which this Python "
                f"does not have: {EXPERIMENTS_EXTRA}",
                file=sys.stderr,
            )
            return 2

    if args.command == "plot":
        return _plot(args)
    if args.command in ("sweep", "tune"):
        try:
            return (_sweep if args.command == "sweep" else _tune)(args, argv)
        except KeyboardInterrupt:
            return stopped("", resume)
    if args.command == "hyperparams":
        from .sb3 import hyperparams_file
        from .tuning import tuned_file

        try:
            path = hyperparams_file(args.algo)  # checks the name
            print(tuned_file(args.algo) if args.tuned else path)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        return 0
    check_cluster_options(parser, args)
    title = ""
    if args.command == "compare":
        args.out = args.out or ("results/leaderboard" if args.full else "results/compare")
        try:
            if args.config:
                config = cmp.load_config(args.config)
            else:
                size = "full" if args.full else "quick"
                config, title = cmp.leaderboard_config(size), cmp.SIZES[size].title
        except cmp.ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    else:
        config = {
            "runs": [
                {
                    "env": args.env,
                    "env_kwargs": dict(args.env_kwargs),
                    "steps": args.steps,
                    "seeds": args.seeds,
                    "eval_episodes": args.eval_episodes,
                    "agents": {args.agent: dict(args.agent_kwargs)},
                }
            ]
        }
    out = Path(args.out)
    there = {folder for folder, _, _ in os.walk(out)}
    parents = [folder for folder in out.parents if not folder.exists()]
    try:
        return _execute(config, args, argv, title)
    except KeyboardInterrupt:  # outside the cells (e.g. while writing the outputs): every finished cell is saved
        return stopped("", resume)
    finally:
        _remove_empty_folders(out, there, parents)


def _remove_empty_folders(out: Path, there: set[str], parents: list[Path]) -> None:
    """Remove the folders a run made under ``out`` (``out`` too) and left empty, as when every
    cell failed, deepest first; then those of ``parents`` (made for ``out``) left empty.  A folder
    that was there before (``there``) stays."""
    for folder, _, _ in os.walk(out, topdown=False):
        if folder not in there:
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(folder)
    for folder in parents:
        with contextlib.suppress(OSError):
            folder.rmdir()


if __name__ == "__main__":
    sys.exit(main())
