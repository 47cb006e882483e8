/* GatherV2 and its dense gradient UnsortedSegmentSum (each the other's gradient), and
 * OneHot. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/array_internal.h"

/* ---- GatherV2(params, indices, axis) ---- */

static bool gather_infer(rill_op *op) {
  rill_shape ps = rill_op_input_shape(op, 0), is = rill_op_input_shape(op, 1), as = rill_op_input_shape(op, 2);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "GatherV2's indices must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 2)))
    return rill_op_shape_error(op, "GatherV2's axis must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 2)));
  if (rill_op_attr_int(op, "batch_dims", 0) != 0)
    return rill_op_shape_error(op, "GatherV2 with batch_dims other than 0 is not supported");
  if (ps.rank == 0) return rill_op_shape_error(op, "Shape must be at least rank 1 but is rank 0");
  if (as.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", as.rank);
  int64_t axis;
  rill_shape out = rill_shape_unknown();
  if (!rill__const_int_input(op, 2, &axis)) {
    if (ps.rank >= 0 && is.rank >= 0) {
      out.rank = ps.rank + is.rank - 1;
      if (out.rank > RILL_MAX_RANK) return rill_op_shape_error(op, "GatherV2 result of rank %d is not supported", out.rank);
      for (int i = 0; i < out.rank; i++) out.dims[i] = -1;
    }
    rill_op_set_output(op, t, out);
    return true;
  }
  if (ps.rank >= 0) {
    int64_t need = axis < 0 ? -axis : axis + 1;
    if (ps.rank < need)
      return rill__array_error(op, 1u << 2, 0, "Shape must be at least rank %" PRId64 " but is rank %d", need, ps.rank);
  }
  if (ps.rank >= 0 && is.rank >= 0) {
    int64_t a = axis < 0 ? axis + ps.rank : axis;
    if (ps.rank + is.rank - 1 > RILL_MAX_RANK)
      return rill_op_shape_error(op, "GatherV2 result of rank %d is not supported", ps.rank + is.rank - 1);
    out = rill_shape_scalar();
    for (int i = 0; i < a; i++) out.dims[out.rank++] = ps.dims[i];
    for (int i = 0; i < is.rank; i++) out.dims[out.rank++] = is.dims[i];
    for (int i = (int)a + 1; i < ps.rank; i++) out.dims[out.rank++] = ps.dims[i];
  }
  rill_op_set_output(op, t, out);
  return true;
}

typedef struct gather_job {
  rill_tensor *out;
  const rill_tensor *params, *idx;
  int64_t n, inner, nidx;
  atomic_bool failed;
} gather_job;

static void gather_rows(void *arg, int64_t b, int64_t e) {
  gather_job *j = arg;
  for (int64_t r = b; r < e; r++) {
    int64_t o = r / j->nidx, k = r % j->nidx;
    int64_t src = (o * j->n + rill__ival(j->idx, k)) * j->inner;
    if (!rill__copy_elems(j->out, r * j->inner, j->params, src, j->inner)) atomic_store(&j->failed, true);
  }
}

static bool gather_kernel(rill_kctx *k) {
  rill_tensor *params = rill_k_in(k, 0), *idx = rill_k_in(k, 1);
  int pr = params->shape.rank;
  int64_t axis = rill__ival(rill_k_in(k, 2), 0);
  if (axis < -pr || axis >= pr)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Expected axis in the range [%d, %d), but got %" PRId64, -pr, pr, axis);
  if (axis < 0) axis += pr;
  if (pr + idx->shape.rank - 1 > RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "GatherV2 result of rank %d is not supported", pr + idx->shape.rank - 1);
  int64_t n = params->shape.dims[axis];
  for (int64_t i = 0; i < idx->n; i++) {
    int64_t v = rill__ival(idx, i);
    if (v < 0 || v >= n) {
      char b[96];
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "indices%s = %" PRId64 " is not in [0, %" PRId64 ")",
                         rill__index_str(idx->shape, i, b, sizeof b), v, n);
    }
  }
  rill_shape os = rill_shape_scalar();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= (os.dims[os.rank++] = params->shape.dims[i]);
  for (int i = 0; i < idx->shape.rank; i++) os.dims[os.rank++] = idx->shape.dims[i];
  for (int i = (int)axis + 1; i < pr; i++) inner *= (os.dims[os.rank++] = params->shape.dims[i]);
  rill_tensor *o = rill_k_alloc(k, 0, params->dtype, os);
  if (!o) return false;
  gather_job j = {.out = o, .params = params, .idx = idx, .n = n, .inner = inner, .nidx = idx->n};
  atomic_init(&j.failed, false);
  int64_t rows = outer * idx->n;
  if (rows == 0 || inner == 0) return true;
  rill_k_parallel_for(k, rows, inner >= 4096 ? 1 : 4096 / inner, gather_rows, &j);
  if (atomic_load(&j.failed)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory copying strings");
  return true;
}

/* params' dims [from, to) as an int32 vector: constant when known, else sliced from its shape. */
static rill_output shape_part(rill_graph *g, rill_output x, int from, int to) {
  rill_shape s = rill_output_shape(x);
  bool known = true;
  for (int i = from; i < to; i++) known &= s.dims[i] >= 0;
  if (known) return rill__const_index(g, s.dims + from, to - from, false, "Const");
  return rill_strided_slice(g, rill_shape_of(g, x, RILL_INT32, NULL), (int64_t[]){from}, (int64_t[]){to}, NULL, 1, 0, 0, 0,
                            0, 0, NULL);
}

/* The dense form of TF's IndexedSlices gradient: dy's rows scattered back and summed. */
static void gather_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output params = op->inputs[0], indices = op->inputs[1];
  rill_shape ps = rill_output_shape(params);
  int64_t axis;
  if (!rill__const_int_input(op, 2, &axis) || ps.rank < 0) {
    rill_graph_set_error(g, RILL_UNIMPLEMENTED, "Gradient of GatherV2 '%s' needs a constant axis and params of known rank",
                         op->name);
    return;
  }
  int r = ps.rank, a = (int)(axis < 0 ? axis + r : axis);
  rill_output minus1 = rill__const_index(g, (int64_t[]){-1}, 1, false, "Const");
  rill_output parts[3] = {shape_part(g, params, 0, a), minus1, shape_part(g, params, a + 1, r)};
  rill_output values = rill_reshape_to(g, dy[0], rill_concat(g, parts, 3, 0, NULL), NULL);
  rill_output ids = rill_output_shape(indices).rank == 1 ? indices : rill_reshape(g, indices, (int64_t[]){-1}, 1, NULL);
  rill_output num = ps.dims[a] >= 0 ? rill_scalar_int32(g, (int32_t)ps.dims[a], NULL)
                                    : rill_strided_slice(g, rill_shape_of(g, params, RILL_INT32, NULL), (int64_t[]){a},
                                                         (int64_t[]){a + 1}, NULL, 1, 0, 0, 0, 0, 1, NULL);
  if (a == 0) {
    dx[0] = rill__unsorted_segment_sum(g, values, ids, num, NULL);
    return;
  }
  /* move the gathered axis to the front, scatter, move it back */
  int perm[RILL_MAX_RANK], inv[RILL_MAX_RANK];
  perm[0] = a;
  for (int i = 0; i < a; i++) perm[i + 1] = i;
  for (int i = a + 1; i < r; i++) perm[i] = i;
  for (int i = 0; i < r; i++) inv[perm[i]] = i;
  rill_output summed = rill__unsorted_segment_sum(g, rill_transpose(g, values, perm, NULL), ids, num, NULL);
  dx[0] = rill_transpose(g, summed, inv, NULL);
}

/* ---- UnsortedSegmentSum(data, segment_ids, num_segments) ---- */

static bool uss_infer(rill_op *op) {
  rill_shape ds = rill_op_input_shape(op, 0), is = rill_op_input_shape(op, 1), ns = rill_op_input_shape(op, 2);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)) || !rill__is_index_dtype(rill_op_input_dtype(op, 2)))
    return rill_op_shape_error(op, "UnsortedSegmentSum's segment_ids and num_segments must be int32 or int64");
  if (t != RILL_FLOAT && t != RILL_DOUBLE && t != RILL_INT32 && t != RILL_INT64)
    return rill_op_shape_error(op, "UnsortedSegmentSum does not support %s", rill_dtype_name(t));
  if (ns.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", ns.rank);
  rill_shape out = rill_shape_unknown();
  if (is.rank >= 0) {
    if (ds.rank >= 0) {
      if (ds.rank < is.rank)
        return rill_op_shape_error(op, "Shape must be at least rank %d but is rank %d", is.rank, ds.rank);
      for (int i = 0; i < is.rank; i++)
        if (ds.dims[i] >= 0 && is.dims[i] >= 0 && ds.dims[i] != is.dims[i])
          return rill_op_shape_error(op, "Dimension %d in both shapes must be equal, but are %" PRId64 " and %" PRId64, i,
                                     ds.dims[i], is.dims[i]);
    }
    int64_t num = -1;
    if (rill__const_int_input(op, 2, &num) && num < 0)
      return rill__array_error(op, 1u << 2, 0,
                               "Dimension size, given by scalar input 2, must be non-negative but is %" PRId64, num);
    if (ds.rank >= 0) {
      out = rill_shape_scalar();
      out.dims[out.rank++] = num;
      for (int i = is.rank; i < ds.rank; i++) out.dims[out.rank++] = ds.dims[i];
    }
  }
  rill_op_set_output(op, t, out);
  return true;
}

