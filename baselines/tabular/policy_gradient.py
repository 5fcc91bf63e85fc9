"""Policy-gradient agents with a tabular softmax policy pi(a|s) ∝ exp(theta[s, a] / tau).

The score of the softmax policy is d log pi(a|s) / d theta[s, b] = (1[a = b] - pi(b|s)) / tau,
so the policy-gradient theorem (Sutton et al. 2000)

    grad J = E[ sum_t gamma^t (G_t - b(s_t)) grad log pi(a_t|s_t) ]

turns into sums of counts over an episode.  Three agents use it:

* :class:`SoftmaxPolicyGradient` -- the book's rule (Ogawa 2018, §2.3; derived in docs/references.md):
  Delta theta(s, a) = (N(s, a) - pi(a|s) N(s)) / T,  theta <- theta + eta Delta theta,
  stopping when sum |pi_new - pi| < 1e-4.  It is REINFORCE with the return 1 of reaching the
  goal, divided by the episode length T.
* :class:`Reinforce` -- Williams (1992), with an optional learned state-value baseline.
* :class:`ActorCritic` -- the one-step actor-critic: the TD error of a TD(0) critic w replaces
  G_t - b(s_t).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.maze.solve import MDPModel
from rl_envs.validation import positive

from ..agent_files import ArraySpec
from ..rmsprop import decay_rate, rms_normalized
from .base import SoftmaxPolicyAgent, check_step_size, discounted_returns, softmax_row
from .exact import blocked_moves


def model_blocked_moves(agent: SoftmaxPolicyAgent) -> np.ndarray | None:
    """``blocked_moves`` of ``env.unwrapped.model`` when the observations are its states, else None
    (in a partially observable maze an observation does not tell which moves are walled)."""
    model = getattr(agent.env.unwrapped, "model", None)
    if isinstance(model, MDPModel) and model.n_states == agent.n_states:
        return blocked_moves(model)
    return None


def reinforce_gradient(
    pi: np.ndarray, states: np.ndarray, actions: np.ndarray, weights: np.ndarray, temperature: float = 1.0
) -> np.ndarray:
    """``sum_t weights_t grad_theta log pi(a_t|s_t)`` for a softmax policy table ``pi``."""
    g = np.zeros_like(pi)
    np.add.at(g, (states, actions), weights)
    np.add.at(g, states, -weights[:, None] * pi[states])
    return g / temperature


def book_delta_theta(pi: np.ndarray, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """The book's Delta theta(s, a) = (N(s, a) - pi(a|s) N(s)) / T for one episode."""
    N_sa = np.zeros_like(pi)
    np.add.at(N_sa, (states, actions), 1.0)
    N_s = N_sa.sum(axis=1, keepdims=True)
    return (N_sa - pi * N_s) / len(states)


def actor_critic_update(
    theta: np.ndarray,
    w: np.ndarray,
    s: int,
    a: int,
    r: float,
    s2: int,
    terminated: bool,
    alpha_theta: float,
    alpha_w: float,
    gamma: float,
    I: float,
    temperature: float,
) -> float:
    """One step of the one-step actor-critic, in place; returns the TD error delta.

    delta = r + gamma w(s') - w(s);  w(s) += alpha_w delta;
    theta(s, .) += alpha_theta I delta grad log pi(a|s), with I = gamma^t.
    """
    delta = r + (0.0 if terminated else gamma * w[s2]) - w[s]
    w[s] += alpha_w * delta
    score = -np.array(softmax_row(theta[s], temperature))
    score[a] += 1.0
    theta[s] += alpha_theta * I * delta * score / temperature
    return delta


