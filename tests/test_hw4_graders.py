"""Can the HW4 graders be trusted? The checks are described in tests/grader_trust.py."""

import json
import os
import re
from pathlib import Path

import pytest

from conftest import ROOT, total
from grader_trust import Homework, Mutant
from rnnkit_testing import test_subject as subject_of

HW4 = Homework("hw4_seq2seq")

GREEDY_STEP = """                if not finished[row]:
                    finished[row] = token == EOS
                    if not finished[row]:
                        written[row].append(token)
"""
PACKED = """        packed = nn.utils.rnn.pack_padded_sequence(
            self.embedding(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.gru(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        return outputs, hidden
"""

MAKE_EXAMPLE = "return src + [EOS], [SOS] + tgt, tgt + [EOS]"
ATTENTION_WEIGHTS = 'weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)'
ENCODER_GRU = "self.gru = nn.GRU(embed_size, hidden_size, batch_first=True)"

# (the first failed test's keyword: the concept its message must name)
MUTANTS = [
    # ---- the data recipe
    Mutant("vocab_ties_by_first_appearance", "for token in sorted(counts, key=lambda token: (-counts[token], token)):",
           "for token, _ in counts.most_common():", "alphabetical"),
    Mutant("min_freq_off_by_one", "counts[token] >= min_freq", "counts[token] > min_freq", "min_freq"),
    Mutant("min_freq_defaults_to_two", "def build_vocab(sentences, min_freq=1):", "def build_vocab(sentences, min_freq=2):",
           "min_freq"),
    Mutant("unknown_words_as_pad", "return [vocab.get(token, UNK) for token in tokens]",
           "return [vocab.get(token, PAD) for token in tokens]", "UNK"),
    Mutant("source_without_eos", MAKE_EXAMPLE, "return src, [SOS] + tgt, tgt + [EOS]", "src_ids lacks its final EOS"),
    Mutant("target_input_without_sos", MAKE_EXAMPLE, "return src + [EOS], tgt, tgt + [EOS]", "tgt_in lacks its first SOS"),
    Mutant("sos_left_on_the_target_output", MAKE_EXAMPLE, "return src + [EOS], [SOS] + tgt, [SOS] + tgt + [EOS]",
           "tgt_out should not start with SOS"),
    Mutant("target_output_without_eos", MAKE_EXAMPLE, "return src + [EOS], [SOS] + tgt, tgt", "tgt_out lacks its final EOS"),
    Mutant("padding_with_the_wrong_id", "int(lengths.max())), pad_id, dtype=torch.int64)",
           "int(lengths.max())), EOS, dtype=torch.int64)", "pad_id"),
    Mutant("pad_id_ignored", "int(lengths.max())), pad_id, dtype=torch.int64)",
           "int(lengths.max())), PAD, dtype=torch.int64)", "pad_id"),
    Mutant("float_batch", "int(lengths.max())), pad_id, dtype=torch.int64)",
           "int(lengths.max())), pad_id, dtype=torch.float32)", "int64"),
    # ---- the encoder
    Mutant("embedding_without_padding_idx",
           "self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)\n        self.gru = nn.GRU(embed_size,",
           "self.embedding = nn.Embedding(vocab_size, embed_size)\n        self.gru = nn.GRU(embed_size,", "padding_idx"),
    Mutant("encoder_gru_not_batch_first", ENCODER_GRU, "self.gru = nn.GRU(embed_size, hidden_size)", "batch_first"),
    Mutant("gru_runs_over_the_padding", PACKED, "        return self.gru(self.embedding(src))\n", "last real token"),
    Mutant("final_state_from_the_last_column", PACKED, PACKED.replace(
        "return outputs, hidden", "return outputs, outputs[:, -1][None]"), "last real token"),
    # ---- attention
    Mutant("attention_with_bias", "self.W_query = nn.Linear(hidden_size, hidden_size, bias=False)",
           "self.W_query = nn.Linear(hidden_size, hidden_size)", "bias=False"),
    Mutant("attention_ignores_the_mask", ATTENTION_WEIGHTS, "weights = torch.softmax(scores, dim=1)", "padded positions"),
    Mutant("softmax_over_the_batch", ATTENTION_WEIGHTS, ATTENTION_WEIGHTS.replace("dim=1", "dim=0"), "time axis"),
    Mutant("scores_without_tanh", "self.v(torch.tanh(self.W_query(query)[:, None, :] + self.W_key(keys)))",
           "self.v(self.W_query(query)[:, None, :] + self.W_key(keys))", "tanh"),
    Mutant("context_is_the_mean_of_the_keys", "context = torch.bmm(weights[:, None, :], keys)[:, 0]",
           "context = keys.mean(dim=1)", "weighted average"),
    # ---- the decoder step
    Mutant("scores_instead_of_log_probabilities",
           "return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, weights",
           "return self.out(output[:, 0]), hidden, weights", "log_softmax"),
    Mutant("context_before_the_embedding",
           "step_input = torch.cat([self.embedding(prev_tokens), context], dim=1)[:, None, :]\n        output, hidden = self.gru(step_input, hidden)\n        return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, weights",
           "step_input = torch.cat([context, self.embedding(prev_tokens)], dim=1)[:, None, :]\n        output, hidden = self.gru(step_input, hidden)\n        return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, weights",
           "[embedding, context]"),
    Mutant("plain_decoder_context_from_the_last_column",
           "context = encoder_outputs[torch.arange(len(last)), last]", "context = encoder_outputs[:, -1]",
           "last real position"),
    # ---- greedy decoding
    Mutant("greedy_keeps_the_eos", GREEDY_STEP,
           GREEDY_STEP.replace("                    if not finished[row]:\n                        written", "                    written"),
           "EOS"),
    Mutant("greedy_writes_after_the_eos", GREEDY_STEP, GREEDY_STEP.replace("if not finished[row]:\n                    finished",
                                                                          "if True:\n                    finished", 1),
           "after their EOS"),
    Mutant("greedy_forgets_the_decoder_state", "log_probs, hidden, _ = decoder.forward_step(tokens, hidden, outputs, mask)",
           "log_probs, _, _ = decoder.forward_step(tokens, hidden, outputs, mask)", "state the previous step returned"),
    Mutant("greedy_feeds_sos_every_step", "log_probs, hidden, _ = decoder.forward_step(tokens, hidden, outputs, mask)",
           "log_probs, hidden, _ = decoder.forward_step(torch.full((len(src),), SOS), hidden, outputs, mask)",
           "fed SOS again"),
]


