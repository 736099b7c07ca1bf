"""Correct HW3 and HW4 submissions written differently from the reference: each is the reference
with some functions' bodies (after their docstrings) written another way, so that it cannot drift
from the reference elsewhere. The trust tests grade each one and expect full marks.
(HW1's and HW2's alternatives are whole files of their own: tests/submissions/hwN_alternatives/.)
"""

ALTERNATIVES = {
    'hw3_text_generation': {
        'cumulative_sum_draw': {
            'sample_next': '''\
probs = np.asarray(probs, dtype=np.float64)
weights = np.where(probs > 0, np.exp(np.log(np.where(probs > 0, probs, 1.0)) / temperature), 0.0)
weights = weights / weights.max()  # the largest is 1 whatever the temperature
cumulative = np.cumsum(weights / weights.sum())
index = int(np.searchsorted(cumulative, rng.random(), side="right"))
while probs[min(index, len(probs) - 1)] == 0:  # a draw at the very top lands on the last nonzero
    index -= 1
return min(index, len(probs) - 1)
''',
            'generate': '''\
rng = np.random.default_rng() if rng is None else rng
window, written = seed_text[-maxlen:], []
model.eval()
with torch.no_grad():
    for _ in range(length):
        indices = torch.tensor([[char_to_idx[char] for char in window]], dtype=torch.int64)
        X = nn.functional.one_hot(indices, num_classes=len(chars)).to(torch.float32)
        logits = model(X)[0].double().numpy()
        probs = np.exp(logits - logits.max())
        probs = probs / probs.sum()
        char = chars[sample_next(probs, temperature, rng)]
        written.append(char)
        window = (window + char)[-maxlen:]
return "".join(written)
''',
        },
        'final_hidden_state': {
            'CharLSTM.forward': '''\
_, (h_last, _) = self.lstm(X)  # the final hidden state is the output at the last step
return self.fc(h_last[-1])
''',
            'sample_next': '''\
weights = np.power(np.asarray(probs, dtype=np.float64), 1.0 / temperature)
weights = weights / weights.sum()
return int(np.argmax(rng.multinomial(1, weights)))
''',
            'generate': '''\
rng = np.random.default_rng() if rng is None else rng
window, written = seed_text[-maxlen:], []
model.eval()
with torch.no_grad():
    for _ in range(length):
        indices = torch.tensor([[char_to_idx[char] for char in window]], dtype=torch.int64)
        X = nn.functional.one_hot(indices, num_classes=len(chars)).to(torch.float32)
        logits = model(X)[0].to(torch.float64)
        probs = torch.softmax(logits, dim=-1).numpy()
        char = chars[sample_next(probs, temperature, rng)]
        written.append(char)
        window = (window + char)[-maxlen:]
return "".join(written)
''',
        },
        'loops': {
            'make_segments': '''\
segments, next_chars = [], []
i = 0
while i + maxlen < len(text):
    segments.append(text[i:i + maxlen])
    next_chars.append(text[i + maxlen])
    i += step
return segments, next_chars
''',
            'vectorize': '''\
X = torch.zeros((len(segments), len(segments[0]), len(char_to_idx)))
y = torch.zeros(len(segments), dtype=torch.long)
for i, segment in enumerate(segments):
    for t, char in enumerate(segment):
        X[i, t, char_to_idx[char]] = 1
    y[i] = char_to_idx[next_chars[i]]
return X, y
''',
        },
        'stepwise_forward': {
            'CharLSTM.forward': '''\
state = None
for t in range(X.shape[1]):
    output, state = self.lstm(X[:, t:t + 1], state)
return self.fc(output[:, 0])
''',
        },
    },
    'hw4_seq2seq': {
        'einsum_scores': {
            'make_example': '''\
src_ids = [*numericalize(src_tokens, src_vocab), EOS]
tgt_ids = numericalize(tgt_tokens, tgt_vocab)
tgt_in = [SOS, *tgt_ids]
tgt_out = tgt_in[1:] + [EOS]
return src_ids, tgt_in, tgt_out
''',
            'pad_batch': '''\
tensors = [torch.as_tensor(seq, dtype=torch.long) for seq in seqs]
batch = nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=pad_id)
return batch, torch.as_tensor([len(t) for t in tensors], dtype=torch.long)
''',
            'Attention.forward': '''\
hidden = torch.tanh(self.W_query(query).unsqueeze(1) + self.W_key(keys))
scores = torch.einsum("bth,h->bt", hidden, self.v.weight[0])
scores = torch.where(mask, scores, torch.full_like(scores, -1e30))
weights = torch.exp(scores - scores.max(dim=1, keepdim=True).values) * mask
weights = weights / weights.sum(dim=1, keepdim=True)
context = (weights.unsqueeze(-1) * keys).sum(dim=1)
return context, weights
''',
        },
        'masked_loop': {
            'build_vocab': '''\
counts = {}
for sentence in sentences:
    for token in sentence:
        counts[token] = counts.get(token, 0) + 1
ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
tokens = SPECIALS + [token for token, count in ranked if count >= min_freq and token not in SPECIALS]
return dict(zip(tokens, range(len(tokens))))
''',
            'EncoderRNN.forward': '''\
embedded = self.embedding(src)
B, T = src.shape
h = torch.zeros(1, B, self.gru.hidden_size)
steps = []
for t in range(T):
    out, h_new = self.gru(embedded[:, t:t + 1], h)
    real = (t < lengths)[None, :, None]
    h = torch.where(real, h_new, h)
    steps.append(out[:, 0] * real[0])
return torch.stack(steps, dim=1), h
''',
        },
        'stepwise_everything': {
            'EncoderRNN.forward': '''\
B, T = src.shape
outputs = torch.zeros(B, T, self.gru.hidden_size)
finals = []
for row in range(B):
    n = int(lengths[row])
    out, h = self.gru(self.embedding(src[row:row + 1, :n]))
    outputs[row, :n] = out[0]
    finals.append(h[:, 0])
return outputs, torch.stack(finals, dim=1)
''',
            'greedy_decode': '''\
encoder.eval()
decoder.eval()
results = []
with torch.no_grad():
    for row in range(len(src)):
        n = int(lengths[row])
        one = src[row:row + 1, :n]
        outputs, hidden = encoder(one, lengths[row:row + 1])
        mask = torch.ones(1, n, dtype=torch.bool)
        token, sentence = SOS, []
        while len(sentence) < max_len:
            log_probs, hidden, _ = decoder.forward_step(torch.tensor([token]), hidden, outputs, mask)
            token = int(log_probs[0].argmax())
            if token == EOS:
                break
            sentence.append(token)
        results.append(sentence)
return results
''',
        },
    },
}
