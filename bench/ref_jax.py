#!/usr/bin/env python3
"""JAX (CPU) reference for Backprop's benchmark: W1, W2 (jit train step), W4 (jit and eager, as
two columns: rows carry "jit": true/false and "variant": "jit"/"eager"), W5 (jax.jit(jax.jacfwd)
and jax.jit(jax.hessian), compile time excluded from the value and reported as compile_ms).
W3 (scalar graphs) is reported as skipped: see SKIP_W3.

    python3 bench/ref_jax.py --workload W1|W2|W3|W4|W5|W6|W7|all --threads 1|2 [--full]

W7 (only when asked): a jit-compiled AdamW training step of the character-LM transformer and LSTM,
the recipe of ref_pytorch.py's W7, compile time excluded and reported as compile_ms.

Threads: XLA sizes its CPU thread pool from the CPUs the process may run on, so common.setup()
pins the process to --threads CPUs before jax is imported.
"""

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

ARGS = C.setup("jax")

import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

FW = "jax"
INFO = {"version": jax.__version__, "backend": jax.default_backend()}
SKIP_W3 = ("not run: per issue #4, JAX could not compile the full scalar graph of the micrograd demo "
           "(every scalar op traced into one XLA program) within 400 s; a graph of 10^5-10^6 scalar "
           "ops is outside what jit is built for")
SKIP_W3_CHAIN = ("not run: jit would trace 1,000,000 scalar ops into one XLA program (the problem that made "
                 "the 60k-op micrograd graph fail to compile in 400 s, issue #4); a lax.fori_loop version "
                 "would not be a recorded scalar graph, which is what W3 measures")


def ready(x):
    return jax.block_until_ready(x)


def w1():
    key = jax.random.PRNGKey(ARGS.seed)
    mm = jax.jit(jnp.matmul)
    for n in ARGS.sizes:
        ka, kb, key = jax.random.split(key, 3)
        a = jax.random.normal(ka, (n, n), dtype=jnp.float32)
        b = jax.random.normal(kb, (n, n), dtype=jnp.float32)
        t0 = time.perf_counter()
        ready(mm(a, b))
        first = time.perf_counter() - t0
        times = C.time_calls(lambda: mm(a, b), repeats=ARGS.repeats, warmup=2, sync=ready,
                             min_seconds=1.0 if ARGS.full else 0.3, max_repeats=200)
        med = C.median(times)
        C.emit(FW, "W1", f"n={n}", ARGS.threads, "gflops", C.gemm_gflops(n, med), "GFLOP/s", False,
               median_s=med, gflops_best=round(C.gemm_gflops(n, min(times)), 1), **C.summary(times), first_call_ms=round(first * 1e3, 2), **INFO)


