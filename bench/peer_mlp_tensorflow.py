"""TensorFlow peer of bench_mlp.c: 784-500-10 MLP training steps per second.

TF 1.x graph mode (tf.compat.v1) as a TF 1.x user writes it: placeholders fed with feed_dict
every step, get_variable, matmul + bias_add, relu, sparse softmax cross entropy, reduce_mean,
GradientDescentOptimizer(0.1).minimize, loss fetched with the train op. Session with
intra_op_parallelism_threads=2, inter_op_parallelism_threads=1. Batches of 100 come from a
pool of pre-generated random batches (fixed seed). Run with the venv's python (real TF).

Usage: peer_mlp_tensorflow.py [--seconds S] [--warmup N]
Prints: tensorflow_mlp_steps_per_s <value>
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

BATCH, N_IN, N_HIDDEN, N_OUT, POOL = 100, 784, 500, 10, 16


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=int, default=50)
    args = ap.parse_args()

    tf.disable_eager_execution()
    rng = np.random.default_rng(1)
    xs = [rng.random((BATCH, N_IN), dtype=np.float32) for _ in range(POOL)]
    ys = [rng.integers(0, N_OUT, BATCH, dtype=np.int64) for _ in range(POOL)]

    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, N_IN], name="x-input")
        y_ = tf.placeholder(tf.int64, [None], name="y-input")
        init = tf.truncated_normal_initializer(stddev=0.1)
        w1 = tf.get_variable("w1", [N_IN, N_HIDDEN], initializer=init)
        b1 = tf.get_variable("b1", [N_HIDDEN], initializer=tf.zeros_initializer())
        w2 = tf.get_variable("w2", [N_HIDDEN, N_OUT], initializer=init)
        b2 = tf.get_variable("b2", [N_OUT], initializer=tf.zeros_initializer())
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
        logits = tf.nn.bias_add(tf.matmul(h, w2), b2)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=logits))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init_op = tf.global_variables_initializer()
    cfg = tf.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
    with tf.Session(graph=g, config=cfg) as sess:
        sess.run(init_op)

        def step(i):
            return sess.run([train, loss], {x: xs[i % POOL], y_: ys[i % POOL]})[1]

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
    print(f"tensorflow loss {first:.4f} -> {last:.4f}", file=sys.stderr)
    print(f"tensorflow_mlp_steps_per_s {steps / el:.1f}")


if __name__ == "__main__":
    main()
