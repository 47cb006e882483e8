/* Broadcasting arithmetic: AddV2/Add, Sub, Mul, RealDiv, Div, FloorDiv, FloorMod, Maximum,
 * Minimum, Pow, SquaredDifference, DivNoNan, and AddN; kernels, gradients (TF's math_grad.py)
 * and builders.
 *
 * Integer arithmetic wraps like TF's (two's complement) instead of overflowing into C's
 * undefined behaviour: it is done in the unsigned type. Integer Div truncates toward zero (TF's
 * Div), FloorDiv/FloorMod round toward negative infinity; a zero divisor is TF's "Integer
 * division by zero" error. Float Maximum/Minimum propagate NaN. */
#include <math.h>
#include <stdlib.h>
#include "ops/math_internal.h"

RILL_MATH_VECTORIZE

/* One run of `z = EXPR(a, b)` with either operand possibly repeated. */
#define RUN(NAME, T, EXPR)                                                                 \
  static void NAME(const void *xv, const void *yv, void *zv, int64_t n, int xs, int ys) { \
    const T *x = xv, *y = yv;                                                             \
    T *z = zv;                                                                            \
    if (xs && ys) {                                                                       \
      for (int64_t i = 0; i < n; i++) {                                                   \
        const T a = x[i], b = y[i];                                                       \
        z[i] = (EXPR);                                                                    \
      }                                                                                   \
    } else if (xs) {                                                                      \
      const T b = y[0];                                                                   \
      for (int64_t i = 0; i < n; i++) {                                                   \
        const T a = x[i];                                                                 \
        z[i] = (EXPR);                                                                    \
      }                                                                                   \
    } else if (ys) {                                                                      \
      const T a = x[0];                                                                   \
      for (int64_t i = 0; i < n; i++) {                                                   \
        const T b = y[i];                                                                 \
        z[i] = (EXPR);                                                                    \
      }                                                                                   \
    } else {                                                                              \
      const T a = x[0], b = y[0];                                                         \
      for (int64_t i = 0; i < n; i++) z[i] = (EXPR);                                      \
    }                                                                                     \
  }

/* float, double, int32, int64, uint8 loops for one op; IEXPR(T, U) gets the signed and
 * unsigned integer types. */
