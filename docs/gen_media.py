"""Render every animation and thumbnail of the documentation from the environments themselves.

    SDL_VIDEODRIVER=dummy python docs/gen_media.py [--only GridMaze] [--out docs/media] [--readme]

For each environment registered in the ``rl_envs/`` namespace (:func:`media`): ``<Name>.gif``, an
episode of the policy named in its caption, and ``<Name>-<variant>.png``, a thumbnail of every
variant or layout (the first frame after ``reset(seed=0)``).  The policy, caption and variants
are the environment's entry of :data:`CHOSEN` (a good policy where one is cheap to get, the
uniformly random one otherwise); an environment without one gets :func:`default_media`, a
seeded uniformly random episode and no variants.  Frames come from ``render_mode="rgb_array"``;
the GIFs are kept small (at most 60 frames, 240 px wide).  The committed files under
``docs/media/`` are this script's output: ``tests/test_docs.py`` regenerates one and compares
it pixel for pixel, and the docs build (``docs/hooks/site.py``) reads :func:`media` for the
gallery, the captions and the variant thumbnails, failing when a file is missing.

A run into ``docs/media/`` (the default ``--out``) also rewrites the README's table of the
environments (:func:`readme_table`, between :data:`README_MARKERS`), which GitHub shows as it
is; ``--readme`` rewrites only that table.  Each environment's line there and in the site's
gallery is its :func:`summary`, from its env class's docstring.
"""

from __future__ import annotations

import argparse
import inspect
import io
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(ROOT))

import gymnasium as gym  # noqa: E402
from gymnasium.envs.registration import load_env_creator  # noqa: E402

import rl_envs  # noqa: E402

WIDTH = 240  # px, the GIFs' and thumbnails' largest width
MAX_FRAMES = 60
OUT = ROOT / "docs" / "media"
README = ROOT / "README.md"
README_MARKERS = ("<!-- env-table:start (python docs/gen_media.py --readme writes it) -->", "<!-- env-table:end -->")


@dataclass(frozen=True)
class Variant:
    name: str  # file-name suffix and the label under the thumbnail
    kwargs: dict
    note: str = ""