def w2():
    xtr, ytr, xte, yte = C.load_fashion_mnist(ARGS.data_dir)
    params = [(jnp.asarray(W.T), jnp.asarray(b)) for W, b in C.init_mlp(ARGS.seed)]  # W as (in, out)
    X, Y = jnp.asarray(xtr), jnp.asarray(ytr.astype(np.int32))
    lr = C.MLP_LR

    def forward(params, x):
        (W1, b1), (W2, b2), (W3, b3) = params
        h = jax.nn.relu(x @ W1 + b1)
        h = jax.nn.relu(h @ W2 + b2)
        return h @ W3 + b3

    def loss_fn(params, x, y):
        logp = jax.nn.log_softmax(forward(params, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def train_step(params, X, Y, idx):
        xb, yb = X[idx], Y[idx]  # the gather happens inside the compiled step
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), loss

    n = xtr.shape[0]
    epoch_times = []
    loss = None
    for epoch in range(ARGS.epochs):
        t0 = time.perf_counter()
        for idx in C.batches(C.epoch_permutation(ARGS.seed, epoch, n).astype(np.int32)):
            params, loss = train_step(params, X, Y, idx)
        ready(params)
        epoch_times.append(time.perf_counter() - t0)
        C.note(f"jax W2 epoch {epoch + 1}: {epoch_times[-1]:.3f} s (loss {float(loss):.4f})")
    logits = jax.jit(forward)(params, jnp.asarray(xte))
    acc = float((np.asarray(logits).argmax(axis=1) == yte).mean())
    C.w2_rows(FW, ARGS.threads, epoch_times, n, acc, jit=True, **INFO)


def w3():
    C.skip(FW, "W3", "micrograd_mlp", ARGS.threads, "step_seconds", "s", True, SKIP_W3, **INFO)
    C.skip(FW, "W3", "chain_1M", ARGS.threads, "seconds", "s", True, SKIP_W3_CHAIN, **INFO)


def w4():
    jax.config.update("jax_enable_x64", True)  # the worked examples are float64
    try:
        def chain(s, t):
            x = s - jnp.sin(t)
            y = jnp.exp(s) + jnp.cos(t)
            return x * x - y * y

        def vec(s, t):
            return jnp.mean(s * t + (s - t))

        cases = (
            ("chain_rule", chain, lambda: (C.CHAIN_S, C.CHAIN_T), list(C.chain_rule_expected())),
            ("vector_chain_rule", vec,
             lambda: (np.array(C.VEC_S, dtype=np.float64), np.array(C.VEC_T, dtype=np.float64)),
             sum(C.vector_chain_rule_expected(), [])),
        )
        for case, f, inputs, want in cases:
            for jit in (True, False):
                g = jax.grad(f, argnums=(0, 1))
                if jit:
                    g = jax.jit(g)
                gs, gt = ready(g(*inputs()))
                C.check_close(f"{case} (jit={jit})", list(np.ravel(gs)) + list(np.ravel(gt)), want)
                calls, warm = (C.W4_CALLS, C.W4_WARMUP) if jit else (C.W4_CALLS // 10, C.W4_WARMUP // 10)
                times = C.time_calls(lambda: g(*inputs()), repeats=calls, warmup=warm, sync=ready)
                C.emit(FW, "W4", case, ARGS.threads, "microseconds", C.median(times) * 1e6, "µs", True,
                       samples=len(times), jit=jit, variant="jit" if jit else "eager", dtype="float64",
                       **INFO)
    finally:
        jax.config.update("jax_enable_x64", False)


def w5():
    key = jax.random.PRNGKey(ARGS.seed)
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    n = 512
    W = jax.random.normal(k1, (n, n), dtype=jnp.float32) / math.sqrt(n)
    b = jax.random.normal(k2, (n,), dtype=jnp.float32) * 0.1
    x = jax.random.normal(k3, (n,), dtype=jnp.float32)

    def f(x, W, b):
        return jnp.tanh(W @ x + b)

    m = 256
    W2 = jax.random.normal(k4, (m, m), dtype=jnp.float32) / math.sqrt(m)
    x2 = jax.random.normal(k5, (m,), dtype=jnp.float32)

    def g(x, W):
        return jnp.sum(jnp.tanh(W @ x))

    for case, fn, args, transform, size in (
            ("jacobian", jax.jit(jax.jacfwd(f, argnums=0)), (x, W, b), "jax.jit(jax.jacfwd)", n),
            ("hessian", jax.jit(jax.hessian(g, argnums=0)), (x2, W2), "jax.jit(jax.hessian)", m)):
        t0 = time.perf_counter()
        compiled = fn.lower(*args).compile()
        compile_s = time.perf_counter() - t0
        out = ready(compiled(*args))
        assert out.shape == (size, size), out.shape
        times = C.time_calls(lambda: compiled(*args), repeats=ARGS.repeats, warmup=2, sync=ready,
                             min_seconds=0.5, max_repeats=200)
        C.emit(FW, "W5", case, ARGS.threads, "milliseconds", C.median(times) * 1e3, "ms", True,
               **C.summary(times), compile_ms=round(compile_s * 1e3, 1), transform=transform, n=size,
               dtype="float32", jit=True, **INFO)


# ---------------------------------------------------------------- W7: character language-model training steps

W7_VOCAB, W7_CONTEXT, W7_BATCH, W7_EMBED = 27, 16, 64, 64
W7_LSTM = 150  # the LSTM's embedding and hidden size, as ref_pytorch.py


def w7():
    """ref_pytorch.py's W7 in jax.numpy: a 4-layer, 4-head, 64-dim pre-LayerNorm GPT and a 1-layer
    150-unit LSTM with embedding 150 (lax.scan); AdamW (lr 5e-4, weight decay 0.01) with global-norm clipping at 1,
    written out (no optax/flax); the whole step under one jax.jit."""
    d, heads, V, T = W7_EMBED, 4, W7_VOCAB, W7_CONTEXT
    key = jax.random.PRNGKey(ARGS.seed)

    def dense(k, nin, nout):
        return {"w": jax.random.normal(k, (nin, nout)) * (1.0 / math.sqrt(nin)), "b": jnp.zeros(nout)}

    def layer_norm(x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / jnp.sqrt(v + 1e-5) * p["g"] + p["b"]

    def ln_params():
        return {"g": jnp.ones(d), "b": jnp.zeros(d)}

    def gpt_init(k):
        ks = jax.random.split(k, 3 + 4 * 4)
        blocks = []
        for i in range(4):
            k1, k2, k3, k4 = ks[3 + 4 * i:7 + 4 * i]
            blocks.append({"ln1": ln_params(), "ln2": ln_params(), "qkv": dense(k1, d, 3 * d), "proj": dense(k2, d, d),
                           "fc": dense(k3, d, 4 * d), "out": dense(k4, 4 * d, d)})
        return {"tok": jax.random.normal(ks[0], (V, d)), "pos": jax.random.normal(ks[1], (T, d)), "blocks": blocks,
                "ln": ln_params(), "head": dense(ks[2], d, V)}

    mask = jnp.tril(jnp.ones((T, T), dtype=bool))

    def gpt(p, idx):
        x = p["tok"][idx] + p["pos"][None, : idx.shape[1]]
        B = idx.shape[0]
        for b in p["blocks"]:
            a = layer_norm(x, b["ln1"])
            qkv = a @ b["qkv"]["w"] + b["qkv"]["b"]
            q, k, v = [t.reshape(B, T, heads, d // heads).transpose(0, 2, 1, 3) for t in jnp.split(qkv, 3, -1)]
            att = jnp.where(mask, q @ k.transpose(0, 1, 3, 2) / math.sqrt(d // heads), -jnp.inf)
            y = (jax.nn.softmax(att, -1) @ v).transpose(0, 2, 1, 3).reshape(B, T, d)
            x = x + y @ b["proj"]["w"] + b["proj"]["b"]
            h = jax.nn.gelu(layer_norm(x, b["ln2"]) @ b["fc"]["w"] + b["fc"]["b"], approximate=False)
            x = x + h @ b["out"]["w"] + b["out"]["b"]
        return layer_norm(x, p["ln"]) @ p["head"]["w"] + p["head"]["b"]

    def lstm_init(k):
        ks, n = jax.random.split(k, 3), W7_LSTM
        return {"tok": jax.random.normal(ks[0], (V, n)), "cell": dense(ks[1], 2 * n, 4 * n), "head": dense(ks[2], n, V)}

    def lstm(p, idx):
        x = p["tok"][idx].transpose(1, 0, 2)  # (T, B, d)

        def cell(carry, xt):
            h, c = carry
            z = jnp.concatenate([xt, h], -1) @ p["cell"]["w"] + p["cell"]["b"]
            i, f, g, o = jnp.split(z, 4, -1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        zeros = jnp.zeros((idx.shape[0], W7_LSTM))
        _, hs = jax.lax.scan(cell, (zeros, zeros), x)
        return hs.transpose(1, 0, 2) @ p["head"]["w"] + p["head"]["b"]

    tokens = jax.random.randint(jax.random.PRNGKey(ARGS.seed + 1), (W7_BATCH, T + 1), 0, V)
    x, y = tokens[:, :-1], tokens[:, 1:]
    lr, b1, b2, eps, wd = 5e-4, 0.9, 0.999, 1e-8, 0.01
    for case, init, model in (("transformer_step", gpt_init, gpt), ("lstm_step", lstm_init, lstm)):
        params = init(key)

        def loss_fn(p):
            logp = jax.nn.log_softmax(model(p, x), -1)
            return -jnp.take_along_axis(logp, y[..., None], -1).mean()

        @jax.jit
        def step(p, m, v, t):
            loss, g = jax.value_and_grad(loss_fn)(p)
            norm = jnp.sqrt(sum(jnp.sum(l * l) for l in jax.tree_util.tree_leaves(g)))
            g = jax.tree_util.tree_map(lambda l: l * jnp.minimum(1.0, 1.0 / (norm + 1e-6)), g)
            m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
            v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
            mh, vh = 1 - b1 ** t, 1 - b2 ** t
            p = jax.tree_util.tree_map(lambda w, a, b: w - lr * (a / mh / (jnp.sqrt(b / vh) + eps) + wd * w), p, m, v)
            return p, m, v, loss

        state = {"p": params, "m": jax.tree_util.tree_map(jnp.zeros_like, params),
                 "v": jax.tree_util.tree_map(jnp.zeros_like, params), "t": 1.0, "loss": None}
        t0 = time.perf_counter()
        compiled = step.lower(state["p"], state["m"], state["v"], 1.0).compile()
        compile_ms = (time.perf_counter() - t0) * 1e3

        def run():
            state["p"], state["m"], state["v"], state["loss"] = compiled(state["p"], state["m"], state["v"], state["t"])
            state["t"] += 1.0
            return state["loss"]

        times = C.time_calls(run, repeats=max(ARGS.repeats, 20), warmup=3, min_seconds=2.0 if ARGS.full else 0.5, sync=ready)
        C.emit(FW, "W7", case, ARGS.threads, "steps_per_second", 1.0 / C.median(times), "steps/s", False,
               **C.summary(times), parameters=sum(l.size for l in jax.tree_util.tree_leaves(params)),
               batch=W7_BATCH, context=T, loss_after=round(float(state["loss"]), 4), compile_ms=round(compile_ms, 1),
               jit=True, dtype="float32", **INFO)


def w6():
    xtr, ytr, _, _ = C.load_fashion_mnist(ARGS.data_dir)
    if ARGS.limit:
        xtr, ytr = xtr[: ARGS.limit], ytr[: ARGS.limit]
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in C.init_cnn(ARGS.seed)]
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)
    X, Y = jnp.asarray(xtr.reshape(-1, 1, 28, 28)), jnp.asarray(ytr.astype(np.int32))
    lr, mu = C.CNN_LR, C.CNN_MOMENTUM

    def conv(x, W, b):
        y = jax.lax.conv_general_dilated(x, W, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + b[None, :, None, None]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def forward(params, x):
        (W1, b1), (W2, b2), (W3, b3), (W4, b4) = params
        h = pool(jax.nn.relu(conv(x, W1, b1)))
        h = pool(jax.nn.relu(conv(h, W2, b2)))
        h = jax.nn.relu(h.reshape(h.shape[0], -1) @ W3.T + b3)
        return h @ W4.T + b4

    def loss_fn(params, x, y):
        logp = jax.nn.log_softmax(forward(params, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    @jax.jit
    def train_step(params, velocity, X, Y, idx):
        loss, grads = jax.value_and_grad(loss_fn)(params, X[idx], Y[idx])
        velocity = jax.tree_util.tree_map(lambda v, g: mu * v + g, velocity, grads)  # PyTorch's SGD momentum
        return jax.tree_util.tree_map(lambda p, v: p - lr * v, params, velocity), velocity, loss

    n = xtr.shape[0]
    # Warm-up: two steps, and the last batch's shape compiled too (compilation is not training).
    warm = C.batches(C.epoch_permutation(ARGS.seed, 1000, n).astype(np.int32), C.CNN_BATCH)
    for idx in warm[:2] + ([warm[-1]] if len(warm[-1]) != len(warm[0]) else []):
        params, velocity, loss = train_step(params, velocity, X, Y, idx)
    ready(params)
    epoch_times = []
    for epoch in range(ARGS.w6_epochs):
        t0 = time.perf_counter()
        for idx in C.batches(C.epoch_permutation(ARGS.seed, epoch, n).astype(np.int32), C.CNN_BATCH):
            params, velocity, loss = train_step(params, velocity, X, Y, idx)
        ready(params)
        epoch_times.append(time.perf_counter() - t0)
        C.note(f"jax W6 epoch {epoch + 1}: {epoch_times[-1]:.3f} s (loss {float(loss):.4f})")
    C.w6_rows(FW, ARGS.threads, epoch_times, n, float(loss), jit=True, **INFO)


def main():
    table = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5, "W6": w6, "W7": w7}
    for w in ARGS.workloads:
        table[w]()


if __name__ == "__main__":
    main()
