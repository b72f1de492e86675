#!/usr/bin/env python3
"""Writes Tests/BackpropCoreTests/Fixtures/cnn_ops.json: PyTorch float64 references for the CNN ops.

Same format as make_fixtures.py (inputs, output y, cotangent u, gradients of sum(y * u)); the
Swift side is PyTorchCNNFixtureTests.swift, by case name. Covers conv2d with every option,
conv1d, conv_transpose2d, pooling with padding, adaptive pooling, batch norm in both modes
(and, as outputs, the running statistics after one training step), layer/group norm and a
composed conv→bn→relu→pool→linear stack.

    python3 Tools/make_cnn_fixtures.py      # needs torch; the Swift tests never do
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 20261204
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropCoreTests", "Fixtures", "cnn_ops.json")
gen = torch.Generator().manual_seed(SEED)


def real(*shape):
    return lambda: torch.rand(*shape, generator=gen, dtype=torch.float64) * 4 - 2


def distinct(*shape):
    def make():
        n = 1
        for d in shape:
            n *= d
        grid = torch.linspace(-2, 2, n + 2, dtype=torch.float64)[1:-1]
        return grid[torch.randperm(n, generator=gen)].reshape(shape)
    return make


def bn_train_stats(x, w, b):
    rm, rv = torch.tensor([0.5, -1.0, 0.0], dtype=torch.float64), torch.tensor([2.0, 0.5, 1.0], dtype=torch.float64)
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
    # The updated running statistics, folded into the output so that one case checks both.
    return torch.cat([y.reshape(-1), rm.clone(), rv.clone()])


def stack(x, w1, b1, g, beta, w2, b2):
    h = F.conv2d(x, w1, b1, padding=1)
    h = F.batch_norm(h, None, None, g, beta, training=True)
    h = F.max_pool2d(F.relu(h), 2)
    return F.linear(h.flatten(1), w2, b2)


CASES = {
    "conv2d_padding_bias": ([real(2, 3, 5, 5), real(4, 3, 3, 3), real(4)], lambda x, w, b: F.conv2d(x, w, b, padding=1)),
    "conv2d_stride_dilation_groups": ([real(2, 4, 7, 6), real(6, 2, 3, 2)],
                                      lambda x, w: F.conv2d(x, w, stride=2, padding=(1, 2), dilation=(2, 1), groups=2)),
    "conv2d_depthwise": ([real(1, 3, 5, 6), real(3, 1, 3, 3), real(3)],
                         lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=3)),
    "conv2d_same_even_kernel": ([real(2, 2, 4, 6), real(3, 2, 2, 3)],
                                lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2))),
    "conv1d_stride_groups": ([real(2, 4, 7), real(6, 2, 3), real(6)],
                             lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2)),
    "conv_transpose2d": ([real(2, 3, 3, 3), real(3, 2, 3, 3), real(2)],
                         lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)),
    "conv_transpose2d_groups_dilation": ([real(1, 4, 3, 2), real(4, 1, 2, 2)],
                                         lambda x, w: F.conv_transpose2d(x, w, stride=(1, 2), output_padding=(0, 1),
                                                                         dilation=2, groups=2)),
    "max_pool2d_padding": ([distinct(1, 2, 5, 5)], lambda x: F.max_pool2d(x, 3, stride=2, padding=1)),
    "max_pool1d": ([distinct(2, 2, 5)], lambda x: F.max_pool1d(x, 2, stride=1)),
    "avg_pool2d_exclude_pad": ([real(1, 2, 5, 6)],
                               lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)),
    "avg_pool2d_include_pad": ([real(1, 1, 4, 5)], lambda x: F.avg_pool2d(x, (2, 3), stride=1, padding=1)),
    "avg_pool1d_exclude_pad": ([real(2, 2, 7)], lambda x: F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)),
    "adaptive_avg_pool2d": ([real(2, 2, 5, 7)], lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    "batch_norm_train_and_running_stats": ([real(4, 3, 2, 2), real(3), real(3)], bn_train_stats),
    "batch_norm_eval": ([real(2, 3, 2), real(3), real(3)],
                        lambda x, w, b: F.batch_norm(x, torch.tensor([0.5, -1.0, 0.0], dtype=torch.float64),
                                                     torch.tensor([2.0, 0.5, 1.0], dtype=torch.float64), w, b, training=False)),
    "layer_norm_2d": ([real(2, 3, 4), real(3, 4), real(3, 4)], lambda x, w, b: F.layer_norm(x, (3, 4), w, b)),
    "group_norm": ([real(2, 4, 3), real(4), real(4)], lambda x, w, b: F.group_norm(x, 2, w, b)),
    "silu_elu_gelu_tanh": ([real(3, 4)], lambda x: F.silu(x) + F.elu(x, 1.5) * F.gelu(x, approximate="tanh")),
    "conv_bn_relu_pool_linear": ([real(2, 1, 4, 4), real(3, 1, 3, 3), real(3), real(3), real(3), real(2, 12), real(2)], stack),
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
        cases.append({"name": name, "inputs": [flat(x) for x in inputs], "output": flat(y), "cotangent": flat(u),
                      "gradients": [flat(g) if g is not None else flat(torch.zeros_like(x)) for g, x in zip(grads, inputs)]})
    with open(OUT, "w") as f:
        json.dump({"generator": "Tools/make_cnn_fixtures.py", "torch": torch.__version__.split("+")[0], "seed": SEED,
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
