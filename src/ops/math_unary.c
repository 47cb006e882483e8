/* Elementwise functions of one tensor (Neg, Abs, Sign, Square, Sqrt, Rsqrt, Exp, Log, Log1p,
 * Reciprocal, Sigmoid, Tanh), TF's fused derivative ops that their gradients use (SigmoidGrad,
 * TanhGrad, SqrtGrad, RsqrtGrad, ReciprocalGrad: out = f'(from y) * dy in one pass), and Cast.
 *
 * float32 Exp, Sigmoid and Tanh use the vectorizable forms of kernels/cpu/vmath.h (Eigen's, as
 * TF's CPU kernels); float64 uses libm.
 *
 * Cast from floating point to an integer truncates toward zero; NaN and values out of the
 * target's range give the x86 "integer indefinite" (the type's minimum), as TF's CPU kernels
 * produce there, instead of C's undefined behaviour. */
#include <math.h>
#include "ops/math_internal.h"

/* before vmath.h: its functions must share the loops' options to be inlined into them */
RILL_MATH_VECTORIZE
#include "kernels/cpu/vmath.h"

#define URUN(NAME, T, EXPR)                                        \
  static void NAME(const void *xv, void *yv, int64_t n) {         \
    const T *x = xv;                                              \
    T *y = yv;                                                    \
    for (int64_t i = 0; i < n; i++) {                             \
      const T a = x[i];                                           \
      y[i] = (EXPR);                                              \
    }                                                             \
  }
#define URUN_F(OP, EF, ED) URUN(OP##_f32, float, EF) URUN(OP##_f64, double, ED)
#define URUN_I(OP, EXPR32, EXPR64) URUN(OP##_i32, int32_t, EXPR32) URUN(OP##_i64, int64_t, EXPR64)

URUN_F(neg, -a, -a)
URUN_I(neg, (int32_t)(0u - (uint32_t)a), (int64_t)(0u - (uint64_t)a))
URUN_F(abs, fabsf(a), fabs(a))
URUN_I(abs, a < 0 ? (int32_t)(0u - (uint32_t)a) : a, a < 0 ? (int64_t)(0u - (uint64_t)a) : a)
URUN_F(sign, a != a ? a : (float)((a > 0) - (a < 0)), a != a ? a : (double)((a > 0) - (a < 0)))
URUN_I(sign, (a > 0) - (a < 0), (a > 0) - (a < 0))
URUN_F(square, a * a, a * a)
URUN_I(square, (int32_t)((uint32_t)a * (uint32_t)a), (int64_t)((uint64_t)a * (uint64_t)a))
URUN_F(sqrt, sqrtf(a), sqrt(a))
URUN_F(rsqrt, 1.0f / sqrtf(a), 1.0 / sqrt(a))
URUN_F(exp, rill_vexpf(a), exp(a))
URUN_F(log, logf(a), log(a))
URUN_F(log1p, log1pf(a), log1p(a))
URUN_F(recip, 1.0f / a, 1.0 / a)
/* with e = exp(-|a|): 1 / (1 + e) for a >= 0, e / (1 + e) below, exact down to the denormals */
static inline float sigmoidf_(float a) {
  float e = rill_vexpf(-fabsf(a)), r = 1.0f / (1.0f + e);
  return a >= 0 ? r : e * r;
}
static inline double sigmoid_(double a) {
  double e = exp(-fabs(a)), r = 1.0 / (1.0 + e);
  return a >= 0 ? r : e * r;
}
URUN_F(sigmoid, sigmoidf_(a), sigmoid_(a))
URUN_F(tanh, rill_vtanhf(a), tanh(a))

#define UTAB_F(op) {.run = {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64}}
#define UTAB_FI(op) {.run = {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64, [RILL__I32] = op##_i32, [RILL__I64] = op##_i64}}

