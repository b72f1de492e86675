#!/usr/bin/env python3
"""micrograd reference for Backprop's benchmark: W3 only (scalar graphs).

    python3 bench/ref_micrograd.py --workload W3 --threads 1 [--full]

(a) "micrograd_mlp": the demo notebook's step — micrograd.nn.MLP(2, [16, 16, 1]) on
    make_moons(100, noise=0.1, random_state=1), SVM max-margin loss + 1e-4·Σp², backward,
    SGD — timed with Python's garbage collector on ("step_seconds") and off
    ("step_seconds_gc_disabled"; the cyclic garbage of the previous graph is then collected
    between steps, outside the timed region, and that time is reported as gc_collect_s).
(b) "chain_1M": 500,000 repeats of x = x·1.0001 + 0.0001 (1,000,000 scalar ops), forward +
    backward. micrograd's backward builds its topological order recursively: at Python's default
    recursion limit it raises RecursionError (recorded as default_limit_error); the run then
    raises the limit and runs the recursion on a thread with a large stack.
"""

import gc
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402

ARGS = C.setup("micrograd")

import numpy as np  # noqa: E402
from micrograd.engine import Value  # noqa: E402
from micrograd.nn import MLP  # noqa: E402

FW = "micrograd"
try:
    from importlib.metadata import version as _pkg_version

    INFO = {"version": _pkg_version("micrograd")}
except Exception:  # pragma: no cover
    INFO = {}


def demo_step_factory():
    """The demo notebook's training step, verbatim apart from the timing."""
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    state = {"k": 0, "loss": None}

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        return data_loss + reg_loss

    def step():
        k = state["k"]
        total_loss = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        state["k"] += 1
        state["loss"] = float(total_loss.data)

    return step, state, len(model.parameters())


def w3a():
    # GC on (Python's default).
    step, state, nparams = demo_step_factory()
    gc.enable()
    times = C.time_calls(step, repeats=ARGS.repeats, warmup=1)
    C.emit(FW, "W3", "micrograd_mlp", ARGS.threads, "step_seconds", C.median(times), "s", True,
           **C.summary(times), parameters=nparams, loss_after=round(state["loss"], 6), gc="enabled",
           inputs="numpy float64 scalars, as in demo.ipynb", **INFO)

    # GC off ("tamed"): collect between steps, outside the timed region.
    step, state, nparams = demo_step_factory()
    gc.collect()
    gc.disable()
    try:
        step()  # warm-up
        times, collects = [], []
        for _ in range(ARGS.repeats):
            t0 = time.perf_counter()
            gc.collect()
            collects.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    C.emit(FW, "W3", "micrograd_mlp", ARGS.threads, "step_seconds_gc_disabled", C.median(times), "s", True,
           **C.summary(times), gc_collect_s=round(C.median(collects), 4), parameters=nparams,
           loss_after=round(state["loss"], 6), gc="disabled during the step", **INFO)


def w3b():
    reps = 3 if ARGS.full else 1
    result = {}

    def run():
        try:
            fwd, bwd, tot = [], [], []
            default_error = None
            grad = None
            for r in range(reps):
                t0 = time.perf_counter()
                x0 = Value(1.0)
                x = x0
                for _ in range(500_000):
                    x = x * 1.0001 + 0.0001
                fwd_time = time.perf_counter() - t0
                if r == 0:
                    # What a user gets first: the default recursion limit (untimed; build_topo
                    # fails before any gradient is written).
                    old = sys.getrecursionlimit()
                    tb = time.perf_counter()
                    try:
                        x.backward()
                        done = True  # the limit was already high enough: that was the timed run
                    except RecursionError as e:
                        default_error = f"RecursionError at the default recursion limit ({old}): {e}"
                        done = False
                    t2 = time.perf_counter()
                    sys.setrecursionlimit(4_000_000)
                else:
                    done = False
                if not done:
                    tb = time.perf_counter()
                    x.backward()
                    t2 = time.perf_counter()
                grad = x0.grad
                fwd.append(fwd_time)
                bwd.append(t2 - tb)
                tot.append(fwd_time + (t2 - tb))
                del x, x0
                gc.collect()
            result.update(fwd=fwd, bwd=bwd, tot=tot, default_error=default_error, grad=grad)
        except BaseException as e:  # report, do not crash the whole run
            result["error"] = f"{type(e).__name__}: {e}"

    threading.stack_size(1 << 30)  # 1 GiB: room for the deep recursion
    th = threading.Thread(target=run)
    th.start()
    th.join()
    if "error" in result:
        C.emit(FW, "W3", "chain_1M", ARGS.threads, "seconds", None, "s", True, error=result["error"], **INFO)
        return
    want = 1.0001 ** 500_000
    C.emit(FW, "W3", "chain_1M", ARGS.threads, "seconds", C.median(result["tot"]), "s", True,
           forward_s=round(C.median(result["fwd"]), 4), backward_s=round(C.median(result["bwd"]), 4),
           samples=reps, grad_rel_error=abs(result["grad"] - want) / want,
           default_limit_error=result["default_error"], recursion_limit=sys.getrecursionlimit(),
           peak_rss_mib=round(C.peak_rss_mib(), 1), **INFO)


def main():
    for w in ARGS.workloads:
        if w == "W3":
            w3a()
            w3b()
        else:
            C.note(f"micrograd: {w} is not a scalar-graph workload; no rows")


if __name__ == "__main__":
    main()
