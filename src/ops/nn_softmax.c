/* Softmax, LogSoftmax and the fused cross-entropy ops SoftmaxCrossEntropyWithLogits and
 * SparseSoftmaxCrossEntropyWithLogits (loss and backprop in one pass, like TF's), with their
 * builders and gradients.
 *
 * Every kernel works row by row over the last axis, shifting by the row maximum so that large
 * logits never overflow; float32 rows accumulate their sums in double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/nn_ops.h"

RILL_NN_VECTORIZE

static int64_t row_grain(int64_t cols) { return cols >= RILL_NN_GRAIN ? 1 : RILL_NN_GRAIN / (cols ? cols : 1); }

/* ---- kernels ---- */

typedef struct row_job {
  const void *x;       /* logits [rows, cols] */
  const void *labels;  /* dense: [rows, cols] of x's type; sparse: [rows] int32/int64 */
  bool labels64;
  void *y;             /* softmax / log-softmax, or the backprop */
  void *loss;          /* [rows] (cross entropy only) */
  int64_t cols;
  int mode;            /* SOFTMAX, LOG_SOFTMAX, XENT, SPARSE_XENT */
} row_job;

enum { SOFTMAX, LOG_SOFTMAX, XENT, SPARSE_XENT };

#define DEFINE_ROWS(T, SUF, EXP, LOG)                                                          \
  static void rows_##SUF(void *arg, int64_t b, int64_t e) {                                    \
    const row_job *j = arg;                                                                    \
    const int64_t n = j->cols;                                                                 \
    for (int64_t r = b; r < e; r++) {                                                          \
      const T *x = (const T *)j->x + r * n;                                                    \
      T *y = (T *)j->y + r * n;                                                                \
      T m = x[0];                                                                              \
      for (int64_t c = 1; c < n; c++) m = x[c] > m ? x[c] : m;                                 \
      double s = 0;                                                                            \
      if (j->mode == LOG_SOFTMAX) {                                                            \
        for (int64_t c = 0; c < n; c++) s += EXP(x[c] - m);                                    \
        T ls = (T)LOG(s);                                                                      \
        for (int64_t c = 0; c < n; c++) y[c] = (x[c] - m) - ls;                                \
        continue;                                                                              \
      }                                                                                        \
      /* y may alias x (in place): each element is read before it is written */                \
      double dot = 0;                                                                          \
      int64_t label = -1;                                                                      \
      if (j->mode == XENT) {                                                                   \
        const T *l = (const T *)j->labels + r * n;                                             \
        for (int64_t c = 0; c < n; c++) dot += (double)l[c] * (double)(x[c] - m);              \
      } else if (j->mode == SPARSE_XENT) {                                                     \
        label = j->labels64 ? ((const int64_t *)j->labels)[r] : ((const int32_t *)j->labels)[r]; \
        dot = (double)(x[label] - m);                                                          \
      }                                                                                        \
      for (int64_t c = 0; c < n; c++) {                                                        \
        T v = EXP(x[c] - m);                                                                   \
        y[c] = v;                                                                              \
        s += v;                                                                                \
      }                                                                                        \
      const T ts = (T)s;                                                                       \
      for (int64_t c = 0; c < n; c++) y[c] = y[c] / ts;                                        \
      if (j->mode == XENT) {                                                                   \
        const T *l = (const T *)j->labels + r * n;                                             \
        double lsum = 0;                                                                       \
        for (int64_t c = 0; c < n; c++) {                                                      \
          lsum += l[c];                                                                        \
          y[c] -= l[c];                                                                        \
        }                                                                                      \
        /* -sum(l * log_softmax) = sum(l) * log(s) - sum(l * (x - m)) */                       \
        ((T *)j->loss)[r] = (T)(lsum * log(s) - dot);                                          \
      } else if (j->mode == SPARSE_XENT) {                                                     \
        y[label] -= 1;                                                                         \
        ((T *)j->loss)[r] = (T)(log(s) - dot);                                                 \
      }                                                                                        \
    }                                                                                          \
  }

DEFINE_ROWS(float, f32, expf, log)
DEFINE_ROWS(double, f64, exp, log)

