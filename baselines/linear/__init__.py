"""Reference agents with linear (and small NumPy network) function approximation."""

from .copdac_q import COPDACQ, compatible_features, copdac_q_update
