/* Comparisons (Equal, NotEqual, Greater, GreaterEqual, Less, LessEqual: broadcasting, bool
 * results), logic (LogicalAnd, LogicalOr, LogicalNot) and Select (tf.where(cond, x, y) with a
 * cond of x's shape, a vector over x's first dimension, or a scalar). */
#include <string.h>
#include "ops/math_internal.h"

RILL_MATH_VECTORIZE

#define CRUN(NAME, T, EXPR)                                                                \
  static void NAME(const void *xv, const void *yv, void *zv, int64_t n, int xs, int ys) { \
    const T *x = xv, *y = yv;                                                             \
    bool *z = zv;                                                                         \
    if (xs && ys) {                                                                       \
      for (int64_t i = 0; i < n; i++) {                                                   \
        const T a = x[i], b = y[i];                                                       \
        z[i] = (EXPR);                                                                    \
      }                                                                                   \
    } else {                                                                              \
      for (int64_t i = 0; i < n; i++) {                                                   \
        const T a = x[xs ? i : 0], b = y[ys ? i : 0];                                     \
        z[i] = (EXPR);                                                                    \
      }                                                                                   \
    }                                                                                     \
  }
#define CRUN_REAL(OP, EXPR)                                                                        \
  CRUN(OP##_f32, float, EXPR) CRUN(OP##_f64, double, EXPR) CRUN(OP##_i32, int32_t, EXPR)          \
      CRUN(OP##_i64, int64_t, EXPR) CRUN(OP##_u8, uint8_t, EXPR)
#define CTAB_REAL(op) \
  [RILL__F32] = op##_f32, [RILL__F64] = op##_f64, [RILL__I32] = op##_i32, [RILL__I64] = op##_i64, [RILL__U8] = op##_u8

CRUN_REAL(eq, a == b)
CRUN(eq_b, bool, a == b)
CRUN_REAL(ne, a != b)
CRUN(ne_b, bool, a != b)
CRUN_REAL(gt, a > b)
CRUN_REAL(ge, a >= b)
CRUN_REAL(lt, a < b)
CRUN_REAL(le, a <= b)
CRUN(and_b, bool, a && b)
CRUN(or_b, bool, a || b)

static const rill__binop eq_op = {.run = {CTAB_REAL(eq), [RILL__BOOL] = eq_b}, .bool_out = true};
static const rill__binop ne_op = {.run = {CTAB_REAL(ne), [RILL__BOOL] = ne_b}, .bool_out = true};
static const rill__binop gt_op = {.run = {CTAB_REAL(gt)}, .bool_out = true};
static const rill__binop ge_op = {.run = {CTAB_REAL(ge)}, .bool_out = true};
static const rill__binop lt_op = {.run = {CTAB_REAL(lt)}, .bool_out = true};
static const rill__binop le_op = {.run = {CTAB_REAL(le)}, .bool_out = true};
static const rill__binop and_op = {.run = {[RILL__BOOL] = and_b}, .bool_out = true};
static const rill__binop or_op = {.run = {[RILL__BOOL] = or_b}, .bool_out = true};

static bool eq_infer(rill_op *op) { return rill__binary_infer(op, RILL__REAL | RILL__BOOLS, true); }
static bool cmp_infer(rill_op *op) { return rill__binary_infer(op, RILL__REAL, true); }
static bool logic_infer(rill_op *op) { return rill__binary_infer(op, RILL__BOOLS, true); }

#define CKERNEL(op) \
  static bool op##_kernel(rill_kctx *k) { return rill__binary_kernel(k, &op##_op); }
CKERNEL(eq)
CKERNEL(ne)
CKERNEL(gt)
CKERNEL(ge)
CKERNEL(lt)
CKERNEL(le)
CKERNEL(and)
CKERNEL(or)

static void not_b(const void *xv, void *yv, int64_t n) {
  const bool *x = xv;
  bool *y = yv;
  for (int64_t i = 0; i < n; i++) y[i] = !x[i];
}
static const rill__unop not_op = {.run = {[RILL__BOOL] = not_b}};
static bool not_infer(rill_op *op) { return rill__unary_infer(op, RILL__BOOLS); }
static bool not_kernel(rill_kctx *k) { return rill__unary_kernel(k, &not_op); }

/* ---- Select ---- */

/* Records TF's Merge error for two shapes known to disagree. */
static void merge_error(rill_op *op, rill_shape a, rill_shape b) {
  char s1[160], s2[160];
  if (a.rank != b.rank) {
    rill_op_shape_error(op, "Shapes must be equal rank, but are %d and %d", a.rank, b.rank);
    return;
  }
  for (int d = 0; d < a.rank; d++)
    if (a.dims[d] >= 0 && b.dims[d] >= 0 && a.dims[d] != b.dims[d]) {
      rill_op_shape_error(op, "Dimension %d in both shapes must be equal, but are %lld and %lld. Shapes are %s and %s.",
                          d, (long long)a.dims[d], (long long)b.dims[d], rill_shape_dbg(a, s1, sizeof s1),
                          rill_shape_dbg(b, s2, sizeof s2));
      return;
    }
}

/* Merges two graph shapes (TF's Merge); false after recording the error. */
static bool merge(rill_op *op, rill_shape a, rill_shape b, rill_shape *out) {
  if (a.rank < 0) {
    *out = b;
    return true;
  }
  if (b.rank < 0) {
    *out = a;
    return true;
  }
  if (a.rank != b.rank || !rill_shape_compatible(a, b)) {
    merge_error(op, a, b);
    return false;
  }
  *out = a;
  for (int d = 0; d < a.rank; d++)
    if (out->dims[d] < 0) out->dims[d] = b.dims[d];
  return true;
}

static bool select_infer(rill_op *op) {
  if (op->n_inputs != 3) return rill_op_shape_error(op, "Expected 3 inputs but got %d", op->n_inputs);
  if (rill_op_input_dtype(op, 0) != RILL_BOOL) {
    char n[300];
    rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT,
                         "Input 0 of '%s' (op: 'Select') must be bool but is %s: Tensor conversion requested dtype bool "
                         "for Tensor with dtype %s: '%s'",
                         op->name, rill_dtype_name(rill_op_input_dtype(op, 0)), rill_dtype_name(rill_op_input_dtype(op, 0)),
                         rill_output_name(op->inputs[0], n, sizeof n));
    return false;
  }
  if (!rill_op_check_same_dtype(op, 1, 3)) return false;
  rill_shape data, cond = rill_op_input_shape(op, 0);
  if (!merge(op, rill_op_input_shape(op, 1), rill_op_input_shape(op, 2), &data)) return false;
  if (cond.rank >= 0 && data.rank >= 0 && cond.rank != 0) {
    if (cond.rank != 1 || data.rank == 0) {
      if (!merge(op, data, cond, &data)) return false;
    } else {
      int64_t d0 = data.dims[0];
      rill_shape v = rill_shape_make(&d0, 1);
      rill_shape ignored;
      if (!merge(op, cond, v, &ignored)) return false;
    }
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 1), data);
  return true;
}

