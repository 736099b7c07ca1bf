"""Can the HW4 graders be trusted? The checks are described in tests/grader_trust.py."""

import pytest

from grader_trust import Homework, Mutant

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

MUTANTS = [
    # ---- the data recipe
    Mutant("vocab_ties_by_first_appearance", "for token in sorted(counts, key=lambda token: (-counts[token], token)):",
           "for token, _ in counts.most_common():", "alphabetical"),
    Mutant("min_freq_off_by_one", "counts[token] >= min_freq", "counts[token] > min_freq", "min_freq"),
    Mutant("unknown_words_as_pad", "return [vocab.get(token, UNK) for token in tokens]",
           "return [vocab.get(token, PAD) for token in tokens]", "UNK"),
    Mutant("source_without_eos", "return src + [EOS], [SOS] + tgt, tgt + [EOS]",
           "return src, [SOS] + tgt, tgt + [EOS]", "source ends with EOS"),
    Mutant("sos_left_on_the_target_output", "return src + [EOS], [SOS] + tgt, tgt + [EOS]",
           "return src + [EOS], [SOS] + tgt, [SOS] + tgt + [EOS]", "tgt_out"),
    Mutant("target_output_without_eos", "return src + [EOS], [SOS] + tgt, tgt + [EOS]",
           "return src + [EOS], [SOS] + tgt, tgt", "tgt_out"),
    Mutant("padding_with_the_wrong_id", "int(lengths.max())), pad_id, dtype=torch.int64)",
           "int(lengths.max())), EOS, dtype=torch.int64)", "pad_id"),
    # ---- the encoder
    Mutant("embedding_without_padding_idx",
           "self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)\n        self.gru = nn.GRU(embed_size,",
           "self.embedding = nn.Embedding(vocab_size, embed_size)\n        self.gru = nn.GRU(embed_size,", "padding_idx"),
    Mutant("gru_runs_over_the_padding", PACKED, "        return self.gru(self.embedding(src))\n", "last real token"),
    Mutant("final_state_from_the_last_column", PACKED, PACKED.replace(
        "return outputs, hidden", "return outputs, outputs[:, -1][None]"), "last real token"),
    # ---- attention
    Mutant("attention_ignores_the_mask", 'weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)',
           "weights = torch.softmax(scores, dim=1)", "padded positions"),
    Mutant("softmax_over_the_batch", 'weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)',
           'weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)', "time axis"),
    Mutant("scores_without_tanh", "self.v(torch.tanh(self.W_query(query)[:, None, :] + self.W_key(keys)))",
           "self.v(self.W_query(query)[:, None, :] + self.W_key(keys))", "tanh"),
    Mutant("context_is_the_mean_of_the_keys", "context = torch.bmm(weights[:, None, :], keys)[:, 0]",
           "context = keys.mean(dim=1)", "weighted average"),
    # ---- the decoder step
    Mutant("scores_instead_of_log_probabilities",
           "return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, weights",
           "return self.out(output[:, 0]), hidden, weights", "log_softmax"),
    Mutant("plain_decoder_context_from_the_last_column",
           "context = encoder_outputs[torch.arange(len(last)), last]", "context = encoder_outputs[:, -1]",
           "last real position"),
    # ---- greedy decoding
    Mutant("greedy_keeps_the_eos", GREEDY_STEP,
           GREEDY_STEP.replace("                    if not finished[row]:\n                        written", "                    written"),
           "EOS"),
    Mutant("greedy_writes_after_the_eos", GREEDY_STEP, GREEDY_STEP.replace("if not finished[row]:\n                    finished",
                                                                          "if True:\n                    finished", 1),
           "EOS"),
    Mutant("greedy_forgets_the_decoder_state", "log_probs, hidden, _ = decoder.forward_step(tokens, hidden, outputs, mask)",
           "log_probs, _, _ = decoder.forward_step(tokens, hidden, outputs, mask)", "at each step"),
]


def test_solution_blocks_cover_every_student_function():
    assert set(HW4.student_functions()) >= {"build_vocab", "numericalize", "make_example", "pad_batch", "greedy_decode"}


def test_reference_gets_full_marks(grade):
    HW4.reference_gets_full_marks(grade, min_points=60)


def test_stub_gets_nothing(grade_source):
    HW4.stub_gets_nothing(grade_source)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant_is_caught(grade_source, mutant):
    HW4.mutant_is_caught(grade_source, mutant)


@pytest.mark.parametrize("path", HW4.alternatives, ids=[p.parent.name for p in HW4.alternatives])
def test_alternative_gets_full_marks(grade, path):
    HW4.alternative_gets_full_marks(grade, path)


def test_alternatives_exist():
    assert len(HW4.alternatives) >= 3