typedef struct uss_job {
  rill_tensor *out;
  const rill_tensor *data, *ids;
  int64_t inner;
} uss_job;

/* Columns [b, e) of every row: each output element is summed in the row order, whatever the
 * split, so results do not depend on the thread count. */
static void uss_cols(void *arg, int64_t b, int64_t e) {
  uss_job *j = arg;
  int64_t rows = j->ids->n, inner = j->inner;
  for (int64_t r = 0; r < rows; r++) {
    int64_t id = rill__ival(j->ids, r);
    if (id < 0) continue;
    int64_t so = r * inner, d = id * inner;
    switch (j->out->dtype) {
      case RILL_FLOAT: {
        float *o = (float *)j->out->data + d;
        const float *s = (const float *)j->data->data + so;
        for (int64_t c = b; c < e; c++) o[c] += s[c];
        break;
      }
      case RILL_DOUBLE: {
        double *o = (double *)j->out->data + d;
        const double *s = (const double *)j->data->data + so;
        for (int64_t c = b; c < e; c++) o[c] += s[c];
        break;
      }
      case RILL_INT32: {
        int32_t *o = (int32_t *)j->out->data + d;
        const int32_t *s = (const int32_t *)j->data->data + so;
        for (int64_t c = b; c < e; c++) o[c] = (int32_t)((uint32_t)o[c] + (uint32_t)s[c]);
        break;
      }
      default: {
        int64_t *o = (int64_t *)j->out->data + d;
        const int64_t *s = (const int64_t *)j->data->data + so;
        for (int64_t c = b; c < e; c++) o[c] = (int64_t)((uint64_t)o[c] + (uint64_t)s[c]);
        break;
      }
    }
  }
}

