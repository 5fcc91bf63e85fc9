"""Perseus (Spaan & Vlassis 2005): randomized point-based value iteration.

The value function is a set of alpha vectors, ``V(b) = max_k b . alpha_k``.  The point-based
backup of a belief ``b`` (Pineau, Gordon & Thrun 2003) is

    g_{a,o}^k(s) = sum_s' T[a, s, s'] O[a, s', o] alpha_k(s')
    alpha_{a,b} = R[:, a] + gamma sum_o argmax_{g_{a,o}^k} b . g_{a,o}^k
    backup(b)   = argmax_{alpha_{a,b}} b . alpha_{a,b}.

A Perseus stage backs up randomly chosen beliefs of a fixed set ``B`` (gathered by exploring the
model from ``b0``) until every belief in ``B`` has a value at least as high as before, so one
stage usually needs far fewer backups than ``|B|``.  Starting below the optimum (alpha_0 =
min R / (1 - gamma)), ``b0 . alpha`` stays a lower bound on ``V*(b0)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.maze.pomdp import POMDPModel, POMDPSampler, belief_update
from rl_envs.validation import integer

from ..agent_files import ArraySpec
from .base import BeliefAgent, first_max
from .qmdp import mdp_action_values


def projections(alpha: np.ndarray, T: np.ndarray, O: np.ndarray) -> np.ndarray:
    """``g[a, s, o, k] = sum_s' T[a, s, s'] O[a, s', o] alpha[k, s']``."""
    TO = T[:, :, :, None] * O[:, None, :, :]  # (A, S, S', O)
    return np.einsum("astz,kt->aszk", TO, alpha, optimize=True)


def point_backup(B: np.ndarray, g: np.ndarray, R: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Backed-up alpha vectors ``(n, S)`` and their actions ``(n,)`` for beliefs ``B (n, S)``."""
    scores = np.einsum("ns,asok->naok", B, g, optimize=True)
    best = scores.argmax(axis=3)  # (n, A, O): the best projected vector for each a, o
    A, _, Z, _ = g.shape
    a_idx = np.arange(A)[None, :, None]
    o_idx = np.arange(Z)[None, None, :]
    chosen = g[a_idx, :, o_idx, best]  # (n, A, O, S)
    alpha_ab = R.T[None] + gamma * chosen.sum(axis=2)  # (n, A, S)
    a_star = np.einsum("ns,nas->na", B, alpha_ab).argmax(axis=1)
    return alpha_ab[np.arange(len(B)), a_star], a_star


