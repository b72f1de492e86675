#!/usr/bin/env python3
"""PyTorch reference for `backprop lm train --corpus words --arch transformer` (issue 12).

    python3 bench/lm_pytorch.py --steps 2000 --threads 1
    python3 bench/lm_pytorch.py --arch lstm --steps 2000

Recipe (defaults, makemore style): the word list /usr/share/dict/american-english (Debian
`wamerican`) or --corpus, one word per line, each word a sequence from a boundary token to a
boundary token; a seeded 80/10/10 train/validation/test split of the words; the character
vocabulary from the training words (validation/test words with other characters are dropped);
inputs cut at --context tokens, padded targets ignored (ignore_index -1).
Model: a pre-LayerNorm GPT (token + learned position embeddings, --layers blocks of causal
multi-head self-attention with --heads heads and a 4x GELU MLP, final LayerNorm, linear head),
--embed dimensions; or a one-layer-per---layers LSTM with hidden size --embed.
AdamW (lr --lr, weight decay 0.01), batch --batch-size, --steps steps, gradient norm clipped at 1.
Prints progress to stderr and one JSON line on stdout: test loss in nats per character,
perplexity, parameter count, training steps per second (evaluation excluded), and the share of
1,000 samples (temperature 1) that are not training words, with the first 20 samples.
The split is not the same permutation as Backprop's (a different generator), only the same
fractions, so compare losses across seeds, not digit for digit.
"""
import argparse
import json
import math
import os
import random
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default="/usr/share/dict/american-english")
    p.add_argument("--arch", default="transformer", choices=("transformer", "lstm"))
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--context", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--eval-batch", type=int, default=1024)
    p.add_argument("--nanogpt", action="store_true",
                   help="Backprop's GPT exactly: nanoGPT's initialisation (embeddings and weights N(0, 0.02^2), output "
                        "projections N(0, (0.02/sqrt(2*layers))^2), zero biases) and a bias-free head tied to the token embedding")
    return p.parse_args()


args = parse_args()
os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
import torch  # noqa: E402  (after the thread count is set)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def load_words(path):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        sys.exit(f"{path}: not found (apt-get install wamerican, or pass --corpus)")
    except UnicodeDecodeError:
        sys.exit(f"{path}: not valid UTF-8 text")
    words = [w.strip() for w in text.splitlines() if w.strip()]
    if len(words) < 10:
        sys.exit(f"{path}: {len(words)} words are too few for a train/validation/test split")
    return words


words = load_words(args.corpus)
rng = random.Random(args.seed)
rng.shuffle(words)
n_val = round(0.1 * len(words))
n_test = round(0.1 * len(words))
parts = {"validation": words[:n_val], "test": words[n_val:n_val + n_test], "train": words[n_val + n_test:]}
chars = sorted(set("".join(parts["train"])))
stoi = {c: i + 1 for i, c in enumerate(chars)}  # 0 is the boundary token
vocab = len(chars) + 1
dropped = 0


def encode_part(ws):
    global dropped
    xs, ys = [], []
    T = args.context
    for w in ws:
        if any(c not in stoi for c in w):
            dropped += 1
            continue
        s = [0] + [stoi[c] for c in w] + [0]
        x = s[:-1][:T]
        y = s[1:][:T]
        xs.append(x + [0] * (T - len(x)))
        ys.append(y + [-1] * (T - len(y)))
    return torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long)


data = {k: encode_part(v) for k, v in parts.items()}


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        a = self.ln1(x)
        x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        d = args.embed
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(args.context, d)
        self.blocks = nn.ModuleList([Block(d, args.heads) for _ in range(args.layers)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab, bias=not args.nanogpt)
        if args.nanogpt:
            proj_std = 0.02 / math.sqrt(2 * args.layers)
            for m in (self.tok, self.pos):
                nn.init.normal_(m.weight, 0.0, 0.02)
            for b in self.blocks:
                nn.init.normal_(b.attn.in_proj_weight, 0.0, 0.02)
                nn.init.normal_(b.attn.out_proj.weight, 0.0, proj_std)
                nn.init.normal_(b.mlp[0].weight, 0.0, 0.02)
                nn.init.normal_(b.mlp[2].weight, 0.0, proj_std)
                for bias in (b.attn.in_proj_bias, b.attn.out_proj.bias, b.mlp[0].bias, b.mlp[2].bias):
                    nn.init.zeros_(bias)
            self.head.weight = self.tok.weight  # tied, as Backprop's GPT (and nanoGPT)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t))
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.ln(x))