@dataclass(frozen=True)
class Media:
    """One environment's animation (``kwargs``, ``episode``) and variant thumbnails."""

    env_id: str
    kwargs: dict
    episode: Callable[[gym.Env], list[np.ndarray]]  # frames of the animated episode
    caption: str  # what the animation shows, the policy included
    variants: tuple[Variant, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.env_id.split("/")[1].split("-v")[0]


def rollout(env: gym.Env, act: Callable, every: int = 1, seed: int = 0, steps: int | None = None) -> list[np.ndarray]:
    """Frames of one episode (or its first ``steps`` steps) under ``act(obs, env) -> action``: the
    start and every ``every``-th step after it, at most MAX_FRAMES of them."""
    obs, _ = env.reset(seed=seed)
    frames, t, done = [env.render()], 0, False
    while not done and t != steps:
        obs, _, terminated, truncated, _ = env.step(act(obs, env))
        t += 1
        done = terminated or truncated
        if t % every == 0 or done:
            frames.append(env.render())
    return subsample(frames, MAX_FRAMES)


def subsample(frames: list, n: int) -> list:
    """At most ``n`` frames, evenly spaced, the first and the last kept."""
    if len(frames) <= n:
        return frames
    return [frames[i] for i in np.linspace(0, len(frames) - 1, n).round().astype(int)]


# -- the policies -----------------------------------------------------------------------------


def gridmaze_optimal(env):
    """Greedy on Q* from value iteration on the maze's model (`optimal_values`)."""
    _, q = env.unwrapped.optimal_values(1.0)
    return rollout(env, lambda obs, _: int(np.argmax(q[obs])))


def pomaze_qmdp(env):
    """QMDP (Littman, Cassandra & Kaelbling 1995) on the exact belief."""
    from baselines.belief import QMDP

    agent = QMDP(env).learn()
    state = {"s": None, "start": True}

    def act(obs, _):
        action, state["s"] = agent.predict(obs, state["s"], episode_start=state["start"])
        state["start"] = False
        return action

    return rollout(env, act, seed=1)


def lq_optimal(env):
    """The Riccati gain ``u = -K* x`` (`optimal_gain`)."""
    K = env.unwrapped.optimal_gain()
    return rollout(env, lambda x, _: (-K @ x).astype(np.float32), every=2)


def bandit_copdac_b(env):
    """COPDAC-B (Silver et al. 2014, §5.1) learning: one frame per 10 pulls of its first 600."""
    from baselines.linear import COPDACB

    frames = []

    def record(agent):
        if agent.num_timesteps % 10 == 0:
            frames.append(env.render())
        return True

    env.reset(seed=0)
    COPDACB(env, seed=0).learn(600, callback=record)
    return subsample(frames, MAX_FRAMES)


def pendulum_value_gradient(env):
    """Doya's (2000) value-gradient policy after 10,000 steps of learning (the default comparison's setting)."""
    from baselines.continuous_time import ValueGradientPolicy
    from baselines.continuous_time.settings import PENDULUM_VALUE_GRADIENT

    agent = ValueGradientPolicy(env, seed=0, **PENDULUM_VALUE_GRADIENT).learn(10_000)
    return rollout(env, lambda obs, _: agent.predict(obs, deterministic=True)[0], every=10)


def bang_bang(gain: float, every: int, steps: int | None = None):
    """Push along the velocity (observation 1): a bang-bang energy pump, not optimal."""

    def episode(env):
        return rollout(env, lambda obs, _: np.array([gain if obs[1] >= 0 else -gain], np.float32), every, steps=steps)

    return episode


def puddle_straight(env):
    """Straight towards the goal corner at full speed (it wades through the puddles: not optimal)."""
    goal = np.array([1.0, 1.0])

    def act(obs, e):
        d = goal - obs
        return (e.action_space.high * d / max(np.abs(d).max(), 1e-9)).astype(np.float32)

    return rollout(env, act, every=1)


def food_grid_mop(env):
    """The MOP agent (Ramírez-Ruiz et al. 2024) by exact value iteration, sampling its policy."""
    from baselines.intrinsic import MOP

    agent = MOP(env, seed=0).learn()
    return rollout(env, lambda obs, _: agent.predict(obs, deterministic=False)[0], every=20, steps=600)


def expectile_td_learning(env):
    """ExpectileTD (Dabney et al. 2020) learning from its first trial: the outcome of every 10th
    trial of its first 600, the predictors at the cue drawn over the reward distribution."""
    from stable_baselines3.common.callbacks import BaseCallback

    from baselines.distributional import ExpectileTD

    frames = []

    class Film(BaseCallback):  # on_step sees the trial's outcome, before the env restarts
        def _on_step(self) -> bool:
            if self.num_timesteps % 10 == 0:
                env.unwrapped.predictors = self.model.predictors(0)
                frames.append(env.render())
            return True

    ExpectileTD(env, taus=np.linspace(0.1, 0.9, 9).tolist(), step_size=0.05, seed=0).learn(600, callback=Film())
    return subsample(frames, MAX_FRAMES)


def uniform_random(every: int = 1):
    """Uniformly random actions, the action space seeded 0: what any environment can show."""

    def episode(env):
        env.action_space.seed(0)
        return rollout(env, lambda obs, e: e.action_space.sample(), every)

    return episode


# The animations chosen per environment, with their variants.
CHOSEN: tuple[Media, ...] = (
    Media(
        "rl_envs/GridMaze-v0",
        {"layout": "dyna_maze"},
        gridmaze_optimal,
        "The optimal policy (greedy on the optimal action values of the model) on `dyna_maze`.",
        (
            Variant("book3x3", {"layout": "book3x3"}, "Ogawa 2018, thin walls"),
            Variant("dyna_maze", {"layout": "dyna_maze"}, "Sutton & Barto 2018, Fig. 8.2"),
            Variant("four_rooms", {"layout": "four_rooms"}, "Sutton, Precup & Singh 1999"),
            Variant("rooms10x10", {"layout": "rooms10x10"}, "four rooms with loops"),
            Variant("maze10x10", {"layout": "maze10x10"}, "a perfect maze"),
            Variant(
                "random", {"layout": "random", "size": 8, "maze_seed": 0}, '`layout="random", size=8, maze_seed=0`'
            ),
        ),
    ),
    Media(
        "rl_envs/QuadraticBandit-v0",
        {"dim": 10},
        bandit_copdac_b,
        "COPDAC-B learning on `dim=10`: its pulls projected on the flattest and steepest directions "
        "(left) and their costs on a log scale (right).",
        (Variant("dim2", {"dim": 2}), Variant("dim10", {"dim": 10}), Variant("dim50", {"dim": 50})),
    ),
    Media(
        "rl_envs/LQControl-v0",
        {},
        lq_optimal,
        "The Riccati-optimal gain K* on the double integrator from x0 = [-1, 0].",
        (
            Variant("double_integrator", {"system": "double_integrator"}, "Recht's quadrotor"),
            Variant("datacenter", {"system": "datacenter"}, "Recht's 3-state Laplacian system"),
        ),
    ),
    Media(
        "rl_envs/PartiallyObservableMaze-v0",
        {"layout": "hallway"},
        pomaze_qmdp,
        "QMDP on `hallway`; the shading is the agent's belief over its position and heading.",
        (
            Variant("hallway", {"layout": "hallway"}, "60 states, 21 observations"),
            Variant("hallway2", {"layout": "hallway2"}, "92 states, 17 observations"),
            Variant("cheese", {"layout": "cheese"}, "McCallum's cheese maze"),
            Variant("4x3", {"layout": "4x3"}, "Russell & Norvig's 4x3 world"),
            Variant("dyna_maze", {"layout": "dyna_maze"}, "a GridMaze layout with the four-wall sensor"),
        ),
    ),
    Media(
        "rl_envs/OctopusArm-v0",
        {},
        uniform_random(every=5),
        "Uniformly random muscle activations for one episode (COPDAC-Q's good policy takes 3·10⁵ steps to learn).",
        (
            Variant("C6", {}, "the DPG paper's 6 compartments"),
            Variant("C3", {"n_compartments": 3}),
            Variant("C10", {"n_compartments": 10}),
            Variant("random-target", {"target": "random"}, '`target="random"`'),
        ),
    ),
    Media(
        "rl_envs/PendulumSwingUp-v0",
        {},
        pendulum_value_gradient,
        "Doya's value-gradient policy after 10,000 steps of learning, one 20 s trial.",
        (),
    ),
    Media(
        "rl_envs/PuddleWorld-v0",
        {},
        puddle_straight,
        "Straight to the goal at full speed (through the puddles, so not optimal).",
        (
            Variant("offpac", {"variant": "offpac"}, "Degris, White & Sutton 2012"),
            Variant("boyan-moore", {"variant": "boyan-moore"}, "Boyan & Moore 1995"),
        ),
    ),
    Media(
        "rl_envs/MountainCarRLPark-v0",
        {},
        bang_bang(1.0, every=5),
        "Full throttle along the velocity (a bang-bang energy pump, not optimal).",
        (),
    ),
    Media(
        "rl_envs/SwingPendulum-v0",
        {},
        bang_bang(2.0, every=5, steps=300),
        "Full torque along the angular velocity (a bang-bang energy pump, not optimal), first 300 steps.",
        (),
    ),
    Media(
        "rl_envs/VariableReward-v0",
        {},
        expectile_td_learning,
        "ExpectileTD learning (τ = 0.1, 0.2, …, 0.9, α = 0.05): its nine predictors (red) spread over the "
        "reward distribution towards its expectiles; one frame per 10 trials, the last reward in orange.",
        (
            Variant(
                "magnitude",
                {"predictors": [2.005, 3.335, 5.208, 7.767, 10.849]},
                "the exact 0.1-, 0.25-, 0.5-, 0.75- and 0.9-expectiles drawn",
            ),
            Variant("probability", {"variant": "probability"}, "three cues: reward with probability 0.1, 0.5, 0.9"),
            Variant("utility", {"utility": "empirical"}, "the paper's empirical utility"),
        ),
    ),
    Media(
        "rl_envs/FoodGrid-v0",
        {},
        food_grid_mop,
        "The MOP agent (no reward: exact value iteration of its path entropy, gamma = 0.99), first 600 steps; "
        "the shading is the episode's visit counts, the bar its energy.",
        (
            Variant("default", {}, "G = 10, cap 100"),
            Variant("noisy-tv", {"tv_noise": 1.0}, "`tv_noise=1.0`: the purple room's moves are random"),
        ),
    ),
)


def default_media(env_id: str) -> Media:
    """The animation of an environment without an entry in :data:`CHOSEN`."""
    return Media(env_id, {}, uniform_random(), "Uniformly random actions (seeded) for one episode.")


def media() -> dict[str, Media]:
    """Every environment registered in the ``rl_envs/`` namespace, by name, in registration order:
    its entry of :data:`CHOSEN`, else :func:`default_media`."""
    chosen = {m.env_id: m for m in CHOSEN}
    return {m.name: m for m in (chosen.get(env_id) or default_media(env_id) for env_id in rl_envs.registered_ids())}


# -- what the gallery and the README say of each environment ----------------------------------------


def rst_to_markdown(text: str) -> str:
    """The docstrings' Sphinx roles as code spans (``x`` is already Markdown)."""
    return re.sub(r":(?:class|mod|func|meth|attr|data|obj):`~?([^`]+)`", r"``\1``", text)


def env_class(env_id: str, vector: bool = False) -> type:
    """The class registered for ``env_id`` (its vector env's with ``vector``), from a
    ``"module:Class"`` entry point or the class itself."""
    spec = gym.spec(env_id)
    entry_point = spec.vector_entry_point if vector else spec.entry_point
    return entry_point if callable(entry_point) else load_env_creator(entry_point)


def summary(env_id: str) -> str:
    """One line (Markdown) on an environment, from its env class's docstring: the paragraph before
    the first ``## `` section (its summary line), else the first sentence of ``## Description``;
    the gallery and the README show it beside the animation."""
    head, *sections = re.split(r"^## ", rst_to_markdown(inspect.getdoc(env_class(env_id)) or ""), flags=re.MULTILINE)
    description = next((s.partition("\n")[2].strip() for s in sections if s.startswith("Description\n")), "")
    text = head.strip() or re.split(r"(?<=[.!?])\s+(?=[A-Z])", description, maxsplit=1)[0]
    if not text:
        raise ValueError(f"{env_id}: its env class's docstring has neither a summary line nor a '## Description'")
    return " ".join(text.split("\n\n")[0].split()).removesuffix(".")  # a caption, not a sentence


def source_path(env_id: str) -> str | None:
    """The env class's module as a path from the repository's root (None outside the checkout)."""
    try:
        return Path(inspect.getfile(env_class(env_id))).resolve().relative_to(ROOT).as_posix()
    except (TypeError, ValueError):  # a class made at run time, or a module outside the checkout
        return None


def readme_table(columns: int = 3) -> list[str]:
    """The README's table of the environments: each one's animation above its id, module and summary."""
    cells = []
    for name, m in media().items():
        path = source_path(m.env_id)
        label = f"`{m.env_id.split('/')[1]}`"
        cells.append(
            (
                f"![{name}](docs/media/{name}.gif)",
                (f"[{label}]({path})" if path else label) + ": " + summary(m.env_id).replace("|", "\\|"),
            )
        )
    cells += [("", "")] * (-len(cells) % columns)
    lines = ["|" + " |" * columns, "|" + "---|" * columns]
    for i in range(0, len(cells), columns):
        row = cells[i : i + columns]
        lines += ["| " + " | ".join(c[0] for c in row) + " |", "| " + " | ".join(c[1] for c in row) + " |"]
    return lines


def _image(frame: np.ndarray):
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(frame))
    if img.width > WIDTH:
        img = img.resize((WIDTH, round(img.height * WIDTH / img.width)), Image.Resampling.LANCZOS)
    return img


