"""The documentation site: the strict build (every example run), the media it shows, the published
comparison table, and the built site in a real headless Chromium.

The browser test uses Debian's ``chromium`` (``make browser`` installs it) through the DevTools
protocol over ``websocket-client``; without either it skips, saying which is missing.  Its
screenshots go to ``tmp/test-artifacts/browser/`` (not in git).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path[:0] = [str(DOCS / "hooks"), str(DOCS)]

import examples  # noqa: E402 - found through the sys.path line above
import gen_media  # noqa: E402 - as examples

ARTIFACTS = ROOT / "tmp" / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1000",
    "--remote-debugging-port=0",
]


def mkdocs_build(site: Path, run_examples: bool) -> subprocess.CompletedProcess:
    env = dict(examples.environment(), RL_ENVS_DOCS_EXAMPLES="1" if run_examples else "0", NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


# -- the build ------------------------------------------------------------------------------------


def test_strict_build_runs_every_example(tmp_path):
    start = time.perf_counter()
    result = mkdocs_build(tmp_path / "site", run_examples=True)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-6000:]
    summary = [line for line in result.stderr.splitlines() if "examples:" in line]
    assert summary and " 0 failed" in summary[-1], result.stderr[-3000:]
    print(f"strict build with examples: {seconds:.0f} s; {summary[-1].split('examples:')[1].strip()}")
    for name in gen_media.media():
        page = (tmp_path / "site" / "envs" / name / "index.html").read_text()
        assert f"media/{name}.gif" in page and "Vector environment" in page and "Example" in page


def test_every_environment_has_media_and_a_nav_entry():
    """The media, the nav's pages and the gallery come from the registry (docs/hooks/site.py
    fills mkdocs.yml's empty "Environments" section); every chosen animation names a registered id."""
    import yaml

    import rl_envs

    names = {env_id.split("/")[1].split("-v")[0] for env_id in rl_envs.ENV_IDS}
    assert names == set(gen_media.media())
    assert {m.env_id for m in gen_media.CHOSEN} == set(rl_envs.ENV_IDS)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    nav = json.dumps(_hook().environments_nav(config["nav"]))
    assert all(f"envs/{n}.md" in nav for n in names)
    gallery = _hook().gallery("index.md")
    assert all(f"[![{n}](media/{n}.gif)](envs/{n}.md)" in gallery for n in names)
    first = "GridMaze"  # (a variable, so that tests/test_references.py does not take the page for a file)
    assert f"[{first}](envs/{first}.md): Mazes with ``shortest_path_length()`` and V*</figcaption>" in gallery
    assert config["strict"] == "true"
    assert config["validation"]["links"] == {
        k: "warn" for k in ("not_found", "anchors", "absolute_links", "unrecognized_links")
    }


def test_example_runner_reports_failures_and_markers(tmp_path):
    text = (
        "```python\nraise SystemExit(3)\n```\n\n<!-- test: skip it waits for keys -->\n```bash\nread x\n```\n\n"
        "<!-- test: replace 10**9 => 10 -->\n```python\nassert sum(range(10**9)) == 45\n```\n"
    )
    failing, skipped, replaced = examples.blocks_of(text, "page.md")
    assert examples.run(failing)[0] == "failed" and "SystemExit" in failing.source
    assert examples.run(skipped) == ("skipped", "it waits for keys")
    assert examples.run(replaced) == ("passed", "")
    with pytest.raises(ValueError, match="not in the block"):
        examples.blocks_of("<!-- test: replace nothing => x -->\n```python\npass\n```\n", "page.md")


def test_hook_refuses_missing_repository_files_and_unknown_agents():
    site_hook = _hook()
    from mkdocs.exceptions import PluginError

    page = "agents" + "/page.md"  # (split so that tests/test_references.py does not take it for a file)
    up = "../" + "../baselines/"
    assert "https://src/blob/baselines/sb3.py" in site_hook.repository_links(
        f"[c]({up}sb3.py)", page, "https://src/blob"
    )
    with pytest.raises(PluginError, match="does not exist"):
        site_hook.repository_links(f"[c]({up}no_such.py)", page, "https://src/blob")
    assert "| rl_envs/GridMaze-v0 | QLearning |" in site_hook.compare_rows("<!-- compare-rows: QLearning -->", page)
    with pytest.raises(PluginError, match="NoSuchAgent"):
        site_hook.compare_rows("<!-- compare-rows: NoSuchAgent -->", page)


