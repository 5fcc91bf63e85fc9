"""Distributional TD on the variable-reward task: the three results of Dabney et al. (2020,
Nature 577:671) that a model reproduces, in µl and in the paper's utility units.

    python experiments/distributional_td.py [--rewards 2000000] [--seeds 10] [--workers 2]
                                            [--out results/distributional_td]

1. **Learned vs exact.**  ``ExpectileTD`` and ``QuantileTD`` with τ = 0.1 … 0.9,
   α⁺ = 0.002 τ, α⁻ = 0.002 (1 − τ), ``--rewards`` rewards: the second half's average of each
   predictor against the exact τ-expectile and τ-quantile (``rl_envs.expectiles``/``quantiles``).
2. **Reversal point against asymmetry** (the paper's Fig. 2): a population of ``--cells`` cells
   with α⁺, α⁻ ~ U(0, 0.2) (the textbook notebook's draw), ``--train`` trials of learning, then
   ``--trials`` recorded trials whose responses (the scaled prediction errors, plus Gaussian noise
   of SD ``--noise`` reward units: "classical TD plus noise" of the paper's Extended Data Fig. 4)
   go through the split-half analysis of ``baselines.distributional.analysis``; the same for
   classical TD with each cell's mean rate, the null model.  Over ``--seeds`` populations.
3. **Decoding** (the paper's Fig. 5): the reward distribution recovered by the expectile
   imputation of Rowland et al. (2019) (``baselines.distributional.decoding``), from the exact
   expectiles at the population's asymmetries, from the learned predictors (averaged over as many
   trials again after the recording) with the true asymmetries, and, as the paper does, from the
   analysis's estimates (reversal points and measured asymmetries in [0, 1]); the samples live in
   the rewards' range.

Writes ``results.json`` (with the run's provenance, :mod:`baselines.provenance`),
``provenance.md``, ``table.md``, ``reversal.png`` (seed 0's populations, and the
correlation of every population) and ``decoding.png`` (the CDFs of seed 0's decoded
distributions against the true one) to ``--out``; ``--plot-only`` redraws the last two and the
table from ``results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The task (compiled at import) and the agents and analysis (scipy.stats) take seconds to import:
# they are imported where they are used, after the arguments are checked.
import rl_envs
from baselines.cli import Parser, count, number, output_folder
from baselines.io import atomic_write_bytes, save_figure
from baselines.provenance import Provenance, write_markdown
from baselines.seeds import seed_summary

TAUS = (0.1, 0.25, 0.5, 0.75, 0.9)
STEP_SIZE = 0.002
MAX_RATE = 0.2
UNITS = {"µl": {}, "utility": {"utility": "empirical"}}


def learned_vs_exact(job: tuple) -> dict:
    """Section 1 for one unit and agent: the second half's average of each predictor."""
    from baselines.distributional import ExpectileTD, QuantileTD
    from rl_envs.variable_reward import VariableRewardEnv

    unit, name, rewards, seed = job
    env = VariableRewardEnv(**UNITS[unit])
    agent = {"ExpectileTD": ExpectileTD, "QuantileTD": QuantileTD}[name](env, taus=TAUS, step_size=STEP_SIZE, seed=seed)
    agent.learn(rewards // 2)
    total, count = np.zeros(len(TAUS)), [0]

    def add(a):
        total[:] += a.V[0]
        count[0] += 1

    agent.learn(rewards - rewards // 2, callback=add)
    return {"unit": unit, "agent": name, "learned": (total / count[0]).tolist()}


def population(job: tuple) -> dict:
    """Sections 2 and 3 for one unit and seed."""
    from baselines.distributional import (
        ClassicalTD,
        ExpectileTD,
        asymmetry_analysis,
        decode_expectiles,
        record_trials,
        responses,
        sample_rates,
    )
    from rl_envs.variable_reward import VariableRewardEnv

    unit, seed, args = job
    env = VariableRewardEnv(**UNITS[unit])
    ref = env.reference()
    bounds = (min(ref.values), max(ref.values))
    rates = sample_rates(args.cells, MAX_RATE, np.random.default_rng(seed))
    out = {"unit": unit, "seed": seed}
    for model, agent in (
        ("distributional", ExpectileTD(env, rates=rates, seed=seed)),
        ("classical", ClassicalTD(env, step_sizes=np.mean(rates, axis=1).tolist(), seed=seed)),
    ):
        agent.learn(args.train)
        total = np.zeros(agent.n_predictors)

        def add(a, total=total):
            total[:] += a.V[0]

        rewards, errors = record_trials(agent, args.trials)
        noise = np.random.default_rng([seed, 1]).normal(0.0, args.noise, errors.shape)
        analysis = asymmetry_analysis(
            rewards, responses(errors, agent.alpha_plus, agent.alpha_minus) + noise, np.random.default_rng([seed, 2])
        )
        out[model] = {
            "taus": agent.taus.tolist(),
            "reversal": analysis.reversal.tolist(),
            "measured_tau": analysis.tau.tolist(),
            "correlation": analysis.correlation,
            "p_value": analysis.p_value,
            "reliability": analysis.reliability,
            "reliability_p_value": analysis.reliability_p_value,
        }
        if model == "distributional":
            agent.learn(args.trials, callback=add)  # the predictors averaged over as many trials again
            learned = total / args.trials
    taus = np.array(out["distributional"]["taus"])
    measured, reversal = np.array(out["distributional"]["measured_tau"]), np.array(out["distributional"]["reversal"])
    usable = np.isfinite(measured) & (measured >= 0) & (measured <= 1)
    rng = np.random.default_rng([seed, 3])
    decoded = {
        "exact": decode_expectiles(taus, ref.expectiles(taus), bounds, restarts=args.restarts, rng=rng),
        "learned": decode_expectiles(taus, learned, bounds, restarts=args.restarts, rng=rng),
        "measured": decode_expectiles(measured[usable], reversal[usable], bounds, restarts=args.restarts, rng=rng),
    }
    out["decoding"] = {
        name: {
            "mean": d.mean,
            "std": d.std,
            "median_loss": float(np.median(d.losses)),
            "samples": d.samples.tolist() if seed == 0 else None,
        }
        for name, d in decoded.items()
    }
    out["decoding"]["measured"]["cells"] = int(usable.sum())
    return out


def truth(unit: str) -> tuple[np.ndarray, np.ndarray, float, float]:
    from rl_envs.variable_reward import VariableRewardEnv

    ref = VariableRewardEnv(**UNITS[unit]).reference()
    values, p = np.array(ref.values), np.array(ref.probabilities)
    return values, p, ref.value, float(np.sqrt(p @ (values - ref.value) ** 2))


def markdown(table: list[dict], populations: list[dict], args) -> str:
    from baselines.distributional import averaged_expectile_sd

    lines = [
        f"**Learned vs exact** ({args.rewards:,} rewards, α⁺ = {STEP_SIZE} τ, α⁻ = {STEP_SIZE} (1 − τ), seed 0; "
        "learned = the second half's average; ± = four times the exact standard deviation of that average)",
        "",
        "| unit | τ | exact expectile | ExpectileTD | difference | ± | exact quantile | QuantileTD |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for unit in UNITS:
        values, p, _, _ = truth(unit)
        learned = {r["agent"]: r["learned"] for r in table if r["unit"] == unit}
        n = args.rewards - args.rewards // 2
        for i, tau in enumerate(TAUS):
            e = rl_envs.expectiles(values, p, tau)
            lines.append(
                f"| {unit} | {tau} | {e:.4f} | {learned['ExpectileTD'][i]:.4f} | {learned['ExpectileTD'][i] - e:+.4f} "
                f"| {4 * averaged_expectile_sd(values, p, tau) / np.sqrt(n):.4f} | "
                f"{rl_envs.quantiles(values, p, tau):g} | {learned['QuantileTD'][i]:.4f} |"
            )
    lines += [
        "",
        f"**Reversal point against asymmetry** ({args.cells} cells, {args.train:,} trials of learning, "
        f"{args.trials} recorded trials, response noise SD {args.noise}; mean ± SD over {args.seeds} populations, "
        "and how many of them have p < 0.05)",
        "",
        "| unit | model | correlation (asymmetry, reversal point) | p < 0.05 | reversal-point reliability | p < 0.05 |",
        "|---|---|---|---|---|---|",
    ]
    for unit in UNITS:
        for model in ("distributional", "classical"):
            runs = [pop[model] for pop in populations if pop["unit"] == unit]
            r, rel = np.array([x["correlation"] for x in runs]), np.array([x["reliability"] for x in runs])
            lines.append(
                f"| {unit} | {model} TD | {r.mean():.3f} ± {r.std():.3f} | "
                f"{sum(x['p_value'] < 0.05 for x in runs)}/{len(runs)} | {rel.mean():.3f} ± {rel.std():.3f} | "
                f"{sum(x['reliability_p_value'] < 0.05 for x in runs)}/{len(runs)} |"
            )
    lines += [
        "",
        f"**Decoding** (M = 100 samples, {args.restarts} restarts pooled, samples within the rewards' range; "
        f"mean ± SD over {args.seeds} populations)",
        "",
        "| unit | from | decoded mean | true mean | decoded SD | true SD |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "exact": "exact expectiles",
        "learned": "learned predictors",
        "measured": "reversal points, measured asymmetries",
    }
    for unit in UNITS:
        _, _, mean, sd = truth(unit)
        runs = [pop["decoding"] for pop in populations if pop["unit"] == unit]
        for name, label in names.items():
            m, s = np.array([x[name]["mean"] for x in runs]), np.array([x[name]["std"] for x in runs])
            lines.append(
                f"| {unit} | {label} | {m.mean():.3f} ± {m.std():.3f} | {mean:.3f} | {s.mean():.3f} ± {s.std():.3f} | {sd:.3f} |"
            )
    return "\n".join(lines) + "\n"


def plot_reversal(populations: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(UNITS), 3, figsize=(14, 8), squeeze=False, gridspec_kw={"width_ratios": [3, 3, 2]})
    grid = np.linspace(0.005, 0.995, 200)
    colours = {"distributional": "C0", "classical": "C3"}
    for row, unit in enumerate(UNITS):
        values, p, mean, _ = truth(unit)
        pop = next(x for x in populations if x["unit"] == unit and x["seed"] == 0)
        for col, model in enumerate(colours):
            ax, res = axes[row][col], pop[model]
            ax.plot(grid, rl_envs.expectiles(values, p, grid), color="0.6", lw=1.5, label="exact τ-expectile")
            ax.axhline(mean, color="0.6", ls=":", lw=1, label="mean")
            ax.scatter(
                res["measured_tau"],
                res["reversal"],
                s=18,
                color=colours[model],
                label="cells (reversal: one half; asymmetry: the other)",
            )
            ax.set_title(
                f"{model} TD, {unit}, population 0: r = {res['correlation']:.2f} (p = {res['p_value']:.2g})", fontsize=9
            )
            ax.set_xlabel("measured asymmetry α⁺ / (α⁺ + α⁻)")
            ax.set_ylabel(f"reversal point ({unit})")
            ax.set_xlim(-0.05, 1.05)
            ax.grid(alpha=0.3)
            if row == col == 0:
                ax.legend(fontsize=8, loc="upper left")
        ax = axes[row][2]
        for i, model in enumerate(colours):
            runs = [x[model] for x in populations if x["unit"] == unit]
            r = np.array([x["correlation"] for x in runs])
            significant = np.array([x["p_value"] < 0.05 for x in runs])
            offsets = np.linspace(-0.15, 0.15, len(r))
            ax.scatter(
                i + offsets, r, s=24, color=colours[model], facecolors=np.where(significant, colours[model], "none")
            )
        ax.axhline(0, color="0.6", lw=1)
        ax.set_xticks([0, 1], ["distributional", "classical"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylim(-1, 1)
        ax.set_ylabel("correlation (asymmetry, reversal point)")
        ax.set_title(f"{len(r)} populations, {unit} (filled: p < 0.05)", fontsize=9)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def plot_decoding(populations: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(UNITS), figsize=(11, 4), squeeze=False)
    labels = {
        "exact": "from the exact expectiles",
        "learned": "from the learned predictors",
        "measured": "from reversal points and measured asymmetries",
    }
    for ax, unit in zip(axes[0], UNITS):
        values, p, _, _ = truth(unit)
        pop = next(x for x in populations if x["unit"] == unit and x["seed"] == 0)
        ax.step(
            np.concatenate([[values[0] - 1], values, [values[-1] + 1]]),
            np.concatenate([[0], np.cumsum(p), [1]]),
            where="post",
            color="k",
            lw=2,
            label="true reward distribution",
        )
        for i, (name, label) in enumerate(labels.items()):
            z = np.sort(pop["decoding"][name]["samples"])
            ax.step(
                np.concatenate([[values[0] - 1], z]),
                np.concatenate([[0], np.arange(1, len(z) + 1) / len(z)]),
                where="post",
                color=f"C{i}",
                lw=1.2,
                label=f"decoded {label}",
            )
        ax.set_xlabel(f"reward ({unit})")
        ax.set_ylabel("cumulative probability")
        ax.set_title(f"decoded vs true distribution, {unit}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rewards", type=count(low=2), default=2_000_000, help="rewards per predictor (the second half averaged)"
    )
    parser.add_argument("--seeds", type=count(), default=10, help="populations (seeds 0 .. N-1) per unit")
    parser.add_argument(
        "--cells", type=count(low=3), default=40, help="cells per population (the paper recorded 40 dopamine neurons)"
    )
    parser.add_argument("--train", type=count(), default=20_000, help="trials of learning before the recording")
    parser.add_argument(
        "--trials",
        type=count(low=10),
        default=500,
        help="recorded trials (each half of the split needs rewards of two sizes)",
    )
    parser.add_argument("--noise", type=number(low=0), default=1.0, help="SD of the response noise, in reward units")
    parser.add_argument("--restarts", type=count(), default=10, help="restarts of each decoding's optimisation")
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    parser.add_argument(
        "--out",
        type=output_folder,
        default="results/distributional_td",
        help="results folder (results.json, table, figures)",
    )
    parser.add_argument("--plot-only", action="store_true", help="redraw the table and figures from <out>/results.json")
    args = parser.parse_args(argv)
    out = args.out
    if args.plot_only and not (out / "results.json").is_file():
        parser.error(f"--plot-only needs {out / 'results.json'}, which is not there")
    if args.plot_only:
        saved = json.loads((out / "results.json").read_text())
        args = argparse.Namespace(**saved["arguments"])
        table, populations = saved["learned_vs_exact"], saved["populations"]
    else:
        provenance = Provenance()
        with contextlib.ExitStack() as stack:
            # One worker is this process: no fork of a process whose threads (numba's, JAX's) may
            # hold locks, as in a test that imports the script beside others.
            run = map if args.workers == 1 else stack.enter_context(ProcessPoolExecutor(args.workers)).map
            table = list(
                run(learned_vs_exact, [(u, a, args.rewards, 0) for u in UNITS for a in ("ExpectileTD", "QuantileTD")])
            )
            populations = list(run(population, [(u, s, args) for u in UNITS for s in range(args.seeds)]))
        # Seed 0 drives the predictors of section 1 and seeds 0 .. N-1 the populations; no test episodes.
        entry = provenance.record(seed_summary(range(args.seeds), []))
        atomic_write_bytes(
            out / "results.json",
            json.dumps(
                {
                    "provenance": entry,
                    "arguments": {**vars(args), "out": str(out)},
                    "learned_vs_exact": table,
                    "populations": populations,
                },
                indent=1,
            ).encode(),
        )
        write_markdown(out, entry)
    text = markdown(table, populations, args)
    atomic_write_bytes(out / "table.md", text.encode())
    print(text)
    plot_reversal(populations, out / "reversal.png")
    plot_decoding(populations, out / "decoding.png")


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
