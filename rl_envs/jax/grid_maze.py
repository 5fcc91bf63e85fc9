"""The twin of :class:`rl_envs.maze.grid_maze.GridMazeTask`: a maze's move table, goal and costs
as params, and its exact solution, value iteration, as a jitted loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from ..maze.grid_maze import GridMazeTask
from ..maze.solve import PERPENDICULAR
from .core import Twin


@struct.dataclass
class GridMazeParams:
    max_steps_in_episode: int
    next_cell: jax.Array  # (cells, 4): the cell each move leads to
    goal: jax.Array  # (cells,) bool
    absorbing: jax.Array  # (cells,) bool: the goals and the cells the agent never occupies
    start_cell: jax.Array
    goal_reward: jax.Array
    move_cost: jax.Array
    slip: jax.Array


class GridMaze(Twin):
    """A move to ``next_cell[s, a]`` (with probability ``slip`` a perpendicular one), ``goal_reward``
    on reaching a goal, ``move_cost`` per move.  The state is the cell index."""

    task_type = GridMazeTask
    task: GridMazeTask

    def params_from_task(self) -> GridMazeParams:
        task, layout = self.task, self.task._layout
        return GridMazeParams(
            max_steps_in_episode=int(task.max_steps or 0),
            next_cell=self.integer(layout.next_cell),
            goal=jnp.asarray(layout.goal_mask),
            absorbing=jnp.asarray(task.model.terminal),
            start_cell=self.integer(layout.start_index),
            goal_reward=self.real(task.goal_reward),
            move_cost=self.real(task.move_cost),
            slip=self.real(task.slip),
        )

    def start(self, noise: None, params: GridMazeParams) -> jax.Array:
        return params.start_cell

    def sample_noise(self, key: jax.Array, params: GridMazeParams) -> dict[str, jax.Array]:
        """As the task's: whether the move slips, and to which perpendicular side (0 or 1)."""
        slip_key, side_key = jax.random.split(key)
        return {
            "slipped": jax.random.uniform(slip_key, (), self.dtype) < params.slip,
            "side": jax.random.randint(side_key, (), 0, 2, self.int_dtype),
        }

    def transition(
        self, state: jax.Array, action: jax.Array, noise: dict[str, jax.Array] | None, params: GridMazeParams
    ) -> tuple[jax.Array, jax.Array, jax.Array, dict]:
        if noise is not None:
            action = jnp.where(noise["slipped"], jnp.asarray(PERPENDICULAR)[action, noise["side"]], action)
        cell = params.next_cell[state, action]
        terminated = params.goal[cell]
        reward = jnp.where(terminated, params.goal_reward - params.move_cost, -params.move_cost)
        return cell, reward, terminated, {}

    def observe(self, state: jax.Array, params: GridMazeParams) -> jax.Array:
        return state


def maze_mdp(params: GridMazeParams) -> tuple[jax.Array, jax.Array]:
    """``(P[s, a, s2], R[s, a])`` of the maze, as :func:`rl_envs.maze.solve.maze_model` builds them:
    a move goes where it leads with probability ``1 − slip`` and to each perpendicular move's cell
    with ``slip / 2``; the absorbing cells stay, with reward 0."""
    cells = params.next_cell.shape[0]
    onehot = jax.nn.one_hot(params.next_cell, cells, dtype=params.slip.dtype)  # (s, a, s2)
    perpendicular = onehot[:, jnp.asarray(PERPENDICULAR)].sum(axis=2)  # (s, a, s2): both slip targets
    P = (1.0 - params.slip) * onehot + params.slip / 2 * perpendicular
    R = P @ (params.goal_reward * params.goal) - params.move_cost
    stay = jnp.broadcast_to(jnp.eye(cells, dtype=P.dtype)[:, None, :], P.shape)
    P = jnp.where(params.absorbing[:, None, None], stay, P)
    R = jnp.where(params.absorbing[:, None], 0.0, R)
    return P, R


def value_iteration(
    params: GridMazeParams, gamma: float | jax.Array = 1.0, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(V*, Q*, iterations)`` by value iteration (Bellman 1957; Sutton & Barto 2018, §4.4), the
    iteration :func:`rl_envs.maze.solve.value_iteration` runs, in one ``lax.while_loop``:
    ``Q = R + γ P V``, 0 at the absorbing cells, ``V = max_a Q``, until ``max |ΔV| < tol`` (use a
    ``tol`` above float32's resolution, such as 1e-6, in float32).  ``iterations == max_iter``
    means it did not converge."""
    P, R = maze_mdp(params)

    def backup(V):
        Q = R + gamma * P @ V
        return jnp.where(params.absorbing[:, None], 0.0, Q)

    def not_done(carry):
        _, change, i = carry
        return (change >= tol) & (i < max_iter)

    def sweep(carry):
        V, _, i = carry
        V_new = backup(V).max(axis=1)
        return V_new, jnp.max(jnp.abs(V_new - V)), i + 1

    V0 = jnp.zeros(P.shape[0], P.dtype)
    V, _, iterations = jax.lax.while_loop(not_done, sweep, (V0, jnp.asarray(jnp.inf, P.dtype), jnp.asarray(0)))
    return V, backup(V), iterations
