"""Can the HW3 graders be trusted? The checks are described in tests/grader_trust.py."""

import pytest

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


@pytest.mark.parametrize("path", HW3.alternatives, ids=[p.parent.name for p in HW3.alternatives])
def test_alternative_gets_full_marks(grade, path):
    HW3.alternative_gets_full_marks(grade, path)


def test_alternatives_exist():
    assert len(HW3.alternatives) >= 3
