"""Hyperparameters for mazes larger than the book's (the agents' defaults suit book3x3).

On a 10x10 maze a uniformly random walk needs hundreds (rooms10x10: 866 on average) to thousands
(the perfect maze maze10x10: 9360) of steps to find the goal, so exploration must decay over a
longer run and the actor-critic steps are larger.

The two Monte Carlo policy-gradient agents learn only from episodes that reach the goal.  On
maze10x10 the 2500-step limit cuts almost every episode of the uniform policy, so they train
without a time limit (``TRAIN_MAX_STEPS``; the greedy policy is still scored on the env with its
limit).  REINFORCE's return there is about -0.01 x 4600 (a walk over open moves), and a visited
state sees hundreds of visits per episode, so its step must be small: with alpha_theta = 1e-3
(seed 0, 1M steps) a path state's preference settles on a wrong move and the greedy policy loops;
with 3e-3 the policy collapses into a loop within three episodes.  With 3e-4 it reached the
optimum in only 2 of 10 seeds within 1M steps (at 700 000 and 750 000), so REINFORCE does not
meet the 9-of-10 bar on maze10x10; the book's rule (eta = 10) does (9 of 10, 550 000-950 000).
"""

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
    "Reinforce": {"alpha_theta": 3e-4, "mask_walls": True},
    # The book's rule moves theta by at most 2 eta per episode whatever the episode's length;
    # the book's eta = 0.1 left the policy near uniform after 1M steps (~200 episodes), eta = 1
    # still took ~1400-step episodes (seed 0, 1M steps).
    "SoftmaxPolicyGradient": {"eta": 10.0},
}

# Episode limit for training only: the Monte Carlo agents ignore cut episodes (no return).
TRAIN_MAX_STEPS = {"Reinforce": 10**7, "SoftmaxPolicyGradient": 10**7}
