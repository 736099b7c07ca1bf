"""Train the HW3 reference on the default corpus: loss curve, training time, samples by temperature.

    .venv/bin/python benchmarks/hw3_training.py [--epochs 8] [--max-chars 200000]

Writes solutions/hw3_text_generation/loss_curve.svg (which `rnnkit release` copies beside the
homework README) and prints a markdown report for that README: the corpus, the time per epoch,
and 300 characters written from one seed at temperatures 0.2, 0.5, 1.0 and 1.2. Seeded, so a run
on the same machine and torch writes the same text.
"""

import argparse
import importlib.util
import platform
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "hw3_text_generation"
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)


def reference():
    spec = importlib.util.spec_from_file_location("text_generation", SOLUTION / "text_generation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plot(losses, batches_per_epoch, path):
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "rnnkit"  # stable ids: the same run writes the same file
    from matplotlib import pyplot as plt

    steps = np.arange(1, len(losses) + 1) / batches_per_epoch
    window = max(1, batches_per_epoch // 20)
    smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    axes.plot(steps, losses, color="0.8", linewidth=0.6, label="mini-batch")
    axes.plot(steps[window - 1:], smooth, color="C0", label=f"mean of {window} mini-batches")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy loss")
    axes.set_title("CharLSTM(128) on the default corpus")
    axes.legend(frameon=False)
    figure.tight_layout()
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--max-chars", type=int, default=200_000)
    parser.add_argument("--length", type=int, default=300, help="characters written per sample")
    args = parser.parse_args()
    torch.manual_seed(0)
    hw3 = reference()
    text = hw3.default_corpus(max_chars=args.max_chars)
    chars, char_to_idx = hw3.build_vocab(text)
    segments, next_chars = hw3.make_segments(text)
    X, y = hw3.vectorize(segments, next_chars, char_to_idx)
    model = hw3.CharLSTM(len(chars))
    losses, times = [], []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        losses += hw3.train(model, X, y, epochs=1, seed=epoch)
        times.append(time.perf_counter() - start)
        batches = -(-len(X) // 128)
        print(f"epoch {epoch + 1}: {times[-1]:.1f} s, mean loss {np.mean(losses[-batches:]):.3f}", flush=True)
    plot(losses, batches, SOLUTION / "loss_curve.svg")

    seed_start = text.index("\n\n", len(text) // 2) + 2
    seed_text = text[seed_start:seed_start + hw3.MAXLEN]
    print(f"\n{len(text):,} characters, V = {len(chars)}, {len(segments):,} segments, "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"{args.epochs} epochs in {sum(times):.0f} s ({np.median(times):.1f} s per epoch, median) on "
          f"{torch.get_num_threads()} CPU threads, torch {torch.__version__}, {platform.machine()}")
    print(f"loss {np.mean(losses[:batches]):.2f} (first epoch's mean) -> {np.mean(losses[-batches:]):.2f} (last epoch's)")
    print(f"\nseed: {seed_text!r}")
    for temperature in TEMPERATURES:
        rng = np.random.default_rng(0)
        written = hw3.generate(model, seed_text, args.length, char_to_idx, chars, temperature, rng)
        print(f"\n### temperature {temperature}\n\n```\n{seed_text}{written}\n```")


if __name__ == "__main__":
    main()
