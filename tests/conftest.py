import os
import signal

# Headless rendering: set before anything imports pygame.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# pytest-xdist runs two workers on two cores: more OpenMP threads than cores make torch's
# (and numba's) spinning threads fight, which slowed SB3 tests by 20x here.
os.environ.setdefault("OMP_NUM_THREADS", "1")


import pytest


@pytest.fixture(scope="session")
def local_ray():
    """``ray.init(num_cpus=2)`` in this process, once per test process (Ray takes seconds to start);
    every process it started is ended afterwards, found by its own RAY_TMPDIR (ray_procs.py)."""
    import time

    import ray

    from ray_procs import ray_tmpdir, stop

    tmpdir = ray_tmpdir()
    before = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmpdir  # inherited by Ray's processes, which is how stop() finds them
    try:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", _temp_dir=tmpdir)
        yield tmpdir
    finally:
        ray.shutdown()
        if before is None:
            del os.environ["RAY_TMPDIR"]
        else:
            os.environ["RAY_TMPDIR"] = before
        time.sleep(1)  # ray.shutdown ends the processes it started; then none may be left
        assert stop(tmpdir) == [], "ray.shutdown left processes running"


# A test run started in the background of a non-interactive shell inherits SIGINT ignored, and
# its subprocesses would too (an ignored signal stays ignored across exec), so the Ctrl-C tests
# could not interrupt them.  A handled signal is reset to the default in a child.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