def test_solution_blocks_cover_every_student_function():
    assert set(HW4.student_functions()) >= {"build_vocab", "numericalize", "make_example", "pad_batch", "greedy_decode"}


def test_reference_gets_full_marks(grade):
    HW4.reference_gets_full_marks(grade, min_points=60)


def test_stub_gets_nothing(grade_source):
    HW4.stub_gets_nothing(grade_source)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    results = HW4.mutant_is_caught(grade_source, mutant)
    if os.environ.get("HW4_MUTANT_TABLE"):  # a folder: record each mutant's first failed test for the docs
        first = next(t for t in results["tests"] if t["status"] == "failed")
        Path(os.environ["HW4_MUTANT_TABLE"], f"{mutant.id}.json").write_text(json.dumps(
            {"id": mutant.id, "number": first["number"], "name": first["name"], "keyword": mutant.keyword,
             "score": total(results)}))


@pytest.mark.parametrize("name", sorted(HW4.alternatives))
def test_alternative_gets_full_marks(grade_source, name):
    HW4.alternative_gets_full_marks(grade_source, name)


def test_alternatives_exist():
    assert len(HW4.alternatives) >= 3


# ---- hostile return types: every function and method returns an odd type, and each failure is the
# student's own, naming the type the docstring promises (never a kit error).

