"""Copy the tables and figures that the runs wrote under ``results/`` into ``docs/``, unchanged.

    python docs/publish_tables.py [--only lq pomdp_scores]   (make docs-tables)

The site includes these files as they are (``--8<--`` in the pages), so its numbers are the runs'
own, never typed.  Each entry of :data:`PUBLISHED` names the run that writes the file; an entry
whose file is missing is reported and skipped, so a partial set of runs publishes what it has.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# what a run writes -> (file under docs/, the command that writes it)
PUBLISHED = {
    "results/compare/summary.md": ("compare/summary.md", "make run"),
    **{
        f"results/compare/curves/rl_envs_{name}-v0.png": (f"compare/rl_envs_{name}-v0.png", "make run")
        for name in (
            "GridMaze",
            "QuadraticBandit",
            "LQControl",
            "PartiallyObservableMaze",
            "OctopusArm",
            "PendulumSwingUp",
            "PuddleWorld",
            "MountainCarRLPark",
            "SwingPendulum",
            "VariableReward",
            "FoodGrid",
        )
    },
    # normalized scores aggregated over the environments (baselines/compare/aggregate.py)
    **{
        f"results/compare/{name}": (f"compare/{name}", "make run")
        for name in (
            "provenance.md",
            "aggregate.md",
            "aggregate/intervals.png",
            "aggregate/performance_profile.png",
            "aggregate/sample_efficiency.png",
            "scores.json",
        )
    },
    "results/tabular_book/book.md": ("tables/tabular_book.md", "python experiments/tabular.py book"),
    "results/tabular_book/provenance.md": ("tables/tabular_book_provenance.md", "python experiments/tabular.py book"),
    "results/tabular_maze10x10/table.md": (
        "tables/tabular_maze10x10.md",
        "python experiments/tabular.py control --layout maze10x10",
    ),
    "results/tabular_maze10x10/curve.png": (
        "tabular_maze10x10.png",
        "python experiments/tabular.py control --layout maze10x10",
    ),
    "results/tabular_rooms10x10/table.md": (
        "tables/tabular_rooms10x10.md",
        "python experiments/tabular.py control --layout rooms10x10",
    ),
    "results/tabular_rooms10x10/curve.png": (
        "tabular_rooms10x10.png",
        "python experiments/tabular.py control --layout rooms10x10",
    ),
    **{
        f"results/tabular_{layout}/provenance.md": (
            f"tables/tabular_{layout}_provenance.md",
            f"python experiments/tabular.py control --layout {layout}",
        )
        for layout in ("maze10x10", "rooms10x10")
    },
    "results/dpg_bandit/table.md": ("tables/dpg_bandit.md", "python experiments/dpg_bandit.py"),
    "results/dpg_bandit/fig1.png": ("dpg_bandit_fig1.png", "python experiments/dpg_bandit.py"),
    "results/dpg_bandit/provenance.md": ("tables/dpg_bandit_provenance.md", "python experiments/dpg_bandit.py"),
    "results/octopus_copdac/table.md": ("tables/octopus_copdac.md", "python experiments/octopus_copdac.py"),
    "results/octopus_copdac/fig3.png": ("octopus_copdac_fig3.png", "python experiments/octopus_copdac.py"),
    "results/octopus_copdac/provenance.md": (
        "tables/octopus_copdac_provenance.md",
        "python experiments/octopus_copdac.py",
    ),
    "results/octopus_copdac_aw3e-2/table.md": (
        "tables/octopus_copdac_aw3e-2.md",
        "python experiments/octopus_copdac.py --alpha-w 0.03 --out results/octopus_copdac_aw3e-2",
    ),
    **{
        f"results/maze10x10_sb3/{name}": (
            f"tables/maze10x10_sb3{suffix}.md",
            "python -m baselines compare --config experiments/maze10x10_sb3.toml --out results/maze10x10_sb3",
        )
        for name, suffix in (("summary.md", ""), ("provenance.md", "_provenance"))
    },
    "results/octopus_copdac_aw3e-2/fig3.png": (
        "octopus_copdac_fig3_alpha_w_0.03.png",
        "python experiments/octopus_copdac.py --alpha-w 0.03 --out results/octopus_copdac_aw3e-2",
    ),
    "results/octopus_copdac_aw3e-2/provenance.md": (
        "tables/octopus_copdac_aw3e-2_provenance.md",
        "python experiments/octopus_copdac.py --alpha-w 0.03 --out results/octopus_copdac_aw3e-2",
    ),
    "results/dpg_fig2/table.md": ("tables/dpg_fig2.md", "python experiments/dpg_fig2.py"),
    "results/dpg_fig2/tasks.md": ("tables/dpg_fig2_tasks.md", "python experiments/dpg_fig2.py"),
    "results/dpg_fig2/settings.md": ("tables/dpg_fig2_settings.md", "python experiments/dpg_fig2.py"),
    "results/dpg_fig2/provenance.md": ("tables/dpg_fig2_provenance.md", "python experiments/dpg_fig2.py"),
    "results/dpg_fig2/sweep.md": ("tables/dpg_fig2_sweep.md", "python experiments/dpg_fig2.py"),
    "results/dpg_fig2/fig2.png": ("reports/dpg_fig2.png", "python experiments/dpg_fig2.py"),
    "results/doya_pendulum/table.md": ("tables/doya_pendulum.md", "python experiments/doya_pendulum.py"),
    "results/doya_pendulum/provenance.md": (
        "tables/doya_pendulum_provenance.md",
        "python experiments/doya_pendulum.py",
    ),
    "results/lq/table.md": ("tables/lq.md", "python experiments/lq.py"),
    "results/lq/provenance.md": ("tables/lq_provenance.md", "python experiments/lq.py"),
    "results/lq/gap.png": ("lq_gap.png", "python experiments/lq.py"),
    "results/pomdp_scores/table.md": ("tables/pomdp_scores.md", "python experiments/pomdp_scores.py"),
    "results/pomdp_scores/provenance.md": ("tables/pomdp_scores_provenance.md", "python experiments/pomdp_scores.py"),
    "results/distributional_td/provenance.md": (
        "tables/distributional_td_provenance.md",
        "python experiments/distributional_td.py",
    ),
    "results/distributional_td/table.md": ("tables/distributional_td.md", "python experiments/distributional_td.py"),
    "results/distributional_td/reversal.png": (
        "distributional_td_reversal.png",
        "python experiments/distributional_td.py",
    ),
    "results/distributional_td/decoding.png": (
        "distributional_td_decoding.png",
        "python experiments/distributional_td.py",
    ),
    "results/mop_food_grid/table.md": ("tables/mop_food_grid.md", "python experiments/mop_food_grid.py"),
    "results/mop_food_grid/solve.md": ("tables/mop_food_grid_solve.md", "python experiments/mop_food_grid.py"),
    "results/mop_food_grid/heatmaps.png": ("mop_food_grid_heatmaps.png", "python experiments/mop_food_grid.py"),
    "results/mop_food_grid/provenance.md": (
        "tables/mop_food_grid_provenance.md",
        "python experiments/mop_food_grid.py",
    ),
    "results/mop_food_grid_tol0.01/table.md": (
        "tables/mop_food_grid_tol0.01.md",
        "python experiments/mop_food_grid.py --tol 0.01 --out results/mop_food_grid_tol0.01",
    ),
    "results/mop_food_grid_tol0.01/provenance.md": (
        "tables/mop_food_grid_tol0.01_provenance.md",
        "python experiments/mop_food_grid.py --tol 0.01 --out results/mop_food_grid_tol0.01",
    ),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="results/ sub-folders to publish (default: all)")
    args = parser.parse_args(argv)
    missing = 0
    for source, (target, command) in PUBLISHED.items():
        if args.only and source.split("/")[1] not in args.only:
            continue
        src = ROOT / source
        if not src.exists():
            print(f"missing {source} (written by `{command}`): not published", file=sys.stderr)
            missing += 1
            continue
        (DOCS / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, DOCS / target)
        print(f"{source} -> docs/{target}")
    return 1 if missing and args.only else 0


if __name__ == "__main__":
    sys.exit(main())
