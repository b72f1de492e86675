#!/usr/bin/env python3
"""Writes Tests/BackpropCoreTests/Fixtures/scalar_ops.json: PyTorch (float64, 0-dim tensors)
reference values for `Value`, the scalar-tape type.

- "ops": every `Value` operation at several points (including the kinks PyTorch defines a
  convention for: relu and abs at 0, pow with base 0): inputs, output, and the gradient of the
  output with respect to every input.
- "expressions": micrograd's two engine tests (test_sanity_check, test_more_ops), which compare
  micrograd's Value with PyTorch; Tests/BackpropCoreTests/ValueTests.swift writes the same
  expressions with Backprop's `Value` and replays them.

    python3 Tools/make_scalar_fixtures.py        # needs torch; the Swift tests never do
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropCoreTests", "Fixtures", "scalar_ops.json")
gen = torch.Generator().manual_seed(20261127)


def uniform(lo, hi, n=4):
    return [lo + (hi - lo) * float(v) for v in torch.rand(n, generator=gen, dtype=torch.float64)]


UNARY = {
    "neg": (lambda x: -x, uniform(-2, 2)),
    "exp": (torch.exp, uniform(-2, 2)),
    "log": (torch.log, uniform(0.2, 3)),
    "tanh": (torch.tanh, uniform(-2, 2)),
    "sigmoid": (torch.sigmoid, uniform(-3, 3)),
    "relu": (torch.relu, uniform(-2, 2) + [0.0]),
    "sqrt": (torch.sqrt, uniform(0.2, 3)),
    "sin": (torch.sin, uniform(-3, 3)),
    "cos": (torch.cos, uniform(-3, 3)),
    "abs": (torch.abs, uniform(-2, 2) + [0.0]),
    "pow_const_3": (lambda x: x ** 3.0, uniform(-2, 2)),
    "pow_const_-0.5": (lambda x: x ** -0.5, uniform(0.2, 3)),
}
BINARY = {
    "add": (lambda a, b: a + b, uniform(-2, 2), uniform(-2, 2)),
    "sub": (lambda a, b: a - b, uniform(-2, 2), uniform(-2, 2)),
    "mul": (lambda a, b: a * b, uniform(-2, 2), uniform(-2, 2)),
    "div": (lambda a, b: a / b, uniform(-2, 2), uniform(0.5, 2)),
    "pow": (lambda a, b: a ** b, uniform(0.2, 2) + [0.0], uniform(-1.5, 2.5) + [2.0]),
}


def leaf(v):
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


ops = []
for name, (f, xs) in UNARY.items():
    for x in xs:
        t = leaf(x)
        y = f(t)
        y.backward()
        ops.append({"op": name, "inputs": [x], "output": y.item(), "grads": [t.grad.item()]})
for name, (f, as_, bs) in BINARY.items():
    for a, b in zip(as_, bs):
        ta, tb = leaf(a), leaf(b)
        y = f(ta, tb)
        y.backward()
        ops.append({"op": name, "inputs": [a, b], "output": y.item(), "grads": [ta.grad.item(), tb.grad.item()]})


def sanity_check():
    # micrograd test/test_engine.py: test_sanity_check, written with torch
    x = leaf(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return {"name": "micrograd_sanity_check", "inputs": {"x": -4.0}, "output": y.item(), "grads": {"x": x.grad.item()}}


def more_ops():
    # micrograd test/test_engine.py: test_more_ops, written with torch
    a, b = leaf(-4.0), leaf(2.0)
    c = a + b
    d = a * b + b ** 3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return {"name": "micrograd_more_ops", "inputs": {"a": -4.0, "b": 2.0}, "output": g.item(),
            "grads": {"a": a.grad.item(), "b": b.grad.item()}}


with open(OUT, "w", encoding="utf-8") as out:
    json.dump({"generator": "Tools/make_scalar_fixtures.py", "torch": torch.__version__, "ops": ops,
               "expressions": [sanity_check(), more_ops()]}, out, indent=1)
    out.write("\n")
print(f"wrote {len(ops)} op cases and 2 expressions to {os.path.normpath(OUT)}")