HOSTILE_RETURNS = {  # solution block (in order) -> what it returns instead; None keeps the block
    "build_vocab": '["<PAD>", "<SOS>", "<EOS>", "<UNK>"]',  # a list instead of a dict
    "numericalize": "torch.tensor([1, 2])",  # a tensor instead of a list
    "make_example": "(token for token in src_tokens)",  # a generator object
    "pad_batch": "[[1, 2], [3]], [2, 1]",  # lists instead of tensors
    "EncoderRNN.__init__": None,
    "EncoderRNN.forward": '{"outputs": src}',  # a dict
    "Attention.__init__": None,
    "Attention.forward": "None",
    "AttnDecoderRNN.__init__": None,
    "AttnDecoderRNN.forward_step": '"log_probs"',  # a string
    "DecoderRNN.__init__": None,
    "DecoderRNN.forward_step": '[1, "a", [2.5, None]]',  # a nested list of mixed types
    "greedy_decode": '[[1, "a"], {"x": 1}, None][:len(src)]',
}
EXPECTED_TYPES = {  # what a failed test's message must name, by its subject
    "build_vocab": "dict", "numericalize": "list of ints", "make_example": "tuple", "pad_batch": "tensor",
    "EncoderRNN.forward": "tuple", "Attention.forward": "tuple", "AttnDecoderRNN.forward_step": "tuple",
    "DecoderRNN.forward_step": "tensor", "greedy_decode": "list",
}


def hostile_source():
    source = HW4.solution.read_text()
    blocks = list(re.finditer(r"( *)# BEGIN SOLUTION\n.*?# END SOLUTION\n", source, flags=re.S))
    assert len(blocks) == len(HOSTILE_RETURNS), "a solution block was added or removed: update HOSTILE_RETURNS"
    for block, value in reversed(list(zip(blocks, HOSTILE_RETURNS.values()))):
        if value is not None:
            source = source[:block.start()] + f"{block.group(1)}return {value}\n" + source[block.end():]
    return source


def test_hostile_return_types(grade_source):
    results = grade_source(HW4.id, HW4.module, hostile_source())
    assert total(results)[0] < total(results)[1]
    assert "The autograder itself hit a problem" not in results.get("output", "")
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert {subject_of(t["name"]) for t in failed} >= set(EXPECTED_TYPES), "a function's odd type went unnoticed"
    for test in failed:
        assert "The autograder itself hit a problem" not in test["output"], test
        if " fails test " in test["output"]:  # pointed at the function it builds on: checked there
            continue
        subject = subject_of(test["name"])
        if subject in EXPECTED_TYPES:
            assert EXPECTED_TYPES[subject] in test["output"], (test["number"], test["name"], test["output"])


# ---- the README's figures are the benchmark's, run the way the README says (no training here).

RECORD = json.loads((ROOT / "benchmarks" / "hw4_translation.json").read_text())
README = (ROOT / "solutions" / "hw4_seq2seq" / "README.md").read_text()
NOTEBOOK = (ROOT / "solutions" / "hw4_seq2seq" / "notebook.md").read_text()


@pytest.mark.parametrize("name", ["attention", "no attention"])
def test_readme_figures_are_the_benchmarks(name):
    model = RECORD["models"][name]
    label = {"attention": "with attention", "no attention": "without attention"}[name]
    row = next(line for line in README.splitlines() if line.startswith(f"| {label} |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == f"{model['parameters']:,}"
    assert cells[3] == f"{model['first_epoch_loss']:.3f} → {model['last_epoch_loss']:.3f}"
    assert cells[4] == f"{model['exact_match']:.1%}"


def test_notebook_and_benchmark_train_the_same_way():
    """The notebook's experiment seeds each model right before building it, as the benchmark does,
    with the benchmark's data and settings (so it prints the README's figures)."""
    settings = RECORD["settings"]
    assert f"date_pairs({settings['train']}, seed=0), date_pairs({settings['held_out']}, seed=1)" in NOTEBOOK
    assert settings["embed"] == 32 and settings["hidden"] == 64 and settings["epochs"] == 3
    loop = NOTEBOOK[NOTEBOOK.index("for name, decoder_class in"):]
    assert loop.index("torch.manual_seed(0)") < loop.index("EncoderRNN(len(src_vocab), 32, 64)")
    assert "epochs=3" in loop
    assert f"{settings['train']:,} dates" in README and f"{settings['held_out']} held-out" in README
