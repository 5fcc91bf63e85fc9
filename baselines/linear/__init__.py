"""Reference agents with linear (and small NumPy network) function approximation."""
