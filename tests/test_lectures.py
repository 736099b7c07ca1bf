"""The lectures: every notebook runs top to bottom (as CI must), states the course's facts from
what it computes, draws its figures, and renders to pages a browser shows with those figures."""

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
            assert f"assignments/{lecture.homework}/" in index
    for handout in handouts():
        assert f"{handout.stem}.html" in index and (rendered / f"{handout.stem}.html").is_file()
    page = chromium_dom(rendered / "02_lstm_and_gru.html", tmp_path / "lecture")
    images = page.count("<img")
    assert images >= 2 and page.count('data-loaded="yes"') == images, page[:1000]
