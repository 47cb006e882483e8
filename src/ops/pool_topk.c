/* TopKV2 (tf.nn.top_k, with TF's gradient for the values) and InTopKV2 (tf.nn.in_top_k, not
 * differentiable). */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "ops/array_internal.h"
#include "ops/pool_internal.h"

#define TOPK_TYPES                                                                                              \
  (RILL__DT_BIT(RILL_FLOAT) | RILL__DT_BIT(RILL_DOUBLE) | RILL__DT_BIT(RILL_INT32) | RILL__DT_BIT(RILL_INT64) | \
   RILL__DT_BIT(RILL_UINT8))
#define TOPK_LIST "float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64"

/* ---- TopKV2 ---- */

static bool top_k_infer(rill_op *op) {
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__pool_check_type(op, t, TOPK_TYPES, "T", TOPK_LIST)) return false;
  if (rill_op_input_dtype(op, 1) != RILL_INT32)
    return rill_op_shape_error(op, "Input 'k' of 'TopKV2' Op has type %s that does not match expected type of int32",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  rill_shape in = rill_op_input_shape(op, 0), ks = rill_op_input_shape(op, 1);
  if (in.rank == 0) return rill_op_shape_error(op, "Shape must be at least rank 1 but is rank 0");
  if (ks.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", ks.rank);
  int64_t k = -1;
  if (rill__const_int_input(op, 1, &k) && k < 0)
    return rill__array_error(op, 1u << 1, 0,
                             "Dimension size, given by scalar input 1, must be non-negative but is %" PRId64, k);
  rill_shape out = rill_shape_unknown();
  if (in.rank > 0) {
    out = in;
    int64_t last = in.dims[in.rank - 1];
    if (k >= 0 && last >= 0 && last < k)
      return rill__array_error(op, 1u << 1, 0, "input must have last dimension >= k = %" PRId64 " but is %" PRId64, k,
                               last);
    out.dims[in.rank - 1] = k;
  }
  rill_dtype dt[2] = {t, RILL_INT32};
  rill_shape sh[2] = {out, out};
  rill_op_set_outputs(op, 2, dt, sh);
  return true;
}

typedef struct topk_job {
  rill_dtype t;
  const void *x;
  int64_t n, k;
  void *values;
  int32_t *indices;
  atomic_bool oom;
} topk_job;

static void topk_chunk(void *arg, int64_t b, int64_t e) {
  topk_job *j = arg;
  if (!rill_top_k_rows(j->t, j->x, j->n, j->k, j->values, j->indices, b, e)) atomic_store(&j->oom, true);
}

static bool top_k_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *kt = rill_k_in(k, 1);
  char s[128];
  if (kt->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "k must be 0-D, got shape %s", rill_shape_dbg(kt->shape, s, sizeof s));
  int64_t kk = *(const int32_t *)kt->data;
  if (kk < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Need k >= 0, got %" PRId64, kk);
  if (x->shape.rank < 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input must be >= 1-D, got shape %s",
                       rill_shape_dbg(x->shape, s, sizeof s));
  int64_t n = x->shape.dims[x->shape.rank - 1];
  if (n < kk)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input must have at least k columns. Had %" PRId64 ", needed %" PRId64,
                       n, kk);
  if (n > INT32_MAX)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "TopKV2 indices are int32: a row of %" PRId64 " is too long", n);
  rill_shape os = x->shape;
  os.dims[os.rank - 1] = kk;
  rill_tensor *v = rill_k_alloc_uninit(k, 0, x->dtype, os), *i = v ? rill_k_alloc_uninit(k, 1, RILL_INT32, os) : NULL;
  if (!i) return false;
  int64_t rows = n ? x->n / n : 0;
  topk_job j = {.t = x->dtype, .x = x->data, .n = n, .k = kk, .values = v->data, .indices = i->data};
  atomic_init(&j.oom, false);
  if (kk > 0) rill__pool_parallel(k, rows, n, topk_chunk, &j);
  if (atomic_load(&j.oom)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in TopKV2");
  return true;
}

/* The last entry of an int32 vector (a shape), as a scalar. */
static rill_output last_of(rill_graph *g, rill_output v) {
  const int64_t b = -1, e = 0, s = 1;
  return rill_strided_slice(g, v, &b, &e, &s, 1, 0, 1, 0, 0, 1, NULL);
}

/* TF's _TopKGrad: the values' gradient scattered to the positions the indices name (row r's
 * index i goes to flat position r * n + i). ScatterNd there; UnsortedSegmentSum here, the
 * same for distinct positions. */
static void top_k_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = rill_op_input(op, 0), idx = rill_op_output(op, 1);
  rill_output in_shape = rill_shape_of(g, x, RILL_INT32, NULL);
  rill_output ind_shape = rill_shape_of(g, idx, RILL_INT32, NULL);
  rill_output rows_k[2] = {rill_scalar_int32(g, -1, NULL), last_of(g, ind_shape)};
  rill_output ind_2d = rill_reshape_to(g, idx, rill_stack(g, rows_k, 2, 0, NULL), NULL);
  rill_output in_last = last_of(g, in_shape);
  const int64_t b0 = 0, e0 = 1, s0 = 1;
  rill_output outer =
      rill_strided_slice(g, rill_shape_of(g, ind_2d, RILL_INT32, NULL), &b0, &e0, &s0, 1, 0, 0, 0, 0, 1, NULL);
  rill_op_builder *b = rill_op_builder_new(g, "Range", NULL);
  rill_op_builder_add_input(b, rill_scalar_int32(g, 0, NULL));
  rill_op_builder_add_input(b, rill_mul(g, outer, in_last, NULL));
  rill_op_builder_add_input(b, in_last);
  rill_op_builder_attr_type(b, "Tidx", RILL_INT32);
  rill_output offsets = rill_expand_dims(g, rill_op_output(rill_op_builder_finish(b), 0), -1, NULL);
  const int64_t flat = -1;
  rill_output ids = rill_reshape(g, rill_add(g, ind_2d, offsets, NULL), &flat, 1, NULL);
  rill_output total = rill_reduce_prod(g, in_shape, NULL, 0, false, NULL);
  rill_output sums = rill__unsorted_segment_sum(g, rill_reshape(g, dy[0], &flat, 1, NULL), ids, total, NULL);
  dx[0] = rill_reshape_to(g, sums, in_shape, NULL);
}