#define RUN_FLOATS(OP, FEXPR) RUN(OP##_f32, float, FEXPR) RUN(OP##_f64, double, FEXPR)
#define RUN_INTS(OP, IEXPR)                                        \
  RUN(OP##_i32, int32_t, IEXPR(int32_t, uint32_t))                 \
  RUN(OP##_i64, int64_t, IEXPR(int64_t, uint64_t))
#define RUN_U8(OP, UEXPR) RUN(OP##_u8, uint8_t, UEXPR)

#define WRAP(T, U, e) ((T)(U)(e))
#define ADD_I(T, U) WRAP(T, U, (U)a + (U)b)
#define SUB_I(T, U) WRAP(T, U, (U)a - (U)b)
#define MUL_I(T, U) WRAP(T, U, (U)a * (U)b)
/* -MIN / -1 overflows (a trap on x86): it wraps to MIN like TF's result. */
#define DIV_I(T, U) (b == -1 ? WRAP(T, U, (U)0 - (U)a) : (T)(a / b))
#define FLOORDIV_I(T, U) (b == -1 ? WRAP(T, U, (U)0 - (U)a) : (T)(a / b - ((a % b != 0) && ((a < 0) != (b < 0)))))
#define FLOORMOD_I(T, U) (b == -1 ? (T)0 : (T)((a % b != 0 && ((a % b < 0) != (b < 0))) ? a % b + b : a % b))
#define MAX_I(T, U) (a > b ? a : b)
#define MIN_I(T, U) (a < b ? a : b)
#define SQDIFF_I(T, U) WRAP(T, U, ((U)a - (U)b) * ((U)a - (U)b))
#define POW_I(T, U) ipow_##T(a, b)

static inline int32_t ipow_int32_t(int32_t a, int32_t b) {
  uint32_t r = 1, base = (uint32_t)a;
  for (uint32_t e = (uint32_t)b; e; e >>= 1, base *= base)
    if (e & 1) r *= base;
  return (int32_t)r;
}
static inline int64_t ipow_int64_t(int64_t a, int64_t b) {
  uint64_t r = 1, base = (uint64_t)a;
  for (uint64_t e = (uint64_t)b; e; e >>= 1, base *= base)
    if (e & 1) r *= base;
  return (int64_t)r;
}

static inline float floormod_f(float a, float b) {
  float m = fmodf(a, b);
  return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;
}
static inline double floormod_d(double a, double b) {
  double m = fmod(a, b);
  return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;
}

RUN_FLOATS(add, a + b)
RUN_INTS(add, ADD_I)
RUN_U8(add, (uint8_t)(a + b))
RUN_FLOATS(sub, a - b)
RUN_INTS(sub, SUB_I)
RUN_U8(sub, (uint8_t)(a - b))
RUN_FLOATS(mul, a * b)
RUN_INTS(mul, MUL_I)
RUN_U8(mul, (uint8_t)(a * b))
RUN_FLOATS(div, a / b)
RUN_INTS(div, DIV_I)
RUN_U8(div, (uint8_t)(a / b))
RUN(floordiv_f32, float, floorf(a / b))
RUN(floordiv_f64, double, floor(a / b))
RUN_INTS(floordiv, FLOORDIV_I)
RUN(floormod_f32, float, floormod_f(a, b))
RUN(floormod_f64, double, floormod_d(a, b))
RUN_INTS(floormod, FLOORMOD_I)
RUN_U8(floormod, (uint8_t)(a % b))
RUN_FLOATS(max, (a > b || a != a) ? a : b)
RUN_INTS(max, MAX_I)
RUN_U8(max, a > b ? a : b)
RUN_FLOATS(min, (a < b || a != a) ? a : b)
RUN_INTS(min, MIN_I)
RUN_U8(min, a < b ? a : b)
RUN(pow_f32, float, powf(a, b))
RUN(pow_f64, double, pow(a, b))
RUN_INTS(pow, POW_I)
RUN_FLOATS(sqdiff, (a - b) * (a - b))
RUN_INTS(sqdiff, SQDIFF_I)
RUN_FLOATS(divnonan, b == 0 ? 0 : a / b)

#define TABLE_F(op) {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64}
#define TABLE_FI(op) {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64, [RILL__I32] = op##_i32, [RILL__I64] = op##_i64}
#define TABLE_FIU(op) \
  {[RILL__F32] = op##_f32, [RILL__F64] = op##_f64, [RILL__I32] = op##_i32, [RILL__I64] = op##_i64, [RILL__U8] = op##_u8}

static const rill__binop add_op = {.run = TABLE_FIU(add)};
static const rill__binop sub_op = {.run = TABLE_FIU(sub)};
static const rill__binop mul_op = {.run = TABLE_FIU(mul)};
static const rill__binop realdiv_op = {.run = TABLE_F(div)};
static const rill__binop div_op = {.run = TABLE_FIU(div), .int_div = true};
static const rill__binop floordiv_op = {.run = TABLE_FI(floordiv), .int_div = true};
static const rill__binop floormod_op = {.run = TABLE_FIU(floormod), .int_div = true};
static const rill__binop max_op = {.run = TABLE_FIU(max)};
static const rill__binop min_op = {.run = TABLE_FIU(min)};
static const rill__binop pow_op = {.run = TABLE_FI(pow)};
static const rill__binop sqdiff_op = {.run = TABLE_FI(sqdiff)};
static const rill__binop divnonan_op = {.run = TABLE_F(divnonan)};

#define U8_OK (1u << RILL__U8)
static bool infer_fiu(rill_op *op) { return rill__binary_infer(op, RILL__NUMERIC | U8_OK, false); }
static bool infer_fi(rill_op *op) { return rill__binary_infer(op, RILL__NUMERIC, false); }
static bool infer_f(rill_op *op) { return rill__binary_infer(op, RILL__FLOATS, false); }

static bool add_kernel(rill_kctx *k) { return rill__binary_kernel(k, &add_op); }
static bool sub_kernel(rill_kctx *k) { return rill__binary_kernel(k, &sub_op); }
static bool mul_kernel(rill_kctx *k) { return rill__binary_kernel(k, &mul_op); }
static bool realdiv_kernel(rill_kctx *k) { return rill__binary_kernel(k, &realdiv_op); }
static bool div_kernel(rill_kctx *k) { return rill__binary_kernel(k, &div_op); }
static bool floordiv_kernel(rill_kctx *k) { return rill__binary_kernel(k, &floordiv_op); }
static bool floormod_kernel(rill_kctx *k) { return rill__binary_kernel(k, &floormod_op); }
static bool max_kernel(rill_kctx *k) { return rill__binary_kernel(k, &max_op); }
static bool min_kernel(rill_kctx *k) { return rill__binary_kernel(k, &min_op); }
static bool sqdiff_kernel(rill_kctx *k) { return rill__binary_kernel(k, &sqdiff_op); }
static bool divnonan_kernel(rill_kctx *k) { return rill__binary_kernel(k, &divnonan_op); }

static bool pow_kernel(rill_kctx *k) {
  const rill_tensor *y = rill_k_in(k, 1);
  for (int64_t i = 0; i < y->n; i++)
    if ((y->dtype == RILL_INT32 && ((const int32_t *)y->data)[i] < 0) ||
        (y->dtype == RILL_INT64 && ((const int64_t *)y->data)[i] < 0))
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Integers to negative integer powers are not allowed");
  return rill__binary_kernel(k, &pow_op);
}

/* ---- gradients ---- */

#define X(op) rill_op_input((op), 0)
#define Y(op) rill_op_input((op), 1)
#define Z(op) rill_op_output((op), 0)

static void add_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill__bcast_grads(g, op, dy[0], dy[0], dx);
}

static void sub_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill__bcast_grads(g, op, dy[0], dy[0], dx);
  dx[1] = rill_neg(g, dx[1], NULL);
}

static void mul_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill__bcast_grads(g, op, rill_mul(g, dy[0], Y(op), NULL), rill_mul(g, X(op), dy[0], NULL), dx);
}

