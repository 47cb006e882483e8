#!/usr/bin/env python3
"""Writes the TensorFlow checkpoints that tests/checkpoint/test_tf_interop.c reads, with real
TensorFlow's tf.compat.v1.train.Saver (graph mode, reference variables, V2 format).

Run from the repository root with the TensorFlow venv:
    build/venv/bin/python tests/checkpoint/make_ckpt_fixtures.py
The C test rebuilds every value independently, so a change here must be mirrored there
(tf_values() in test_tf_interop.c).

Fixtures (tests/checkpoint/fixtures/):
  test_model.*      the notes' example (seed-001 7.1): v1 = [1.], v2 = [2.], saved with
                    saver.save(sess, "test_model"); saved last, so `checkpoint` names it.
  ema_test_model.*  the notes' moving-average example (7.2): v = 10 after tf.assign, one
                    ExponentialMovingAverage(0.99) update, so v/ExponentialMovingAverage =
                    0.099999905.
  types-7.*         one variable per dtype, saved with global_step=7:
                    scope/w     float32 [2,3]  w[i][j] = (i*3+j) * 0.25 - 1
                    d           float64 [4]    1/3, -2.5e300, 0, 6.02214076e23
                    i32         int32   [3]    -2147483648, 0, 2147483647
                    global_step int64   []     7
                    big         int64   [2]    -(2**62)-5, 2**40+3
                    flags       bool    [3]    True, False, True
                    bytes       uint8   [5]    0, 1, 127, 128, 255
                    names       string  [3]    b"hello", b"", b"a\\x00b\\xff"
                    half        float16 [2]    1.5, -2  (a dtype Rill lists but does not read)
                    empty       float32 [0, 3]
  inspect_types.txt, inspect_v1.txt
                    what TF's inspect_checkpoint tool prints for types-7 (the tensor list) and
                    for test_model --tensor_name=v1 (test_inspect.c compares `rill
                    inspect-checkpoint` with them).
"""
import contextlib
import io
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def var(value, name, dtype=None):
    return tf1.Variable(value, name=name, dtype=dtype, use_resource=False)


def save(build, prefix, global_step=None):
    g = tf.Graph()
    with g.as_default():
        extra = build()
        saver = tf1.train.Saver()
        with tf1.Session(graph=g) as sess:
            # Model variables first: the moving average's shadow reads v's initialized value.
            sess.run(tf1.variables_initializer(tf1.trainable_variables()))
            sess.run(tf1.global_variables_initializer())
            if extra is not None:
                extra(sess)
            cwd = os.getcwd()
            os.chdir(OUT)
            try:
                path = saver.save(sess, prefix, global_step=global_step, write_meta_graph=False)
            finally:
                os.chdir(cwd)
            print("wrote", path)


def notes_model():
    v1 = var(tf.constant(1.0, shape=[1]), "v1")
    v2 = var(tf.constant(2.0, shape=[1]), "v2")
    v1 + v2


def ema_model():
    v = var(0, "v", dtype=tf.float32)
    ema = tf1.train.ExponentialMovingAverage(0.99)
    maintain = ema.apply([v])

    def run(sess):
        sess.run(tf1.assign(v, 10))
        sess.run(maintain)
        print("v, average:", sess.run([v, ema.average(v)]))
    return run


def types_model():
    with tf1.variable_scope("scope"):
        var(np.array([[(i * 3 + j) * 0.25 - 1 for j in range(3)] for i in range(2)], np.float32), "w")
    var(np.array([1 / 3, -2.5e300, 0.0, 6.02214076e23], np.float64), "d")
    var(np.array([-2147483648, 0, 2147483647], np.int32), "i32")
    var(np.int64(7), "global_step")
    var(np.array([-(2**62) - 5, 2**40 + 3], np.int64), "big")
    var(np.array([True, False, True]), "flags")
    var(np.array([0, 1, 127, 128, 255], np.uint8), "bytes")
    var(tf.constant([b"hello", b"", b"a\x00b\xff"]), "names")
    var(np.array([1.5, -2], np.float16), "half")
    var(np.zeros([0, 3], np.float32), "empty")


def inspect(prefix, tensor_name, out):
    from tensorflow.python.tools import inspect_checkpoint
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        inspect_checkpoint.print_tensors_in_checkpoint_file(os.path.join(OUT, prefix), tensor_name, False)
    with open(os.path.join(OUT, out), "w") as f:
        f.write(buf.getvalue())


def main():
    os.makedirs(OUT, exist_ok=True)
    save(types_model, "types", global_step=7)
    save(ema_model, "ema_test_model")
    save(notes_model, "test_model")  # last, so the `checkpoint` file names it
    inspect("types-7", "", "inspect_types.txt")
    inspect("test_model", "v1", "inspect_v1.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
