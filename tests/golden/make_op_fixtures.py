#!/usr/bin/env python3
"""Writes tests/golden/ops.txt: forward values and gradients of Rill's ops, computed by real
TensorFlow (tf.compat.v1 graph mode), for tests/golden/test_op_golden.c.

Run with the project's TensorFlow venv:
    /work/main/build/venv/bin/python tests/golden/make_op_fixtures.py

Every case feeds small deterministic inputs to placeholders, runs the op as TF's Python API
builds it, and, when it has float inputs and float outputs, runs
tf.gradients(ys=outputs, xs=float inputs, grad_ys=fixed random tensors). Each case draws from
its own generator seeded by a CRC of its name, so adding a case changes no other case.

Fixture format (one item per line, '#' starts a comment line):
    case <name> <builder> [key=value ...]   builder = the C dispatch name; lists are a,b,c;
                                            "none" = NULL list; empty = zero-length list
    tol <t>                                 optional: float tolerance (|d| <= t + t*|expected|)
    input <dtype> <shape> <values...>       one per builder input, fed through placeholders
    grad_y <dtype> <shape> <values...>      one per float output (only in differentiated cases)
    output <dtype> <shape> <values...>      one per builder output
    grad <input index> <dtype> <shape> <values...> | grad <input index> none
    end
shape is [d0,d1,...] ([] for a scalar); bools are 0/1; floats use the shortest repr that
round-trips in their dtype.

Builders beyond the public op builders (see higher_order_cases and raw_cases):
    vjp op=<builder> ...     inputs: the inner op's inputs, then v; outputs: tf.gradients(inner
                             op, its float inputs, grad_ys=v), so the case's own gradients are
                             second order (they exercise the gradient ops' gradients)
    self op=<builder>        one input x; output op(x, x) (gradient contributions are summed)
    raw type=<OpType> [attr:<b|i|t>=value ...] [const=i,j]
                             an op with no public builder, built with rill_op_builder (attr T is
                             input 0's dtype unless given); inputs listed in const are built as
                             constants rather than fed placeholders
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

F32, F64, I32, I64, BOOL = np.float32, np.float64, np.int32, np.int64, np.bool_
DTYPE_NAMES = {np.dtype(F32): "float32", np.dtype(F64): "float64", np.dtype(I32): "int32",
               np.dtype(I64): "int64", np.dtype(BOOL): "bool"}
TF_DTYPES = {"float32": tf.float32, "float64": tf.float64, "int32": tf.int32, "int64": tf.int64,
             "bool": tf.bool}

CASES = []


class Rng:
    """Per-case generator: uniform values rounded to 4 decimals (readable) and distinct
    (so max/min/argmax cases have no accidental ties)."""

    def __init__(self, name):
        self.r = np.random.RandomState(zlib.crc32(name.encode()))

    def u(self, shape, lo=-2.0, hi=2.0, dtype=F32, distinct=True):
        n = int(np.prod(shape)) if shape else 1
        while True:
            v = np.round(self.r.uniform(lo, hi, size=n), 4)
            if not distinct or len(set(v.tolist())) == n:
                return v.reshape(shape).astype(dtype)

    def ints(self, shape, lo, hi, dtype=I32):
        return self.r.randint(lo, hi, size=shape).astype(dtype)

    def bools(self, shape):
        return self.r.rand(*shape) < 0.5

    def normal(self, shape, dtype):
        return np.round(self.r.normal(size=shape), 4).astype(dtype)


def case(name, builder, inputs, fn, params=(), tol=None):
    """inputs: numpy arrays, or a function of the case's Rng returning them. fn(placeholders)
    returns a tensor or a list of tensors (the builder's outputs, in order)."""
    assert all(c["name"] != name for c in CASES), name
    CASES.append(dict(name=name, builder=builder, inputs=inputs, fn=fn, params=list(params), tol=tol))


def fmt_param(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(fmt_param(x) for x in v)
    return str(v)


def fmt_value(v, dt):
    if dt == np.dtype(BOOL):
        return "1" if v else "0"
    return str(v)


def fmt_tensor(a):
    a = np.asarray(a)
    name = DTYPE_NAMES[a.dtype]
    shape = "[" + ",".join(str(d) for d in a.shape) + "]"
    vals = " ".join(fmt_value(v, a.dtype) for v in a.reshape(-1))
    return f"{name} {shape}" + (f" {vals}" if vals else "")


def is_float(dt):
    return dt in (tf.float32, tf.float64)


def run_case(c):
    rng = Rng(c["name"])
    inputs = c["inputs"](rng) if callable(c["inputs"]) else c["inputs"]
    inputs = [np.asarray(x) for x in inputs]
    lines = ["case " + " ".join([c["name"], c["builder"]] + [f"{k}={fmt_param(v)}" for k, v in c["params"]])]
    if c["tol"] is not None:
        lines.append(f"tol {c['tol']}")
    with tf.Graph().as_default():
        phs = [tf1.placeholder(TF_DTYPES[DTYPE_NAMES[x.dtype]], shape=x.shape, name=f"in{i}")
               for i, x in enumerate(inputs)]
        out = c["fn"](*phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        xs = [i for i, p in enumerate(phs) if is_float(p.dtype)]
        ys = [o for o in outs if is_float(o.dtype)]
        grads, gys = [], []
        feed = dict(zip(phs, inputs))
        with tf1.Session() as s:
            vals = s.run(outs, feed_dict=feed)
            if xs and ys:
                # grad_ys take the computed shapes: some static output shapes are partial
                gys = [rng.normal(v.shape, v.dtype) for v in vals if is_float(tf.as_dtype(v.dtype))]
                grads = tf.gradients(ys=ys, xs=[phs[i] for i in xs], grad_ys=[tf.constant(g) for g in gys])
                grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
                vals += s.run([g for g in grads if g is not None], feed_dict=feed)
    for x in inputs:
        lines.append("input " + fmt_tensor(x))
    for g in gys:
        lines.append("grad_y " + fmt_tensor(g))
    for v in vals[:len(outs)]:
        lines.append("output " + fmt_tensor(v))
    k = len(outs)
    for i, g in zip(xs, grads):
        if g is None:
            lines.append(f"grad {i} none")
        else:
            lines.append(f"grad {i} " + fmt_tensor(vals[k]))
            k += 1
    lines.append("end")
    return lines


# ---------------------------------------------------------------------------------------
# elementwise binary math

def binary_cases():
    # TF's Div on integers truncates (C semantics); tf.divide would cast to float instead.
    div_op = lambda a, b: tf.raw_ops.Div(x=a, y=b) if a.dtype.is_integer else tf.divide(a, b)  # noqa: E731
    ops = {
        "add": (tf.add, (-2, 2), (-2, 2)),
        "sub": (tf.subtract, (-2, 2), (-2, 2)),
        "mul": (tf.multiply, (-2, 2), (-2, 2)),
        "div": (div_op, (-2, 2), (0.5, 2)),
        "floordiv": (tf.math.floordiv, (-4, 4), (0.3, 1.5)),
        "mod": (tf.math.floormod, (-4, 4), (0.3, 1.5)),
        "maximum": (tf.maximum, (-2, 2), (-2, 2)),
        "minimum": (tf.minimum, (-2, 2), (-2, 2)),
        "pow": (tf.pow, (0.2, 2), (-2, 2)),
        "squared_difference": (tf.math.squared_difference, (-2, 2), (-2, 2)),
    }
    shapes = [("same", [2, 3], [2, 3]), ("row", [2, 3], [3]), ("outer", [2, 1], [1, 3]),
              ("scalar", [], [2, 3]), ("rank3", [2, 3, 4], [3, 1])]
    for op, (f, xr, yr) in ops.items():
        for tag, sx, sy in shapes:
            case(f"{op}_f32_{tag}", op, lambda r, sx=sx, sy=sy, xr=xr, yr=yr: [r.u(sx, *xr), r.u(sy, *yr)],
                 lambda a, b, f=f: f(a, b))
        case(f"{op}_f64_same", op, lambda r, xr=xr, yr=yr: [r.u([2, 3], *xr, F64), r.u([2, 3], *yr, F64)],
             lambda a, b, f=f: f(a, b))
        case(f"{op}_f64_row", op, lambda r, xr=xr, yr=yr: [r.u([3, 2], *xr, F64), r.u([2], *yr, F64)],
             lambda a, b, f=f: f(a, b))
    # integer forward semantics (negative operands: truncation vs floor)
    ia = np.array([[7, -7, 5, -5, 0, 9], [3, -3, 8, -8, 1, -1]], I32)
    ib = np.array([[2, 2, -3, -3, 4, 5], [3, 2, -5, 3, 7, -2]], I32)
    for op in ["add", "sub", "mul", "div", "floordiv", "mod", "maximum", "minimum", "squared_difference"]:
        f = ops[op][0]
        case(f"{op}_i32", op, [ia, ib], lambda a, b, f=f: f(a, b))
        case(f"{op}_i64_row", op, [ia.astype(I64), ib[1].astype(I64)], lambda a, b, f=f: f(a, b))
    case("pow_i32", "pow", [np.array([2, -3, 4, 0, 1, 5], I32), np.array([3, 3, 0, 2, 7, 2], I32)], tf.pow)
    # ties: TF sends the gradient of maximum/minimum to x where x >= y (x <= y)
    tx = np.array([1.0, 2.0, -1.0, 0.5], F32)
    ty = np.array([1.0, 1.5, -1.0, 0.75], F32)
    case("maximum_f32_ties", "maximum", [tx, ty], tf.maximum)
    case("minimum_f32_ties", "minimum", [tx, ty], tf.minimum)
    case("add_n_f32", "add_n", lambda r: [r.u([2, 3]), r.u([2, 3]), r.u([2, 3])], lambda *a: tf.add_n(list(a)))
    case("add_n_f64_one", "add_n", lambda r: [r.u([4], dtype=F64)], lambda *a: tf.add_n(list(a)))
    case("add_n_i32", "add_n", lambda r: [r.ints([3], -5, 5), r.ints([3], -5, 5)], lambda *a: tf.add_n(list(a)))


# ---------------------------------------------------------------------------------------
# elementwise unary math

def unary_cases():
    ops = {
        "neg": (tf.negative, (-2, 2)), "abs": (tf.abs, (-2, 2)), "sign": (tf.sign, (-2, 2)),
        "square": (tf.square, (-2, 2)), "sqrt": (tf.sqrt, (0.1, 4)), "rsqrt": (tf.math.rsqrt, (0.1, 4)),
        "exp": (tf.exp, (-3, 3)), "log": (tf.math.log, (0.05, 5)), "log1p": (tf.math.log1p, (-0.9, 3)),
        "reciprocal": (tf.math.reciprocal, (0.2, 3)), "sigmoid": (tf.sigmoid, (-6, 6)),
        "tanh": (tf.tanh, (-3, 3)),
    }
    for op, (f, rg) in ops.items():
        case(f"{op}_f32", op, lambda r, rg=rg: [r.u([2, 3], *rg)], f)
        case(f"{op}_f64", op, lambda r, rg=rg: [r.u([3, 2], *rg, F64)], f)
        case(f"{op}_f32_scalar", op, lambda r, rg=rg: [r.u([], *rg)], f)
    z = np.array([0.0, -1.5, 2.0, 0.0], F32)
    case("abs_f32_zero", "abs", [z], tf.abs)
    case("sign_f32_zero", "sign", [z], tf.sign)
    for op in ["neg", "abs", "sign", "square"]:
        case(f"{op}_i32", op, [np.array([-3, 0, 4, -1], I32)], ops[op][0])
        case(f"{op}_i64", op, [np.array([[-3, 0], [4, -1]], I64)], ops[op][0])
    # large-magnitude inputs where naive formulas overflow
    case("sigmoid_f32_extreme", "sigmoid", [np.array([-30.0, -10.0, 10.0, 30.0], F32)], tf.sigmoid)
    case("tanh_f32_extreme", "tanh", [np.array([-12.0, -0.001, 0.001, 12.0], F32)], tf.tanh)


# ---------------------------------------------------------------------------------------
# comparisons, logical, where, cast

def logic_cases():
    cmps = {"equal": tf.equal, "not_equal": tf.not_equal, "greater": tf.greater,
            "greater_equal": tf.greater_equal, "less": tf.less, "less_equal": tf.less_equal}
    a = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], F32)
    b = np.array([[1.0, 3.0, 2.0], [-1.0, 0.25, 4.0]], F32)
    for op, f in cmps.items():
        case(f"{op}_f32", op, [a, b], f)
        case(f"{op}_f32_row", op, [a, np.array([1.0, 0.5, 2.0], F32)], f)
        case(f"{op}_i32_scalar", op, [np.array([3, -1, 2, 7], I32), np.array(2, I32)], f)
        case(f"{op}_f64", op, [a.astype(F64), b.astype(F64)], f)
        case(f"{op}_i64", op, [np.array([5, 6, 7], I64), np.array([6, 6, 6], I64)], f)
    ba = np.array([[True, True, False, False]])
    bb = np.array([[True, False, True, False]])
    case("logical_and", "logical_and", [ba, bb], tf.logical_and)
    case("logical_or", "logical_or", [ba, bb], tf.logical_or)
    case("logical_and_bcast", "logical_and", [ba.reshape(4, 1), np.array([True, False])], tf.logical_and)
    case("logical_not", "logical_not", [ba], tf.logical_not)
    cond = np.array([[True, False, True], [False, False, True]])
    case("where_f32", "where", lambda r: [cond, r.u([2, 3]), r.u([2, 3])], tf1.where)
    case("where_f64", "where", lambda r: [cond, r.u([2, 3], dtype=F64), r.u([2, 3], dtype=F64)], tf1.where)
    case("where_f32_vector_cond", "where", lambda r: [np.array([False, True, True]), r.u([3, 2]), r.u([3, 2])],
         tf1.where)
    case("where_i32", "where", lambda r: [cond, r.ints([2, 3], -9, 9), r.ints([2, 3], -9, 9)], tf1.where)
    casts = [("f32_to_i32", np.array([1.7, -1.7, 2.5, -0.4, 0.0, 3.0], F32), "int32"),
             ("f32_to_i64", np.array([1.7, -1.7, 2.5, -0.4], F32), "int64"),
             ("f32_to_f64", np.array([[1.25, -0.1], [3.3, 7.0]], F32), "float64"),
             ("f64_to_f32", np.array([1.0000001, -0.1, 1e-3], F64), "float32"),
             ("i32_to_f32", np.array([-3, 0, 7], I32), "float32"),
             ("i64_to_i32", np.array([-3, 0, 7], I64), "int32"),
             ("i32_to_i64", np.array([-3, 0, 7], I32), "int64"),
             ("bool_to_f32", np.array([True, False, True]), "float32"),
             ("bool_to_i32", np.array([True, False]), "int32"),
             ("f32_to_bool", np.array([0.0, -2.0, 0.5], F32), "bool"),
             ("i32_to_bool", np.array([0, 3, -1], I32), "bool"),
             ("f32_to_f32", np.array([0.5, -2.0], F32), "float32")]
    for tag, x, dt in casts:
        case(f"cast_{tag}", "cast", [x], lambda a, dt=dt: tf.cast(a, TF_DTYPES[dt]), [("dtype", dt)])


# ---------------------------------------------------------------------------------------
# reductions, argmax, matmul, tensordot, clipping

def reduce_cases():
    fns = {"reduce_sum": tf.reduce_sum, "reduce_mean": tf.reduce_mean, "reduce_max": tf.reduce_max,
           "reduce_min": tf.reduce_min, "reduce_prod": tf.reduce_prod}
    variants = [("all", [2, 3], None, False), ("all_keep", [2, 3], None, True), ("ax0", [2, 3], [0], False),
                ("ax1_keep", [2, 3], [1], True), ("axneg1", [2, 3, 4], [-1], False),
                ("ax02", [2, 3, 4], [0, 2], False), ("ax02_keep", [2, 3, 4], [0, 2], True),
                ("ax1_rank3", [2, 3, 4], [1], False), ("empty_axes", [2, 3], [], False),
                ("vector", [5], [0], False)]
    for op, f in fns.items():
        rg = (0.5, 1.5) if op == "reduce_prod" else (-2, 2)
        for tag, shape, axes, keep in variants:
            case(f"{op}_f32_{tag}", op, lambda r, shape=shape, rg=rg: [r.u(shape, *rg)],
                 lambda a, f=f, axes=axes, keep=keep: f(a, axis=axes, keepdims=keep),
                 [("axes", axes), ("keepdims", keep)])
        case(f"{op}_f64_ax1", op, lambda r, rg=rg: [r.u([3, 4], *rg, F64)],
             lambda a, f=f: f(a, axis=[1]), [("axes", [1]), ("keepdims", False)])
        case(f"{op}_i32_ax0", op, lambda r: [r.ints([3, 4], -4, 5)],
             lambda a, f=f: f(a, axis=[0]), [("axes", [0]), ("keepdims", False)])
        case(f"{op}_i64_all", op, lambda r: [r.ints([2, 3], -4, 5, I64)],
             lambda a, f=f: f(a), [("axes", None), ("keepdims", False)])
    # ties: TF splits the max/min gradient equally between tied elements
    t = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], F32)
    case("reduce_max_f32_ties", "reduce_max", [t], lambda a: tf.reduce_max(a, axis=[1]),
         [("axes", [1]), ("keepdims", False)])
    case("reduce_min_f32_ties", "reduce_min", [t], lambda a: tf.reduce_min(a, axis=None),
         [("axes", None), ("keepdims", False)])
    # a zero factor: the gradient is the product of the others, not y/x
    p = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, -1.0]], F32)
    case("reduce_prod_f32_zero", "reduce_prod", [p], lambda a: tf.reduce_prod(a, axis=[1]),
         [("axes", [1]), ("keepdims", False)])
    for op, f in [("argmax", tf.argmax), ("argmin", tf.argmin)]:
        for tag, axis, shape in [("ax0", 0, [3, 4]), ("ax1", 1, [3, 4]), ("axneg1", -1, [2, 3, 4]),
                                 ("ax1_rank3", 1, [2, 3, 4])]:
            case(f"{op}_f32_{tag}", op, lambda r, shape=shape: [r.u(shape)],
                 lambda a, f=f, axis=axis: f(a, axis=axis), [("axis", axis)])
        case(f"{op}_f64_ax0", op, lambda r: [r.u([4, 2], dtype=F64)], lambda a, f=f: f(a, axis=0), [("axis", 0)])
        case(f"{op}_i32_ax1", op, lambda r: [r.ints([3, 5], -9, 9)], lambda a, f=f: f(a, axis=1), [("axis", 1)])
        # ties: the first index wins
        case(f"{op}_f32_ties", op, [np.array([[1.0, 5.0, 5.0, -2.0], [-2.0, 0.0, -2.0, 0.0]], F32)],
             lambda a, f=f: f(a, axis=1), [("axis", 1)])


