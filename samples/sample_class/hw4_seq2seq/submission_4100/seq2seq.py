"""HW4: sequence to sequence with attention, in torch.

The lectures' translator. Sentences become lists of token ids with four special tokens: <PAD> fills
a batch's shorter sequences, <SOS> starts the decoder's input, <EOS> ends a sentence, and <UNK>
stands for a word the vocabulary does not know. An encoder GRU reads the source sentence; a decoder
GRU writes the target one token at a time, each step starting from the token before it (during
training, the true one: teacher forcing). Without attention, all the decoder knows of the source is
the encoder's final state, one fixed-size vector; with attention, every step looks back at all the
encoder's outputs and takes a weighted average of them (additive, Bahdanau-style, scores).

Shapes used in the docstrings:
    B  batch size     T  source length (the longest in the batch)     H  hidden size
    E  embedding size     V  vocabulary size
"""

import random
from collections import Counter

import numpy as np
import torch
from torch import nn

PAD, SOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ["<PAD>", "<SOS>", "<EOS>", "<UNK>"]  # their ids are their positions


def build_vocab(sentences, min_freq=1):
    """A vocabulary: token -> id.

    Inputs:
    - sentences: list of sentences, each a list of tokens (strings)
    - min_freq: a token must occur at least this many times (over all sentences) to get an id

    Returns a dict: the four SPECIALS first, with ids 0-3, then the kept tokens by descending count,
    ties in alphabetical order, with ids 4, 5, ... A token left out will be read as UNK.
    """
    # BEGIN SOLUTION
    counts = Counter(token for sentence in sentences for token in sentence)
    vocab = {token: index for index, token in enumerate(SPECIALS)}
    for token in sorted(counts, key=lambda token: (-counts[token], token)):
        if counts[token] >= min_freq and token not in vocab:
            vocab[token] = len(vocab)
    return vocab
    # END SOLUTION


def numericalize(tokens, vocab):
    """The ids of a list of tokens; a token the vocabulary does not have becomes UNK.

    Returns a list of ints, as long as tokens.
    """
    # BEGIN SOLUTION
    return [vocab.get(token, UNK) for token in tokens]
    # END SOLUTION


def make_example(src_tokens, tgt_tokens, src_vocab, tgt_vocab):
    """One training example, the lecture's recipe.

    Inputs:
    - src_tokens, tgt_tokens: a source sentence and its translation, lists of tokens
    - src_vocab, tgt_vocab: vocabularies from build_vocab

    Returns a tuple of three lists of ints:
    - src_ids: the source ids followed by EOS (the encoder sees where the sentence ends)
    - tgt_in: SOS followed by the target ids (what the decoder reads, one step behind)
    - tgt_out: the target ids followed by EOS (what the decoder must write at each step)
    """
    # BEGIN SOLUTION
    src = numericalize(src_tokens, src_vocab)
    tgt = numericalize(tgt_tokens, tgt_vocab)
    return src + [EOS], [SOS] + tgt, tgt + [EOS]
    # END SOLUTION


def pad_batch(seqs, pad_id=PAD):
    """Stack sequences of different lengths into one tensor.

    Inputs:
    - seqs: list of B lists of ints (each of length at least 1)
    - pad_id: the id that fills the end of the shorter sequences

    Returns a tuple:
    - batch: int64 tensor (B, T), T the longest length; row b holds seqs[b] then pad_id
    - lengths: int64 tensor (B,), the length of each sequence
    """
    # BEGIN SOLUTION
    lengths = torch.tensor([len(seq) for seq in seqs], dtype=torch.int64)
    batch = torch.full((len(seqs), int(lengths.max())), pad_id, dtype=torch.int64)
    for row, seq in enumerate(seqs):
        batch[row, :len(seq)] = torch.tensor(seq, dtype=torch.int64)
    return batch, lengths
    # END SOLUTION


def length_mask(lengths, max_len):
    """Bool tensor (B, max_len): True at the real positions of each sequence, False at padding."""
    return torch.arange(max_len)[None, :] < lengths[:, None]


