/* Activations and their gradient ops: Relu, Relu6, Elu, LeakyRelu, Softplus and ReluGrad,
 * Relu6Grad, EluGrad, LeakyReluGrad, SoftplusGrad (with TF's second-order gradients).
 *
 * Forward and backward kernels run in place when the executor lets them (a ReLU's input or
 * the incoming gradient is usually read by nobody else). */
#include <math.h>
#include "ops/nn_ops.h"

RILL_NN_VECTORIZE

typedef enum { RELU, RELU6, ELU, LEAKY, SOFTPLUS } act_kind;

typedef struct act_job {
  act_kind kind;
  const void *x;        /* features (outputs for EluGrad) */
  const void *g;        /* incoming gradients (grad only) */
  void *y;
  double alpha;
} act_job;

/* Float kernels, one loop per kind. Each element is loaded once into a local so that the
 * selects below need no conditional loads and vectorise. */
#define DEFINE_FLOAT_KERNELS(T, SUF, EXP, EXPM1, LOG1P, EPS)                                   \
  static void fwd_##SUF(const act_job *j, int64_t b, int64_t e) {                              \
    const T *x = j->x;                                                                         \
    T *y = j->y;                                                                               \
    const T alpha = (T)j->alpha;                                                               \
    /* TF's softplus thresholds: log(epsilon) + 2 */                                           \
    const T thr = (T)(log(EPS) + 2);                                                           \
    switch (j->kind) {                                                                         \
      case RELU:                                                                               \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i];                                                                          \
          y[i] = v > 0 ? v : 0;                                                                \
        }                                                                                      \
        break;                                                                                 \
      case RELU6:                                                                              \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i];                                                                          \
          y[i] = v > 0 ? (v < 6 ? v : 6) : 0;                                                  \
        }                                                                                      \
        break;                                                                                 \
      case ELU:                                                                                \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i];                                                                          \
          y[i] = v < 0 ? EXPM1(v) : v;                                                         \
        }                                                                                      \
        break;                                                                                 \
      case LEAKY:                                                                              \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i];                                                                          \
          y[i] = v > 0 ? v : v * alpha;                                                        \
        }                                                                                      \
        break;                                                                                 \
      case SOFTPLUS:                                                                           \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i];                                                                          \
          y[i] = v > -thr ? v : (v < thr ? EXP(v) : LOG1P(EXP(v)));                            \
        }                                                                                      \
        break;                                                                                 \
    }                                                                                          \
  }                                                                                            \
  static void bwd_##SUF(const act_job *j, int64_t b, int64_t e) {                              \
    const T *x = j->x, *g = j->g;                                                              \
    T *y = j->y;                                                                               \
    const T alpha = (T)j->alpha;                                                               \
    switch (j->kind) {                                                                         \
      /* TF multiplies by the mask, so -0 and NaN come out as in TF */                         \
      case RELU: for (int64_t i = b; i < e; i++) y[i] = g[i] * (x[i] > 0 ? (T)1 : (T)0); break; \
      case RELU6:                                                                              \
        for (int64_t i = b; i < e; i++) y[i] = g[i] * (x[i] > 0 && x[i] < 6 ? (T)1 : (T)0);    \
        break;                                                                                 \
      case ELU:                                                                                \
        for (int64_t i = b; i < e; i++) {                                                      \
          T v = x[i], gv = g[i];                                                               \
          y[i] = v < 0 ? gv * (v + 1) : gv;                                                    \
        }                                                                                      \
        break;                                                                                 \
      case LEAKY:                                                                              \
        for (int64_t i = b; i < e; i++) {                                                      \
          T gv = g[i];                                                                         \
          y[i] = x[i] > 0 ? gv : gv * alpha;                                                   \
        }                                                                                      \
        break;                                                                                 \
      case SOFTPLUS: for (int64_t i = b; i < e; i++) y[i] = g[i] / (1 + EXP(-x[i])); break;    \
    }                                                                                          \
  }

