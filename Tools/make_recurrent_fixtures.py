#!/usr/bin/env python3
"""Writes Tests/BackpropNNTests/Fixtures/recurrent.json: PyTorch float64 references for nn.LSTM
(2 layers, batch_first) and nn.GRU (2 layers, time first) with given initial states: the
parameters (state-dict names), input, states, outputs, final states, and the gradients of
L = sum(out * u) + sum(h_n * uh) (+ sum(c_n * uc)) for the input, initial states and parameters.
Also Tests/BackpropNNTests/Fixtures/lstm_state_dict.safetensors: the same LSTM's state_dict
(F64), to load by name. The Swift side is RecurrentLayerTests.swift.

    python3 Tools/make_recurrent_fixtures.py      # needs torch; the Swift tests never do
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropNNTests", "Fixtures", "recurrent.json")
torch.manual_seed(20261205)


def t(x):
    return {"shape": list(x.shape), "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float64).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def case(module, x, states):
    module = module.double()
    x = x.clone().requires_grad_(True)
    states = [s.clone().requires_grad_(True) for s in states]
    if isinstance(module, torch.nn.LSTM):
        out, (h, c) = module(x, (states[0], states[1]))
        finals = [h, c]
    else:
        out, h = module(x, states[0])
        finals = [h]
    u = torch.randn_like(out)
    us = [torch.randn_like(f) for f in finals]
    loss = (out * u).sum() + sum((f * w).sum() for f, w in zip(finals, us))
    loss.backward()
    result = {"input": t(x), "output": t(out), "u": t(u),
              "states": [t(s) for s in states], "finals": [t(f) for f in finals], "finals_u": [t(w) for w in us],
              "grad_input": t(x.grad), "grad_states": [t(s.grad) for s in states],
              "parameters": {n: t(p) for n, p in module.named_parameters()},
              "grad_parameters": {n: t(p.grad) for n, p in module.named_parameters()}}
    return result


lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
gru = torch.nn.GRU(3, 4, num_layers=2)
fixtures = {
    "lstm": case(lstm, torch.randn(2, 5, 3, dtype=torch.float64),
                 [torch.randn(2, 2, 4, dtype=torch.float64), torch.randn(2, 2, 4, dtype=torch.float64)]),
    "gru": case(gru, torch.randn(5, 2, 3, dtype=torch.float64), [torch.randn(2, 2, 4, dtype=torch.float64)]),
}
with open(OUT, "w") as f:
    json.dump(fixtures, f, separators=(",", ":"))
write_safetensors(os.path.join(os.path.dirname(OUT), "lstm_state_dict.safetensors"), lstm.state_dict())
print("wrote", OUT, os.path.getsize(OUT), "bytes")
