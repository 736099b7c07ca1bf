"""Can the HW3 graders be trusted? The checks are described in tests/grader_trust.py."""

import importlib.util
import re
import sys

import numpy as np
import pytest

from conftest import ROOT, total
from grader_trust import Homework, Mutant

HW3 = Homework("hw3_text_generation")

MUTANTS = [
    # ---- data
    Mutant("vocab_not_sorted", "chars = sorted(set(text))", "chars = list(dict.fromkeys(text))", "sorted"),
    Mutant("segments_drop_the_last", "starts = range(0, len(text) - maxlen, step)",
           "starts = range(0, len(text) - maxlen - 1, step)", "segments"),
    Mutant("step_ignored", "starts = range(0, len(text) - maxlen, step)",
           "starts = range(0, len(text) - maxlen)", "step"),
    Mutant("label_is_the_last_character", "[text[i + maxlen] for i in starts]",
           "[text[i + maxlen - 1] for i in starts]", "next character"),
    Mutant("one_hot_on_the_wrong_axis", "X = nn.functional.one_hot(indices, num_classes=len(char_to_idx)).to(torch.float32)",
           "X = nn.functional.one_hot(indices, num_classes=len(char_to_idx)).to(torch.float32).transpose(1, 2)",
           "one column per character"),
    Mutant("X_as_float64", ".to(torch.float32)\n    y = torch.tensor(", ".to(torch.float64)\n    y = torch.tensor(", "float32"),
    Mutant("y_as_one_hot", "    y = torch.tensor([char_to_idx[char] for char in next_chars], dtype=torch.int64)\n",
           "    y = nn.functional.one_hot(torch.tensor([char_to_idx[char] for char in next_chars]), len(char_to_idx))\n",
           "one index per segment"),
    # ---- the model
    Mutant("logits_from_the_first_step", "return self.fc(outputs[:, -1])", "return self.fc(outputs[:, 0])", "last time step"),
    Mutant("softmax_in_forward", "return self.fc(outputs[:, -1])", "return torch.softmax(self.fc(outputs[:, -1]), dim=1)",
           "probabilities"),
    Mutant("lstm_not_batch_first", "nn.LSTM(vocab_size, hidden_size, batch_first=True)",
           "nn.LSTM(vocab_size, hidden_size)", "batch_first"),
    Mutant("an_embedding_layer", "        self.lstm = nn.LSTM(vocab_size, hidden_size, batch_first=True)\n",
           "        self.embed = nn.Linear(vocab_size, 16)\n        self.lstm = nn.LSTM(16, hidden_size, batch_first=True)\n",
           "no embedding layer"),
    # ---- sampling
    Mutant("temperature_multiplied", "logs = np.log(probs[positive]) / temperature",
           "logs = np.log(probs[positive]) * temperature", "divide by the temperature"),
    Mutant("sampling_with_the_global_rng", "return int(rng.choice(len(probs), p=weights / weights.sum()))",
           "return int(np.random.choice(len(probs), p=weights / weights.sum()))", "rng"),
    Mutant("always_the_argmax", "return int(rng.choice(len(probs), p=weights / weights.sum()))",
           "return int(np.argmax(weights))", "argmax"),
    # ---- generation
    Mutant("window_never_slides", "window = (window + char)[-maxlen:]", "window = window + char", "last maxlen"),
    Mutant("window_never_grows", "window = (window + char)[-maxlen:]", "window = window", "own predictions"),
    Mutant("softmax_applied_twice", "probs = torch.softmax(model(X)[0].to(torch.float64), dim=0).numpy()",
           "probs = torch.softmax(torch.softmax(model(X)[0].to(torch.float64), dim=0), dim=0).numpy()",
           "one softmax"),
    Mutant("seed_returned_too", 'return "".join(written)', 'return seed_text[-maxlen:] + "".join(written)', "seed"),
    Mutant("temperature_not_passed_on", "char = chars[sample_next(probs, temperature, rng)]",
           "char = chars[sample_next(probs, 1.0, rng)]", "temperature"),
    # ---- contracts the hidden tests check: defaults, inputs left alone, temperature applied once
    Mutant("segments_default_step_1", "def make_segments(text, maxlen=MAXLEN, step=STEP):",
           "def make_segments(text, maxlen=MAXLEN, step=1):", "defaults"),
    Mutant("hidden_size_default_64", "def __init__(self, vocab_size, hidden_size=128):",
           "def __init__(self, vocab_size, hidden_size=64):", "128 units"),
    Mutant("probs_reweighted_in_place", "    logs = np.log(probs[positive]) / temperature\n",
           "    probs[positive] = np.log(probs[positive]) / temperature\n    logs = probs[positive]\n", "in place"),
    Mutant("temperature_applied_twice", "probs = torch.softmax(model(X)[0].to(torch.float64), dim=0).numpy()",
           "probs = torch.softmax(model(X)[0].to(torch.float64) / temperature, dim=0).numpy()", "applied twice"),
    Mutant("no_rng_means_seed_0", "rng = np.random.default_rng() if rng is None else rng",
           "rng = np.random.default_rng(0) if rng is None else rng", "fresh"),
    Mutant("forward_detached", "return self.fc(outputs[:, -1])", "return self.fc(outputs[:, -1]).detach()", "graph"),
]