def gif_bytes(frames: list[np.ndarray], fps: float) -> bytes:
    """An endlessly looping GIF of ``frames``, one 64-colour palette per frame (deterministic)."""
    from PIL import Image

    images = [_image(f).quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) for f in frames]
    buf = io.BytesIO()
    durations = [round(1000 / fps)] * (len(images) - 1) + [1500]  # hold the last frame
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    return buf.getvalue()


def png_bytes(frame: np.ndarray) -> bytes:
    buf = io.BytesIO()
    _image(frame).save(buf, format="PNG")
    return buf.getvalue()


def animation(media: Media) -> bytes:
    env = gym.make(media.env_id, render_mode="rgb_array", **media.kwargs)
    try:
        frames = media.episode(env)
    finally:
        env.close()
    return gif_bytes(frames, fps=8)


def thumbnail(media: Media, variant: Variant) -> bytes:
    env = gym.make(media.env_id, render_mode="rgb_array", **variant.kwargs)
    try:
        env.reset(seed=0)
        return png_bytes(env.render())
    finally:
        env.close()


def outputs(media: Media) -> dict[str, Callable[[], bytes]]:
    """File name -> the function that makes its bytes."""
    files = {f"{media.name}.gif": lambda: animation(media)}
    for v in media.variants:
        files[f"{media.name}-{v.name}.png"] = lambda v=v: thumbnail(media, v)
    return files


def main(argv=None) -> None:
    from baselines.compare.report import splice_table

    everything = media()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help=f"environment names (default: all of {', '.join(everything)})")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--readme", action="store_true", help="only rewrite README.md's table of the environments")
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - set(everything)
    if unknown:
        parser.error(f"unknown names {sorted(unknown)}; choose from {', '.join(everything)}")
    if not args.readme:
        args.out.mkdir(parents=True, exist_ok=True)
        for name in args.only or everything:
            for file, make in outputs(everything[name]).items():
                data = make()
                (args.out / file).write_bytes(data)
                print(f"{args.out / file}: {len(data) / 1024:.0f} KiB", flush=True)
    if args.readme or args.out.resolve() == OUT:
        splice_table(README, readme_table(), README_MARKERS)
        print(f"{README}: the table of the {len(everything)} environments", flush=True)


if __name__ == "__main__":
    main()
