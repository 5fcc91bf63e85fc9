"""PPO compiled together with a JAX twin (rl_envs.jax): the whole training run, environment steps
included, is one ``jax.jit`` program, and ``jax.vmap`` runs many seeds of it at once.

Proximal policy optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms",
arXiv:1707.06347) in the single-file style of PureJaxRL (Lu et al. 2022, "Discovered Policy
Optimisation", NeurIPS) and CleanRL: ``num_envs`` environments step ``num_steps`` times, the
advantages are GAE(λ) (Schulman et al. 2016, "High-Dimensional Continuous Control Using
Generalized Advantage Estimation", eq. 16), and ``update_epochs`` passes over ``num_minibatches``
minibatches minimize the clipped surrogate (Schulman et al. 2017, eq. 7) plus ``vf_coef`` times
the clipped value loss minus ``ent_coef`` times the entropy.  A ``Discrete`` action space gets a
categorical policy, a ``Box`` one a Gaussian with a state-independent log standard deviation.
As in PureJaxRL, an episode that ends by truncation is not bootstrapped (gymnax's step returns
the next episode's first observation in place of the last one).

```python
import jax
import rl_envs.jax
from baselines.jax_ppo import PPOConfig, make_train

env, params = rl_envs.jax.make("GridMaze-v0", layout="dyna_maze")
train = make_train(env, params, PPOConfig(total_timesteps=20_000))
out = jax.jit(jax.vmap(train))(jax.random.split(jax.random.key(0), 16))  # 16 seeds at once
```
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from gymnax.environments import spaces
from gymnax.wrappers.purerl import LogWrapper

from rl_envs.jax.wrappers import for_networks


@dataclass(frozen=True)
class PPOConfig:
    """PPO's hyperparameters, named as in PureJaxRL; ``total_timesteps`` counts the steps of all
    ``num_envs`` environments of one seed."""

    total_timesteps: int = 100_000
    num_envs: int = 16
    num_steps: int = 128
    update_epochs: int = 4
    num_minibatches: int = 4
    lr: float = 3e-4
    anneal_lr: bool = True
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: int = 64
    #: the Gaussian policy's initial log standard deviation (in the ``[-1, 1]`` action units)
    init_log_std: float = 0.0
    #: rewards are multiplied by this in the losses (the returns reported are the env's own)
    reward_scale: float = 1.0

    @property
    def num_updates(self) -> int:
        return self.total_timesteps // (self.num_envs * self.num_steps)

    def __post_init__(self):
        batch = self.num_envs * self.num_steps
        if self.num_updates < 1:
            raise ValueError(
                f"total_timesteps must be at least num_envs * num_steps = {batch}, got {self.total_timesteps}"
            )
        if batch % self.num_minibatches:
            raise ValueError(
                f"num_envs * num_steps = {batch} must be a multiple of num_minibatches = {self.num_minibatches}"
            )


class ActorCritic(nn.Module):
    """Separate two-layer tanh MLPs for the policy and the value (PureJaxRL's, orthogonal init)."""

    action_dim: int
    continuous: bool
    hidden: int = 64
    init_log_std: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(logits or mean, log_std, value)``; ``log_std`` is unused by a categorical policy."""

        def mlp(out: int, scale: float) -> jax.Array:
            h = x
            for _ in range(2):
                h = nn.tanh(nn.Dense(self.hidden, kernel_init=nn.initializers.orthogonal(math.sqrt(2)))(h))
            return nn.Dense(out, kernel_init=nn.initializers.orthogonal(scale))(h)

        head = mlp(self.action_dim, 0.01)
        log_std = self.param("log_std", nn.initializers.constant(self.init_log_std), (self.action_dim,))
        value = mlp(1, 1.0)[..., 0]
        return head, log_std, value


def log_prob_and_entropy(head: jax.Array, log_std: jax.Array, action: jax.Array, continuous: bool):
    """``(log π(a|s), H(π(·|s)))`` of a categorical (``head`` the logits) or a diagonal Gaussian
    (``head`` the mean) policy."""
    if continuous:
        z = (action - head) / jnp.exp(log_std)
        log_prob = jnp.sum(-0.5 * z**2 - log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)
        entropy = jnp.sum(log_std + 0.5 * jnp.log(2 * jnp.pi * jnp.e)) * jnp.ones(head.shape[:-1])
        return log_prob, entropy
    logp = jax.nn.log_softmax(head)
    log_prob = jnp.take_along_axis(logp, action[..., None].astype(jnp.int32), axis=-1)[..., 0]
    return log_prob, -jnp.sum(jnp.exp(logp) * logp, axis=-1)


def sample_action(key: jax.Array, head: jax.Array, log_std: jax.Array, continuous: bool) -> jax.Array:
    if continuous:
        return head + jnp.exp(log_std) * jax.random.normal(key, head.shape)
    return jax.random.categorical(key, head)


def greedy_action(head: jax.Array, continuous: bool) -> jax.Array:
    """The policy's mean (Gaussian) or most probable action (categorical)."""
    return head if continuous else jnp.argmax(head, axis=-1)


class Transition(NamedTuple):
    done: jax.Array
    action: jax.Array
    value: jax.Array
    reward: jax.Array
    log_prob: jax.Array
    obs: jax.Array
    info: dict


def policy_for(env: Any, params: Any, config: PPOConfig) -> tuple[Any, ActorCritic, bool]:
    """The env as the network sees it (:func:`rl_envs.jax.wrappers.for_networks`), the network,
    and whether the actions are continuous."""
    env = for_networks(env)
    space = env.action_space(params)
    continuous = isinstance(space, spaces.Box)
    action_dim = int(math.prod(space.shape)) if continuous else int(space.n)
    return env, ActorCritic(action_dim, continuous, config.hidden, config.init_log_std), continuous


def network_function(network: ActorCritic) -> Callable[[Any, jax.Array], tuple[jax.Array, jax.Array, jax.Array]]:
    """``network.apply`` typed as what this network returns (flax types it for any module)."""
    return cast(Callable[[Any, jax.Array], tuple[jax.Array, jax.Array, jax.Array]], network.apply)


def make_train(env: Any, env_params: Any, config: PPOConfig) -> Callable[[jax.Array], dict[str, Any]]:
    """``train(key) -> {"params", "metrics"}``: one seed's whole run, a pure function to ``jax.jit``
    (and ``jax.vmap`` over keys).  ``metrics["returned_episode_returns"]`` (updates, num_steps,
    num_envs) holds the return of the last episode each env finished (``returned_episode``
    marks the steps that ended one)."""
    env, network, continuous = policy_for(env, env_params, config)
    forward = network_function(network)
    env = LogWrapper(env)
    batch_size = config.num_envs * config.num_steps
    minibatch_size = batch_size // config.num_minibatches

    def schedule(count):
        done = count // (config.num_minibatches * config.update_epochs)
        return config.lr * (1.0 - done / config.num_updates)

    def train(key: jax.Array) -> dict[str, Any]:
        key, init_key, reset_key = jax.random.split(key, 3)
        obs_shape = env.observation_space(env_params).shape
        net_params = network.init(init_key, jnp.zeros(obs_shape))
        tx = optax.chain(
            optax.clip_by_global_norm(config.max_grad_norm),
            optax.adam(schedule if config.anneal_lr else config.lr, eps=1e-5),
        )
        opt_state = tx.init(net_params)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(
            jax.random.split(reset_key, config.num_envs), env_params
        )

        def env_step(carry, _):
            net_params, env_state, obs, key = carry
            key, act_key, step_key = jax.random.split(key, 3)
            head, log_std, value = forward(net_params, obs)
            action = sample_action(act_key, head, log_std, continuous)
            log_prob, _ = log_prob_and_entropy(head, log_std, action, continuous)
            next_obs, env_state, reward, done, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(step_key, config.num_envs), env_state, action, env_params
            )
            return (net_params, env_state, next_obs, key), Transition(done, action, value, reward, log_prob, obs, info)

        def gae(traj: Transition, last_value: jax.Array) -> tuple[jax.Array, jax.Array]:
            """GAE(λ): A_t = δ_t + γλ(1 − d_t) A_{t+1}, δ_t = r_t + γ(1 − d_t) V(s_{t+1}) − V(s_t)."""

            def back(carry, t: Transition):
                advantage, next_value = carry
                reward = t.reward * config.reward_scale
                delta = reward + config.gamma * next_value * (1 - t.done) - t.value
                advantage = delta + config.gamma * config.gae_lambda * (1 - t.done) * advantage
                return (advantage, t.value), advantage

            _, advantages = jax.lax.scan(back, (jnp.zeros_like(last_value), last_value), traj, reverse=True)
            return advantages, advantages + traj.value

        def loss_fn(net_params, batch: Transition, advantages, targets):
            head, log_std, value = forward(net_params, batch.obs)
            log_prob, entropy = log_prob_and_entropy(head, log_std, batch.action, continuous)
            # the value loss clipped around the old values, as PureJaxRL and the PPO2 baseline do
            value_clipped = batch.value + jnp.clip(value - batch.value, -config.clip_eps, config.clip_eps)
            value_loss = 0.5 * jnp.maximum((value - targets) ** 2, (value_clipped - targets) ** 2).mean()
            ratio = jnp.exp(log_prob - batch.log_prob)
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
            surrogate = jnp.minimum(
                ratio * advantages, jnp.clip(ratio, 1 - config.clip_eps, 1 + config.clip_eps) * advantages
            )
            return -surrogate.mean() + config.vf_coef * value_loss - config.ent_coef * entropy.mean()

        def update(carry, _):
            net_params, opt_state, env_state, obs, key = carry
            (net_params, env_state, obs, key), traj = jax.lax.scan(
                env_step, (net_params, env_state, obs, key), None, config.num_steps
            )
            _, _, last_value = forward(net_params, obs)
            advantages, targets = gae(traj, last_value)

            def epoch(carry, _):
                net_params, opt_state, key = carry
                key, perm_key = jax.random.split(key)
                permutation = jax.random.permutation(perm_key, batch_size)
                data = jax.tree.map(
                    lambda x: x.reshape((batch_size, *x.shape[2:]))[permutation].reshape(
                        (config.num_minibatches, minibatch_size, *x.shape[2:])
                    ),
                    (traj._replace(info={}), advantages, targets),
                )

                def minibatch(carry, mb):
                    net_params, opt_state = carry
                    grads = jax.grad(loss_fn)(net_params, *mb)
                    updates, opt_state = tx.update(grads, opt_state)
                    return (optax.apply_updates(net_params, updates), opt_state), None

                (net_params, opt_state), _ = jax.lax.scan(minibatch, (net_params, opt_state), data)
                return (net_params, opt_state, key), None

            (net_params, opt_state, key), _ = jax.lax.scan(
                epoch, (net_params, opt_state, key), None, config.update_epochs
            )
            metrics = {k: traj.info[k] for k in ("returned_episode_returns", "returned_episode")}
            return (net_params, opt_state, env_state, obs, key), metrics

        (net_params, *_), metrics = jax.lax.scan(
            update, (net_params, opt_state, env_state, obs, key), None, config.num_updates
        )
        return {"params": net_params, "metrics": metrics}

    return train


def evaluate(
    env: Any, env_params: Any, config: PPOConfig, net_params: Any, key: jax.Array, episodes: int = 16
) -> jax.Array:
    """The mean return of ``episodes`` whole episodes of the greedy policy (the Gaussian's mean, the
    most probable action), each run to its end or to ``max_steps_in_episode`` (a pure function)."""
    wrapped, network, continuous = policy_for(env, env_params, config)
    forward = network_function(network)
    horizon = int(env.task.max_steps)

    def episode(key):
        obs, state = wrapped.reset(key, env_params)

        def step(carry, key):
            obs, state, total, running = carry
            head, _, _ = forward(net_params, obs)
            obs, state, reward, done, _ = wrapped.step(key, state, greedy_action(head, continuous), env_params)
            return (obs, state, total + running * reward, running & ~done), None

        (_, _, total, _), _ = jax.lax.scan(
            step, (obs, state, jnp.zeros(()), jnp.ones((), dtype=bool)), jax.random.split(key, horizon)
        )
        return total

    return jax.vmap(episode)(jax.random.split(key, episodes)).mean()


__all__ = ["ActorCritic", "PPOConfig", "evaluate", "make_train"]
