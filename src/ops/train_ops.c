/* The optimizers' update ops (TF's training_ops): ApplyGradientDescent, ApplyMomentum,
 * ApplyAdagrad, ApplyRMSProp, ApplyCenteredRMSProp, ApplyAdam.
 *
 * Each takes the variable (and its slots) by reference and updates them in place with TF's
 * formulas, evaluated in the variable's dtype in the same order as TF's Eigen expressions so
 * float32 results match TF's. Output 0 is the updated variable. None has a gradient. */
#include <math.h>
#include <string.h>
#include "core/internal.h"

/* GCC's -O2 cost model leaves these loops scalar; ask for the vectorizer (clang vectorizes at
 * -O2). Loops calling sqrt stay scalar either way: sqrt may set errno. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

/* ---- the update rules over element ranges ----
 * ctx->h holds the scalar inputs in input order; the body converts them to T once, so every
 * intermediate is computed in T like TF's kernels. The variable, its slots and the gradient
 * never share storage (rill_k_mutable_var copies a shared variable first), hence `restrict`,
 * which lets the compiler vectorize the loops without alias checks. */

typedef struct apply_ctx {
  void *var, *slot[3]; /* the variable and its slots, in input order */
  const void *grad;
  double h[6];         /* scalar inputs, in input order */
  bool flag;           /* use_nesterov / update_slots */
} apply_ctx;

typedef void (*range_fn)(void *arg, int64_t b, int64_t e);

