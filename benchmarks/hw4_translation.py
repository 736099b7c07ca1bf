"""Train the HW4 reference on the dates task, with and without attention: time, exact match, heatmap.

    .venv/bin/python benchmarks/hw4_translation.py [--epochs 3] [--train 3000] [--held-out 500]

Trains EncoderRNN + AttnDecoderRNN and EncoderRNN + DecoderRNN (same sizes, same seed, the given
`train`) on date_pairs, scores both by exact match on held-out pairs, writes
solutions/hw4_seq2seq/attention_heatmap.svg (the attention weights of one held-out translation)
and prints a markdown report for the homework README: data and model sizes, training time, final
loss, exact match, and a few held-out translations by each model. Seeded, so a run on the same
machine and torch writes the same numbers (the times aside). Each model's training is seeded the
same way as the notebook's experiment cell (solutions/hw4_seq2seq/notebook.md): torch.manual_seed(0)
right before building its encoder and decoder. The figures the README quotes are recorded in
benchmarks/hw4_translation.json (tests/test_hw4_graders.py keeps the README in step with it).
"""

import argparse
import importlib.util
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "hw4_seq2seq"
TRAIN_SEED, HELD_OUT_SEED = 0, 1
MAX_LEN = 8  # the targets have 6 tokens, then EOS
SHOWN = 3  # held-out examples printed
RECORD = ROOT / "benchmarks" / "hw4_translation.json"  # the figures the homework README quotes


