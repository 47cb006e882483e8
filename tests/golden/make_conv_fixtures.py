#!/usr/bin/env python3
"""Writes tests/golden/conv.txt: forward values and gradients of the convolution ops computed
by real TensorFlow (tf.compat.v1 graph mode), for tests/ops/test_conv_ops.c.

Run with the project's TensorFlow venv:
    /work/main/build/venv/bin/python tests/golden/make_conv_fixtures.py

Each case feeds small deterministic inputs to placeholders, runs the op as TF's Python API
builds it, and for float cases runs tf.gradients(ys=output, xs=inputs, grad_ys=a fixed
random tensor). Inputs come from a generator seeded by a CRC of the case name.

Fixture format (one item per line, '#' starts a comment line):
    case <name> <builder> key=value ...   builder: conv2d, conv2d_transpose, depthwise,
                                          conv2d_backprop_filter, depthwise_backprop_input,
                                          depthwise_backprop_filter; lists are a,b,c
    input <dtype> <shape> <values...>     fed through placeholders, in the builder's order
    grad_y <dtype> <shape> <values...>    (float cases, except grouped ones: TF's CPU kernels
                                          have no grouped gradients)
    output <dtype> <shape> <values...>
    grad <input index> <dtype> <shape> <values...>
    end
Keys: strides (4), padding, dilations (4), rate (2, depthwise), sizes (4: conv2d_transpose's
output_shape or the backprop op's input_sizes/filter_sizes, built as a Const).
"""
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN reorders float sums; plain Eigen gives the reference numbers TF users usually see.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

F32, F64, I32 = np.float32, np.float64, np.int32
NAMES = {np.dtype(F32): "float32", np.dtype(F64): "float64", np.dtype(I32): "int32"}
TF_DTYPES = {np.dtype(F32): tf.float32, np.dtype(F64): tf.float64, np.dtype(I32): tf.int32}
CASES = []


def case(name, builder, shapes, fn, dtype=F32, grads=True, **params):
    CASES.append(dict(name=name, builder=builder, shapes=shapes, fn=fn, dtype=dtype, grads=grads, params=params))


def fmt_tensor(a):
    a = np.asarray(a)
    shape = "[" + ",".join(str(d) for d in a.shape) + "]"
    vals = " ".join(str(v) for v in a.reshape(-1))
    return f"{NAMES[a.dtype]} {shape}" + (f" {vals}" if vals else "")


def fmt_param(v):
    return ",".join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)


def run_case(c):
    r = np.random.RandomState(zlib.crc32(c["name"].encode()))
    dt = c["dtype"]
    if dt == I32:
        inputs = [r.randint(-3, 4, size=s).astype(I32) for s in c["shapes"]]
    else:
        inputs = [np.round(r.uniform(-2, 2, size=s), 4).astype(dt) for s in c["shapes"]]
    head = ["case", c["name"], c["builder"]] + [f"{k}={fmt_param(v)}" for k, v in c["params"].items()]
    lines = [" ".join(head)]
    with tf.Graph().as_default():
        phs = [tf1.placeholder(TF_DTYPES[x.dtype], shape=x.shape, name=f"in{i}") for i, x in enumerate(inputs)]
        y = c["fn"](*phs, **c["params"])
        feed = dict(zip(phs, inputs))
        with tf1.Session() as s:
            out = s.run(y, feed_dict=feed)
            grads, gy = [], None
            if dt != I32 and c["grads"]:
                gy = np.round(r.normal(size=out.shape), 4).astype(dt)
                gs = tf.gradients(ys=y, xs=phs, grad_ys=tf.constant(gy))
                grads = s.run(gs, feed_dict=feed)
    lines += ["input " + fmt_tensor(x) for x in inputs]
    if gy is not None:
        lines.append("grad_y " + fmt_tensor(gy))
    lines.append("output " + fmt_tensor(out))
    lines += [f"grad {i} " + fmt_tensor(g) for i, g in enumerate(grads)]
    lines.append("end")
    return lines


def dilate(f, dilations):
    """f with dilation - 1 zeros between its taps: conv2d(x, dilate(f, d)) equals the dilated
    conv2d(x, f, dilations=d), through ops whose gradients TF's CPU kernels support (its
    Conv2DBackpropFilter refuses dilations)."""
    kh, kw = int(f.shape[0]), int(f.shape[1])
    dh, dw = dilations[1], dilations[2]
    sh = np.zeros([(kh - 1) * dh + 1, kh], np.float64)
    sw = np.zeros([(kw - 1) * dw + 1, kw], np.float64)
    sh[np.arange(kh) * dh, np.arange(kh)] = 1
    sw[np.arange(kw) * dw, np.arange(kw)] = 1
    return tf.einsum("ah,bw,hwio->abio", tf.constant(sh, f.dtype), tf.constant(sw, f.dtype), f)


