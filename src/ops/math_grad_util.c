/* Summing broadcast gradients back to an input's shape, and the two ops that do it at run
 * time when shapes are not known while building: BroadcastGradientArgs (which axes each
 * operand was broadcast along) and BroadcastTo (the reverse, used by reduction gradients).
 *
 * When the axes are known from the static shapes (a bias [K] against [?, K] is always summed
 * over axis 0) the gradient is a Sum with constant axes and no Shape or BroadcastGradientArgs
 * ops at all; equal fully known shapes add nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/math_internal.h"

/* Axes of the broadcast of a against b along which a was repeated, when the static shapes
 * decide it. A dim of a that is absent is always summed; one known to be > 1 (or 0) never; a
 * 1 is summed when b's dim is known to be other than 1; the rest depends on run-time values. */
static bool static_axes(rill_shape a, rill_shape b, int *axes, int *n) {
  if (a.rank < 0 || b.rank < 0) return false;
  int r = a.rank > b.rank ? a.rank : b.rank;
  *n = 0;
  for (int i = 0; i < r; i++) {
    int ia = i - (r - a.rank), ib = i - (r - b.rank);
    if (ia < 0) {
      axes[(*n)++] = i;
      continue;
    }
    int64_t da = a.dims[ia], db = ib >= 0 ? b.dims[ib] : 1;
    if (da == 0 || da > 1 || db == 1) continue;
    if (da == 1 && db >= 0) {
      axes[(*n)++] = i;
      continue;
    }
    return false; /* a's dim is 1 against an unknown one, or unknown against anything but 1 */
  }
  return true;
}

/* Whether a Reshape to s's dims (-1 for the unknown one) is determined: at most one unknown dim,
 * and none when the shape is empty (-1 cannot be inferred from zero elements). */
static bool reshape_target_ok(rill_shape s) {
  int unknown = 0;
  bool empty = false;
  for (int i = 0; i < s.rank; i++) {
    unknown += s.dims[i] < 0;
    empty |= s.dims[i] == 0;
  }
  return unknown == 0 || (unknown == 1 && !empty);
}

/* grad summed over `axes` and shaped like x (a reshape only when dropping the axes does not
 * already give x's shape). */
static rill_output sum_static(rill_graph *g, rill_output grad, const int *axes, int n, rill_output x) {
  if (n == 0) return grad;
  rill_shape xs = rill_output_shape(x), gs = rill_output_shape(grad);
  rill_output s = rill_reduce_sum(g, grad, axes, n, false, NULL);
  bool leading = n == gs.rank - xs.rank;
  for (int i = 0; i < n && leading; i++) leading = axes[i] == i;
  if (leading) return s;
  if (reshape_target_ok(xs)) return rill_reshape(g, s, xs.dims, xs.rank, NULL);
  return rill_reshape_to(g, s, rill_shape_of(g, x, RILL_INT32, NULL), NULL);
}

static bool same_known(rill_shape a, rill_shape b) {
  return rill_shape_is_fully_defined(a) && rill_shape_equal(a, b);
}

void rill__bcast_grads(rill_graph *g, rill_op *op, rill_output gx, rill_output gy, rill_output *dx) {
  rill_output x = rill_op_input(op, 0), y = rill_op_input(op, 1);
  rill_shape sx = rill_output_shape(x), sy = rill_output_shape(y);
  if (same_known(sx, sy)) {
    dx[0] = gx;
    dx[1] = gy;
    return;
  }
  int ax[RILL_MAX_RANK], ay[RILL_MAX_RANK], nx, ny;
  if (static_axes(sx, sy, ax, &nx) && static_axes(sy, sx, ay, &ny)) {
    dx[0] = gx.op ? sum_static(g, gx, ax, nx, x) : RILL_NO_OUTPUT;
    dx[1] = gy.op ? sum_static(g, gy, ay, ny, y) : RILL_NO_OUTPUT;
    return;
  }
  rill_output shx = rill_shape_of(g, x, RILL_INT32, NULL), shy = rill_shape_of(g, y, RILL_INT32, NULL), ry;
  rill_output rx = rill__broadcast_gradient_args(g, shx, shy, &ry);
  dx[0] = gx.op ? rill_reshape_to(g, rill__reduce_dyn(g, "Sum", gx, rx, false, NULL), shx, NULL) : RILL_NO_OUTPUT;
  dx[1] = gy.op ? rill_reshape_to(g, rill__reduce_dyn(g, "Sum", gy, ry, false, NULL), shy, NULL) : RILL_NO_OUTPUT;
}