def matmul_cases():
    for ta in (False, True):
        for tb in (False, True):
            sa = [4, 3] if ta else [3, 4]
            sb = [5, 4] if tb else [4, 5]
            tag = f"{'t' if ta else 'n'}{'t' if tb else 'n'}"
            case(f"matmul_f32_{tag}", "matmul", lambda r, sa=sa, sb=sb: [r.u(sa), r.u(sb)],
                 lambda a, b, ta=ta, tb=tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb),
                 [("transpose_a", ta), ("transpose_b", tb)])
            case(f"matmul_f64_{tag}", "matmul", lambda r, sa=sa, sb=sb: [r.u(sa, dtype=F64), r.u(sb, dtype=F64)],
                 lambda a, b, ta=ta, tb=tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb),
                 [("transpose_a", ta), ("transpose_b", tb)])
            ba = [2, 4, 3] if ta else [2, 3, 4]
            bb = [2, 5, 4] if tb else [2, 4, 5]
            case(f"batch_matmul_f32_{tag}", "matmul", lambda r, ba=ba, bb=bb: [r.u(ba), r.u(bb)],
                 lambda a, b, ta=ta, tb=tb: tf.matmul(a, b, transpose_a=ta, transpose_b=tb),
                 [("transpose_a", ta), ("transpose_b", tb)])
    case("batch_matmul_f64_rank4", "matmul", lambda r: [r.u([2, 2, 2, 3], dtype=F64), r.u([2, 2, 3, 2], dtype=F64)],
         lambda a, b: tf.matmul(a, b), [("transpose_a", False), ("transpose_b", False)])
    case("matmul_f32_vector_like", "matmul", lambda r: [r.u([1, 6]), r.u([6, 1])],
         lambda a, b: tf.matmul(a, b), [("transpose_a", False), ("transpose_b", False)])
    case("matmul_i32", "matmul", lambda r: [r.ints([2, 3], -4, 5), r.ints([3, 2], -4, 5)],
         lambda a, b: tf.matmul(a, b), [("transpose_a", False), ("transpose_b", False)])
    for tag, sa, sb, aa, ab in [("one_axis", [3, 4], [4, 5], [1], [0]),
                                ("two_axes", [2, 3, 4], [4, 3, 5], [1, 2], [1, 0]),
                                ("middle", [2, 3, 4], [5, 3], [1], [1]),
                                ("outer", [2, 3], [4], [], [])]:
        for dt in (F32, F64):
            dtag = "f32" if dt is F32 else "f64"
            case(f"tensordot_{dtag}_{tag}", "tensordot", lambda r, sa=sa, sb=sb, dt=dt: [r.u(sa, dtype=dt),
                                                                                          r.u(sb, dtype=dt)],
                 lambda a, b, aa=aa, ab=ab: tf.tensordot(a, b, axes=[aa, ab]), [("axes_a", aa), ("axes_b", ab)])