DEFINE_FLOAT_KERNELS(float, f32, expf, expm1f, log1pf, 1.1920928955078125e-07)
DEFINE_FLOAT_KERNELS(double, f64, exp, expm1, log1p, 2.220446049250313e-16)

/* Integer kernels: TF registers only Relu and Relu6 (and their gradients) for them. */
#define DEFINE_INT_KERNELS(T, SUF)                                                             \
  static void fwd_##SUF(const act_job *j, int64_t b, int64_t e) {                              \
    const T *x = j->x;                                                                         \
    T *y = j->y;                                                                               \
    if (j->kind == RELU)                                                                       \
      for (int64_t i = b; i < e; i++) {                                                        \
        T v = x[i];                                                                            \
        y[i] = v > 0 ? v : 0;                                                                  \
      }                                                                                        \
    else                                                                                       \
      for (int64_t i = b; i < e; i++) {                                                        \
        T v = x[i];                                                                            \
        y[i] = v > 0 ? (v < 6 ? v : 6) : 0;                                                    \
      }                                                                                        \
  }                                                                                            \
  static void bwd_##SUF(const act_job *j, int64_t b, int64_t e) {                              \
    const T *x = j->x, *g = j->g;                                                              \
    T *y = j->y;                                                                               \
    if (j->kind == RELU)                                                                       \
      for (int64_t i = b; i < e; i++) {                                                        \
        T v = x[i], gv = g[i];                                                                 \
        y[i] = v > 0 ? gv : 0;                                                                 \
      }                                                                                        \
    else                                                                                       \
      for (int64_t i = b; i < e; i++) {                                                        \
        T v = x[i], gv = g[i];                                                                 \
        y[i] = v > 0 && v < 6 ? gv : 0;                                                        \
      }                                                                                        \
  }

DEFINE_INT_KERNELS(int32_t, i32)
DEFINE_INT_KERNELS(int64_t, i64)

typedef struct act_run {
  act_job job;
  void (*fn)(const act_job *, int64_t, int64_t);
} act_run;

static void act_chunk(void *arg, int64_t b, int64_t e) {
  act_run *r = arg;
  r->fn(&r->job, b, e);
}

static bool act_kernel(rill_kctx *k, act_kind kind, bool grad) {
  rill_op *op = rill_k_op(k);
  rill_tensor *x = rill_k_in(k, grad ? 1 : 0), *g = grad ? rill_k_in(k, 0) : NULL;
  if (g && !rill_shape_equal(g->shape, x->shape)) {
    char a[128], b[128];
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: gradients and features must have the same shape, got %s and %s",
                       rill_op_type(op), rill_shape_dbg(g->shape, a, sizeof a), rill_shape_dbg(x->shape, b, sizeof b));
  }
  void (*fn)(const act_job *, int64_t, int64_t) = NULL;
  switch (x->dtype) {
    case RILL_FLOAT: fn = grad ? bwd_f32 : fwd_f32; break;
    case RILL_DOUBLE: fn = grad ? bwd_f64 : fwd_f64; break;
    case RILL_INT32: fn = grad ? bwd_i32 : fwd_i32; break;
    case RILL_INT64: fn = grad ? bwd_i64 : fwd_i64; break;
    default: break;
  }
  if (!fn || (!rill_dtype_is_float(x->dtype) && kind != RELU && kind != RELU6))
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "%s has no kernel for %s", rill_op_type(op), rill_dtype_name(x->dtype));
  rill_tensor *y = grad ? rill_k_forward_input(k, 0, 0) : NULL;
  if (!y) y = rill_k_forward_input(k, grad ? 1 : 0, 0);
  if (!y && !(y = rill_k_alloc_uninit(k, 0, x->dtype, x->shape))) return false;
  act_run r = {.job = {.kind = kind, .x = x->data, .g = g ? g->data : NULL, .y = y->data,
                       .alpha = rill_op_attr_float(op, "alpha", 0.2)},
               .fn = fn};
  /* exp-based kinds cost a few adds per element */
  int64_t work = (kind == ELU || kind == SOFTPLUS) ? 4 * x->n : x->n;
  rill__nn_parallel(k, x->n, RILL_NN_GRAIN, work, act_chunk, &r);
  return true;
}

