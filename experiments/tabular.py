"""The tabular agents on a GridMaze, scored against the exact optimum (its reference), and the book's run.

    python experiments/tabular.py control --layout book3x3
    python experiments/tabular.py control --layout maze10x10
    python experiments/tabular.py control --layout rooms10x10 --agents Reinforce QLearning
    python experiments/tabular.py control --layout four_rooms --steps 20000 --out results/four_rooms
    python experiments/tabular.py control --layout maze10x10 --agents Reinforce --first-seed 100 \
        --seeds 40 --set Reinforce.alpha_theta=0.1 --out results/reinforce_pilot
    python experiments/tabular.py book --seeds 20
    (each also takes --workers N | --backend ray [--address HOST:PORT])

``control`` trains every control agent (or ``--agents ...``) over seeds, evaluating the greedy
policy with SB3's ``evaluate_policy`` every ``--every`` steps.  Each agent's budget is
``baselines.tabular.settings.budget`` on the named layouts (``--steps`` sets one budget for all,
and is needed on other layouts); ``--every`` defaults to a round number near a thirtieth of it.  Arguments and the
training episode limit come from ``baselines.tabular.settings.training_setup`` (on mazes larger
than 3x3 the 10x10 settings, and no limit for the Monte Carlo policy-gradient agents); evaluation
keeps the env's own limit.  It writes to ``--out``
(default ``results/tabular_<layout>/``): ``results.csv``/``results.json`` (agent, seed, steps to
the first greedy-optimal checkpoint, final greedy return, the exact optimum and the random
policy's return of the maze's reference, the normalized score, wall time), ``table.md`` (per agent: budget, seeds optimal at the end, median and range of steps
to optimal) and ``curve.png`` (mean greedy return and fraction of seeds optimal against steps,
95 % bands over seeds; a log step axis when the budgets differ tenfold).  Each (agent, seed)
is a cell of ``python -m baselines compare`` naming the measure ``greedy_checkpoints``
(``baselines.compare.measures``), written atomically to ``<out>/cells/`` when it finishes, so an
interrupted run resumes with the missing cells and ``--backend ray`` spreads them over a Ray
cluster (docs/cluster.md); the tables and the plot are assembled from the cell files.

``book`` runs :class:`SoftmaxPolicyGradient` with the book's theta_0, eta = 0.1 and stopping
test over seeds, without a step limit, each seed a cell naming the measure ``stopping_test``,
and writes ``book.json``/``book.md`` (episodes to the stopping test, final pi on the path
S0->S3->S4->S7->S8; the book's one run: 4549 episodes), with ``results.json`` and ``provenance.md``.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
from pathlib import Path

import numpy as np
import gymnasium as gym

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
import rl_envs  # noqa: F401
from baselines.cli import Parser, check_cluster_options, cluster_options, count, number, output_folder
from baselines.curves import mean_and_band
from baselines.io import atomic_write_bytes, save_figure, write_table
from baselines.provenance import Provenance, write_markdown
from baselines.seeds import seed_summary
from baselines.tabular import CONTROL_AGENTS
from baselines.tabular.settings import budget, training_setup
from rl_envs.maze import LAYOUTS

AGENTS = {cls.__name__: cls for cls in CONTROL_AGENTS}
BOOK_PATH = {0: 2, 3: 1, 4: 2, 7: 1}  # S0 down, S3 right, S4 down, S7 right
BOOK_EPISODES = 4549


def schedule(args, name: str) -> tuple[int, int]:
    """(budget, steps between evaluations) of agent ``name``."""
    steps = args.steps if args.steps is not None else budget(name, args.layout)
    if args.every is not None:
        return steps, args.every
    every = max(1, steps // 30)
    unit = 10 ** (len(str(every)) - 1)
    return steps, max(unit, round(every / unit) * unit)  # a round number near a thirtieth of the budget


def agent_parameters(name: str) -> dict[str, inspect.Parameter]:
    """The keyword arguments agent ``name`` takes (``env`` and ``seed`` excepted)."""
    params = inspect.signature(AGENTS[name]).parameters
    return {k: p for k, p in params.items() if k not in ("env", "seed") and p.kind is not p.VAR_KEYWORD}


def hyperparameters(args, name: str) -> dict:
    """Every argument of the agent: its defaults, the 10x10 settings on mazes larger than 3x3,
    then the ``--set`` overrides (all of them, so that a changed default changes the cell key)."""
    hyper, _ = training_setup(name, args.layout)
    hyper = {**hyper, **args.overrides.get(name, {})}
    defaults = {k: p.default for k, p in agent_parameters(name).items()}
    return {**defaults, **hyper}


def parse_overrides(items: list[str]) -> dict[str, dict]:
    """``["Reinforce.alpha_theta=0.1", ...]`` -> ``{"Reinforce": {"alpha_theta": 0.1}}``; values are
    Python literals (``0.1``, ``True``, ``(1.0, 0.05, 30000)``, ``'text'``)."""
    overrides: dict[str, dict] = {}
    for item in items:
        target, sep, text = item.partition("=")
        name, dot, key = target.partition(".")
        if not (sep and dot and name and key):
            raise ValueError(f"--set takes AGENT.ARGUMENT=VALUE, got {item!r}")
        if name not in AGENTS:
            raise ValueError(f"--set {item!r}: unknown agent {name!r}; known: {', '.join(AGENTS)}")
        if key not in agent_parameters(name):
            raise ValueError(
                f"--set {item!r}: {name} has no argument {key!r}; it takes {', '.join(agent_parameters(name))}"
            )
        try:
            overrides.setdefault(name, {})[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(
                f"--set {item!r}: the value must be a Python literal (a number, True/False, a tuple, "
                "or a quoted string)"
            ) from None
    return overrides


def control_cells(args, names: list[str]) -> dict[str, list]:
    """Each agent's cells, one a seed: training on the maze with the agent's training episode
    limit, the greedy policy evaluated on the maze with the env's own limit every ``every`` steps
    (the measure ``greedy_checkpoints`` of ``baselines.compare.measures``)."""
    from baselines import compare as cmp

    env_kwargs = {"layout": args.layout, "move_cost": args.move_cost, "slip": args.slip}
    of_agent = {}
    for name in names:
        steps, every = schedule(args, name)
        of_agent[name] = cmp.cells_from_config(
            {
                "runs": [
                    {
                        "env": "rl_envs/GridMaze-v0",
                        "env_kwargs": env_kwargs,
                        "steps": steps,
                        "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
                        "eval_episodes": 1
                        if args.slip == 0
                        else args.eval_episodes,  # a deterministic maze needs one episode
                        "agents": {name: hyperparameters(args, name)},
                        "measure": {
                            "name": "greedy_checkpoints",
                            "every": every,
                            "train_env_kwargs": {"max_steps": training_setup(name, args.layout)[1]},
                        },
                    }
                ]
            }
        )
    return of_agent


def control_record(record: dict) -> dict:
    """A cell's row of ``results.csv`` and its greedy returns at the checkpoints."""
    m, row = record["measurements"], record["row"]
    return {
        "row": {
            "agent": row["agent"],
            "seed": row["seed"],
            "steps_to_optimal": m["steps_to_optimal"],
            "return": m["returns"][-1],
            "reference": row["reference"],
            "random_return": row["random_return"],
            "normalized_score": row["normalized_score"],
            "budget": row["steps"],
            "wall_time_s": row["wall_time_s"],
            "test_seeds": row["test_seeds"],
        },
        "checkpoints": m["checkpoints"],
        "returns": m["returns"],
    }


