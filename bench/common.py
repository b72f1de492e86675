"""Shared helpers for the reference benchmarks (PyTorch, JAX, NumPy, micrograd).

Only the standard library is imported at module level: every `ref_*.py` script calls
`setup(framework)` *before* importing its framework, so that the thread count (environment
variables and CPU affinity) is in force when the framework's thread pools start.

Output: one JSON object per line on stdout (JSON Lines), the schema shared with
`backprop bench --json`:

    {"framework", "workload", "case", "threads", "metric", "value", "unit",
     "lower_is_better", ...optional extra fields}

Everything else (progress, notes) goes to stderr.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import resource
import statistics
import struct
import sys
import time

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "E1", "W7")
ON_REQUEST = ("W6", "E1", "W7")  # not part of "all"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


# --------------------------------------------------------------------------- setup


def parse_args(framework: str, argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=f"Backprop reference benchmark: {framework}")
    p.add_argument("--workload", default="all", help="W1|W2|W3|W4|W5|W6|E1|W7|all (all = W1–W5), or a comma-separated list")
    p.add_argument("--threads", type=int, default=1, choices=(1, 2))
    p.add_argument("--full", action="store_true", help="longer runs (W2: 10 epochs; more repeats)")
    p.add_argument("--epochs", type=int, default=None, help="W2 epochs (default 3, or 10 with --full); W6: default 1")
    p.add_argument("--limit", type=int, default=None, help="W6: train on the first N images only (a quick run)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5; >= 5 recommended)")
    p.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", FASHION_DIR))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sizes", default="256,512,1024,2048", help="W1 matrix sizes")
    args = p.parse_args(argv)
    if args.workload.lower() == "all":
        args.workloads = [w for w in WORKLOADS if w not in ON_REQUEST]  # E1, W7: only when asked
    else:
        args.workloads = [w.strip().upper() for w in args.workload.split(",") if w.strip()]
        bad = [w for w in args.workloads if w not in WORKLOADS]
        if bad:
            p.error(f"unknown workload(s) {bad}; choose from {WORKLOADS} or all")
    args.w6_epochs = args.epochs if args.epochs is not None else 1
    if args.epochs is None:
        args.epochs = 10 if args.full else 3
    if args.repeats is None:
        args.repeats = 10 if args.full else 5
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.framework = framework
    return args


def setup(framework: str, argv=None) -> argparse.Namespace:
    """Parse the command line, then pin the thread count before any framework import.

    * OMP/MKL/OpenBLAS thread variables are set to --threads (read by the libraries at load).
    * The process is pinned to the first --threads CPUs (sched_setaffinity): XLA sizes its
      thread pool from the schedulable CPUs, and a pinned process cannot use more cores than
      asked whatever a library decides.
    * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are *not* touched here: compare.sh unsets them on
      the command line of the reference runs (see README.md); we only record them.
    """
    args = parse_args(framework, argv)
    t = str(args.threads)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ[var] = t
    try:
        cpus = sorted(os.sched_getaffinity(0))
        if args.threads < len(cpus):
            os.sched_setaffinity(0, set(cpus[: args.threads]))
        args.cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        args.cpus = None
    args.openblas_env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if args.openblas_env and framework == "numpy":
        note(f"warning: {args.openblas_env} is set; OpenBLAS may run a slower kernel than this CPU allows "
             "(run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`, as compare.sh does)")
    return args


def note(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- output


def emit(framework: str, workload: str, case: str, threads: int, metric: str, value, unit: str,
         lower_is_better: bool, **extra) -> dict:
    row = {
        "framework": framework,
        "workload": workload,
        "case": case,
        "threads": threads,
        "metric": metric,
        "value": None if value is None else float(value),
        "unit": unit,
        "lower_is_better": bool(lower_is_better),
    }
    for k, v in extra.items():
        if v is not None:
            row[k] = v
    print(json.dumps(row), flush=True)
    return row


def skip(framework: str, workload: str, case: str, threads: int, metric: str, unit: str,
         lower_is_better: bool, reason: str, **extra) -> dict:
    """A row with value null and a `skipped` reason (the table prints it as 'skipped')."""
    note(f"{framework} {workload} {case}: skipped: {reason}")
    return emit(framework, workload, case, threads, metric, None, unit, lower_is_better, skipped=reason, **extra)


def peak_rss_mib() -> float:
    # Linux: ru_maxrss is in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blas_info() -> list[dict]:
    """Which BLAS / OpenMP libraries are loaded, with their kernel (threadpoolctl), if installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: d[k] for k in keep if d.get(k) is not None} for d in threadpool_info()]


