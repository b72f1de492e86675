#!/usr/bin/env python3
"""PyTorch reference for Backprop's benchmark (W1–W5, and W6, W7 when asked), eager mode.

    python3 bench/ref_pytorch.py --workload W1|W2|W3|W4|W5|W6|W7|all --threads 1|2 [--full]
"""

import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

ARGS = C.setup("pytorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(ARGS.threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

FW = "pytorch"
INFO = {"version": torch.__version__.split("+")[0], "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas": "mkl" if torch.backends.mkl.is_available() else "other"}


def w1():
    g = torch.Generator().manual_seed(ARGS.seed)
    for n in ARGS.sizes:
        a = torch.randn(n, n, generator=g)
        b = torch.randn(n, n, generator=g)
        c = torch.empty(n, n)
        times = C.time_calls(lambda: torch.mm(a, b, out=c), repeats=ARGS.repeats, warmup=2,
                             min_seconds=1.0 if ARGS.full else 0.3, max_repeats=200)
        med = C.median(times)
        C.emit(FW, "W1", f"n={n}", ARGS.threads, "gflops", C.gemm_gflops(n, med), "GFLOP/s", False,
               median_s=med, gflops_best=round(C.gemm_gflops(n, min(times)), 1), **C.summary(times), **INFO)


def w2():
    xtr, ytr, xte, yte = C.load_fashion_mnist(ARGS.data_dir)
    sizes = C.MLP_SIZES
    model = torch.nn.Sequential(
        torch.nn.Linear(sizes[0], sizes[1]), torch.nn.ReLU(),
        torch.nn.Linear(sizes[1], sizes[2]), torch.nn.ReLU(),
        torch.nn.Linear(sizes[2], sizes[3]))
    with torch.no_grad():  # same starting point as the other frameworks (PyTorch's own init law)
        for layer, (W, b) in zip([m for m in model if isinstance(m, torch.nn.Linear)], C.init_mlp(ARGS.seed)):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=C.MLP_LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    n = X.shape[0]
    epoch_times = []
    for epoch in range(ARGS.epochs):
        perm = torch.from_numpy(C.epoch_permutation(ARGS.seed, epoch, n))
        t0 = time.perf_counter()
        for idx in perm.split(C.MLP_BATCH):
            xb, yb = X[idx], Y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        epoch_times.append(time.perf_counter() - t0)
        C.note(f"pytorch W2 epoch {epoch + 1}: {epoch_times[-1]:.3f} s (loss {loss.item():.4f})")
    with torch.no_grad():
        acc = (model(torch.from_numpy(xte)).argmax(1) == torch.from_numpy(yte)).float().mean().item()
    C.w2_rows(FW, ARGS.threads, epoch_times, n, acc, **INFO)


# ---------------------------------------------------------------- W3: scalar graphs, 0-dim tensors


class ScalarMLP:
    """micrograd.nn.MLP with every weight its own 0-dim tensor, evaluated scalar by scalar."""

    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = []
        for i in range(len(nouts)):
            neurons = []
            for _ in range(sz[i + 1]):
                w = [torch.tensor(random.uniform(-1, 1), dtype=torch.float64, requires_grad=True) for _ in range(sz[i])]
                b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
                neurons.append((w, b))
            self.layers.append((neurons, i != len(nouts) - 1))

    def parameters(self):
        return [p for neurons, _ in self.layers for w, b in neurons for p in w + [b]]

    def __call__(self, x):
        for neurons, nonlin in self.layers:
            out = []
            for w, b in neurons:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0]


