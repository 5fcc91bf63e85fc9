"""The package as somebody else's project gets it: a wheel built from the sdist, installed into
fresh virtual environments outside the checkout (no ``PYTHONPATH``, a temporary working directory),
one with no extras, one with the ``experiments`` extra and one with the ``sb3`` extra, as the
README's Install section documents them; in each, the command line ``python -m baselines`` runs
(or, without the extra it needs, says which in one line).  Versions come from
requirements-dev.lock, as for ``make``; pip's cache holds the wheels after a first run, so an
environment takes seconds to tens of seconds (torch's).  The xdist workers share one wheel.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-dev.lock"

# What the minimal install must do without: the extras' heavy packages.
EXTRAS_ONLY = ("stable_baselines3", "torch", "matplotlib", "yaml")


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(
        SDL_VIDEODRIVER="dummy",
        SDL_AUDIODRIVER="dummy",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        PYTHONNOUSERSITE="1",
        **extra,
    )
    return env


def _call(args, cwd, timeout=600, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=timeout
    )


def _run(args, cwd, timeout=600, **env) -> str:
    out = _call(args, cwd, timeout, **env)
    if out.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {out.returncode}\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out.stdout


def _source_files(package: str, suffix: str) -> set[str]:
    return {
        p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob(f"*{suffix}") if "__pycache__" not in p.parts
    }


def _build(out: Path) -> dict[str, Path]:
    """sdist and wheel; the wheel is built from the unpacked sdist, so it proves the sdist complete.
    Built from a copy, so that the build writes nothing into the checkout."""
    if not list(out.glob("*.whl")):
        src = out.parent / "src"
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(
            ROOT,
            src,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", "results", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"
            ),
        )
        _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, src], cwd=out.parent)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> dict[str, Path]:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _build(tmp_path_factory.mktemp("dist") / "out")
    # One build for all workers: their base temp dirs share this run's parent.
    root = tmp_path_factory.getbasetemp().parent / "dist"
    root.mkdir(exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(root / "out")


def test_wheel_and_sdist_hold_every_runtime_file(dist):
    with zipfile.ZipFile(dist["wheel"]) as z:
        in_wheel = set(z.namelist())
    with tarfile.open(dist["sdist"]) as t:
        in_sdist = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    runtime = set().union(*(_source_files(p, s) for p in ("rl_envs", "baselines") for s in (".py", ".yml", ".json")))
    assert any(f.startswith("baselines/hyperparams/") for f in runtime)
    assert runtime <= in_wheel, sorted(runtime - in_wheel)
    assert runtime <= in_sdist, sorted(runtime - in_sdist)
    assert {"rl_envs/py.typed", "baselines/py.typed"} <= in_wheel & in_sdist  # PEP 561: typed packages
    assert any(re.fullmatch(r"rl_envs-[^/]+\.dist-info/licenses/LICENSE", f) for f in in_wheel)
    assert {
        "LICENSE",
        "CHANGELOG.md",
        "requirements-dev.lock",
        "tests/test_packaging.py",
        "setup.py",
        "rl_envs/octopus/_simd.c",
    } <= in_sdist
    # The octopus' compiled kernel (this machine has a C compiler), so the wheel is for this platform.
    assert (
        [f for f in in_wheel if f.startswith("rl_envs/octopus/_simd.")]
        == [f for f in in_wheel if re.fullmatch(r"rl_envs/octopus/_simd\.[^/]+\.so", f)]
        != []
    )
    assert "-py3-none-any" not in dist["wheel"].name
    # Nothing of the checkout beyond the packages (results, experiments, benchmarks) ends up installed.
    dist_info = "-".join(dist["wheel"].name.split("-")[:2]) + ".dist-info"
    assert {f.split("/")[0] for f in in_wheel} == {"rl_envs", "baselines", dist_info}


def _fresh_venv(tmp: Path, *requirements) -> tuple[Path, Path]:
    """A new environment holding ``requirements`` at the lock's versions (no pip of its own: this
    pip installs into it), and an empty working directory; returns (python, cwd).  --no-compile:
    byte-compiling all of torch took 4x as long as installing it; Python compiles what it imports."""
    _run([sys.executable, "-m", "venv", "--without-pip", tmp / "env"], cwd=tmp)
    python = tmp / "env" / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--no-compile",
            "-c",
            LOCK,
            *requirements,
        ],
        cwd=tmp,
    )
    (tmp / "work").mkdir()
    return python, tmp / "work"


def test_minimal_install_passes_the_conformance_suite(dist, tmp_path):
    py, cwd = _fresh_venv(tmp_path, dist["wheel"], "pytest")
    where = _run(
        [
            py,
            "-c",
            textwrap.dedent(f"""
        import importlib.util, rl_envs
        from rl_envs.octopus import physics
        print(rl_envs.__file__)
        print(*[m for m in {EXTRAS_ONLY!r} if importlib.util.find_spec(m)])
        print(physics.resolve_kernel("auto"))"""),
        ],
        cwd,
    )
    location, present, kernel = where.splitlines()
    assert kernel == "simd", "the installed wheel lacks the octopus' compiled kernel"
    assert Path(location).is_relative_to(py.parents[1]) and not Path(location).is_relative_to(ROOT)
    assert present == "", f"the minimal install holds extras' packages: {present}"

    suite = cwd / "conformance"
    suite.mkdir()
    for name in ("conftest.py", "test_conformance.py"):
        shutil.copy(ROOT / "tests" / name, suite)
    (suite / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings =\n    error::RuntimeWarning\n"
    )
    out = _run([py, "-m", "pytest", "-v", "-rs", suite], cwd)
    results = dict(re.findall(r"::(\S+) (PASSED|SKIPPED|FAILED|ERROR)", out))
    gym_checked = [
        t
        for t, r in results.items()
        if t.startswith("test_conforms[") and t.endswith("-gymnasium_checker]") and r == "PASSED"
    ]
    sb3_checked = {r for t, r in results.items() if t.startswith("test_conforms[") and t.endswith("-sb3_checker]")}
    assert len(gym_checked) >= 5, out[-3000:]
    assert sb3_checked == {"SKIPPED"}, out[-3000:]
    assert "No module named 'stable_baselines3" in out

    # The command line without its extra: one line naming it, before any work.
    done = _call([py, "-m", "baselines", "run", "--out", cwd / "out"], cwd)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr == (
        "error: python -m baselines run needs matplotlib, pillow, tqdm, which this Python does not have: "
        "pip install 'rl_envs[experiments]'\n"
    )
    assert not (cwd / "out").exists()


def _announced(stdout: str, out: Path) -> list[Path]:
    """The files and folders the command line's last lines say it wrote into ``out``."""
    (listed,) = re.findall(rf"outputs in {re.escape(str(out))}/ \(([^)]*)\)", stdout)
    return [out / name for name in listed.split(", ")]