/* RealDiv and Div: d/dx = 1/y, d/dy = -x/y^2 */
static void div_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output gx = rill_div(g, dy[0], Y(op), NULL);
  rill_output gy = rill_mul(g, dy[0], rill_div(g, rill_div(g, rill_neg(g, X(op), NULL), Y(op), NULL), Y(op), NULL), NULL);
  rill__bcast_grads(g, op, gx, gy, dx);
}

static void divnonan_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output gx = rill__div_no_nan(g, dy[0], Y(op), NULL);
  rill_output q = rill__div_no_nan(g, rill__div_no_nan(g, rill_neg(g, X(op), NULL), Y(op), NULL), Y(op), NULL);
  rill__bcast_grads(g, op, gx, rill_mul(g, dy[0], q, NULL), dx);
}

static void floormod_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output fl = rill_floordiv(g, X(op), Y(op), NULL);
  rill__bcast_grads(g, op, dy[0], rill_mul(g, dy[0], rill_neg(g, fl, NULL), NULL), dx);
}

/* The gradient goes to x where the selector holds (ties to x), else to y. */
static void minmax_grad(rill_graph *g, rill_op *op, const rill_output *dy, bool is_max, rill_output *dx) {
  rill_output zeros = rill_zeros_like(g, dy[0], NULL);
  rill_output mask = is_max ? rill_greater_equal(g, X(op), Y(op), NULL) : rill_less_equal(g, X(op), Y(op), NULL);
  rill__bcast_grads(g, op, rill_where(g, mask, dy[0], zeros, NULL), rill_where(g, mask, zeros, dy[0], NULL), dx);
}
static void max_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  minmax_grad(g, op, dy, true, dx);
}
static void min_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  minmax_grad(g, op, dy, false, dx);
}

/* d/dx = y x^(y-1); d/dy = z log(x), taken as 0 where x <= 0 (TF's guard against the false
 * singularity at 0). */
static void pow_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output x = X(op), y = Y(op), z = Z(op);
  rill_dtype t = rill_output_dtype(x);
  rill_output ym1 = rill_sub(g, y, rill_scalar_of(g, t, 1, NULL), NULL);
  rill_output gx = rill_mul(g, dy[0], rill_mul(g, y, rill_pow(g, x, ym1, NULL), NULL), NULL);
  rill_output mask = rill_greater(g, x, rill_scalar_of(g, t, 0, NULL), NULL);
  rill_output safe_x = rill_where(g, mask, x, rill_ones_like(g, x, NULL), NULL);
  rill_output log_x = rill_where(g, mask, rill_log(g, safe_x, NULL), rill_zeros_like(g, x, NULL), NULL);
  rill_output gy = rill_mul(g, rill_mul(g, dy[0], z, NULL), log_x, NULL);
  rill__bcast_grads(g, op, gx, gy, dx);
}

