"""Every code block in the user docs runs, and prints what the docs say it prints.

Conventions in ``docs/en/*.md`` and ``docs/zh/*.md`` (also described in ``docs/en/index.md``):

* A ```` ```python ```` block is executed.  The blocks of one page run in order in one namespace
  (later blocks use earlier names), in a fresh temporary working directory per page.
* A ```` ```text ```` block that directly follows a python block (only blank lines between) is
  that block's printed output: the test captures the block's stdout and compares it with the
  text block, line by line, trailing spaces ignored.  A python block with no text block after
  it must print nothing, so output shown in the docs is never stale and nothing is hidden.
  A warning raised by a block fails the test (a block that shows one catches it itself).
* A ```` ```console ```` block is a terminal session: each line starting with ``$ genesis`` is
  run in-process through ``genesis.cli.main`` and the lines up to the next ``$`` are its
  expected output (compared like a text block).  Lines starting with ``$`` and another command
  are shown but not run.
* ```` ```python no-run ```` marks a block that cannot run (kept to a minimum); ```` ```bash ````
  blocks are shell commands for the reader and are not run.

The plot script ``docs/make_plots.py`` is run for one plot into a temporary directory, and every
image a page references must exist.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import runpy
import shlex
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted((DOCS / "en").glob("*.md")) + sorted((DOCS / "zh").glob("*.md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def examples(page: Path) -> list[tuple[str, str, str | None, int]]:
    """``(kind, code, expected_output, line)`` for the runnable blocks of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    matches = list(FENCE.finditer(text))
    result = []
    for index, match in enumerate(matches):
        info, body = match.group(1).strip(), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if info == "python":
            expected = None
            if index + 1 < len(matches) and matches[index + 1].group(1).strip() == "text" \
                    and text[match.end():matches[index + 1].start()].strip() == "":
                expected = matches[index + 1].group(2)
            result.append(("python", body, expected, line))
        elif info == "console":
            result.append(("console", body, None, line))
        elif info not in ("python no-run", "bash", "text", ""):
            raise AssertionError(f"{page.name}:{line}: unknown fence tag {info!r}")
    return result


def run_console(body: str, where: str) -> None:
    """Run the ``$ genesis ...`` lines of a console block and compare their output."""
    from genesis.cli import main

    sessions: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        elif sessions:
            sessions[-1][1].append(line)
    for command, shown in sessions:
        argv = shlex.split(command)
        if argv[0] != "genesis":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = main(argv[1:])
            except SystemExit as exc:  # argparse exits for --help and usage errors
                status = exc.code
        assert _lines(out.getvalue()) == _lines("\n".join(shown)), \
            f"{where}: output of `{command}` (exit {status}) differs from the docs"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_code_blocks_run_and_print_what_the_docs_show(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps --help to the terminal width
    namespace: dict = {"__name__": "__docs__"}
    try:
        for kind, code, expected, line in examples(page):
            where = f"{page.relative_to(ROOT)}:{line}"
            if kind == "console":
                run_console(code, where)
                continue
            out = io.StringIO()
            # a warning is a flaw in the example (blocks that show one catch it themselves)
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("error")
                exec(compile(code, where, "exec"), namespace)
            shown = _lines(expected) if expected is not None else []
            assert _lines(out.getvalue()) == shown, \
                f"{where}: printed output differs from the ```text block after it"
    finally:
        plt.close("all")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_referenced_images_exist(page):
    for target in IMAGE.findall(page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        assert (page.parent / target).resolve().is_file(), f"{page.name}: missing image {target}"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of the headings of ``page``: lower case, no punctuation, spaces as -."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_links_between_pages_reach_a_file_and_heading(page):
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_file(), f"{page.name}: link to missing file {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked), f"{page.name}: no heading for {target}"


def test_every_page_has_code_or_is_the_index():
    for page in PAGES:
        assert examples(page) or page.name == "index.md", f"{page.name} has no runnable block"


def test_the_chinese_chapter_runs_the_same_code_as_the_english_one():
    """docs/zh/schedulers.md is a translation: its code and outputs are those of docs/en."""
    def code(page):
        return [(kind, body, expected) for kind, body, expected, _ in examples(page)]

    assert code(DOCS / "zh" / "schedulers.md") == code(DOCS / "en" / "schedulers.md")


def test_make_plots_script_writes_a_png(tmp_path, monkeypatch):
    argv = ["make_plots.py", "--out", str(tmp_path), "--only", "CosineAnnealingLR"]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(DOCS / "make_plots.py"), run_name="__main__")
    written = sorted(os.listdir(tmp_path))
    assert written == ["CosineAnnealingLR.png"]
    assert (tmp_path / written[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_image_in_docs_img_is_made_by_the_script():
    """The committed PNGs are exactly those make_plots.py knows how to draw."""
    namespace = runpy.run_path(str(DOCS / "make_plots.py"))
    committed = {p.stem for p in (DOCS / "img").glob("*.png")}
    assert committed == set(namespace["PLOTS"])
