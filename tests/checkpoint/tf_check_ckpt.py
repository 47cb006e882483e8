#!/usr/bin/env python3
"""Reads checkpoints with real TensorFlow and prints a canonical dump that
tests/checkpoint/test_tf_interop.c compares with what Rill wrote.

usage: tf_check_ckpt.py MODE:PREFIX ...
  read:PREFIX     tf.train.load_checkpoint(PREFIX): every tensor, sorted by name
  restore:PREFIX  builds one tf.compat.v1 reference variable per tensor (same name, dtype and
                  shape, initialised to zeros), restores them with tf.compat.v1.train.Saver and
                  dumps the variables' values
Both modes print, per checkpoint, "checkpoint MODE" and then one line per tensor:
  NAME DTYPE [DIMS] VALUES
where DTYPE is TF's name (float32, int64, ...), DIMS are comma-separated, and VALUES are
comma-separated: floating point as '%.17g', integers and bools as integers, strings as hex.
Exits 77 when TensorFlow cannot be imported.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
try:
    import numpy as np
    import tensorflow as tf
except Exception as e:  # pragma: no cover - environment problem, reported as a skip
    print("SKIP: cannot import tensorflow: %s" % e)
    sys.exit(77)


def fmt(value, dtype):
    flat = np.asarray(value).reshape(-1)
    if dtype == tf.string:
        vals = [bytes(x).hex() for x in flat]
    elif dtype.is_floating:
        vals = ["%.17g" % float(x) for x in flat]
    else:
        vals = ["%d" % int(x) for x in flat]
    return ",".join(vals)


def line(name, dtype, shape, value):
    return "%s %s [%s] %s" % (name, dtype.name, ",".join(str(d) for d in shape), fmt(value, dtype))


def read(prefix):
    r = tf.train.load_checkpoint(prefix)
    shapes = r.get_variable_to_shape_map()
    dtypes = r.get_variable_to_dtype_map()
    for name in sorted(shapes):
        print(line(name, dtypes[name], shapes[name], r.get_tensor(name)))


def restore(prefix):
    r = tf.train.load_checkpoint(prefix)
    shapes = r.get_variable_to_shape_map()
    dtypes = r.get_variable_to_dtype_map()
    g = tf.Graph()
    with g.as_default():
        tvars = {}
        for name in sorted(shapes):
            init = tf.zeros(shapes[name], dtype=dtypes[name])
            tvars[name] = tf.compat.v1.Variable(init, name=name, use_resource=False)
        saver = tf.compat.v1.train.Saver(tvars)
        with tf.compat.v1.Session(graph=g) as sess:
            saver.restore(sess, prefix)
            for name in sorted(shapes):
                print(line(name, dtypes[name], shapes[name], sess.run(tvars[name])))


def main(argv):
    for arg in argv:
        mode, prefix = arg.split(":", 1)
        print("checkpoint %s" % mode)
        {"read": read, "restore": restore}[mode](prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
