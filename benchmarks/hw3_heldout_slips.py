"""Held-out HW3 slips: how many realistic student slips keep full marks? (Not part of CI.)

    .venv/bin/python benchmarks/hw3_heldout_slips.py [--workers 2] [--only ID ...] [-v]

Each slip is a textual edit of the reference solution (one or more find/replace pairs), written
independently of the MUTANTS in tests/test_hw3_graders.py, which the graders were tuned against:
this set measures how well the graders catch the slips they were not tuned on. Each slipped
module is graded with `rnnkit grade`; the script prints, per slip, the score and the first failed
test (number, name and the first line of its message), then how many kept full marks (the aim is
0) and whether the kit itself failed anywhere (exit status 2 or a kit error message).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "hw3_text_generation" / "text_generation.py"

RANGE = "range(0, len(text) - maxlen, step)"
FORWARD = "return self.fc(outputs[:, -1])"
LSTM = "nn.LSTM(vocab_size, hidden_size, batch_first=True)"
DRAW = "return int(rng.choice(len(probs), p=weights / weights.sum()))"
LOGS = "logs = np.log(probs[positive]) / temperature"
PROBS = "probs = torch.softmax(model(X)[0].to(torch.float64), dim=0).numpy()"
SLIDE = "window = (window + char)[-maxlen:]"
DEFAULT_RNG = "rng = np.random.default_rng() if rng is None else rng"
Y = "y = torch.tensor([char_to_idx[char] for char in next_chars], dtype=torch.int64)"

SLIPS = {
    # ---- build_vocab
    "vocab_set_order": [("chars = sorted(set(text))", "chars = list(set(text))")],
    "vocab_reverse_sorted": [("chars = sorted(set(text))", "chars = sorted(set(text), reverse=True)")],
    "vocab_index_from_one": [("{char: index for index, char in enumerate(chars)}",
                              "{char: index + 1 for index, char in enumerate(chars)}")],
    "vocab_returns_dict_only": [("return chars, {char: index", "return {char: index")],
    # ---- make_segments
    "segments_start_at_step": [(RANGE, "range(step, len(text) - maxlen, step)")],
    "segments_one_too_many": [(RANGE, "range(0, len(text) - maxlen + 1, step)")],
    "segments_one_short": [("[text[i:i + maxlen] for i in starts]", "[text[i:i + maxlen - 1] for i in starts]")],
    "segments_maxlen_hard_coded": [(RANGE, "range(0, len(text) - 40, step)")],
    "segments_step_hard_coded": [(RANGE, "range(0, len(text) - maxlen, 3)")],
    "segments_as_pairs": [("return [text[i:i + maxlen] for i in starts], [text[i + maxlen] for i in starts]",
                           "return list(zip([text[i:i + maxlen] for i in starts], [text[i + maxlen] for i in starts]))")],
    # ---- vectorize
    "X_left_as_int64": [("X = nn.functional.one_hot(indices, num_classes=len(char_to_idx)).to(torch.float32)",
                         "X = nn.functional.one_hot(indices, num_classes=len(char_to_idx))")],
    "y_as_float32": [(Y, Y.replace("torch.int64", "torch.float32"))],
    "one_hot_without_num_classes": [("nn.functional.one_hot(indices, num_classes=len(char_to_idx))",
                                     "nn.functional.one_hot(indices)")],
    "returns_y_then_X": [("    return X, y\n", "    return y, X\n")],
    "y_from_the_segment_end": [(Y, "y = torch.tensor([char_to_idx[segment[-1]] for segment in segments], dtype=torch.int64)")],
    # ---- CharLSTM
    "two_lstm_layers": [(LSTM, "nn.LSTM(vocab_size, hidden_size, num_layers=2, batch_first=True)")],
    "gru_instead_of_lstm": [(LSTM, "nn.GRU(vocab_size, hidden_size, batch_first=True)")],
    "fc_without_bias": [("nn.Linear(hidden_size, vocab_size)", "nn.Linear(hidden_size, vocab_size, bias=False)")],
    "bidirectional": [(LSTM, "nn.LSTM(vocab_size, hidden_size, batch_first=True, bidirectional=True)"),
                      ("nn.Linear(hidden_size, vocab_size)", "nn.Linear(2 * hidden_size, vocab_size)")],
    "hidden_size_hard_coded": [(LSTM, "nn.LSTM(vocab_size, 128, batch_first=True)"),
                               ("nn.Linear(hidden_size, vocab_size)", "nn.Linear(128, vocab_size)")],
    "fc_named_dense": [("self.fc = nn.Linear", "self.dense = nn.Linear"), (FORWARD, "return self.dense(outputs[:, -1])")],
    # ---- CharLSTM.forward
    "mean_over_time": [(FORWARD, "return self.fc(outputs.mean(dim=1))")],
    "log_softmax_in_forward": [(FORWARD, "return torch.log_softmax(self.fc(outputs[:, -1]), dim=1)")],
    "relu_before_fc": [(FORWARD, "return self.fc(torch.relu(outputs[:, -1]))")],
    "last_batch_row": [(FORWARD, "return self.fc(outputs[-1])")],
    "lstm_under_no_grad": [("        outputs, _ = self.lstm(X)\n",
                            "        with torch.no_grad():\n            outputs, _ = self.lstm(X)\n")],
    # ---- sample_next
    "weights_not_normalized": [(DRAW, "return int(rng.choice(len(probs), p=weights))")],
    "temperature_ignored": [(LOGS, "logs = np.log(probs[positive])")],
    "log_forgotten": [(LOGS, "logs = probs[positive] / temperature")],
    "temperature_inside_the_log": [(LOGS, "logs = np.log(probs[positive] / temperature)")],
    "returns_a_float": [(DRAW, "return float(rng.choice(len(probs), p=weights / weights.sum()))")],
    "returns_an_array": [(DRAW, "return rng.choice(len(probs), size=1, p=weights / weights.sum())")],
    "a_fixed_seed_rng": [(DRAW, "return int(np.random.default_rng(0).choice(len(probs), p=weights / weights.sum()))")],
    # ---- generate
    "window_from_the_seed_start": [("window, written = seed_text[-maxlen:], []", "window, written = seed_text[:maxlen], []")],
    "logits_not_softmaxed": [(PROBS, "probs = model(X)[0].to(torch.float64).numpy()")],
    "one_character_short": [("for _ in range(length):", "for _ in range(length - 1):")],
    "new_character_in_front": [(SLIDE, "window = (char + window)[-maxlen:]")],
    "global_np_random_by_default": [(DEFAULT_RNG, "rng = np.random if rng is None else rng")],
    "rng_argument_ignored": [(DEFAULT_RNG, "rng = np.random.default_rng()")],
    "returns_a_list": [('return "".join(written)', "return written")],
}


def mutate(source, edits):
    for find, replace in edits:
        if source.count(find) != 1:
            raise SystemExit(f"out of sync with the reference: {find!r} occurs {source.count(find)} times")
        source = source.replace(find, replace)
    return source


def grade(slip_id, source, folder):
    submission = folder / slip_id / "text_generation.py"
    submission.parent.mkdir(parents=True)
    submission.write_text(source)
    out = folder / slip_id / "out"
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "grade", "hw3_text_generation", str(submission),
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else None
    return slip_id, proc.returncode, results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="slip ids to grade (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failed test's message")
    args = parser.parse_args()
    source = SOLUTION.read_text()
    slips = {k: mutate(source, v) for k, v in SLIPS.items() if not args.only or k in args.only}
    full_marks, kit_problems = [], []
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.workers) as pool:
        jobs = [pool.submit(grade, k, v, Path(folder)) for k, v in slips.items()]
        for job in jobs:
            slip_id, returncode, results = job.result()
            if returncode != 0 or results is None:
                kit_problems.append(slip_id)
                print(f"{slip_id:30s} KIT ERROR (exit status {returncode})", flush=True)
                continue
            tests = results["tests"]
            score, max_score = sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)
            failed = [t for t in tests if t["status"] == "failed"]
            if any("The autograder itself hit a problem" in t["output"] for t in tests):
                kit_problems.append(slip_id)
            if not failed:
                full_marks.append(slip_id)
                print(f"{slip_id:30s} {score:g}/{max_score:g}  FULL MARKS", flush=True)
                continue
            first = failed[0]
            line = first["output"].strip().splitlines()[0][:150]
            print(f"{slip_id:30s} {score:g}/{max_score:g}  first failed {first['number']} ({first['name'][:50]}): {line}",
                  flush=True)
            if args.verbose:
                for test in failed[1:]:
                    print(f"{'':32s}{test['number']}: {test['output'].strip().splitlines()[0][:150]}")
    print(f"\n{len(full_marks)} of {len(slips)} held-out slips keep full marks"
          + (f": {', '.join(full_marks)}" if full_marks else ""))
    print(f"kit errors: {len(kit_problems)}" + (f" ({', '.join(kit_problems)})" if kit_problems else ""))
    return 1 if kit_problems else 0


if __name__ == "__main__":
    sys.exit(main())
