"""Most likely state (MLS; Nourbakhsh, Powers & Birchfield 1995): act as the MDP policy would in
the state the belief rates most probable, ``a = argmax_a Q_MDP(argmax_s b(s), a)``."""

from __future__ import annotations

import numpy as np

from .base import first_max
from .qmdp import MDPValueAgent


class MostLikelyState(MDPValueAgent):
    """The MDP's greedy action in the most probable state (ties of actions within rounding: the lowest action index)."""

    def _belief_policy(self, beliefs):
        return first_max(self.Q[np.argmax(beliefs, axis=1)])
