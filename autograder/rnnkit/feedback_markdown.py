"""Feedback as Gradescope shows it: plain text messages turned into Markdown (``output_format: md``).

The graders write plain text, because the same messages reach a student's own pytest run, where
Markdown would be noise. Only results.json carries Markdown, so that Gradescope renders what the
text already means: `names` in backticks become code, a traceback or a quoted line of the
student's code becomes a code block (its carets still under the right character), and the line
breaks stay where they were. Everything else is escaped: a student's printed output or a name
with ``*`` or ``_`` in it shows literally and can neither format the page nor inject HTML.
"""

import re

# Where a traceback starts: the kit's own heading and Python's.
_TRACEBACK_HEADING = re.compile(r"most recent call last\):\s*$")
# The last line of a traceback or of a syntax error's quote: "SyntaxError: '(' was never closed".
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Interrupt|Exit)\b.*$")
_FENCE = re.compile(r"^(`{3,})text$")
# What would format a line of prose, escaped as narrowly as possible so that the Markdown still
# reads as the plain text it came from (rnn_cell_forward keeps its underscores: CommonMark never
# reads an underscore between two letters as emphasis):
_INLINE_SPECIAL = re.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)"  # a backslash before punctuation or a line's end (an escape, a break)
    r"|\*|~(?=~)"  # emphasis, and strikethrough where Markdown has it
    r"|(?<!\w)_|_(?!\w)"  # emphasis by underscores at a word's edge
    r"|<"  # HTML and autolinks
    r"|&(?=#?\w+;)"  # an entity
    r"|\[(?=[^\]]*\]\s*[(\[])"  # a link: [text](url) or [text][ref]
)
# At the start of a line they make a heading, quote or list (a "- " list is kept: the kit writes them).
# A line of dashes alone would be a rule or underline the line above into a heading.
_LINE_START_SPECIAL = re.compile(r"^(\s*)(?:([#>+=~]|-(?=[-\s]*$))|(\d+)(?=[.)](\s|$)))")


def _indented(line):
    return line.startswith(("  ", "\t"))


def _code_blocks(lines):
    """Split ``lines`` into (is_code, [line]) runs: a traceback after its heading up to the next
    blank line, and any run of indented lines with the exception line that ends it."""
    runs, index = [], 0
    while index < len(lines):
        line = lines[index]
        start = index
        if _TRACEBACK_HEADING.search(line) and index + 1 < len(lines) and lines[index + 1].strip():
            runs.append((False, [line]))
            index += 1
            start = index
            while index < len(lines) and lines[index].strip():
                index += 1
        elif _indented(line) and line.strip():
            while index < len(lines) and _indented(lines[index]) and lines[index].strip():
                index += 1
            if index < len(lines) and _EXCEPTION_LINE.match(lines[index]):
                index += 1
        else:
            runs.append((False, [line]))
            index += 1
            continue
        runs.append((True, lines[start:index]))
    return runs


def _fence(lines):
    """A fenced block that no backtick run inside it can close early."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def _escape_line_start(match):
    """"# x" is no heading, "1. x" no numbered list: escape the mark (for a number, what follows it)."""
    indent, mark, number = match[1], match[2], match[3]
    return indent + (number + "\\" if number else "\\" + mark)


def _escape_text(line):
    """One line of prose: `code spans` kept, everything else escaped."""
    parts = re.split(r"((?<!`)`[^`\n]+`(?!`))", line)
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a balanced `span`: Markdown shows it as code, nothing inside needs escaping
            out.append(part)
            continue
        part = _INLINE_SPECIAL.sub(lambda m: "\\" + m[0], part).replace("`", "\\`")
        if index == 0:
            part = _LINE_START_SPECIAL.sub(_escape_line_start, part)
        out.append(part)
    return "".join(out)


def to_markdown(text):
    """``text`` (plain feedback) as Markdown that renders to the same words and lines: each line
    of text is one line of Markdown, and each code block is fenced in place (a fence needs no
    blank line around it), so ``plain_text`` gives the text back exactly."""
    if not text:
        return text
    out = []  # (is_prose, line)
    for is_code, lines in _code_blocks(text.split("\n")):
        if is_code:
            out += [(False, line) for line in _fence(lines)]
        else:
            out.append((bool(lines[0].strip()), _escape_text(lines[0]) if lines[0].strip() else ""))
    # Two trailing spaces: a line break where the text had one (Markdown would join the lines).
    return "\n".join(
        line + "  " if prose and index + 1 < len(out) and out[index + 1][0] else line
        for index, (prose, line) in enumerate(out)
    )


def markdown_results(results):
    """``results`` (a results.json dict) with its outputs in Markdown and the formats that say so."""
    if results.get("output"):
        results["output"] = to_markdown(results["output"])
    for test in results.get("tests", []):
        if test.get("output"):
            test["output"] = to_markdown(test["output"])
    results["output_format"] = "md"
    results["test_output_format"] = "md"
    return results


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _unescape_text(line):
    """One line of prose back as it was: escapes undone, `code spans` as they are. Every backtick
    ``_escape_text`` did not escape opens or closes a span it kept."""
    out, index = [], 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and line[index + 1] in _PUNCTUATION:
            out.append(line[index + 1])
            index += 2
        elif char == "`" and (end := line.find("`", index + 1)) > index:
            out.append(line[index:end + 1])
            index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def plain_text(markdown):
    """The plain message ``to_markdown`` made ``markdown`` from (for a reader that compares the
    words a student's own pytest shows: the same message, without its Markdown)."""
    out, fence = [], None
    for line in markdown.split("\n"):
        if fence is None and (opened := _FENCE.match(line)):
            fence = opened[1]
        elif fence is not None:
            if line == fence:
                fence = None
            else:
                out.append(line)
        else:
            out.append(_unescape_text(line.removesuffix("  ")))
    return "\n".join(out)
