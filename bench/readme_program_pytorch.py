#!/usr/bin/env python3
"""The README's first program (Sources/readme-example/main.swift) written in PyTorch, run for
seeds 0-9: what the same recipe (256 points, Linear(3,16)-ReLU-Linear(16,1), Adam lr 0.01 with
cosine decay over 200 steps, the loss of the last step) reaches in the reference framework.

    python3 bench/readme_program_pytorch.py
"""
import statistics

import torch


def final_loss(seed: int) -> float:
    torch.manual_seed(seed)
    x = torch.randn(256, 3)
    y = x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
    last = float("nan")
    for _ in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        schedule.step()
        last = loss.item()
    return last


if __name__ == "__main__":
    losses = [final_loss(seed) for seed in range(10)]
    print("final loss, seeds 0-9:", " ".join(f"{v:.4f}" for v in losses))
    print(f"min {min(losses):.4f}  median {statistics.median(losses):.4f}  max {max(losses):.4f}  torch {torch.__version__}")
