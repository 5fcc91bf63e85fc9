"""The POMDP bounds and the partially observable maze's reference record.

Checked against exact values computed independently: on Tiger and cheese the beliefs reachable
from b0 are finitely many (cheese is deterministic; Tiger's saturate to 12 decimals), so value
iteration on them gives V* without alpha vectors; the random policy against Monte Carlo; the
stored bounds against the models they were computed for, and against published scores.
"""

import json

import numpy as np
import gymnasium as gym
import pytest
import scipy.sparse as sp

import rl_envs  # noqa: F401
from baselines.belief import discounted_rollouts
from baselines.compare.measures import UniformRandom
from rl_envs.core import Reference
from rl_envs.maze import po_maze
from rl_envs.maze.classic_pomdps import CLASSIC
from rl_envs.maze.pomdp import POMDPModel
from rl_envs.maze.pomdp_bounds import (
    HSVI,
    ValueBounds,
    blind_policy_alphas,
    fast_informed_bound,
    finite_horizon_bounds,
    model_fingerprint,
    random_policy_value,
    solve_bounds,
)
from rl_envs.maze.pomdp_format import parse_pomdp

ID = "rl_envs/PartiallyObservableMaze-v0"

# Kaelbling, Littman & Cassandra (1998): Cassandra's tiger.95.
TIGER = """
discount: 0.95
values: reward
states: tiger-left tiger-right
actions: listen open-left open-right
observations: tiger-left tiger-right
start: uniform
T: listen
identity
T: open-left
uniform
T: open-right
uniform
O: listen
0.85 0.15
0.15 0.85
O: open-left
uniform
O: open-right
uniform
R: listen : * : * : * -1
R: open-left : tiger-left : * : * -100
R: open-left : tiger-right : * : * 10
R: open-right : tiger-left : * : * 10
R: open-right : tiger-right : * : * -100
"""


def episode_model(layout: str, goal_mode: str = "terminate") -> POMDPModel:
    return gym.make(ID, layout=layout, goal_mode=goal_mode).unwrapped.episode_model  # type: ignore[attr-defined]


class ReachableBeliefs:
    """The belief MDP on the beliefs reachable from b0, rounded to 12 decimals to merge equal ones
    (finite for a deterministic model, or when the beliefs saturate)."""

    def __init__(self, model: POMDPModel, limit: int = 20_000):
        self.model, index, beliefs = model, {}, []

        def find(b):
            key = np.round(b, 12).tobytes()
            if key not in index:
                index[key] = len(beliefs)
                beliefs.append(b)
            return index[key]

        find(model.b0)
        edges = [[] for _ in range(model.n_actions)]
        i = 0
        while i < len(beliefs):
            for a in range(model.n_actions):
                joint = (beliefs[i] @ model.T[a])[:, None] * model.O[a]  # (S', Z)
                p = joint.sum(axis=0)
                edges[a] += [(i, find(joint[:, o] / p[o]), p[o]) for o in np.flatnonzero(p > 0)]
            i += 1
            assert len(beliefs) < limit, "the reachable beliefs are not finite here"
        self.beliefs = np.array(beliefs)
        n = len(beliefs)
        self.P = [sp.csr_matrix((np.array(e)[:, 2], (np.array(e)[:, 0], np.array(e)[:, 1])), (n, n)) for e in edges]
        self.r = self.beliefs @ model.R  # (n, A)

    def values(self, horizon: int | None = None) -> np.ndarray:
        """V* at every reachable belief: over ``horizon`` steps (backward induction), or until
        value iteration moves no entry by 1e-13."""
        V = np.zeros(len(self.beliefs))
        for _ in range(horizon if horizon is not None else 100_000):
            V_new = np.max([self.r[:, a] + self.model.gamma * (self.P[a] @ V) for a in range(len(self.P))], axis=0)
            if horizon is None and np.max(np.abs(V_new - V)) < 1e-13:
                return V_new
            V = V_new
        assert horizon is not None, "value iteration did not converge"
        return V


@pytest.fixture(scope="module")
def tiger():
    return parse_pomdp(TIGER, source="tiger.95")


# -- the bounds against exact values ------------------------------------------------------------