def host_info() -> dict:
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "python": platform.python_version()}


# --------------------------------------------------------------------------- timing


def median(xs):
    return statistics.median(xs)


def time_calls(fn, repeats: int = 5, warmup: int = 2, min_seconds: float = 0.0, max_repeats: int = 1000,
               sync=None) -> list[float]:
    """Times `fn()` one call at a time: `warmup` untimed calls, then at least `repeats` timed ones,
    more (up to `max_repeats`) until `min_seconds` of timed work has accumulated.
    `sync(result)` (e.g. block_until_ready) is called inside the timed region."""
    for _ in range(warmup):
        r = fn()
        if sync:
            sync(r)
    times = []
    total = 0.0
    while len(times) < repeats or (total < min_seconds and len(times) < max_repeats):
        t0 = time.perf_counter()
        r = fn()
        if sync:
            sync(r)
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    return times


def summary(times: list[float]) -> dict:
    """Extra fields that describe the spread of a timing sample (seconds)."""
    return {"samples": len(times), "min_s": min(times), "max_s": max(times)}


def gemm_gflops(n: int, seconds: float) -> float:
    return 2.0 * n ** 3 / seconds / 1e9


# --------------------------------------------------------------------------- data


def _read_idx(path: str):
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4: 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist(data_dir: str = FASHION_DIR):
    """Returns (x_train, y_train, x_test, y_test): x float32 in [0, 1] with shape (N, 784),
    y int64. Raises FileNotFoundError with the install hint if the data set is missing."""
    import numpy as np

    files = {}
    for split in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            path = os.path.join(data_dir, f"{split}-{kind}-ubyte.gz")
            if not os.path.exists(path):
                raise FileNotFoundError(f"{path} not found: `apt-get install -y dataset-fashion-mnist` "
                                        "or pass --data-dir / set FASHION_MNIST_DIR")
            files[(split, kind)] = _read_idx(path)
    def images(a):
        return (a.reshape(a.shape[0], -1).astype(np.float32) / np.float32(255.0))
    return (images(files[("train", "images-idx3")]), files[("train", "labels-idx1")].astype(np.int64),
            images(files[("t10k", "images-idx3")]), files[("t10k", "labels-idx1")].astype(np.int64))


MLP_SIZES = (784, 256, 128, 10)
MLP_BATCH = 128
MLP_LR = 0.1