def conv2d(x, f, strides, padding, dilations=(1, 1, 1, 1)):
    if dilations[1] > 1 or dilations[2] > 1:
        return tf1.nn.conv2d(x, dilate(f, dilations), list(strides), padding)
    return tf1.nn.conv2d(x, f, list(strides), padding, dilations=list(dilations))


def transpose(v, f, strides, padding, sizes):
    return tf1.nn.conv2d_transpose(v, f, list(sizes), list(strides), padding)


def depthwise(x, f, strides, padding, rate=(1, 1)):
    return tf1.nn.depthwise_conv2d(x, f, list(strides), padding, rate=list(rate))


def bwf(x, dy, strides, padding, sizes, dilations=(1, 1, 1, 1)):
    if dilations[1] > 1 or dilations[2] > 1:  # the filter gradient of the dilated conv2d above
        f = tf.zeros(sizes, x.dtype)
        return tf.gradients(conv2d(x, f, strides, padding, dilations), f, grad_ys=dy)[0]
    return tf1.nn.conv2d_backprop_filter(x, list(sizes), dy, list(strides), padding)


def dw_bwi(f, dy, strides, padding, sizes):
    return tf1.nn.depthwise_conv2d_native_backprop_input(list(sizes), f, dy, list(strides), padding)


def dw_bwf(x, dy, strides, padding, sizes):
    return tf1.nn.depthwise_conv2d_native_backprop_filter(x, list(sizes), dy, list(strides), padding)


S1, S2 = (1, 1, 1, 1), (1, 2, 2, 1)

# Conv2D: SAME/VALID, strides 1/2/3, odd sizes (SAME's odd total padding goes after),
# dilations, 1x1 and whole-input filters (the kernels' no-im2col paths), grouped, float64
case("conv2d_same_s1", "conv2d", [[2, 5, 5, 3], [3, 3, 3, 4]], conv2d, strides=S1, padding="SAME")
case("conv2d_valid_s1", "conv2d", [[2, 6, 7, 2], [3, 2, 2, 3]], conv2d, strides=S1, padding="VALID")
case("conv2d_same_s2_odd", "conv2d", [[1, 7, 6, 3], [3, 3, 3, 2]], conv2d, strides=S2, padding="SAME")
case("conv2d_valid_s2", "conv2d", [[2, 9, 9, 2], [4, 4, 2, 3]], conv2d, strides=S2, padding="VALID")
case("conv2d_same_s3_even_filter", "conv2d", [[1, 8, 7, 1], [4, 4, 1, 2]], conv2d, strides=(1, 3, 3, 1),
     padding="SAME")
case("conv2d_same_rect_strides", "conv2d", [[1, 7, 8, 2], [3, 2, 2, 2]], conv2d, strides=(1, 2, 3, 1),
     padding="SAME")
case("conv2d_same_dilated", "conv2d", [[1, 7, 7, 2], [3, 3, 2, 3]], conv2d, strides=S1, padding="SAME",
     dilations=(1, 2, 2, 1))
case("conv2d_valid_dilated", "conv2d", [[2, 9, 8, 2], [2, 3, 2, 2]], conv2d, strides=S1, padding="VALID",
     dilations=(1, 3, 2, 1))
case("conv2d_1x1", "conv2d", [[2, 4, 5, 6], [1, 1, 6, 3]], conv2d, strides=S1, padding="VALID")
case("conv2d_1x1_s2", "conv2d", [[1, 5, 5, 3], [1, 1, 3, 2]], conv2d, strides=S2, padding="SAME")
case("conv2d_whole_input", "conv2d", [[3, 4, 4, 2], [4, 4, 2, 5]], conv2d, strides=S1, padding="VALID")
# TF's CPU kernels have no grouped gradients: forward only (tests/ops/conv_cases.c checks them)
case("conv2d_grouped", "conv2d", [[1, 5, 5, 4], [3, 3, 2, 6]], conv2d, grads=False, strides=S1, padding="SAME")
case("conv2d_f64_same_s2", "conv2d", [[2, 6, 5, 3], [3, 3, 3, 2]], conv2d, dtype=F64, strides=S2, padding="SAME")
case("conv2d_f64_valid_dilated", "conv2d", [[1, 8, 8, 2], [3, 3, 2, 2]], conv2d, dtype=F64, strides=S1,
     padding="VALID", dilations=(1, 2, 2, 1))