#define DEFINE_APPLY_RANGES(T, SFX, SQRT)                                                                  \
  static void gd_##SFX(void *arg, int64_t b, int64_t e) {                                                  \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var;                                                                              \
    const T *restrict g = c->grad;                                                                         \
    const T lr = (T)c->h[0];                                                                               \
    for (int64_t i = b; i < e; i++) var[i] -= g[i] * lr;                                                   \
  }                                                                                                        \
  /* inputs: var, accum, lr, grad, momentum */                                                             \
  static void momentum_##SFX(void *arg, int64_t b, int64_t e) {                                            \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var, *restrict acc = c->slot[0];                                                  \
    const T *restrict g = c->grad;                                                                         \
    const T lr = (T)c->h[0], mu = (T)c->h[1];                                                              \
    if (c->flag) {                                                                                         \
      for (int64_t i = b; i < e; i++) {                                                                    \
        acc[i] = acc[i] * mu + g[i];                                                                       \
        var[i] -= g[i] * lr + acc[i] * mu * lr;                                                            \
      }                                                                                                    \
    } else {                                                                                               \
      for (int64_t i = b; i < e; i++) {                                                                    \
        acc[i] = acc[i] * mu + g[i];                                                                       \
        var[i] -= acc[i] * lr;                                                                             \
      }                                                                                                    \
    }                                                                                                      \
  }                                                                                                        \
  /* inputs: var, accum, lr, grad; accum is left alone when update_slots is false */                       \
  static void adagrad_##SFX(void *arg, int64_t b, int64_t e) {                                             \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var, *restrict acc = c->slot[0];                                                  \
    const T *restrict g = c->grad;                                                                         \
    const T lr = (T)c->h[0];                                                                               \
    if (c->flag)                                                                                           \
      for (int64_t i = b; i < e; i++) acc[i] += g[i] * g[i];                                               \
    for (int64_t i = b; i < e; i++) var[i] -= g[i] * lr * ((T)1 / SQRT(acc[i]));                           \
  }                                                                                                        \
  /* inputs: var, ms, mom, lr, rho, momentum, epsilon, grad */                                             \
  static void rmsprop_##SFX(void *arg, int64_t b, int64_t e) {                                             \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var, *restrict ms = c->slot[0], *restrict mom = c->slot[1];                       \
    const T *restrict g = c->grad;                                                                         \
    const T lr = (T)c->h[0], rho = (T)c->h[1], mu = (T)c->h[2], eps = (T)c->h[3];                          \
    const T one_minus_rho = (T)1 - rho;                                                                    \
    for (int64_t i = b; i < e; i++) {                                                                      \
      ms[i] += (g[i] * g[i] - ms[i]) * one_minus_rho;                                                      \
      mom[i] = mom[i] * mu + (g[i] * lr) / SQRT(ms[i] + eps);                                              \
      var[i] -= mom[i];                                                                                    \
    }                                                                                                      \
  }                                                                                                        \
  /* inputs: var, mg, ms, mom, lr, rho, momentum, epsilon, grad */                                         \
  static void centered_rmsprop_##SFX(void *arg, int64_t b, int64_t e) {                                    \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var, *restrict mg = c->slot[0], *restrict ms = c->slot[1],                        \
      *restrict mom = c->slot[2];                                                                          \
    const T *restrict g = c->grad;                                                                         \
    const T lr = (T)c->h[0], rho = (T)c->h[1], mu = (T)c->h[2], eps = (T)c->h[3];                          \
    const T one_minus_rho = (T)1 - rho;                                                                    \
    for (int64_t i = b; i < e; i++) {                                                                      \
      ms[i] += (g[i] * g[i] - ms[i]) * one_minus_rho;                                                      \
      mg[i] += (g[i] - mg[i]) * one_minus_rho;                                                             \
      T denom = (ms[i] - mg[i] * mg[i]) + eps;                                                             \
      mom[i] = mom[i] * mu + (g[i] * lr) / SQRT(denom);                                                    \
      var[i] -= mom[i];                                                                                    \
    }                                                                                                      \
  }                                                                                                        \
  /* inputs: var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad */                       \
  static void adam_##SFX(void *arg, int64_t b, int64_t e) {                                                \
    const apply_ctx *c = arg;                                                                              \
    T *restrict var = c->var, *restrict m = c->slot[0], *restrict v = c->slot[1];                          \
    const T *restrict g = c->grad;                                                                         \
    const T b1p = (T)c->h[0], b2p = (T)c->h[1], lr = (T)c->h[2], b1 = (T)c->h[3], b2 = (T)c->h[4],         \
            eps = (T)c->h[5];                                                                              \
    const T alpha = lr * SQRT((T)1 - b2p) / ((T)1 - b1p);                                                  \
    const T one_minus_b1 = (T)1 - b1, one_minus_b2 = (T)1 - b2;                                            \
    if (c->flag) {                                                                                         \
      for (int64_t i = b; i < e; i++) {                                                                    \
        m[i] += (g[i] - m[i]) * one_minus_b1;                                                              \
        v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;                                                       \
        var[i] -= ((g[i] * one_minus_b1 + b1 * m[i]) * alpha) / (SQRT(v[i]) + eps);                        \
      }                                                                                                    \
    } else {                                                                                               \
      for (int64_t i = b; i < e; i++) {                                                                    \
        m[i] += (g[i] - m[i]) * one_minus_b1;                                                              \
        v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;                                                       \
        var[i] -= (m[i] * alpha) / (SQRT(v[i]) + eps);                                                     \
      }                                                                                                    \
    }                                                                                                      \
  }

DEFINE_APPLY_RANGES(float, f32, sqrtf)
DEFINE_APPLY_RANGES(double, f64, sqrt)

/* ---- one table entry per op ---- */

typedef struct apply_kind {
  const char *inputs[10]; /* TF's input names, in order (for messages) */
  int n_inputs;
  uint32_t refs;          /* bit i: input i is a variable reference (input 0 is the variable) */
  uint32_t scalars;       /* bit i: input i must be a scalar */
  const char *flag_attr;  /* bool attribute passed to the rule, or NULL */
  bool flag_default;
  range_fn f32, f64;
} apply_kind;

#define BIT(i) (1u << (i))
/* which inputs are references, shared by the tables and the op definitions */
#define GD_REFS BIT(0)
#define MOMENTUM_REFS (BIT(0) | BIT(1))
#define ADAGRAD_REFS (BIT(0) | BIT(1))
#define RMSPROP_REFS (BIT(0) | BIT(1) | BIT(2))
#define CENTERED_RMSPROP_REFS (BIT(0) | BIT(1) | BIT(2) | BIT(3))
#define ADAM_REFS (BIT(0) | BIT(1) | BIT(2))

