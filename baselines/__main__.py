"""The command line: ``python -m baselines run`` trains reference agents and writes a results folder."""

from __future__ import annotations

import argparse
import sys

from .experiment import AGENTS, Cell, run, summary_lines


def _kv(pairs):
    from rl_envs.play import parse_kwargs

    return parse_kwargs(pairs or [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="train an agent over seeds, write results, a learning curve and a rollout GIF")
    p.add_argument("--env", default="rl_envs/GridMaze-v0")
    p.add_argument("--env-kwargs", nargs="*", metavar="KEY=VALUE", help="e.g. layout=book3x3 move_cost=0.01")
    p.add_argument("--agent", default="QLearning", choices=sorted(AGENTS))
    p.add_argument("--agent-kwargs", nargs="*", metavar="KEY=VALUE")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps", type=int, default=3000, help="environment steps per seed")
    p.add_argument("--out", default="results/demo")
    p.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    cells = [Cell(args.env, args.agent, seed, args.steps, _kv(args.env_kwargs), _kv(args.agent_kwargs))
             for seed in range(args.seeds)]
    try:
        rows = run(cells, args.out, progress_bar=not args.no_progress)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(rows)))
    print(f"\nresults in {args.out}/ (results.csv, results.json, curve.png, rollout.gif)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
