"""Fixtures for the kit's own tests: grade a submission with the real CLI and read results.json."""

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.feedback_markdown import plain_text

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
RNNKIT = [sys.executable, "-m", "rnnkit"]


def run_grade(homework, submission, out_dir, *extra, timeout=300, prefix=(), env=None):
    """Run `rnnkit grade` in a child process; return (CompletedProcess, results dict).

    ``prefix`` runs it under another identity (see grader_modes.py); ``env`` adds variables."""
    out_dir = Path(out_dir)
    proc = subprocess.run(
        [*prefix, *RNNKIT, "grade", homework, str(submission), "--out", str(out_dir), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0", **(env or {})},
    )
    results_file = out_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else None
    return proc, results


@pytest.fixture
def grade(tmp_path):
    """grade(homework, submission) -> results dict; fails the test if the kit itself errored."""

    def _grade(homework, submission, *extra):
        proc, results = run_grade(homework, submission, tmp_path / "out", *extra)
        assert proc.returncode == 0, f"rnnkit grade failed:\n{proc.stdout}\n{proc.stderr}"
        assert results is not None, "no results.json written"
        return results

    return _grade


@pytest.fixture
def grade_source(tmp_path, grade):
    """grade_source(homework, module_name, source_text) -> results dict for a one-file submission."""

    def _grade_source(homework, module_name, source):
        path = tmp_path / f"{module_name}.py"
        path.write_text(source)
        return grade(homework, path)

    return _grade_source


def failed_outputs(results):
    """{test name: output} for every failed test, as the plain text the graders wrote (results.json
    carries it as Markdown for Gradescope)."""
    return {t["name"]: plain_text(t.get("output", "")) for t in results["tests"] if t["status"] == "failed"}


def total(results):
    return sum(t["score"] for t in results["tests"]), sum(t["max_score"] for t in results["tests"])


def chromium_dom(page, profile, screenshot=None):
    """The DOM headless Chromium builds from a local page (its scripts run; no network), or skip
    where there is no Chromium (CI installs it, so there it fails instead). With ``screenshot``
    (a .png path), Chromium also draws the page there, 1280 px wide."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("no chromium here (CI installs it)")
    proc = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--proxy-server=127.0.0.1:9", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    if screenshot is not None:  # a second run: Chromium draws or dumps, not both
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
             "--proxy-server=127.0.0.1:9", "--window-size=1280,2600", f"--screenshot={screenshot}", page.as_uri()],
            capture_output=True, timeout=120,
        )
    return proc.stdout


def reference_cells(homework, module, *inserted):
    """A homework's reference as a student's notebook would hold it: one code cell per top-level
    statement, with ``inserted`` cells after its imports and constants."""
    source = (SOLUTIONS / homework / f"{module}.py").read_text()
    tree = ast.parse(source)
    cells = [ast.get_source_segment(source, node) for node in tree.body]
    first_definition = next(i for i, node in enumerate(tree.body) if isinstance(node, (ast.FunctionDef, ast.ClassDef)))
    return cells[:first_definition] + list(inserted) + cells[first_definition:]


def notebook_text(cells, tags=None):
    """The JSON text of a notebook: a title cell, then one code cell per source (cell 2, 3, ... as
    Jupyter numbers them); ``tags`` maps an index in ``cells`` to that cell's tags."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_markdown_cell("# A student's notebook"))
    for index, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        book.cells.append(cell)
    return nbformat.writes(book)
