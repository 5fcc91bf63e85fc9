"""The evaluation protocol's seeds, named in this one place.

A run is identified by its seed: the agent's initialisation and its training environment's
stream come from it.  Its learned policy is tested on episodes of its own: at checkpoint ``c``
(0, 1, ... in the order the run is tested; the end of training is the last) it plays
``episodes`` episodes (:data:`EPISODES_PER_CHECKPOINT` unless a configuration says otherwise),
each from the environment reset with one seed of the run's test stream
(:func:`checkpoint_test_seeds`), so from the environment's documented start distribution.

Three disjoint ranges, so that anyone can check from a record's ``seed`` and ``test_seeds`` that
nothing reported was chosen on what it reports:

* :data:`TRAINING`: the seeds of the runs a report shows;
* :data:`TUNING`: the seeds of the runs that sweeps and step-size choices train and score, with
  their test episodes (:data:`TUNING_TEST`): everything a choice may look at;
* :data:`REPORTED_TEST`: the seeds of the test episodes of training runs, the only episodes a
  reported number comes from.

Run ``s`` owns the block ``TEST.start + s * EPISODES_PER_RUN`` + [0, :data:`EPISODES_PER_RUN`)
of test seeds, its stream: two runs with different seeds never share a test episode, and a test
seed is never a run's seed (the training episodes of run ``s`` come from ``reset(seed=s)``).
Runs with the same seed (two agents, or two step sizes, on seed 3) share their test episodes:
common random numbers, which make their difference less noisy.  Each seed's episode is an
independent stream although the seeds are consecutive: Gymnasium builds the environment's
generator from ``np.random.SeedSequence(seed)``, which hashes the seed's bits into the generator's
state (NumPy's design after M. E. O'Neill's 2015 ``seed_seq``), so neighbouring seeds give
unrelated starts; a layout of consecutive integers makes the streams of two runs disjoint by
construction, where hashing (run, episode) into one seed would only make it likely.  Decimal
digits keep it readable: test seed 1_003_000_017 is run 3's episode 17.
"""

from __future__ import annotations

from collections.abc import Iterable

from rl_envs.validation import integer

TRAINING = range(0, 1_000)
TUNING = range(1_000, 2_000)
# Test episodes a run may play over its whole training (checkpoints x episodes per checkpoint).
EPISODES_PER_RUN = 1_000_000
TEST = range(1_000_000_000, 1_000_000_000 + TUNING.stop * EPISODES_PER_RUN)  # below 2**32: any seeder takes it
REPORTED_TEST = range(TEST.start + TRAINING.start * EPISODES_PER_RUN, TEST.start + TRAINING.stop * EPISODES_PER_RUN)
TUNING_TEST = range(TEST.start + TUNING.start * EPISODES_PER_RUN, TEST.start + TUNING.stop * EPISODES_PER_RUN)
# Test episodes per checkpoint unless a configuration says otherwise.
EPISODES_PER_CHECKPOINT = 10
# Part of every comparison cell's key: a cell tested under another layout is another cell.
TEST_PROTOCOL = 1

ROLES = {"training": TRAINING, "tuning": TUNING}


def _span(seeds: range) -> str:
    return f"{seeds.start}..{seeds.stop - 1}"


def role(seed: int, name: str = "seed") -> str:
    """``"training"`` or ``"tuning"``: the range run seed ``seed`` lies in (a ValueError naming
    ``name`` for any other seed)."""
    seed = integer(seed, name, low=0)
    for which, seeds in ROLES.items():
        if seed in seeds:
            return which
    raise ValueError(
        f"{name} must be a training seed ({_span(TRAINING)}) or a tuning seed ({_span(TUNING)}), got {seed}"
    )


def check_seeds(seeds: Iterable[int], name: str = "seeds", *, expected: str) -> list[int]:
    """``seeds`` as ints, each in the range of role ``expected`` ("training" or "tuning")."""
    seeds = [integer(s, name, low=0) for s in seeds]
    wrong = [s for s in seeds if s not in ROLES[expected]]
    if wrong:
        raise ValueError(
            f"{name} must be {expected} seeds ({_span(ROLES[expected])}), got {', '.join(map(str, wrong[:5]))}"
        )
    return seeds


def checkpoint_test_seeds(run_seed: int, checkpoint: int, episodes: int = EPISODES_PER_CHECKPOINT) -> list[int]:
    """The seeds of the ``episodes`` test episodes of run ``run_seed`` at its checkpoint number
    ``checkpoint`` (0 first): positions ``checkpoint * episodes`` onwards of the run's stream."""
    role(run_seed, "run_seed")
    checkpoint = integer(checkpoint, "checkpoint", low=0)
    episodes = integer(episodes, "episodes", low=1)
    first = checkpoint * episodes
    if first + episodes > EPISODES_PER_RUN:
        raise ValueError(
            f"checkpoint {checkpoint} with {episodes} episodes each runs past the {EPISODES_PER_RUN:,} "
            "test episodes a run owns: test fewer episodes or at fewer checkpoints"
        )
    start = TEST.start + run_seed * EPISODES_PER_RUN + first
    return list(range(start, start + episodes))


def run_of_test_seed(seed: int) -> int:
    """The seed of the run whose stream holds test seed ``seed``."""
    if seed not in TEST:
        raise ValueError(f"{seed} is not a test seed ({_span(TEST)})")
    return (seed - TEST.start) // EPISODES_PER_RUN


def check_streams(runs: Iterable[tuple[int, Iterable[int]]]) -> None:
    """Refuse (ValueError) a set of ``(run seed, test seeds)`` pairs, as records list them, unless
    every test seed lies in its own run's stream: then runs with different seeds share no test
    episode, and a tuning run's episodes are never reported ones."""
    owner: dict[int, int] = {}
    for run_seed, test_seeds in runs:
        role(run_seed, "run seed")
        for seed in test_seeds:
            if seed not in TEST or run_of_test_seed(seed) != run_seed:
                raise ValueError(f"run {run_seed} played test seed {seed}, which is not in its stream")
            if owner.setdefault(seed, run_seed) != run_seed:
                raise ValueError(f"test seed {seed} was played by runs {owner[seed]} and {run_seed}")


def _ranges(seeds: Iterable[int]) -> list[list[int]]:
    """Sorted distinct ``seeds`` as ``[first, last]`` runs of consecutive ints."""
    out: list[list[int]] = []
    for s in sorted(set(seeds)):
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def seed_summary(run_seeds: Iterable[int], test_seeds: Iterable[int]) -> dict:
    """The seeds a results folder used, for its provenance: its run seeds by role and its test
    seeds, each as a count and ``[first, last]`` ranges."""
    runs = set(run_seeds)
    tests = set(test_seeds)
    by_role = {name: sorted(s for s in runs if s in seeds) for name, seeds in ROLES.items()}
    other = sorted(runs - set(by_role["training"]) - set(by_role["tuning"]))
    summary = {name: {"count": len(s), "ranges": _ranges(s)} for name, s in by_role.items()}
    if other:  # a record written by hand or by other code: shown, not hidden
        summary["other"] = {"count": len(other), "ranges": _ranges(other)}
    summary["test"] = {"count": len(tests), "ranges": _ranges(tests)}
    return summary