static bool relu_kernel(rill_kctx *k) { return act_kernel(k, RELU, false); }
static bool relu6_kernel(rill_kctx *k) { return act_kernel(k, RELU6, false); }
static bool elu_kernel(rill_kctx *k) { return act_kernel(k, ELU, false); }
static bool leaky_kernel(rill_kctx *k) { return act_kernel(k, LEAKY, false); }
static bool softplus_kernel(rill_kctx *k) { return act_kernel(k, SOFTPLUS, false); }
static bool relu_grad_kernel(rill_kctx *k) { return act_kernel(k, RELU, true); }
static bool relu6_grad_kernel(rill_kctx *k) { return act_kernel(k, RELU6, true); }
static bool elu_grad_kernel(rill_kctx *k) { return act_kernel(k, ELU, true); }
static bool leaky_grad_kernel(rill_kctx *k) { return act_kernel(k, LEAKY, true); }
static bool softplus_grad_kernel(rill_kctx *k) { return act_kernel(k, SOFTPLUS, true); }

/* ---- shape functions ---- */

static bool unary_infer(rill_op *op, bool ints_ok) {
  if (!rill__nn_check_type(op, rill_op_input_dtype(op, 0), ints_ok)) return false;
  rill_op_set_output(op, rill_op_input_dtype(op, 0), rill_op_input_shape(op, 0));
  return true;
}
static bool real_infer(rill_op *op) { return unary_infer(op, true); }
static bool float_infer(rill_op *op) { return unary_infer(op, false); }

static bool grad_infer(rill_op *op, bool ints_ok) {
  if (!rill_op_check_same_dtype(op, 0, 2) || !rill__nn_check_type(op, rill_op_input_dtype(op, 0), ints_ok))
    return false;
  rill_shape s;
  if (!rill__nn_merge_shapes(op, rill_op_input_shape(op, 0), rill_op_input_shape(op, 1), &s)) return false;
  rill_op_set_output(op, rill_op_input_dtype(op, 0), s);
  return true;
}
static bool real_grad_infer(rill_op *op) { return grad_infer(op, true); }
static bool float_grad_infer(rill_op *op) { return grad_infer(op, false); }

/* ---- builders of the gradient ops ---- */

static rill_output act_op(rill_graph *g, const char *type, rill_output x, double alpha, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  if (!isnan(alpha)) rill_op_builder_attr_float(b, "alpha", alpha);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

static rill_output grad_op(rill_graph *g, const char *type, rill_output dy, rill_output x, double alpha) {
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_input(b, dy);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  if (!isnan(alpha)) rill_op_builder_attr_float(b, "alpha", alpha);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

/* ---- gradients (TF's nn_grad.py) ---- */

static void relu_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = grad_op(g, "ReluGrad", dy[0], rill_op_output(op, 0), NAN);
}
static void relu6_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = grad_op(g, "Relu6Grad", dy[0], rill_op_output(op, 0), NAN);
}
static void elu_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = grad_op(g, "EluGrad", dy[0], rill_op_output(op, 0), NAN);
}
static void leaky_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = grad_op(g, "LeakyReluGrad", dy[0], rill_op_input(op, 0), rill_op_attr_float(op, "alpha", 0.2));
}
static void softplus_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = grad_op(g, "SoftplusGrad", dy[0], rill_op_input(op, 0), NAN);
}

/* ReluGrad(g, x) is linear in g and piecewise constant in x. */
static void relu_grad_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output x = rill_op_input(op, 1);
  dx[0] = grad_op(g, rill_op_type(op), dy[0], x, rill_op_attr_float(op, "alpha", NAN));
  dx[1] = rill_zeros_like(g, x, NULL);
}

