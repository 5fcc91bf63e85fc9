"""MkDocs hook of the rl_envs site (``hooks:`` in mkdocs.yml).

* One page per environment registered in the ``rl_envs/`` namespace, ``envs/<Name>.md``, written
  from the code at build time: the class docstring (the single source of the page's text), the
  spaces as the environment reports them, its exact references and its reference record
  (``reference()``), the vector env's docstring, the
  animation and the variant thumbnails that ``docs/gen_media.py`` made, and a runnable example.
  The registry also gives the nav's "Environments" section, the home page's gallery
  (``<!-- env-gallery -->``: each animation with the summary line of its class docstring), the
  API reference's environment modules (``<!-- env-modules -->``) and the table of every
  environment's reference record (``<!-- env-references -->``, from ``reference()``), so that
  registering an environment and writing its docstring puts it everywhere in the site.
* Every ```python and ```bash block of every page runs while the site builds (two at a time,
  beside the build; ``docs/hooks/examples.py`` has the rules and the ``<!-- test: ... -->``
  markers), and any failure fails the build.  ``RL_ENVS_DOCS_EXAMPLES=0`` skips them, for
  ``mkdocs serve`` (``make docs-serve``).
* ``<!-- compare-rows: AGENT ... -->`` on a line of its own becomes those agents' rows of the
  published comparison table (``docs/compare/summary.md``), so an agent page's measured result
  is the run's own.  A link to a repository file outside ``docs/`` (a module, a script)
  must name a file that exists, and points into the source browser (``extra.source_url``).
* KaTeX, for the math, is served from the site itself (no CDN): the npm package's ``dist``
  files, fetched once with ``npm pack`` into ``.cache/`` and checked against a pinned sha512.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent
ROOT = DOCS.parent
sys.path[:0] = [str(HERE), str(DOCS), str(ROOT)]

import examples  # noqa: E402 - found through the sys.path line above
import gen_media  # noqa: E402 - as examples (MkDocs takes the hook's folder off sys.path after loading it)

log = logging.getLogger("mkdocs.hooks.rl_envs")

KATEX_VERSION = "0.19.1"
KATEX_SHA512 = "jG8uKntjSEcm2EpQOh0XturpPuuC9r3Sq5HLHdsFdWZT27E672SF19QEi+of0/YeOy15lDgRhKvr5614uRrEfA=="
KATEX_DIR = ROOT / ".cache" / f"katex-{KATEX_VERSION}"
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js")

# Methods and attributes of an environment that give an exact answer to compare a learner with.
EXACT = (
    "reference",
    "optimal_return",
    "optimal_values",
    "optimal_gain",
    "optimal_cost",
    "expected_cost",
    "cost",
    "shortest_path_length",
    "mdp_upper_bound",
    "a_star",
    "model",
    "episode_model",
    "goal_states",
)

_executor: ThreadPoolExecutor | None = None
_runs: list[tuple[examples.Block, Future]] = []


# -- KaTeX ----------------------------------------------------------------------------------------


def vendor_katex() -> Path:
    """The folder of KaTeX's dist files, fetched from the npm registry the first time."""
    if all((KATEX_DIR / f).exists() for f in KATEX_FILES):
        return KATEX_DIR
    npm = shutil.which("npm")
    if npm is None:
        raise PluginError(f"KaTeX {KATEX_VERSION} is not in {KATEX_DIR} and npm, which fetches it, is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", f"katex@{KATEX_VERSION}", "--pack-destination", tmp, "--silent"],
            check=True,
            capture_output=True,
            text=True,
        )
        tgz = Path(tmp) / f"katex-{KATEX_VERSION}.tgz"
        digest = base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
        if digest != KATEX_SHA512:
            raise PluginError(f"{tgz.name} from the npm registry has sha512 {digest}, not the pinned {KATEX_SHA512}")
        KATEX_DIR.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="katex-", dir=KATEX_DIR.parent))
        with tarfile.open(tgz) as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.name.startswith("package/dist/")
                and (m.name.removeprefix("package/dist/") in KATEX_FILES or "/fonts/" in m.name)
            ]
            tar.extractall(staging, members=members, filter="data")
        try:  # atomic: two builds at once (the test suite's) both fetch, and the first rename wins
            os.rename(staging / "package" / "dist", KATEX_DIR)
        except OSError:
            if not all((KATEX_DIR / f).exists() for f in KATEX_FILES):
                raise
        shutil.rmtree(staging, ignore_errors=True)
    return KATEX_DIR


# -- environment pages ------------------------------------------------------------------------------


