#!/usr/bin/env python3
"""PyTorch reference for `backprop train --dataset fashion-mnist` (the issue-3 recipe).

    python3 bench/pytorch_fashion_mnist.py --threads 1 --seeds 0 1 2
    python3 bench/pytorch_fashion_mnist.py --threads 2 --optimizer adam --lr 1e-3

Recipe (defaults): 784-256-128-10 ReLU MLP with PyTorch's default init, softmax cross-entropy,
SGD lr 0.1 (no momentum), batch 128, 10 epochs, a fresh shuffle every epoch, pixels scaled to
[0, 1]. Prints one line per epoch and a final JSON line per seed with the test accuracy and the
training seconds per epoch (evaluation excluded), the same quantities `backprop train --json`
reports. Reads the Debian package's files (apt-get install dataset-fashion-mnist) or --data-dir.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def load(split, directory):
    prefix = "train" if split == "train" else "t10k"
    def find(name):
        for candidate in (name + ".gz", name):
            p = os.path.join(directory, candidate)
            if os.path.exists(p):
                return p
        raise SystemExit(f"{name} not found in {directory}: apt-get install dataset-fashion-mnist or --data-dir")
    x = load_idx(find(f"{prefix}-images-idx3-ubyte")).reshape(-1, 784).astype(np.float32) / 255.0
    y = load_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def run(args, seed, train, test):
    torch.manual_seed(seed)
    sizes = [int(s) for s in args.layers.split(",")]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if args.dropout > 0:
                layers.append(nn.Dropout(args.dropout))
    model = nn.Sequential(*layers)
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    elif args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    (xtr, ytr), (xte, yte) = train, test
    n = xtr.shape[0]
    epoch_seconds = []
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n)
        start = time.perf_counter()
        total, seen = 0.0, 0
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            x, y = xtr[idx], ytr[idx]
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        epoch_seconds.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"seed {seed} epoch {epoch + 1:2d}  loss {total / seen:.4f}  test acc {100 * acc:.2f}%  {epoch_seconds[-1]:.3f} s", flush=True)
    return {"framework": "pytorch " + torch.__version__, "threads": args.threads, "seed": seed, "layers": args.layers,
            "optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs,
            "test_accuracy": acc, "train_loss": total / seen, "epoch_seconds": epoch_seconds,
            "median_epoch_seconds": float(np.median(epoch_seconds)), "samples_per_second": n * args.epochs / sum(epoch_seconds)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="sgd")
    p.add_argument("--layers", default="784,256,128,10")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    train, test = load("train", args.data_dir), load("test", args.data_dir)
    for seed in args.seeds:
        print(json.dumps(run(args, seed, train, test)), flush=True)


if __name__ == "__main__":
    main()
