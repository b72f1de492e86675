#!/usr/bin/env python3
"""Writes a tiny nanoGPT-style checkpoint and PyTorch references for Backprop's sequence layers:

- Tests/BackpropNNTests/Fixtures/nanogpt_tiny.safetensors: the state_dict of a GPT written as in
  Karpathy's nanoGPT (transformer.wte/wpe/h.N.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,
  mlp.c_proj}/ln_f, lm_head tied to wte: both keys saved, as torch.save does), F32.
- Tests/BackpropNNTests/Fixtures/nanogpt_tiny.json: the config, two token rows and the logits
  PyTorch computes from those F32 weights (in float64 and in float32), plus a MultiheadAttention
  case (in_proj_weight, out_proj.*, query/key/value, output) in float64.

    python3 Tools/make_gpt_fixtures.py      # needs torch; the Swift tests never do
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20261205
HERE = os.path.join(os.path.dirname(__file__), "..", "Tests", "BackpropNNTests", "Fixtures")
CONFIG = {"vocab_size": 11, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 8}


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"])
        self.n_head, self.n_embd = c["n_head"], c["n_embd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc, self.gelu, self.c_proj = nn.Linear(c["n_embd"], 4 * c["n_embd"]), nn.GELU(), nn.Linear(4 * c["n_embd"], c["n_embd"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = nn.LayerNorm(c["n_embd"]), CausalSelfAttention(c), nn.LayerNorm(c["n_embd"]), MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]), wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]), ln_f=nn.LayerNorm(c["n_embd"])))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT

    def forward(self, idx):
        t = idx.size(1)
        x = self.transformer.wte(idx) + self.transformer.wpe(torch.arange(t))
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def main():
    torch.manual_seed(SEED)
    model = GPT(CONFIG)
    with torch.no_grad():  # non-trivial LayerNorm affine parameters, so a mix-up shows
        for name, p in model.named_parameters():
            if "ln" in name:
                p.add_(torch.randn_like(p) * 0.3)
            elif name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    state = {k: v.to(torch.float32) for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(HERE, "nanogpt_tiny.safetensors"), state)
    tokens = torch.tensor([[1, 5, 3, 10, 0, 2, 7], [4, 4, 9, 1, 6, 8, 3]])
    with torch.no_grad():
        logits32 = model.float()(tokens)
        logits64 = model.double()(tokens)
    mha = nn.MultiheadAttention(6, 3, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_bias.normal_(0, 0.2)
        mha.out_proj.bias.normal_(0, 0.2)
    q, k, v = (torch.randn(2, n, 6, dtype=torch.float64) for n in (3, 4, 4))
    mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=torch.bool)
    out, _ = mha(q, k, v, attn_mask=~mask, need_weights=False)  # PyTorch's bool mask here: True = blocked
    data = {"generator": "Tools/make_gpt_fixtures.py", "torch": torch.__version__.split("+")[0], "seed": SEED,
            "config": CONFIG, "tokens": tokens.tolist(), "logits_float64": flat(logits64), "logits_float32": flat(logits32),
            "mha": {"in_proj_weight": flat(mha.in_proj_weight), "in_proj_bias": flat(mha.in_proj_bias),
                    "out_proj.weight": flat(mha.out_proj.weight), "out_proj.bias": flat(mha.out_proj.bias),
                    "query": flat(q), "key": flat(k), "value": flat(v), "allowed": flat(mask.double()), "output": flat(out)}}
    with open(os.path.join(HERE, "nanogpt_tiny.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.getsize(os.path.join(HERE, "nanogpt_tiny.safetensors")), "+",
          os.path.getsize(os.path.join(HERE, "nanogpt_tiny.json")), "bytes")


if __name__ == "__main__":
    main()
