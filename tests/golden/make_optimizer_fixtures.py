"""Writes optimizer_losses.txt: a small MLP trained for 20 steps by each tf.compat.v1 optimizer.

Run with the TensorFlow venv:  build/venv/bin/python tests/golden/make_optimizer_fixtures.py
The model is 4-8-3 (tanh hidden layer, softmax cross entropy averaged over a batch of 6) with
fixed initial weights and data, all written to the fixture so tests/train/test_optimizer_golden.c
rebuilds the same model in Rill and compares the 20 losses (each read after its step).

Fixture format, one record per line:  key count v1 ... vcount  ('#' starts a comment).
"""
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_v2_behavior()  # TF 1.x graphs: ref variables, the Apply* training ops

STEPS = 20
# name -> (hyperparameters as written to the fixture, constructor)
OPTIMIZERS = [
    ("gd", [0.5], lambda h: tf1.train.GradientDescentOptimizer(h[0])),
    ("momentum", [0.1, 0.9], lambda h: tf1.train.MomentumOptimizer(h[0], h[1])),
    ("nesterov", [0.1, 0.9], lambda h: tf1.train.MomentumOptimizer(h[0], h[1], use_nesterov=True)),
    ("adagrad", [0.3, 0.1], lambda h: tf1.train.AdagradOptimizer(h[0], initial_accumulator_value=h[1])),
    ("rmsprop", [0.01, 0.9, 0.0, 1e-10], lambda h: tf1.train.RMSPropOptimizer(h[0], h[1], h[2], h[3])),
    ("rmsprop_centered", [0.01, 0.9, 0.5, 1e-6],
     lambda h: tf1.train.RMSPropOptimizer(h[0], h[1], h[2], h[3], centered=True)),
    ("adam", [0.05, 0.9, 0.999, 1e-8], lambda h: tf1.train.AdamOptimizer(h[0], h[1], h[2], h[3])),
]


def make_data():
    rng = np.random.RandomState(20240531)
    x = rng.uniform(-1, 1, size=(6, 4)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.randint(0, 3, size=6)]
    w1 = (rng.normal(size=(4, 8)) * 0.5).astype(np.float32)
    b1 = (rng.normal(size=(8,)) * 0.1).astype(np.float32)
    w2 = (rng.normal(size=(8, 3)) * 0.5).astype(np.float32)
    b2 = (rng.normal(size=(3,)) * 0.1).astype(np.float32)
    return dict(x=x, labels=labels, w1=w1, b1=b1, w2=w2, b2=b2)


def train(data, make_opt, hparams):
    with tf1.Graph().as_default():
        x = tf1.constant(data["x"])
        labels = tf1.constant(data["labels"])
        w1 = tf1.Variable(tf1.constant(data["w1"]), name="w1")
        b1 = tf1.Variable(tf1.constant(data["b1"]), name="b1")
        w2 = tf1.Variable(tf1.constant(data["w2"]), name="w2")
        b2 = tf1.Variable(tf1.constant(data["b2"]), name="b2")
        hidden = tf1.tanh(tf1.matmul(x, w1) + b1)
        logits = tf1.matmul(hidden, w2) + b2
        loss = tf1.reduce_mean(tf1.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
        step = tf1.train.get_or_create_global_step()
        train_op = make_opt(hparams).minimize(loss, global_step=step)
        losses = []
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(train_op)
                losses.append(sess.run(loss))
            assert sess.run(step) == STEPS
        return losses


def record(key, values):
    vals = [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]
    return "%s %d %s\n" % (key, len(vals), " ".join("%.9g" % v for v in vals))


def main():
    data = make_data()
    out = ["# Made by tests/golden/make_optimizer_fixtures.py with TensorFlow %s (tf.compat.v1 graphs).\n"
           % tf.__version__,
           "# Model: loss = mean(softmax_cross_entropy(labels, tanh(x w1 + b1) w2 + b2)); losses read after each step.\n"]
    for key in ("x", "labels", "w1", "b1", "w2", "b2"):
        out.append(record(key, data[key]))
    for name, hparams, make_opt in OPTIMIZERS:
        out.append(record("hparams:" + name, hparams))
        out.append(record("losses:" + name, train(data, make_opt, hparams)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_losses.txt")
    with open(path, "w") as f:
        f.writelines(out)
    print("wrote", path)


if __name__ == "__main__":
    main()
