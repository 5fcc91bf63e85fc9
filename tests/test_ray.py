"""The Ray back-end on real Ray: a local instance of two CPUs (conftest's local_ray), a command-line
run stopped by a real SIGINT, a worker killed by a real SIGKILL mid-cell, and (slow) a two-node
cluster on the loopback address.  Every Ray process a test starts is ended by it (found by its
own RAY_TMPDIR, see ray_procs.py)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray

from baselines import compare as cmp
from baselines.compare import run as cmp_run
from baselines.compare.ray_backend import RayBackend
from baselines.linear.settings import LQ_REINFORCE_IMPROVED
from ray_procs import processes_with, ray_tmpdir, stop, tasks_running, title, wait_for

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def grid(**extra):
    """Cells of four kinds: tabular, a bandit actor-critic with a learning curve, SB3 PPO, and an
    LQ gain measured after every rollout (a cell naming a measure, baselines/compare/measures.py)."""
    return cmp.cells_from_config(
        {
            "runs": [
                {"env": "rl_envs/GridMaze-v0", "steps": 300, "seeds": 2, "eval_episodes": 1, "agents": ["QLearning"]},
                {
                    "env": "rl_envs/QuadraticBandit-v0",
                    "env_kwargs": {"dim": 10},
                    "steps": 400,
                    "seeds": [0, 1],
                    "eval_episodes": 1,
                    "eval_at": [100, 200],
                    "agents": ["COPDACB"],
                },
                {
                    "env": "rl_envs/GridMaze-v0",
                    "steps": 128,
                    "seeds": [0],
                    "eval_episodes": 1,
                    "agents": {"PPO": {"n_steps": 64, "n_envs": 1}},
                },
                {
                    "env": "rl_envs/LQControl-v0",
                    "env_kwargs": {"max_steps": 10},
                    "steps": 300,
                    "seeds": [0],
                    "agents": {"LinearReinforce": LQ_REINFORCE_IMPROVED},
                    "measure": {"name": "gain_gap"},
                },
            ]
        }
    )


def without_wall_time(record: dict) -> dict:
    return {**record, "row": {k: v for k, v in record["row"].items() if k not in cmp.run.TIMINGS}}


def test_ray_cells_are_the_serial_cells_bit_for_bit(local_ray, tmp_path):
    cells = grid()
    backend = RayBackend()
    on_ray = cmp.compare(cells, tmp_path / "ray", backend, progress_bar=False)
    serial = cmp.compare(cells, tmp_path / "serial", cmp.SerialBackend(), progress_bar=False)
    assert on_ray.ran == serial.ran == len(cells) == 6 and not on_ray.failed and not serial.failed
    for cell in cells:
        a, b = (json.loads((tmp_path / name / "cells" / f"{cell.key}.json").read_text()) for name in ("ray", "serial"))
        assert without_wall_time(a) == without_wall_time(b), (
            cell.key
        )  # every float, the curve, the GIF, the measurements
    assert len(a["measurements"]["gaps"]) == 30
    assert set(backend.placements) == {c.key for c in cells}
    assert set(backend.placements.values()) == {ray.get_runtime_context().get_node_id()}
    # The folder resumes as any other: nothing reruns, and plot reads it.
    again = cmp.compare(cells, tmp_path / "ray", RayBackend(), progress_bar=False)
    assert again.ran == 0 and again.reused == 6


def test_a_failing_cell_is_reported_not_retried(local_ray, tmp_path):
    cells = grid()[:2]

    def fails_on_seed_1(cell):
        if cell.seed == 1:
            raise RuntimeError("no such luck")
        return cmp_run.run_cell(cell)

    result = cmp.compare(cells, tmp_path, RayBackend(max_retries=3), progress_bar=False)
    assert not result.failed
    result = cmp.compare(grid()[2:4], tmp_path / "b", _Backend(fails_on_seed_1), progress_bar=False)
    assert [(c.seed, e) for c, e in result.failed] == [(1, "RuntimeError: no such luck")]
    assert result.ran == 1


class _Backend(RayBackend):
    """A Ray back-end that runs ``fn`` in place of run_cell (the function travels to the worker)."""

    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def map(self, _, cells, started=None):
        return super().map(self.fn, cells, started)


def test_a_worker_killed_mid_cell_is_retried_and_the_cell_written_once(local_ray, tmp_path, monkeypatch):
    (cell,) = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/GridMaze-v0",
                    "env_kwargs": {"layout": "book3x3"},
                    "steps": 150_000,
                    "seeds": [3],
                    "eval_episodes": 1,
                    "agents": ["QLearning"],
                }
            ]
        }
    )
    writes = []
    real_write = cmp_run.atomic_write_bytes
    monkeypatch.setattr(cmp_run, "atomic_write_bytes", lambda path, data: writes.append(path) or real_write(path, data))
    killed = []

    def kill_the_worker():
        (pid,) = wait_for(lambda: tasks_running(local_ray), 60, "the cell's task to start")
        time.sleep(0.5)  # mid-cell: training has begun
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    result = cmp.compare([cell], tmp_path, RayBackend(max_retries=2), progress_bar=False)
    killer.join()
    assert killed and not Path(f"/proc/{killed[0]}").exists()
    assert result.ran == 1 and not result.failed
    cell_file = tmp_path / "cells" / f"{cell.key}.json"
    assert writes.count(cell_file) == 1
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == [cell_file.name]  # no temp file, no corrupt/
    record, problem = cmp.read_cell(cell_file)
    assert problem is None and record["row"]["return"] == pytest.approx(record["row"]["reference"])


@pytest.mark.slow
def test_without_retries_a_killed_worker_is_a_failed_cell(local_ray, tmp_path):
    (cell,) = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/GridMaze-v0",
                    "env_kwargs": {"layout": "book3x3"},
                    "steps": 150_000,
                    "seeds": [4],
                    "eval_episodes": 1,
                    "agents": ["QLearning"],
                }
            ]
        }
    )
    killer = threading.Thread(
        target=lambda: os.kill(wait_for(lambda: tasks_running(local_ray), 60, "the task")[0], signal.SIGKILL)
    )
    killer.start()
    result = cmp.compare([cell], tmp_path, RayBackend(max_retries=0), progress_bar=False)
    killer.join()
    ((failed_cell, error),) = result.failed
    assert failed_cell == cell and "WorkerCrashedError" in error
    assert not list((tmp_path / "cells").iterdir())


def slow_grid_config(path: Path) -> Path:
    import yaml

    quick = {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "book3x3"},
        "steps": 300,
        "seeds": 2,
        "eval_episodes": 1,
        "agents": {"QLearning": {}},
    }
    path.write_text(yaml.safe_dump({"runs": [quick, {**quick, "steps": 400_000, "seeds": [10, 11, 12]}]}))
    return path


def test_ctrl_c_cancels_the_outstanding_tasks_and_resumes(tmp_path):
    """A real SIGINT to the command's process group while two slow cells run on Ray and one waits."""
    config = slow_grid_config(tmp_path / "c.yml")
    out = tmp_path / "out"
    tmpdir = ray_tmpdir()
    try:
        cmd = [
            sys.executable,
            "-m",
            "baselines",
            "compare",
            "--config",
            str(config),
            "--out",
            str(out),
            "--backend",
            "ray",
            "--no-progress",
        ]
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**ENV, "RAY_TMPDIR": tmpdir},
            start_new_session=True,
        )
        wait_for(lambda: len(list((out / "cells").glob("*.json"))) >= 2, 120, "the two quick cells")
        running = wait_for(lambda: len(tasks_running(tmpdir)) == 2 and tasks_running(tmpdir), 60, "two slow cells")
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - t0
        assert proc.returncode == 130, err
        assert elapsed < 10, f"took {elapsed:.1f} s to stop"
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        last = err.strip().splitlines()[-1]
        assert re.fullmatch(
            rf"interrupted: 2 of 5 cells are saved in {re.escape(str(out / 'cells'))}.*; resume with: "
            rf"python -m baselines compare --config {re.escape(str(config))} --out {re.escape(str(out))} "
            rf"--backend ray --no-progress",
            last,
        ), last
        assert {json.loads(p.read_text())["cell"]["seed"] for p in (out / "cells").glob("*.json")} == {0, 1}
        assert not list((out / "cells").glob(".*.tmp"))
        # The tasks were cancelled and the instance the command started is gone with it.
        wait_for(lambda: not processes_with(tmpdir), 10, "every Ray process of the command to end")
        assert not any(Path(f"/proc/{pid}").exists() and title(pid).startswith("ray::") for pid in running)
    finally:
        stop(tmpdir)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_grid_spreads_over_a_two_node_cluster_and_its_workers_die_with_the_job(tmp_path):
    """``ray start --head`` and a second ``ray start --address``, one CPU each, on 127.0.0.1."""
    head_dir, worker_dir = ray_tmpdir(), ray_tmpdir()
    port = free_port()
    # A cluster on the loopback address that this test alone uses: without Ray's token (which a
    # real cluster keeps, see docs/cluster.md), so that the test needs no credential file.
    env = {**ENV, "RAY_AUTH_MODE": "disabled"}
    try:

        def ray_start(tmpdir, *args):
            done = subprocess.run(
                [
                    str(Path(sys.executable).parent / "ray"),
                    "start",
                    "--num-cpus",
                    "1",
                    "--node-ip-address",
                    "127.0.0.1",
                    "--temp-dir",
                    tmpdir,
                    *args,
                ],
                capture_output=True,
                text=True,
                env={**env, "RAY_TMPDIR": tmpdir},
                timeout=120,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            print(done.stdout)

        ray_start(head_dir, "--head", "--port", str(port), "--include-dashboard", "false")
        ray_start(worker_dir, "--address", f"127.0.0.1:{port}")
        config = slow_grid_config(tmp_path / "c.yml")
        out = tmp_path / "out"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "baselines",
                "compare",
                "--config",
                str(config),
                "--out",
                str(out),
                "--backend",
                "ray",
                "--address",
                f"127.0.0.1:{port}",
                "--no-progress",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        print(done.stdout)
        nodes = re.search(r"the cells ran on (\d) Ray node\(s\): (.*)", done.stdout)
        assert nodes and nodes.group(1) == "2", done.stdout
        assert "5 cells run, 0 reused" in done.stdout

        # A driver killed outright (SIGKILL: no chance to cancel anything) takes its workers along.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "baselines",
                "compare",
                "--config",
                str(config),
                "--out",
                str(tmp_path / "killed"),
                "--backend",
                "ray",
                "--address",
                f"127.0.0.1:{port}",
                "--no-progress",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        wait_for(lambda: tasks_running(head_dir) and tasks_running(worker_dir), 120, "a task on each node")
        running = tasks_running(head_dir) + tasks_running(worker_dir)
        proc.kill()
        proc.wait()
        wait_for(
            lambda: (
                not any(
                    Path(f"/proc/{pid}").exists() and title(pid).startswith("ray::run_cell_task") for pid in running
                )
            ),
            60,
            "the dead job's workers to end",
        )
        assert processes_with(head_dir) and processes_with(worker_dir)  # the cluster itself stays up
    finally:
        left = stop(worker_dir) + stop(head_dir)
        print(f"stopped {len(left)} Ray processes of the two nodes")


def test_without_ray_the_commands_say_how_to_install_it(tmp_path):
    """``sys.modules["ray"] = None`` makes ``import ray`` fail as on an install without the extra."""
    for command in (
        ["compare", "--backend", "ray"],
        ["sweep", "--config", str(ROOT / "experiments/configs/dpg_bandit_copdacb_m50.toml")],
    ):
        code = (
            "import sys; sys.modules['ray'] = None; from baselines.__main__ import main; "
            f"sys.exit(main({[*command, '--out', str(tmp_path / 'o'), '--no-progress']!r}))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr == "error: Ray is not installed; install it with: pip install 'rl_envs[ray]'\n"
        assert not (tmp_path / "o").exists()


def test_cluster_options_are_checked_before_any_work(tmp_path, capsys):
    from baselines.__main__ import main

    for args, message in (
        (["--address", "auto"], "--address needs --backend ray"),
        (["--backend", "ray", "--cpus-per-cell", "0"], "argument --cpus-per-cell: must be a positive int, got '0'"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(["compare", *args, "--out", str(tmp_path / "o")])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