#define SEL_LOOP(T)                                                   \
  do {                                                                \
    const T *a = t->data, *b = e->data;                               \
    T *o = z->data;                                                   \
    for (int64_t i = 0; i < t->n; i++) o[i] = c[i] ? a[i] : b[i];     \
  } while (0)

static bool select_kernel(rill_kctx *k) {
  rill_tensor *cond = rill_k_in(k, 0), *t = rill_k_in(k, 1), *e = rill_k_in(k, 2);
  char s1[160], s2[160];
  if (!rill_shape_equal(t->shape, e->shape))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "'then' and 'else' must have the same size.  but are: %s vs. %s",
                       rill_shape_dbg(t->shape, s1, sizeof s1), rill_shape_dbg(e->shape, s2, sizeof s2));
  const bool *c = cond->data;
  if (cond->shape.rank == 0) {
    rill_k_set_out(k, 0, rill_tensor_ref(c[0] ? t : e));
    return true;
  }
  bool rows = cond->shape.rank == 1 && t->shape.rank > 1;
  if (rows && cond->shape.dims[0] != t->shape.dims[0])
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Number of batches of 'then' must match size of 'cond', but saw: %lld vs. %lld",
                       (long long)t->shape.dims[0], (long long)cond->shape.dims[0]);
  if (!rows && !rill_shape_equal(cond->shape, t->shape))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "'cond' and 'then' must have the same size.  but are: %s vs. %s",
                       rill_shape_dbg(cond->shape, s1, sizeof s1), rill_shape_dbg(t->shape, s2, sizeof s2));
  rill_tensor *z = rill_k_forward_input(k, 1, 0);
  if (!z) z = rill_k_forward_input(k, 2, 0);
  if (!z && !(z = rill_k_alloc_uninit(k, 0, t->dtype, t->shape))) return false;
  size_t es = rill_dtype_size(t->dtype);
  if (rows) {
    size_t row = t->shape.dims[0] ? t->nbytes / (size_t)t->shape.dims[0] : 0;
    for (int64_t r = 0; r < cond->n; r++) {
      const rill_tensor *src = c[r] ? t : e;
      if (src != z) memcpy((char *)z->data + (size_t)r * row, (const char *)src->data + (size_t)r * row, row);
    }
    return true;
  }
  /* elementwise: the payload is copied by width, whatever its dtype */
  switch (es) {
    case 1: SEL_LOOP(uint8_t); break;
    case 4: SEL_LOOP(uint32_t); break;
    case 8: SEL_LOOP(uint64_t); break;
    default: return rill_k_fail(k, RILL_UNIMPLEMENTED, "Select of %s is not supported", rill_dtype_name(t->dtype));
  }
  return true;
}