def test_solution_blocks_cover_every_student_function():
    assert set(HW3.student_functions()) >= {"build_vocab", "make_segments", "vectorize", "sample_next", "generate"}


def test_reference_gets_full_marks(grade):
    HW3.reference_gets_full_marks(grade, min_points=30)


def test_stub_gets_nothing(grade_source):
    HW3.stub_gets_nothing(grade_source)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    HW3.mutant_is_caught(grade_source, mutant)


@pytest.mark.parametrize("name", sorted(HW3.alternatives))
def test_alternative_gets_full_marks(grade_source, name):
    HW3.alternative_gets_full_marks(grade_source, name)


def test_alternatives_exist():
    assert len(HW3.alternatives) >= 3


# ---- hostile return types: every function returns an odd type; grading must be the student's
# failures, each naming the type expected (or pointing at the upstream function that fails).

HOSTILE = """
import numpy as np
import torch
from torch import nn

MAXLEN = 40
STEP = 3


def build_vocab(text):
    return {"chars": sorted(set(text))}


def make_segments(text, maxlen=MAXLEN, step=STEP):
    return "segments"


def vectorize(segments, next_chars, char_to_idx):
    return ("X", [[1, "a", None], {"k": 2.5}])


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, hidden_size=128):
        super().__init__()
        self.lstm = nn.LSTM(vocab_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, X):
        return [[1, "a", None], (2.5, [3])]


def sample_next(probs, temperature, rng):
    return 10 ** 100


def generate(model, seed_text, length, char_to_idx, chars, temperature=1.0, rng=None, maxlen=MAXLEN):
    return (char for char in seed_text)


def train(model, X, y, epochs=1, batch_size=128, lr=0.01, seed=0):
    return {1: "loss"}
"""
EXPECTED_TYPES = {  # a word of the expected type each function's own failures must name
    "build_vocab": "tuple", "make_segments": "tuple", "vectorize": "tensor", "CharLSTM.forward": "tensor",
    "sample_next": "int", "generate": "string", "training": "tensor",
}


def test_hostile_return_types(grade_source):
    results = grade_source(HW3.id, HW3.module, HOSTILE)
    score, _ = total(results)
    assert score < 10, score  # the structure tests pass: CharLSTM itself is right
    assert "The autograder itself hit a problem" not in results.get("output", "")
    for test in results["tests"]:
        output = test["output"]
        assert "The autograder itself hit a problem" not in output, output
        if test["status"] != "failed" or " fails test " in output:  # passed, or pointing upstream
            continue
        subject = test["name"].split(":", 1)[0]
        assert EXPECTED_TYPES[subject] in output, f"{test['number']} {test['name']}: {output}"


def graders_module(name):
    """A grader file of HW3, imported as pytest imports it: a module of the graders' package."""
    graders = str(ROOT / "autograder" / "graders")
    if graders not in sys.path:
        sys.path.insert(0, graders)
    return importlib.import_module(f"{HW3.id}.{name}")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the graders' points marks
def test_type_checks_name_the_expected_type():
    """The checks generate's and sample_next's values go through (whose tests a hostile submission
    only reaches through a redirect), on odd values as they arrive from the sandbox."""
    from rnnkit.protocol import Opaque
    from rnnkit_testing import assert_dict, assert_int, assert_str_list, assert_tensor

    generate = graders_module("test_4_generate")
    for value in ({"text": "abc"}, ["a", "b"], Opaque("generator"), None, 10 ** 100):
        with pytest.raises(AssertionError, match="should be a string"):
            generate.check_text(value, 3, list("abc"))
    for value in (2.0, "3", np.array([1]), True, None, [[1, "a"], None]):
        with pytest.raises(AssertionError, match="should be an int"):
            assert_int(value, "index", low=0, high=6)
    with pytest.raises(AssertionError, match="int in"):
        assert_int(10 ** 100, "index", low=0, high=6)
    with pytest.raises(AssertionError, match="a dict with str keys"):
        assert_dict(Opaque("dict"), "char_to_idx")
    with pytest.raises(AssertionError, match="list of strings"):
        assert_str_list([["a"], 1], "segments")
    with pytest.raises(AssertionError, match="torch tensor"):
        assert_tensor([[1, 2], [3]], "X")


def test_readme_figures_are_the_corpus():
    """The README's corpus figures are what benchmarks/hw3_training.py computes, whatever this
    process has imported (pytest, torch, the kit)."""
    spec = importlib.util.spec_from_file_location("hw3_solution", HW3.solution)
    solution = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solution)
    text = solution.default_corpus(max_chars=200_000)
    chars, _ = solution.build_vocab(text)
    segments, _ = solution.make_segments(text)
    parameters = sum(p.numel() for p in solution.CharLSTM(len(chars)).parameters())
    readme = re.sub(r"\s+", " ", (HW3.solution.parent / "README.md").read_text())
    for figure in (f"{len(text):,} characters", f"V = {len(chars)}", f"{parameters:,} parameters",
                   f"{len(segments):,} segments"):
        assert figure in readme, f"README.md should say {figure!r} (what the benchmark computes)"
