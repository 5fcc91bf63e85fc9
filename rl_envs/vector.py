"""What the native vector environments share: the ``num_envs`` check and next-step autoreset.

With Gymnasium's ``AutoresetMode.NEXT_STEP`` (as in ``CartPoleVectorEnv``) the step after a
sub-environment's episode ends restarts it instead of moving it: its action is ignored, and it
returns its first observation with reward 0, neither terminated nor truncated.
"""

from __future__ import annotations

import numpy as np

from .validation import integer


class NextStepAutoreset:
    """Step counts and restart flags of the sub-environments.

    Per step: ``restarted = self._needs_reset`` before moving (those sub-envs restart instead),
    then ``truncated = self._finish_step(restarted, terminated)`` counts the step against
    ``self.max_steps`` and marks the sub-envs that end now to restart on the next step.
    """

    def _init_autoreset(self, num_envs) -> None:
        self.num_envs = integer(num_envs, "num_envs")
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(self.num_envs, dtype=np.bool_)

    def _restart_all(self) -> None:
        self._t[:] = 0
        self._needs_reset[:] = False

    def _finish_step(self, restarted: np.ndarray, terminated: np.ndarray, failed: np.ndarray | None = None) -> np.ndarray:
        """The truncation flags of this step (``failed`` sub-envs are truncated too)."""
        self._t = np.where(restarted, 0, self._t + 1)
        truncated = ~terminated & ~restarted & (self._t >= self.max_steps)
        if failed is not None:
            truncated |= failed
        self._needs_reset = terminated | truncated
        return truncated