class RNN(nn.Module):
    def __init__(self):
        super().__init__()
        d = args.embed
        self.tok = nn.Embedding(vocab, d)
        self.rnn = nn.LSTM(d, d, num_layers=args.layers, batch_first=True)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        return self.head(self.rnn(self.tok(idx))[0])


model = GPT() if args.arch == "transformer" else RNN()
params = sum(p.numel() for p in model.parameters())
opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)


def loss_of(x, y, reduction="mean"):
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1), ignore_index=-1, reduction=reduction)


@torch.no_grad()
def evaluate(part):
    model.eval()
    x, y = data[part]
    total, count = 0.0, int((y >= 0).sum())
    for i in range(0, len(x), args.eval_batch):
        total += float(loss_of(x[i:i + args.eval_batch], y[i:i + args.eval_batch], reduction="sum"))
    model.train()
    return total / count


xtr, ytr = data["train"]
g = torch.Generator().manual_seed(args.seed)
print(f"{args.arch}: {params} parameters, vocabulary {vocab}, words train/val/test "
      f"{len(xtr)}/{len(data['validation'][0])}/{len(data['test'][0])} ({dropped} dropped)", file=sys.stderr)
train_seconds = 0.0
for step in range(1, args.steps + 1):
    start = time.perf_counter()
    ix = torch.randint(0, len(xtr), (args.batch_size,), generator=g)
    loss = loss_of(xtr[ix], ytr[ix])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    train_seconds += time.perf_counter() - start
    if step % max(1, args.steps // 10) == 0 or step == args.steps:
        print(f"step {step}/{args.steps}  train loss {loss.item():.4f}", file=sys.stderr)

test = evaluate("test")


@torch.no_grad()
def sample_words(count, temperature=1.0, max_new=40):
    """`count` words drawn in parallel from the boundary token, each until the next boundary
    (or `max_new` characters), the model seeing the last --context tokens (nanoGPT's crop)."""
    model.eval()
    sampler = torch.Generator().manual_seed(args.seed + 1)
    idx = torch.zeros((count, 1), dtype=torch.long)
    done = torch.zeros(count, dtype=torch.bool)
    for _ in range(max_new):
        logits = model(idx[:, -args.context:])[:, -1, :] / temperature
        nxt = torch.multinomial(torch.softmax(logits, -1), 1, generator=sampler)
        nxt[done] = 0
        idx = torch.cat([idx, nxt], 1)
        done |= nxt[:, 0] == 0
        if bool(done.all()):
            break
    itos = {i: c for c, i in stoi.items()}
    return ["".join(itos[int(t)] for t in row[1:] if int(t) != 0) for row in idx]


samples = sample_words(1000)
train_words = set(parts["train"])
print(json.dumps({
    "framework": "pytorch", "torch": torch.__version__, "arch": args.arch, "layers": args.layers,
    "heads": args.heads, "embed": args.embed, "nanogpt": args.nanogpt, "context": args.context, "batch_size": args.batch_size,
    "steps": args.steps, "lr": args.lr, "seed": args.seed, "threads": args.threads, "parameters": params,
    "vocabulary": vocab, "validation_nats_per_char": round(evaluate("validation"), 4),
    "test_nats_per_char": round(test, 4), "test_perplexity": round(math.exp(test), 3),
    "train_steps_per_second": round(args.steps / train_seconds, 2),
    "novel_samples": sum(w not in train_words for w in samples) / len(samples), "samples": samples[:20],
}))