rill_output rill__sum_to(rill_graph *g, rill_output grad, rill_output x) {
  rill_shape sx = rill_output_shape(x), sg = rill_output_shape(grad);
  if (same_known(sx, sg)) return grad;
  int ax[RILL_MAX_RANK], n;
  if (static_axes(sx, sg, ax, &n)) return sum_static(g, grad, ax, n, x);
  rill_output shx = rill_shape_of(g, x, RILL_INT32, NULL), rx;
  rill__broadcast_gradient_args(g, rill_shape_of(g, grad, RILL_INT32, NULL), shx, &rx);
  return rill_reshape_to(g, rill__reduce_dyn(g, "Sum", grad, rx, false, NULL), shx, NULL);
}

/* ---- reduction gradients ---- */

/* Reshape targets below use -1 for one unknown dim only when reshape_target_ok says it is
 * determined; otherwise they are computed. */

/* The reduced axes of op (a reduction) when its axes are constant and x's rank known. */
static bool const_reduced(rill_op *op, bool *red) {
  const rill_tensor *ax = rill_op_input_const(op, 1);
  int r = rill_output_shape(rill_op_input(op, 0)).rank;
  if (!ax || r < 0) return false;
  memset(red, 0, RILL_MAX_RANK * sizeof *red);
  for (int64_t i = 0; i < ax->n; i++) {
    int64_t a = ax->dtype == RILL_INT64 ? ((const int64_t *)ax->data)[i] : ((const int32_t *)ax->data)[i];
    if (a < -r || a >= r) return false;
    red[a < 0 ? a + r : a] = true;
  }
  return true;
}

rill_output rill__kept_shape(rill_graph *g, rill_op *op) {
  rill_output x = rill_op_input(op, 0);
  rill_shape xs = rill_output_shape(x);
  bool red[RILL_MAX_RANK];
  if (!const_reduced(op, red)) /* computed: the shape of the reduction with keep_dims */
    return rill_shape_of(g, rill__reduce_dyn(g, "Sum", x, rill_op_input(op, 1), true, NULL), RILL_INT32, NULL);
  rill_shape kept = xs;
  int64_t mask[RILL_MAX_RANK], ones[RILL_MAX_RANK];
  for (int d = 0; d < xs.rank; d++) {
    if (red[d]) kept.dims[d] = 1;
    mask[d] = !red[d];
    ones[d] = red[d];
  }
  if (reshape_target_ok(kept)) return rill__const_ints(g, kept.dims, kept.rank, "Const");
  /* shape(x) with the reduced dims replaced by 1 */
  rill_output sx = rill_shape_of(g, x, RILL_INT32, NULL);
  return rill_add(g, rill_mul(g, sx, rill__const_ints(g, mask, xs.rank, "Const"), NULL),
                  rill__const_ints(g, ones, xs.rank, "Const"), NULL);
}

rill_output rill__reduction_grad_bcast(rill_graph *g, rill_op *op, rill_output dy) {
  rill_output x = rill_op_input(op, 0), grad = dy;
  rill_shape xs = rill_output_shape(x);
  bool red[RILL_MAX_RANK];
  bool known = const_reduced(op, red);
  if (!rill_op_attr_bool(op, "keep_dims", false)) {
    if (known) {
      rill_shape kept = xs;
      for (int d = 0; d < xs.rank; d++)
        if (red[d]) kept.dims[d] = 1;
      if (reshape_target_ok(kept)) {
        grad = rill_reshape(g, dy, kept.dims, kept.rank, NULL);
      } else { /* put the reduced dims back one by one, lowest first */
        for (int d = 0; d < xs.rank; d++)
          if (red[d]) grad = rill_expand_dims(g, grad, d, NULL);
      }
    } else {
      grad = rill_reshape_to(g, dy, rill__kept_shape(g, op), NULL);
    }
  }
  if (rill_shape_is_fully_defined(xs)) {
    bool trivial = known;
    for (int d = 0; d < xs.rank && trivial; d++) trivial = !red[d] || xs.dims[d] == 1;
    if (trivial) return grad;
    return rill__broadcast_to(g, grad, rill__const_ints(g, xs.dims, xs.rank, "Const"), NULL);
  }
  return rill__broadcast_to(g, grad, rill_shape_of(g, x, RILL_INT32, NULL), NULL);
}

