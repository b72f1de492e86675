#!/usr/bin/env python3
"""JAX (CPU) reference for Backprop's benchmark: W1, W2 (jit train step), W4 (jit and eager, as
two columns: rows carry "jit": true/false and "variant": "jit"/"eager"), W5 (jax.jit(jax.jacfwd)
and jax.jit(jax.hessian), compile time excluded from the value and reported as compile_ms).
W3 (scalar graphs) is reported as skipped: see SKIP_W3.

    python3 bench/ref_jax.py --workload W1|W2|W3|W4|W5|all --threads 1|2 [--full]

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


def main():
    table = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W5": w5}
    for w in ARGS.workloads:
        table[w]()


if __name__ == "__main__":
    main()