static bool run_rows(rill_kctx *k, row_job *j, rill_dtype dt, int64_t rows) {
  if (dt != RILL_FLOAT && dt != RILL_DOUBLE)
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "%s has no kernel for %s", rill_op_type(rill_k_op(k)),
                       rill_dtype_name(dt));
  if (j->cols == 0) return true;
  /* an exp per element: worth threads sooner than an add */
  rill__nn_parallel(k, rows, row_grain(j->cols), 4 * rows * j->cols, dt == RILL_FLOAT ? rows_f32 : rows_f64, j);
  return true;
}

static bool softmax_kernel_mode(rill_kctx *k, int mode) {
  rill_tensor *x = rill_k_in(k, 0);
  if (x->shape.rank < 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "logits must have >= 1 dimension, got []");
  rill_tensor *y = rill_k_forward_input(k, 0, 0);
  if (!y && !(y = rill_k_alloc(k, 0, x->dtype, x->shape))) return false;
  int64_t cols = x->shape.dims[x->shape.rank - 1];
  row_job j = {.x = x->data, .y = y->data, .cols = cols, .mode = mode};
  return run_rows(k, &j, x->dtype, cols ? x->n / cols : 0);
}

static bool softmax_kernel(rill_kctx *k) { return softmax_kernel_mode(k, SOFTMAX); }
static bool log_softmax_kernel(rill_kctx *k) { return softmax_kernel_mode(k, LOG_SOFTMAX); }

static bool check_matrix(rill_kctx *k, const rill_tensor *t, const char *what) {
  if (t->shape.rank == 2) return true;
  char s[128];
  return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s must be 2-dimensional, but got shape %s", what,
                     rill_shape_dbg(t->shape, s, sizeof s));
}

static bool xent_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *l = rill_k_in(k, 1);
  if (!check_matrix(k, x, "logits") || !check_matrix(k, l, "labels")) return false;
  if (!rill_shape_equal(x->shape, l->shape)) {
    char a[128], b[128];
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "logits and labels must be same size: logits_size=%s labels_size=%s",
                       rill_shape_dbg(x->shape, a, sizeof a), rill_shape_dbg(l->shape, b, sizeof b));
  }
  int64_t rows = x->shape.dims[0];
  rill_tensor *loss = rill_k_alloc(k, 0, x->dtype, RILL_SHAPE(rows));
  rill_tensor *bp = loss ? rill_k_forward_input(k, 0, 1) : NULL;
  if (!loss || (!bp && !(bp = rill_k_alloc(k, 1, x->dtype, x->shape)))) return false;
  row_job j = {.x = x->data, .labels = l->data, .y = bp->data, .loss = loss->data, .cols = x->shape.dims[1],
               .mode = XENT};
  return run_rows(k, &j, x->dtype, rows);
}

static bool sparse_xent_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *l = rill_k_in(k, 1);
  if (!check_matrix(k, x, "logits")) return false;
  int64_t rows = x->shape.dims[0], cols = x->shape.dims[1];
  if (l->shape.rank != 1 || l->shape.dims[0] != rows) {
    char a[128], b[128];
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "logits and labels must have the same first dimension, got logits shape %s and labels shape %s",
                       rill_shape_dbg(x->shape, a, sizeof a), rill_shape_dbg(l->shape, b, sizeof b));
  }
  bool l64 = l->dtype == RILL_INT64;
  for (int64_t r = 0; r < rows; r++) {
    int64_t v = l64 ? ((int64_t *)l->data)[r] : ((int32_t *)l->data)[r];
    if (v >= 0 && v < cols) continue;
    char vals[512];
    size_t used = 0;
    for (int64_t i = 0; i < rows && used + 24 < sizeof vals; i++)
      used += (size_t)snprintf(vals + used, sizeof vals - used, "%s%lld", i ? " " : "",
                               (long long)(l64 ? ((int64_t *)l->data)[i] : ((int32_t *)l->data)[i]));
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Received a label value of %lld which is outside the valid range of [0, %lld).  Label values: %s",
                       (long long)v, (long long)cols, vals);
  }
  rill_tensor *loss = rill_k_alloc(k, 0, x->dtype, RILL_SHAPE(rows));
  rill_tensor *bp = loss ? rill_k_forward_input(k, 0, 1) : NULL;
  if (!loss || (!bp && !(bp = rill_k_alloc(k, 1, x->dtype, x->shape)))) return false;
  row_job j = {.x = x->data, .labels = l->data, .labels64 = l64, .y = bp->data, .loss = loss->data, .cols = cols,
               .mode = SPARSE_XENT};
  return run_rows(k, &j, x->dtype, rows);
}

