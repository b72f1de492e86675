#!/usr/bin/env python3
"""PyTorch reference accuracy for `backprop train --dataset fashion-mnist --arch cnn` (issue #11).

    nice -n 10 python3 bench/cnn_accuracy.py --threads 1 --seeds 0 1 2 --out bench/recorded/DATE-cnn-accuracy-pytorch.jsonl

Recipe (the issue's): Conv2d(1,32,3,pad 1)-ReLU-MaxPool(2)-Conv2d(32,64,3,pad 1)-ReLU-MaxPool(2)-
Flatten-Linear(3136,128)-ReLU-Linear(128,10), PyTorch's default init, softmax cross-entropy, SGD
lr 0.05 momentum 0.9, batch 128, 10 epochs, a fresh shuffle every epoch, pixels in [0, 1] as
[N, 1, 28, 28]. `--batch-norm` adds BatchNorm2d after each convolution. Prints one line per epoch
and writes one JSON object per seed (to stdout and, with --out, appended to a JSONL file) with the
final test accuracy, the same quantity `backprop train --json` reports as test_accuracy.
Reads the Debian package's files (apt-get install dataset-fashion-mnist) or --data-dir.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_fashion_mnist import load  # noqa: E402  (the same IDX reader as the MLP reference)


def make_model(batch_norm):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1)] + ([nn.BatchNorm2d(cout)] if batch_norm else []) + [nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def run(args, seed, train, test):
    torch.manual_seed(seed)
    model = make_model(args.batch_norm)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    (xtr, ytr), (xte, yte) = train, test
    xtr, xte = xtr.reshape(-1, 1, 28, 28), xte.reshape(-1, 1, 28, 28)
    n = xtr.shape[0]
    epoch_seconds, accuracies = [], []
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
            acc = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, len(yte), 1000)) / len(yte)
        accuracies.append(acc)
        print(f"seed {seed} epoch {epoch + 1:2d}  loss {total / seen:.4f}  test acc {100 * acc:.2f}%  {epoch_seconds[-1]:.1f} s", flush=True)
    return {"framework": "pytorch " + torch.__version__, "threads": args.threads, "seed": seed,
            "network": "cnn" + ("+batchnorm" if args.batch_norm else ""), "optimizer": "sgd momentum", "lr": args.lr,
            "momentum": args.momentum, "batch_size": args.batch_size, "epochs": args.epochs, "test_accuracy": acc,
            "test_accuracy_per_epoch": accuracies, "train_loss": total / seen, "epoch_seconds": epoch_seconds}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", help="append one JSON line per seed to this file")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    train, test = load("train", args.data_dir), load("test", args.data_dir)
    results = []
    for seed in args.seeds:
        r = run(args, seed, train, test)
        results.append(r["test_accuracy"])
        print(json.dumps(r), flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(r) + "\n")
    print(f"mean test accuracy over seeds {args.seeds}: {100 * float(np.mean(results)):.2f}%", flush=True)


if __name__ == "__main__":
    main()