def test_experiments_extra_runs_the_command_line(dist, tmp_path):
    """``[experiments]`` is what the README names for the command line with the reference agents:
    ``run`` with its progress bar writes every output it announces; a ``.yml`` grid naming an SB3
    agent is read, and refused at once naming ``[sb3]``."""
    py, cwd = _fresh_venv(tmp_path, f"{dist['wheel']}[experiments]")
    # One worker and no JIT: the pool and numba's compiles are not what this test is about.
    out = cwd / "out"
    command = [py, "-m", "baselines", "run", "--seeds", "2", "--steps", "300", "--workers", "1", "--out", out]
    done = _call(command, cwd, NUMBA_DISABLE_JIT="1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cells:" in done.stderr  # tqdm's bar over the cells
    announced = _announced(done.stdout, out)
    assert [p.name for p in announced] == ["results.csv", "results.json", "summary.md", "curves", "gifs"]
    assert all(p.exists() for p in announced), [p for p in announced if not p.exists()]
    assert len((out / "results.csv").read_text().splitlines()) == 3
    assert list((out / "curves").glob("*.png")) and list((out / "gifs").glob("*.gif"))

    config = cwd / "grid.yml"
    config.write_text("runs:\n  - env: rl_envs/GridMaze-v0\n    steps: 200\n    agents: [QLearning, PPO]\n")
    done = _call([py, "-m", "baselines", "compare", "--config", config, "--out", cwd / "ppo"], cwd)
    assert done.returncode == 2 and done.stderr == (
        "error: runs[0]: PPO is a Stable-Baselines3 agent, and Stable-Baselines3 is not installed: "
        "pip install 'rl_envs[sb3]'\n"
    )
    assert not (cwd / "ppo").exists()


def test_installed_wheel_makes_every_env_trains_sb3_and_compares(dist, tmp_path):
    """``[sb3]`` alone, the README's line: SB3 trains, and the command line (which ``[sb3]``
    installs with it) compares a reference agent with PPO, its progress bar on."""
    py, cwd = _fresh_venv(tmp_path, f"{dist['wheel']}[sb3]")
    out = _run(
        [
            py,
            "-c",
            textwrap.dedent("""
        import gymnasium as gym
        import rl_envs
        from baselines import sb3

        ids = sorted(i for i in gym.registry if i.startswith("rl_envs/"))
        assert ids == sorted(rl_envs.ENV_IDS), ids
        for env_id in ids:
            env = gym.make(env_id)
            env.reset(seed=0)
            env.action_space.seed(0)
            for _ in range(10):
                if any(env.step(env.action_space.sample())[2:4]):
                    env.reset()
            env.close()
        model = sb3.train("ppo", "rl_envs/GridMaze-v0", total_timesteps=256)
        print(len(ids), model.num_timesteps)"""),
        ],
        cwd,
        # The minimal-install test compiles the octopus' kernels in a fresh install already;
        # here the compile would only add its 12 s.
        NUMBA_DISABLE_JIT="1",
    )
    n_ids, steps = out.split()
    assert int(n_ids) >= 5 and int(steps) >= 256

    path = Path(_run([py, "-m", "baselines", "hyperparams", "ppo"], cwd).strip())
    assert path.is_file() and path.is_relative_to(py.parents[1]) and "rl_envs/GridMaze-v0:" in path.read_text()

    config = cwd / "two_cells.toml"
    config.write_text(
        textwrap.dedent("""
        [[runs]]
        env = "rl_envs/GridMaze-v0"
        steps = 256
        seeds = 1
        agents = { QLearning = {}, PPO = {} }
        """)
    )
    done = _call([py, "-m", "baselines", "compare", "--config", config, "--out", cwd / "out", "--workers", "1"], cwd)
    assert done.returncode == 0 and "cells:" in done.stderr, done.stderr[-3000:]
    rows = (cwd / "out" / "results.csv").read_text().splitlines()
    assert len(rows) == 3 and {r.split(",")[1] for r in rows[1:]} == {"QLearning", "PPO"}, rows
    assert list((cwd / "out" / "gifs").glob("*.gif")) and list((cwd / "out" / "curves").glob("*.png"))


def _extras_within(extra: str, extras: dict[str, list[str]]) -> set[str]:
    """``extra`` and every extra it names as ``rl_envs[...]``, transitively."""
    found, todo = set(), [extra]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            for text in extras[name]:
                if m := re.fullmatch(r"rl_envs\[([^]]+)\]", text):
                    todo += m[1].split(",")
    return found


def test_readme_documents_every_users_extra_and_the_command_lines_include_experiments():
    """The README's Install table names every extra a user installs (not the developers' docs,
    dev, all); each it says runs the command line installs ``experiments``, which the tests above
    install and run (``[sb3]`` and ``[experiments]`` in fresh environments; ``[zoo]`` and ``[ray]``
    add packages to those, as pip adds an extra's requirements to the others')."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    install = (ROOT / "README.md").read_text().partition("## Install")[2].partition("\n## ")[0]
    documented = set(re.findall(r"^\| `rl_envs\[(\w+)\]` \|", install, flags=re.M))
    assert documented == set(extras) - {"docs", "dev", "all"}, documented
    for extra in ("sb3", "zoo", "ray", "dev"):
        assert "experiments" in _extras_within(extra, extras), extra
    assert "download.pytorch.org/whl/cpu" in install


def test_lock_satisfies_every_declared_requirement():
    """The lock holds each requirement of pyproject (extras included) at a version it allows,
    so that `make` (which installs the lock with --no-deps) misses nothing."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", LOCK.read_text(), flags=re.M))
    pins = {canonicalize_name(k): v for k, v in pins.items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [r for reqs in project["optional-dependencies"].values() for r in reqs]
    for text in declared:
        req = Requirement(text)
        if canonicalize_name(req.name) == canonicalize_name(project["name"]):
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is required by pyproject.toml but not in {LOCK.name}: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={pins[name]}, outside {req}"
        )
    assert pins["torch"].endswith("+cpu"), "the lock must hold the CPU build of torch"