/* EluGrad(g, y) = y < 0 ? g * (y + 1) : g. */
static void elu_grad_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output elu_y = rill_op_input(op, 1);
  dx[0] = grad_op(g, "EluGrad", dy[0], elu_y, NAN);
  rill_output neg = rill_less(g, elu_y, rill_scalar_of(g, rill_output_dtype(elu_y), 0, NULL), NULL);
  dx[1] = rill_where(g, neg, rill_mul(g, dy[0], rill_op_input(op, 0), NULL), rill_zeros_like(g, elu_y, NULL), NULL);
}

/* SoftplusGrad(dy, x) = dy * sigmoid(x); d/dx = dy / (exp(-x) + 2 + exp(x)). */
static void softplus_grad_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output dyin = rill_op_input(op, 0), x = rill_op_input(op, 1);
  dx[0] = grad_op(g, "SoftplusGrad", dy[0], x, NAN);
  rill_output den = rill_add(g, rill_add(g, rill_exp(g, rill_neg(g, x, NULL), NULL),
                                         rill_scalar_of(g, rill_output_dtype(x), 2.0, NULL), NULL),
                             rill_exp(g, x, NULL), NULL);
  dx[1] = rill_div(g, rill_mul(g, dy[0], dyin, NULL), den, NULL);
}

static const rill_op_def defs[] = {
    {.type = "Relu", .infer = real_infer, .kernel = relu_kernel, .grad = relu_grad},
    {.type = "Relu6", .infer = real_infer, .kernel = relu6_kernel, .grad = relu6_grad},
    {.type = "Elu", .infer = float_infer, .kernel = elu_kernel, .grad = elu_grad},
    {.type = "LeakyRelu", .infer = float_infer, .kernel = leaky_kernel, .grad = leaky_grad},
    {.type = "Softplus", .infer = float_infer, .kernel = softplus_kernel, .grad = softplus_grad},
    {.type = "ReluGrad", .infer = real_grad_infer, .kernel = relu_grad_kernel, .grad = relu_grad_grad},
    {.type = "Relu6Grad", .infer = real_grad_infer, .kernel = relu6_grad_kernel, .grad = relu_grad_grad},
    {.type = "EluGrad", .infer = float_grad_infer, .kernel = elu_grad_kernel, .grad = elu_grad_grad},
    {.type = "LeakyReluGrad", .infer = float_grad_infer, .kernel = leaky_grad_kernel, .grad = relu_grad_grad},
    {.type = "SoftplusGrad", .infer = float_grad_infer, .kernel = softplus_grad_kernel, .grad = softplus_grad_grad},
};

void rill__register_nn_activation_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

/* ---- public builders ---- */

rill_output rill_relu(rill_graph *g, rill_output x, const char *name) { return act_op(g, "Relu", x, NAN, name); }
rill_output rill_relu6(rill_graph *g, rill_output x, const char *name) { return act_op(g, "Relu6", x, NAN, name); }
rill_output rill_elu(rill_graph *g, rill_output x, const char *name) { return act_op(g, "Elu", x, NAN, name); }
rill_output rill_softplus(rill_graph *g, rill_output x, const char *name) {
  return act_op(g, "Softplus", x, NAN, name);
}

rill_output rill_leaky_relu(rill_graph *g, rill_output x, double alpha, const char *name) {
  if (!rill__check_input(g, x, "leaky_relu")) return RILL_NO_OUTPUT;
  /* tf.nn.leaky_relu casts integer features to float32 */
  if (rill_dtype_is_integer(rill_output_dtype(x))) x = rill_cast(g, x, RILL_FLOAT, NULL);
  /* alpha is a float attribute in TF: float64 kernels see it rounded to float32 too */
  return act_op(g, "LeakyRelu", x, (double)(float)alpha, name);
}
