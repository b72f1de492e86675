#!/usr/bin/env python3
"""NumPy reference for Backprop's benchmark: W1 (sgemm through NumPy's OpenBLAS), W2 (an MLP
with a hand-written float32 forward/backward) and E1 (elementwise tanh, relu, add, pow). W3–W5 need autodiff: NumPy has none, so it emits
no rows for them.

    python3 bench/ref_numpy.py --workload W1|W2|all --threads 1|2 [--full]

Run it with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (compare.sh does: `env -u ...`), or
OpenBLAS may run an older kernel than the CPU supports; the kernel used is in each row's
"blas" field (threadpoolctl).
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

ARGS = C.setup("numpy")

import numpy as np  # noqa: E402  (after setup: OPENBLAS_NUM_THREADS must be set first)

FW = "numpy"


def blas_fields():
    info = [d for d in C.blas_info() if d.get("internal_api") in ("openblas", "mkl", "blis")]
    fields = {"version": np.__version__, "blas": info or None}
    if ARGS.openblas_env:
        fields["openblas_env"] = ARGS.openblas_env
    return fields


def w1():
    rng = np.random.default_rng(ARGS.seed)
    for n in ARGS.sizes:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        c = np.empty((n, n), dtype=np.float32)
        times = C.time_calls(lambda: np.matmul(a, b, out=c), repeats=ARGS.repeats, warmup=2,
                             min_seconds=1.0 if ARGS.full else 0.3, max_repeats=200)
        med = C.median(times)
        C.emit(FW, "W1", f"n={n}", ARGS.threads, "gflops", C.gemm_gflops(n, med), "GFLOP/s", False,
               median_s=med, gflops_best=round(C.gemm_gflops(n, min(times)), 1), **C.summary(times), **blas_fields())


def w2():
    xtr, ytr, xte, yte = C.load_fashion_mnist(ARGS.data_dir)
    # Layout (in, out) so that the forward pass is x @ W + b with no transposes.
    params = [(W.T.copy(), b.copy()) for W, b in C.init_mlp(ARGS.seed)]
    (W1, b1), (W2, b2), (W3, b3) = params
    lr = np.float32(C.MLP_LR)

    def forward(x):
        h1 = x @ W1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        logits = h2 @ W3
        logits += b3
        return h1, h2, logits

    def step(xb, yb):
        B = xb.shape[0]
        h1, h2, logits = forward(xb)
        # softmax + cross-entropy, fused backward: dL/dlogits = (softmax − onehot) / B
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        d = logits
        d[np.arange(B), yb] -= 1.0
        d *= np.float32(1.0 / B)
        gW3 = h2.T @ d
        gb3 = d.sum(axis=0)
        dh2 = d @ W3.T
        dh2[h2 <= 0] = 0
        gW2 = h1.T @ dh2
        gb2 = dh2.sum(axis=0)
        dh1 = dh2 @ W2.T
        dh1[h1 <= 0] = 0
        gW1 = xb.T @ dh1
        gb1 = dh1.sum(axis=0)
        for p, g in ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3)):
            p -= lr * g  # in place

    n = xtr.shape[0]
    epoch_times = []
    for epoch in range(ARGS.epochs):
        t0 = time.perf_counter()
        for idx in C.batches(C.epoch_permutation(ARGS.seed, epoch, n)):
            step(xtr[idx], ytr[idx])
        epoch_times.append(time.perf_counter() - t0)
        C.note(f"numpy W2 epoch {epoch + 1}: {epoch_times[-1]:.3f} s")
    acc = float((forward(xte)[2].argmax(axis=1) == yte).mean())
    C.w2_rows(FW, ARGS.threads, epoch_times, n, acc, **blas_fields())


def e1():
    """Elementwise float32 ops (NumPy's own SIMD loops, one thread), the cases of Backprop's E1."""
    rng = np.random.default_rng(3)
    for n in (4096, 32768, 131072, 1048576):
        a = (rng.random(n, dtype=np.float32) + 0.5)
        b = rng.random(n, dtype=np.float32)
        out = np.empty(n, dtype=np.float32)
        ops = [("tanh", lambda: np.tanh(a, out=out)), ("relu", lambda: np.maximum(a, 0, out=out)),
               ("add", lambda: np.add(a, b, out=out)), ("pow", lambda: np.power(a, b, out=out))]
        for name, op in ops:
            times = C.time_calls(op, repeats=20, warmup=3)
            C.emit(FW, "E1", f"{name} n={n}", ARGS.threads, "microseconds", C.median(times) * 1e6, "µs", True,
                   **C.summary(times))


def main():
    for w in ARGS.workloads:
        if w == "W1":
            w1()
        elif w == "W2":
            w2()
        elif w == "E1":
            e1()
        else:
            C.note(f"numpy: {w} needs automatic differentiation; no NumPy reference (no rows)")


if __name__ == "__main__":
    main()
