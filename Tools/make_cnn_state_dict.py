#!/usr/bin/env python3
"""Writes PyTorch CNN state_dicts that Backprop must load and predict with identically.

    python3 Tools/make_cnn_state_dict.py   # needs torch only (safetensors is written by hand below)

Outputs in Tests/BackpropNNTests/Fixtures/:
  torch_cnn_bn.safetensors / .json   nn.Sequential(Conv2d(1,4,3,padding=1), BatchNorm2d(4), ReLU(),
                                     MaxPool2d(2), Flatten(), Linear(64,10)), after three training
                                     batches (running statistics moved), predictions in eval mode
  torch_cnn.safetensors / .json      the same without BatchNorm (indices 0, 1, 2, 3, 4)
Both state_dicts are the plain `model.state_dict()` (num_batches_tracked as I64), without
architecture metadata: the Swift test passes the architecture, as `--arch` will.
"""
import json
import os
import struct

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "BackpropNNTests", "Fixtures")
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(tensors, path):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def make(batch_norm, name):
    torch.manual_seed(11)
    layers = [nn.Conv2d(1, 4, 3, padding=1)] + ([nn.BatchNorm2d(4)] if batch_norm else [])
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10)]
    model = nn.Sequential(*layers)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(5, 1, 8, 8) * 2 + 0.5)
    model.eval()
    x = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        y = model(x)
    save_safetensors(model.state_dict(), os.path.join(OUT, name + ".safetensors"))
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"input_shape": list(x.shape), "input": x.reshape(-1).tolist(), "output": y.reshape(-1).tolist()}, f)
        f.write("\n")
    print("wrote", name, list(model.state_dict().keys()))


if __name__ == "__main__":
    make(True, "torch_cnn_bn")
    make(False, "torch_cnn")