def _sections(doc: str) -> dict[str, str]:
    """A docstring's ``## Heading`` sections, in order, by heading."""
    parts = re.split(r"^## (.+)$", doc, flags=re.M)
    out = {"": parts[0].strip()}
    for heading, body in zip(parts[1::2], parts[2::2]):
        out[heading.strip()] = body.strip()
    return out


def space_text(space) -> str:
    """A space on one line: a Box with per-dimension bounds by its range of bounds."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box) and not (
        space.low.min() == space.low.max() and space.high.min() == space.high.max()
    ):
        return (
            f"Box(shape={space.shape}, {space.dtype}), bounds per dimension from {space.low.min():g} "
            f"to {space.high.max():g}"
        )
    return " ".join(str(space).split())


def default_reference(env_id: str):
    """The default environment's reference record after ``reset(seed=0)`` (which draws a problem
    that depends on the seed, the bandit's C), or the reason it has none, as a string."""
    import gymnasium as gym

    env = gym.make(env_id)
    try:
        env.reset(seed=0)
        return env.unwrapped.reference()
    except (NotImplementedError, ValueError) as e:  # NoReference is a ValueError
        return f"{type(e).__name__}: {e}"
    finally:
        env.close()


def _number(x: float) -> str:
    return f"{x:.6g}"


def _interval(value: float, low: float, high: float) -> str:
    return _number(value) if low == value == high else f"{_number(value)} in [{_number(low)}, {_number(high)}]"


def reference_section(env_id: str) -> list[str]:
    """An environment page's "Reference" section: its default reference record, as the code computes it."""
    ref = default_reference(env_id)
    lines = ["## Reference", ""]
    if isinstance(ref, str):
        return lines + [f"The default environment declares no reference record yet ({ref}).", ""]
    return lines + [
        "`env.unwrapped.reference()` of the default environment after `reset(seed=0)`, computed when the "
        "site is built (a `rl_envs.core.Reference`).  The comparison scores a return `R` as "
        "`(R - random) / (value - random)`: 0 is the baseline policy (the uniform-random one unless the "
        "record names another), 1 the reference.",
        "",
        "| field | value |",
        "|---|---|",
        f"| kind | {ref.kind} |",
        f"| value (lower, upper) | {_number(ref.value)} ({_number(ref.lower)}, {_number(ref.upper)}) |",
        f"| baseline: {ref.baseline} | {_interval(ref.random, ref.random_lower, ref.random_upper)} |",
        f"| quantity | {ref.quantity} (γ = {ref.gamma:g}) |",
        f"| method | {ref.method} |",
        f"| citation | {ref.citation or '-'} |",
        "",
    ]


ENV_REFERENCES = "<!-- env-references -->"


def references_table(where: str) -> str:
    """Every registered environment's default reference record, one row each, linked to its page."""
    up = "../" * where.count("/")
    lines = [
        "| environment | kind | value | lower | upper | baseline | method |",
        "|---|---|---|---|---|---|---|",
    ]
    for env_id, name in env_names().items():
        ref = default_reference(env_id)
        link = f"[{name}]({up}envs/{name}.md)"
        if isinstance(ref, str):
            lines.append(f"| {link} | none yet | | | | | |")
            continue
        cells = (ref.kind, *map(_number, (ref.value, ref.lower, ref.upper)))
        random = f"{_interval(ref.random, ref.random_lower, ref.random_upper)} ({ref.baseline})"
        lines.append(f"| {link} | {' | '.join(cells)} | {random} | {ref.method} |")
    return "\n".join(lines)


