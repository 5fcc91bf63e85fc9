import os

# Headless rendering: set before anything imports pygame.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# pytest-xdist runs two workers on two cores: more OpenMP threads than cores make torch's
# (and numba's) spinning threads fight, which slowed SB3 tests by 20x here.
os.environ.setdefault("OMP_NUM_THREADS", "1")
