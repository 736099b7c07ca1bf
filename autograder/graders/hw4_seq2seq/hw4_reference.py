"""Grader-side references for HW4, written independently of the solution (stays on the autograder).

The data recipe in plain Python; the encoder run on each sentence alone, unpadded, with torch's own
nn.Embedding and nn.GRU holding the weights the grader loads into the student's modules; additive
attention in numpy; the decoder step and greedy decoding on torch's own layers.
"""

import numpy as np
import torch
from torch import nn

from memo import single_threaded

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<PAD>", "<SOS>", "<EOS>", "<UNK>"]


def vocab(sentences, min_freq=1):
    counts = {}
    for sentence in sentences:
        for token in sentence:
            counts[token] = counts.get(token, 0) + 1
    kept = [token for token in counts if counts[token] >= min_freq and token not in SPECIALS]
    kept.sort(key=lambda token: (-counts[token], token))
    return {token: index for index, token in enumerate(SPECIALS + kept)}


def example(src, tgt, src_vocab, tgt_vocab):
    src_ids = [src_vocab.get(token, UNK) for token in src]
    tgt_ids = [tgt_vocab.get(token, UNK) for token in tgt]
    return src_ids + [EOS], [SOS] + tgt_ids, tgt_ids + [EOS]


def padded(seqs, pad_id=PAD):
    width = max(len(seq) for seq in seqs)
    return np.array([list(seq) + [pad_id] * (width - len(seq)) for seq in seqs], dtype=np.int64)


def mask_of(lengths, width):
    return np.arange(width)[None, :] < np.asarray(lengths)[:, None]


# --- weights, by the names of the student's submodules ----------------------------------------

def gru_shapes(prefix, input_size, H):
    return {f"{prefix}weight_ih_l0": (3 * H, input_size), f"{prefix}weight_hh_l0": (3 * H, H),
            f"{prefix}bias_ih_l0": (3 * H,), f"{prefix}bias_hh_l0": (3 * H,)}


def encoder_shapes(V, E, H):
    return {"embedding.weight": (V, E), **gru_shapes("gru.", E, H)}


def attention_shapes(H, prefix=""):
    return {f"{prefix}W_query.weight": (H, H), f"{prefix}W_key.weight": (H, H), f"{prefix}v.weight": (1, H)}


def decoder_shapes(V, E, H, attention=True):
    shapes = {"embedding.weight": (V, E), **gru_shapes("gru.", E + H, H), "out.weight": (V, H), "out.bias": (V,)}
    if attention:
        shapes.update(attention_shapes(H, "attention."))
    return shapes


def random_state(rng, shapes, scale=0.5):
    """float32 weights; the embedding's PAD row is zero, as nn.Embedding(padding_idx=PAD) keeps it."""
    state = {name: rng.normal(scale=scale, size=shape).astype(np.float32) for name, shape in shapes.items()}
    if "embedding.weight" in state:
        state["embedding.weight"][PAD] = 0.0
    return state


def parameter_count(shapes):
    return int(sum(np.prod(shape) for shape in shapes.values()))