def env_page(env_id: str) -> str:
    import gymnasium as gym

    cls, vcls = gen_media.env_class(env_id), gen_media.env_class(env_id, vector=True)
    name = env_id.split("/")[1].split("-v")[0]
    media = gen_media.media()[name]
    for file in [f"{name}.gif", *(f"{name}-{v.name}.png" for v in media.variants)]:
        if not (DOCS / "media" / file).exists():
            raise PluginError(f"docs/media/{file} is missing: run `python docs/gen_media.py --only {name}`")
    env = gym.make(env_id)
    try:
        spaces = (env.observation_space, env.action_space)
    finally:
        env.close()
    owners = (cls, getattr(cls, "task_type", cls))  # an env on rl_envs.core forwards its task's references
    exact = [f"`{a}`" for a in EXACT if any(hasattr(o, a) or a in getattr(o, "__annotations__", {}) for o in owners)]
    sections = _sections(gen_media.rst_to_markdown(inspect.getdoc(cls) or ""))
    path = f"{cls.__module__}.{cls.__name__}"
    lines = [
        f"# {name}",
        "",
        f"![{name}: {media.caption}](../media/{name}.gif){{ .env-animation }}",
        "",
        f"*{media.caption}*",
        "",
        "| property | value |",
        "|---|---|",
        f"| id | `{env_id}` |",
        f"| class | [`{cls.__name__}`][{path}] (`{cls.__module__}`) |",
        f"| vector env | [`{vcls.__name__}`][{vcls.__module__}.{vcls.__name__}] |",
        f"| observation space | `{space_text(spaces[0])}` |",
        f"| action space | `{space_text(spaces[1])}` |",
        f"| exact references (on `env.unwrapped`) | {', '.join(exact) if exact else 'none known'} |",
        "",
        "The text below is the class docstring; the spaces above are the default environment's own.",
        "",
    ]
    if sections[""]:
        lines += [sections[""], ""]
    for heading, body in sections.items():
        if heading:
            lines += [f"## {heading}", "", body, ""]
    lines += reference_section(env_id)
    if media.variants:
        lines += [
            "## Variants",
            "",
            "The first frame after `reset(seed=0)` of each, from `docs/gen_media.py`.",
            "",
            '<div class="variant-grid" markdown>',
            "",
        ]
        for v in media.variants:
            args = ", ".join(f"{k}={val!r}" for k, val in v.kwargs.items()) or "defaults"
            note = f"<br>{v.note}" if v.note else ""
            lines += [
                '<figure markdown="span">',
                f"![{name} {v.name}](../media/{name}-{v.name}.png)",
                f"<figcaption markdown>**{v.name}**: `{args}`{note}</figcaption>",
                "</figure>",
                "",
            ]
        lines += ["</div>", ""]
    if "Vector environment" not in sections:
        lines += [
            "## Vector environment",
            "",
            f'`gymnasium.make_vec("{env_id}", num_envs=n)` gives `{vcls.__name__}`:',
            "",
        ]
    lines += [gen_media.rst_to_markdown(inspect.getdoc(vcls) or ""), ""]
    kwargs = ", ".join(f"{k}={v!r}" for k, v in media.kwargs.items())
    make_args = f'"{env_id}"' + (f", {kwargs}" if kwargs else "")
    lines += [
        "## Example",
        "",
        "This example runs whenever the site is built (a broken example fails the build).",
        "",
        "```python",
        f"env = gym.make({make_args})",
        "obs, info = env.reset(seed=0)",
        "assert env.observation_space.contains(obs)",
        "episode_return, done = 0.0, False",
        "while not done:",
        "    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())",
        "    episode_return += float(reward)",
        "    done = terminated or truncated",
        'print("random policy, one episode:", episode_return)',
        "",
        f"venv = gym.make_vec({make_args}, num_envs=4)",
        "obs, infos = venv.reset(seed=0)",
        "obs, rewards, terminations, truncations, infos = venv.step(venv.action_space.sample())",
        "assert obs.shape[0] == rewards.shape[0] == 4",
        "```",
        "",
        f'Frames for a notebook: `gym.make({make_args}, render_mode="rgb_array")`, then `plt.imshow(env.render())`.',
        "",
    ]
    return "\n".join(lines)


COMPARE_ROWS = re.compile(r"^<!-- compare-rows: (.+?) -->$", re.M)
LINK = re.compile(r"(\]\()([^)\s]+)(\))")
SUMMARY = DOCS / "compare" / "summary.md"


def compare_rows(markdown: str, where: str) -> str:
    """Each ``<!-- compare-rows: ... -->`` line replaced by those agents' rows of the comparison."""
    lines = SUMMARY.read_text(encoding="utf-8").splitlines()
    header, rows = lines[:2], [line for line in lines[2:] if line.startswith("|")]

    def table(m: re.Match) -> str:
        agents = m.group(1).split()
        chosen = [r for r in rows if r.split("|")[2].strip() in agents]
        if not chosen:
            raise PluginError(f"{where}: no row of docs/compare/summary.md has agent {' or '.join(agents)}")
        return "\n".join(
            [
                "In the [default comparison](" + "../" * where.count("/") + "reports/sb3-comparison.md) "
                "(`make run`; the rows of its generated table):",
                "",
                *header,
                *chosen,
            ]
        )

    return COMPARE_ROWS.sub(table, markdown)


def repository_links(markdown: str, page_uri: str, source_url: str) -> str:
    """Links to repository files outside docs/ checked, and pointed at the source browser."""
    base = (DOCS / page_uri).parent

    def fix(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):
            return m.group(0)
        path = (base / target.split("#")[0]).resolve()
        if path.is_relative_to(DOCS) or not path.is_relative_to(ROOT):
            return m.group(0)  # MkDocs checks the links inside the site
        if not path.exists():
            raise PluginError(f"{page_uri}: the link {target!r} names {path.relative_to(ROOT)}, which does not exist")
        return f"{m.group(1)}{source_url.rstrip('/')}/{path.relative_to(ROOT).as_posix()}{m.group(3)}"

    return LINK.sub(fix, markdown)