def test_tiger_bounds_converge_on_the_exact_optimum(tiger):
    exact = ReachableBeliefs(tiger).values()[0]
    assert exact == pytest.approx(19.3714, abs=1e-4)  # tiger.95, as exact alpha-vector value iteration gives it
    bounds, _ = solve_bounds(tiger, tol=1e-6)
    assert bounds.lower <= exact + 1e-9 and exact <= bounds.upper + 1e-9
    assert bounds.upper - bounds.lower <= 1e-6
    assert bounds.fib >= exact  # FIB is valid but loose where information matters: 87.18
    assert bounds.fib == pytest.approx(87.1795, abs=1e-4)


@pytest.mark.parametrize("goal_mode", ["terminate", "reset"])
def test_cheese_bounds_converge_on_the_exact_optimum(goal_mode):
    model = episode_model("cheese", goal_mode)
    exact = ReachableBeliefs(model).values()[0]
    bounds, _ = solve_bounds(model, tol=1e-6)
    assert bounds.lower - 1e-9 <= exact <= bounds.upper + 1e-9
    assert bounds.upper - bounds.lower <= 1e-6
    assert bounds.fib >= exact + 1e-3  # strictly looser than the optimum here


@pytest.mark.parametrize("name", ["tiger", "cheese"])
def test_unconverged_bounds_hold_at_every_reachable_belief(name, tiger):
    """After a few trials the bounds are far apart, and still on either side of V* everywhere."""
    model = tiger if name == "tiger" else episode_model("cheese", "reset")
    reachable = ReachableBeliefs(model)
    exact = reachable.values()
    solver = HSVI(model).run(tol=1e-9, max_trials=3)
    lower, upper = solver.lower(reachable.beliefs), solver.upper(reachable.beliefs)
    fib = (reachable.beliefs @ solver.Q_fib).max(axis=1)
    assert solver.gap() > 1e-3  # not converged: the test is about the bounds in between
    assert np.all(lower <= exact + 1e-9) and np.all(exact <= upper + 1e-9) and np.all(upper <= fib + 1e-12)
    assert len(solver.points) > 0 and len(solver.alpha) > model.n_actions  # both bounds did move


def test_horizon_bounds_bracket_the_exact_finite_horizon_optimum(tiger):
    """The episode's quantity: a few steps (a large truncation term) and the env's 251."""
    for model, horizon in ((tiger, 10), (episode_model("cheese"), 251), (episode_model("cheese", "reset"), 7)):
        exact = ReachableBeliefs(model).values(horizon)[0]
        bounds, _ = solve_bounds(model, tol=1e-7)
        lower, upper = bounds.over(horizon, model.gamma)
        assert lower - 1e-9 <= exact <= upper + 1e-9
        finite_lower, finite_upper = finite_horizon_bounds(model, horizon)
        assert finite_lower - 1e-9 <= exact <= finite_upper + 1e-9


def test_undiscounted_model_gets_finite_horizon_bounds(tiger):
    """gamma = 1: no infinite-horizon value, but the episode of max_steps steps is bounded."""
    undiscounted = POMDPModel(tiger.T, tiger.O, tiger.reward, tiger.b0, 1.0)
    exact = ReachableBeliefs(undiscounted).values(5)[0]
    ref = gym.make(ID, layout=undiscounted, max_steps=5).unwrapped.reference()  # type: ignore[attr-defined]
    assert ref.kind == "bounds" and ref.gamma == 1.0
    assert ref.lower <= exact <= ref.upper
    with pytest.raises(ValueError, match="gamma < 1"):
        HSVI(undiscounted)


def test_fib_lies_between_the_optimum_and_qmdp():
    """V* <= FIB <= QMDP (Hauskrecht 2000): FIB keeps the observation model, QMDP drops it."""
    from baselines.belief import mdp_action_values

    for layout in ("4x3", "hallway"):
        model = episode_model(layout)
        fib = (model.b0 @ fast_informed_bound(model)).max()
        qmdp = (model.b0 @ mdp_action_values(model)).max()
        lower = (blind_policy_alphas(model) @ model.b0).max()
        assert lower < fib <= qmdp + 1e-12


# -- the random policy ------------------------------------------------------------------------