def test_env_pages_and_the_references_table_show_each_reference_record():
    """The reference records on the site are computed from ``reference()`` when it builds, not typed."""
    import gymnasium as gym

    site_hook = _hook()
    maze = gym.make("rl_envs/GridMaze-v0").unwrapped.reference()
    page = site_hook.env_page("rl_envs/GridMaze-v0")
    assert "## Reference" in page and f"| baseline: uniform random | {maze.random:.6g} |" in page
    assert f"| kind | {maze.kind} |" in page and maze.method in page
    lq = gym.make("rl_envs/LQControl-v0").unwrapped.reference()  # its baseline is the zero control
    assert f"| baseline: zero control (u = 0) | {lq.random:.6g} |" in site_hook.env_page("rl_envs/LQControl-v0")
    arm = gym.make("rl_envs/OctopusArm-v0").unwrapped.reference()
    page_in_a_folder, arm_page = "reports" + "/page.md", "../envs/" + "OctopusArm.md"  # (not files: split)
    table = site_hook.references_table(page_in_a_folder)
    interval = f"{arm.random:.6g} in [{arm.random_lower:.6g}, {arm.random_upper:.6g}] (uniform random)"
    assert f"| [OctopusArm]({arm_page}) | best-known | 52.91 | 52.91 | {arm.upper:.6g} | {interval} |" in table
    assert table.count("\n") == 1 + len(gen_media.media())  # the header, its rule and one row per environment