def explore_beliefs(
    model: POMDPModel,
    n_beliefs: int,
    rng: np.random.Generator,
    policy: Callable[[np.ndarray], np.ndarray] | None = None,
    walkers: int = 64,
) -> np.ndarray:
    """Up to ``n_beliefs`` distinct beliefs reached from ``b0`` by ``walkers`` parallel runs of
    ``policy(beliefs)`` (uniformly random actions by default), restarting at ``b0`` whenever a
    run enters an absorbing state (a goal of a terminating episode)."""
    sampler = POMDPSampler(model)
    absorbing = np.all(model.T[:, np.arange(model.n_states), np.arange(model.n_states)] == 1.0, axis=0)
    s = sampler.start(rng, walkers)
    b = np.tile(model.b0, (walkers, 1))
    found = [model.b0]
    seen = {model.b0.round(10).tobytes()}
    # A small deterministic maze has fewer reachable beliefs than asked for: stop after long enough.
    for _ in range(50 * n_beliefs // walkers + 100):
        if len(found) >= n_beliefs:
            break
        a = rng.integers(model.n_actions, size=walkers) if policy is None else policy(b)
        s, o, _ = sampler.step(s, a, rng)
        b = belief_update(b, a, o, model.T, model.O)
        for row in b:
            key = row.round(10).tobytes()
            if key not in seen:
                seen.add(key)
                found.append(row)
        stop = absorbing[s]
        s[stop] = sampler.start(rng, int(stop.sum()))
        b[stop] = model.b0
    return np.array(found[:n_beliefs])


class Perseus(BeliefAgent):
    """Point-based value iteration on a belief set of ``n_beliefs`` points.

    Arguments: ``n_beliefs`` (size of the belief set), ``explore`` (``"random"`` actions or
    ``"qmdp"``: epsilon-greedy QMDP actions, which reach the beliefs a good policy visits),
    ``max_stages``, ``tol`` (stop when no belief's value rises by more than ``tol`` in a stage),
    ``time_limit`` (seconds, checked after every batch of backups, so a stage can stop half-way),
    ``batch`` (beliefs backed up together), ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        n_beliefs: int = 2000,
        explore: str = "qmdp",
        max_stages: int = 1000,
        tol: float = 1e-4,
        time_limit: float | None = None,
        batch: int = 16,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            seed=seed,
            n_beliefs=n_beliefs,
            explore=explore,
            max_stages=max_stages,
            tol=tol,
            time_limit=time_limit,
            batch=batch,
        )
        if explore not in ("random", "qmdp"):
            raise ValueError(f"explore must be 'random' or 'qmdp', got {explore!r}")
        self.n_beliefs, self.explore = integer(n_beliefs, "n_beliefs"), explore
        self.max_stages, self.batch = integer(max_stages, "max_stages"), integer(batch, "batch")
        self.tol, self.time_limit = float(tol), time_limit
        self.stats: dict = {}

    def _array_specs(self):
        specs = super()._array_specs()
        return {
            **specs,
            "alpha": ArraySpec(("K", specs["T"].shape[1])),
            "alpha_action": ArraySpec(("K",), integer=True, low=0, high=int(self.action_space.n) - 1),
        }

    def _exploration_policy(self, m):
        if self.explore == "random":
            return None
        Q = mdp_action_values(m)
        rng, n_actions = self.rng, m.n_actions

        def epsilon_greedy(b):
            greedy = first_max(b @ Q)
            return np.where(rng.random(len(b)) < 0.5, rng.integers(n_actions, size=len(b)), greedy)

        return epsilon_greedy

    def _plan(self) -> None:
        m = self._pomdp()
        start = time.perf_counter()
        B = explore_beliefs(m, self.n_beliefs, self.rng, self._exploration_policy(m))
        self.alpha = np.full((1, m.n_states), m.R.min() / (1.0 - m.gamma))
        self.alpha_action = np.zeros(1, dtype=np.int64)
        value = (B @ self.alpha.T).max(axis=1)
        stage, timed_out = 0, False
        for stage in range(1, self.max_stages + 1):  # noqa: B007 - the stages done, read after the loop
            g = projections(self.alpha, m.T, m.O)
            new_alpha, new_action = [], []
            new_value = np.full(len(B), -np.inf)
            todo = np.arange(len(B))
            while todo.size:
                pick = self.rng.choice(todo, size=min(self.batch, todo.size), replace=False)
                alpha, action = point_backup(B[pick], g, m.R, m.gamma)
                better = np.einsum("ns,ns->n", B[pick], alpha) >= value[pick]
                # A backup that does not improve its belief keeps the old best vector there.
                old = (B[pick[~better]] @ self.alpha.T).argmax(axis=1)
                alpha = np.concatenate([alpha[better], self.alpha[old]])
                action = np.concatenate([action[better], self.alpha_action[old]])
                new_alpha.append(alpha)
                new_action.append(action)
                new_value = np.maximum(new_value, (B @ alpha.T).max(axis=1))
                # Within rounding counts as done: a kept vector's value, recomputed from a
                # matrix of another shape, can come out an ulp lower, and would stay to do forever.
                todo = np.flatnonzero(new_value < value - 1e-12 * np.maximum(1.0, np.abs(value)))
                timed_out = self.time_limit is not None and time.perf_counter() - start > self.time_limit
                if timed_out and todo.size:
                    # The last stage's vectors still bound the beliefs not yet backed up, so
                    # the value stays a lower bound everywhere when the stage stops half-way.
                    new_alpha.append(self.alpha)
                    new_action.append(self.alpha_action)
                    new_value = np.maximum(new_value, value)
                    break
            stacked = np.concatenate(new_alpha)
            _, first = np.unique(stacked, axis=0, return_index=True)
            self.alpha, self.alpha_action = stacked[first], np.concatenate(new_action)[first]
            gain = np.max(new_value - value)
            value = new_value
            if gain < self.tol or timed_out:
                break
        self.stats = {
            "stages": stage,
            "timed_out": timed_out,
            "n_alpha": len(self.alpha),
            "n_beliefs": len(B),
            "value_b0": self.value(m.b0),
            "seconds": time.perf_counter() - start,
        }

    def value(self, belief: ArrayLike) -> float:
        """``max_k b . alpha_k``: the planned value (a lower bound on ``V*(b)``)."""
        return float(np.max(self.alpha @ np.asarray(belief)))

    def _belief_policy(self, beliefs):
        return self.alpha_action[first_max(beliefs @ self.alpha.T)]