static const apply_kind gd_kind = {{"var", "alpha", "delta"}, 3, GD_REFS, BIT(1), NULL, false, gd_f32, gd_f64};
static const apply_kind momentum_kind = {{"var", "accum", "lr", "grad", "momentum"}, 5, MOMENTUM_REFS,
                                         BIT(2) | BIT(4), "use_nesterov", false, momentum_f32, momentum_f64};
static const apply_kind adagrad_kind = {{"var", "accum", "lr", "grad"}, 4, ADAGRAD_REFS, BIT(2),
                                        "update_slots", true, adagrad_f32, adagrad_f64};
static const apply_kind rmsprop_kind = {{"var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"}, 8,
                                        RMSPROP_REFS, BIT(3) | BIT(4) | BIT(5) | BIT(6), NULL, false,
                                        rmsprop_f32, rmsprop_f64};
static const apply_kind centered_rmsprop_kind = {
    {"var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"}, 9, CENTERED_RMSPROP_REFS,
    BIT(4) | BIT(5) | BIT(6) | BIT(7), NULL, false, centered_rmsprop_f32, centered_rmsprop_f64};
static const apply_kind adam_kind = {
    {"var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"}, 10,
    ADAM_REFS, BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8), "use_nesterov", false,
    adam_f32, adam_f64};

/* ---- shape inference: TF's shape fns merge the variable, slot and gradient shapes and
 * require the hyperparameters to be scalars ---- */

static bool merge_shape(rill_op *op, rill_shape *s, rill_shape t) {
  char a[128], b[128];
  if (s->rank < 0) {
    *s = t;
    return true;
  }
  if (t.rank < 0) return true;
  if (s->rank != t.rank)
    return rill_op_shape_error(op, "Shapes must be equal rank, but are %d and %d", s->rank, t.rank);
  for (int d = 0; d < s->rank; d++) {
    if (t.dims[d] < 0) continue;
    if (s->dims[d] >= 0 && s->dims[d] != t.dims[d])
      return rill_op_shape_error(op,
                                 "Dimension %d in both shapes must be equal, but are %lld and %lld. Shapes are %s "
                                 "and %s.",
                                 d, (long long)s->dims[d], (long long)t.dims[d], rill_shape_dbg(*s, a, sizeof a),
                                 rill_shape_dbg(t, b, sizeof b));
    s->dims[d] = t.dims[d];
  }
  return true;
}

static bool apply_infer(rill_op *op, const apply_kind *kind) {
  int n = rill_op_num_inputs(op);
  if (n != kind->n_inputs)
    return rill_op_shape_error(op, "%s expects %d inputs but has %d", op->def->type, kind->n_inputs, n);
  if (!rill_op_check_same_dtype(op, 0, n)) return false;
  rill_shape s = rill_op_input_shape(op, 0);
  for (int i = 1; i < n; i++) {
    rill_shape si = rill_op_input_shape(op, i);
    if (kind->scalars & BIT(i)) {
      if (si.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", si.rank);
    } else if (!merge_shape(op, &s, si)) {
      return false;
    }
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 0), s);
  return true;
}

/* ---- the kernel driver shared by every Apply op ---- */

