"""Train and compare reference agents and Stable-Baselines3 on the rl_envs environments.

``python -m baselines compare`` runs the default comparison (every environment, its reference
agents and SB3 counterparts) or a TOML/YAML configuration; ``python -m baselines run`` trains
one agent on one environment over seeds.  Both write a results folder and resume into it.
``python -m baselines plot FOLDER [FOLDER ...]`` redraws the table, curves and GIFs from finished
cells, merging folders (e.g. a reference-agent run and an SB3 run made apart), and with ``--readme
FILE`` puts the table into FILE between ``<!-- compare-table:start -->`` and ``<!-- compare-table:end -->``.
Ctrl-C stops a run at once (exit code 130); the same command resumes it.
``python -m baselines hyperparams ALGO`` prints the path of the installed ``ALGO.yml``, for
``python -m rl_zoo3.train --conf-file "$(python -m baselines hyperparams ppo)"``.
"""

from __future__ import annotations

import argparse
import ast
import shlex
import sys
from pathlib import Path

from . import compare as cmp


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


def _execute(config: dict, args, argv: list[str]) -> int:
    from .compare.ray_backend import MissingExtra

    try:
        cells = cmp.cells_from_config(config)
        backend = make_backend(args)
        result = cmp.compare(cells, args.out, backend, progress_bar=not args.no_progress)
    except (cmp.ConfigError, cmp.OutputError, MissingExtra) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except cmp.Interrupted as e:
        print(
            f"interrupted: {e} (cells that were running are not); resume with: python -m baselines {shlex.join(argv)}",
            file=sys.stderr,
        )
        return 130
    if result.rows:
        print("\n".join(cmp.summary_table(result.rows)))
    print(
        f"\n{result.ran} cells run, {result.reused} reused from {args.out}/; outputs in {args.out}/ "
        "(results.csv, results.json, summary.md, curves/, gifs/)"
    )
    nodes = sorted(set(getattr(backend, "placements", {}).values()))
    if nodes:
        print(f"the cells ran on {len(nodes)} Ray node(s): {', '.join(nodes)}")
    for cell, error in result.failed:
        print(f"FAILED {cell.key}: {error}", file=sys.stderr)
    return 1 if result.failed else 0


def _plot(args) -> int:
    from .provenance import Provenance

    provenance = Provenance()
    out = Path(args.out or args.folders[0])
    try:
        cmp.check_writable(out, folders=("curves", "gifs", "aggregate"))
        records = cmp.load_records(args.folders, args.envs, args.agents)
        cmp.write_outputs(records, out, provenance, read_from=[str(f) for f in args.folders])
        table = cmp.summary_table([r["row"] for r in records])
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


def cluster_options(p) -> None:
    p.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local: --workers processes on this machine; ray: one Ray task per cell (pip install 'rl_envs[ray]')",
    )
    p.add_argument(
        "--address",
        help="with --backend ray: the cluster to join (auto, or HOST:PORT of its head); "
        "default: $RAY_ADDRESS, else a new Ray instance on this machine",
    )
    p.add_argument("--cpus-per-cell", type=int, default=1, help="with --backend ray: CPUs (and torch threads) per cell")