/* ---- InTopKV2 ---- */

static bool in_top_k_infer(rill_op *op) {
  rill_dtype pt = rill_op_input_dtype(op, 0), t = rill_op_input_dtype(op, 1);
  if (pt != RILL_FLOAT)
    return rill_op_shape_error(
        op, "Input 'predictions' of 'InTopKV2' Op has type %s that does not match expected type of float32",
        rill_dtype_name(pt));
  if (!rill__pool_check_type(op, t, RILL__DT_BIT(RILL_INT32) | RILL__DT_BIT(RILL_INT64), "T", "int32, int64") ||
      !rill_op_check_same_dtype(op, 1, 3) || !rill__pool_check_rank(op, 0, 2) || !rill__pool_check_rank(op, 1, 1) ||
      !rill__pool_check_rank(op, 2, 0))
    return false;
  rill_shape p = rill_op_input_shape(op, 0), tg = rill_op_input_shape(op, 1);
  int64_t batch = p.rank == 2 ? p.dims[0] : -1;
  if (tg.rank == 1 && tg.dims[0] >= 0) {
    if (batch >= 0 && batch != tg.dims[0])
      return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)batch,
                                 (long long)tg.dims[0]);
    batch = tg.dims[0];
  }
  rill_op_set_output(op, RILL_BOOL, RILL_SHAPE(batch));
  return true;
}

static bool in_top_k_kernel(rill_kctx *k) {
  rill_tensor *p = rill_k_in(k, 0), *tg = rill_k_in(k, 1), *kt = rill_k_in(k, 2);
  char s[128];
  if (p->shape.rank != 2) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "predictions must be 2-dimensional");
  if (tg->shape.rank != 1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "targets must be 1-dimensional");
  if (kt->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "k must be 0-D, got shape %s", rill_shape_dbg(kt->shape, s, sizeof s));
  int64_t batch = p->shape.dims[0], classes = p->shape.dims[1], kk = rill__ival(kt, 0);
  if (batch != tg->shape.dims[0])
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "First dimension of predictions %" PRId64 " must match length of targets %" PRId64, batch,
                       tg->shape.dims[0]);
  rill_tensor *out = rill_k_alloc_uninit(k, 0, RILL_BOOL, RILL_SHAPE(batch));
  if (!out) return false;
  const float *pr = p->data;
  bool *o = out->data;
  for (int64_t b = 0; b < batch; b++) {
    const float *row = pr + b * classes;
    int64_t target = rill__ival(tg, b), more = 0;
    bool unknown = target < 0 || target >= classes || !isfinite(row[target]);
    for (int64_t i = 0; !unknown && i < classes; i++) {
      if (!isfinite(row[i]))
        unknown = true;
      else if (row[i] > row[target] && ++more > kk)
        break;
    }
    o[b] = !unknown && more < kk;
  }
  return true;
}

/* ---- builders ---- */

rill_output rill_top_k(rill_graph *g, rill_output input, int k, bool sorted, rill_output *indices, const char *name) {
  if (indices) *indices = RILL_NO_OUTPUT;
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  char *scope = rill__pool_scope(g, name, "TopKV2");
  rill_output kc = rill_scalar_int32(g, k, "k");
  rill_op_builder *b = rill_op_builder_new(g, "TopKV2", scope);
  rill_name_scope_pop(g);
  free(scope);
  rill_op_builder_add_input(b, input);
  rill_op_builder_add_input(b, kc);
  rill_op_builder_attr_type(b, "T", input.op ? rill_output_dtype(input) : RILL_FLOAT);
  rill_op_builder_attr_bool(b, "sorted", sorted);
  rill_op *op = rill_op_builder_finish(b);
  if (!op) return RILL_NO_OUTPUT;
  if (indices) *indices = rill_op_output(op, 1);
  return rill_op_output(op, 0);
}

rill_output rill_in_top_k(rill_graph *g, rill_output predictions, rill_output targets, int k, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, targets, "in_top_k")) return RILL_NO_OUTPUT;
  /* TF 1.x: name_scope(name, "in_top_k") around in_top_kv2(..., name=name) */
  rill_name_scope_push(g, name ? name : "in_top_k");
  char *scope = rill__pool_scope(g, name, "InTopKV2");
  rill_dtype t = rill_output_dtype(targets);
  rill_output kc = rill_scalar_of(g, t == RILL_INT64 ? RILL_INT64 : RILL_INT32, k, "k");
  rill_op_builder *b = rill_op_builder_new(g, "InTopKV2", scope);
  rill_name_scope_pop(g);
  rill_name_scope_pop(g);
  free(scope);
  rill_op_builder_add_input(b, predictions);
  rill_op_builder_add_input(b, targets);
  rill_op_builder_add_input(b, kc);
  rill_op_builder_attr_type(b, "T", t);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

static const rill_op_def defs[] = {
    {.type = "TopKV2", .infer = top_k_infer, .kernel = top_k_kernel, .grad = top_k_grad},
    {.type = "InTopKV2", .infer = in_top_k_infer, .kernel = in_top_k_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
};

void rill__register_pool_topk_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}