static bool apply_kernel(rill_kctx *k, const apply_kind *kind) {
  rill_op *op = rill_k_op(k);
  apply_ctx c = {0};
  rill_tensor *var = NULL;
  int n_slots = 0, n_h = 0;
  char a[128], b[128];
  for (int i = 0; i < kind->n_inputs; i++) {
    rill_tensor *t;
    if (kind->refs & BIT(i)) {
      t = rill_k_mutable_var(k, i);
      if (!t) return false;
    } else {
      t = rill_k_in(k, i);
    }
    if (i == 0) {
      var = t;
      c.var = t->data;
      continue;
    }
    if (kind->scalars & BIT(i)) {
      if (t->shape.rank != 0)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s is not a scalar: %s", kind->inputs[i],
                           rill_shape_dbg(t->shape, a, sizeof a));
      c.h[n_h++] = rill_tensor_get(t, 0);
      continue;
    }
    if (!rill_shape_equal(var->shape, t->shape))
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "var and %s do not have the same shape%s %s", kind->inputs[i],
                         rill_shape_dbg(var->shape, a, sizeof a), rill_shape_dbg(t->shape, b, sizeof b));
    if (t->dtype != var->dtype)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s must be %s but is %s", kind->inputs[i],
                         rill_dtype_name(var->dtype), rill_dtype_name(t->dtype));
    if (kind->refs & BIT(i)) {
      /* the loops take their arrays as restrict: one variable passed twice cannot be allowed */
      for (int j = 0; j < n_slots; j++)
        if (c.slot[j] == t->data) t = NULL;
      if (!t || t->data == c.var)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: %s is the same variable as another input",
                           op->def->type, kind->inputs[i]);
      c.slot[n_slots++] = t->data;
    } else
      c.grad = t->data;
  }
  c.flag = kind->flag_attr ? rill_op_attr_bool(op, kind->flag_attr, kind->flag_default) : false;
  range_fn fn;
  switch (var->dtype) {
    case RILL_FLOAT: fn = kind->f32; break;
    case RILL_DOUBLE: fn = kind->f64; break;
    default:
      return rill_k_fail(k, RILL_UNIMPLEMENTED, "No %s kernel for dtype %s", op->def->type,
                         rill_dtype_name(var->dtype));
  }
  /* Elementwise: the split cannot change results, so any grain keeps runs reproducible. */
  rill_k_parallel_for(k, var->n, 1 << 15, fn, &c);
  rill_k_set_out(k, 0, rill_tensor_ref(var));
  return true;
}

#define APPLY_OP(NAME, KIND)                                                   \
  static bool NAME##_infer(rill_op *op) { return apply_infer(op, &KIND); }     \
  static bool NAME##_kernel(rill_kctx *k) { return apply_kernel(k, &KIND); }

APPLY_OP(gd, gd_kind)
APPLY_OP(momentum, momentum_kind)
APPLY_OP(adagrad, adagrad_kind)
APPLY_OP(rmsprop, rmsprop_kind)
APPLY_OP(centered_rmsprop, centered_rmsprop_kind)
APPLY_OP(adam, adam_kind)

#define APPLY_FLAGS (RILL_OP_NOT_DIFFERENTIABLE | RILL_OP_STATEFUL)

static const rill_op_def apply_defs[] = {
    {.type = "ApplyGradientDescent", .infer = gd_infer, .kernel = gd_kernel, .flags = APPLY_FLAGS,
     .ref_inputs = GD_REFS},
    {.type = "ApplyMomentum", .infer = momentum_infer, .kernel = momentum_kernel, .flags = APPLY_FLAGS,
     .ref_inputs = MOMENTUM_REFS},
    {.type = "ApplyAdagrad", .infer = adagrad_infer, .kernel = adagrad_kernel, .flags = APPLY_FLAGS,
     .ref_inputs = ADAGRAD_REFS},
    {.type = "ApplyRMSProp", .infer = rmsprop_infer, .kernel = rmsprop_kernel, .flags = APPLY_FLAGS,
     .ref_inputs = RMSPROP_REFS},
    {.type = "ApplyCenteredRMSProp", .infer = centered_rmsprop_infer, .kernel = centered_rmsprop_kernel,
     .flags = APPLY_FLAGS, .ref_inputs = CENTERED_RMSPROP_REFS},
    {.type = "ApplyAdam", .infer = adam_infer, .kernel = adam_kernel, .flags = APPLY_FLAGS, .ref_inputs = ADAM_REFS},
};

void rill_register_train_ops(void) {
  for (size_t i = 0; i < sizeof apply_defs / sizeof apply_defs[0]; i++) rill_register_op(&apply_defs[i]);
}
