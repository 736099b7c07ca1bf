"""Feedback with one root cause: a failure of a function that builds on another one that already
fails points at that upstream test, and only the messages change, never the scores."""

import ast
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTIONS, failed_outputs
from grader_trust import Homework
from rnnkit import homeworks
from rnnkit.results import GradescopeResults

MODULES = {"hw1_rnn_cell": "rnn_cell", "hw2_lstm_gates": "lstm_gates", "hw3_text_generation": "text_generation",
           "hw4_seq2seq": "seq2seq"}


def reference_calls(homework_id, given=()):
    """{function: sorted public functions it calls} from the reference solution's source, leaving
    out the functions students receive whole."""
    tree = ast.parse((SOLUTIONS / homework_id / f"{MODULES[homework_id]}.py").read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    public = {name for name in functions if not name.startswith("_") and name not in given}
    calls = {}
    for name in sorted(public):
        called = {
            node.func.id for node in ast.walk(functions[name])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in public - {name}
        }
        if called:
            calls[name] = sorted(called)
    return calls


def reference_methods(homework_id):
    """{"Class.method"} of the reference solution's classes."""
    tree = ast.parse((SOLUTIONS / homework_id / f"{MODULES[homework_id]}.py").read_text())
    return {f"{node.name}.{item.name}" for node in tree.body if isinstance(node, ast.ClassDef)
            for item in node.body if isinstance(item, ast.FunctionDef)}


def reference_names(homework_id):
    """Every top-level function and class of the reference solution."""
    tree = ast.parse((SOLUTIONS / homework_id / f"{MODULES[homework_id]}.py").read_text())
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.parametrize("homework_id", sorted(MODULES))
def test_builds_on_is_the_reference_call_graph(homework_id):
    """Between functions, builds_on is exactly who calls whom in the reference. An edge through an
    object (greedy_decode runs the encoder it is given) cannot be read from the calls, nor one from
    a topic ("training"): they must name functions, classes and methods the reference has."""
    homework = homeworks.load(homework_id)
    functions = set(reference_calls(homework_id)) | {
        name for name in reference_names(homework_id) if name not in homework.given
    }
    between_functions = {name: sorted(u for u in uses if "." not in u)
                         for name, uses in homework.builds_on.items() if name in functions}
    assert {name: uses for name, uses in between_functions.items() if uses} == {
        name: uses for name, uses in reference_calls(homework_id, homework.given).items()
    }
    known = reference_names(homework_id) | reference_methods(homework_id)
    used = {item for uses in homework.builds_on.values() for item in uses}
    assert used <= known, f"builds_on names what the reference does not have: {sorted(used - known)}"


def test_one_missing_transpose_is_one_root_cause(grade_source):
    """The missing `.T` on W_hh in rnn_cell_forward: the cell's own tests name the transpose, and
    every failed check of a function built on the cell points at the cell's first failed test and
    blames nothing else."""
    source = (SOLUTIONS / "hw1_rnn_cell" / "rnn_cell.py").read_text()
    assert source.count("h_prev @ W_hh.T + b_h") == 1
    results = grade_source("hw1_rnn_cell", "rnn_cell", source.replace("h_prev @ W_hh.T + b_h", "h_prev @ W_hh + b_h"))
    outputs = failed_outputs(results)
    cell = {name: text for name, text in outputs.items() if name.startswith("rnn_cell_forward")}
    downstream = {name: text for name, text in outputs.items() if not name.startswith("rnn_cell_forward")}
    assert any("transpose" in text for text in cell.values())
    first = next(t for t in results["tests"] if t["status"] == "failed")
    assert first["name"].startswith("rnn_cell_forward")
    assert len(downstream) > 15
    for name, text in downstream.items():
        assert f"`rnn_cell_forward` fails test {first['number']}" in text, (name, text)
        assert not any(word in text for word in ("tanh", "+=", "squeez", "accumulate", "derivative")), text


def _collector(builds_on):
    """A results plugin with recorded outcomes: f and g fail, g builds on f, h on g; the fourth
    test found h missing altogether; F.m is a method of the class F, whose own test fails."""
    collector = GradescopeResults(builds_on)
    for number, (function, status, missing) in enumerate(
        [("f", "failed", False), ("g", "failed", False), ("g", "passed", False), ("h", "failed", True),
         ("h", "failed", False), ("k", "failed", False), ("F", "failed", False), ("F.m", "failed", False)],
        start=1,
    ):
        collector.tests[f"t{number}"] = {
            "file": Path("test_x.py"), "name": f"{function}: case {number}", "subject": function,
            "number": f"1.{number}", "points": 1.0, "visibility": "visible", "status": status,
            "message": "" if status == "passed" else f"own message {number}", "own_cause": missing,
        }
    return collector


def test_root_causes_change_messages_only():
    plain = _collector({}).results(0.0, {})["tests"]
    linked = _collector({"g": ["f"], "h": ["g"], "k": []}).results(0.0, {})["tests"]
    assert [(t["score"], t["status"]) for t in plain] == [(t["score"], t["status"]) for t in linked]
    messages = [t["output"] for t in linked]
    assert messages[0] == "own message 1"  # f is the root cause: its own message
    assert messages[1].startswith("`g` builds on `f`, and `f` fails test 1.1")  # whatever g's failure was
    assert messages[3] == "own message 4"  # h is missing itself: that is its own problem
    assert messages[4].startswith("`h` builds on `f`, and `f` fails test 1.1")  # the root, through g
    assert "own message" not in messages[4]  # and no hint of its own
    assert messages[5] == "own message 6"  # k builds on nothing
    assert messages[6] == "own message 7"  # the class's own test
    assert messages[7].startswith("`F.m` builds on `F`, and `F` fails test 1.7")  # a method on its class


def _string_literals(path):
    """Every string a grader file can show (f-strings with their fields as {})."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(
                part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
            )


@pytest.mark.parametrize("homework_id", sorted(MODULES))
def test_no_grader_text_spells_reference_code(homework_id):
    """Hints name the concept and where to look; none holds a line of the reference that the stub
    does not show (the mutant checks scan the messages actually produced, too)."""
    homework = Homework(homework_id)
    graders = sorted((ROOT / "autograder" / "graders" / homework_id).glob("test_*.py"))
    assert graders
    leaks = [
        f"{path.name}:{line}: {homework.code_in(text)}"
        for path in graders for line, text in _string_literals(path) if homework.code_in(text)
    ]
    assert not leaks, "\n".join(leaks)


def test_the_code_scan_finds_code():
    homework = Homework("hw1_rnn_cell")
    assert homework.code_in("Then dx = dz @ W_xh.") == ["dx=dz@W_xh"]
    assert homework.code_in("the derivative of tanh is 1 - tanh^2") == []


def test_a_wrong_type_gets_a_type_message_not_a_value_hint(grade_source):
    """A CS231n-style rnn_cell_forward that returns (h, cache) is told about the tuple, never to
    check a transpose or anything else about values."""
    source = (SOLUTIONS / "hw1_rnn_cell" / "rnn_cell.py").read_text()
    assert source.count("        return np.tanh(z)\n") == 1
    results = grade_source(
        "hw1_rnn_cell", "rnn_cell",
        source.replace("        return np.tanh(z)\n", "        return np.tanh(z), (x, h_prev, W_xh, W_hh, z)\n"),
    )
    cell = {name: text for name, text in failed_outputs(results).items() if name.startswith("rnn_cell_forward")}
    assert len(cell) >= 4, cell
    for name, text in cell.items():
        assert "got tuple" in text and "not a tuple" in text, (name, text)
        assert not any(word in text for word in ("transpose", "bias", "activation")), (name, text)
