"""Feedback in Markdown: what Gradescope renders says exactly what the plain message said."""

import html
import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rnnkit.feedback_markdown import markdown_results, plain_text, to_markdown

# CommonMark, as Gradescope's renderer reads it; raw HTML on, so that an escape that failed shows.
RENDER = MarkdownIt("commonmark", {"html": True}).render

STUB = (
    "`rnn_cell_forward` raised NotImplementedError: rnn_cell_forward is not implemented yet\n\n"
    "Where (your code, most recent call last):\n"
    '  File "rnn_cell.py", line 51, in rnn_cell_forward\n'
    '    raise NotImplementedError("rnn_cell_forward is not implemented yet")'
)
SYNTAX = (
    "rnn_cell.py could not be imported: File \"rnn_cell.py\", line 257\n"
    "    def unfinished(x:\n"
    "                  ^\n"
    "SyntaxError: '(' was never closed"
)


class _Text(HTMLParser):
    """The text a reader sees, and the tags it sits in."""

    def __init__(self):
        super().__init__()
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "br":
            self.text.append("\n")

    def handle_data(self, data):
        self.text.append(data)


def seen(markdown):
    parser = _Text()
    parser.feed(RENDER(markdown))
    return "".join(parser.text), parser.tags


def words(text):
    return text.split()


def test_a_traceback_is_a_code_block_with_its_lines_and_the_names_are_code():
    page = RENDER(to_markdown(STUB))
    assert "<code>rnn_cell_forward</code> raised NotImplementedError" in page
    block = re.search(r"<pre><code[^>]*>(.*?)</code></pre>", page, re.S)[1]
    assert html.unescape(block).splitlines() == STUB.splitlines()[3:]


def test_a_syntax_errors_caret_stays_under_its_character():
    page = RENDER(to_markdown(SYNTAX))
    block = html.unescape(re.search(r"<pre><code[^>]*>(.*?)</code></pre>", page, re.S)[1]).splitlines()
    assert block == SYNTAX.splitlines()[1:]
    assert block[1].index("^") == block[0].index("(")


def test_markup_a_student_prints_shows_literally():
    hostile = (
        "Last output: <script>alert(1)</script> **bold** _slanted_ [link](http://example.com) &amp;\n"
        "# not a heading\n> not a quote\n1. not a list\n3 * 4 = 12 and h_{t-1}, W_hh, x_t"
    )
    text, tags = seen(to_markdown(hostile))
    assert [line for line in text.splitlines() if line] == hostile.splitlines()  # same words, same lines
    assert set(tags) <= {"p", "br"}, tags  # no script, emphasis, link, heading, quote or list


def test_the_kits_own_lists_and_paragraphs_stay():
    notes = "Some cells did not run:\n- code cell 3 raised NameError\n- code cell 5 raised SyntaxError\n\nThe rest is graded."
    text, tags = seen(to_markdown(notes))
    assert tags.count("li") == 2 and tags.count("p") == 2
    assert words(text) == [word for word in words(notes) if word != "-"]


def test_results_say_markdown_and_every_message_is_converted():
    results = {"output": "Graded *x*.", "tests": [{"output": STUB}, {"output": ""}]}
    markdown_results(results)
    assert results["output_format"] == results["test_output_format"] == "md"
    assert results["output"] == r"Graded \*x\*." and "```text" in results["tests"][0]["output"]
    assert results["tests"][1]["output"] == ""


# Text built from what Markdown reads as syntax, in lines, some indented, some quoting tracebacks.
_PIECES = st.sampled_from(
    list("*_`<>&[]()#!\\|~-+=.:") + ["```", "1.", "  ", "x", "word", "h_t", "Traceback (most recent call last):", "Error: x", " "]
)
_LINES = st.lists(st.lists(_PIECES, max_size=8).map("".join), min_size=1, max_size=6).map("\n".join)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_LINES)
def test_any_message_renders_to_its_own_words_and_reads_back_exactly(message):
    def trimmed(text):  # trailing spaces are invisible, and Markdown gives them a meaning
        return [line.rstrip() for line in text.split("\n")]

    assert trimmed(plain_text(to_markdown(message))) == trimmed(message)
    text, tags = seen(to_markdown(message))
    assert not {"script", "a", "em", "strong", "h1", "h2", "hr", "blockquote", "ol", "img"} & set(tags)
    # "- " lines are a list (the kit writes them): its marks go, every other word stays.
    if "ul" in tags:
        message = re.sub(r"^\s*- ", "", message, flags=re.M)
    # A `span` is shown as code, without its backticks: they alone may differ.
    assert "".join(words(text)).replace("`", "") == "".join(words(message)).replace("`", "")