class SoftmaxPolicyGradient(SoftmaxPolicyAgent):
    """The book's tabular policy gradient (Ogawa 2018, §2.3; derivation in docs/references.md).

    Arguments: ``eta`` (0.1) learning rate, ``stop_epsilon`` (1e-4) the stopping test on
    sum |pi_new - pi| after an episode's update, ``theta0`` (default: 1 for every open move and
    NaN for moves into a wall, read from ``env.unwrapped.model`` when it is an MDP over the
    observations; on the book's maze this is the book's theta_0; otherwise zeros), ``temperature`` (1 = the book's beta), ``seed``.

    The rule gives every episode that reaches the goal the return 1 (the book's z_T); a
    truncated episode (time limit) has no return and changes nothing.  ``learn`` stops at
    the stopping test and sets ``converged``; the book runs episodes without a step limit
    (make the env with a large ``max_steps``).
    """

    def __init__(
        self,
        env: gym.Env | str,
        eta: float = 0.1,
        stop_epsilon: float = 1e-4,
        theta0: ArrayLike | None = None,
        temperature: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(
            env, gamma=1.0, temperature=temperature, theta0=theta0, seed=seed, eta=eta, stop_epsilon=stop_epsilon
        )
        del self.hyperparameters["gamma"]  # the book's rule has no discount; not an argument here
        blocked = model_blocked_moves(self) if theta0 is None else None
        if blocked is not None:
            self.theta = np.where(blocked, np.nan, 1.0)
        self.eta = positive(eta, "eta")
        self.stop_epsilon = positive(stop_epsilon, "stop_epsilon")
        self.converged = False

    def _learn_episode(self, terminated):
        states, actions, _ = self._take_episode()
        if not terminated:
            return None
        pi = self.pi
        self.theta += self.eta * book_delta_theta(pi, states, actions) / self.temperature
        self.converged = float(np.abs(self.pi - pi).sum()) < self.stop_epsilon
        return self.converged


class Reinforce(SoftmaxPolicyAgent):
    """REINFORCE (Williams 1992) with a softmax policy, updated after every episode:

        g = sum_t gamma^t (G_t - b(s_t)) grad log pi(a_t|s_t),    theta <- theta + alpha_theta g

    with the gradient taken at the policy that generated the episode.  With ``baseline=True``
    b(s) = w(s), a state-value estimate learned by every-visit Monte Carlo
    (w(s_t) += alpha_w (G_t - w(s_t))); otherwise b = 0.  With ``normalize=True`` the step is
    RMSprop's, ``theta <- theta + alpha_theta g / sqrt(v)`` with ``v`` a running mean of ``g**2``
    (as :class:`~baselines.linear.LinearReinforce`'s): ``g`` still points up the policy gradient
    componentwise, but its size no longer grows with the episode's length.  That matters with a
    move cost: on a 10x10 maze the first episodes last thousands of steps, with returns near
    -46 and hundreds of visits per state, and the last ones about 60 steps, so no fixed
    ``alpha_theta`` suits both.

    Arguments: ``alpha_theta`` (0.1), ``baseline`` (True), ``alpha_w`` (0.1), ``gamma``,
    ``temperature`` tau (1), ``theta0`` (default zeros: the uniform policy), ``mask_walls``
    (False; True sets theta to NaN for moves into a wall, as the book's theta_0 does, read from
    ``env.unwrapped.model``, which must be an MDP over the observations), ``normalize`` (False),
    ``rms_decay`` rho (0.9), ``seed``.  An episode cut by the time limit is skipped, as in
    :class:`MonteCarlo`: its returns lack the rewards after the limit, and with a move cost
    they would only teach the policy to wander.
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha_theta: float = 0.1,
        baseline: bool = True,
        alpha_w: float = 0.1,
        gamma: float = 1.0,
        temperature: float = 1.0,
        theta0: ArrayLike | None = None,
        mask_walls: bool = False,
        normalize: bool = False,
        rms_decay: float = 0.9,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            gamma=gamma,
            temperature=temperature,
            theta0=theta0,
            seed=seed,
            alpha_theta=alpha_theta,
            baseline=baseline,
            alpha_w=alpha_w,
            normalize=normalize,
            rms_decay=rms_decay,
        )
        self.alpha_theta = positive(alpha_theta, "alpha_theta")
        self.alpha_w = check_step_size(alpha_w, "alpha_w")
        self.baseline = bool(baseline)
        self.normalize = bool(normalize)
        self.rms_decay = decay_rate(rms_decay, "rms_decay")
        if mask_walls:  # not a saved hyperparameter: the NaNs live in theta, which save() stores
            blocked = model_blocked_moves(self)
            if blocked is None:
                raise ValueError("mask_walls=True needs env.unwrapped.model, an MDP whose states are the observations")
            self.theta[blocked] = np.nan
        self.w = np.zeros(self.n_states)
        self.v = np.zeros_like(self.theta)  # RMSprop's running mean of g**2 (normalize=True)

    def _array_specs(self):
        # files from before the RMSprop step lack v
        return {
            **super()._array_specs(),
            "w": ArraySpec((self.n_states,)),
            "v": ArraySpec(self.theta.shape, low=0.0, optional=True),
        }

    def _learn_episode(self, terminated):
        states, actions, rewards = self._take_episode()
        if not terminated:
            return
        G = discounted_returns(rewards, self.gamma)
        b = self.w[states] if self.baseline else 0.0
        weights = self.gamma ** np.arange(len(G)) * (G - b)
        g = reinforce_gradient(self.pi, states, actions, weights, self.temperature)
        if self.normalize:
            g, self.v = rms_normalized(g, self.v, self.rms_decay)
        self.theta += self.alpha_theta * g
        if self.baseline:
            for s, G_t in zip(states, G):
                self.w[s] += self.alpha_w * (G_t - self.w[s])


class ActorCritic(SoftmaxPolicyAgent):
    """One-step actor-critic: a softmax actor theta and a TD(0) critic w (Sutton & Barto §13.5).

    Arguments: ``alpha_theta`` (0.1) actor step, ``alpha_w`` (0.1) critic step, ``gamma``,
    ``temperature`` tau (1), ``theta0`` (default zeros), ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha_theta: float = 0.1,
        alpha_w: float = 0.1,
        gamma: float = 1.0,
        temperature: float = 1.0,
        theta0: ArrayLike | None = None,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            gamma=gamma,
            temperature=temperature,
            theta0=theta0,
            seed=seed,
            alpha_theta=alpha_theta,
            alpha_w=alpha_w,
        )
        self.alpha_theta = positive(alpha_theta, "alpha_theta")
        self.alpha_w = check_step_size(alpha_w, "alpha_w")
        self.w = np.zeros(self.n_states)
        self._I = 1.0

    def _array_specs(self):
        return {**super()._array_specs(), "w": ArraySpec((self.n_states,))}

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, a = memo
        actor_critic_update(
            self.theta,
            self.w,
            s,
            a,
            r,
            s2,
            terminated,
            self.alpha_theta,
            self.alpha_w,
            self.gamma,
            self._I,
            self.temperature,
        )
        self._I = 1.0 if terminated or truncated else self._I * self.gamma
