/* Cumsum and Cumprod (x, axis; attrs exclusive, reverse, T, Tidx): TF's scans, used by the
 * gradient of Prod. Kernels, gradients (TF's _CumsumGrad and _CumprodGrad), builder. */
#include <stdlib.h>
#include "ops/math_internal.h"

RILL_MATH_VECTORIZE

/* Scans rows of a [outer, len, inner] array along the middle axis. */
#define SCAN_FN(NAME, T, INIT, OP)                                                                     \
  static void NAME(const T *x, T *y, int64_t outer, int64_t len, int64_t inner, bool excl, bool rev) { \
    for (int64_t o = 0; o < outer; o++) {                                                            \
      const T *xo = x + o * len * inner;                                                             \
      T *yo = y + o * len * inner;                                                                   \
      for (int64_t s = 0; s < len; s++) {                                                            \
        int64_t r = rev ? len - 1 - s : s, prev = rev ? r + 1 : r - 1;                               \
        T *row = yo + r * inner;                                                                     \
        if (s == 0) {                                                                                \
          for (int64_t j = 0; j < inner; j++) row[j] = excl ? (T)(INIT) : xo[r * inner + j];         \
        } else {                                                                                     \
          const T *py = yo + prev * inner, *px = xo + (excl ? prev : r) * inner;                     \
          for (int64_t j = 0; j < inner; j++) {                                                      \
            const T a = py[j], b = px[j];                                                            \
            row[j] = (OP);                                                                           \
          }                                                                                          \
        }                                                                                            \
      }                                                                                              \
    }                                                                                                \
  }
SCAN_FN(cumsum_f32, float, 0, a + b)
SCAN_FN(cumsum_f64, double, 0, a + b)
SCAN_FN(cumsum_i32, int32_t, 0, (int32_t)((uint32_t)a + (uint32_t)b))
SCAN_FN(cumsum_i64, int64_t, 0, (int64_t)((uint64_t)a + (uint64_t)b))
SCAN_FN(cumprod_f32, float, 1, a * b)
SCAN_FN(cumprod_f64, double, 1, a * b)
SCAN_FN(cumprod_i32, int32_t, 1, (int32_t)((uint32_t)a * (uint32_t)b))
SCAN_FN(cumprod_i64, int64_t, 1, (int64_t)((uint64_t)a * (uint64_t)b))

static int64_t scalar_int(const rill_tensor *t) {
  return t->dtype == RILL_INT64 ? ((const int64_t *)t->data)[0] : ((const int32_t *)t->data)[0];
}

static bool scan_infer(rill_op *op) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (!rill__check_dtype(op, rill_op_input_dtype(op, 0), RILL__NUMERIC, "T") ||
      !rill__check_dtype(op, rill_op_input_dtype(op, 1), RILL__INTS, "Tidx"))
    return false;
  rill_shape a = rill_op_input_shape(op, 1), x = rill_op_input_shape(op, 0);
  if (a.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", a.rank);
  const rill_tensor *ax = rill_op_input_const(op, 1);
  if (ax && x.rank >= 0) {
    int64_t v = scalar_int(ax);
    if (v < -x.rank || v >= x.rank)
      return rill_op_shape_error(op, "axis must be in the range [%d, %d), but got %lld", -x.rank, x.rank, (long long)v);
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 0), x);
  return true;
}

static bool scan_kernel(rill_kctx *k, bool prod) {
  rill_tensor *x = rill_k_in(k, 0);
  int r = x->shape.rank;
  int64_t a = scalar_int(rill_k_in(k, 1));
  if (a < -r || a >= r)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "axis must be in the range [%d, %d), but got %lld", -r, r, (long long)a);
  if (a < 0) a += r;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < r; i++) {
    if (i < a) outer *= x->shape.dims[i];
    if (i > a) inner *= x->shape.dims[i];
  }
  int64_t len = x->shape.dims[a];
  rill_op *op = rill_k_op(k);
  bool excl = rill_op_attr_bool(op, "exclusive", false), rev = rill_op_attr_bool(op, "reverse", false);
  rill_tensor *y = rill_k_alloc(k, 0, x->dtype, x->shape);
  if (!y) return false;
  switch (x->dtype) {
#define CASE(DT, SUF, T)                                                                           \
  case DT:                                                                                         \
    (prod ? cumprod_##SUF : cumsum_##SUF)((const T *)x->data, (T *)y->data, outer, len, inner, excl, rev); \
    break;
    CASE(RILL_FLOAT, f32, float)
    CASE(RILL_DOUBLE, f64, double)
    CASE(RILL_INT32, i32, int32_t)
    CASE(RILL_INT64, i64, int64_t)
#undef CASE
    default: return rill_k_fail(k, RILL_UNIMPLEMENTED, "No scan kernel for %s", rill_dtype_name(x->dtype));
  }
  return true;
}
static bool cumsum_kernel(rill_kctx *k) { return scan_kernel(k, false); }
static bool cumprod_kernel(rill_kctx *k) { return scan_kernel(k, true); }

static rill_output scan(rill_graph *g, const char *type, rill_output x, rill_output axis, bool exclusive, bool reverse,
                        const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, axis);
  rill_op_builder_attr_bool(b, "exclusive", exclusive);
  rill_op_builder_attr_bool(b, "reverse", reverse);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tidx", axis.op ? rill_output_dtype(axis) : RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill__cumulative(rill_graph *g, const char *type, rill_output x, int axis, bool exclusive, bool reverse) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  char *scope = rill__op_scope(g, NULL, type);
  rill_output a = rill_scalar_int32(g, axis, "axis");
  rill_name_scope_pop(g);
  rill_output o = scan(g, type, x, a, exclusive, reverse, scope);
  free(scope);
  return o;
}

static void cumsum_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = scan(g, "Cumsum", dy[0], rill_op_input(op, 1), rill_op_attr_bool(op, "exclusive", false),
               !rill_op_attr_bool(op, "reverse", false), NULL);
}

/* d/dx: (reverse cumulative sum of cumprod(x) * dy) / x, 0 where x is 0 (TF's formula). */
static void cumprod_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output x = rill_op_input(op, 0), axis = rill_op_input(op, 1);
  bool excl = rill_op_attr_bool(op, "exclusive", false), rev = rill_op_attr_bool(op, "reverse", false);
  rill_output prod = scan(g, "Cumprod", x, axis, excl, rev, NULL);
  rill_output out = scan(g, "Cumsum", rill_mul(g, prod, dy[0], NULL), axis, excl, !rev, NULL);
  dx[0] = rill__div_no_nan(g, out, x, NULL);
}

static const rill_op_def defs[] = {
    {.type = "Cumsum", .infer = scan_infer, .kernel = cumsum_kernel, .grad = cumsum_grad},
    {.type = "Cumprod", .infer = scan_infer, .kernel = cumprod_kernel, .grad = cumprod_grad},
};

void rill__register_math_scan(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}