static bool uss_kernel(rill_kctx *k) {
  rill_tensor *data = rill_k_in(k, 0), *ids = rill_k_in(k, 1), *nt = rill_k_in(k, 2);
  char a[160], b[160];
  if (nt->shape.rank != 0 && !(nt->shape.rank == 1 && nt->n == 1))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "num_segments should be a scalar, not shape %s",
                       rill_shape_dbg(nt->shape, a, sizeof a));
  int64_t num = rill__ival(nt, 0);
  if (num < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Input num_segments == %" PRId64 " must not be negative.", num);
  bool prefix = data->shape.rank >= ids->shape.rank;
  for (int i = 0; prefix && i < ids->shape.rank; i++) prefix = data->shape.dims[i] == ids->shape.dims[i];
  if (!prefix)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "data.shape = %s does not start with segment_ids.shape = %s",
                       rill_shape_dbg(data->shape, a, sizeof a), rill_shape_dbg(ids->shape, b, sizeof b));
  for (int64_t i = 0; i < ids->n; i++) {
    int64_t v = rill__ival(ids, i);
    if (v >= num)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "segment_ids%s = %" PRId64 " is out of range [0, %" PRId64 ")",
                         rill__index_str(ids->shape, i, a, sizeof a), v, num);
  }
  rill_shape os = rill_shape_scalar();
  os.dims[os.rank++] = num;
  int64_t inner = 1;
  for (int i = ids->shape.rank; i < data->shape.rank; i++) inner *= (os.dims[os.rank++] = data->shape.dims[i]);
  rill_tensor *o = rill_k_alloc(k, 0, data->dtype, os);
  if (!o) return false;
  uss_job j = {.out = o, .data = data, .ids = ids, .inner = inner};
  if (inner == 0) return true;
  int64_t grain = ids->n >= 4096 ? 16 : 65536 / (ids->n + 1) + 16;
  rill_k_parallel_for(k, inner, grain, uss_cols, &j);
  return true;
}

