"""Belief-state agents for partially observable mazes."""