def init_mlp(seed: int):
    """PyTorch's default nn.Linear init, drawn with NumPy so that every framework starts from the
    same weights: kaiming_uniform(a=√5) for W, which is U(−1/√fan_in, 1/√fan_in), and the same
    bound for the bias. Returns [(W (out, in), b (out,)), ...] as float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        W = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(fan_out,)).astype(np.float32)
        params.append((W, b))
    return params


def epoch_permutation(seed: int, epoch: int, n: int):
    """The seeded shuffle of epoch `epoch` (the same order in every framework)."""
    import numpy as np

    return np.random.default_rng(seed * 1000003 + epoch + 1).permutation(n)


def batches(perm, batch: int = MLP_BATCH):
    """Index arrays of one epoch; the last, partial batch is kept (60000 = 468·128 + 96)."""
    return [perm[i: i + batch] for i in range(0, len(perm), batch)]


def w2_rows(framework: str, threads: int, epoch_times: list[float], n_train: int, accuracy: float,
            **extra) -> None:
    """Emits W2's two rows from the per-epoch wall times (the first epoch is excluded from the median
    when there is more than one)."""
    steady = epoch_times[1:] if len(epoch_times) > 1 else epoch_times
    med = median(steady)
    common = dict(test_accuracy=round(float(accuracy), 4), peak_rss_mib=round(peak_rss_mib(), 1),
                  epochs=len(epoch_times), first_epoch_seconds=round(epoch_times[0], 4),
                  epoch_seconds_all=[round(t, 4) for t in epoch_times], **extra)
    emit(framework, "W2", "mlp", threads, "epoch_seconds", med, "s", True, **common)
    emit(framework, "W2", "mlp", threads, "samples_per_second", n_train / med, "samples/s", False, **common)


# --------------------------------------------------------------------------- CNN training (W6)

CNN_BATCH = 128
CNN_LR = 0.05
CNN_MOMENTUM = 0.9
# Conv2d(1,32,3,pad 1)–ReLU–MaxPool(2)–Conv2d(32,64,3,pad 1)–ReLU–MaxPool(2)–Flatten–
# Linear(3136,128)–ReLU–Linear(128,10): (kind, shape of the weight).
CNN_LAYERS = (("conv", (32, 1, 3, 3)), ("conv", (64, 32, 3, 3)), ("linear", (128, 3136)), ("linear", (10, 128)))


def init_cnn(seed: int):
    """PyTorch's default Conv2d/Linear init law, U(−1/√fan_in, 1/√fan_in) for weight and bias, drawn
    with NumPy so that every framework starts from the same weights: [(W, b), ...] float32, W in
    PyTorch's layout ((out, in, kh, kw) or (out, in))."""
    import numpy as np

    rng = np.random.default_rng(seed)
    params = []
    for _, shape in CNN_LAYERS:
        fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / math.sqrt(fan_in)
        params.append((rng.uniform(-bound, bound, size=shape).astype(np.float32),
                       rng.uniform(-bound, bound, size=shape[:1]).astype(np.float32)))
    return params


def w6_rows(framework: str, threads: int, epoch_times: list[float], n_train: int, last_loss: float, **extra) -> None:
    """Emits W6's rows (the median epoch; warm-up steps are never inside an epoch)."""
    med = median(epoch_times)
    common = dict(samples=n_train, epochs=len(epoch_times), epoch_seconds_all=[round(t, 4) for t in epoch_times],
                  last_loss=round(float(last_loss), 4), **extra)
    emit(framework, "W6", "cnn", threads, "epoch_seconds", med, "s", True, **common)
    emit(framework, "W6", "cnn", threads, "samples_per_second", n_train / med, "samples/s", False, **common)
    emit(framework, "W6", "cnn", threads, "peak_rss_mib", peak_rss_mib(), "MiB", True)


# --------------------------------------------------------------------------- worked examples (W4)

CHAIN_S, CHAIN_T = 0.5, 1.2
VEC_S = [1.0, 2.0, 3.0, 4.0]
VEC_T = [0.5, -1.0, 2.0, 0.0]


def chain_rule_expected():
    """Closed-form dz/ds, dz/dt of z = x² − y², x = s − sin t, y = eˢ + cos t (a self-check)."""
    s, t = CHAIN_S, CHAIN_T
    x = s - math.sin(t)
    y = math.exp(s) + math.cos(t)
    return 2 * x - 2 * y * math.exp(s), 2 * x * (-math.cos(t)) + (-2 * y) * (-math.sin(t))


def vector_chain_rule_expected():
    """z = mean(s⊙t + s − t): dz/ds = (t + 1)/n, dz/dt = (s − 1)/n."""
    n = len(VEC_S)
    return [(t + 1) / n for t in VEC_T], [(s - 1) / n for s in VEC_S]


def check_close(name: str, got, want, tol: float = 1e-9) -> None:
    got = [float(g) for g in (got if isinstance(got, (list, tuple)) else [got])]
    want = [float(w) for w in (want if isinstance(want, (list, tuple)) else [want])]
    if len(got) != len(want) or any(abs(g - w) > tol * max(1.0, abs(w)) for g, w in zip(got, want)):
        raise AssertionError(f"{name}: got {got}, want {want}")


W4_CALLS = 2000  # per-call timings, after W4_WARMUP untimed calls
W4_WARMUP = 200