/* TF's _GatherDropNegatives: dy gathered at the ids, rows of negative ids zero. */
static void uss_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output data = op->inputs[0], ids = op->inputs[1];
  rill_dtype it = rill_op_input_dtype(op, 1);
  bool flat = rill_output_shape(ids).rank == 1;
  rill_output fids = flat ? ids : rill_reshape(g, ids, (int64_t[]){-1}, 1, NULL);
  rill_output zero = rill_scalar_of(g, it, 0, NULL);
  rill_output gathered = rill_gather(g, dy[0], rill_maximum(g, fids, zero, NULL), 0, NULL);
  rill_output keep = rill_greater_equal(g, fids, zero, NULL);
  rill_output picked = rill_where(g, keep, gathered, rill_zeros_like(g, gathered, NULL), NULL);
  dx[0] = flat ? picked : rill_reshape_to(g, picked, rill_shape_of(g, data, RILL_INT32, NULL), NULL);
}

/* ---- OneHot(indices, depth, on_value, off_value) ---- */

static bool one_hot_infer(rill_op *op) {
  int64_t axis = rill_op_attr_int(op, "axis", -1);
  rill_shape is = rill_op_input_shape(op, 0);
  rill_dtype it = rill_op_input_dtype(op, 0), t = rill_op_input_dtype(op, 2);
  if (it != RILL_UINT8 && !rill__is_index_dtype(it))
    return rill_op_shape_error(op, "OneHot's indices must be uint8, int32 or int64, not %s", rill_dtype_name(it));
  if (rill_op_input_dtype(op, 1) != RILL_INT32)
    return rill_op_shape_error(op, "OneHot's depth must be int32, not %s", rill_dtype_name(rill_op_input_dtype(op, 1)));
  if (!rill_op_check_same_dtype(op, 2, 4)) return false;
  if (t == RILL_STRING) return rill_op_shape_error(op, "OneHot of strings is not supported");
  if (axis < -1) return rill_op_shape_error(op, "axis must be >= -1");
  int64_t depth = -1;
  if (rill__const_int_input(op, 1, &depth) && depth < 0)
    return rill__array_error(op, 1u << 1, 0,
                             "Dimension size, given by scalar input 1, must be non-negative but is %" PRId64, depth);
  if (is.rank < 0) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  int nr = is.rank + 1;
  if (nr > RILL_MAX_RANK) return rill_op_shape_error(op, "OneHot result of rank %d is not supported", nr);
  int at = (int)((axis + nr) % nr);
  rill_shape out = rill_shape_scalar();
  for (int i = 0; i < at; i++) out.dims[out.rank++] = is.dims[i];
  out.dims[out.rank++] = depth;
  for (int i = at; i < is.rank; i++) out.dims[out.rank++] = is.dims[i];
  rill_op_set_output(op, t, out);
  return true;
}

