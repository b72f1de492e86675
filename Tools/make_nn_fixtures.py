#!/usr/bin/env python3
"""Writes the PyTorch reference values that Tests/BackpropNNTests compares against.

    pip install torch safetensors
    python3 Tools/make_nn_fixtures.py      # writes Tests/BackpropNNTests/Fixtures/* and Tests/BackpropOptimTests/Fixtures/*

Outputs (small, committed; the Swift tests only read them, so CI needs no Python):
  optimizers.json        parameter trajectories of SGD / momentum / Nesterov / Adam / AdamW /
                         RMSProp (+ gradient clipping) on a fixed problem, float64
  schedules.json         learning-rate sequences of StepLR, CosineAnnealingLR and
                         SequentialLR(LinearLR warm-up, CosineAnnealingLR)
  losses.json            loss values and gradients (cross-entropy, BCE with logits, MSE) and
                         activation outputs, float64
  torch_mlp.safetensors  state_dict of nn.Sequential(Linear(4,8), ReLU(), Linear(8,3)),
                         written by safetensors.torch.save_file
  torch_mlp.json         inputs and the model's outputs for them, float32
Everything is seeded, so reruns give the same numbers.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "BackpropNNTests", "Fixtures")
# Optimizer and schedule references belong to the optimizer tests.
OPTIM_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "BackpropOptimTests", "Fixtures")
torch.set_default_dtype(torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def problem():
    """A small least-squares + cross-entropy problem: W (3x4), b (3), x (5x4), labels (5)."""
    g = torch.Generator().manual_seed(7)
    w = torch.randn(3, 4, generator=g) * 0.5
    b = torch.randn(3, generator=g) * 0.1
    x = torch.randn(5, 4, generator=g)
    labels = torch.tensor([0, 2, 1, 2, 0])
    return w, b, x, labels


def loss_fn(w, b, x, labels):
    logits = x @ w.T + b
    return F.cross_entropy(logits, labels) + 0.1 * (logits ** 2).mean()


def trajectory(make_opt, steps=6, clip=None, dtype=torch.float64):
    w0, b0, x, labels = problem()  # always drawn in float64, then cast
    w, b, x = w0.to(dtype).requires_grad_(), b0.to(dtype).requires_grad_(), x.to(dtype)
    opt = make_opt([w, b])
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(w, b, x, labels).backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([w, b], clip)
        opt.step()
        traj.append({"weight": flat(w), "bias": flat(b)})
    return traj


def optimizers():
    w, b, x, labels = problem()
    cases = {
        "sgd": (dict(kind="sgd", lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1, foreach=False)),
        "sgd_momentum_dampening_wd": (
            dict(kind="sgd", lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01, foreach=False)),
        "sgd_nesterov": (
            dict(kind="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001),
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001, foreach=False)),
        "adam": (dict(kind="adam", lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, foreach=False)),
        "adam_wd": (dict(kind="adam", lr=0.01, betas=[0.8, 0.99], eps=1e-6, weight_decay=0.1),
                    lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, foreach=False)),
        "adamw": (dict(kind="adamw", lr=0.01, weight_decay=0.1),
                  lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, foreach=False)),
        "adamw_default": (dict(kind="adamw", lr=0.001), lambda p: torch.optim.AdamW(p, foreach=False)),
        "rmsprop": (dict(kind="rmsprop", lr=0.01), lambda p: torch.optim.RMSprop(p, lr=0.01, foreach=False)),
        "rmsprop_centered_momentum_wd": (
            dict(kind="rmsprop", lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
            lambda p: torch.optim.RMSprop(p, lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01, foreach=False)),
    }
    out = {"problem": {"weight": flat(w), "bias": flat(b), "x": flat(x), "labels": labels.tolist(),
                       "loss": "cross_entropy(x @ W.T + b, labels) + 0.1 * mean((x @ W.T + b)^2)"},
           "cases": {}}
    for name, (config, make) in cases.items():
        out["cases"][name] = {"config": config, "steps": trajectory(make)}
    out["cases"]["sgd_clip"] = {"config": dict(kind="sgd", lr=0.1, clip=0.05),
                                "steps": trajectory(lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), clip=0.05)}
    # One float32 case, to check single precision against PyTorch's own float32 arithmetic.
    out["float32_adam"] = {"config": dict(kind="adam", lr=0.01),
                           "steps": trajectory(lambda p: torch.optim.Adam(p, lr=0.01, foreach=False), dtype=torch.float32)}
    return out


def schedules():
    def run(make, steps=12, lr=0.1):
        p = [torch.zeros(1, requires_grad=True)]
        opt = torch.optim.SGD(p, lr=lr)
        sched = make(opt)
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return lrs

    S = torch.optim.lr_scheduler
    return {
        "step": {"base": 0.1, "step_size": 3, "gamma": 0.5, "lrs": run(lambda o: S.StepLR(o, 3, gamma=0.5))},
        "cosine": {"base": 0.1, "total": 10, "minimum": 0.001, "lrs": run(lambda o: S.CosineAnnealingLR(o, 10, eta_min=0.001))},
        "warmup_cosine": {"base": 0.1, "warmup": 3, "start_factor": 0.1, "total": 9,
                          "lrs": run(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3),
                                                                   S.CosineAnnealingLR(o, 9)], milestones=[3]))},
    }


def losses():
    g = torch.Generator().manual_seed(3)
    logits = (torch.randn(4, 5, generator=g) * 3).requires_grad_()
    labels = torch.tensor([1, 0, 4, 4])
    ce = F.cross_entropy(logits, labels)
    ce.backward()
    big = torch.tensor([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]])
    ce_big = F.cross_entropy(big, torch.tensor([2, 2]))

    x = (torch.randn(3, 4, generator=g) * 4).requires_grad_()
    t = torch.rand(3, 4, generator=g)
    bce = F.binary_cross_entropy_with_logits(x, t)
    bce.backward()

    p = torch.randn(6, generator=g).requires_grad_()
    y = torch.randn(6, generator=g)
    mse = F.mse_loss(p, y)
    mse.backward()

    v = torch.linspace(-3, 3, 13)
    return {
        "cross_entropy": {"logits": flat(logits), "shape": [4, 5], "labels": labels.tolist(),
                          "loss": ce.item(), "grad": flat(logits.grad)},
        "cross_entropy_extreme": {"logits": flat(big), "shape": [2, 3], "labels": [2, 2], "loss": ce_big.item()},
        "bce": {"logits": flat(x), "targets": flat(t), "shape": [3, 4], "loss": bce.item(), "grad": flat(x.grad)},
        "mse": {"predicted": flat(p), "target": flat(y), "loss": mse.item(), "grad": flat(p.grad)},
        "activations": {"x": flat(v), "relu": flat(F.relu(v)), "leaky_relu": flat(F.leaky_relu(v, 0.01)),
                        "sigmoid": flat(torch.sigmoid(v)), "tanh": flat(torch.tanh(v)), "gelu": flat(F.gelu(v)),
                        "softmax": flat(F.softmax(v, dim=0))},
    }


def torch_mlp():
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    path = os.path.join(OUT, "torch_mlp.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    os.chmod(path, 0o644)
    x = torch.randn(5, 4)
    with torch.no_grad():
        y = model(x)
    return {"x": flat(x), "shape": [5, 4], "output": flat(y), "output_shape": list(y.shape)}


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(OPTIM_OUT, exist_ok=True)
    files = {"optimizers.json": optimizers(), "schedules.json": schedules(), "losses.json": losses()}
    files["torch_mlp.json"] = torch_mlp()
    for name, data in files.items():
        directory = OPTIM_OUT if name in ("optimizers.json", "schedules.json") else OUT
        with open(os.path.join(directory, name), "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
    print("wrote", ", ".join(sorted(files) + ["torch_mlp.safetensors"]), "to", os.path.normpath(OUT), "and", os.path.normpath(OPTIM_OUT))


if __name__ == "__main__":
    main()