static const rill__unop neg_op = UTAB_FI(neg), abs_op = UTAB_FI(abs), sign_op = UTAB_FI(sign),
                        square_op = UTAB_FI(square), sqrt_op = UTAB_F(sqrt), rsqrt_op = UTAB_F(rsqrt),
                        exp_op = UTAB_F(exp), log_op = UTAB_F(log), log1p_op = UTAB_F(log1p),
                        recip_op = UTAB_F(recip), sigmoid_op = UTAB_F(sigmoid), tanh_op = UTAB_F(tanh);

static bool infer_fi(rill_op *op) { return rill__unary_infer(op, RILL__NUMERIC); }
static bool infer_f(rill_op *op) { return rill__unary_infer(op, RILL__FLOATS); }

#define UKERNEL(op) \
  static bool op##_kernel(rill_kctx *k) { return rill__unary_kernel(k, &op##_op); }
UKERNEL(neg)
UKERNEL(abs)
UKERNEL(sign)
UKERNEL(square)
UKERNEL(sqrt)
UKERNEL(rsqrt)
UKERNEL(exp)
UKERNEL(log)
UKERNEL(log1p)
UKERNEL(recip)
UKERNEL(sigmoid)
UKERNEL(tanh)

/* ---- the fused derivative ops: a = y (the forward output), b = dy ---- */

#define BRUN(NAME, T, EXPR)                                                                \
  static void NAME(const void *xv, const void *yv, void *zv, int64_t n, int xs, int ys) { \
    const T *x = xv, *y = yv;                                                             \
    T *z = zv;                                                                            \
    for (int64_t i = 0; i < n; i++) {                                                     \
      const T a = x[xs ? i : 0], b = y[ys ? i : 0];                                       \
      z[i] = (EXPR);                                                                      \
    }                                                                                     \
  }
#define BRUN_F(OP, E) BRUN(OP##_f32, float, E) BRUN(OP##_f64, double, E)

BRUN_F(sigmoid_grad, b * (a * (1 - a)))
BRUN_F(tanh_grad, b * (1 - a * a))
BRUN(sqrt_grad_f32, float, b * 0.5f / a)
BRUN(sqrt_grad_f64, double, b * 0.5 / a)
BRUN(rsqrt_grad_f32, float, a * a * a * b * -0.5f)
BRUN(rsqrt_grad_f64, double, a * a * a * b * -0.5)
BRUN_F(recip_grad, -b * a * a)

#define BTAB_F(op) {.run = {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64}}
static const rill__binop sigmoid_grad_op = BTAB_F(sigmoid_grad), tanh_grad_op = BTAB_F(tanh_grad),
                         sqrt_grad_op = BTAB_F(sqrt_grad), rsqrt_grad_op = BTAB_F(rsqrt_grad),
                         recip_grad_op = BTAB_F(recip_grad);

static bool grad_infer(rill_op *op) {
  if (!rill__binary_infer(op, RILL__FLOATS, false)) return false;
  rill_shape a = rill_op_input_shape(op, 0), b = rill_op_input_shape(op, 1);
  if (a.rank >= 0 && b.rank >= 0 && a.rank != b.rank)
    return rill_op_shape_error(op, "Shapes must be equal rank, but are %d and %d", a.rank, b.rank);
  return true;
}

#define BKERNEL(op) \
  static bool op##_kernel(rill_kctx *k) { return rill__binary_kernel(k, &op##_op); }
BKERNEL(sigmoid_grad)
BKERNEL(tanh_grad)
BKERNEL(sqrt_grad)
BKERNEL(rsqrt_grad)
BKERNEL(recip_grad)

rill_output rill__elementwise_grad(rill_graph *g, const char *type, rill_output y, rill_output dy) {
  return rill__binary(g, type, y, dy, NULL);
}

/* ---- gradients ---- */

#define X(op) rill_op_input((op), 0)
#define Y(op) rill_op_output((op), 0)
#define GRAD(name) static void name(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx)
#define CONST(v) rill_scalar_of(g, rill_output_dtype(X(op)), (v), "Const")