/* ---- BroadcastGradientArgs ---- */

static bool bga_infer(rill_op *op) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (!rill_op_check_same_dtype(op, 0, 2)) return false;
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__check_dtype(op, t, RILL__INTS, "T")) return false;
  for (int i = 0; i < 2; i++)
    if (rill_op_input_shape(op, i).rank > 1)
      return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", rill_op_input_shape(op, i).rank);
  rill_shape v = rill_shape_make((int64_t[]){-1}, 1);
  rill_op_set_outputs(op, 2, (rill_dtype[]){t, t}, (rill_shape[]){v, v});
  return true;
}

/* TF's BCast reduction indices: equal shapes need none; otherwise, aligned from the right
 * (missing dims are 1), a dim that is 1 in both goes to both lists and one that is 1 in only
 * one operand goes to that operand's list. */
static bool bga_kernel(rill_kctx *k) {
  rill_tensor *in[2] = {rill_k_in(k, 0), rill_k_in(k, 1)};
  int64_t s[2][RILL_MAX_RANK * 4];
  int n[2];
  for (int i = 0; i < 2; i++) {
    if (in[i]->n > RILL_MAX_RANK * 4) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "shape of rank %lld is too large", (long long)in[i]->n);
    n[i] = (int)in[i]->n;
    for (int d = 0; d < n[i]; d++)
      s[i][d] = in[i]->dtype == RILL_INT64 ? ((int64_t *)in[i]->data)[d] : ((int32_t *)in[i]->data)[d];
  }
  int r = n[0] > n[1] ? n[0] : n[1];
  int64_t out[2][RILL_MAX_RANK * 4];
  int m[2] = {0, 0};
  bool equal = n[0] == n[1] && !memcmp(s[0], s[1], (size_t)n[0] * sizeof(int64_t));
  for (int i = 0; i < r && !equal; i++) {
    int64_t a = i - (r - n[0]) >= 0 ? s[0][i - (r - n[0])] : 1, b = i - (r - n[1]) >= 0 ? s[1][i - (r - n[1])] : 1;
    if (a != b && a != 1 && b != 1) {
      char sa[256] = "[", sb[256] = "[";
      for (int j = 0; j < n[0]; j++) snprintf(sa + strlen(sa), sizeof sa - strlen(sa), "%s%lld", j ? "," : "", (long long)s[0][j]);
      for (int j = 0; j < n[1]; j++) snprintf(sb + strlen(sb), sizeof sb - strlen(sb), "%s%lld", j ? "," : "", (long long)s[1][j]);
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Incompatible shapes: %s] vs. %s]", sa, sb);
    }
    if (a == 1) out[0][m[0]++] = i;
    if (b == 1) out[1][m[1]++] = i;
  }
  for (int o = 0; o < 2; o++) {
    rill_tensor *t = rill_k_alloc(k, o, in[0]->dtype, rill_shape_make((int64_t[]){m[o]}, 1));
    if (!t) return false;
    for (int j = 0; j < m[o]; j++) {
      if (t->dtype == RILL_INT64)
        ((int64_t *)t->data)[j] = out[o][j];
      else
        ((int32_t *)t->data)[j] = (int32_t)out[o][j];
    }
  }
  return true;
}

rill_output rill__broadcast_gradient_args(rill_graph *g, rill_output s0, rill_output s1, rill_output *r1) {
  rill_op_builder *b = rill_op_builder_new(g, "BroadcastGradientArgs", NULL);
  rill_op_builder_add_input(b, s0);
  rill_op_builder_add_input(b, s1);
  rill_op_builder_attr_type(b, "T", s0.op ? rill_output_dtype(s0) : RILL_INT32);
  rill_op *op = rill_op_builder_finish(b);
  *r1 = op ? rill_op_output(op, 1) : RILL_NO_OUTPUT;
  return op ? rill_op_output(op, 0) : RILL_NO_OUTPUT;
}

/* ---- BroadcastTo ---- */