def clip_cases():
    case("clip_by_value_f32", "clip_by_value", lambda r: [r.u([3, 4], -3, 3)],
         lambda a: tf.clip_by_value(a, -1.0, 1.5), [("lo", -1.0), ("hi", 1.5)])
    case("clip_by_value_f64", "clip_by_value", lambda r: [r.u([5], -3, 3, F64)],
         lambda a: tf.clip_by_value(a, -0.5, 0.5), [("lo", -0.5), ("hi", 0.5)])
    case("clip_by_value_i32", "clip_by_value", [np.array([-5, -1, 0, 3, 9], I32)],
         lambda a: tf.clip_by_value(a, -2, 4), [("lo", -2), ("hi", 4)])
    case("clip_by_norm_f32_clipped", "clip_by_norm", lambda r: [r.u([2, 3])],
         lambda a: tf.clip_by_norm(a, 1.0), [("clip", 1.0)])
    case("clip_by_norm_f32_unclipped", "clip_by_norm", lambda r: [r.u([2, 3], -0.3, 0.3)],
         lambda a: tf.clip_by_norm(a, 5.0), [("clip", 5.0)])
    case("clip_by_norm_f64_clipped", "clip_by_norm", lambda r: [r.u([4], dtype=F64)],
         lambda a: tf.clip_by_norm(a, 0.5), [("clip", 0.5)])

    def global_norm(*ts, clip):
        clipped, norm = tf.clip_by_global_norm(list(ts), clip)
        return list(clipped) + [norm]
    case("clip_by_global_norm_f32_clipped", "clip_by_global_norm", lambda r: [r.u([2, 3]), r.u([4])],
         lambda *a: global_norm(*a, clip=1.5), [("clip", 1.5)])
    case("clip_by_global_norm_f32_unclipped", "clip_by_global_norm",
         lambda r: [r.u([3], -0.2, 0.2), r.u([2, 2], -0.2, 0.2), r.u([], -0.2, 0.2)],
         lambda *a: global_norm(*a, clip=10.0), [("clip", 10.0)])
    case("clip_by_global_norm_f64", "clip_by_global_norm", lambda r: [r.u([3], dtype=F64), r.u([2], dtype=F64)],
         lambda *a: global_norm(*a, clip=1.0), [("clip", 1.0)])


