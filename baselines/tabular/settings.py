"""Hyperparameters for mazes larger than the book's (the agents' defaults suit book3x3).

On a 10x10 maze a uniformly random walk needs hundreds (rooms10x10: 866 on average) to thousands
(the perfect maze maze10x10: 9360) of steps to find the goal, so exploration must decay over a
longer run and the actor-critic steps are larger.

The two Monte Carlo policy-gradient agents learn only from episodes that reach the goal.  On
maze10x10 the 2500-step limit cuts almost every episode of the uniform policy, so they train
without a time limit (``TRAIN_MAX_STEPS``; the greedy policy is still scored on the env with its
limit).  REINFORCE's first returns there are about -0.01 x 4600 (a walk over open moves) and a
visited state sees hundreds of visits per episode, while the last episodes take about 60 steps,
so no fixed step suits the whole run: with the plain step alpha_theta = 1e-3 a path state
settles on a wrong move and the greedy policy loops, 3e-3 collapses into a loop within three
episodes, and 3e-4 reached the optimum in only 2 of 10 seeds within 1M steps.  RMSprop's
normalised step (``normalize=True``) moves every preference by about alpha_theta per episode
whatever the episode's length.
"""

from rl_envs.maze import get_layout

LARGE_MAZE = {
    "QLearning": {"epsilon": (1.0, 0.05, 30_000)},
    # SARSA learns the values of the policy it follows: its greedy policy is reliably optimal
    # only once epsilon reaches 0 (measured on maze10x10 at 60 000 steps: 10/10 seeds with
    # epsilon -> 0 over 30 000 steps, 4/10 with epsilon -> 0.05 over 10 000).
    "Sarsa": {"epsilon": (1.0, 0.0, 30_000)},
    "SoftQLearning": {"epsilon": (1.0, 0.05, 30_000)},
    "ActorCritic": {"alpha_theta": 0.5, "alpha_w": 0.5},
    # Walls masked as in the book's theta_0: the random walk over open moves finds the goal twice
    # as fast (4624 steps on maze10x10 instead of 9360).
    "Reinforce": {"alpha_theta": 0.03, "normalize": True, "mask_walls": True},
    # The book's rule moves theta by at most 2 eta per episode whatever the episode's length;
    # the book's eta = 0.1 left the policy near uniform after 1M steps (~200 episodes), eta = 1
    # still took ~1400-step episodes (seed 0, 1M steps).
    "SoftmaxPolicyGradient": {"eta": 10.0},
}

# Exceptions to LARGE_MAZE on one layout.
LAYOUT_OVERRIDES = {
    # The book's rule follows the gradient of E[1/T] (REINFORCE with the return 1/T), which the
    # shortest path maximises; but rooms10x10 has loops, and with eta = 10 the policy can
    # saturate on the first route it finds (2 of 10 seeds settled on a 20-move route, optimum
    # 18) before the other is compared: the softmax gradient vanishes as pi -> 1.  A smaller
    # step keeps both routes in play; on the loop-free maze10x10 it only slows learning down
    # (eta = 5 needs about 1.8M steps there instead of 1.4M).
    "rooms10x10": {"SoftmaxPolicyGradient": {"eta": 5.0}},
}


def large_maze_hyperparameters(name: str, layout: str | None = None) -> dict:
    """The arguments agent ``name`` takes on a maze larger than the book's: LARGE_MAZE with the
    layout's exceptions."""
    return {**LARGE_MAZE.get(name, {}), **(LAYOUT_OVERRIDES.get(layout, {}) if layout else {}).get(name, {})}


def training_setup(name: str, layout: str) -> tuple[dict, int | None]:
    """``(arguments, training episode limit)`` of agent ``name`` on a GridMaze layout (a name or
    a text): its own defaults and the env's limit on mazes no larger than the book's 3x3; on
    larger ones :func:`large_maze_hyperparameters` and ``TRAIN_MAX_STEPS``."""
    if get_layout(layout).n_cells <= 9:
        return {}, None
    return large_maze_hyperparameters(name, layout), TRAIN_MAX_STEPS.get(name)


# Environment steps per seed for the control checks (tests/test_tabular_agents.py and
# experiments/tabular.py): per layout, with larger budgets for the two agents that learn only from
# whole episodes (the first episodes on a 10x10 maze last thousands of steps).
BUDGET = {"book3x3": 3_000, "maze10x10": 60_000, "rooms10x10": 60_000}
EPISODIC_BUDGET = {
    "Reinforce": {"maze10x10": 300_000, "rooms10x10": 100_000},
    "SoftmaxPolicyGradient": {"maze10x10": 2_000_000, "rooms10x10": 400_000},
}


def budget(name: str, layout: str) -> int:
    """The stated step budget of agent ``name`` on a named layout (KeyError for other layouts)."""
    return EPISODIC_BUDGET.get(name, {}).get(layout, BUDGET[layout])


# Episode limit for training only: the Monte Carlo agents ignore cut episodes (no return).
TRAIN_MAX_STEPS = {"Reinforce": 10**7, "SoftmaxPolicyGradient": 10**7}