ENV_GALLERY = "<!-- env-gallery -->"
ENV_MODULES = "<!-- env-modules -->"


def env_names() -> dict[str, str]:
    """Every id registered in the ``rl_envs/`` namespace -> its page's name."""
    return {m.env_id: name for name, m in gen_media.media().items()}


def gallery(where: str) -> str:
    """Each environment's animation, linked to its page, over its name and summary line."""
    up = "../" * where.count("/")
    lines = ['<div class="gallery" markdown>']
    for env_id, name in env_names().items():
        lines += [
            '<figure markdown="span">',
            f"[![{name}]({up}media/{name}.gif)]({up}envs/{name}.md)",
            f"<figcaption markdown>[{name}]({up}envs/{name}.md): {gen_media.summary(env_id)}</figcaption>",
            "</figure>",
        ]
    return "\n".join([*lines, "</div>"])


def env_modules() -> str:
    """A mkdocstrings block for each module that defines a registered environment, once each."""
    modules = dict.fromkeys(gen_media.env_class(env_id).__module__ for env_id in env_names())
    return "\n\n".join(f"::: {module}" for module in modules)


def environments_nav(nav: list) -> list:
    """``nav`` with its "Environments" section listing every environment's page."""
    section = next((item for item in nav if isinstance(item, dict) and "Environments" in item), None)
    if section is None:
        raise PluginError("mkdocs.yml's nav has no 'Environments' section for the environment pages")
    section["Environments"] = [f"envs/{name}.md" for name in env_names().values()]
    return nav


# -- MkDocs events ----------------------------------------------------------------------------------


def on_config(config):
    global _executor
    _runs.clear()
    _executor = ThreadPoolExecutor(max_workers=2) if os.environ.get("RL_ENVS_DOCS_EXAMPLES", "1") != "0" else None
    environments_nav(config.nav)
    if _executor is None:
        log.info("RL_ENVS_DOCS_EXAMPLES=0: the pages' examples are not run")
    return config


def on_files(files, config):
    for env_id, name in env_names().items():
        files.append(File.generated(config, f"envs/{name}.md", content=env_page(env_id)))
    katex = vendor_katex()
    for path in sorted(katex.rglob("*")):
        if path.is_file():
            rel = path.relative_to(katex).as_posix()
            files.append(File.generated(config, f"assets/katex/{rel}", abs_src_path=str(path)))
    return files


def on_page_markdown(markdown, page, config, files):
    if ENV_GALLERY in markdown:
        markdown = markdown.replace(ENV_GALLERY, gallery(page.file.src_uri))
    if ENV_MODULES in markdown:
        markdown = markdown.replace(ENV_MODULES, env_modules())
    if ENV_REFERENCES in markdown:
        markdown = markdown.replace(ENV_REFERENCES, references_table(page.file.src_uri))
    markdown = compare_rows(markdown, page.file.src_uri)
    markdown = repository_links(markdown, page.file.src_uri, config.extra.get("source_url", ""))
    if _executor is not None:
        try:
            blocks = examples.blocks_of(markdown, page.file.src_uri)
        except ValueError as e:
            raise PluginError(str(e)) from None
        for block in blocks:
            _runs.append((block, _executor.submit(examples.run, block)))
    return markdown


def on_post_build(config):
    if _executor is None:
        return
    failed, counts = [], {"passed": 0, "skipped": 0, "failed": 0}
    for block, future in _runs:
        status, detail = future.result()
        counts[status] += 1
        if status == "failed":
            failed.append(detail)
        elif status == "skipped":
            log.info(f"example {block.name} skipped: {detail}")
    _executor.shutdown()
    log.info(f"examples: {counts['passed']} passed, {counts['skipped']} skipped, {counts['failed']} failed")
    if failed:
        raise PluginError(f"{len(failed)} example(s) failed:\n\n" + "\n\n".join(failed))


SPHINX_ROLE = re.compile(r":(?:class|mod|func|meth|attr|data|obj|exc):(<code[^>]*>)~?")


def on_page_content(html, page, config, files):
    # The API reference renders the code's docstrings as they are; their Sphinx roles
    # (:class:`X`) reach the HTML as ":class:" before a code span, which a reader needs not see.
    return SPHINX_ROLE.sub(r"\1", html)