/* ---- shape functions ---- */

static bool softmax_infer(rill_op *op) {
  rill_shape s = rill_op_input_shape(op, 0);
  if (!rill__nn_check_type(op, rill_op_input_dtype(op, 0), false)) return false;
  if (s.rank == 0) return rill_op_shape_error(op, "Shape must be at least rank 1 but is rank 0");
  rill_op_set_output(op, rill_op_input_dtype(op, 0), s);
  return true;
}

static bool require_rank(rill_op *op, rill_shape s, int rank) {
  if (s.rank < 0 || s.rank == rank) return true;
  return rill_op_shape_error(op, "Shape must be rank %d but is rank %d", rank, s.rank);
}

static bool xent_infer(rill_op *op) {
  if (!rill_op_check_same_dtype(op, 0, 2) || !rill__nn_check_type(op, rill_op_input_dtype(op, 0), false)) return false;
  rill_shape a = rill_op_input_shape(op, 0), b = rill_op_input_shape(op, 1), s;
  if (!require_rank(op, a, 2) || !require_rank(op, b, 2) || !rill__nn_merge_shapes(op, a, b, &s)) return false;
  if (s.rank < 0) s = RILL_SHAPE(-1, -1);
  rill_dtype dt[2] = {rill_op_input_dtype(op, 0), rill_op_input_dtype(op, 0)};
  rill_shape shapes[2] = {RILL_SHAPE(s.dims[0]), s};
  rill_op_set_outputs(op, 2, dt, shapes);
  return true;
}

static bool sparse_xent_infer(rill_op *op) {
  if (!rill__nn_check_type(op, rill_op_input_dtype(op, 0), false)) return false;
  rill_dtype lt = rill_op_input_dtype(op, 1);
  if (lt != RILL_INT32 && lt != RILL_INT64)
    return rill_op_shape_error(op, "Value for attr 'Tlabels' of %s is not in the list of allowed values: int32, int64",
                               rill_dtype_name(lt));
  rill_shape a = rill_op_input_shape(op, 0), b = rill_op_input_shape(op, 1);
  if (!require_rank(op, a, 2) || !require_rank(op, b, 1)) return false;
  if (a.rank < 0) a = RILL_SHAPE(-1, -1);
  int64_t batch = a.dims[0];
  if (b.rank == 1 && b.dims[0] >= 0) {
    if (batch >= 0 && batch != b.dims[0])
      return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)batch,
                                 (long long)b.dims[0]);
    batch = b.dims[0];
  }
  a.dims[0] = batch;
  rill_dtype dt[2] = {rill_op_input_dtype(op, 0), rill_op_input_dtype(op, 0)};
  rill_shape shapes[2] = {RILL_SHAPE(batch), a};
  rill_op_set_outputs(op, 2, dt, shapes);
  return true;
}

/* ---- gradients ---- */

static const int last_axis[1] = {-1};

static void softmax_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output y = rill_op_output(op, 0);
  rill_output sum = rill_reduce_sum(g, rill_mul(g, dy[0], y, NULL), last_axis, 1, true, NULL);
  dx[0] = rill_mul(g, rill_sub(g, dy[0], sum, NULL), y, NULL);
}

static void log_softmax_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output sm = rill_exp(g, rill_op_output(op, 0), NULL);
  dx[0] = rill_sub(g, dy[0], rill_mul(g, rill_reduce_sum(g, dy[0], last_axis, 1, true, NULL), sm, NULL), NULL);
}

/* vec [B] times mat [B, C], row by row (TF's _BroadcastMul). */
static rill_output broadcast_mul(rill_graph *g, rill_output vec, rill_output mat) {
  return rill_mul(g, rill_expand_dims(g, vec, -1, NULL), mat, NULL);
}

/* The gradient of both cross-entropy ops for the logits: the loss's gradient scales the
 * backprop output; a gradient arriving at the backprop output (second order) goes through
 * the softmax Jacobian. Returns RILL_NO_OUTPUT when neither output has one. */