def control(args) -> int:
    names = args.agents or list(AGENTS)
    provenance = Provenance()
    out = args.out
    of_agent = control_cells(args, names)
    cells = [c for cs in of_agent.values() for c in cs]
    records = [control_record(r) for r in run_cells(cells, out, args)]
    for record in records:
        r = record["row"]
        print(
            f"{r['agent']:22s} seed {r['seed']}: steps to optimal {r['steps_to_optimal']}, final return {r['return']:.4g}"
            f" (optimum {r['reference']:.4g}), {r['wall_time_s']:.1f} s",
            flush=True,
        )
    rows = [r["row"] for r in records]
    seeds = seed_summary((r["seed"] for r in rows), (s for r in rows for s in r["test_seeds"]))
    entry = provenance.record(seeds)
    write_table(rows, out, entry)
    write_markdown(out, entry)
    table = summary(rows, args)
    atomic_write_bytes(out / "table.md", ("\n".join(table) + "\n").encode())
    plot(
        records, names, out / "curve.png", title=f"GridMaze {args.layout}, move cost {args.move_cost}, slip {args.slip}"
    )
    print("\n".join(table))
    print(f"\nresults in {out}/")
    return 0


def run_cells(cells: list, out: Path, args) -> list[dict]:
    """The records of ``cells``, run through ``baselines.compare`` (finished ones reused)."""
    from baselines import compare as cmp
    from baselines.__main__ import make_backend

    result = cmp.compare(cells, out, make_backend(args), outputs=False)
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    return [json.loads((out / "cells" / f"{c.key}.json").read_text()) for c in cells]