class EncoderRNN(nn.Module):
    """Embedding, then a one-layer GRU (batch_first) over the source sentence.

    Keep the submodule names `embedding` (an nn.Embedding with padding_idx=PAD) and `gru`: the
    autograder sets their weights by these names.
    """

    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.gru = nn.GRU(embed_size, hidden_size, batch_first=True)
        # END SOLUTION

    def forward(self, src, lengths):
        """Encode a padded batch.

        Inputs:
        - src: int64 tensor (B, T), padded with PAD
        - lengths: int64 tensor (B,), the real length of each row

        Returns a tuple:
        - outputs: (B, T, H), the GRU's output at each real position, zeros at padded positions
        - hidden: (1, B, H), each sequence's state after its last real token

        Padding must change nothing: a sentence encoded alone gives the same outputs (at its real
        positions) and the same hidden state as in a padded batch.
        """
        # BEGIN SOLUTION
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embedding(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, hidden = self.gru(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        return outputs, hidden
        # END SOLUTION


class Attention(nn.Module):
    """Additive (Bahdanau) attention: score(q, k) = v . tanh(W_query q + W_key k).

    Keep the submodule names `W_query`, `W_key` (nn.Linear(H, H) without bias) and `v`
    (nn.Linear(H, 1) without bias).
    """

    def __init__(self, hidden_size):
        super().__init__()
        # BEGIN SOLUTION
        self.W_query = nn.Linear(hidden_size, hidden_size, bias=False)
        self.W_key = nn.Linear(hidden_size, hidden_size, bias=False)
        self.v = nn.Linear(hidden_size, 1, bias=False)
        # END SOLUTION

    def forward(self, query, keys, mask):
        """Weigh the keys by how well each one matches the query.

        Inputs:
        - query: (B, H), the decoder's state
        - keys: (B, T, H), the encoder's outputs
        - mask: bool (B, T), True at real positions

        Returns a tuple:
        - context: (B, H), the weighted average of the keys
        - weights: (B, T), a softmax of the scores over the real positions: they sum to 1 over
          each row's real positions and are exactly 0 at padded ones
        """
        # BEGIN SOLUTION
        scores = self.v(torch.tanh(self.W_query(query)[:, None, :] + self.W_key(keys)))[..., 0]
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        context = torch.bmm(weights[:, None, :], keys)[:, 0]
        return context, weights
        # END SOLUTION


class AttnDecoderRNN(nn.Module):
    """One decoding step with attention: embed the previous token, attend over the encoder's
    outputs with the current state as the query, feed [embedding, context] to a GRU, and score
    the next token.

    Keep the submodule names `embedding` (padding_idx=PAD), `attention` (an Attention), `gru`
    (nn.GRU(E + H, H, batch_first=True)) and `out` (nn.Linear(H, V)).
    """

    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.attention = Attention(hidden_size)
        self.gru = nn.GRU(embed_size + hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)
        # END SOLUTION

    def forward_step(self, prev_tokens, hidden, encoder_outputs, mask):
        """Inputs:
        - prev_tokens: int64 (B,), the tokens written at the previous step (SOS at the first)
        - hidden: (1, B, H), the decoder's state (the encoder's final state at the first step)
        - encoder_outputs: (B, T, H); mask: bool (B, T), True at real positions

        Returns a tuple:
        - log_probs: (B, V), log-softmax scores of the next token
        - hidden: (1, B, H), the new state
        - attn_weights: (B, T), the attention weights used at this step
        """
        # BEGIN SOLUTION
        context, weights = self.attention(hidden[-1], encoder_outputs, mask)
        step_input = torch.cat([self.embedding(prev_tokens), context], dim=1)[:, None, :]
        output, hidden = self.gru(step_input, hidden)
        return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, weights
        # END SOLUTION


class DecoderRNN(nn.Module):
    """The same decoder without attention, for comparison: the context fed at every step is the
    encoder's final state, whatever the step. Submodules `embedding`, `gru` (nn.GRU(E + H, H,
    batch_first=True)) and `out` (nn.Linear(H, V)).
    """

    def __init__(self, vocab_size, embed_size, hidden_size):
        super().__init__()
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.gru = nn.GRU(embed_size + hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)
        # END SOLUTION

    def forward_step(self, prev_tokens, hidden, encoder_outputs, mask):
        """As AttnDecoderRNN.forward_step; the context is each sequence's encoder output at its
        last real position (its final state), and attn_weights is None."""
        # BEGIN SOLUTION
        last = mask.sum(dim=1) - 1
        context = encoder_outputs[torch.arange(len(last)), last]
        step_input = torch.cat([self.embedding(prev_tokens), context], dim=1)[:, None, :]
        output, hidden = self.gru(step_input, hidden)
        return torch.log_softmax(self.out(output[:, 0]), dim=1), hidden, None
        # END SOLUTION


def greedy_decode(encoder, decoder, src, lengths, max_len):
    """Translate a batch, choosing the most likely token at each step.

    Inputs:
    - encoder, decoder: an EncoderRNN and an AttnDecoderRNN (or DecoderRNN)
    - src: int64 (B, T) padded source ids; lengths: int64 (B,)
    - max_len: the most tokens to write for a sentence

    Returns a list of B lists of ints: each sentence's tokens up to, not including, its first
    EOS (or max_len tokens if it writes no EOS).
    """
    # BEGIN SOLUTION
    encoder.eval()
    decoder.eval()
    written = [[] for _ in range(len(src))]
    finished = [False] * len(src)
    with torch.no_grad():
        outputs, hidden = encoder(src, lengths)
        mask = length_mask(lengths, src.shape[1])
        tokens = torch.full((len(src),), SOS, dtype=torch.int64)
        for _ in range(max_len):
            log_probs, hidden, _ = decoder.forward_step(tokens, hidden, outputs, mask)
            tokens = log_probs.argmax(dim=1)
            for row, token in enumerate(tokens.tolist()):
                if not finished[row]:
                    finished[row] = token == EOS
                    if not finished[row]:
                        written[row].append(token)
            if all(finished):
                break
    return written
    # END SOLUTION


# ---------------------------------------------------------------- given: the data and training

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]


def date_pairs(n, seed=0):
    """The toy translation task: n (source, target) pairs, generated offline and reproducibly.

    A date written as digits, year first ("2 0 1 9 - 0 3 - 0 7"), is translated into words, day
    first ("7 march 2 0 1 9"): the target reorders the source, so the decoder must look back at
    the right source positions (attention learns to).
    """
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        year, month, day = rng.randint(1950, 2049), rng.randint(1, 12), rng.randint(1, 28)
        source = list(f"{year}") + ["-"] + list(f"{month:02d}") + ["-"] + list(f"{day:02d}")
        target = [str(day), MONTHS[month - 1]] + list(f"{year}")
        pairs.append((source, target))
    return pairs


def train(encoder, decoder, pairs, src_vocab, tgt_vocab, epochs=1, batch_size=32, lr=0.005, seed=0):
    """Teacher forcing: at each step the decoder reads the true previous token. The loss is the
    mean negative log-likelihood of tgt_out over the real (non-PAD) positions. Adam, shuffled
    mini-batches. Returns the list of the mini-batches' losses, in order."""
    torch.manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    examples = [make_example(src, tgt, src_vocab, tgt_vocab) for src, tgt in pairs]
    parameters = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(parameters, lr=lr)
    loss_function = nn.NLLLoss(ignore_index=PAD)
    encoder.train()
    decoder.train()
    losses = []
    for _ in range(epochs):
        order = order_rng.permutation(len(examples))
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start:start + batch_size]]
            src, lengths = pad_batch([src for src, _, _ in batch])
            tgt_in, _ = pad_batch([tgt_in for _, tgt_in, _ in batch])
            tgt_out, _ = pad_batch([tgt_out for _, _, tgt_out in batch])
            outputs, hidden = encoder(src, lengths)
            mask = length_mask(lengths, src.shape[1])
            step_losses = []
            for t in range(tgt_in.shape[1]):
                log_probs, hidden, _ = decoder.forward_step(tgt_in[:, t], hidden, outputs, mask)
                step_losses.append(log_probs)
            loss = loss_function(torch.stack(step_losses, dim=1).reshape(-1, log_probs.shape[1]), tgt_out.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            losses.append(float(loss.detach()))
    return losses


def exact_match(encoder, decoder, pairs, src_vocab, tgt_vocab, max_len=10):
    """The share of pairs whose greedy translation is exactly the target."""
    examples = [make_example(src, tgt, src_vocab, tgt_vocab) for src, tgt in pairs]
    src, lengths = pad_batch([src for src, _, _ in examples])
    written = greedy_decode(encoder, decoder, src, lengths, max_len)
    return float(np.mean([words == tgt_out[:-1] for words, (_, _, tgt_out) in zip(written, examples)]))
