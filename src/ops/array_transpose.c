/* Transpose, and tf.tensordot built from transpose, reshape and matmul as TF builds it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/array_internal.h"

static bool transpose_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), ps = rill_op_input_shape(op, 1);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "Transpose's perm must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  const rill_tensor *perm = rill_op_input_const(op, 1);
  int64_t perm_n = ps.rank == 1 ? ps.dims[0] : -1;
  if (in.rank < 0 && perm_n < 0 && !perm) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  int64_t rank = in.rank >= 0 ? in.rank : perm_n >= 0 ? perm_n : perm->n;
  if (in.rank < 0 && rank < 2) {
    /* one perm entry is ambiguous: a scalar or a vector, both returned unchanged */
    rill_op_set_output(op, t, in);
    return true;
  }
  if (in.rank >= 0 && in.rank != rank)
    return rill_op_shape_error(op, "Shape must be rank %" PRId64 " but is rank %d", rank, in.rank);
  if (ps.rank >= 0 && ps.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", ps.rank);
  if (perm_n >= 0 && perm_n != rank)
    return rill_op_shape_error(op, "Dimension must be %" PRId64 " but is %" PRId64, rank, perm_n);
  if (rank > RILL_MAX_RANK) return rill_op_shape_error(op, "Transpose of rank %" PRId64 " is not supported", rank);
  rill_shape out = rill_shape_scalar();
  out.rank = (int)rank;
  for (int i = 0; i < out.rank; i++) {
    out.dims[i] = -1;
    if (!perm) continue;
    int64_t p = rill__ival(perm, i);
    if (p >= rank || p <= -rank)
      return rill__array_error(op, 1u << 1, 0, "perm dim %" PRId64 " is out of range of input rank %" PRId64, p, rank);
    if (in.rank >= 0) out.dims[i] = in.dims[p < 0 ? p + rank : p];
  }
  rill_op_set_output(op, t, out);
  return true;
}

static bool transpose_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *pt = rill_k_in(k, 1);
  int rank = x->shape.rank;
  char b[160];
  if (pt->shape.rank != 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "perm must be a vector, not %s", rill_shape_dbg(pt->shape, b, sizeof b));
  if (pt->n != rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "transpose expects a vector of size %d. But input(1) is a vector of size %" PRId64,
                       rank, pt->n);
  int perm[RILL_MAX_RANK];
  bool seen[RILL_MAX_RANK] = {false};
  for (int i = 0; i < rank; i++) {
    int64_t d = rill__ival(pt, i);
    if (d < 0) d += rank;
    if (d < 0 || d >= rank)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%" PRId64 " is out of range [0 .. %d)", rill__ival(pt, i), rank);
    perm[i] = (int)d;
    seen[d] = true;
  }
  for (int i = 0; i < rank; i++) {
    if (seen[i]) continue;
    size_t used = 0;
    for (int j = 0; j < rank && used < sizeof b; j++)
      used += (size_t)snprintf(b + used, sizeof b - used, "%s%" PRId64, j ? "," : "", rill__ival(pt, j));
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%d is missing from {%s}.", i, b);
  }
  rill_shape s = x->shape;
  int64_t xs[RILL_MAX_RANK];
  rill__strides(x->shape, xs);
  /* a permutation that keeps the order of the dims larger than 1 moves no data */
  int last = -1;
  bool moves = false;
  for (int i = 0; i < rank; i++) {
    s.dims[i] = x->shape.dims[perm[i]];
    if (s.dims[i] == 1) continue;
    moves |= perm[i] < last;
    last = perm[i];
  }
  if (!moves) {
    rill_tensor *v = rill__tensor_view(x, s);
    if (!v) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
    rill_k_set_out(k, 0, v);
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, s);
  if (!o) return false;
  rill__copy c = {.rank = rank};
  rill__strides(s, c.dstride);
  for (int i = 0; i < rank; i++) {
    c.shape[i] = s.dims[i];
    c.sstride[i] = xs[perm[i]];
  }
  return rill__copy_run(k, o, x, &c);
}

/* tf.transpose with a constant perm: "transpose/perm" feeding "transpose". */
static rill_output transpose_const(rill_graph *g, rill_output x, const int64_t *perm, int rank, const char *name) {
  rill_name_scope_push(g, name ? name : "transpose");
  rill_output pt = rill__const_index(g, perm, rank, false, "perm");
  rill_output o = rill__transpose_t(g, x, pt, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}

/* The gradient of a transpose is the transpose by the inverse permutation. */
static void transpose_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  const rill_tensor *pt = rill_op_input_const(op, 1);
  if (pt && pt->n <= RILL_MAX_RANK) {
    int64_t inv[RILL_MAX_RANK];
    int64_t n = pt->n;
    for (int64_t i = 0; i < n; i++) {
      int64_t p = rill__ival(pt, i);
      inv[p < 0 ? p + n : p] = i;
    }
    dx[0] = transpose_const(g, dy[0], inv, (int)n, NULL);
    return;
  }
  rill_op_builder *b = rill_op_builder_new(g, "InvertPermutation", NULL);
  rill_op_builder_add_input(b, op->inputs[1]);
  rill_op_builder_attr_type(b, "T", rill_op_input_dtype(op, 1));
  dx[0] = rill__transpose_t(g, dy[0], rill_op_output(rill_op_builder_finish(b), 0), "transpose");
}