static bool one_hot_kernel(rill_kctx *k) {
  rill_tensor *idx = rill_k_in(k, 0), *dt = rill_k_in(k, 1), *on = rill_k_in(k, 2), *off = rill_k_in(k, 3);
  int64_t axis = rill_op_attr_int(rill_k_op(k), "axis", -1);
  int nr = idx->shape.rank + 1;
  char b[160];
  if (axis != -1 && (axis < 0 || axis >= nr))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Expected axis to be -1 or between [0, %d).  But received: %" PRId64, nr,
                       axis);
  if (dt->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "depth must be a scalar, but got: %s", rill_shape_dbg(dt->shape, b, sizeof b));
  if (on->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "on_value must be a scalar, but got: %s",
                       rill_shape_dbg(on->shape, b, sizeof b));
  if (off->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "off_value must be a scalar, but got: %s",
                       rill_shape_dbg(off->shape, b, sizeof b));
  int64_t depth = rill__ival(dt, 0);
  if (depth < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "depth must be non-negative, got: %" PRId64, depth);
  if (nr > RILL_MAX_RANK) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "OneHot result of rank %d is not supported", nr);
  int at = axis == -1 ? nr - 1 : (int)axis;
  rill_shape os = rill_shape_scalar();
  int64_t prefix = 1, suffix = 1;
  for (int i = 0; i < at; i++) prefix *= (os.dims[os.rank++] = idx->shape.dims[i]);
  os.dims[os.rank++] = depth;
  for (int i = at; i < idx->shape.rank; i++) suffix *= (os.dims[os.rank++] = idx->shape.dims[i]);
  rill_tensor *o = rill_k_alloc(k, 0, on->dtype, os);
  if (!o) return false;
  size_t esz = rill_dtype_size(on->dtype);
  char *od = o->data;
  for (int64_t i = 0; i < o->n; i++) memcpy(od + (size_t)i * esz, off->data, esz);
  for (int64_t p = 0; p < prefix; p++)
    for (int64_t s = 0; s < suffix; s++) {
      int64_t v = idx->dtype == RILL_UINT8 ? ((const uint8_t *)idx->data)[p * suffix + s] : rill__ival(idx, p * suffix + s);
      if (v >= 0 && v < depth) memcpy(od + (size_t)((p * depth + v) * suffix + s) * esz, on->data, esz);
    }
  return true;
}

static const rill_op_def gather_def = {.type = "GatherV2", .infer = gather_infer, .kernel = gather_kernel,
                                       .grad = gather_grad};
static const rill_op_def uss_def = {.type = "UnsortedSegmentSum", .infer = uss_infer, .kernel = uss_kernel,
                                    .grad = uss_grad};
static const rill_op_def one_hot_def = {.type = "OneHot", .infer = one_hot_infer, .kernel = one_hot_kernel,
                                        .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill__register_array_gather_ops(void) {
  rill_register_op(&gather_def);
  rill_register_op(&uss_def);
  rill_register_op(&one_hot_def);
}

/* ---- builders ---- */

rill_output rill_gather(rill_graph *g, rill_output params, rill_output indices, int axis, const char *name) {
  rill_name_scope_push(g, name ? name : "GatherV2");
  rill_output ax = rill_scalar_int32(g, axis, "axis");
  rill_op_builder *b = rill_op_builder_new(g, "GatherV2", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, params);
  rill_op_builder_add_input(b, indices);
  rill_op_builder_add_input(b, ax);
  rill_op_builder_attr_type(b, "Tparams", rill_output_dtype(params));
  rill_op_builder_attr_type(b, "Tindices", rill_output_dtype(indices));
  rill_op_builder_attr_type(b, "Taxis", RILL_INT32);
  rill_op_builder_attr_int(b, "batch_dims", 0);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill__unsorted_segment_sum(rill_graph *g, rill_output data, rill_output ids, rill_output num_segments,
                                       const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "UnsortedSegmentSum", name);
  rill_op_builder_add_input(b, data);
  rill_op_builder_add_input(b, ids);
  rill_op_builder_add_input(b, num_segments);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(data));
  rill_op_builder_attr_type(b, "Tindices", rill_output_dtype(ids));
  rill_op_builder_attr_type(b, "Tnumsegments", rill_output_dtype(num_segments));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_one_hot(rill_graph *g, rill_output indices, int depth, double on_value, double off_value, int axis,
                         rill_dtype dtype, const char *name) {
  rill_name_scope_push(g, name ? name : "one_hot");
  rill_output on = rill_scalar_of(g, dtype, on_value, "on_value");
  rill_output off = rill_scalar_of(g, dtype, off_value, "off_value");
  rill_output d = rill_scalar_int32(g, depth, "depth");
  rill_op_builder *b = rill_op_builder_new(g, "OneHot", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, indices);
  rill_op_builder_add_input(b, d);
  rill_op_builder_add_input(b, on);
  rill_op_builder_add_input(b, off);
  rill_op_builder_attr_type(b, "T", dtype);
  rill_op_builder_attr_type(b, "TI", rill_output_dtype(indices));
  rill_op_builder_attr_int(b, "axis", axis);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