def _gru(state, prefix, input_size, H):
    gru = nn.GRU(input_size, H, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(gru, name).copy_(torch.from_numpy(state[prefix + name]))
    return gru


# --- the encoder: each sentence alone, no padding anywhere -------------------------------------

@single_threaded
def encode(state, seqs):
    """(outputs (B, T, H) with zeros at padding, hidden (1, B, H)) for a list of id lists."""
    embedding = torch.from_numpy(state["embedding.weight"])
    E, H = embedding.shape[1], state["gru.weight_hh_l0"].shape[1]
    gru = _gru(state, "gru.", E, H)
    width = max(len(seq) for seq in seqs)
    outputs = np.zeros((len(seqs), width, H), dtype=np.float64)
    hidden = np.zeros((1, len(seqs), H), dtype=np.float64)
    with torch.no_grad():
        for row, seq in enumerate(seqs):
            out, h = gru(embedding[torch.tensor(seq)][None])
            outputs[row, :len(seq)] = out[0].double().numpy()
            hidden[0, row] = h[0, 0].double().numpy()
    return outputs, hidden


# --- additive attention, in numpy --------------------------------------------------------------

def attend(state, query, keys, mask, prefix="", tanh=True):
    """(context, weights); ``tanh=False`` gives what scores without the tanh would (a detector's evidence)."""
    Wq, Wk, v = (state[prefix + name].astype(np.float64) for name in ("W_query.weight", "W_key.weight", "v.weight"))
    projected = (query @ Wq.T)[:, None, :] + keys @ Wk.T
    scores = (np.tanh(projected) if tanh else projected) @ v[0]  # (B, T)
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("bt,bth->bh", weights, keys), weights


# --- one decoder step, and greedy decoding -----------------------------------------------------

@single_threaded
def decoder_step(state, prev_tokens, hidden, encoder_outputs, mask, attention=True):
    return _step_with(_decoder_gru(state), state, prev_tokens, hidden, encoder_outputs, mask, attention)


def _decoder_gru(state):
    """The decoder's GRU in float64, built once for all the steps of a decoding (building a torch
    module costs more than running it on one token)."""
    H = state["gru.weight_hh_l0"].shape[1]
    return _gru(state, "gru.", state["embedding.weight"].shape[1] + H, H).double()


def _step_with(gru, state, prev_tokens, hidden, encoder_outputs, mask, attention):
    embedding = state["embedding.weight"].astype(np.float64)[np.asarray(prev_tokens)]
    if attention:
        context, weights = attend(state, hidden[-1], encoder_outputs, mask, "attention.")
    else:
        last = np.asarray(mask).sum(axis=1) - 1
        context, weights = encoder_outputs[np.arange(len(last)), last], None
    step = torch.from_numpy(np.concatenate([embedding, context], axis=1))[:, None, :]
    with torch.no_grad():
        output, new_hidden = gru(step, torch.from_numpy(np.asarray(hidden, dtype=np.float64)))
    scores = output[:, 0].numpy() @ state["out.weight"].astype(np.float64).T + state["out.bias"]
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return log_probs, new_hidden.numpy(), weights


@single_threaded
def greedy(encoder_state, decoder_state, seqs, max_len, attention=True, feed_back=True, keep_state=True):
    """(the tokens written for each sequence, the smallest gap between the best and second-best
    log-probability at any step: a case is only fair to compare when no step is a near tie, and
    whether a sequence that wrote its EOS would go on with another token if it were not stopped).
    ``feed_back=False`` feeds SOS at every step, ``keep_state=False`` the encoder's state at every
    step: what a decoding loop with that slip writes (a detector's evidence)."""
    outputs, hidden = encode(encoder_state, seqs)
    gru = _decoder_gru(decoder_state)
    first_hidden = hidden
    mask = mask_of([len(seq) for seq in seqs], outputs.shape[1])
    tokens = np.full(len(seqs), SOS)
    written, finished = [[] for _ in seqs], [False] * len(seqs)
    margin, resumes = np.inf, False
    for _ in range(max_len):
        log_probs, hidden, _ = _step_with(gru, decoder_state, tokens, hidden, outputs, mask, attention)
        if not keep_state:
            hidden = first_hidden
        top_two = np.sort(log_probs, axis=1)[:, -2:]
        margin = min(margin, float((top_two[:, 1] - top_two[:, 0]).min()))
        tokens = log_probs.argmax(axis=1)
        written_now = tokens
        if not feed_back:
            tokens = np.full(len(seqs), SOS)
        for row, token in enumerate(written_now):
            resumes = resumes or (finished[row] and token != EOS)
            if not finished[row]:
                finished[row] = token == EOS
                if not finished[row]:
                    written[row].append(int(token))
        if all(finished):
            break
    return written, margin, resumes


def copy_pairs(n, seed):
    """A tiny task any working seq2seq learns in a second: write a sequence of 2 or 3 tokens backwards."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        seq = [str(token) for token in rng.choice(list("abcdef"), size=rng.integers(2, 4))]
        pairs.append((seq, seq[::-1]))
    return pairs


def accuracy(encoder_state, decoder_state, pairs, src_vocab, tgt_vocab, max_len):
    """The share of ``pairs`` the trained weights translate exactly, decoded here (greedy, with
    attention): the grader's own measure, whatever the student's code reports."""
    examples = [example(src, tgt, src_vocab, tgt_vocab) for src, tgt in pairs]
    written, _, _ = greedy(encoder_state, decoder_state, [src for src, _, _ in examples], max_len)
    return float(np.mean([row == tgt_out[:-1] for row, (_, _, tgt_out) in zip(written, examples)]))