# ---------------------------------------------------------------------------------------
# array ops

def array_cases():
    case("identity_f32", "identity", lambda r: [r.u([2, 3])], tf.identity)
    case("identity_i64", "identity", [np.array([1, -2], I64)], tf.identity)
    case("stop_gradient_f32", "stop_gradient", lambda r: [r.u([3])], tf.stop_gradient)
    case("reshape_f32", "reshape", lambda r: [r.u([2, 3, 2])], lambda a: tf.reshape(a, [3, 4]), [("dims", [3, 4])])
    case("reshape_f32_infer", "reshape", lambda r: [r.u([2, 6])], lambda a: tf.reshape(a, [-1, 3, 2]),
         [("dims", [-1, 3, 2])])
    case("reshape_f64_scalar", "reshape", lambda r: [r.u([1, 1], dtype=F64)], lambda a: tf.reshape(a, []),
         [("dims", [])])
    case("reshape_i32", "reshape", [np.arange(6, dtype=I32)], lambda a: tf.reshape(a, [2, -1]), [("dims", [2, -1])])
    case("reshape_to_f32", "reshape_to", lambda r: [r.u([4, 3]), np.array([2, 6], I32)], tf.reshape)
    case("reshape_to_f32_i64_shape", "reshape_to", lambda r: [r.u([4, 3]), np.array([-1, 4], I64)], tf.reshape)
    case("squeeze_f32_all", "squeeze", lambda r: [r.u([1, 3, 1, 2])], tf.squeeze, [("axes", None)])
    case("squeeze_f32_axis", "squeeze", lambda r: [r.u([1, 3, 1, 2])], lambda a: tf.squeeze(a, [2]), [("axes", [2])])
    case("squeeze_f32_neg", "squeeze", lambda r: [r.u([1, 3, 1])], lambda a: tf.squeeze(a, [-1, 0]),
         [("axes", [-1, 0])])
    case("squeeze_i32", "squeeze", [np.array([[5], [6]], I32)], tf.squeeze, [("axes", None)])
    for ax in (0, 1, 2, -1, -3):
        case(f"expand_dims_f32_{ax}".replace("-", "m"), "expand_dims", lambda r: [r.u([2, 3])],
             lambda a, ax=ax: tf.expand_dims(a, ax), [("axis", ax)])
    case("expand_dims_i64_scalar", "expand_dims", [np.array(4, I64)], lambda a: tf.expand_dims(a, 0), [("axis", 0)])
    case("transpose_f32_2d", "transpose", lambda r: [r.u([2, 3])], tf.transpose, [("perm", None)])
    case("transpose_f32_perm", "transpose", lambda r: [r.u([2, 3, 4])], lambda a: tf.transpose(a, [1, 2, 0]),
         [("perm", [1, 2, 0])])
    case("transpose_f64_reverse", "transpose", lambda r: [r.u([2, 3, 2], dtype=F64)], tf.transpose, [("perm", None)])
    case("transpose_i32_perm", "transpose", [np.arange(24, dtype=I32).reshape(2, 3, 4)],
         lambda a: tf.transpose(a, [2, 0, 1]), [("perm", [2, 0, 1])])
    case("slice_f32", "slice", lambda r: [r.u([3, 4])], lambda a: tf.slice(a, [1, 1], [2, 2]),
         [("begin", [1, 1]), ("size", [2, 2])])
    case("slice_f32_to_end", "slice", lambda r: [r.u([3, 4, 2])], lambda a: tf.slice(a, [0, 2, 1], [-1, -1, 1]),
         [("begin", [0, 2, 1]), ("size", [-1, -1, 1])])
    case("slice_i64", "slice", [np.arange(10, dtype=I64)], lambda a: tf.slice(a, [3], [4]),
         [("begin", [3]), ("size", [4])])
    strided_slice_cases()
    case("concat_f32_ax0", "concat", lambda r: [r.u([2, 3]), r.u([1, 3]), r.u([3, 3])],
         lambda *a: tf.concat(list(a), 0), [("axis", 0)])
    case("concat_f32_ax1", "concat", lambda r: [r.u([2, 1]), r.u([2, 3])], lambda *a: tf.concat(list(a), 1),
         [("axis", 1)])
    case("concat_f64_axneg1", "concat", lambda r: [r.u([2, 2, 1], dtype=F64), r.u([2, 2, 2], dtype=F64)],
         lambda *a: tf.concat(list(a), -1), [("axis", -1)])
    case("concat_i32_ax0", "concat", [np.array([1, 2], I32), np.array([3], I32)], lambda *a: tf.concat(list(a), 0),
         [("axis", 0)])
    case("concat_f32_one", "concat", lambda r: [r.u([2, 2])], lambda *a: tf.concat(list(a), 1), [("axis", 1)])
    case("split_f32_ax0", "split", lambda r: [r.u([4, 3])], lambda a: tf.split(a, 2, 0), [("num", 2), ("axis", 0)])
    case("split_f32_ax1", "split", lambda r: [r.u([2, 6])], lambda a: tf.split(a, 3, 1), [("num", 3), ("axis", 1)])
    case("split_f64_axneg1", "split", lambda r: [r.u([2, 2, 4], dtype=F64)], lambda a: tf.split(a, 2, -1),
         [("num", 2), ("axis", -1)])
    case("split_i32", "split", [np.arange(6, dtype=I32)], lambda a: tf.split(a, 3, 0), [("num", 3), ("axis", 0)])
    case("stack_f32_ax0", "stack", lambda r: [r.u([2, 3]), r.u([2, 3])], lambda *a: tf.stack(list(a), 0),
         [("axis", 0)])
    case("stack_f32_ax1", "stack", lambda r: [r.u([2, 3]), r.u([2, 3]), r.u([2, 3])],
         lambda *a: tf.stack(list(a), 1), [("axis", 1)])
    case("stack_f64_axneg1", "stack", lambda r: [r.u([3], dtype=F64), r.u([3], dtype=F64)],
         lambda *a: tf.stack(list(a), -1), [("axis", -1)])
    case("stack_i64_scalars", "stack", [np.array(1, I64), np.array(5, I64)], lambda *a: tf.stack(list(a), 0),
         [("axis", 0)])
    case("unstack_f32_ax0", "unstack", lambda r: [r.u([3, 2])], lambda a: tf.unstack(a, 3, 0),
         [("num", 3), ("axis", 0)])
    case("unstack_f32_ax1", "unstack", lambda r: [r.u([2, 3, 2])], lambda a: tf.unstack(a, 3, 1),
         [("num", 3), ("axis", 1)])
    case("unstack_f64_axneg1", "unstack", lambda r: [r.u([2, 2], dtype=F64)], lambda a: tf.unstack(a, 2, -1),
         [("num", 2), ("axis", -1)])
    case("unstack_i32", "unstack", [np.array([[1, 2], [3, 4]], I32)], lambda a: tf.unstack(a, 2, 0),
         [("num", 2), ("axis", 0)])
    case("tile_f32", "tile", lambda r: [r.u([2, 3])], lambda a: tf.tile(a, [2, 3]), [("multiples", [2, 3])])
    case("tile_f32_rank3", "tile", lambda r: [r.u([1, 2, 2])], lambda a: tf.tile(a, [3, 1, 2]),
         [("multiples", [3, 1, 2])])
    case("tile_f64_one", "tile", lambda r: [r.u([3], dtype=F64)], lambda a: tf.tile(a, [1]), [("multiples", [1])])
    case("tile_i32", "tile", [np.array([1, 2], I32)], lambda a: tf.tile(a, [3]), [("multiples", [3])])
    case("pad_f32", "pad", lambda r: [r.u([2, 3])], lambda a: tf.pad(a, [[1, 0], [2, 1]]),
         [("paddings", [1, 0, 2, 1])])
    case("pad_f32_rank3", "pad", lambda r: [r.u([2, 1, 2])], lambda a: tf.pad(a, [[0, 0], [1, 1], [0, 2]]),
         [("paddings", [0, 0, 1, 1, 0, 2])])
    case("pad_f64", "pad", lambda r: [r.u([3], dtype=F64)], lambda a: tf.pad(a, [[2, 1]]), [("paddings", [2, 1])])
    case("pad_i32", "pad", [np.array([[1, 2]], I32)], lambda a: tf.pad(a, [[1, 1], [0, 1]]),
         [("paddings", [1, 1, 0, 1])])
    case("gather_f32_ax0", "gather", lambda r: [r.u([5, 3]), np.array([4, 0, 2, 0], I32)],
         lambda p, i: tf.gather(p, i, axis=0), [("axis", 0)])
    case("gather_f32_ax1", "gather", lambda r: [r.u([2, 4, 2]), np.array([[3, 1], [1, 1]], I64)],
         lambda p, i: tf.gather(p, i, axis=1), [("axis", 1)])
    case("gather_f64_scalar_index", "gather", lambda r: [r.u([4, 2], dtype=F64), np.array(2, I32)],
         lambda p, i: tf.gather(p, i, axis=0), [("axis", 0)])
    case("gather_f32_axneg1", "gather", lambda r: [r.u([3, 4]), np.array([0, 3, 3], I32)],
         lambda p, i: tf.gather(p, i, axis=-1), [("axis", -1)])
    case("gather_i32", "gather", [np.array([10, 20, 30], I32), np.array([2, 2, 0], I64)],
         lambda p, i: tf.gather(p, i, axis=0), [("axis", 0)])
    for tag, idx, depth, on, off, axis, dt in [
            ("f32", np.array([0, 2, 1, 3], I32), 4, 1.0, 0.0, -1, "float32"),
            ("f64_on_off", np.array([1, 0], I64), 3, 5.0, -1.0, -1, "float64"),
            ("out_of_range", np.array([0, 3, -1], I32), 3, 1.0, 0.0, -1, "float32"),
            ("axis0", np.array([2, 0], I32), 3, 1.0, 0.0, 0, "float32"),
            ("matrix", np.array([[0, 1], [2, 0]], I64), 3, 1.0, 0.0, -1, "float32"),
            ("i32", np.array([1, 0], I32), 2, 7, 3, -1, "int32")]:
        case(f"one_hot_{tag}", "one_hot", [idx],
             lambda i, depth=depth, on=on, off=off, axis=axis, dt=dt:
                 tf.one_hot(i, depth, on, off, axis=axis, dtype=TF_DTYPES[dt]),
             [("depth", depth), ("on", on), ("off", off), ("axis", axis), ("dtype", dt)])
    case("fill_f32", "fill", [np.array(1.5, F32)], lambda v: tf.fill([2, 3], v), [("dims", [2, 3])])
    case("fill_f64_scalar", "fill", [np.array(-2.25, F64)], lambda v: tf.fill([], v), [("dims", [])])
    case("fill_i64", "fill", [np.array(7, I64)], lambda v: tf.fill([3], v), [("dims", [3])])
    for dt in ("float32", "int32"):
        case(f"zeros_{dt}", "zeros", [], lambda dt=dt: tf.zeros([2, 3], TF_DTYPES[dt]),
             [("shape", [2, 3]), ("dtype", dt)])
        case(f"ones_{dt}", "ones", [], lambda dt=dt: tf.ones([3, 1], TF_DTYPES[dt]),
             [("shape", [3, 1]), ("dtype", dt)])
    case("zeros_like_f32", "zeros_like", lambda r: [r.u([2, 3])], tf.zeros_like)
    case("zeros_like_i64", "zeros_like", [np.array([3, 4], I64)], tf.zeros_like)
    case("ones_like_f64", "ones_like", lambda r: [r.u([3, 2], dtype=F64)], tf.ones_like)
    case("ones_like_i32", "ones_like", [np.array([[3, 4]], I32)], tf.ones_like)
    case("ones_like_bool", "ones_like", [np.array([True, False])], tf.ones_like)
    case("shape_f32_i32", "shape", lambda r: [r.u([2, 3, 1])], lambda a: tf.shape(a, out_type=tf.int32),
         [("out_type", "int32")])
    case("shape_i64_i64", "shape", [np.array([1, 2], I64)], lambda a: tf.shape(a, out_type=tf.int64),
         [("out_type", "int64")])
    case("shape_scalar", "shape", [np.array(2.0, F32)], lambda a: tf.shape(a, out_type=tf.int32),
         [("out_type", "int32")])
    case("size_f32", "size", lambda r: [r.u([2, 3, 2])], tf.size)
    case("size_scalar", "size", [np.array(3, I32)], tf.size)
    case("rank_f32", "rank", lambda r: [r.u([2, 3, 2])], tf.rank)
    case("rank_scalar", "rank", [np.array(True)], tf.rank)
    for tag, start, limit, delta, dt in [("i32", 0, 5, 1, "int32"), ("i32_step", 2, 11, 3, "int32"),
                                         ("i32_neg", 5, -2, -2, "int32"), ("i64", -3, 3, 2, "int64"),
                                         ("f32", 0.5, 3.0, 0.7, "float32"), ("f64", 1.0, -1.0, -0.25, "float64"),
                                         ("f32_empty", 1.0, 1.0, 1.0, "float32")]:
        case(f"range_{tag}", "range", [], lambda start=start, limit=limit, delta=delta, dt=dt:
             tf.range(start, limit, delta, dtype=TF_DTYPES[dt]),
             [("start", start), ("limit", limit), ("delta", delta), ("dtype", dt)])


