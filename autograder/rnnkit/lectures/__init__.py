"""``rnnkit lectures``: the lecture notebooks, built from ``lectures/*.md``, run, and rendered.

A lecture's source is markdown with fenced python blocks (the same form as a homework's
notebook.md): each block becomes a code cell, the text between them markdown cells, and a line
``<!-- homework: hw1_rnn_cell -->`` says which homework the lecture leads to. The notebooks are
built on the fly and their outputs never committed: what is in the repository is what was
written, and every number a lecture states is computed when it runs. Lectures import the kit's
reference solutions through ``lectures/lecture_support.py`` instead of copying them.

``render(out)`` builds each lecture, runs it in a Jupyter kernel (working directory
``lectures/``), and writes ``<name>.ipynb`` (executed) and ``<name>.html`` (figures embedded),
the handouts (the other ``lectures/*.md``) as HTML, and ``index.html`` linking each lecture to its
homework.
"""

import copy
import html
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from rnnkit import KIT_ROOT
from rnnkit.errors import KitError
from rnnkit.engine.narrative import KERNELSPEC, blocks

LECTURES_ROOT = KIT_ROOT / "lectures"
TEMPLATES = Path(__file__).with_name("templates")
SUPPORT = "lecture_support.py"  # copied beside the rendered notebooks, so that they run there too
_HOMEWORK = re.compile(r"^<!--\s*homework:\s*(\S+)\s*-->\s*$", re.M)
_TITLE = re.compile(r"^#\s+(.+)$", re.M)
# A lecture's figures are images in its HTML; the page marks each one that loaded, so a browser
# test can tell a figure that renders from a broken one.
_MARK_LOADED = """<script>
for (const image of document.querySelectorAll("img")) {
  const mark = () => image.setAttribute("data-loaded", image.naturalWidth > 0 ? "yes" : "no");
  image.complete ? mark() : image.addEventListener("load", mark);
}
</script>
</body>"""


class LectureError(KitError, RuntimeError):
    pass


@dataclass(frozen=True)
class Lecture:
    path: Path
    title: str
    homework: str  # the homework id, or "none"

    @property
    def name(self):
        return self.path.stem

    @classmethod
    def read(cls, path):
        text = path.read_text()
        title, homework = _TITLE.search(text), _HOMEWORK.search(text)
        if title is None or homework is None:
            raise LectureError(f"{path} needs a '# title' line and a '<!-- homework: ... -->' line")
        return cls(path, title[1].strip(), homework[1])


def lectures(root=LECTURES_ROOT):
    """The lectures, in order (their files start with a number)."""
    return [Lecture.read(path) for path in sorted(root.glob("[0-9]*.md"))]


def handouts(root=LECTURES_ROOT):
    """The other markdown files: material for the instructor, not run."""
    return sorted(path for path in root.glob("*.md") if not path.name[0].isdigit())


def notebook(lecture):
    """The lecture as a notebook (not yet run)."""
    cells = []
    for kind, body in blocks(lecture.path.read_text()):
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(_HOMEWORK.sub("", body).strip()))
        elif kind == "python":
            cells.append(nbformat.v4.new_code_cell(body.strip()))
        else:
            raise LectureError(f"{lecture.path}: a lecture has no <!-- {kind}: --> directives")
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    return nbformat.v4.new_notebook(cells=[c for c in cells if c.source], metadata={
        "kernelspec": KERNELSPEC,
        "rnnkit": {"homework": lecture.homework},
    })


def execute(book, timeout=120):
    """Run every cell in a fresh kernel in lectures/; a cell that raises stops it with the error."""
    from nbclient import NotebookClient

    NotebookClient(book, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(LECTURES_ROOT)}}).execute()
    return book


def _html(book, title):
    """The page of a notebook: its formulas as MathML, no script from anywhere but the page."""
    from nbconvert import HTMLExporter

    from rnnkit.lectures.math import with_mathml  # the instructor extra, like nbconvert

    book = copy.deepcopy(book)
    for cell in book.cells:
        if cell.cell_type == "markdown":
            cell.source = with_mathml(cell.source)
    exporter = HTMLExporter(template_name="classic", extra_template_paths=[str(TEMPLATES)],
                            template_file="offline.html.j2")
    body, _ = exporter.from_notebook_node(book, resources={"metadata": {"name": title}})
    return body.replace("</body>", _MARK_LOADED, 1)


def _homework_cell(homework, out):
    """A link to the homework's folder of the student release, relative to the pages (so it
    works from any copy of the repository); plain text when the release is not there."""
    if homework == "none":
        return ""
    folder = KIT_ROOT / "assignments" / homework
    if not folder.is_dir():
        return html.escape(homework)
    href = Path(os.path.relpath(folder, out.resolve())).as_posix() + "/"
    return f"<a href='{html.escape(href)}'>{html.escape(homework)}</a>"


def _index(rows, handout_names):
    items = "\n".join(
        f"<tr><td><a href='{html.escape(name)}.html'>{html.escape(title)}</a></td>"
        f"<td><a href='{html.escape(name)}.ipynb'>notebook</a></td>"
        f"<td>{homework_cell}</td><td>{seconds:.1f} s</td></tr>"
        for name, title, homework_cell, seconds in rows
    )
    extra = "\n".join(f"<li><a href='{html.escape(n)}.html'>{html.escape(n)}</a></li>" for n in handout_names)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>rnnkit lectures</title>
<style>body {{ font-family: sans-serif; max-width: 50em; margin: 2em auto; }} td, th {{ padding: 0.3em 1em; text-align: left; }}</style>
</head><body>
<h1>Lectures</h1>
<table><tr><th>Lecture</th><th>Notebook</th><th>Homework</th><th>Run time</th></tr>
{items}
</table>
<h2>Handouts</h2>
<ul>
{extra}
</ul>
</body></html>
"""


def render(out, names=None, log=print):
    """Build, run and render the lectures (all, or those whose file name starts with one of
    ``names``) and the handouts into ``out``; returns the index page's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = [lecture for lecture in lectures() if not names or lecture.name.startswith(tuple(names))]
    if names and not chosen:
        raise LectureError(f"no lecture matches {', '.join(names)}")
    rows = []
    for lecture in chosen:
        started = time.monotonic()
        book = execute(notebook(lecture))
        seconds = time.monotonic() - started
        nbformat.write(book, out / f"{lecture.name}.ipynb")
        (out / f"{lecture.name}.html").write_text(_html(book, lecture.title))
        rows.append((lecture.name, lecture.title, _homework_cell(lecture.homework, out), seconds))
        log(f"{lecture.name}: ran in {seconds:.1f} s")
    shutil.copyfile(LECTURES_ROOT / SUPPORT, out / SUPPORT)
    extra = handouts()
    for path in extra:
        book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(path.read_text())])
        (out / f"{path.stem}.html").write_text(_html(book, path.stem))
    index = out / "index.html"
    index.write_text(_index(rows, [path.stem for path in extra]))
    return index