static rill_output xent_logits_grad(rill_graph *g, rill_op *op, const rill_output *dy) {
  rill_output grad = dy[0].op ? broadcast_mul(g, dy[0], rill_op_output(op, 1)) : RILL_NO_OUTPUT;
  if (dy[1].op) {
    rill_output sm = rill_softmax(g, rill_op_input(op, 0), NULL);
    rill_output proj = rill_reduce_sum(g, rill_mul(g, dy[1], sm, NULL), last_axis, 1, true, NULL);
    rill_output hess = rill_mul(g, rill_sub(g, dy[1], proj, NULL), sm, NULL);
    grad = grad.op ? rill_add(g, grad, hess, NULL) : hess;
  }
  return grad;
}

/* The labels get the loss's gradient only: like TF's nn_grad.py, a gradient arriving at the
 * backprop output (second order) is not passed on to the labels, though backprop depends on
 * them (softmax - labels). TF then multiplies a zero loss gradient: the labels get zeros. */
static void xent_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = xent_logits_grad(g, op, dy);
  if (dy[0].op)
    dx[1] = broadcast_mul(g, dy[0], rill_neg(g, rill_log_softmax(g, rill_op_input(op, 0), NULL), NULL));
  else
    dx[1] = rill_zeros_like(g, rill_op_input(op, 1), NULL);
}

static void sparse_xent_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  dx[0] = xent_logits_grad(g, op, dy);
}

static const rill_op_def defs[] = {
    {.type = "Softmax", .infer = softmax_infer, .kernel = softmax_kernel, .grad = softmax_grad},
    {.type = "LogSoftmax", .infer = softmax_infer, .kernel = log_softmax_kernel, .grad = log_softmax_grad},
    {.type = "SoftmaxCrossEntropyWithLogits", .infer = xent_infer, .kernel = xent_kernel, .grad = xent_grad},
    {.type = "SparseSoftmaxCrossEntropyWithLogits", .infer = sparse_xent_infer, .kernel = sparse_xent_kernel,
     .grad = sparse_xent_grad},
};

void rill__register_nn_softmax_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

/* ---- builders ---- */

rill_output rill_softmax(rill_graph *g, rill_output logits, const char *name) {
  return rill__nn_op(g, "Softmax", &logits, 1, name);
}

rill_output rill_log_softmax(rill_graph *g, rill_output logits, const char *name) {
  return rill__nn_op(g, "LogSoftmax", &logits, 1, name);
}

static rill_op *xent_op(rill_graph *g, const char *type, rill_output logits, rill_output labels, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, logits);
  rill_op_builder_add_input(b, labels);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(logits));
  if (!strcmp(type, "SparseSoftmaxCrossEntropyWithLogits"))
    rill_op_builder_attr_type(b, "Tlabels", rill_output_dtype(labels));
  return rill_op_builder_finish(b);
}

/* [d0, ..., dn-1] -> [-1, dn-1]: the 2-D view the fused ops need. */
static rill_output to_matrix(rill_graph *g, rill_output x, int64_t classes) {
  const int64_t dims[2] = {-1, classes};
  return rill_reshape(g, x, dims, 2, NULL);
}

/* Reshapes the [N] cost back to `lead` (the leading dims of the logits: static or computed). */
static rill_output restore_lead(rill_graph *g, rill_output cost, rill_shape lead, rill_output lead_t) {
  if (rill_shape_is_fully_defined(lead)) return rill_reshape(g, cost, lead.dims, lead.rank, NULL);
  return rill_reshape_to(g, cost, lead_t, NULL);
}

