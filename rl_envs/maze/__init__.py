"""Grid mazes: layouts, the fully observable maze, and exact solvers."""

from .grid_maze import GridMazeEnv, GridMazeVectorEnv
from .layouts import LAYOUTS, Layout, LayoutError, get_layout, parse_layout, random_maze
from .solve import MDPModel, maze_model, policy_evaluation, value_iteration

__all__ = [
    "GridMazeEnv",
    "GridMazeVectorEnv",
    "LAYOUTS",
    "Layout",
    "LayoutError",
    "get_layout",
    "parse_layout",
    "random_maze",
    "MDPModel",
    "maze_model",
    "policy_evaluation",
    "value_iteration",
]