def summary(rows, args) -> list[str]:
    lines = [
        f"{args.layout}, move_cost={args.move_cost}, slip={args.slip}; steps to optimal: the greedy policy is "
        "optimal from that checkpoint on" + (f"; argument overrides {args.overrides}" if args.overrides else ""),
        "",
        "| agent | budget (evaluated every) | seeds optimal at the end | median steps to optimal | range "
        "| mean normalized score |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["agent"] for r in rows):
        rs = [r for r in rows if r["agent"] == name]
        steps = [r["steps_to_optimal"] for r in rs if r["steps_to_optimal"] is not None]
        med = f"{np.median(steps):.0f}" if steps else "-"
        rng = f"{min(steps)}-{max(steps)}" if steps else "-"
        score = np.mean([r["normalized_score"] for r in rs])
        budget_, every = schedule(args, name)
        lines.append(f"| {name} | {budget_} ({every}) | {len(steps)}/{len(rs)} | {med} | {rng} | {score:.3f} |")
    return lines


def plot(records, names, path: Path, title: str) -> None:
    """Mean greedy return (symlog axis: a looping greedy policy scores -max_steps * move_cost)
    and the fraction of seeds whose greedy policy is optimal, each with a 95 % band over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    optimum = records[0]["row"]["reference"]
    budgets = [r["row"]["budget"] for r in records]
    fig, (ax_ret, ax_opt) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in names:
        recs = [r for r in records if r["row"]["agent"] == name]
        x = np.array(recs[0]["checkpoints"])
        returns = np.array([r["returns"] for r in recs])
        for ax, y in ((ax_ret, returns), (ax_opt, np.isclose(returns, optimum, rtol=0, atol=1e-6).astype(float))):
            mean, half = mean_and_band(y)
            (line,) = ax.plot(x, mean, label=f"{name} ({len(recs)} seeds)")
            ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.2)
    ax_ret.axhline(optimum, color="k", ls="--", lw=1, label=f"exact optimum {optimum:.3g}")
    ax_ret.set_yscale("symlog", linthresh=1.0)
    ax_ret.set_ylabel("greedy return (evaluate_policy)")
    ax_opt.set_ylabel("fraction of seeds greedy-optimal")
    ax_opt.set_ylim(-0.05, 1.05)
    for ax in (ax_ret, ax_opt):
        if max(budgets) >= 10 * min(budgets):
            ax.set_xscale("log")
        ax.set_xlabel("environment steps")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)


def book(args) -> int:
    from baselines import compare as cmp

    out, provenance = args.out, Provenance()
    cells = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/GridMaze-v0",
                    "env_kwargs": {"layout": "book3x3", "max_steps": 10**7},  # no step limit in the book
                    "steps": 10**7,
                    "seeds": args.seeds,
                    "agents": ["SoftmaxPolicyGradient"],
                    "measure": {"name": "stopping_test", "pairs": [list(p) for p in BOOK_PATH.items()]},
                }
            ]
        }
    )
    rows = []
    for record in run_cells(cells, out, args):
        m = record["measurements"]
        rows.append(
            {
                "seed": record["cell"]["seed"],
                "converged": m["converged"],
                "episodes": m["episodes"],
                "steps": m["steps"],
                "last_episode_length": m["last_episode_length"],
                "pi_on_path": [round(p, 4) for p in m["pi"]],
            }
        )
        print(rows[-1], flush=True)
    episodes = [r["episodes"] for r in rows]
    on_path = all(r["converged"] and r["last_episode_length"] == 4 and min(r["pi_on_path"]) > 0.95 for r in rows)
    lines = [
        f"SoftmaxPolicyGradient on book3x3 (theta_0 of the book, eta = 0.1, stop at sum|dpi| < 1e-4), {len(rows)} seeds",
        "",
        f"* episodes to the stopping test: median {np.median(episodes):.0f}, range {min(episodes)}-{max(episodes)} "
        f"(the book's single run: {BOOK_EPISODES})",
        f"* every run ends on S0->S3->S4->S7->S8 with pi > 0.95 on the path: {on_path}",
        f"* mean final pi on the path (S0 down, S3 right, S4 down, S7 right): "
        f"{np.round(np.mean([r['pi_on_path'] for r in rows], axis=0), 3).tolist()} (book: 0.985, 0.98, 0.982, 0.986)",
    ]
    atomic_write_bytes(out / "book.json", json.dumps(rows, indent=1).encode())
    entry = provenance.record(seed_summary((r["seed"] for r in rows), []))  # the stopping test draws no test episodes
    write_table(rows, out, entry)
    write_markdown(out, entry)
    atomic_write_bytes(out / "book.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))
    return 0


def check_control(parser: argparse.ArgumentParser, args) -> None:
    """What ``control``'s arguments need of each other and of the agents, checked before any work:
    a budget for the layout, ``--set`` overrides that name an agent's argument, and every agent
    made once on the maze with its arguments (so that a value it refuses is a parser error)."""
    names = args.agents or list(AGENTS)
    if args.steps is None:
        try:
            for name in names:
                budget(name, args.layout)
        except KeyError:
            parser.error(f"no stated budget for layout {args.layout!r}: pass --steps")
    try:
        args.overrides = parse_overrides(args.overrides)
    except ValueError as e:
        parser.error(str(e))
    try:
        env = gym.make("rl_envs/GridMaze-v0", layout=args.layout, move_cost=args.move_cost, slip=args.slip)
    except ValueError as e:
        parser.error(f"the maze refuses its arguments: {e}")
    for name in names:
        try:
            AGENTS[name](env, **hyperparameters(args, name))
        except (ValueError, TypeError) as e:
            parser.error(f"{name} refuses its arguments: {e}")


def main(argv=None) -> int:
    parser = Parser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("control", help="all control agents over seeds on one maze")
    c.add_argument("--layout", choices=list(LAYOUTS), default="book3x3", help="the named maze")
    c.add_argument("--move-cost", type=number(low=0), default=0.01, help="the cost of each move")
    c.add_argument(
        "--slip", type=number(0, 1, kind="probability"), default=0.0, help="the probability that a move slips sideways"
    )
    c.add_argument("--seeds", type=count(), default=10, help="seeds per agent")
    c.add_argument("--steps", type=count(), help="environment steps per run (default: settings.budget per agent)")
    c.add_argument(
        "--every", type=count(), help="steps between greedy evaluations (default: about a thirtieth of the budget)"
    )
    c.add_argument("--eval-episodes", type=count(), default=20, help="episodes per evaluation when slip > 0")
    c.add_argument("--agents", nargs="*", choices=list(AGENTS), help="the agents to run (default: all)")
    c.add_argument("--first-seed", type=count(low=0), default=0, help="seeds first-seed .. first-seed + seeds - 1")
    c.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="AGENT.ARG=VALUE",
        help="override an agent's argument, e.g. Reinforce.alpha_theta=0.1 (repeatable; default: the settings)",
    )
    c.add_argument(
        "--out", type=output_folder, help="results folder, resumed if it exists (default: results/tabular_LAYOUT)"
    )
    b = sub.add_parser("book", help="the book's policy-gradient run over seeds")
    b.add_argument("--seeds", type=count(), default=20, help="seeds 0 .. N-1")
    b.add_argument(
        "--out", type=output_folder, help="results folder, resumed if it exists (default: results/tabular_book)"
    )
    for p in (c, b):
        p.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
        cluster_options(p)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    if args.out is None:
        default = f"results/tabular_{args.layout}" if args.command == "control" else "results/tabular_book"
        try:
            args.out = output_folder(default)
        except argparse.ArgumentTypeError as e:
            parser.error(f"argument --out: {e}")
    if args.command == "control":
        check_control(c, args)
        return control(args)
    return book(args)


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