def test_random_policy_value_is_exact():
    model = episode_model("4x3")
    exact = random_policy_value(model, 251)
    assert random_policy_value(model, 2000) == pytest.approx(random_policy_value(model), abs=1e-12)
    env = gym.make(ID, layout="4x3")
    returns = discounted_rollouts(UniformRandom(env, seed=0), env, 20_000, seed=3)["returns"]
    se = returns.std(ddof=1) / np.sqrt(len(returns))
    assert abs(returns.mean() - exact) < 4 * se
    one_step = random_policy_value(model, 1)
    assert one_step == pytest.approx(model.b0 @ model.R.mean(axis=1))


# -- the stored bounds -------------------------------------------------------------------------

STORED = json.loads(po_maze.REFERENCE_FILE.read_text())["entries"]


def test_every_named_layout_has_stored_bounds():
    assert sorted((e["layout"], e["goal_mode"]) for e in STORED) == sorted(
        (layout, mode) for layout in CLASSIC for mode in ("terminate", "reset")
    )


@pytest.mark.parametrize("entry", STORED, ids=lambda e: f"{e['layout']}-{e['goal_mode']}")
def test_stored_bounds_match_the_model(entry):
    """A changed model (another probability, reward, start or goal rule) changes the fingerprint,
    and the stored numbers no longer apply: regenerate them with
    ``OMP_NUM_THREADS=1 python benchmarks/bench_po_maze_reference.py --write``.  Their cheap part
    (FIB at b0, the corner and blind-policy extremes) is recomputed here."""
    model = episode_model(entry["layout"], entry["goal_mode"])
    assert model_fingerprint(model) == entry["fingerprint"], "the model changed since its bounds were computed"
    stored = ValueBounds(**entry["bounds"])
    Q = fast_informed_bound(model)
    assert (model.b0 @ Q).max() == pytest.approx(stored.fib, rel=1e-9)
    assert Q.max(axis=1).max() == pytest.approx(stored.corner_max, rel=1e-9)
    assert blind_policy_alphas(model).min(axis=1).max() == pytest.approx(stored.lower_min, rel=1e-9, abs=1e-12)
    assert stored.lower <= stored.upper <= stored.fib + 1e-12
    policy = entry["policy"]
    if policy is not None:  # a measured policy cannot beat the optimum (beyond its interval)
        lower, upper = stored.over(policy["horizon"], model.gamma)
        assert lower - policy["half_width"] <= policy["mean"] <= upper + policy["half_width"]


def test_a_changed_model_is_not_given_the_stored_bounds():
    cheese = CLASSIC["cheese"]().model
    T = cheese.T.copy()
    T[0, 1] = 0.9 * T[0, 1] + 0.1 * np.eye(cheese.n_states)[2]  # north from cell 1 sometimes slips east
    changed = POMDPModel(T, cheese.O, cheese.reward, cheese.b0, cheese.gamma)
    assert model_fingerprint(changed) != model_fingerprint(cheese)
    ref = gym.make(ID, layout=changed).unwrapped.reference()  # type: ignore[attr-defined]
    assert "on demand" in ref.method
    assert ref.value != pytest.approx(gym.make(ID, layout="cheese").unwrapped.reference().value, abs=1e-4)  # type: ignore[attr-defined]


# -- the record ----------------------------------------------------------------------------------


@pytest.mark.parametrize("goal_mode", ["terminate", "reset"])
@pytest.mark.parametrize("layout", sorted(CLASSIC))
def test_reference_record(layout, goal_mode):
    env = gym.make(ID, layout=layout, goal_mode=goal_mode)
    maze = env.unwrapped
    ref = maze.reference()  # type: ignore[attr-defined]
    assert isinstance(ref, Reference) and ref.gamma == 0.95 and "251 steps" in ref.quantity
    assert ref.random == ref.random_lower == ref.random_upper == random_policy_value(maze.episode_model, 251)  # type: ignore[attr-defined]
    assert ref.random < ref.lower <= ref.value <= ref.upper <= maze.mdp_upper_bound()  # type: ignore[attr-defined]
    assert "precomputed" in ref.method
    venv = gym.make_vec(ID, num_envs=2, vectorization_mode="vector_entry_point", layout=layout, goal_mode=goal_mode)
    assert venv.unwrapped.reference() == ref  # type: ignore[attr-defined]
    if layout in ("cheese", "4x3") and goal_mode == "terminate":
        assert ref.kind == "exact"