case("conv2d_i32", "conv2d", [[1, 5, 4, 2], [3, 3, 2, 3]], conv2d, dtype=I32, strides=S1, padding="SAME")
# the seed's (1, 4, 4, 3) input through a 5x5x3x16 SAME filter
case("conv2d_seed_1x4x4x3", "conv2d", [[1, 4, 4, 3], [5, 5, 3, 16]], conv2d, strides=S1, padding="SAME")

# conv2d_transpose (Conv2DBackpropInput)
case("transpose_same_s2", "conv2d_transpose", [[1, 4, 4, 3], [3, 3, 2, 3]], transpose, strides=S2, padding="SAME",
     sizes=(1, 8, 8, 2))
case("transpose_valid_s2", "conv2d_transpose", [[2, 3, 3, 2], [3, 3, 2, 2]], transpose, strides=S2,
     padding="VALID", sizes=(2, 7, 7, 2))
case("transpose_same_s2_odd", "conv2d_transpose", [[1, 3, 4, 2], [2, 2, 3, 2]], transpose, strides=S2,
     padding="SAME", sizes=(1, 5, 7, 3))
case("transpose_same_s1", "conv2d_transpose", [[2, 4, 3, 2], [3, 3, 3, 2]], transpose, strides=S1, padding="SAME",
     sizes=(2, 4, 3, 3))
case("transpose_f64_valid_s1", "conv2d_transpose", [[1, 3, 3, 2], [2, 2, 2, 2]], transpose, dtype=F64, strides=S1,
     padding="VALID", sizes=(1, 4, 4, 2))

# depthwise
case("depthwise_same_s1", "depthwise", [[2, 5, 5, 3], [3, 3, 3, 2]], depthwise, strides=S1, padding="SAME")
case("depthwise_valid_s2", "depthwise", [[1, 7, 7, 2], [3, 3, 2, 1]], depthwise, strides=S2, padding="VALID")
case("depthwise_same_s2_odd", "depthwise", [[1, 6, 7, 3], [2, 3, 3, 2]], depthwise, strides=S2, padding="SAME")
case("depthwise_same_rate2", "depthwise", [[1, 8, 8, 2], [3, 3, 2, 2]], depthwise, strides=S1, padding="SAME",
     rate=(2, 2))
case("depthwise_valid_rate2", "depthwise", [[2, 9, 9, 2], [3, 3, 2, 1]], depthwise, strides=S1, padding="VALID",
     rate=(2, 2))
case("depthwise_f64_same", "depthwise", [[1, 5, 4, 2], [3, 3, 2, 3]], depthwise, dtype=F64, strides=S1,
     padding="SAME")

# the backprop ops as forward ops: their own gradients are second-order conv gradients
case("bwf_valid_s1", "conv2d_backprop_filter", [[1, 5, 5, 2], [1, 3, 3, 3]], bwf, strides=S1, padding="VALID",
     sizes=(3, 3, 2, 3))
case("bwf_same_s2", "conv2d_backprop_filter", [[2, 5, 6, 2], [2, 3, 3, 2]], bwf, strides=S2, padding="SAME",
     sizes=(3, 3, 2, 2))
case("bwf_same_dilated", "conv2d_backprop_filter", [[1, 6, 6, 2], [1, 6, 6, 2]], bwf, strides=S1, padding="SAME",
     sizes=(2, 2, 2, 2), dilations=(1, 2, 2, 1))
case("dw_bwi_same_s1", "depthwise_backprop_input", [[3, 3, 2, 2], [1, 5, 5, 4]], dw_bwi, strides=S1,
     padding="SAME", sizes=(1, 5, 5, 2))
case("dw_bwi_valid_s2", "depthwise_backprop_input", [[3, 3, 2, 1], [2, 3, 3, 2]], dw_bwi, strides=S2,
     padding="VALID", sizes=(2, 7, 7, 2))
case("dw_bwf_valid_s1", "depthwise_backprop_filter", [[1, 5, 5, 2], [1, 3, 3, 4]], dw_bwf, strides=S1,
     padding="VALID", sizes=(3, 3, 2, 2))
case("dw_bwf_same_s2", "depthwise_backprop_filter", [[2, 5, 5, 3], [2, 3, 3, 3]], dw_bwf, strides=S2,
     padding="SAME", sizes=(3, 3, 3, 1))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv.txt")
    lines = [f"# Generated by tests/golden/make_conv_fixtures.py with TensorFlow {tf.__version__} "
             "(tf.compat.v1 graph mode). Do not edit by hand.", "# Format: see the script's docstring."]
    for c in CASES:
        lines += run_case(c)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(CASES)} cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
