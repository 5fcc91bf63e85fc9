"""What is recorded about training episodes: :class:`EpisodeLog`, kept by every agent (return,
length and end step, as SB3's Monitor records them), and :class:`EpisodeEnds`, a wrapper that
also records how each episode ended."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class EpisodeLog:
    """What a Monitor wrapper records: return, length and the global step at each episode end."""

    def __init__(self):
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.end_steps: list[int] = []

    def add(self, ret: float, length: int, step: int) -> None:
        self.returns.append(float(ret))
        self.lengths.append(int(length))
        self.end_steps.append(int(step))


class EpisodeEnds(gym.Wrapper):
    """Records how each training episode ended: terminated (the goal, the target) or truncated
    (the step limit, the octopus' numerical failure), which the return alone does not tell, and
    with ``info_key`` also that entry of the last step's ``info`` (the pendulum's ``time_up``)."""

    def __init__(self, env: gym.Env, info_key: str | None = None):
        super().__init__(env)
        self.info_key = info_key
        self.terminated: list[bool] = []
        self.info_values: list[float] = []

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, r, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            self.terminated.append(bool(terminated))
            if self.info_key is not None:
                self.info_values.append(float(info[self.info_key]))
        return obs, r, terminated, truncated, info
