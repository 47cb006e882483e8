"""TensorFlow graph-mode peer of bench_scalar_chain.c: a chain of 1000 scalar AddV2 ops.

y = x + 1.0 + 1.0 ... built with tf.compat.v1 exactly as a user writes it (each `+ 1.0` adds a
Const and an AddV2), x a fed scalar placeholder, y fetched. Time per session run, median
over many runs; session with 2 intra-op threads, 1 inter-op thread.

Grappler would rewrite the chain (the arithmetic optimizer folds x+c1+c2... into one AddN of
folded constants), so TF would no longer run the 1000 ops the other frameworks run. The
reported figure turns the arithmetic optimizer and constant folding off so that every
framework executes the same 1000 AddV2 ops; --grappler keeps TF's default rewrites instead
(printed as tensorflow_chain1000_grappler_ms_per_run).

Usage: peer_chain_tensorflow.py [--runs N] [--length L] [--grappler]
Prints: tensorflow_chain1000_ms_per_run <value>
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from tensorflow.core.protobuf import rewriter_config_pb2  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--grappler", action="store_true")
    args = ap.parse_args()

    tf.disable_eager_execution()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        y = x
        for _ in range(args.length):
            y = y + 1.0
    cfg = tf.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
    if not args.grappler:
        rw = cfg.graph_options.rewrite_options
        rw.arithmetic_optimization = rewriter_config_pb2.RewriterConfig.OFF
        rw.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
    feed = {x: np.float32(0.0)}
    times = []
    with tf.Session(graph=g, config=cfg) as sess:
        for _ in range(20):
            v = sess.run(y, feed)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            v = sess.run(y, feed)
            times.append(time.perf_counter() - t0)
    if float(v) != float(args.length):
        print(f"tensorflow chain: wrong result {float(v)}", file=sys.stderr)
        sys.exit(1)
    tag = "_grappler" if args.grappler else ""
    print(f"tensorflow_chain{args.length}{tag}_ms_per_run {statistics.median(times) * 1e3:.4f}")


if __name__ == "__main__":
    main()
