#!/usr/bin/env python3
"""Writes Tests/BackpropCoreTests/Fixtures/sequence_ops.json: PyTorch float64 references for the
sequence-model ops (where, masked_fill, embedding with a padding index, scaled dot-product
attention causal and masked, cross entropy over (N, T, C) with ignore_index and label smoothing).

Same format as make_cnn_fixtures.py (inputs, output y, cotangent u, gradients of sum(y * u));
the Swift side is PyTorchSequenceFixtureTests.swift, by case name. Integer arguments (indices,
targets, masks) are constants written in both files.

    python3 Tools/make_sequence_fixtures.py      # needs torch; the Swift tests never do
"""
import json
import os

import torch
import torch.nn.functional as F

SEED = 20261205
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropCoreTests", "Fixtures", "sequence_ops.json")
gen = torch.Generator().manual_seed(SEED)

COND = torch.tensor([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
FILL_MASK = torch.tensor([[0, 1, 0]], dtype=torch.bool)
EMB_INDICES = torch.tensor([[1, 0, 4, 1], [5, 0, 1, 2]])  # padding index 0, repeats of 1
ATT_MASK = torch.tensor([[1, 1, 0, 1, 0], [1, 0, 1, 1, 1], [0, 0, 1, 0, 1]], dtype=torch.bool)
TARGETS = torch.tensor([2, -100, 0, 4, 4, 1])


def real(*shape):
    return lambda: torch.rand(*shape, generator=gen, dtype=torch.float64) * 4 - 2


CASES = {
    "where_broadcast": ([real(3, 4), real(4)], lambda a, b: torch.where(COND, a, b)),
    "masked_fill": ([real(2, 3)], lambda x: x.masked_fill(FILL_MASK, -1.5)),
    "embedding_padding": ([real(6, 3)], lambda w: F.embedding(EMB_INDICES, w, padding_idx=0)),
    "attention_causal": ([real(2, 2, 4, 3), real(2, 2, 4, 3), real(2, 2, 4, 2)],
                         lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
    "attention_mask": ([real(1, 2, 3, 4), real(1, 2, 5, 4), real(1, 2, 5, 3)],
                       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=ATT_MASK)),
    "cross_entropy_ignore_smoothing": ([real(2, 3, 5)],
                                       lambda x: F.cross_entropy(x.reshape(-1, 5), TARGETS, ignore_index=-100,
                                                                 label_smoothing=0.1)),
    "cross_entropy_2d": ([real(4, 3)], lambda x: F.cross_entropy(x, torch.tensor([2, 0, 1, 1]))),
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
        json.dump({"generator": "Tools/make_sequence_fixtures.py", "torch": torch.__version__.split("+")[0], "seed": SEED,
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