def w3():
    from sklearn.datasets import make_moons

    # (a) the micrograd demo, scalar by scalar.
    random.seed(1337)
    np.random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1
    model = ScalarMLP(2, [16, 16, 1])
    params = model.parameters()
    inputs = [[torch.tensor(float(v), dtype=torch.float64) for v in row] for row in X]
    ys = [float(v) for v in y]
    state = {"k": 0, "loss": None}

    def step():
        k = state["k"]
        for p in params:
            p.grad = None
        scores = [model(row) for row in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        total = data_loss + reg_loss
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        state["k"] += 1
        state["loss"] = total.item()

    times = C.time_calls(step, repeats=ARGS.repeats, warmup=1)
    C.emit(FW, "W3", "micrograd_mlp", ARGS.threads, "step_seconds", C.median(times), "s", True,
           **C.summary(times), parameters=len(params), loss_after=round(state["loss"], 6),
           dtype="float64", **INFO)

    # (b) 1,000,000 scalar ops: x = x·1.0001 + 0.0001, 500,000 times; forward + backward.
    reps = 3 if ARGS.full else 1
    fwd, bwd, tot = [], [], []
    grad = None
    for _ in range(reps):
        t0 = time.perf_counter()
        x0 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        x = x0
        for _ in range(500_000):
            x = x * 1.0001 + 0.0001
        t1 = time.perf_counter()
        x.backward()
        t2 = time.perf_counter()
        grad = x0.grad.item()
        del x, x0
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
        tot.append(t2 - t0)
    want = 1.0001 ** 500_000
    C.emit(FW, "W3", "chain_1M", ARGS.threads, "seconds", C.median(tot), "s", True,
           forward_s=round(C.median(fwd), 4), backward_s=round(C.median(bwd), 4), samples=reps,
           grad_rel_error=abs(grad - want) / want, peak_rss_mib=round(C.peak_rss_mib(), 1),
           dtype="float64", **INFO)


# ---------------------------------------------------------------- W4: the worked examples, per call


def w4():
    f64 = torch.float64

    def chain_rule():
        s = torch.tensor(C.CHAIN_S, dtype=f64, requires_grad=True)
        t = torch.tensor(C.CHAIN_T, dtype=f64, requires_grad=True)
        x = s - torch.sin(t)
        y = torch.exp(s) + torch.cos(t)
        z = x * x - y * y
        return torch.autograd.grad(z, (s, t))

    def vector_chain_rule():
        s = torch.tensor(C.VEC_S, dtype=f64, requires_grad=True)
        t = torch.tensor(C.VEC_T, dtype=f64, requires_grad=True)
        z = (s * t + (s - t)).mean()
        return torch.autograd.grad(z, (s, t))

    gs, gt = chain_rule()
    C.check_close("chain_rule", [gs.item(), gt.item()], list(C.chain_rule_expected()))
    gs, gt = vector_chain_rule()
    ws, wt = C.vector_chain_rule_expected()
    C.check_close("vector_chain_rule", gs.tolist() + gt.tolist(), ws + wt)

    for case, fn in (("chain_rule", chain_rule), ("vector_chain_rule", vector_chain_rule)):
        times = C.time_calls(fn, repeats=C.W4_CALLS, warmup=C.W4_WARMUP)
        C.emit(FW, "W4", case, ARGS.threads, "microseconds", C.median(times) * 1e6, "µs", True,
               samples=len(times), dtype="float64", **INFO)


# ---------------------------------------------------------------- W5: Jacobian and Hessian


def w5():
    from torch.func import hessian, jacrev

    g = torch.Generator().manual_seed(ARGS.seed)
    n = 512
    W = torch.randn(n, n, generator=g) / math.sqrt(n)
    b = torch.randn(n, generator=g) * 0.1
    x = torch.randn(n, generator=g)

    def f(x):
        return torch.tanh(W @ x + b)

    jac = jacrev(f)
    J = jac(x)
    assert J.shape == (n, n)
    times = C.time_calls(lambda: jac(x), repeats=ARGS.repeats, warmup=2, min_seconds=0.5, max_repeats=100)
    C.emit(FW, "W5", "jacobian", ARGS.threads, "milliseconds", C.median(times) * 1e3, "ms", True,
           **C.summary(times), transform="torch.func.jacrev", n=n, dtype="float32", **INFO)

    m = 256
    W2 = torch.randn(m, m, generator=g) / math.sqrt(m)
    x2 = torch.randn(m, generator=g)

    def gfun(x):
        return torch.tanh(W2 @ x).sum()

    hes = hessian(gfun)
    H = hes(x2)
    assert H.shape == (m, m)
    times = C.time_calls(lambda: hes(x2), repeats=ARGS.repeats, warmup=2, min_seconds=0.5, max_repeats=100)
    C.emit(FW, "W5", "hessian", ARGS.threads, "milliseconds", C.median(times) * 1e3, "ms", True,
           **C.summary(times), transform="torch.func.hessian", n=m, dtype="float32", **INFO)


# ---------------------------------------------------------------- W7: character language-model training steps

W7_VOCAB, W7_CONTEXT, W7_BATCH, W7_EMBED = 27, 16, 64, 64
W7_LSTM = 150  # the LSTM's embedding and hidden size: the 1x150 model of the accuracy comparison


def w7():
    """One AdamW step (forward, cross-entropy, backward, clip at norm 1, update) on a seeded
    batch of 64 × 16 random token ids over 27 tokens: (a) a 4-layer, 4-head, 64-dim pre-LayerNorm
    GPT (token + position embeddings, causal attention, 4× GELU MLP, final LayerNorm, linear head);
    (b) a 1-layer LSTM, embedding and hidden size 150 (W7_LSTM), linear head. The recipe of
    `backprop lm train --arch transformer|lstm` (see bench/lm_pytorch.py for the full run).
    Then sampling: tokens/s of 15 tokens drawn one at a time after a start token (batch 1,
    temperature 1, eval mode, no_grad), each step the model run on the whole prefix, as
    nanoGPT's `generate` (nn.MultiheadAttention and nn.LSTM keep no cache between calls)."""
    import torch.nn as nn
    import torch.nn.functional as F

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
            d = W7_EMBED
            self.tok, self.pos = nn.Embedding(W7_VOCAB, d), nn.Embedding(W7_CONTEXT, d)
            self.blocks = nn.ModuleList([Block(d, 4) for _ in range(4)])
            self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, W7_VOCAB)
            self.register_buffer("mask", torch.triu(torch.ones(W7_CONTEXT, W7_CONTEXT, dtype=torch.bool), 1))

        def forward(self, idx):
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
            t = idx.shape[1]
            for b in self.blocks:
                x = b(x, self.mask[:t, :t])
            return self.head(self.ln(x))

    class LSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(W7_VOCAB, W7_LSTM)
            self.rnn = nn.LSTM(W7_LSTM, W7_LSTM, batch_first=True)
            self.head = nn.Linear(W7_LSTM, W7_VOCAB)

        def forward(self, idx):
            return self.head(self.rnn(self.tok(idx))[0])

    g = torch.Generator().manual_seed(ARGS.seed)
    tokens = torch.randint(0, W7_VOCAB, (W7_BATCH, W7_CONTEXT + 1), generator=g)
    x, y = tokens[:, :-1], tokens[:, 1:]
    for case, make in (("transformer_step", GPT), ("lstm_step", LSTM)):
        torch.manual_seed(ARGS.seed)
        model = make()
        opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
        state = {}

        def step():
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, W7_VOCAB), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            state["loss"] = loss.item()

        times = C.time_calls(step, repeats=max(ARGS.repeats, 20), warmup=3, min_seconds=2.0 if ARGS.full else 0.5)
        C.emit(FW, "W7", case, ARGS.threads, "steps_per_second", 1.0 / C.median(times), "steps/s", False,
               **C.summary(times), parameters=sum(p.numel() for p in model.parameters()),
               batch=W7_BATCH, context=W7_CONTEXT, loss_after=round(state["loss"], 4), dtype="float32", **INFO)

        model.eval()
        sampler = torch.Generator().manual_seed(ARGS.seed)

        def sample():
            with torch.no_grad():
                idx = torch.zeros((1, 1), dtype=torch.long)
                for _ in range(W7_CONTEXT - 1):
                    probs = torch.softmax(model(idx)[:, -1, :], -1)
                    idx = torch.cat([idx, torch.multinomial(probs, 1, generator=sampler)], 1)
            return idx

        times = C.time_calls(sample, repeats=max(ARGS.repeats, 20), warmup=3, min_seconds=2.0 if ARGS.full else 0.5)
        C.emit(FW, "W7", case.replace("_step", "_sample"), ARGS.threads, "tokens_per_second", (W7_CONTEXT - 1) / C.median(times),
               "tokens/s", False, **C.summary(times), parameters=sum(p.numel() for p in model.parameters()), batch=1,
               tokens=W7_CONTEXT - 1, **INFO)


