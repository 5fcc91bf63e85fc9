"""Hyperparameters for mazes larger than the book's (the agents' defaults suit book3x3).

On a 10x10 maze a uniformly random walk needs thousands of steps to find the goal, so
exploration must decay over a longer run and the actor-critic steps are larger.  No setting
was found for the two Monte Carlo policy-gradient agents (REINFORCE, the book's rule): they learn
only from episodes that reach the goal, which a random walk rarely does within the time limit.
Measured without a time limit (one seed, 800 000 steps): REINFORCE with walls masked in theta_0
and alpha_theta = 0.002 shortens its episodes from ~900 to ~120 steps (optimum 56) but its
greedy policy still loops; the book's rule has finished only 173 episodes, still thousands of
steps long, because its update is divided by the episode length T.
"""

LARGE_MAZE = {
    "QLearning": {"epsilon": (1.0, 0.05, 30_000)},
    # SARSA learns the values of the policy it follows: its greedy policy is reliably optimal
    # only once epsilon reaches 0 (measured on maze10x10 at 60 000 steps: 10/10 seeds with
    # epsilon -> 0 over 30 000 steps, 4/10 with epsilon -> 0.05 over 10 000).
    "Sarsa": {"epsilon": (1.0, 0.0, 30_000)},
    "SoftQLearning": {"epsilon": (1.0, 0.05, 30_000)},
    "ActorCritic": {"alpha_theta": 0.5, "alpha_w": 0.5},
}
