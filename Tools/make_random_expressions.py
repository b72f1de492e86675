#!/usr/bin/env python3
"""Writes Tests/BackpropCoreTests/Fixtures/random_expressions.json: differential tests (issue 6).

Generates random expressions -- random sequences of elementwise ops, broadcasting binary ops,
reductions, matmuls (batched, transposed), activations and shape ops on random small shapes -- in a
tiny expression language, evaluates them with PyTorch in float64, and stores the values and the
gradients of sum(y * u) with respect to every input. RandomExpressionTests.swift interprets the
same programs with Backprop and requires agreement to 1e-6 relative.

The language: registers 0..<k are the inputs; instruction i writes register k + i; the last
register is the output. An instruction is {"op": name, "args": [registers], ...attributes}.

    python3 Tools/make_random_expressions.py [--count 240] [--seed 6]

Deterministic: fixed seeds (Python's random and a torch.Generator), float64, inputs rounded to
4 decimals, and Python's shortest round-trip float repr for the results.
"""
import argparse
import json
import math
import os
import random

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropCoreTests", "Fixtures",
                   "random_expressions.json")
MAX_ELEMENTS = 36
KINK = 1e-4  # keep relu/abs/max/maximum this far from their kinks and ties

UNARY = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "square", "erf",
         "gelu", "leaky_relu", "pow_scalar", "add_scalar", "mul_scalar", "rsub_scalar", "rdiv_scalar"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "matmul"]
REDUCE = ["sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax", "sum_to"]
SHAPE = ["reshape", "permute", "transpose", "slice", "pad", "concat", "gather_rows", "scatter_rows",
         "broadcast_to", "unsqueeze", "squeeze"]


def numel(shape):
    return math.prod(shape)


def all_dims(rank):
    return tuple(range(rank))


def evaluate(ins, xs):
    """One instruction in PyTorch. `xs` are the argument tensors."""
    op, x = ins["op"], xs[0]
    s = ins.get("scalar")
    if op == "neg": return -x
    if op in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "erf"):
        return getattr(torch, op)(x)
    if op == "square": return x * x
    if op == "gelu": return F.gelu(x)
    if op == "leaky_relu": return F.leaky_relu(x, s)
    if op == "pow_scalar": return x ** s
    if op == "add_scalar": return x + s
    if op == "mul_scalar": return x * s
    if op == "rsub_scalar": return s - x
    if op == "rdiv_scalar": return s / x
    if op == "add": return x + xs[1]
    if op == "sub": return x - xs[1]
    if op == "mul": return x * xs[1]
    if op == "div": return x / xs[1]
    if op == "pow": return x ** xs[1]
    if op == "maximum": return torch.maximum(x, xs[1])
    if op == "minimum": return torch.minimum(x, xs[1])
    if op == "matmul":
        a, b = x, xs[1]
        if ins["ta"]: a = a.transpose(-1, -2)
        if ins["tb"]: b = b.transpose(-1, -2)
        return a @ b
    axes = ins.get("axes")
    dims = tuple(axes) if axes is not None else all_dims(x.dim())
    keep = ins.get("keepdim", False)
    if op == "sum": return x.sum(dim=dims, keepdim=keep) if dims else x
    if op == "mean": return x.mean(dim=dims, keepdim=keep)
    if op == "max": return torch.amax(x, dim=dims, keepdim=keep)
    if op == "min": return torch.amin(x, dim=dims, keepdim=keep)
    if op == "logsumexp": return torch.logsumexp(x, dim=dims, keepdim=keep)
    if op == "softmax": return torch.softmax(x, dim=ins["axis"])
    if op == "log_softmax": return torch.log_softmax(x, dim=ins["axis"])
    if op == "sum_to": return x.sum_to_size(ins["shape"]) if ins["shape"] else x.sum()
    if op == "reshape": return x.reshape(ins["shape"])
    if op == "permute": return x.permute(ins["perm"])
    if op == "transpose": return x.transpose(-1, -2)
    if op == "slice": return x.narrow(ins["axis"], ins["start"], ins["end"] - ins["start"])
    if op == "pad":
        a = ins["axis"] % x.dim()
        return F.pad(x, [0, 0] * (x.dim() - 1 - a) + [ins["before"], ins["after"]])
    if op == "concat": return torch.cat(xs, dim=ins["axis"])
    if op == "gather_rows": return x.index_select(0, torch.tensor(ins["indices"]))
    if op == "scatter_rows":
        out = torch.zeros([ins["rows"]] + list(x.shape[1:]), dtype=x.dtype)
        return out.index_add(0, torch.tensor(ins["indices"]), x)
    if op == "broadcast_to": return x.expand(ins["shape"])
    if op == "unsqueeze": return x.unsqueeze(ins["axis"])
    if op == "squeeze": return x.squeeze(tuple(ins["axes"]))
    raise ValueError(op)


