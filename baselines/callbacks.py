"""The callbacks of one ``learn`` call: an SB3 ``BaseCallback`` (or a list of them), a function
``callback(agent)`` called after every episode, and a progress bar, called as the agent
protocol says (:mod:`baselines.agent`)."""

from __future__ import annotations

from typing import Any

import numpy as np


class Callbacks:
    """What one ``learn`` call reports to: its callback (an SB3 ``BaseCallback``, a list of them,
    or a function ``callback(agent)``) and its progress bar, with the calls of the protocol
    (:mod:`baselines.agent`).  The SB3 part is imported only when an SB3 callback is given."""

    def __init__(self, agent: Any, callback: Any, progress_bar: bool, total_timesteps: int):
        self.agent, self.per_episode, self.sb3 = agent, None, None
        if isinstance(callback, list):
            from stable_baselines3.common.callbacks import CallbackList

            callback = CallbackList(callback)
        if callable(callback) and not hasattr(callback, "on_step"):
            self.per_episode = callback
        elif callback is not None:
            from stable_baselines3.common.callbacks import BaseCallback

            if not isinstance(callback, BaseCallback):
                raise TypeError(
                    "callback must be None, a function callback(agent), an SB3 BaseCallback "
                    f"or a list of them; got {type(callback).__name__}"
                )
            self.sb3 = callback
            callback.init_callback(agent)
        self.locals = {
            "self": agent,
            "total_timesteps": total_timesteps,
            "callback": self.sb3,
            "progress_bar": progress_bar,
        }
        self.bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_timesteps - agent.num_timesteps, unit="step")
        self.in_rollout = False

    def on_training_start(self) -> None:
        if self.sb3 is not None:
            self.sb3.on_training_start(self.locals, {})

    def on_step(self, action: Any, obs2: Any, r: float, terminated: bool, truncated: bool, info: dict) -> bool:
        """After an environment step; False stops training."""
        if self.bar is not None:
            self.bar.update()
        if self.sb3 is None:
            return True
        if not self.in_rollout:
            self.sb3.on_rollout_start()
            self.in_rollout = True
        done = terminated or truncated
        if done:  # what SB3's Monitor and VecEnv add to the last info of an episode
            info = {
                **info,
                "episode": {"r": self.agent._ep_return, "l": self.agent._ep_len},
                "terminal_observation": obs2,
                "TimeLimit.truncated": truncated and not terminated,
            }
        self.sb3.update_locals(
            {
                "actions": np.array([action]),
                "new_obs": np.array([obs2]),
                "rewards": np.array([r]),
                "dones": np.array([done]),
                "infos": [info],
            }
        )
        return bool(self.sb3.on_step())

    def on_rollout_end(self) -> None:
        if self.in_rollout and self.sb3 is not None:  # (a rollout is SB3's)
            self.sb3.on_rollout_end()
            self.in_rollout = False

    def on_episode_end(self) -> bool:
        """After an episode has been learned from and logged; False stops training."""
        return self.per_episode is None or self.per_episode(self.agent) is not False

    def on_training_end(self) -> None:
        self.on_rollout_end()
        if self.sb3 is not None:
            self.sb3.on_training_end()
        if self.bar is not None:
            self.bar.close()