static void sqdiff_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output two = rill_scalar_of(g, rill_output_dtype(dy[0]), 2, "scalar");
  rill_output xg = rill_mul(g, rill_mul(g, two, dy[0], NULL), rill_sub(g, X(op), Y(op), NULL), NULL);
  rill__bcast_grads(g, op, xg, xg, dx);
  dx[1] = rill_neg(g, dx[1], NULL);
}

/* ---- AddN ---- */

static bool addn_infer(rill_op *op) {
  if (op->n_inputs < 1) return rill_op_shape_error(op, "AddN needs at least one input");
  if (!rill_op_check_same_dtype(op, 0, op->n_inputs)) return false;
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__check_dtype(op, t, RILL__NUMERIC | U8_OK, "T")) return false;
  rill_shape s = rill_op_input_shape(op, 0);
  for (int i = 1; i < op->n_inputs; i++) {
    rill_shape u = rill_op_input_shape(op, i);
    if (u.rank < 0) continue;
    if (s.rank < 0) {
      s = u;
      continue;
    }
    char a[160], b[160];
    if (s.rank != u.rank)
      return rill_op_shape_error(op, "Shapes must be equal rank, but are %d and %d\n\tFrom merging shape 0 with other shapes",
                                 s.rank, u.rank);
    for (int d = 0; d < s.rank; d++) {
      if (s.dims[d] >= 0 && u.dims[d] >= 0 && s.dims[d] != u.dims[d])
        return rill_op_shape_error(op,
                                   "Dimension %d in both shapes must be equal, but are %lld and %lld. Shapes are %s and "
                                   "%s.\n\tFrom merging shape %d with other shapes",
                                   d, (long long)s.dims[d], (long long)u.dims[d], rill_shape_dbg(s, a, sizeof a),
                                   rill_shape_dbg(u, b, sizeof b), i - 1);
      if (s.dims[d] < 0) s.dims[d] = u.dims[d];
    }
  }
  rill_op_set_output(op, t, s);
  return true;
}

typedef struct addn_job {
  rill_tensor **in;
  int n;
  char *z;
  rill_bcast_run_fn fn;
  size_t esz;
} addn_job;

static void addn_chunk(void *arg, int64_t b, int64_t e) {
  const addn_job *j = arg;
  size_t off = (size_t)b * j->esz;
  j->fn((const char *)j->in[0]->data + off, (const char *)j->in[1]->data + off, j->z + off, e - b, 1, 1);
  for (int i = 2; i < j->n; i++) j->fn(j->z + off, (const char *)j->in[i]->data + off, j->z + off, e - b, 1, 1);
}

static bool addn_kernel(rill_kctx *k) {
  int n = rill_k_num_inputs(k);
  rill_tensor *x0 = rill_k_in(k, 0);
  for (int i = 1; i < n; i++) {
    rill_tensor *xi = rill_k_in(k, i);
    if (!rill_shape_equal(xi->shape, x0->shape)) {
      char a[160], b[160];
      return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                         "Inputs to operation %s of type AddN must have the same size and shape.  Input 0: %s != input "
                         "%d: %s",
                         rill_k_op(k)->name, rill_shape_dbg(x0->shape, a, sizeof a), i,
                         rill_shape_dbg(xi->shape, b, sizeof b));
    }
  }
  if (n == 1) {
    rill_k_set_out(k, 0, rill_tensor_ref(x0));
    return true;
  }
  int s = rill__dt_slot(x0->dtype);
  if (s < 0 || !add_op.run[s])
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "No AddN kernel for dtype %s", rill_dtype_name(x0->dtype));
  rill_tensor *z = NULL;
  int fi = -1; /* the input whose buffer became the output */
  for (int i = 0; i < n && !z; i++)
    if ((z = rill_k_forward_input(k, i, 0))) fi = i;
  if (!z && !(z = rill_k_alloc_uninit(k, 0, x0->dtype, x0->shape))) return false;
  rill_tensor *ins[64], **in = n <= 64 ? ins : malloc((size_t)n * sizeof *in);
  if (!in) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
  /* a forwarded input goes first, so the others accumulate onto it in place */
  int m = 0;
  if (fi >= 0) in[m++] = rill_k_in(k, fi);
  for (int i = 0; i < n; i++)
    if (i != fi) in[m++] = rill_k_in(k, i);
  addn_job j = {in, n, z->data, add_op.run[s], rill_dtype_size(z->dtype)};
  if (z->n < RILL__PARALLEL_MIN)
    addn_chunk(&j, 0, z->n);
  else
    rill_k_parallel_for(k, z->n, RILL__GRAIN, addn_chunk, &j);
  if (in != ins) free(in);
  return true;
}

