"""Tile-coded states per second: ``TileCoder.tiles`` on a batch against tiles3's plain Python loop.

    python benchmarks/bench_tiles.py [--batch 10000] [--seconds 2]

The coder is the one of the DPG §5.2 tasks (10 tilings of 10 x 10 over two state variables,
a 2^16-slot table).  A "feature" here is one coded state (its 10 active tiles).  Also prints
the tiles lost to hash collisions over every tile of the square, against a random map's
birthday count.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from baselines.tiles import TileCoder, tiles_loop


def rate(fn, n_states: int, seconds: float) -> float:
    """States coded per second by ``fn()``, which codes ``n_states``, repeated for ``seconds``."""
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        if time.perf_counter() - t0 >= seconds:
            return calls * n_states / (time.perf_counter() - t0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    coder = TileCoder([0.0, 0.0], [1.0, 1.0], n_tilings=10, tiles_per_dim=10)
    states = np.random.default_rng(0).uniform(size=(args.batch, 2))
    loop_states = states[:1000]
    batch = rate(lambda: coder.tiles(states), len(states), args.seconds)
    loop = rate(lambda: [tiles_loop(coder, s) for s in loop_states], len(loop_states), args.seconds)
    one = rate(lambda: coder.tiles(states[0]), 1, args.seconds)
    print(
        f"batch of {args.batch}: {batch:,.0f} states/s; one state per call: {one:,.0f} states/s; "
        f"plain Python loop: {loop:,.0f} states/s; batch / loop = {batch / loop:.0f}x"
    )
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 300), np.linspace(0, 1, 300)), axis=-1).reshape(-1, 2)
    n = len(np.unique(TileCoder([0, 0], [1, 1], 10, 10, size=1 << 40).tiles(grid)))
    lost = n - len(np.unique(coder.tiles(grid)))
    print(
        f"{n} distinct tiles in a table of {coder.size}: {lost} lost to collisions "
        f"(a random map loses about {n * n / (2 * coder.size):.1f})"
    )


if __name__ == "__main__":
    main()