def strided_slice_cases():
    def ss(tag, shape, begin, end, strides, bm=0, em=0, elm=0, nam=0, sam=0, dtype=F32):
        case(f"strided_slice_{tag}", "strided_slice", lambda r: [r.u(shape, dtype=dtype)],
             lambda a: tf.strided_slice(a, begin, end, strides, begin_mask=bm, end_mask=em, ellipsis_mask=elm,
                                        new_axis_mask=nam, shrink_axis_mask=sam),
             [("begin", begin), ("end", end), ("strides", strides), ("begin_mask", bm), ("end_mask", em),
              ("ellipsis_mask", elm), ("new_axis_mask", nam), ("shrink_axis_mask", sam)])
    ss("basic", [4, 5], [1, 0], [3, 5], [1, 2])
    ss("negative_stride", [6], [5], [0], [-2])
    ss("negative_indices", [3, 6], [-2, -5], [-1, -1], [1, 1])
    ss("reverse_all", [4, 3], [0, 0], [0, 0], [-1, 1], bm=3, em=3)
    ss("begin_end_mask", [4, 5], [2, 3], [1, 1], [1, 1], bm=1, em=2)
    ss("shrink", [3, 4], [1, 0], [2, 4], [1, 1], sam=1)
    ss("shrink_last", [2, 3, 4], [0, 0, -1], [2, 3, 0], [1, 1, 1], bm=3, em=3, sam=4)
    ss("new_axis", [3, 4], [0, 0, 1], [0, 3, 3], [1, 1, 1], nam=1)
    ss("ellipsis", [2, 3, 4], [0, 1], [0, 3], [1, 2], elm=1)
    ss("ellipsis_shrink", [2, 3, 4], [0, 2], [0, 3], [1, 1], elm=1, sam=2)
    ss("out_of_bounds_clamped", [5], [-10], [10], [1])
    ss("empty", [5], [3], [1], [1])
    ss("f64_step3", [7, 2], [1, 0], [7, 2], [3, 1], dtype=F64)


# ---------------------------------------------------------------------------------------
# nn ops and losses