@functools.cache
def _hook():
    import importlib.util

    spec = importlib.util.spec_from_file_location("rl_envs_site_hook", DOCS / "hooks" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- media ------------------------------------------------------------------------------------------


def frames_of(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    import io

    from PIL import Image, ImageSequence

    img = Image.open(io.BytesIO(data))
    frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(img)]
    durations = [f.info.get("duration", 0) for f in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]
    return frames, durations


@pytest.mark.parametrize("file", ["GridMaze.gif", "PartiallyObservableMaze-hallway.png", "LQControl-datacenter.png"])
def test_committed_media_are_what_gen_media_makes(file):
    name = file.split("-")[0].split(".")[0]
    made = gen_media.outputs(gen_media.media()[name])[file]()
    committed = (DOCS / "media" / file).read_bytes()
    new_frames, new_durations = frames_of(made)
    old_frames, old_durations = frames_of(committed)
    assert new_durations == old_durations and len(new_frames) == len(old_frames)
    for i, (a, b) in enumerate(zip(new_frames, old_frames)):
        assert np.array_equal(a, b), f"{file} frame {i} differs: run `python docs/gen_media.py --only {name}`"
    assert max(new_frames[0].shape[:2]) <= 2 * gen_media.WIDTH and len(new_frames) <= gen_media.MAX_FRAMES + 1


def test_every_media_file_is_committed_and_small():
    expected = {f for m in gen_media.media().values() for f in gen_media.outputs(m)}
    present = {p.name for p in (DOCS / "media").iterdir()}
    assert expected == present, f"missing {expected - present}, stale {present - expected}"
    assert sum((DOCS / "media" / f).stat().st_size for f in expected) < 1_500_000


def test_readme_table_lists_every_environment():
    """GitHub shows the README as committed: its table is gen_media's, from the registry."""
    start, end = gen_media.README_MARKERS
    committed = (ROOT / "README.md").read_text().split(start, 1)[1].split(end, 1)[0].strip().splitlines()
    assert committed == gen_media.readme_table(), "README.md's table is stale: run `python docs/gen_media.py --readme`"


# -- the published comparison ---------------------------------------------------------------------


# The one column of the table that depends on the machine's load.
WALL_TIME = "wall time / seed (s)"


def table_rows(lines: list[str]) -> list[list[str]]:
    """The cells of a Markdown table's lines (the header first, the separator left out), without
    the wall-time column."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]
    wall = rows[0].index(WALL_TIME)
    return [r[:wall] + r[wall + 1 :] for i, r in enumerate(rows) if i != 1]


def published_rows() -> dict[tuple[str, str], list[str]]:
    rows = table_rows((DOCS / "compare" / "summary.md").read_text().splitlines())
    return {(r[0], r[1]): r for r in rows[1:]}


def reference_cells(include_arm: bool):
    from baselines.compare import SB3_AGENTS, cells_from_config, default_config

    runs = [
        dict(run, agents={a: kw for a, kw in run["agents"].items() if a not in SB3_AGENTS})
        for run in default_config()["runs"]
        if include_arm or run["env"] != "rl_envs/OctopusArm-v0"
    ]
    return cells_from_config({"runs": [r for r in runs if r["agents"]]})


def check_reference_rows(include_arm: bool):
    """The reference agents' rows of docs/compare/summary.md equal a fresh run's, column by column
    (all but the wall time, which depends on the machine's load; the note too, which is computed
    from the scores, so it flags the same rows)."""
    from baselines.compare import ProcessPoolBackend, run_cell, summary_table

    # The rows only: a third of a cell's time is encoding its GIF, which the table does not use.
    records = list(ProcessPoolBackend(2).map(functools.partial(run_cell, film=False), reference_cells(include_arm)))
    failed = [(cell, r) for cell, r in records if isinstance(r, BaseException)]
    assert not failed, failed
    fresh = table_rows(summary_table([r["row"] for _, r in records]))[1:]
    published = published_rows()
    assert fresh
    for row in fresh:
        key = (row[0], row[1])
        assert key in published, f"{key} is not in docs/compare/summary.md: run `make run` and `make docs-tables`"
        assert published[key] == row, (
            f"docs/compare/summary.md is stale for {key}: published {published[key]}, now {row}"
        )


def test_published_reference_rows_are_current():
    check_reference_rows(include_arm=False)


@pytest.mark.slow
def test_published_reference_rows_are_current_with_the_arm():
    check_reference_rows(include_arm=True)


# -- the browser ------------------------------------------------------------------------------------


class DevTools:
    """A page of a headless Chromium, driven over the DevTools protocol."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id, self.events = 0, []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} within {seconds} s")
            self.events.append(json.loads(self.ws.recv()))

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p["exceptionDetails"])[:500])
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(f"log: {p['entry']['text']} {p['entry'].get('url', '')}")
        return out


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_site(tmp_path):
    """The site, built strictly (examples left to the build test), on a loopback HTTP server."""
    result = mkdocs_build(tmp_path / "site", run_examples=False)
    assert result.returncode == 0, result.stderr[-6000:]
    handler = functools.partial(QuietHandler, directory=str(tmp_path / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@contextlib.contextmanager
def headless_chromium():
    """A new headless Chromium with an empty profile, its first page driven over DevTools; the
    browser (its whole process group) is stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="rl_envs_chromium_") as profile:
        process = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start (exit code {process.poll()})")
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            page = next(t for t in targets if t["type"] == "page")
            tools = DevTools(page["webSocketDebuggerUrl"])
            try:
                yield tools
            finally:
                tools.ws.close()
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make browser, as root, installs it)")
    try:
        import websocket  # noqa: F401
    except ImportError:
        pytest.skip("websocket-client is not installed (it is in the docs extra)")
    with headless_chromium() as tools:
        yield tools


def visit(tools: DevTools, url: str, screenshot: Path) -> dict:
    """Load ``url``; wait until KaTeX has run; return what the page shows, and save a screenshot."""
    for domain in ("Page", "Runtime", "Log"):
        tools.call(f"{domain}.enable")
    tools.events.clear()
    tools.call("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")
    state = tools.evaluate("""new Promise(resolve => {
        const start = Date.now();
        const check = () => {
          const gifs = [...document.querySelectorAll('img[src$=".gif"]')];
          const ready = gifs.every(img => img.complete);
          const math = document.querySelectorAll('.arithmatex').length;
          const typeset = document.querySelectorAll('.arithmatex .katex').length;
          if ((ready && typeset >= math) || Date.now() - start > 20000) {
            resolve({title: document.title, gifs: gifs.length,
                     loaded: gifs.filter(img => img.naturalWidth > 0).length,
                     math: math, katex: document.querySelectorAll('.katex').length,
                     katex_errors: document.querySelectorAll('.katex-error').length,
                     katex_font: document.fonts.check('16px KaTeX_Main')});
          } else { setTimeout(check, 100); }
        };
        check();
    })""")
    height = tools.evaluate("document.documentElement.scrollHeight")
    shot = tools.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": min(height, 2400), "scale": 1},
    )
    import base64

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(shot["data"]))
    state["errors"] = tools.errors()
    return state


def test_site_in_headless_chromium(served_site, chromium):
    home = visit(chromium, served_site, ARTIFACTS / "home.png")
    arm = visit(chromium, served_site + "envs/OctopusArm/", ARTIFACTS / "octopus-arm.png")
    print(f"home: {home}\nOctopusArm: {arm}\nscreenshots in {ARTIFACTS}")
    assert home["title"].startswith("rl_envs") and arm["title"].startswith("OctopusArm")
    assert home["gifs"] == len(gen_media.media()) == home["loaded"], home
    assert arm["gifs"] >= 1 and arm["loaded"] == arm["gifs"], arm
    assert arm["math"] >= 1 and arm["katex"] >= arm["math"] and arm["katex_errors"] == 0, arm
    assert home["errors"] == [] and arm["errors"] == [], (home["errors"], arm["errors"])
    # The Fig. 2 report's tables fit the page at this width: none scrolls sideways, every image loads.
    layouts = {}
    for page in ("dpg-fig2", "dpg-fig2-sweep"):
        shown = visit(chromium, served_site + f"reports/{page}/", ARTIFACTS / f"{page}.png")
        layouts[page] = chromium.evaluate("""({
            tables: document.querySelectorAll('article table').length,
            scrolling: [...document.querySelectorAll('article .md-typeset__scrollwrap, article .md-typeset__table')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.querySelector('tr').innerText),
            images: [...document.querySelectorAll('article img')].map(img => img.naturalWidth > 0),
        })""")
        assert shown["errors"] == [] and layouts[page]["scrolling"] == [], (page, layouts[page])
    fig2, sweep = layouts["dpg-fig2"], layouts["dpg-fig2-sweep"]
    assert fig2["tables"] >= 4 and len(fig2["images"]) == 1 and all(fig2["images"]), fig2
    assert sweep["tables"] == 1, sweep