static void addn_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  (void)g;
  for (int i = 0; i < op->n_inputs; i++) dx[i] = dy[0];
}

/* ---- definitions ---- */

static const rill_op_def defs[] = {
    {.type = "AddV2", .infer = infer_fiu, .kernel = add_kernel, .grad = add_grad},
    {.type = "Add", .infer = infer_fiu, .kernel = add_kernel, .grad = add_grad},
    {.type = "Sub", .infer = infer_fiu, .kernel = sub_kernel, .grad = sub_grad},
    {.type = "Mul", .infer = infer_fiu, .kernel = mul_kernel, .grad = mul_grad},
    {.type = "RealDiv", .infer = infer_f, .kernel = realdiv_kernel, .grad = div_grad},
    {.type = "Div", .infer = infer_fiu, .kernel = div_kernel, .grad = div_grad},
    {.type = "FloorDiv", .infer = infer_fi, .kernel = floordiv_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "FloorMod", .infer = infer_fiu, .kernel = floormod_kernel, .grad = floormod_grad},
    {.type = "Maximum", .infer = infer_fiu, .kernel = max_kernel, .grad = max_grad},
    {.type = "Minimum", .infer = infer_fiu, .kernel = min_kernel, .grad = min_grad},
    {.type = "Pow", .infer = infer_fi, .kernel = pow_kernel, .grad = pow_grad},
    {.type = "SquaredDifference", .infer = infer_fi, .kernel = sqdiff_kernel, .grad = sqdiff_grad},
    {.type = "DivNoNan", .infer = infer_f, .kernel = divnonan_kernel, .grad = divnonan_grad},
    {.type = "AddN", .infer = addn_infer, .kernel = addn_kernel, .grad = addn_grad},
};

void rill__register_math_binary(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

/* ---- builders: default names are those TF 1.x's tf.* functions give (tf.add is "Add"; the
 * Python operator x + y would name it "add", so programs mirroring operator code pass that) ---- */

rill_output rill_add(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "AddV2", x, y, name ? name : "Add");
}
rill_output rill_sub(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "Sub", x, y, name);
}
rill_output rill_mul(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "Mul", x, y, name);
}
rill_output rill_div(rill_graph *g, rill_output x, rill_output y, const char *name) {
  if (x.op && rill_dtype_is_float(rill_output_dtype(x)))
    return rill__binary(g, "RealDiv", x, y, name ? name : "truediv");
  return rill__binary(g, "Div", x, y, name ? name : "div");
}
rill_output rill_floordiv(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "FloorDiv", x, y, name ? name : "floordiv");
}
rill_output rill_mod(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "FloorMod", x, y, name);
}
rill_output rill_maximum(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "Maximum", x, y, name);
}
rill_output rill_minimum(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "Minimum", x, y, name);
}
rill_output rill_pow(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "Pow", x, y, name);
}
rill_output rill_squared_difference(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "SquaredDifference", x, y, name);
}
rill_output rill__div_no_nan(rill_graph *g, rill_output x, rill_output y, const char *name) {
  return rill__binary(g, "DivNoNan", x, y, name ? name : "div_no_nan");
}

rill_output rill_add_n(rill_graph *g, const rill_output *xs, int n, const char *name) {
  if (n < 1 || !xs) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "inputs must be a list of at least one Tensor with the same dtype and shape");
    return RILL_NO_OUTPUT;
  }
  if (n == 1) return name ? rill_identity(g, xs[0], name) : xs[0];
  rill_op_builder *b = rill_op_builder_new(g, "AddN", name);
  rill_op_builder_add_inputs(b, xs, n);
  rill_op_builder_attr_int(b, "N", n);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(xs[0]));
  return rill_op_output(rill_op_builder_finish(b), 0);
}
