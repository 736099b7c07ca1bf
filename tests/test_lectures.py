"""The lectures: every notebook runs top to bottom (as CI must), states the course's facts from
what it computes, draws its figures, and renders to pages a browser shows with those figures."""

import re
import subprocess

import nbformat
import pytest

from conftest import RNNKIT, ROOT, chromium_dom
from rnnkit.lectures import handouts, lectures

pytestmark = pytest.mark.xdist_group("lectures")  # one worker runs them all, once

# What the course states, and the lecture that must compute it (in a code cell's output).
FACTS = {
    "01_rnn_and_bptt": ["1.2^100 = 8.28e+07", "0.8^100 = 2.04e-10"],
    "02_lstm_and_gru": ["dc_t/dc_(t-1) equals f_t: True", "Keras: 102,585 parameters", "PyTorch: 103,097 parameters",
                        # the slides' hand-computed step: the new cell and hidden state
                        "0.99740·2 + 0.98621·0.96609 = 2.94757", "= 0.98623"],
    "03_language_models": ["next word after 'teach me and': i"],
    "04_text_classification": ["out-of-vocabulary id: 0"],
    "05_text_generation": ["CharLSTM(57, 128): 103,097 parameters", "segments of 40 characters every 3: "],
    "06_seq2seq_and_attention": ["special tokens: <PAD>=0 <SOS>=1 <EOS>=2 <UNK>=3"],
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("lectures")
    proc = subprocess.run([*RNNKIT, "lectures", "--out", str(out)], capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def outputs_text(book):
    return "\n".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for cell in book.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )


def test_the_course_facts_have_their_lectures():
    assert sorted(FACTS) == [lecture.name for lecture in lectures()]


@pytest.mark.parametrize("name", sorted(FACTS))
def test_lecture_ran_and_computed_its_facts(rendered, name):
    book = nbformat.read(rendered / f"{name}.ipynb", as_version=4)
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert code and all(cell.get("execution_count") for cell in code), "a cell did not run"
    assert not [o for cell in code for o in cell.outputs if o.get("output_type") == "error"]
    printed = outputs_text(book)
    for fact in FACTS[name]:
        assert fact in printed, f"{name} does not compute and print {fact!r}"
    figures = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
    assert figures, f"{name} draws no figure"


def test_lectures_use_the_reference_solutions():
    for lecture in lectures():
        if lecture.homework != "none":
            text = lecture.path.read_text()
            assert f'reference("{lecture.homework}")' in text, f"{lecture.name} does not import its homework's reference"


def test_index_and_a_lecture_open_in_chromium_with_their_figures(rendered, tmp_path):
    index = chromium_dom(rendered / "index.html", tmp_path / "index")
    for lecture in lectures():
        assert f"{lecture.name}.html" in index and lecture.title in index.replace("&amp;", "&")
        if lecture.homework != "none":
            assert f"assignments/{lecture.homework}/" in index  # a link to the homework folder
    for handout in handouts():
        assert f"{handout.stem}.html" in index and (rendered / f"{handout.stem}.html").is_file()
    page = chromium_dom(rendered / "02_lstm_and_gru.html", tmp_path / "lecture")
    images = page.count("<img")
    assert images >= 2 and page.count('data-loaded="yes"') == images, page[:1000]


def test_pages_load_nothing_from_the_network_and_show_their_formulas_as_mathml(rendered, tmp_path):
    """Offline (Chromium's proxy points nowhere): no page asks for a script or style from outside,
    and every formula is MathML the browser draws, no TeX left between dollar signs."""
    for page in rendered.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", text), page.name
        assert not re.search(r"<script[^>]*\bsrc=", text), page.name  # every script is the page's own
    for name, formulas in (("01_rnn_and_bptt", 5), ("02_lstm_and_gru", 10)):
        dom = chromium_dom(rendered / f"{name}.html", tmp_path / name, screenshot=tmp_path / f"{name}.png")
        assert dom.count("<math") >= formulas, name
        prose = re.sub(r"<(pre|code|math|script|style)\b.*?</\1>", "", dom, flags=re.S)
        prose = re.sub(r"<[^>]+>", "", prose)
        assert not re.search(r"\$[^$\n]*\\[a-z]+", prose), name  # no raw TeX such as $\tanh(...)$
        assert (tmp_path / f"{name}.png").stat().st_size > 100_000  # drawn, not a blank page


def test_the_index_links_each_lecture_its_notebook_and_its_homework_folder(rendered):
    index = (rendered / "index.html").read_text()
    links = re.findall(r"href='([^']+)'", index)
    for href in links:
        assert (rendered / href).exists(), href
    for lecture in lectures():
        assert f"{lecture.name}.ipynb" in links
        if lecture.homework != "none":
            assert any(href.rstrip("/").endswith(f"assignments/{lecture.homework}") for href in links)


def test_a_rendered_notebook_runs_again_from_its_own_folder(rendered):
    """A student who downloads the output folder re-runs a lecture there: lecture_support.py is
    beside it and finds the kit's reference solutions."""
    from nbclient import NotebookClient

    book = nbformat.read(rendered / "01_rnn_and_bptt.ipynb", as_version=4)
    NotebookClient(book, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(rendered)}}).execute()
    assert "1.2^100 = 8.28e+07" in outputs_text(book)