/* The static value of a shape vector: a Const's values, or Shape(t)'s static shape. */
static rill_shape shape_input(rill_op *op, int i) {
  rill_output o = rill_op_input(op, i);
  const rill_tensor *c = rill_op_input_const(op, i);
  rill_shape s = rill_shape_unknown();
  if (c && c->shape.rank == 1 && c->n <= RILL_MAX_RANK) {
    s = rill_shape_make(NULL, 0);
    s.rank = (int)c->n;
    for (int d = 0; d < s.rank; d++) {
      int64_t v = c->dtype == RILL_INT64 ? ((const int64_t *)c->data)[d] : ((const int32_t *)c->data)[d];
      s.dims[d] = v < 0 ? -1 : v;
    }
    return s;
  }
  if (!strcmp(o.op->def->type, "Shape")) return rill_output_shape(o.op->inputs[0]);
  rill_shape vs = rill_output_shape(o);
  if (vs.rank == 1 && vs.dims[0] >= 0 && vs.dims[0] <= RILL_MAX_RANK) {
    s = rill_shape_make(NULL, 0);
    s.rank = (int)vs.dims[0];
    for (int d = 0; d < s.rank; d++) s.dims[d] = -1;
  }
  return s;
}

static bool bto_infer(rill_op *op) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (!rill__check_dtype(op, rill_op_input_dtype(op, 1), RILL__INTS, "Tidx")) return false;
  rill_shape target = shape_input(op, 1), xs = rill_op_input_shape(op, 0), b;
  if (target.rank >= 0 && xs.rank > target.rank)
    return rill_op_shape_error(op, "Rank of input (%d) must be no greater than rank of output shape (%d)", xs.rank,
                               target.rank);
  if (target.rank >= 0 && xs.rank >= 0) {
    if (!rill_broadcast_shapes(xs, target, &b))
      return rill_op_shape_error(op, "Incompatible shapes for broadcasting");
    for (int d = 0; d < target.rank; d++)
      if (target.dims[d] < 0) target.dims[d] = b.dims[d];
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 0), target);
  return true;
}

#define COPY_RUN(NAME, T)                                                                  \
  static void NAME(const void *xv, const void *yv, void *zv, int64_t n, int xs, int ys) { \
    (void)yv;                                                                             \
    (void)ys;                                                                             \
    const T *x = xv;                                                                      \
    T *z = zv;                                                                            \
    if (xs)                                                                               \
      memcpy(z, x, (size_t)n * sizeof(T));                                               \
    else                                                                                  \
      for (int64_t i = 0; i < n; i++) z[i] = x[0];                                        \
  }
COPY_RUN(copy1, uint8_t)
COPY_RUN(copy4, uint32_t)
COPY_RUN(copy8, uint64_t)

static bool bto_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *sh = rill_k_in(k, 1);
  if (sh->shape.rank != 1 || sh->n > RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "shape must be a vector of at most %d dims", RILL_MAX_RANK);
  rill_shape target = rill_shape_make(NULL, 0), out;
  target.rank = (int)sh->n;
  for (int d = 0; d < target.rank; d++) {
    target.dims[d] = sh->dtype == RILL_INT64 ? ((int64_t *)sh->data)[d] : ((int32_t *)sh->data)[d];
    if (target.dims[d] < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "negative dimension in shape");
  }
  rill_bcast p;
  char a[160], b[160];
  if (x->shape.rank > target.rank || !rill_bcast_plan(x->shape, target, &out, &p) || !rill_shape_equal(out, target))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Unable to broadcast tensor of shape %s to tensor of shape %s",
                       rill_shape_dbg(x->shape, a, sizeof a), rill_shape_dbg(target, b, sizeof b));
  if (rill_shape_equal(x->shape, target)) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  size_t es = rill_dtype_size(x->dtype);
  rill_bcast_run_fn fn = es == 1 ? copy1 : es == 4 ? copy4 : es == 8 ? copy8 : NULL;
  if (!fn) return rill_k_fail(k, RILL_UNIMPLEMENTED, "BroadcastTo of %s is not supported", rill_dtype_name(x->dtype));
  rill_tensor *z = rill_k_alloc(k, 0, x->dtype, target);
  if (!z) return false;
  rill_bcast_rows(&p, x->data, es, NULL, 0, z->data, es, 0, p.rows, fn);
  return true;
}

static void bto_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = rill__sum_to(g, dy[0], rill_op_input(op, 0));
}

rill_output rill__broadcast_to(rill_graph *g, rill_output x, rill_output shape, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "BroadcastTo", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, shape);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tidx", shape.op ? rill_output_dtype(shape) : RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

static const rill_op_def defs[] = {
    {.type = "BroadcastGradientArgs", .infer = bga_infer, .kernel = bga_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
    {.type = "BroadcastTo", .infer = bto_infer, .kernel = bto_kernel, .grad = bto_grad},
};

void rill__register_math_grad_util(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}