def w6():
    xtr, ytr, _, _ = C.load_fashion_mnist(ARGS.data_dir)
    if ARGS.limit:
        xtr, ytr = xtr[: ARGS.limit], ytr[: ARGS.limit]
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    with torch.no_grad():  # the same starting point as the other frameworks
        layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
        for layer, (W, b) in zip(layers, C.init_cnn(ARGS.seed)):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=C.CNN_LR, momentum=C.CNN_MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    X, Y = torch.from_numpy(xtr).reshape(-1, 1, 28, 28), torch.from_numpy(ytr)
    n = X.shape[0]

    def step(idx):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[idx]), Y[idx])
        loss.backward()
        opt.step()
        return loss

    for idx in C.batches(C.epoch_permutation(ARGS.seed, 1000, n), C.CNN_BATCH)[:2]:  # warm-up
        step(torch.from_numpy(idx))
    epoch_times, loss = [], None
    for epoch in range(ARGS.w6_epochs):
        perm = torch.from_numpy(C.epoch_permutation(ARGS.seed, epoch, n))
        t0 = time.perf_counter()
        for idx in perm.split(C.CNN_BATCH):
            loss = step(idx)
        epoch_times.append(time.perf_counter() - t0)
        C.note(f"pytorch W6 epoch {epoch + 1}: {epoch_times[-1]:.3f} s (loss {loss.item():.4f})")
    C.w6_rows(FW, ARGS.threads, epoch_times, n, loss.item(), **INFO)


def main():
    table = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7}
    for w in ARGS.workloads:
        table[w]()


if __name__ == "__main__":
    main()