def nn_cases():
    acts = {"relu": tf.nn.relu, "relu6": tf.nn.relu6, "elu": tf.nn.elu, "softplus": tf.nn.softplus,
            "softmax": tf.nn.softmax, "log_softmax": tf.nn.log_softmax}
    for op, f in acts.items():
        case(f"{op}_f32", op, lambda r: [r.u([3, 4], -8, 8)], f)
        case(f"{op}_f64", op, lambda r: [r.u([2, 5], -8, 8, F64)], f)
        case(f"{op}_f32_rank3", op, lambda r: [r.u([2, 2, 3], -3, 3)], f)
    # kinks: TF's relu gradient is 0 at 0; relu6's is 0 at 0 and at 6
    case("relu_f32_kink", "relu", [np.array([0.0, -1.0, 2.0, 0.0], F32)], tf.nn.relu)
    case("relu6_f32_kinks", "relu6", [np.array([0.0, 6.0, 5.5, 7.0, -0.5, 3.0], F32)], tf.nn.relu6)
    case("elu_f32_zero", "elu", [np.array([0.0, -0.0001, 0.0001], F32)], tf.nn.elu)
    case("softplus_f32_extreme", "softplus", [np.array([-40.0, -20.0, 20.0, 40.0], F32)], tf.nn.softplus)
    case("softmax_f32_large", "softmax", [np.array([[1000.0, 1001.0, 999.0], [-50.0, 0.0, 50.0]], F32)],
         tf.nn.softmax)
    case("log_softmax_f32_large", "log_softmax", [np.array([[1000.0, 1001.0, 999.0], [-50.0, 0.0, 50.0]], F32)],
         tf.nn.log_softmax)
    case("softmax_f32_vector", "softmax", lambda r: [r.u([5])], tf.nn.softmax)
    for alpha in (0.2, 0.01, 1.5):
        tag = str(alpha).replace(".", "p")
        case(f"leaky_relu_f32_{tag}", "leaky_relu", lambda r: [r.u([2, 4])],
             lambda a, alpha=alpha: tf.nn.leaky_relu(a, alpha), [("alpha", alpha)])
    case("leaky_relu_f64", "leaky_relu", lambda r: [r.u([5], dtype=F64)], lambda a: tf.nn.leaky_relu(a, 0.3),
         [("alpha", 0.3)])
    case("bias_add_f32", "bias_add", lambda r: [r.u([3, 4]), r.u([4])], tf.nn.bias_add)
    case("bias_add_f32_rank4", "bias_add", lambda r: [r.u([2, 2, 2, 3]), r.u([3])], tf.nn.bias_add)
    case("bias_add_f64", "bias_add", lambda r: [r.u([2, 3], dtype=F64), r.u([3], dtype=F64)], tf.nn.bias_add)

    def probs(r, shape, dt=F32):
        p = r.u(shape, 0.05, 1.0, F64)
        return (p / p.sum(-1, keepdims=True)).astype(dt)

    # labels get a gradient too: the raw op's gradient (TF 2 / softmax_cross_entropy_with_logits_v2)
    sce = lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z)  # noqa: E731
    case("softmax_xent_f32", "softmax_xent", lambda r: [probs(r, [3, 4]), r.u([3, 4], -3, 3)], sce)
    case("softmax_xent_f32_onehot", "softmax_xent",
         lambda r: [np.eye(4, dtype=F32)[[1, 3]], r.u([2, 4], -3, 3)], sce)
    case("softmax_xent_f64", "softmax_xent", lambda r: [probs(r, [2, 5], F64), r.u([2, 5], -3, 3, F64)], sce)
    case("softmax_xent_f32_large", "softmax_xent",
         [np.array([[0.2, 0.8, 0.0]], F32), np.array([[500.0, -500.0, 0.0]], F32)], sce)
    ssce = lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z)  # noqa: E731
    case("sparse_softmax_xent_f32_i32", "sparse_softmax_xent",
         lambda r: [np.array([0, 3, 2], I32), r.u([3, 4], -3, 3)], ssce)
    case("sparse_softmax_xent_f32_i64", "sparse_softmax_xent",
         lambda r: [np.array([1, 1], I64), r.u([2, 5], -3, 3)], ssce)
    case("sparse_softmax_xent_f64", "sparse_softmax_xent",
         lambda r: [np.array([2, 0, 1, 1], I64), r.u([4, 3], -3, 3, F64)], ssce)
    sgce = lambda l, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z)  # noqa: E731
    case("sigmoid_xent_f32", "sigmoid_xent", lambda r: [r.u([3, 4], 0, 1), r.u([3, 4], -4, 4)], sgce)
    case("sigmoid_xent_f64", "sigmoid_xent", lambda r: [r.u([5], 0, 1, F64), r.u([5], -4, 4, F64)], sgce)
    case("sigmoid_xent_f32_extreme", "sigmoid_xent",
         [np.array([1.0, 0.0, 1.0, 0.0], F32), np.array([-60.0, 60.0, 60.0, -60.0], F32)], sgce)
    case("l2_loss_f32", "l2_loss", lambda r: [r.u([3, 4])], tf.nn.l2_loss)
    case("l2_loss_f64", "l2_loss", lambda r: [r.u([5], dtype=F64)], tf.nn.l2_loss)
    case("l2_loss_f32_scalar", "l2_loss", lambda r: [r.u([])], tf.nn.l2_loss)
    mse = lambda l, p: tf1.losses.mean_squared_error(labels=l, predictions=p)  # noqa: E731
    case("mean_squared_error_f32", "mean_squared_error", lambda r: [r.u([3, 4]), r.u([3, 4])], mse)
    case("mean_squared_error_f32_vector", "mean_squared_error", lambda r: [r.u([6]), r.u([6])], mse)
    case("mean_squared_error_f64", "mean_squared_error", lambda r: [r.u([2, 3], dtype=F64), r.u([2, 3], dtype=F64)],
         mse)
    # tf.contrib.layers.{l1,l2,l1_l2}_regularizer, as contrib built them (contrib is gone from TF 2)
    l1 = lambda w, s: tf.multiply(tf.convert_to_tensor(s, w.dtype), tf.reduce_sum(tf.abs(w)))  # noqa: E731
    l2 = lambda w, s: tf.multiply(tf.convert_to_tensor(s, w.dtype), tf.nn.l2_loss(w))  # noqa: E731
    case("l1_regularizer_f32", "l1_regularizer", lambda r: [r.u([3, 4])], lambda w: l1(w, 0.01), [("scale", 0.01)])
    case("l1_regularizer_f64", "l1_regularizer", lambda r: [r.u([4], dtype=F64)], lambda w: l1(w, 0.5),
         [("scale", 0.5)])
    case("l2_regularizer_f32", "l2_regularizer", lambda r: [r.u([3, 4])], lambda w: l2(w, 0.001),
         [("scale", 0.001)])
    case("l2_regularizer_f64", "l2_regularizer", lambda r: [r.u([2, 2], dtype=F64)], lambda w: l2(w, 2.0),
         [("scale", 2.0)])
    case("l1_l2_regularizer_f32", "l1_l2_regularizer", lambda r: [r.u([2, 3])],
         lambda w: tf.add_n([l1(w, 0.1), l2(w, 0.05)]), [("l1", 0.1), ("l2", 0.05)])
    case("l1_l2_regularizer_f64", "l1_l2_regularizer", lambda r: [r.u([3], dtype=F64)],
         lambda w: tf.add_n([l1(w, 1.0), l2(w, 0.25)]), [("l1", 1.0), ("l2", 0.25)])

    # tf.contrib.legacy_seq2seq.sequence_loss_by_example, as contrib built it.
    # Inputs: n logits [batch, classes], then n int targets [batch], then n float weights [batch].
    def seq_loss(n, avg):
        def f(*a):
            logits, targets, weights = a[:n], a[n:2 * n], a[2 * n:]
            terms = [tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.reshape(t, [-1]), logits=z) * w
                     for z, t, w in zip(logits, targets, weights)]
            loss = tf.add_n(terms)
            if avg:
                loss /= tf.add_n(list(weights)) + 1e-12
            return loss
        return f

    for n, avg, batch, classes, dt in [(2, True, 3, 4, F32), (3, False, 2, 5, F32), (1, True, 2, 3, F64),
                                       (2, False, 2, 3, F64)]:
        name = f"sequence_loss_by_example_{'f32' if dt is F32 else 'f64'}_n{n}_{'avg' if avg else 'sum'}"
        case(name, "sequence_loss",
             lambda r, n=n, batch=batch, classes=classes, dt=dt:
                 [r.u([batch, classes], -3, 3, dt) for _ in range(n)] +
                 [r.ints([batch], 0, classes) for _ in range(n)] +
                 [r.u([batch], 0.1, 1.0, dt) for _ in range(n)],
             seq_loss(n, avg), [("n", n), ("average", avg)])


