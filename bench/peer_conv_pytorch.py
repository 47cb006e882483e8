#!/usr/bin/env python3
"""peer_conv_pytorch: GFLOP/s of the layers bench_conv measures, through Debian's PyTorch,
whose CPU convolutions are oneDNN's (python3-torch links Debian's libdnnl.so.2): the figures
for "what would oneDNN give" without linking it into Rill.

Each pass is one ATen call, as autograd makes it: conv2d forward, and convolution_backward
with only the input (bwi) or only the weight (bwf) gradient requested. Tensors are NHWC in
memory (channels_last, oneDNN's preferred layout for these shapes) unless --nchw. FLOPs and
timing as bench_conv: the best of --repeat timings of --seconds each.

Usage: /usr/bin/python3 bench/peer_conv_pytorch.py [--threads T] [--seconds S] [--repeat R] [--nchw]
Prints "pytorch_conv_<layer>_<pass>_gflops <v> ms <ms per call>".
"""
import argparse
import time

import torch

LAYERS = [  # name, batch, h, w, c, k, o, padding
    ("mnist_conv1", 100, 28, 28, 1, 5, 32, 2),
    ("mnist_conv2", 100, 14, 14, 32, 5, 64, 2),
    ("lenet_conv1", 100, 32, 32, 1, 5, 6, 0),
    ("lenet_conv2", 100, 14, 14, 6, 5, 16, 0),
    ("lenet_conv3", 100, 5, 5, 16, 5, 120, 0),
]


def best_rate(fn, flops, seconds, repeat):
    fn()
    best, best_ms = 0.0, 0.0
    for _ in range(repeat):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            el = time.perf_counter() - t0
            if el >= seconds:
                break
        rate = flops * n / el * 1e-9
        if rate > best:
            best, best_ms = rate, el / n * 1e3
    return best, best_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--nchw", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    fmt = torch.contiguous_format if a.nchw else torch.channels_last
    torch.manual_seed(0)
    with torch.no_grad():
        for name, n, h, w, c, k, o, pad in LAYERS:
            x = torch.randn(n, c, h, w).to(memory_format=fmt)
            f = torch.randn(o, c, k, k).to(memory_format=fmt)
            y = torch.nn.functional.conv2d(x, f, padding=pad)
            dy = torch.randn_like(y).to(memory_format=fmt)
            flops = 2.0 * y.numel() * k * k * c
            back = torch.ops.aten.convolution_backward
            passes = [
                ("fwd", lambda: torch.nn.functional.conv2d(x, f, padding=pad)),
                ("bwi", lambda: back(dy, x, f, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [True, False, False])),
                ("bwf", lambda: back(dy, x, f, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [False, True, False])),
            ]
            for pname, fn in passes:
                rate, ms = best_rate(fn, flops, a.seconds, a.repeat)
                print(f"pytorch_conv_{name}_{pname}_gflops {rate:.1f} ms {ms:.3f}", flush=True)


if __name__ == "__main__":
    main()
