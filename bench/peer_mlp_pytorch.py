#!/usr/bin/python3
"""PyTorch peer of bench_mlp.c: 784-500-10 MLP training steps per second.

Same work as Rill's benchmark: relu hidden layer, mean sparse softmax cross entropy, plain SGD
at 0.1, batch 100, a new batch each step from a pool of pre-generated random batches (fixed
seed), loss fetched every step, two intra-op threads. Run with Debian's /usr/bin/python3.

Usage: peer_mlp_pytorch.py [--seconds S] [--warmup N]
Prints: pytorch_mlp_steps_per_s <value>
"""
import argparse
import sys
import time

import torch

BATCH, N_IN, N_HIDDEN, N_OUT, POOL = 100, 784, 500, 10, 16


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(1)
    xs = [torch.rand(BATCH, N_IN) for _ in range(POOL)]
    ys = [torch.randint(0, N_OUT, (BATCH,), dtype=torch.int64) for _ in range(POOL)]

    model = torch.nn.Sequential(torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.ReLU(), torch.nn.Linear(N_HIDDEN, N_OUT))
    with torch.no_grad():  # TF-like init: truncated normal 0.1 weights, zero biases
        for m in model:
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.trunc_normal_(m.weight, std=0.1, a=-0.2, b=0.2)
                m.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs[i % POOL]), ys[i % POOL])
        loss.backward()
        opt.step()
        return loss.item()

    first = None
    for i in range(args.warmup):
        v = step(i)
        first = v if first is None else first
    steps, t0 = 0, time.perf_counter()
    while True:
        last = step(steps)
        steps += 1
        el = time.perf_counter() - t0
        if el >= args.seconds:
            break
    print(f"pytorch loss {first:.4f} -> {last:.4f}", file=sys.stderr)
    print(f"pytorch_mlp_steps_per_s {steps / el:.1f}")


if __name__ == "__main__":
    main()