static void select_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output c = rill_op_input(op, 0);
  rill_output zeros = rill_zeros_like(g, rill_op_input(op, 1), NULL);
  dx[1] = rill_where(g, c, dy[0], zeros, NULL);
  dx[2] = rill_where(g, c, zeros, dy[0], NULL);
}

static const rill_op_def defs[] = {
    {.type = "Equal", .infer = eq_infer, .kernel = eq_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "NotEqual", .infer = eq_infer, .kernel = ne_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "Greater", .infer = cmp_infer, .kernel = gt_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "GreaterEqual", .infer = cmp_infer, .kernel = ge_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "Less", .infer = cmp_infer, .kernel = lt_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "LessEqual", .infer = cmp_infer, .kernel = le_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "LogicalAnd", .infer = logic_infer, .kernel = and_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "LogicalOr", .infer = logic_infer, .kernel = or_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "LogicalNot", .infer = not_infer, .kernel = not_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "Select", .infer = select_infer, .kernel = select_kernel, .grad = select_grad},
};

void rill__register_math_compare(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

#define BUILDER(fn, type)                                                                  \
  rill_output fn(rill_graph *g, rill_output x, rill_output y, const char *name) {         \
    return rill__binary(g, type, x, y, name);                                             \
  }
BUILDER(rill_equal, "Equal")
BUILDER(rill_not_equal, "NotEqual")
BUILDER(rill_greater, "Greater")
BUILDER(rill_greater_equal, "GreaterEqual")
BUILDER(rill_less, "Less")
BUILDER(rill_less_equal, "LessEqual")

/* The logical ops have no T attribute in TF. */
static rill_output logical(rill_graph *g, const char *type, const rill_output *in, int n, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_inputs(b, in, n);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
rill_output rill_logical_and(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return logical(g, "LogicalAnd", (rill_output[]){x, y}, 2, name);
}
rill_output rill_logical_or(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return logical(g, "LogicalOr", (rill_output[]){x, y}, 2, name);
}
rill_output rill_logical_not(rill_graph *g, rill_output x, const char *name) {
  return logical(g, "LogicalNot", &x, 1, name);
}

rill_output rill_where(rill_graph *g, rill_output cond, rill_output x, rill_output y, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Select", name);
  rill_op_builder_add_input(b, cond);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, y);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}
