"""Play an rl_envs environment with the keyboard: ``python -m rl_envs.play rl_envs/GridMaze-v0``.

Extra ``key=value`` arguments are passed to ``gymnasium.make`` (values are read as Python
literals when they parse, e.g. ``slip=0.1 layout=maze10x10``).
"""

from __future__ import annotations

import argparse
import ast

import gymnasium as gym

import rl_envs  # noqa: F401  (registers the environments)


def parse_kwargs(pairs: list[str]) -> dict:
    kwargs = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"expected key=value, got {pair!r}")
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kwargs[key] = value
    return kwargs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])  # no docstring under -OO
    parser.add_argument("env_id", nargs="?", default="rl_envs/GridMaze-v0")
    parser.add_argument("kwargs", nargs="*", help="key=value arguments for gymnasium.make")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--zoom", type=float, default=1.0)
    args = parser.parse_args(argv)
    from gymnasium.utils.play import play

    env = gym.make(args.env_id, render_mode="rgb_array", **parse_kwargs(args.kwargs))
    play(env, zoom=args.zoom, seed=args.seed, wait_on_player=True, fps=env.metadata.get("render_fps", 8))


if __name__ == "__main__":
    main()
