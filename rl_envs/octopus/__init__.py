"""The octopus arm of Silver et al. 2014 (DPG, §5.3): batched numba physics (physics.py) and the env (env.py)."""
