/* Shared by the math op files (math_*.c): dtype checks, the elementwise kernel drivers, TF's
 * op-name scopes, and the gradient helpers that sum a broadcast gradient back to an input's
 * shape. Library-internal. */
#ifndef RILL_OPS_MATH_INTERNAL_H
#define RILL_OPS_MATH_INTERNAL_H

#include "core/internal.h"
#include "kernels/cpu/bcast.h"

/* GCC's -O2 vectorizes only loops that need no runtime alias checks; the elementwise loops
 * here need them (an output may be an input's buffer), so files with hot loops ask for the
 * dynamic cost model, and for no-trapping-math so that selects between computed values (NaN
 * and range handling) stay branch-free, and for no-math-errno so sqrt is an instruction: only
 * floating-point exception flags and errno are given up.
 * Clang vectorizes these at -O2 already. */
#if defined(__GNUC__) && !defined(__clang__)
#define RILL_MATH_VECTORIZE \
  _Pragma("GCC optimize(\"tree-vectorize\", \"vect-cost-model=dynamic\", \"no-trapping-math\", \"no-math-errno\")")
#else
#define RILL_MATH_VECTORIZE
#endif

/* Dtype slots of the per-dtype loop tables. */
enum { RILL__F32, RILL__F64, RILL__I32, RILL__I64, RILL__U8, RILL__BOOL, RILL__NDT };
#define RILL__FLOATS ((1u << RILL__F32) | (1u << RILL__F64))
#define RILL__INTS ((1u << RILL__I32) | (1u << RILL__I64))
#define RILL__NUMERIC (RILL__FLOATS | RILL__INTS)
#define RILL__REAL (RILL__NUMERIC | (1u << RILL__U8))
#define RILL__BOOLS (1u << RILL__BOOL)
int rill__dt_slot(rill_dtype t); /* -1 for dtypes no math kernel handles */
/* TF's build-time error for a dtype outside `allowed` (attr `attr`, usually "T"). */
bool rill__check_dtype(rill_op *op, rill_dtype t, unsigned allowed, const char *attr);

/* Elementwise drivers. Elements above this count are split over the intra-op pool in chunks of
 * RILL__GRAIN (fixed, so results do not depend on the thread count). */
#define RILL__PARALLEL_MIN 65536
#define RILL__GRAIN 16384

typedef struct rill__binop {
  rill_bcast_run_fn run[RILL__NDT]; /* per operand dtype; NULL = not supported */
  bool bool_out;                   /* comparisons: the output is bool */
  bool int_div;                    /* integer division: a zero divisor is an error */
} rill__binop;
/* Two operands of one dtype, NumPy broadcasting; TF's error for incompatible shapes. */
bool rill__binary_infer(rill_op *op, unsigned allowed, bool bool_out);
/* Computes op(x, y) into output 0, reusing an operand's buffer when it may. */
bool rill__binary_kernel(rill_kctx *k, const rill__binop *b);

typedef void (*rill__unary_fn)(const void *x, void *y, int64_t n);
typedef struct rill__unop {
  rill__unary_fn run[RILL__NDT]; /* the output has the input's dtype */
} rill__unop;
bool rill__unary_infer(rill_op *op, unsigned allowed);
bool rill__unary_kernel(rill_kctx *k, const rill__unop *u);

/* Builders for an op with attribute T = x's dtype. */
rill_output rill__unary(rill_graph *g, const char *type, rill_output x, const char *name);
rill_output rill__binary(rill_graph *g, const char *type, rill_output x, rill_output y, const char *name);

/* TF's op name scope: pushes `name` (or `dflt`) as a name scope and returns the exact op name
 * to hand to rill_op_builder_new ("scope/Name/", malloc'd; NULL when out of memory). Constants
 * built before rill_name_scope_pop land inside it, as TF's "Sum/reduction_indices". */
char *rill__op_scope(rill_graph *g, const char *name, const char *dflt);

/* A constant int32 vector. */
rill_output rill__const_ints(rill_graph *g, const int64_t *v, int n, const char *name);

/* ---- gradient helpers ---- */
/* dx[0] = gx summed to input 0's shape and dx[1] = gy summed to input 1's shape, where gx and
 * gy have the shape of op's broadcast output (either may be RILL_NO_OUTPUT). Nothing is added
 * when the shapes are known to match; statically known broadcast axes give a constant-axes
 * Sum; otherwise TF's Shape/BroadcastGradientArgs/Sum/Reshape. */
void rill__bcast_grads(rill_graph *g, rill_op *op, rill_output gx, rill_output gy, rill_output *dx);
/* grad summed down to x's shape (x broadcast to grad's shape in the forward pass). */
rill_output rill__sum_to(rill_graph *g, rill_output grad, rill_output x);
/* dy of a reduction over const or computed axes, broadcast back to x's shape. */
rill_output rill__reduction_grad_bcast(rill_graph *g, rill_op *op, rill_output dy);
/* The reduced shape of op (a reduction of x over axes) with the reduced dims kept as 1: a
 * constant when known, else computed. */
rill_output rill__kept_shape(rill_graph *g, rill_op *op);

/* Internal builders for ops without a public builder. */
rill_output rill__broadcast_to(rill_graph *g, rill_output x, rill_output shape, const char *name);
rill_output rill__broadcast_gradient_args(rill_graph *g, rill_output s0, rill_output s1, rill_output *r1);
rill_output rill__reduce_dyn(rill_graph *g, const char *type, rill_output x, rill_output axes, bool keep_dims,
                             const char *name);
rill_output rill__elementwise_grad(rill_graph *g, const char *type, rill_output y, rill_output dy);
rill_output rill__cumulative(rill_graph *g, const char *type, rill_output x, int axis, bool exclusive, bool reverse);
rill_output rill__div_no_nan(rill_graph *g, rill_output x, rill_output y, const char *name);

/* Registration, one per file. */
void rill__register_math_binary(void);
void rill__register_math_unary(void);
void rill__register_math_compare(void);
void rill__register_math_reduce(void);
void rill__register_math_matmul(void);
void rill__register_math_scan(void);
void rill__register_math_grad_util(void);

#endif