def reference():
    spec = importlib.util.spec_from_file_location("seq2seq", SOLUTION / "seq2seq.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parameter_count(*modules):
    return sum(p.numel() for module in modules for p in module.parameters())


def attention_rows(hw4, encoder, decoder, src_ids, max_len):
    """Greedy-translate one source (ids ending in EOS); return the ids written (the EOS included,
    if written) and the attention weights of each step, an array (steps, len(src_ids))."""
    encoder.eval()
    decoder.eval()
    src, lengths = hw4.pad_batch([src_ids])
    written, rows = [], []
    with torch.no_grad():
        outputs, hidden = encoder(src, lengths)
        mask = hw4.length_mask(lengths, src.shape[1])
        token = torch.tensor([hw4.SOS])
        for _ in range(max_len):
            log_probs, hidden, weights = decoder.forward_step(token, hidden, outputs, mask)
            token = log_probs.argmax(dim=1)
            written.append(int(token))
            rows.append(weights[0].numpy())
            if written[-1] == hw4.EOS:
                break
    return written, np.stack(rows)


def plot(weights, src_tokens, out_tokens, path):
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "rnnkit"  # stable ids: the same run writes the same file
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(6.0, 3.8))
    image = axes.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    axes.set_xticks(range(len(src_tokens)), src_tokens)
    axes.set_yticks(range(len(out_tokens)), out_tokens)
    axes.set_xlabel("source token (encoder output attended to)")
    axes.set_ylabel("token written")
    axes.set_title("Additive attention while translating a held-out date")
    figure.colorbar(image, ax=axes, label="attention weight")
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs for each model")
    parser.add_argument("--train", type=int, default=3000, help="training pairs")
    parser.add_argument("--held-out", type=int, default=500, help="held-out pairs")
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--record", default=str(RECORD), help="where to write the figures as JSON ('' for nowhere)")
    args = parser.parse_args()
    torch.manual_seed(0)
    hw4 = reference()
    train_pairs = hw4.date_pairs(args.train, seed=TRAIN_SEED)
    held_out = hw4.date_pairs(args.held_out, seed=HELD_OUT_SEED)
    src_vocab = hw4.build_vocab([src for src, _ in train_pairs])
    tgt_vocab = hw4.build_vocab([tgt for _, tgt in train_pairs])
    src_words = {index: token for token, index in src_vocab.items()}
    tgt_words = {index: token for token, index in tgt_vocab.items()}
    batches = -(-len(train_pairs) // args.batch_size)

    models = {}
    for name, decoder_class in (("attention", hw4.AttnDecoderRNN), ("no attention", hw4.DecoderRNN)):
        torch.manual_seed(0)  # the same initial encoder for both, as in the notebook's experiment cell
        encoder = hw4.EncoderRNN(len(src_vocab), args.embed, args.hidden)
        decoder = decoder_class(len(tgt_vocab), args.embed, args.hidden)
        start = time.perf_counter()
        losses = hw4.train(encoder, decoder, train_pairs, src_vocab, tgt_vocab, epochs=args.epochs,
                           batch_size=args.batch_size, lr=args.lr, seed=0)
        seconds = time.perf_counter() - start
        accuracy = hw4.exact_match(encoder, decoder, held_out, src_vocab, tgt_vocab, max_len=MAX_LEN)
        models[name] = dict(encoder=encoder, decoder=decoder, losses=losses, seconds=seconds, accuracy=accuracy,
                            parameters=parameter_count(encoder, decoder))
        print(f"{name}: {seconds:.1f} s, last epoch's mean loss {np.mean(losses[-batches:]):.4f}, "
              f"held-out exact match {accuracy:.3f}", flush=True)

    # The heatmap: the attention model translating the first held-out pair.
    src_ids, _, _ = hw4.make_example(*held_out[0], src_vocab, tgt_vocab)
    attention = models["attention"]
    written, weights = attention_rows(hw4, attention["encoder"], attention["decoder"], src_ids, MAX_LEN)
    heatmap = SOLUTION / "attention_heatmap.svg"
    plot(weights, [src_words[i] for i in src_ids], [tgt_words[i] for i in written], heatmap)

    print("\n## HW4 reference on the dates task\n")
    print(f"- data: {len(train_pairs):,} training pairs (date_pairs seed {TRAIN_SEED}), {len(held_out):,} held-out "
          f"pairs (seed {HELD_OUT_SEED}); source vocabulary {len(src_vocab)}, target vocabulary {len(tgt_vocab)} "
          f"(4 special tokens included)")
    print(f"- models: embedding {args.embed}, hidden {args.hidden}; batch size {args.batch_size}, Adam lr {args.lr}, "
          f"teacher forcing, seed 0; greedy decoding, max_len {MAX_LEN}")
    print(f"- torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {platform.machine()}\n")
    print("| model | parameters | epochs | training time | first epoch's mean loss | last epoch's mean loss "
          "| held-out exact match |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, model in models.items():
        losses = model["losses"]
        print(f"| {name} | {model['parameters']:,} | {args.epochs} | {model['seconds']:.0f} s "
              f"| {np.mean(losses[:batches]):.3f} | {np.mean(losses[-batches:]):.4f} "
              f"| {model['accuracy']:.1%} |")

    examples = [hw4.make_example(src, tgt, src_vocab, tgt_vocab) for src, tgt in held_out[:SHOWN]]
    src, lengths = hw4.pad_batch([src for src, _, _ in examples])
    outputs = {name: hw4.greedy_decode(model["encoder"], model["decoder"], src, lengths, MAX_LEN)
               for name, model in models.items()}
    print(f"\n### {SHOWN} held-out translations\n")
    print("| source | target | " + " | ".join(models) + " |")
    print("|---|---|" + "---|" * len(models))
    for row, (source, target) in enumerate(held_out[:SHOWN]):
        cells = [f"`{' '.join(source)}`", f"`{' '.join(target)}`"]
        for name in models:
            words = [tgt_words[i] for i in outputs[name][row]]
            cells.append(f"`{' '.join(words)}` " + ("✓" if words == target else "✗"))
        print("| " + " | ".join(cells) + " |")
    print(f"\nAttention weights of the first held-out translation: {heatmap.relative_to(ROOT)}")
    if args.record:
        record = {
            "settings": {"epochs": args.epochs, "train": args.train, "held_out": args.held_out, "embed": args.embed,
                         "hidden": args.hidden, "batch_size": args.batch_size, "lr": args.lr, "max_len": MAX_LEN},
            "torch": torch.__version__,
            "models": {name: {"parameters": model["parameters"], "seconds": round(model["seconds"]),
                              "first_epoch_loss": round(float(np.mean(model["losses"][:batches])), 3),
                              "last_epoch_loss": round(float(np.mean(model["losses"][-batches:])), 3),
                              "exact_match": round(model["accuracy"], 3)}
                       for name, model in models.items()},
        }
        Path(args.record).write_text(json.dumps(record, indent=2) + "\n")
        print(f"Figures recorded in {args.record}")


if __name__ == "__main__":
    main()