# ---------------------------------------------------------------------------------------
# second order, repeated inputs, ops without public builders

def float_inputs(ts):
    return [t for t in ts if is_float(t.dtype)]


def vjp_of(inner):
    def f(*a):
        xs = float_inputs(a[:-1])
        gs = tf.gradients(inner(*a[:-1]), xs, grad_ys=a[-1])
        return [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in gs]
    return f


def higher_order_cases():
    def vjp(name, op, inner, inputs, vshape, params=(), dtype=F32, tol=None):
        case(f"vjp_{name}", "vjp", lambda r: inputs(r) + [r.normal(vshape, dtype)], vjp_of(inner),
             [("op", op)] + list(params), tol=tol)

    unary = {"sigmoid": (tf.sigmoid, (-3, 3)), "tanh": (tf.tanh, (-2, 2)), "sqrt": (tf.sqrt, (0.5, 3)),
             "rsqrt": (tf.math.rsqrt, (0.5, 3)), "reciprocal": (tf.math.reciprocal, (0.5, 3)),
             "exp": (tf.exp, (-2, 2)), "log": (tf.math.log, (0.5, 3)), "log1p": (tf.math.log1p, (-0.5, 2)),
             "square": (tf.square, (-2, 2)), "abs": (tf.abs, (-2, 2)), "neg": (tf.negative, (-2, 2)),
             "relu": (tf.nn.relu, (-2, 2)), "relu6": (tf.nn.relu6, (-2, 8)), "elu": (tf.nn.elu, (-2, 2)),
             "softplus": (tf.nn.softplus, (-3, 3)), "softmax": (tf.nn.softmax, (-2, 2)),
             "log_softmax": (tf.nn.log_softmax, (-2, 2)), "sign": (tf.sign, (-2, 2))}
    for op, (f, rg) in unary.items():
        vjp(f"{op}_f32", op, f, lambda r, rg=rg: [r.u([2, 3], *rg)], [2, 3])
    vjp("tanh_f64", "tanh", tf.tanh, lambda r: [r.u([4], dtype=F64)], [4], dtype=F64)
    vjp("softmax_f64", "softmax", tf.nn.softmax, lambda r: [r.u([2, 3], dtype=F64)], [2, 3], dtype=F64)
    vjp("leaky_relu_f32", "leaky_relu", lambda a: tf.nn.leaky_relu(a, 0.2), lambda r: [r.u([2, 3])], [2, 3],
        [("alpha", 0.2)])
    vjp("l2_loss_f32", "l2_loss", tf.nn.l2_loss, lambda r: [r.u([2, 3])], [])
    vjp("mul_f32_row", "mul", tf.multiply, lambda r: [r.u([2, 3]), r.u([3])], [2, 3])
    vjp("sub_f32_outer", "sub", tf.subtract, lambda r: [r.u([2, 1]), r.u([1, 3])], [2, 3])
    vjp("div_f32", "div", tf.divide, lambda r: [r.u([2, 3]), r.u([2, 3], 0.5, 2)], [2, 3])
    vjp("pow_f32", "pow", tf.pow, lambda r: [r.u([2, 3], 0.5, 2), r.u([2, 3], -1.5, 1.5)], [2, 3])
    vjp("maximum_f32", "maximum", tf.maximum, lambda r: [r.u([2, 3]), r.u([2, 3])], [2, 3])
    vjp("squared_difference_f32", "squared_difference", tf.math.squared_difference,
        lambda r: [r.u([2, 3]), r.u([3])], [2, 3])
    vjp("matmul_f32_tn", "matmul", lambda a, b: tf.matmul(a, b, transpose_a=True),
        lambda r: [r.u([3, 2]), r.u([3, 4])], [2, 4], [("transpose_a", True), ("transpose_b", False)])
    vjp("matmul_f64_batch", "matmul", tf.matmul, lambda r: [r.u([2, 2, 3], dtype=F64), r.u([2, 3, 2], dtype=F64)],
        [2, 2, 2], [("transpose_a", False), ("transpose_b", False)], dtype=F64)
    vjp("bias_add_f32", "bias_add", tf.nn.bias_add, lambda r: [r.u([3, 4]), r.u([4])], [3, 4])
    red = [("reduce_sum", tf.reduce_sum, [1], (-2, 2)), ("reduce_mean", tf.reduce_mean, None, (-2, 2)),
           ("reduce_max", tf.reduce_max, [1], (-2, 2)), ("reduce_prod", tf.reduce_prod, [1], (0.5, 1.5))]
    for op, f, axes, rg in red:
        vshape = [] if axes is None else [2]
        vjp(f"{op}_f32", op, lambda a, f=f, axes=axes: f(a, axis=axes), lambda r, rg=rg: [r.u([2, 3], *rg)],
            vshape, [("axes", axes), ("keepdims", False)])
    vjp("strided_slice_f32", "strided_slice", lambda a: tf.strided_slice(a, [0, 3], [3, 0], [2, -2]),
        lambda r: [r.u([4, 5])], [2, 2],
        [("begin", [0, 3]), ("end", [3, 0]), ("strides", [2, -2]), ("begin_mask", 0), ("end_mask", 0),
         ("ellipsis_mask", 0), ("new_axis_mask", 0), ("shrink_axis_mask", 0)])
    vjp("gather_f32", "gather", lambda p, i: tf.gather(p, i, axis=0), lambda r: [r.u([4, 2]),
                                                                                   np.array([3, 0, 3], I32)],
        [3, 2], [("axis", 0)])
    vjp("gather_f32_ax1", "gather", lambda p, i: tf.gather(p, i, axis=1), lambda r: [r.u([2, 3]),
                                                                                       np.array([2, 2], I64)],
        [2, 2], [("axis", 1)])
    vjp("tile_f32", "tile", lambda a: tf.tile(a, [2, 1]), lambda r: [r.u([2, 3])], [4, 3], [("multiples", [2, 1])])
    vjp("pad_f32", "pad", lambda a: tf.pad(a, [[1, 0], [0, 2]]), lambda r: [r.u([2, 3])], [3, 5],
        [("paddings", [1, 0, 0, 2])])
    vjp("slice_f32", "slice", lambda a: tf.slice(a, [0, 1], [2, 2]), lambda r: [r.u([3, 3])], [2, 2],
        [("begin", [0, 1]), ("size", [2, 2])])
    vjp("concat_f32", "concat", lambda *a: tf.concat(list(a), 1), lambda r: [r.u([2, 1]), r.u([2, 2])], [2, 3],
        [("axis", 1)])
    vjp("transpose_f32", "transpose", lambda a: tf.transpose(a, [1, 0, 2]), lambda r: [r.u([2, 3, 2])], [3, 2, 2],
        [("perm", [1, 0, 2])])
    vjp("reshape_f32", "reshape", lambda a: tf.reshape(a, [3, 2]), lambda r: [r.u([2, 3])], [3, 2],
        [("dims", [3, 2])])
    vjp("stack_f32", "stack", lambda *a: tf.stack(list(a), 1), lambda r: [r.u([2]), r.u([2])], [2, 2],
        [("axis", 1)])
    vjp("where_f32", "where", tf1.where, lambda r: [np.array([True, False, True]), r.u([3]), r.u([3])], [3])
    vjp("cast_f32_to_f64", "cast", lambda a: tf.cast(a, tf.float64), lambda r: [r.u([3])], [3],
        [("dtype", "float64")], dtype=F64)
    vjp("clip_by_value_f32", "clip_by_value", lambda a: tf.clip_by_value(a, -1.0, 1.0), lambda r: [r.u([2, 3])],
        [2, 3], [("lo", -1.0), ("hi", 1.0)])
    vjp("clip_by_norm_f32", "clip_by_norm", lambda a: tf.clip_by_norm(a, 1.0), lambda r: [r.u([2, 3])], [2, 3],
        [("clip", 1.0)])
    vjp("softmax_xent_f32", "softmax_xent",
        lambda l, z: tf.nn.softmax_cross_entropy_with_logits(labels=l, logits=z),
        lambda r: [np.array([[0.25, 0.75, 0.0], [0.5, 0.25, 0.25]], F32), r.u([2, 3])], [2])
    vjp("sparse_softmax_xent_f32", "sparse_softmax_xent",
        lambda l, z: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=l, logits=z),
        lambda r: [np.array([2, 0], I32), r.u([2, 3])], [2])
    vjp("sigmoid_xent_f32", "sigmoid_xent",
        lambda l, z: tf.nn.sigmoid_cross_entropy_with_logits(labels=l, logits=z),
        lambda r: [r.u([2, 3], 0, 1), r.u([2, 3])], [2, 3])

    # the same tensor as both operands: the driver sums both contributions
    for op, f, rg in [("add", tf.add, (-2, 2)), ("sub", tf.subtract, (-2, 2)), ("mul", tf.multiply, (-2, 2)),
                      ("div", tf.divide, (0.5, 2)), ("pow", tf.pow, (0.5, 2)), ("maximum", tf.maximum, (-2, 2)),
                      ("minimum", tf.minimum, (-2, 2)), ("squared_difference", tf.math.squared_difference, (-2, 2)),
                      ("matmul", tf.matmul, (-2, 2))]:
        params = [("op", op)] + ([("transpose_a", False), ("transpose_b", False)] if op == "matmul" else [])
        case(f"self_{op}_f32", "self", lambda r, rg=rg: [r.u([3, 3], *rg)], lambda a, f=f: f(a, a), params)