static bool invert_permutation_infer(rill_op *op) {
  rill_shape s = rill_op_input_shape(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 0)))
    return rill_op_shape_error(op, "InvertPermutation takes int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 0)));
  if (s.rank >= 0 && s.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", s.rank);
  rill_op_set_output(op, rill_op_input_dtype(op, 0), s.rank < 0 ? rill_shape_make((int64_t[]){-1}, 1) : s);
  return true;
}

static bool invert_permutation_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  if (x->shape.rank != 1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "invert_permutation expects a 1D vector.");
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, x->shape);
  if (!o) return false;
  int64_t n = x->n;
  for (int64_t i = 0; i < n; i++) {
    if (o->dtype == RILL_INT32)
      ((int32_t *)o->data)[i] = -1;
    else
      ((int64_t *)o->data)[i] = -1;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t d = rill__ival(x, i);
    if (d < 0 || d >= n) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%" PRId64 " is not between 0 and %" PRId64, d, n);
    if (rill__ival(o, d) != -1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%" PRId64 " is duplicated in the input.", d);
    if (o->dtype == RILL_INT32)
      ((int32_t *)o->data)[d] = (int32_t)i;
    else
      ((int64_t *)o->data)[d] = i;
  }
  return true;
}

static const rill_op_def transpose_def = {.type = "Transpose", .infer = transpose_infer, .kernel = transpose_kernel,
                                          .grad = transpose_grad};

static const rill_op_def invert_permutation_def = {.type = "InvertPermutation", .infer = invert_permutation_infer,
                                                   .kernel = invert_permutation_kernel,
                                                   .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill__register_array_transpose_ops(void) {
  rill_register_op(&transpose_def);
  rill_register_op(&invert_permutation_def);
}

rill_output rill__transpose_t(rill_graph *g, rill_output x, rill_output perm, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Transpose", name ? name : "transpose");
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, perm);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tperm", rill_output_dtype(perm));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_transpose(rill_graph *g, rill_output x, const int *perm, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "transpose")) return RILL_NO_OUTPUT;
  int rank = rill_output_shape(x).rank;
  if (!perm && rank < 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "transpose: the default perm needs a known rank");
    return RILL_NO_OUTPUT;
  }
  if (rank < 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "transpose: perm needs a known rank");
    return RILL_NO_OUTPUT;
  }
  int64_t p[RILL_MAX_RANK];
  for (int i = 0; i < rank; i++) p[i] = perm ? perm[i] : rank - 1 - i;
  return transpose_const(g, x, p, rank, name);
}

/* ---- tensordot ---- */

typedef struct td_side {
  int rank;
  int free[RILL_MAX_RANK], nfree, axes[RILL_MAX_RANK];
  int64_t free_dims[RILL_MAX_RANK];
  bool free_known, axes_known;
  int64_t prod_free, prod_axes;
} td_side;

static bool td_prepare(rill_graph *g, rill_output x, const int *axes, int n, td_side *s) {
  rill_shape sh = rill_output_shape(x);
  if (sh.rank < 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tensordot: operands need a known rank");
    return false;
  }
  s->rank = sh.rank;
  bool used[RILL_MAX_RANK] = {false};
  s->axes_known = s->free_known = true;
  s->prod_axes = s->prod_free = 1;
  for (int i = 0; i < n; i++) {
    int a = axes[i] < 0 ? axes[i] + sh.rank : axes[i];
    if (a < 0 || a >= sh.rank || used[a]) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tensordot: axis %d is %s for a tensor of rank %d", axes[i],
                           (a >= 0 && a < sh.rank) ? "repeated" : "out of range", sh.rank);
      return false;
    }
    used[a] = true;
    s->axes[i] = a;
    if (sh.dims[a] < 0)
      s->axes_known = false;
    else
      s->prod_axes *= sh.dims[a];
  }
  s->nfree = 0;
  for (int i = 0; i < sh.rank; i++) {
    if (used[i]) continue;
    s->free_dims[s->nfree] = sh.dims[i];
    s->free[s->nfree++] = i;
    if (sh.dims[i] < 0)
      s->free_known = false;
    else
      s->prod_free *= sh.dims[i];
  }
  return true;
}