class Builder:
    """Grows one random program; every candidate step is evaluated and kept only if valid."""

    def __init__(self, rng, gen):
        self.rng, self.gen = rng, gen
        self.inputs = []      # torch tensors
        self.slots = []       # ("in", j) or ("op", j), in creation order
        self.values = []      # value of each slot
        self.program = []     # instructions; args are slot numbers until `finish`
        self.used = set()

    # -- random pieces -------------------------------------------------------------------
    def shape(self, rank=None):
        rank = self.rng.choice([0, 1, 1, 2, 2, 2, 3]) if rank is None else rank
        while True:
            s = [self.rng.randint(1, 4) for _ in range(rank)]
            if numel(s) <= MAX_ELEMENTS: return s

    def tensor(self, shape, low=-2.0, high=2.0):
        t = torch.rand(shape, generator=self.gen, dtype=torch.float64) * (high - low) + low
        return torch.round(t * 1e4) / 1e4

    def broadcast_partner(self, shape):
        """A shape that broadcasts with `shape` (some dims 1, maybe fewer or more leading dims)."""
        s = [d if self.rng.random() < 0.6 else 1 for d in shape]
        r = self.rng.random()
        if r < 0.25 and s: s = s[self.rng.randint(1, len(s)):]
        elif r < 0.4 and len(s) < 3: s = [self.rng.randint(1, 3)] + s
        return s if numel(s) * max(1, numel(shape)) <= MAX_ELEMENTS * 4 else [1] * len(s)

    def axes(self, rank):
        if rank == 0 or self.rng.random() < 0.25: return None
        k = self.rng.randint(1, rank)
        axes = sorted(self.rng.sample(range(rank), k))
        return [a - rank if self.rng.random() < 0.3 else a for a in axes]

    def pick_slot(self):
        """Mostly the latest value; sometimes an earlier one (fan-out, reuse)."""
        if self.rng.random() < 0.75 or len(self.slots) == 1: return len(self.slots) - 1
        return self.rng.randrange(len(self.slots))

    # -- candidates ----------------------------------------------------------------------
    def candidate(self, op, a):
        """(instruction with slot args / ("new", tensor) args) or None if `op` does not fit."""
        x, rng = self.values[a], self.rng
        shape, rank = list(x.shape), x.dim()
        if op in UNARY:
            ins = {"op": op, "args": [a]}
            if op in ("log", "sqrt") and not (x > 0.1).all(): return None
            if op == "exp" and x.max() > 4: return None
            if op in ("relu", "abs", "leaky_relu") and (x.abs() < KINK).any(): return None
            if op == "rdiv_scalar" and (x.abs() < 0.2).any(): return None
            if op == "leaky_relu": ins["scalar"] = rng.choice([0.01, 0.1, 0.3])
            if op == "pow_scalar":
                p = rng.choice([2.0, 3.0, 0.5, 1.5, -1.0])
                if p not in (2.0, 3.0) and not (x > 0.1).all(): return None
                ins["scalar"] = p
            if op in ("add_scalar", "mul_scalar", "rsub_scalar", "rdiv_scalar"):
                ins["scalar"] = round(rng.uniform(-2, 2), 2) or 0.5
            return ins
        if op == "matmul":
            if rank == 0: return None
            n = rng.randint(1, 4)
            if rank == 1:
                k = shape[0]
                other = rng.choice([[k], [k, n], [2, k, n]])
                return {"op": op, "args": [a, ("new", other)], "ta": False, "tb": False}
            ta, tb = rng.random() < 0.3, rng.random() < 0.3
            k = shape[-2] if ta else shape[-1]
            batch = rng.choice([[], [], [1], shape[:-2][-1:]]) if rank >= 3 else rng.choice([[], [], [2]])
            other = batch + ([n, k] if tb else [k, n])
            if rng.random() < 0.2: other, tb = [k], False
            if numel(shape[:-2] or [1]) * numel(batch or [1]) > 8: return None
            return {"op": op, "args": [a, ("new", other)], "ta": ta, "tb": tb}
        if op in BINARY:
            if rng.random() < 0.3:
                b = rng.randrange(len(self.slots))
                try: torch.broadcast_shapes(x.shape, self.values[b].shape)
                except RuntimeError: return None
                partner = b
            else:
                partner = ("new", self.broadcast_partner(shape))
            ins = {"op": op, "args": [a, partner]}
            if op == "div" and rng.random() < 0.5: ins["args"] = [partner, a]  # divide by x too
            if op == "pow" and rng.random() < 0.5: ins["args"] = [partner, a]
            return ins
        if op in ("sum", "mean", "max", "min", "logsumexp"):
            if rank == 0: return None
            return {"op": op, "args": [a], "axes": self.axes(rank), "keepdim": rng.random() < 0.4}
        if op in ("softmax", "log_softmax"):
            if rank == 0: return None
            return {"op": op, "args": [a], "axis": rng.randrange(-rank, rank)}
        if op == "sum_to":
            if rank == 0: return None
            target = [d if rng.random() < 0.5 else 1 for d in shape]
            if rng.random() < 0.4: target = target[rng.randint(1, rank):]
            return {"op": op, "args": [a], "shape": target}
        if op == "reshape":
            total, dims = numel(shape), []
            while total > 1 and len(dims) < 3:
                f = rng.choice([d for d in range(1, total + 1) if total % d == 0])
                dims.append(f); total //= f
            dims.append(total)
            rng.shuffle(dims)
            if rng.random() < 0.4: dims[rng.randrange(len(dims))] = -1
            return {"op": op, "args": [a], "shape": dims}
        if op == "permute":
            if rank < 2: return None
            perm = list(range(rank)); rng.shuffle(perm)
            return {"op": op, "args": [a], "perm": perm}
        if op == "transpose":
            return {"op": op, "args": [a]} if rank >= 2 else None
        if op == "slice":
            axes = [i for i in range(rank) if shape[i] >= 2]
            if not axes: return None
            ax = rng.choice(axes)
            start = rng.randrange(shape[ax]); end = rng.randint(start + 1, shape[ax])
            return {"op": op, "args": [a], "axis": ax - rank if rng.random() < 0.3 else ax, "start": start, "end": end}
        if op == "pad":
            if rank == 0: return None
            return {"op": op, "args": [a], "axis": rng.randrange(-rank, rank),
                    "before": rng.randint(0, 2), "after": rng.randint(0, 2)}
        if op == "concat":
            if rank == 0: return None
            ax = rng.randrange(rank)
            others = [("new", shape[:ax] + [rng.randint(1, 3)] + shape[ax + 1:]) for _ in range(rng.randint(1, 2))]
            args = [a] + others
            rng.shuffle(args)
            return {"op": op, "args": args, "axis": ax}
        if op == "gather_rows":
            if rank == 0: return None
            return {"op": op, "args": [a], "indices": [rng.randrange(shape[0]) for _ in range(rng.randint(1, 4))]}
        if op == "scatter_rows":
            if rank == 0: return None
            idx = [rng.randrange(shape[0] + 1) for _ in range(shape[0])]
            return {"op": op, "args": [a], "indices": idx, "rows": max(idx) + 1 + rng.randint(0, 1)}
        if op == "broadcast_to":
            target = [rng.randint(2, 3) if d == 1 and rng.random() < 0.7 else d for d in shape]
            if rng.random() < 0.4 or target == shape: target = [2] + target
            return {"op": op, "args": [a], "shape": target}
        if op == "unsqueeze":
            return {"op": op, "args": [a], "axis": rng.randint(-rank - 1, rank)}
        if op == "squeeze":
            ones = [i for i in range(rank) if shape[i] == 1]
            if not ones: return None
            return {"op": op, "args": [a], "axes": rng.sample(ones, rng.randint(1, len(ones)))}
        raise ValueError(op)

    def valid(self, ins, xs, y):
        if not torch.isfinite(y).all() or y.abs().max() > 1e3 or numel(y.shape) > MAX_ELEMENTS * 2: return False
        op = ins["op"]
        if op in ("div",) and (xs[1].abs() < 0.2).any(): return False
        if op == "pow" and ((xs[0] < 0.2).any() or (xs[1].abs() > 3).any()): return False
        if op in ("maximum", "minimum") and ((xs[0] - xs[1]).abs() < KINK).any(): return False
        if op in ("max", "min"):
            x = xs[0] if op == "max" else -xs[0]
            axes = ins["axes"]
            dims = tuple(axes) if axes is not None else all_dims(x.dim())
            top = torch.amax(x, dim=dims, keepdim=True)
            if ((x > top - KINK).sum(dim=dims) != 1).any(): return False  # a near-tie
        return True

    def step(self, op):
        a = self.pick_slot()
        ins = self.candidate(op, a)
        if ins is None: return False
        news = []
        for i, arg in enumerate(ins["args"]):
            if isinstance(arg, tuple):
                low, high = (0.5, 2.0) if op in ("pow", "div") and i == 0 and ins["args"][1] == a else (-2.0, 2.0)
                if op == "div" and i == 1: low, high = 0.5, 2.0
                if op == "pow" and i == 0: low, high = 0.5, 2.0
                if op == "pow" and i == 1: low, high = -2.0, 2.0
                news.append((i, self.tensor(arg[1], low, high)))
        xs = [self.values[arg] if not isinstance(arg, tuple) else None for arg in ins["args"]]
        for i, t in news: xs[i] = t
        try:
            with torch.no_grad(): y = evaluate(ins, xs)
        except RuntimeError:
            return False
        if not self.valid(ins, xs, y): return False
        for i, t in news:
            self.inputs.append(t); self.slots.append(("in", len(self.inputs) - 1)); self.values.append(t)
            ins["args"][i] = len(self.slots) - 1
        self.used.update(ins["args"])
        self.program.append(ins)
        self.slots.append(("op", len(self.program) - 1)); self.values.append(y)
        return True

    def finish(self):
        """Folds unused values into the output, then numbers registers: inputs first, then ops."""
        last = len(self.slots) - 1
        for s in range(len(self.slots) - 1):
            if s not in self.used and s != last:
                for ins in ({"op": "sum", "args": [s], "axes": None, "keepdim": False},
                            {"op": "add", "args": [last, None]}):
                    if ins["op"] == "add": ins["args"][1] = len(self.slots) - 1
                    xs = [self.values[i] for i in ins["args"]]
                    self.program.append(ins)
                    self.slots.append(("op", len(self.program) - 1)); self.values.append(evaluate(ins, xs))
                    self.used.update(ins["args"])
                last = len(self.slots) - 1
        k = len(self.inputs)
        number = [j if kind == "in" else k + j for kind, j in self.slots]
        for ins in self.program: ins["args"] = [number[s] for s in ins["args"]]


