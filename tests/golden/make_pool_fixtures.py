#!/usr/bin/env python3
"""Writes tests/golden/pool.txt: forward values and gradients of the pooling and
normalization ops (src/ops/pool_*.c) computed by real TensorFlow (tf.compat.v1 graph mode),
for tests/ops/test_pool_ops.c.

Run with the project's TensorFlow venv:
    /work/main/build/venv/bin/python tests/golden/make_pool_fixtures.py

Each case feeds small deterministic inputs to placeholders, runs the op as TF's Python API
builds it, and runs tf.gradients(ys=<differentiated outputs>, xs=<float inputs>,
grad_ys=<fixed random tensors>). Each case draws from its own generator seeded by a CRC of
its name, so adding a case changes no other.

Format (the one tests/golden/ops.txt uses; one item per line, '#' starts a comment line):
    case <name> <builder> [key=value ...]   lists are a,b,c
    input <dtype> <shape> <values...>       one per builder input, fed through placeholders
    grad_y <dtype> <shape> <values...>      one per differentiated output
    output <dtype> <shape> <values...>      one per builder output
    grad <input index> <dtype> <shape> <values...> | grad <input index> none
    end
shape is [d0,d1,...] ([] for a scalar); bools are 0/1; floats are the shortest repr that
round-trips in their dtype.

Builders (dispatched in tests/ops/test_pool_ops.c):
    max_pool / avg_pool ksize= strides= padding=     x -> pooled
    max_pool_vjp / avg_pool_vjp (same keys)          x, v -> tf.gradients(pool(x), x, v): the
                                                     gradient ops' own gradients get checked
    lrn depth_radius= bias= alpha= beta=             x -> LRN(x)
    fused_bn is_training= epsilon= avg= format=      x, scale, offset[, mean, variance] ->
                                                     y, batch_mean, batch_variance (y differentiated)
    fused_bn_vjp is_training= epsilon=               x, scale, offset, v[, mean, variance] ->
                                                     dx, dscale of y with grad_ys v
    batch_norm epsilon=                              x, mean, variance, offset, scale
    moments axes= keep_dims=                         x -> mean, variance
    top_k k= sorted=                                 x -> values, indices (values differentiated)
    in_top_k k=                                      predictions, targets -> bool
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
NAMES = {np.dtype(F32): "float32", np.dtype(F64): "float64", np.dtype(I32): "int32",
         np.dtype(I64): "int64", np.dtype(BOOL): "bool"}
CASES = []


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def uniform(r, shape, lo=-2.0, hi=2.0, dtype=F32, distinct=True):
    n = int(np.prod(shape))
    while True:
        v = np.round(r.uniform(lo, hi, size=n), 4)
        if not distinct or len(set(v.tolist())) == n:
            return v.reshape(shape).astype(dtype)


def case(name, builder, inputs, params=None, n_diff=None):
    CASES.append((name, builder, params or {}, inputs, n_diff))


def fmt_value(v, dtype):
    if dtype == np.dtype(BOOL):
        return "1" if v else "0"
    if dtype in (np.dtype(I32), np.dtype(I64)):
        return str(int(v))
    return str(dtype.type(v))


def fmt_tensor(a):
    a = np.asarray(a)
    shape = "[" + ",".join(str(d) for d in a.shape) + "]"
    vals = " ".join(fmt_value(v, a.dtype) for v in a.ravel())
    return f"{NAMES[a.dtype]} {shape} {vals}".rstrip()


def ints(p, key):
    return [int(v) for v in str(p[key]).split(",")]


def build(builder, p, xs):
    """Returns (outputs, how many leading outputs are differentiated)."""
    if builder in ("max_pool", "avg_pool", "max_pool_vjp", "avg_pool_vjp"):
        pool = tf1.nn.max_pool if builder.startswith("max") else tf1.nn.avg_pool
        y = pool(xs[0], ints(p, "ksize"), ints(p, "strides"), p["padding"])
        if builder.endswith("_vjp"):
            return [tf1.gradients(y, xs[0], grad_ys=xs[1])[0]], 1
        return [y], 1
    if builder == "lrn":
        return [tf1.nn.lrn(xs[0], int(p["depth_radius"]), bias=float(p["bias"]), alpha=float(p["alpha"]),
                           beta=float(p["beta"]))], 1
    if builder in ("fused_bn", "fused_bn_vjp"):
        training = p["is_training"] == "1"
        stats = xs[4:6] if builder == "fused_bn_vjp" else xs[3:5]
        mean, var = (stats[0], stats[1]) if stats else (None, None)
        y, bm, bv = tf1.nn.fused_batch_norm(xs[0], xs[1], xs[2], mean=mean, variance=var,
                                            epsilon=float(p["epsilon"]), is_training=training,
                                            exponential_avg_factor=float(p.get("avg", "1")),
                                            data_format=p.get("format", "NHWC"))
        if builder == "fused_bn_vjp":
            dx, ds = tf1.gradients(y, [xs[0], xs[1]], grad_ys=xs[3])
            return [dx, ds], 2
        return [y, bm, bv], 1
    if builder == "batch_norm":
        return [tf1.nn.batch_normalization(xs[0], xs[1], xs[2], xs[3], xs[4], float(p["epsilon"]))], 1
    if builder == "moments":
        m, v = tf1.nn.moments(xs[0], ints(p, "axes"), keep_dims=p["keep_dims"] == "1")
        return [m, v], 2
    if builder == "top_k":
        v, i = tf1.nn.top_k(xs[0], int(p["k"]), sorted=p["sorted"] == "1")
        return [v, i], 1
    if builder == "in_top_k":
        return [tf1.nn.in_top_k(xs[0], xs[1], int(p["k"]))], 0
    raise ValueError(builder)


def run_case(name, builder, params, inputs, out):
    r = rng(name + "/grad_y")
    g = tf1.Graph()
    with g.as_default():
        phs = [tf1.placeholder(tf.as_dtype(x.dtype), x.shape, name=f"x{i}") for i, x in enumerate(inputs)]
        outs, n_diff = build(builder, params, phs)
        feed = dict(zip(phs, inputs))
        gys, grads = [], []
        float_in = [i for i, x in enumerate(inputs) if x.dtype in (F32, F64)]
        with tf1.Session() as s:
            vals = s.run(outs, feed)
            if n_diff:
                gys = [uniform(r, v.shape, dtype=v.dtype, distinct=False) for v in vals[:n_diff]]
                gy_ph = [tf1.constant(v) for v in gys]
                gt = tf1.gradients(outs[:n_diff], [phs[i] for i in float_in], grad_ys=gy_ph)
                live = [t for t in gt if t is not None]
                gv = s.run(live, feed) if live else []
                it = iter(gv)
                grads = [(i, next(it) if t is not None else None) for i, t in zip(float_in, gt)]
    kv = " ".join(f"{k}={v}" for k, v in params.items())
    out.write(f"case {name} {builder} {kv}".rstrip() + "\n")
    for x in inputs:
        out.write("input " + fmt_tensor(x) + "\n")
    for gy in gys:
        out.write("grad_y " + fmt_tensor(gy) + "\n")
    for v in vals:
        out.write("output " + fmt_tensor(v) + "\n")
    for i, v in grads:
        out.write(f"grad {i} " + (fmt_tensor(v) if v is not None else "none") + "\n")
    out.write("end\n")


def pool_cases():
    shapes = [
        ("same_3x3_s2_seed", (1, 4, 4, 16), [1, 3, 3, 1], [1, 2, 2, 1], "SAME"),
        ("valid_2x2_s2", (2, 4, 6, 3), [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
        ("same_2x2_s2_odd", (1, 5, 7, 2), [1, 2, 2, 1], [1, 2, 2, 1], "SAME"),
        ("valid_3x3_s2_odd", (2, 7, 5, 3), [1, 3, 3, 1], [1, 2, 2, 1], "VALID"),
        ("same_3x3_s1", (1, 4, 5, 2), [1, 3, 3, 1], [1, 1, 1, 1], "SAME"),
        ("same_2x3_s3x1", (1, 6, 5, 2), [1, 2, 3, 1], [1, 3, 1, 1], "SAME"),
        ("valid_1x1_s2", (1, 5, 5, 2), [1, 1, 1, 1], [1, 2, 2, 1], "VALID"),
    ]
    for tag, shape, k, s, pad in shapes:
        params = {"ksize": ",".join(map(str, k)), "strides": ",".join(map(str, s)), "padding": pad}
        r = rng("pool_" + tag)
        x = uniform(r, shape)
        case("max_pool_" + tag, "max_pool", [x], params)
        case("avg_pool_" + tag, "avg_pool", [x], params)
        case("avg_pool_f64_" + tag, "avg_pool", [x.astype(F64)], params)
    # ties: TF routes each window's gradient to its first maximum (row-major)
    r = rng("pool_ties")
    xt = r.randint(0, 2, size=(1, 5, 5, 3)).astype(F32)
    p = {"ksize": "1,3,3,1", "strides": "1,2,2,1", "padding": "SAME"}
    case("max_pool_ties_same_3x3", "max_pool", [xt], p)
    case("max_pool_ties_overlap_s1", "max_pool", [xt], {"ksize": "1,2,2,1", "strides": "1,1,1,1", "padding": "VALID"})
    case("max_pool_f64_ties", "max_pool", [xt.astype(F64)], p)
    # second order: MaxPoolGrad's and AvgPoolGrad's gradients (MaxPoolGradGrad, AvgPool)
    x = uniform(r, (2, 5, 5, 3))
    case("max_pool_vjp_same_3x3", "max_pool_vjp", [x, uniform(r, (2, 3, 3, 3))], p)
    case("avg_pool_vjp_same_3x3", "avg_pool_vjp", [x, uniform(r, (2, 3, 3, 3))], p)
    case("max_pool_vjp_ties", "max_pool_vjp", [xt, uniform(r, (1, 3, 3, 3))], p)


def lrn_cases():
    cifar = {"depth_radius": 4, "bias": 1.0, "alpha": 0.001 / 9.0, "beta": 0.75}
    r = rng("lrn")
    case("lrn_cifar_d16", "lrn", [uniform(r, (2, 3, 3, 16), 0.0, 6.0)], cifar)
    case("lrn_cifar_d64", "lrn", [uniform(r, (1, 2, 2, 64), -3.0, 8.0)], cifar)
    case("lrn_defaults", "lrn", [uniform(r, (1, 2, 3, 7))], {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5})
    case("lrn_beta1", "lrn", [uniform(r, (1, 2, 2, 6))], {"depth_radius": 2, "bias": 2.0, "alpha": 0.5, "beta": 1.0})
    case("lrn_beta_generic", "lrn", [uniform(r, (1, 1, 3, 9))], {"depth_radius": 3, "bias": 1.5, "alpha": 0.2, "beta": 0.6})
    case("lrn_radius0", "lrn", [uniform(r, (1, 1, 2, 4))], {"depth_radius": 0, "bias": 1.0, "alpha": 0.3, "beta": 0.75})


def batch_norm_cases():
    r = rng("bn")
    for fmt, shape in (("NHWC", (2, 3, 3, 4)), ("NCHW", (2, 4, 3, 2))):
        x = uniform(r, shape, -3.0, 5.0)
        sc, of = uniform(r, (4,), 0.5, 2.0), uniform(r, (4,))
        mean, var = uniform(r, (4,), -1.0, 1.0), uniform(r, (4,), 0.2, 2.0)
        t = fmt.lower()
        case(f"fused_bn_train_{t}", "fused_bn", [x, sc, of], {"is_training": 1, "epsilon": 0.001, "format": fmt})
        case(f"fused_bn_infer_{t}", "fused_bn", [x, sc, of, mean, var], {"is_training": 0, "epsilon": 0.001, "format": fmt})
        case(f"fused_bn_train_avg_{t}", "fused_bn", [x, sc, of, mean, var],
             {"is_training": 1, "epsilon": 0.01, "avg": 0.25, "format": fmt})
    x = uniform(r, (2, 2, 3, 3), -2.0, 3.0)
    sc, of, v = uniform(r, (3,), 0.5, 2.0), uniform(r, (3,)), uniform(r, (2, 2, 3, 3))
    mean, var = uniform(r, (3,), -1.0, 1.0), uniform(r, (3,), 0.2, 2.0)
    case("fused_bn_vjp_train", "fused_bn_vjp", [x, sc, of, v], {"is_training": 1, "epsilon": 0.001})
    case("fused_bn_vjp_infer", "fused_bn_vjp", [x, sc, of, v, mean, var], {"is_training": 0, "epsilon": 0.001})
    case("fused_bn_tiny_epsilon", "fused_bn", [x, sc, of], {"is_training": 1, "epsilon": 1e-7})
    x = uniform(r, (3, 2, 4), dtype=F64)
    case("batch_norm_f64", "batch_norm",
         [x, uniform(r, (4,), dtype=F64), uniform(r, (4,), 0.5, 2.0, F64), uniform(r, (4,), dtype=F64),
          uniform(r, (4,), dtype=F64)], {"epsilon": 0.001})
    case("moments_01", "moments", [x], {"axes": "0,1", "keep_dims": 0})
    case("moments_keep", "moments", [uniform(r, (2, 3, 2, 2))], {"axes": "0,1,2", "keep_dims": 1})


def top_k_cases():
    r = rng("topk")
    x = uniform(r, (3, 7))
    case("top_k_3", "top_k", [x], {"k": 3, "sorted": 1})
    case("top_k_all", "top_k", [x], {"k": 7, "sorted": 1})
    case("top_k_wide", "top_k", [uniform(r, (2, 40))], {"k": 20, "sorted": 1})
    case("top_k_3d", "top_k", [uniform(r, (2, 2, 5), dtype=F64)], {"k": 2, "sorted": 1})
    ties = np.array([[1, 3, 3, 2, 3, 1], [0, 0, 0, 0, 0, 0], [5, 4, 5, 4, 5, 4]], F32)
    case("top_k_ties", "top_k", [ties], {"k": 4, "sorted": 1})
    case("top_k_ties_wide", "top_k", [np.tile(ties, (1, 5))], {"k": 18, "sorted": 1})
    case("top_k_int32", "top_k", [r.randint(-5, 5, size=(2, 8)).astype(I32)], {"k": 3, "sorted": 1})
    pred = np.array([[0.1, 0.5, 0.5, 0.2], [0.3, 0.2, 0.1, 0.4], [0.25, 0.25, 0.25, 0.25],
                     [1.0, np.nan, 0.0, 0.5], [0.1, 0.2, 0.3, 0.4], [0.9, 0.8, 0.7, np.inf]], F32)
    tg = np.array([2, 0, 3, 0, 7, 0], I32)
    case("in_top_k_1", "in_top_k", [pred, tg], {"k": 1})
    case("in_top_k_2", "in_top_k", [pred, tg], {"k": 2})
    case("in_top_k_2_int64", "in_top_k", [pred, tg.astype(I64)], {"k": 2})


def main():
    pool_cases()
    lrn_cases()
    batch_norm_cases()
    top_k_cases()
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool.txt")
    with open(path, "w") as out:
        out.write(f"# Generated by tests/golden/make_pool_fixtures.py with TensorFlow {tf.__version__} "
                  "(tf.compat.v1 graph mode). Do not edit by hand.\n")
        out.write("# Format: see the script's docstring.\n")
        for name, builder, params, inputs, _ in CASES:
            run_case(name, builder, {k: str(v) for k, v in params.items()}, inputs, out)
    print(f"wrote {len(CASES)} cases to {path}")


if __name__ == "__main__":
    main()