/* The product of x's dims at idx as a run-time scalar. */
static rill_output td_prod(rill_graph *g, rill_output shape, const int *idx, int n) {
  int64_t v[RILL_MAX_RANK];
  for (int i = 0; i < n; i++) v[i] = idx[i];
  rill_output d = rill_gather(g, shape, rill__const_index(g, v, n, false, "Const"), 0, NULL);
  int axis0 = 0;
  return rill_reduce_prod(g, d, &axis0, 1, false, NULL);
}

/* TF's _tensordot_reshape: x transposed to (free, axes) -- (axes, free) when flipped -- and
 * flattened to a matrix. */
static rill_output td_reshape(rill_graph *g, rill_output x, const td_side *s, int n, bool flipped) {
  int64_t perm[RILL_MAX_RANK];
  int k = 0;
  if (flipped)
    for (int i = 0; i < n; i++) perm[k++] = s->axes[i];
  for (int i = 0; i < s->nfree; i++) perm[k++] = s->free[i];
  if (!flipped)
    for (int i = 0; i < n; i++) perm[k++] = s->axes[i];
  bool identity = true;
  for (int i = 0; i < s->rank; i++) identity &= perm[i] == i;
  rill_output xt = x;
  if (!identity) xt = transpose_const(g, x, perm, s->rank, NULL);
  int64_t pf = s->free_known ? s->prod_free : -1, pa = s->axes_known ? s->prod_axes : -1;
  if (pf >= 0 || pa >= 0) {
    int64_t shape[2] = {flipped ? pa : pf, flipped ? pf : pa};
    rill_shape cur = rill_output_shape(xt);
    if (cur.rank == 2 && cur.dims[0] == shape[0] && cur.dims[1] == shape[1] && shape[0] >= 0 && shape[1] >= 0)
      return xt;
    return rill_reshape(g, xt, shape, 2, NULL);
  }
  rill_output sh = rill_shape_of(g, x, RILL_INT32, NULL);
  rill_output p[2] = {td_prod(g, sh, s->free, s->nfree), td_prod(g, sh, s->axes, n)};
  if (flipped) {
    rill_output t = p[0];
    p[0] = p[1];
    p[1] = t;
  }
  return rill_reshape_to(g, xt, rill_stack(g, p, 2, 0, NULL), NULL);
}

/* The free dims of x as a vector tensor: constant when known, else gathered from its shape. */
static rill_output td_free_dims(rill_graph *g, rill_output x, const td_side *s) {
  if (s->free_known) return rill__const_index(g, s->free_dims, s->nfree, false, "Const");
  int64_t v[RILL_MAX_RANK];
  for (int i = 0; i < s->nfree; i++) v[i] = s->free[i];
  return rill_gather(g, rill_shape_of(g, x, RILL_INT32, NULL), rill__const_index(g, v, s->nfree, false, "free"), 0,
                     NULL);
}

rill_output rill_tensordot(rill_graph *g, rill_output a, rill_output b, const int *axes_a, const int *axes_b, int n,
                           const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, a, "Tensordot") || !rill__check_input(g, b, "Tensordot"))
    return RILL_NO_OUTPUT;
  td_side sa, sb;
  if (n < 0 || (n > 0 && (!axes_a || !axes_b))) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tensordot: bad axes (%d pairs)", n);
    return RILL_NO_OUTPUT;
  }
  if (!td_prepare(g, a, axes_a, n, &sa) || !td_prepare(g, b, axes_b, n, &sb)) return RILL_NO_OUTPUT;
  if (sa.nfree + sb.nfree > RILL_MAX_RANK) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tensordot: result rank %d exceeds %d", sa.nfree + sb.nfree,
                         RILL_MAX_RANK);
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "Tensordot");
  char *scope = rill__strdup(rill_name_scope(g));
  rill_output ar = td_reshape(g, a, &sa, n, false);
  rill_output br = td_reshape(g, b, &sb, n, true);
  rill_output ab = rill_matmul(g, ar, br, false, false, NULL);
  rill_output out = RILL_NO_OUTPUT;
  if (sa.free_known && sb.free_known) {
    int64_t dims[RILL_MAX_RANK];
    int r = 0;
    for (int i = 0; i < sa.nfree; i++) dims[r++] = sa.free_dims[i];
    for (int i = 0; i < sb.nfree; i++) dims[r++] = sb.free_dims[i];
    rill_shape want = rill_shape_make(dims, r), have = rill_output_shape(ab);
    out = rill_shape_equal(want, have) ? ab : rill_reshape(g, ab, dims, r, scope);
  } else {
    rill_output parts[2] = {td_free_dims(g, a, &sa), td_free_dims(g, b, &sb)};
    rill_output shape = rill_concat(g, parts, 2, 0, NULL);
    out = rill_reshape_to(g, ab, shape, scope);
  }
  free(scope);
  rill_name_scope_pop(g);
  return out;
}