def _sweep(args, argv: list[str]) -> int:
    from .compare.ray_backend import MissingExtra
    from .sweep import SweepInterrupted, run_sweep, sweep_from_config

    resume = f"resume with: python -m baselines {shlex.join(argv)}"
    try:
        sweep = sweep_from_config(cmp.load_config(args.config))
        result = run_sweep(sweep, args.out, args.address, progress=not args.no_progress)
    except (cmp.ConfigError, cmp.OutputError, MissingExtra) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except SweepInterrupted as e:
        print(f"interrupted: {e}; {resume}", file=sys.stderr)
        return 130
    except cmp.Interrupted as e:
        print(f"interrupted while evaluating the chosen setting: {e}; {resume}", file=sys.stderr)
        return 130
    print((Path(args.out) / "summary.md").read_text())
    print(f"outputs in {args.out}/ (trials.csv, chosen.json, sweep.png, summary.md, evaluation/)")
    for failure in result.chosen["failed_evaluation_cells"]:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if result.chosen["failed_evaluation_cells"] else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m baselines", description=(__doc__ or "").partition("\n")[0]
    )  # none under -OO
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, out):
        p.add_argument("--out", default=out, help="results folder (an existing one is resumed)")
        p.add_argument("--workers", type=int, default=2, help="parallel processes (1: run in this process)")
        p.add_argument("--no-progress", action="store_true")
        cluster_options(p)

    p = sub.add_parser("compare", help="run a comparison grid (the embedded default, or --config FILE)")
    p.add_argument("--config", help="a .toml/.yml file with a list 'runs' (see baselines/compare/config.py)")
    common(p, "results/compare")

    p = sub.add_parser("run", help="train one agent on one environment over seeds")
    p.add_argument("--env", default="rl_envs/GridMaze-v0")
    p.add_argument(
        "--env-kwargs",
        nargs="*",
        type=key_value,
        default=[],
        metavar="KEY=VALUE",
        help="e.g. layout=book3x3 move_cost=0.01",
    )
    p.add_argument(
        "--agent", default="QLearning", help="a reference agent (e.g. QLearning) or an SB3 one (PPO, DQN, ...)"
    )
    p.add_argument("--agent-kwargs", nargs="*", type=key_value, default=[], metavar="KEY=VALUE")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps", type=int, default=3000, help="environment steps per seed")
    p.add_argument("--eval-episodes", type=int, default=1)
    common(p, "results/demo")
    p = sub.add_parser("plot", help="redraw table, curves and GIFs from finished cells (merging folders)")
    p.add_argument("folders", nargs="+", help="results folders of compare/run")
    p.add_argument("--out", help="where to write (default: the first folder)")
    p.add_argument("--envs", nargs="*", help="only these environment ids")
    p.add_argument("--agents", nargs="*", help="only these agents")
    p.add_argument(
        "--readme",
        metavar="FILE",
        help="also put the table into FILE between <!-- compare-table:start --> and <!-- compare-table:end -->",
    )
    p = sub.add_parser(
        "sweep", help="tune an agent's arguments on Ray Tune, then evaluate the chosen setting on other seeds"
    )
    p.add_argument(
        "--config", required=True, help="a .toml/.yml sweep (see baselines/sweep/config.py and docs/cluster.md)"
    )
    p.add_argument("--out", default="results/sweep", help="results folder (an interrupted sweep is resumed)")
    p.add_argument(
        "--address",
        help="the Ray cluster to join (auto, or HOST:PORT); default: $RAY_ADDRESS, else a new "
        "Ray instance on this machine",
    )
    p.add_argument("--no-progress", action="store_true")
    p = sub.add_parser("hyperparams", help="print the path of the installed yml of ALGO, for rl_zoo3")
    p.add_argument("algo", help="a2c, dqn, ppo, sac or td3")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)

    if args.command == "plot":
        return _plot(args)
    if args.command == "sweep":
        try:
            return _sweep(args, argv)
        except KeyboardInterrupt:
            print(f"interrupted; resume with: python -m baselines {shlex.join(argv)}", file=sys.stderr)
            return 130
    if args.command == "hyperparams":
        from .sb3 import hyperparams_file

        try:
            print(hyperparams_file(args.algo))
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        return 0
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.cpus_per_cell < 1:
        parser.error("--cpus-per-cell must be at least 1")
    if args.backend != "ray" and args.address:
        parser.error("--address needs --backend ray")
    if args.command == "compare":
        try:
            config = cmp.load_config(args.config) if args.config else cmp.default_config()
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
    try:
        return _execute(config, args, argv)
    except KeyboardInterrupt:  # outside the cells (e.g. while writing the outputs): every finished cell is saved
        print(f"interrupted; resume with: python -m baselines {shlex.join(argv)}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