def generate(index, seed):
    rng = random.Random(seed * 1_000_003 + index)
    gen = torch.Generator().manual_seed(seed * 7919 + index)
    b = Builder(rng, gen)
    first = b.tensor(b.shape(rank=rng.choice([1, 2, 2, 3])))
    b.inputs.append(first); b.slots.append(("in", 0)); b.values.append(first)
    target = rng.randint(3, 8)
    tries = 0
    while len(b.program) < target and tries < 400:
        tries += 1
        kind = rng.choices(["unary", "binary", "reduce", "shape"], [35, 30, 15, 20])[0]
        op = rng.choice({"unary": UNARY, "binary": BINARY + ["matmul"], "reduce": REDUCE, "shape": SHAPE}[kind])
        b.step(op)
    b.finish()
    return b


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    cases, histogram = [], {}
    for i in range(args.count):
        b = generate(i, args.seed)
        inputs = [t.clone().requires_grad_(True) for t in b.inputs]
        regs = list(inputs)
        for ins in b.program: regs.append(evaluate(ins, [regs[j] for j in ins["args"]]))
        y = regs[-1]
        u = torch.round((torch.rand(y.shape, generator=torch.Generator().manual_seed(i), dtype=torch.float64) + 0.5) * 1e4) / 1e4
        grads = torch.autograd.grad((y * u).sum(), inputs, allow_unused=True)
        for ins in b.program: histogram[ins["op"]] = histogram.get(ins["op"], 0) + 1
        cases.append({
            "name": f"expr-{i:03d}",
            "inputs": [flat(x) for x in inputs],
            "program": b.program,
            "output": flat(y),
            "cotangent": flat(u),
            "gradients": [flat(g if g is not None else torch.zeros_like(x)) for g, x in zip(grads, inputs)],
        })
    with open(OUT, "w") as f:
        json.dump({"generator": "Tools/make_random_expressions.py", "torch": torch.__version__.split("+")[0],
                   "seed": args.seed, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    missing = [op for op in UNARY + BINARY + REDUCE + SHAPE if op not in histogram]
    print(f"wrote {len(cases)} expressions, {sum(histogram.values())} instructions to "
          f"{os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")
    print("ops:", " ".join(f"{k}={v}" for k, v in sorted(histogram.items())))
    if missing: raise SystemExit(f"ops never generated: {missing}")


if __name__ == "__main__":
    main()