def test_cheese_reference_is_the_exact_episode_optimum():
    for goal_mode in ("terminate", "reset"):
        ref = gym.make(ID, layout="cheese", goal_mode=goal_mode).unwrapped.reference()  # type: ignore[attr-defined]
        exact = ReachableBeliefs(episode_model("cheese", goal_mode)).values(251)[0]
        assert ref.kind == "exact" and ref.value == pytest.approx(exact, abs=5e-6)


# Published and independently reproduced scores (docs/pomdp-mazes.md §4): average discounted reward
# from b0 over 251 steps, stopping at the goal unless "reset".  A policy's score cannot exceed the
# optimum beyond its Monte Carlo error (taken as 0.01 where the source gives none); an optimum
# reported to a few decimals must fall in the interval up to that rounding.
POLICY_SCORES = [
    ("hallway", "terminate", 0.261, 0.01),  # QMDP, Pineau, Gordon & Thrun 2003, Table 1
    ("hallway", "terminate", 0.53, 0.01),  # PBVI, same table
    ("hallway2", "terminate", 0.109, 0.01),  # QMDP, same table
    ("hallway2", "terminate", 0.35, 0.01),  # PBVI 0.34, Perseus ~0.35 (Spaan & Vlassis 2005)
    ("hallway", "terminate", 0.518, 0.004),  # SARSOP's policy, independent reproduction
    ("hallway2", "terminate", 0.348, 0.004),  # SARSOP's policy, independent reproduction
]
OPTIMA = [
    ("cheese", "terminate", 0.8242, 5e-5),  # SARSOP converged, independent reproduction
    ("4x3", "reset", 1.890, 5e-4),  # V*(b0) of Cassandra's 4x3.95 (SARSOP converged)
]


@pytest.mark.parametrize("layout, goal_mode, score, error", POLICY_SCORES)
def test_published_policy_scores_are_below_the_upper_bound(layout, goal_mode, score, error):
    ref = gym.make(ID, layout=layout, goal_mode=goal_mode).unwrapped.reference()  # type: ignore[attr-defined]
    assert score - error <= ref.upper


@pytest.mark.parametrize("layout, goal_mode, optimum, rounding", OPTIMA)
def test_published_optima_lie_in_the_interval(layout, goal_mode, optimum, rounding):
    ref = gym.make(ID, layout=layout, goal_mode=goal_mode).unwrapped.reference()  # type: ignore[attr-defined]
    assert ref.lower - rounding <= optimum <= ref.upper + rounding


def test_on_demand_reference_of_a_gridmaze_layout_is_cached():
    layout = "S..#\n.#..\n...G"
    ref = gym.make(ID, layout=layout).unwrapped.reference()  # type: ignore[attr-defined]
    assert "on demand" in ref.method and ref.random < ref.lower <= ref.value <= ref.upper
    key = model_fingerprint(gym.make(ID, layout=layout).unwrapped.episode_model)  # type: ignore[attr-defined]
    assert key in po_maze._ON_DEMAND_BOUNDS
    assert gym.make(ID, layout=layout).unwrapped.reference() == ref  # type: ignore[attr-defined]


def test_documented_table_is_what_reference_reports():
    """The env's docstring (its docs page) lists every named layout's record to 4 decimals."""
    rows = [line.split("|")[1:-1] for line in po_maze.PartiallyObservableMazeEnv.__doc__.splitlines()]
    table = {(r[0].strip(), r[1].strip()): [c.strip() for c in r[2:]] for r in rows if len(r) == 7}
    for layout in CLASSIC:
        for goal_mode in ("terminate", "reset"):
            ref = gym.make(ID, layout=layout, goal_mode=goal_mode).unwrapped.reference()  # type: ignore[attr-defined]
            kind, value, lower, upper, random = table[layout, goal_mode]
            assert kind == ref.kind and float(value) == round(ref.value, 4) and float(random) == round(ref.random, 4)
            if kind == "bounds":
                assert (float(lower), float(upper)) == (round(ref.lower, 4), round(ref.upper, 4))
