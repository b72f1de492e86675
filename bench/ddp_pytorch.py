#!/usr/bin/env python3
"""PyTorch DistributedDataParallel reference for `mpirun -np N backprop train --distributed` (W2).

    python3 bench/ddp_pytorch.py --ranks 2 --threads 1 --epochs 3     # DDP, gloo, 2 processes
    python3 bench/ddp_pytorch.py --ranks 1 --threads 1 --epochs 3     # one process, no DDP

Recipe (W2): 784-256-128-10 ReLU MLP, softmax cross-entropy, SGD lr 0.1, per-rank batch
128 / ranks (global batch 128), a seeded DistributedSampler shuffle every epoch, pixels in
[0, 1]; gloo backend over TCP on 127.0.0.1 (the loopback network the Backprop run uses),
DDP's default buckets (25 MiB: the whole 0.94 MB model in one). Each rank runs
`torch.set_num_threads(threads)`. Prints one JSON line from rank 0: training seconds per epoch
(evaluation excluded, the slowest rank's), samples/s over all ranks, the share of a step rank 0
spends in backward + allreduce (DDP overlaps them), and test accuracy.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_fashion_mnist import load  # noqa: E402


def worker(rank, args, port):
    torch.set_num_threads(args.threads)
    distributed = args.ranks > 1
    if distributed:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
        dist.init_process_group("gloo", rank=rank, world_size=args.ranks)
    torch.manual_seed(args.seed)
    (xtr, ytr), (xte, yte) = load("train", args.data_dir), load("test", args.data_dir)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if distributed:
        model = nn.parallel.DistributedDataParallel(model)  # broadcasts rank 0's weights
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    n = xtr.shape[0]
    per_rank = args.global_batch // args.ranks
    epoch_seconds, backward_seconds = [], []
    for epoch in range(args.epochs):
        g = torch.Generator().manual_seed(args.seed + epoch)
        perm = torch.randperm(n, generator=g)  # the same on every rank: each takes its slice
        if distributed:
            dist.barrier()
        start, in_backward = time.perf_counter(), 0.0
        for i in range(0, n, args.global_batch):
            batch = perm[i:i + args.global_batch]
            idx = batch[rank * len(batch) // args.ranks:(rank + 1) * len(batch) // args.ranks]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            t = time.perf_counter()
            loss.backward()  # DDP: the allreduce runs inside, overlapped with backward
            in_backward += time.perf_counter() - t
            opt.step()
        seconds = time.perf_counter() - start
        if distributed:
            worst = torch.tensor([seconds])
            dist.all_reduce(worst, op=dist.ReduceOp.MAX)
            seconds = worst.item()
        epoch_seconds.append(seconds)
        backward_seconds.append(in_backward)
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
    if rank == 0:
        timed = epoch_seconds[1:] or epoch_seconds  # the first epoch is warm-up
        print(json.dumps({
            "framework": "pytorch " + torch.__version__, "ranks": args.ranks, "threads": args.threads,
            "backend": "gloo" if distributed else "none", "per_rank_batch": per_rank, "global_batch": args.global_batch,
            "epochs": args.epochs, "epoch_seconds": epoch_seconds, "median_epoch_seconds": float(np.median(timed)),
            "samples_per_second": n / float(np.median(timed)),
            "backward_share": float(np.median(np.array(backward_seconds[1:] or backward_seconds) / np.array(timed))),
            "test_accuracy": acc}), flush=True)
    if distributed:
        dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--global-batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--port", type=int, default=29517)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = p.parse_args()
    if args.ranks == 1:
        worker(0, args, args.port)
    else:
        mp.spawn(worker, args=(args, args.port), nprocs=args.ranks, join=True)


if __name__ == "__main__":
    main()
