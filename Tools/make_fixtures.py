#!/usr/bin/env python3
"""Writes Tests/BackpropCoreTests/Fixtures/ops.json: PyTorch (float64) reference values.

For each named expression: its inputs, its output y, a cotangent u, and the gradients of
sum(y * u) with respect to every input. Tests/BackpropCoreTests/PyTorchFixtureTests.swift holds
the same expressions, by name, written with Backprop, and replays them to 1e-10 relative.

    python3 Tools/make_fixtures.py        # needs torch; the Swift tests never do

Deterministic: a fixed seed, float64 everywhere, and Python's shortest round-trip float repr.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 20240611
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropCoreTests", "Fixtures", "ops.json")

gen = torch.Generator().manual_seed(SEED)


def real(*shape):
    return torch.rand(*shape, generator=gen, dtype=torch.float64) * 4 - 2


def positive(*shape):
    return torch.rand(*shape, generator=gen, dtype=torch.float64) * 1.5 + 0.5


def away(*shape):
    """|x| in [0.25, 2] with a random sign: away from the kinks of relu and abs."""
    sign = torch.randint(0, 2, shape, generator=gen).to(torch.float64) * 2 - 1
    return sign * (torch.rand(*shape, generator=gen, dtype=torch.float64) * 1.75 + 0.25)


def distinct(*shape):
    """A shuffled grid: no two elements within 4/(n+1) of each other (max/min never tie)."""
    n = math.prod(shape)
    grid = torch.linspace(-2, 2, n + 2, dtype=torch.float64)[1:-1]
    return grid[torch.randperm(n, generator=gen)].reshape(shape)


def given(values):
    return lambda: torch.tensor(values, dtype=torch.float64)


def seed_chain(s, t):
    x = s - torch.sin(t)
    y = torch.exp(s) + torch.cos(t)
    return x * x - y * y


def layer_norm(x):
    m = x.mean(dim=-1, keepdim=True)
    v = ((x - m) ** 2).mean(dim=-1, keepdim=True)
    return (x - m) / torch.sqrt(v + 1e-5)


def attention(q, k, v):
    return torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1) @ v


# name -> (input makers, function). Keep the names in sync with PyTorchFixtureTests.swift.
CASES = {
    "seed_chain_rule": ([given(0.5), given(1.2)], seed_chain),
    "seed_chain_rule_vectors": ([lambda: real(5), lambda: real(5)], seed_chain),
    "vector_chain_rule_add": ([given([1.0, 2, 3, 4]), given([0.5, -1, 2, 0])], lambda s, t: (s * t + (s - t)).mean()),
    "vector_chain_rule_multiply": ([given([1.0, 2, 3, 4]), given([0.5, -1, 2, 0])],
                                   lambda s, t: ((s * t) * (s - t)).mean()),
    "mlp_tanh": ([lambda: real(4, 3), lambda: real(3, 5), lambda: real(5), lambda: real(5, 2)],
                 lambda x, w, b, v: torch.tanh(x @ w + b) @ v),
    "softmax_cross_entropy": ([lambda: real(4, 3) * 3, given([[1.0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])],
                              lambda z, y: -(torch.log_softmax(z, dim=-1) * y).sum(dim=-1).mean()),
    "mse_loss": ([lambda: real(6), lambda: real(6)], lambda p, t: ((p - t) ** 2).mean()),
    "layer_norm": ([lambda: real(3, 5)], layer_norm),
    "attention": ([lambda: real(2, 3, 4), lambda: real(2, 5, 4), lambda: real(2, 5, 3)], attention),
    "logsumexp_axis0_keepdim": ([lambda: real(3, 4)], lambda x: torch.logsumexp(x, dim=0, keepdim=True)),
    "logsumexp_all_large": ([lambda: real(2, 3) + 900], lambda x: torch.logsumexp(x.reshape(-1), dim=0)),
    "softmax_axis0": ([lambda: real(3, 2, 2)], lambda x: torch.softmax(x, dim=0)),
    "log_softmax_large_logits": ([lambda: real(2, 4) * 1000], lambda x: torch.log_softmax(x, dim=-1)),
    "batched_matmul_broadcast": ([lambda: real(2, 1, 3, 4), lambda: real(3, 4, 2)], lambda a, b: a @ b),
    "matmul_both_transposed": ([lambda: real(4, 3), lambda: real(2, 4)], lambda a, b: a.T @ b.T),
    "matmul_vector_vector": ([lambda: real(5), lambda: real(5)], lambda a, b: a @ b),
    "matmul_vector_matrix": ([lambda: real(4), lambda: real(4, 3)], lambda a, b: a @ b),
    "matmul_matrix_vector_batched": ([lambda: real(2, 3, 4), lambda: real(4)], lambda a, b: a @ b),
    "gelu_erf": ([lambda: real(7) * 2], lambda x: F.gelu(x) + torch.erf(x)),
    "leaky_relu_sigmoid": ([lambda: away(6)], lambda x: F.leaky_relu(x, 0.1) * torch.sigmoid(x)),
    "relu_abs": ([lambda: away(3, 3)], lambda x: torch.relu(x) + torch.abs(x) * 0.5),
    "relu_abs_at_zero": ([given([-1.0, 0, 2, 0])], lambda x: torch.relu(x) + torch.abs(x)),
    "sigmoid_saturated": ([given([-50.0, -10, 0, 10, 50])], torch.sigmoid),
    "pow_tensor_broadcast": ([lambda: positive(3, 1), lambda: real(1, 4)], lambda a, b: a ** b),
    "pow_scalars": ([lambda: positive(5)], lambda x: x ** 3 + x ** 1.7 - x ** -0.5),
    "pow_negative_base_integer": ([lambda: real(5)], lambda x: x ** 3 - x ** 2),
    "pow_zero_exponent_at_zero": ([given([0.0, 1.5, -2])], lambda x: x ** 0 + x * 2),
    "sqrt_log_exp": ([lambda: positive(2, 3)], lambda x: torch.sqrt(x) * torch.log(x) + torch.exp(-x)),
    "sin_cos_tanh": ([lambda: real(2, 3)], lambda x: torch.sin(x) * torch.cos(2 * x) + torch.tanh(x)),
    "softplus": ([lambda: real(5) * 3], lambda x: torch.log(1 + torch.exp(x))),
    "maximum_minimum_broadcast": ([lambda: distinct(3, 1), lambda: distinct(4) + 0.01],
                                  lambda a, b: torch.maximum(a, b) - 2 * torch.minimum(a, b)),
    "amax_with_ties": ([given([[1.0, 3, 3], [2, 2, 0]])], lambda x: torch.amax(x, dim=1)),
    "amax_amin_axes": ([lambda: distinct(2, 3, 4)],
                       lambda x: torch.amax(x, dim=(0, 2), keepdim=True) + torch.amin(x, dim=1, keepdim=True)),
    "mean_axes": ([lambda: real(2, 3, 4)], lambda x: x.mean(dim=(1, 2)) * x.mean()),
    "sum_to_shape": ([lambda: real(2, 3, 4)], lambda x: x.sum(dim=0).sum(dim=-1, keepdim=True)),
    "divide_broadcast_and_scalars": ([lambda: real(3, 4), lambda: positive(4)], lambda a, b: a / b + 1 / b - (3 - a) / 4),
    "slice_pad_concatenate": ([lambda: real(3, 4), lambda: real(3, 2)],
                              lambda a, b: torch.cat([F.pad(a[:, 1:3], (1, 2)), b * b], dim=1)),
    "gather_scatter_rows": ([lambda: real(3, 2)],
                            lambda x: torch.zeros(4, 2, dtype=torch.float64).index_add(
                                0, torch.tensor([1, 1, 3]), x.index_select(0, torch.tensor([2, 0, 2]))) ** 2),
    "permute_reshape_broadcast": ([lambda: real(2, 3, 4), lambda: real(3, 1)],
                                  lambda x, y: x.permute(2, 0, 1).reshape(4, 6) * y.expand(2, 3, 4).reshape(4, 6)),
    "transpose_squeeze_unsqueeze": ([lambda: real(2, 1, 3)],
                                    lambda x: x.squeeze(1).T.unsqueeze(-1) * x.reshape(-1).sum()),
}


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    cases = []
    for name, (makers, fn) in CASES.items():
        inputs = [m().detach().clone().requires_grad_(True) for m in makers]
        y = fn(*inputs)
        u = torch.rand(y.shape, generator=gen, dtype=torch.float64) + 0.5
        grads = torch.autograd.grad((y * u).sum(), inputs, allow_unused=True)
        cases.append({
            "name": name,
            "inputs": [flat(x) for x in inputs],
            "output": flat(y),
            "cotangent": flat(u),
            "gradients": [flat(g) if g is not None else flat(torch.zeros_like(x)) for g, x in zip(grads, inputs)],
        })
    with open(OUT, "w") as f:
        json.dump({"generator": "Tools/make_fixtures.py", "torch": torch.__version__.split("+")[0], "seed": SEED,
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