rill_output rill_softmax_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                    const char *name) {
  if (!rill__check_input(g, labels, "softmax_cross_entropy_with_logits") ||
      !rill__check_input(g, logits, "softmax_cross_entropy_with_logits"))
    return RILL_NO_OUTPUT;
  rill_shape ls = rill_output_shape(logits);
  if (ls.rank < 1 || ls.dims[ls.rank - 1] < 0) {
    char s[128];
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "softmax_cross_entropy_with_logits: logits need a known rank >= 1 and a known class "
                         "dimension, got shape %s",
                         rill_shape_dbg(ls, s, sizeof s));
    return RILL_NO_OUTPUT;
  }
  if (!rill__nn_compatible(ls, rill_output_shape(labels))) {
    char a[128], b[128];
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "softmax_cross_entropy_with_logits: logits and labels must have the same shape (%s vs %s)",
                         rill_shape_str(ls, a, sizeof a), rill_shape_str(rill_output_shape(labels), b, sizeof b));
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "softmax_cross_entropy_with_logits");
  char *scope = rill__strdup(rill_name_scope(g));
  /* TF casts the labels to the logits' type */
  if (rill_output_dtype(labels) != rill_output_dtype(logits)) labels = rill_cast(g, labels, rill_output_dtype(logits), NULL);
  rill_output cost;
  if (ls.rank == 2) {
    cost = rill_op_output(xent_op(g, "SoftmaxCrossEntropyWithLogits", logits, labels, scope), 0);
  } else {
    rill_shape lead = ls;
    lead.rank--;
    int64_t begin = 0, size = lead.rank;
    rill_output lead_t = rill_shape_is_fully_defined(lead)
                             ? RILL_NO_OUTPUT
                             : rill_slice(g, rill_shape_of(g, logits, RILL_INT32, NULL), &begin, &size, NULL);
    int64_t classes = ls.dims[ls.rank - 1];
    rill_op *op = xent_op(g, "SoftmaxCrossEntropyWithLogits", to_matrix(g, logits, classes),
                          to_matrix(g, labels, classes), scope);
    cost = restore_lead(g, rill_op_output(op, 0), lead, lead_t);
  }
  rill_name_scope_pop(g);
  free(scope);
  return cost;
}

rill_output rill_sparse_softmax_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                           const char *name) {
  if (!rill__check_input(g, labels, "sparse_softmax_cross_entropy_with_logits") ||
      !rill__check_input(g, logits, "sparse_softmax_cross_entropy_with_logits"))
    return RILL_NO_OUTPUT;
  rill_shape ls = rill_output_shape(logits), bs = rill_output_shape(labels);
  char a[128], b[128];
  if (ls.rank == 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Logits cannot be scalars - received shape %s.",
                         rill_shape_str(ls, a, sizeof a));
    return RILL_NO_OUTPUT;
  }
  if (ls.rank > 0 && bs.rank >= 0 && bs.rank != ls.rank - 1) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "Rank mismatch: Rank of labels (received %d) should equal rank of logits minus 1 (received %d).",
                         bs.rank, ls.rank);
    return RILL_NO_OUTPUT;
  }
  rill_shape lead = ls;
  if (lead.rank > 0) lead.rank--;
  if (rill_shape_is_fully_defined(bs) && rill_shape_is_fully_defined(lead) && !rill_shape_equal(bs, lead)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "Shape mismatch: The shape of labels (received %s) should equal the shape of logits except "
                         "for the last dimension (received %s).",
                         rill_shape_str(bs, a, sizeof a), rill_shape_str(ls, b, sizeof b));
    return RILL_NO_OUTPUT;
  }
  const char *base = name ? name : "SparseSoftmaxCrossEntropyWithLogits";
  rill_name_scope_push(g, base);
  rill_output labels_shape = rill_shape_of(g, labels, RILL_INT32, NULL);
  rill_output cost;
  if (ls.rank == 2) {
    cost = rill_op_output(xent_op(g, "SparseSoftmaxCrossEntropyWithLogits", logits, labels, base), 0);
  } else if (ls.rank > 0 && ls.dims[ls.rank - 1] >= 0) {
    const int64_t flat = -1;
    rill_op *op = xent_op(g, "SparseSoftmaxCrossEntropyWithLogits", to_matrix(g, logits, ls.dims[ls.rank - 1]),
                          rill_reshape(g, labels, &flat, 1, NULL), base);
    cost = restore_lead(g, rill_op_output(op, 0), bs, labels_shape);
  } else {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "sparse_softmax_cross_entropy_with_logits: logits need a known rank and class dimension, got "
                         "shape %s",
                         rill_shape_dbg(ls, a, sizeof a));
    cost = RILL_NO_OUTPUT;
  }
  rill_name_scope_pop(g);
  return cost;
}