def raw_cases():
    def raw(name, op_type, inputs, fn, attrs=(), const=None, tol=None):
        params = [("type", op_type)] + [(f"{k}:{kind}", v) for k, kind, v in attrs]
        if const is not None:
            params.append(("const", const))
        case(f"raw_{name}", "raw", inputs, fn, params, tol=tol)

    raw("add_f32_row", "Add", lambda r: [r.u([2, 3]), r.u([3])], lambda a, b: tf.raw_ops.Add(x=a, y=b))
    raw("add_i32", "Add", [np.array([1, -2], I32), np.array([5, 5], I32)], lambda a, b: tf.raw_ops.Add(x=a, y=b))
    raw("div_no_nan_f32", "DivNoNan", lambda r: [r.u([2, 3]), np.array([[0.5, 0.0, -1.25], [2.0, 0.0, 0.75]], F32)],
        lambda a, b: tf.raw_ops.DivNoNan(x=a, y=b))
    raw("div_no_nan_f64_bcast", "DivNoNan", lambda r: [r.u([2, 2], dtype=F64), np.array([0.0, 1.5], F64)],
        lambda a, b: tf.raw_ops.DivNoNan(x=a, y=b))
    for op in ("Cumsum", "Cumprod"):
        for excl in (False, True):
            for rev in (False, True):
                for axis in (0, 1):
                    tag = f"{op.lower()}_ax{axis}{'_excl' if excl else ''}{'_rev' if rev else ''}"
                    rg = (0.5, 1.5) if op == "Cumprod" else (-2, 2)
                    raw(tag, op, lambda r, axis=axis, rg=rg: [r.u([3, 4], *rg), np.array(axis, I32)],
                        lambda x, a, op=op, excl=excl, rev=rev: getattr(tf.raw_ops, op)(
                            x=x, axis=a, exclusive=excl, reverse=rev),
                        [("exclusive", "b", excl), ("reverse", "b", rev)], const=[1])
        raw(f"{op.lower()}_f64_neg_axis", op, lambda r: [r.u([2, 3], 0.5, 1.5, F64), np.array(-1, I32)],
            lambda x, a, op=op: getattr(tf.raw_ops, op)(x=x, axis=a), [], const=[1])
        raw(f"{op.lower()}_i32", op, [np.array([1, 2, -3, 4], I32), np.array(0, I32)],
            lambda x, a, op=op: getattr(tf.raw_ops, op)(x=x, axis=a), [], const=[1])
    raw("cumprod_f32_zero", "Cumprod", [np.array([[2.0, 0.0, 3.0, 0.5], [1.5, -1.0, 0.0, 0.0]], F32),
                                        np.array(1, I32)],
        lambda x, a: tf.raw_ops.Cumprod(x=x, axis=a), [], const=[1])
    raw("broadcast_to_f32", "BroadcastTo", lambda r: [r.u([3, 1]), np.array([2, 3, 4], I32)],
        lambda x, s: tf.raw_ops.BroadcastTo(input=x, shape=s), [], const=[1])
    raw("broadcast_to_f64_i64_shape", "BroadcastTo", lambda r: [r.u([2], dtype=F64), np.array([3, 2], I64)],
        lambda x, s: tf.raw_ops.BroadcastTo(input=x, shape=s), [("Tidx", "t", "int64")], const=[1])
    raw("invert_permutation_i32", "InvertPermutation", [np.array([2, 0, 3, 1], I32)],
        lambda x: tf.raw_ops.InvertPermutation(x=x))
    raw("invert_permutation_i64", "InvertPermutation", [np.array([1, 2, 0], I64)],
        lambda x: tf.raw_ops.InvertPermutation(x=x))
    raw("unsorted_segment_sum_f32", "UnsortedSegmentSum",
        lambda r: [r.u([5, 2]), np.array([2, 0, 2, 3, 0], I32), np.array(4, I32)],
        lambda d, i, n: tf.raw_ops.UnsortedSegmentSum(data=d, segment_ids=i, num_segments=n),
        [("Tindices", "t", "int32"), ("Tnumsegments", "t", "int32")], const=[2])
    raw("unsorted_segment_sum_f64_2d_ids", "UnsortedSegmentSum",
        lambda r: [r.u([2, 2, 3], dtype=F64), np.array([[1, 1], [0, 2]], I64), np.array(3, I64)],
        lambda d, i, n: tf.raw_ops.UnsortedSegmentSum(data=d, segment_ids=i, num_segments=n),
        [("Tindices", "t", "int64"), ("Tnumsegments", "t", "int64")], const=[2])
    raw("broadcast_gradient_args", "BroadcastGradientArgs", [np.array([2, 1, 3], I32), np.array([4, 1], I32)],
        lambda a, b: list(tf.raw_ops.BroadcastGradientArgs(s0=a, s1=b)))
    raw("broadcast_gradient_args_i64", "BroadcastGradientArgs", [np.array([5], I64), np.array([1, 3, 5], I64)],
        lambda a, b: list(tf.raw_ops.BroadcastGradientArgs(s0=a, s1=b)))
    case("placeholder_with_default_f32", "placeholder_with_default", lambda r: [r.u([2, 3])],
         lambda a: tf1.placeholder_with_default(a, [2, 3]), [("shape", [2, 3])])
    case("placeholder_with_default_i64", "placeholder_with_default", [np.array([4, 5], I64)],
         lambda a: tf1.placeholder_with_default(a, [2]), [("shape", [2])])


def main():
    binary_cases()
    unary_cases()
    logic_cases()
    reduce_cases()
    matmul_cases()
    clip_cases()
    array_cases()
    nn_cases()
    higher_order_cases()
    raw_cases()
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                  "ops.txt")
    lines = ["# Generated by tests/golden/make_op_fixtures.py with TensorFlow " + tf.__version__ +
             " (tf.compat.v1 graph mode). Do not edit by hand.",
             "# Format: see the script's docstring."]
    for c in CASES:
        lines += run_case(c)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(CASES)} cases -> {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