GRAD(neg_grad) { dx[0] = rill_neg(g, dy[0], NULL); }
GRAD(abs_grad) { dx[0] = rill_mul(g, dy[0], rill_sign(g, X(op), NULL), NULL); }
GRAD(sign_grad) {
  (void)dy;
  dx[0] = rill_zeros_like(g, X(op), NULL);
}
GRAD(square_grad) { dx[0] = rill_mul(g, dy[0], rill_mul(g, X(op), CONST(2), NULL), NULL); }
GRAD(sqrt_grad) { dx[0] = rill__elementwise_grad(g, "SqrtGrad", Y(op), dy[0]); }
GRAD(rsqrt_grad) { dx[0] = rill__elementwise_grad(g, "RsqrtGrad", Y(op), dy[0]); }
GRAD(exp_grad) { dx[0] = rill_mul(g, dy[0], Y(op), NULL); }
GRAD(log_grad) { dx[0] = rill_mul(g, dy[0], rill_reciprocal(g, X(op), NULL), NULL); }
GRAD(log1p_grad) {
  dx[0] = rill_mul(g, dy[0], rill_reciprocal(g, rill_add(g, CONST(1), X(op), NULL), NULL), NULL);
}
GRAD(recip_grad) { dx[0] = rill__elementwise_grad(g, "ReciprocalGrad", Y(op), dy[0]); }
GRAD(sigmoid_grad) { dx[0] = rill__elementwise_grad(g, "SigmoidGrad", Y(op), dy[0]); }
GRAD(tanh_grad) { dx[0] = rill__elementwise_grad(g, "TanhGrad", Y(op), dy[0]); }

/* Second derivatives, as TF's _SigmoidGradGrad etc.; a = y, b = dy of the first pass. */
#define A(op) rill_op_input((op), 0)
#define B(op) rill_op_input((op), 1)
GRAD(sigmoid_grad_grad) {
  rill_output gb = rill_mul(g, dy[0], B(op), NULL);
  dx[0] = rill_sub(g, gb, rill_mul(g, rill_mul(g, CONST(2), gb, NULL), A(op), NULL), NULL);
  dx[1] = rill__elementwise_grad(g, "SigmoidGrad", A(op), dy[0]);
}
GRAD(tanh_grad_grad) {
  dx[0] = rill_mul(g, rill_mul(g, rill_mul(g, dy[0], CONST(-2), NULL), B(op), NULL), A(op), NULL);
  dx[1] = rill__elementwise_grad(g, "TanhGrad", A(op), dy[0]);
}
GRAD(sqrt_grad_grad) {
  rill_output ga = rill_div(g, dy[0], A(op), NULL);
  dx[0] = rill_mul(g, rill_neg(g, ga, NULL), rill_op_output(op, 0), NULL);
  dx[1] = rill_mul(g, CONST(0.5), ga, NULL);
}
GRAD(rsqrt_grad_grad) {
  rill_output t = rill_mul(g, rill_mul(g, CONST(-1.5), dy[0], NULL), B(op), NULL);
  dx[0] = rill_mul(g, t, rill_square(g, A(op), NULL), NULL);
  dx[1] = rill__elementwise_grad(g, "RsqrtGrad", A(op), dy[0]);
}
GRAD(recip_grad_grad) {
  dx[0] = rill_mul(g, rill_mul(g, rill_mul(g, dy[0], CONST(-2), NULL), B(op), NULL), A(op), NULL);
  dx[1] = rill__elementwise_grad(g, "ReciprocalGrad", A(op), dy[0]);
}

/* ---- Cast ---- */

