#!/usr/bin/python3
"""PyTorch eager peer of bench_scalar_chain.c: a chain of 1000 scalar adds (x + 1 + 1 ...).

Per-op dispatch overhead, with autograd off (the graph frameworks record no tape either).
Time per full chain, median over many runs. Run with Debian's /usr/bin/python3.

Usage: peer_chain_pytorch.py [--runs N] [--length L]
Prints: pytorch_chain1000_ms_per_run <value>
"""
import argparse
import statistics
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--length", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(2)

    def chain(x):
        for _ in range(args.length):
            x = x + 1.0
        return x

    x = torch.tensor(0.0)
    times = []
    with torch.no_grad():
        for _ in range(20):
            chain(x)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            y = chain(x)
            times.append(time.perf_counter() - t0)
    if float(y) != float(args.length):
        print(f"pytorch chain: wrong result {float(y)}", file=sys.stderr)
        sys.exit(1)
    print(f"pytorch_chain{args.length}_ms_per_run {statistics.median(times) * 1e3:.4f}")


if __name__ == "__main__":
    main()