static inline int32_t f2i32(double v) {
  return (v != v || v >= 2147483648.0 || v < -2147483648.0) ? INT32_MIN : (int32_t)v;
}
static inline int64_t f2i64(double v) {
  return (v != v || v >= 9223372036854775808.0 || v < -9223372036854775808.0) ? INT64_MIN : (int64_t)v;
}
#define CV_F(v) ((float)(v))
#define CV_D(v) ((double)(v))
#define CV_I32F(v) f2i32((double)(v))
#define CV_I32I(v) ((int32_t)(v))
#define CV_I64F(v) f2i64((double)(v))
#define CV_I64I(v) ((int64_t)(v))
#define CV_U8F(v) ((uint8_t)(uint32_t)f2i32((double)(v)))
#define CV_U8I(v) ((uint8_t)(v))
#define CV_B(v) ((v) != 0)

#define CAST_LOOP(NAME, TS, TD, CONV)                        \
  static void NAME(const void *xv, void *yv, int64_t n) { \
    const TS *x = xv;                                     \
    TD *y = yv;                                           \
    for (int64_t i = 0; i < n; i++) y[i] = CONV(x[i]);    \
  }
#define CASTS_FROM(S, TS, KIND)                         \
  CAST_LOOP(cast_##S##_f32, TS, float, CV_F)            \
  CAST_LOOP(cast_##S##_f64, TS, double, CV_D)           \
  CAST_LOOP(cast_##S##_i32, TS, int32_t, CV_I32##KIND)  \
  CAST_LOOP(cast_##S##_i64, TS, int64_t, CV_I64##KIND)  \
  CAST_LOOP(cast_##S##_u8, TS, uint8_t, CV_U8##KIND)    \
  CAST_LOOP(cast_##S##_b, TS, bool, CV_B)
CASTS_FROM(f32, float, F)
CASTS_FROM(f64, double, F)
CASTS_FROM(i32, int32_t, I)
CASTS_FROM(i64, int64_t, I)
CASTS_FROM(u8, uint8_t, I)
CASTS_FROM(b, bool, I)

#define CAST_ROW(S) {cast_##S##_f32, cast_##S##_f64, cast_##S##_i32, cast_##S##_i64, cast_##S##_u8, cast_##S##_b}
static const rill__unary_fn cast_tab[RILL__NDT][RILL__NDT] = {CAST_ROW(f32), CAST_ROW(f64), CAST_ROW(i32),
                                                              CAST_ROW(i64), CAST_ROW(u8), CAST_ROW(b)};

#define ALL_DT (RILL__REAL | RILL__BOOLS)

static bool cast_infer(rill_op *op) {
  if (op->n_inputs != 1) return rill_op_shape_error(op, "Expected 1 input but got %d", op->n_inputs);
  rill_dtype src = rill_op_input_dtype(op, 0);
  rill_dtype dst = rill_op_attr_type(op, "DstT", RILL_DT_INVALID);
  if (!rill__check_dtype(op, src, ALL_DT, "SrcT") || !rill__check_dtype(op, dst, ALL_DT, "DstT")) return false;
  rill_op_set_output(op, dst, rill_op_input_shape(op, 0));
  return true;
}

typedef struct cast_job {
  const char *x;
  char *y;
  size_t ex, ey;
  rill__unary_fn fn;
} cast_job;

static void cast_chunk(void *arg, int64_t b, int64_t e) {
  const cast_job *j = arg;
  j->fn(j->x + (size_t)b * j->ex, j->y + (size_t)b * j->ey, e - b);
}

static bool cast_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  rill_dtype dst = rill_op_attr_type(rill_k_op(k), "DstT", RILL_DT_INVALID);
  if (dst == x->dtype) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  int s = rill__dt_slot(x->dtype), d = rill__dt_slot(dst);
  if (s < 0 || d < 0)
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "Cast %s to %s is not supported", rill_dtype_name(x->dtype),
                       rill_dtype_name(dst));
  rill_tensor *y = rill_k_alloc_uninit(k, 0, dst, x->shape);
  if (!y) return false;
  cast_job j = {x->data, y->data, rill_dtype_size(x->dtype), rill_dtype_size(dst), cast_tab[s][d]};
  if (x->n < RILL__PARALLEL_MIN)
    cast_chunk(&j, 0, x->n);
  else
    rill_k_parallel_for(k, x->n, RILL__GRAIN, cast_chunk, &j);
  return true;
}

/* Only float <-> float casts carry a gradient (TF's _CastGrad). */
GRAD(cast_grad) {
  rill_dtype src = rill_output_dtype(X(op)), dst = rill_output_dtype(dy[0]);
  if (rill_dtype_is_float(src) && rill_dtype_is_float(dst)) dx[0] = rill_cast(g, dy[0], src, NULL);
}

/* ---- definitions and builders ---- */

static const rill_op_def defs[] = {
    {.type = "Neg", .infer = infer_fi, .kernel = neg_kernel, .grad = neg_grad},
    {.type = "Abs", .infer = infer_fi, .kernel = abs_kernel, .grad = abs_grad},
    {.type = "Sign", .infer = infer_fi, .kernel = sign_kernel, .grad = sign_grad},
    {.type = "Square", .infer = infer_fi, .kernel = square_kernel, .grad = square_grad},
    {.type = "Sqrt", .infer = infer_f, .kernel = sqrt_kernel, .grad = sqrt_grad},
    {.type = "Rsqrt", .infer = infer_f, .kernel = rsqrt_kernel, .grad = rsqrt_grad},
    {.type = "Exp", .infer = infer_f, .kernel = exp_kernel, .grad = exp_grad},
    {.type = "Log", .infer = infer_f, .kernel = log_kernel, .grad = log_grad},
    {.type = "Log1p", .infer = infer_f, .kernel = log1p_kernel, .grad = log1p_grad},
    {.type = "Reciprocal", .infer = infer_f, .kernel = recip_kernel, .grad = recip_grad},
    {.type = "Sigmoid", .infer = infer_f, .kernel = sigmoid_kernel, .grad = sigmoid_grad},
    {.type = "Tanh", .infer = infer_f, .kernel = tanh_kernel, .grad = tanh_grad},
    {.type = "SigmoidGrad", .infer = grad_infer, .kernel = sigmoid_grad_kernel, .grad = sigmoid_grad_grad},
    {.type = "TanhGrad", .infer = grad_infer, .kernel = tanh_grad_kernel, .grad = tanh_grad_grad},
    {.type = "SqrtGrad", .infer = grad_infer, .kernel = sqrt_grad_kernel, .grad = sqrt_grad_grad},
    {.type = "RsqrtGrad", .infer = grad_infer, .kernel = rsqrt_grad_kernel, .grad = rsqrt_grad_grad},
    {.type = "ReciprocalGrad", .infer = grad_infer, .kernel = recip_grad_kernel, .grad = recip_grad_grad},
    {.type = "Cast", .infer = cast_infer, .kernel = cast_kernel, .grad = cast_grad},
};

void rill__register_math_unary(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

rill_output rill_neg(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Neg", x, name); }
rill_output rill_abs(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Abs", x, name); }
rill_output rill_sign(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Sign", x, name); }
rill_output rill_square(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Square", x, name); }
rill_output rill_sqrt(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Sqrt", x, name); }
rill_output rill_rsqrt(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Rsqrt", x, name); }
rill_output rill_exp(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Exp", x, name); }
rill_output rill_log(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Log", x, name); }
rill_output rill_log1p(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Log1p", x, name); }
rill_output rill_reciprocal(rill_graph *g, rill_output x, const char *name) {
  return rill__unary(g, "Reciprocal", x, name);
}
rill_output rill_sigmoid(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Sigmoid", x, name); }
rill_output rill_tanh(rill_graph *g, rill_output x, const char *name) { return rill__unary(g, "Tanh", x, name); }

rill_output rill_cast(rill_graph *g, rill_output x, rill_dtype dtype, const char *name) {
  if (x.op && rill_output_dtype(x) == dtype) return x; /* TF's cast returns x itself */
  rill_op_builder *b = rill_op_builder_new(g, "Cast", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "SrcT", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "DstT", dtype);
  rill_op_builder_attr_bool(b, "Truncate", false);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
