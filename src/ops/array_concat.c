/* ConcatV2 and Split, Pack and Unpack: each pair is the other's gradient. ConcatOffset gives
 * concat's gradient its slice offsets when shapes are only known at run time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/array_internal.h"

/* "Tensors in list passed to 'values' of 'ConcatV2' Op have types [float32, int32] that don't
 * all match." */
static bool same_dtypes(rill_graph *g, const char *type, const rill_output *xs, int n) {
  bool same = true;
  for (int i = 1; i < n; i++) same &= rill_output_dtype(xs[i]) == rill_output_dtype(xs[0]);
  if (same) return true;
  char list[512];
  size_t used = 0;
  for (int i = 0; i < n && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", rill_dtype_name(rill_output_dtype(xs[i])));
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                       "Tensors in list passed to 'values' of '%s' Op have types [%s] that don't all match.", type, list);
  return false;
}

/* Merges two partial shapes; TF's message on a mismatch. */
static bool merge_shapes(rill_op *op, rill_shape a, rill_shape b, rill_shape *out, unsigned tensors, const char *context) {
  char x[160], y[160];
  if (a.rank < 0) {
    *out = b;
    return true;
  }
  if (b.rank < 0) {
    *out = a;
    return true;
  }
  if (a.rank != b.rank)
    return rill__array_error(op, tensors, 0, "Shapes must be equal rank, but are %d and %d%s", a.rank, b.rank, context);
  *out = a;
  for (int i = 0; i < a.rank; i++) {
    if (a.dims[i] >= 0 && b.dims[i] >= 0 && a.dims[i] != b.dims[i])
      return rill__array_error(op, tensors, 0,
                               "Dimension %d in both shapes must be equal, but are %" PRId64 " and %" PRId64
                               ". Shapes are %s and %s.%s",
                               i, a.dims[i], b.dims[i], rill_shape_dbg(a, x, sizeof x), rill_shape_dbg(b, y, sizeof y),
                               context);
    if (out->dims[i] < 0) out->dims[i] = b.dims[i];
  }
  return true;
}

/* The part of s in [from, to) (negative bounds count from the end, like TF's Subshape). */
static rill_shape subshape(rill_shape s, int64_t from, int64_t to) {
  rill_shape o = rill_shape_scalar();
  if (from < 0) from += s.rank;
  if (to < 0) to += s.rank;
  for (int64_t i = from; i < to; i++) o.dims[o.rank++] = s.dims[i];
  return o;
}

/* Sets n outputs of one dtype and shape. */
static bool set_n_outputs(rill_op *op, int n, rill_dtype t, rill_shape s) {
  rill_dtype *ts = malloc((size_t)(n ? n : 1) * sizeof *ts);
  rill_shape *ss = malloc((size_t)(n ? n : 1) * sizeof *ss);
  if (!ts || !ss) {
    free(ts);
    free(ss);
    rill_graph_set_error(op->graph, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return false;
  }
  for (int i = 0; i < n; i++) {
    ts[i] = t;
    ss[i] = s;
  }
  rill_op_set_outputs(op, n, ts, ss);
  free(ts);
  free(ss);
  return true;
}

/* Every output's gradient, absent ones as zeros (heap array; caller frees). */
static rill_output *grads_or_zeros(rill_graph *g, rill_op *op, const rill_output *dy) {
  rill_output *parts = malloc((size_t)op->n_outputs * sizeof *parts);
  if (!parts) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  for (int i = 0; i < op->n_outputs; i++) parts[i] = rill__grad_or_zeros(g, dy[i], rill_op_output(op, i));
  return parts;
}

/* ---- ConcatV2(values..., axis) ---- */

static bool concat_infer(rill_op *op) {
  int n = op->n_inputs - 1;
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (n < 1) return rill_op_shape_error(op, "ConcatV2 needs at least one value");
  if (!rill__is_index_dtype(rill_op_input_dtype(op, n)))
    return rill_op_shape_error(op, "ConcatV2's axis must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, n)));
  rill_shape as = rill_op_input_shape(op, n);
  if (as.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", as.rank);
  int64_t axis;
  if (!rill__const_int_input(op, n, &axis)) {
    int rank = -1;
    for (int i = 0; i < n && rank < 0; i++) rank = rill_op_input_shape(op, i).rank;
    if (rank == 0) return rill_op_shape_error(op, "Can't concatenate scalars (use tf.stack instead)");
    rill_shape out = rill_shape_unknown();
    if (rank > 0) {
      for (int i = 0; i < n; i++) {
        int r = rill_op_input_shape(op, i).rank;
        if (r >= 0 && r != rank) return rill_op_shape_error(op, "Shape must be rank %d but is rank %d", rank, r);
      }
      out.rank = rank;
      for (int i = 0; i < rank; i++) out.dims[i] = -1;
    }
    rill_op_set_output(op, t, out);
    return true;
  }
  unsigned axis_bit = 1u << n;
  int64_t min_rank = axis < 0 ? -axis : axis + 1;
  rill_shape before = rill_shape_unknown(), after = rill_shape_unknown();
  int64_t middle = -1;
  for (int i = n - 1; i >= 0; i--) {
    rill_shape s = rill_op_input_shape(op, i);
    int64_t m = -1;
    if (s.rank >= 0) {
      if (s.rank < min_rank)
        return rill__array_error(op, axis_bit, 0, "Shape must be at least rank %" PRId64 " but is rank %d", min_rank,
                                 s.rank);
      int64_t a = axis < 0 ? axis + s.rank : axis;
      rill_shape b = subshape(s, 0, a), f = subshape(s, a + 1, s.rank);
      if (!merge_shapes(op, b, before, &before, axis_bit, "") || !merge_shapes(op, f, after, &after, axis_bit, "")) return false;
      m = s.dims[a];
    }
    middle = i == n - 1 ? m : rill__dim_add(middle, m);
  }
  rill_shape out = rill_shape_unknown();
  if (before.rank >= 0 && after.rank >= 0) {
    out = before;
    out.dims[out.rank++] = middle;
    for (int i = 0; i < after.rank; i++) out.dims[out.rank++] = after.dims[i];
  }
  rill_op_set_output(op, t, out);
  return true;
}

static bool concat_kernel(rill_kctx *k) {
  int n = rill_k_num_inputs(k) - 1;
  rill_tensor *x0 = rill_k_in(k, 0);
  int rank = x0->shape.rank;
  int64_t axis = rill__ival(rill_k_in(k, n), 0);
  char a[160], b[160];
  if (axis < -rank || axis >= rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "ConcatOp : Expected concatenating dimensions in the range [%d, %d), but got %" PRId64, -rank, rank,
                       axis);
  if (axis < 0) axis += rank;
  rill_shape os = x0->shape;
  os.dims[axis] = 0;
  for (int i = 0; i < n; i++) {
    rill_tensor *x = rill_k_in(k, i);
    if (x->shape.rank != rank)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                         "ConcatOp : Ranks of all input tensors should match: shape[0] = %s vs. shape[%d] = %s",
                         rill_shape_dbg(x0->shape, a, sizeof a), i, rill_shape_dbg(x->shape, b, sizeof b));
    for (int d = 0; d < rank; d++)
      if (d != axis && x->shape.dims[d] != x0->shape.dims[d])
        return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                           "ConcatOp : Dimension %d in both shapes must be equal: shape[0] = %s vs. shape[%d] = %s", d,
                           rill_shape_dbg(x0->shape, a, sizeof a), i, rill_shape_dbg(x->shape, b, sizeof b));
    os.dims[axis] += x->shape.dims[axis];
  }
  if (n == 1) {
    rill_k_set_out(k, 0, rill_tensor_ref(x0));
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x0->dtype, os);
  if (!o) return false;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= os.dims[d];
  for (int d = (int)axis + 1; d < rank; d++) inner *= os.dims[d];
  int64_t total = os.dims[axis] * inner, off = 0;
  for (int i = 0; i < n; i++) {
    rill_tensor *x = rill_k_in(k, i);
    int64_t slab = x->shape.dims[axis] * inner;
    rill__copy c = {.rank = 2, .shape = {outer, slab}, .dstride = {total, 1}, .sstride = {slab, 1}, .doff = off};
    if (!rill__copy_run(k, o, x, &c)) return false;
    off += slab;
  }
  return true;
}

static void concat_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  int n = op->n_inputs - 1;
  int64_t axis;
  bool known = rill__const_int_input(op, n, &axis);
  int rank = rill_op_input_shape(op, 0).rank;
  bool all_known = known && rank > 0;
  for (int i = 0; i < n; i++) all_known &= rill_shape_is_fully_defined(rill_op_input_shape(op, i));
  if (all_known) {
    if (axis < 0) axis += rank;
    int64_t begin[RILL_MAX_RANK] = {0};
    for (int i = 0; i < n; i++) {
      rill_shape s = rill_op_input_shape(op, i);
      dx[i] = rill_slice(g, dy[0], begin, s.dims, NULL);
      begin[axis] += s.dims[axis];
    }
    return;
  }
  /* run-time shapes: TF's ConcatOffset form */
  rill_output *shapes = malloc(2 * (size_t)n * sizeof *shapes), *offs = shapes + n;
  if (!shapes) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rill_output ax;
  if (known && rank > 0) {
    ax = rill_scalar_int32(g, (int32_t)(axis < 0 ? axis + rank : axis), NULL);
  } else {
    ax = op->inputs[n];
    if (rill_op_input_dtype(op, n) != RILL_INT32) ax = rill_cast(g, ax, RILL_INT32, NULL);
    ax = rill_mod(g, ax, rill_rank(g, op->inputs[0], NULL), NULL);
  }
  for (int i = 0; i < n; i++) shapes[i] = rill_shape_of(g, op->inputs[i], RILL_INT32, NULL);
  rill__concat_offset(g, ax, shapes, n, offs);
  for (int i = 0; i < n; i++) dx[i] = rill__slice_t(g, dy[0], offs[i], shapes[i], NULL);
  free(shapes);
}

/* ---- ConcatOffset(concat_dim, shapes...) ---- */

static bool concat_offset_infer(rill_op *op) {
  int n = op->n_inputs - 1;
  if (n < 1) return rill_op_shape_error(op, "ConcatOffset needs at least one shape");
  for (int i = 1; i <= n; i++)
    if (rill_op_input_dtype(op, i) != RILL_INT32)
      return rill_op_shape_error(op, "ConcatOffset's shapes must be int32, not %s", rill_dtype_name(rill_op_input_dtype(op, i)));
  rill_shape s0 = rill_op_input_shape(op, 1);
  if (s0.rank >= 0 && s0.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", s0.rank);
  return set_n_outputs(op, n, RILL_INT32, s0.rank == 1 ? s0 : rill_shape_make((int64_t[]){-1}, 1));
}

static bool concat_offset_kernel(rill_kctx *k) {
  int n = rill_k_num_inputs(k) - 1;
  rill_tensor *s0 = rill_k_in(k, 1);
  int64_t dims = s0->n, cdim = rill__ival(rill_k_in(k, 0), 0), axis = cdim < 0 ? cdim + dims : cdim;
  if (axis < 0 || axis >= dims)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Concat dim is out of range: %" PRId64 " vs. %" PRId64, cdim, dims);
  int64_t offset = 0;
  for (int i = 0; i < n; i++) {
    rill_tensor *si = rill_k_in(k, 1 + i);
    if (si->n != dims)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input %d should contain %" PRId64 " elements, but got %" PRId64, i, dims,
                         si->n);
    rill_tensor *o = rill_k_alloc(k, i, RILL_INT32, rill_shape_make((int64_t[]){dims}, 1));
    if (!o) return false;
    int32_t *ov = o->data;
    for (int64_t j = 0; j < dims; j++) {
      if (j == axis) {
        ov[j] = (int32_t)offset;
        offset += rill__ival(si, j);
      } else if (rill__ival(si, j) != rill__ival(s0, j)) {
        char a[128], b[128];
        size_t ua = 0, ub = 0;
        for (int64_t e = 0; e < dims; e++) {
          ua += (size_t)snprintf(a + ua, ua < sizeof a ? sizeof a - ua : 0, "%s%" PRId64, e ? " " : "", rill__ival(si, e));
          ub += (size_t)snprintf(b + ub, ub < sizeof b ? sizeof b - ub : 0, "%s%" PRId64, e ? " " : "", rill__ival(s0, e));
        }
        return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                           "All dimensions except %" PRId64 " must match. Input %d has shape [%s] and doesn't match input "
                           "0 with shape [%s].",
                           axis, i, a, b);
      } else {
        ov[j] = 0;
      }
    }
  }
  return true;
}

/* ---- Split(split_dim, value) ---- */

static bool split_infer(rill_op *op) {
  int num = (int)rill_op_attr_int(op, "num_split", 0);
  rill_shape in = rill_op_input_shape(op, 1);
  rill_dtype t = rill_op_input_dtype(op, 1);
  if (num < 1) return rill_op_shape_error(op, "Value for attr 'num_split' of %d must be at least minimum 1", num);
  if (num > 4096) return rill_op_shape_error(op, "num_split %d is too large", num);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 0)))
    return rill_op_shape_error(op, "Split's split_dim must be int32, not %s", rill_dtype_name(rill_op_input_dtype(op, 0)));
  int64_t axis;
  rill_shape out = rill_shape_unknown();
  if (!rill__const_int_input(op, 0, &axis)) {
    if (in.rank >= 0) {
      out.rank = in.rank;
      for (int i = 0; i < in.rank; i++) out.dims[i] = -1;
    }
  } else if (in.rank >= 0) {
    if (axis < -in.rank || axis >= in.rank)
      return rill__array_error(op, 1u, 0, "Dimension size, given by scalar input %" PRId64 " must be in range [%d, %d)",
                               axis, -in.rank, in.rank);
    if (axis < 0) axis += in.rank;
    out = in;
    int64_t d = in.dims[axis];
    if (d >= 0 && d % num)
      return rill__array_error(op, 1u, 0,
                               "Dimension size must be evenly divisible by %d but is %" PRId64
                               "\n\tNumber of ways to split should evenly divide the split dimension",
                               num, d);
    out.dims[axis] = d < 0 ? -1 : d / num;
  }
  return set_n_outputs(op, num, t, out);
}

static bool split_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 1);
  int num = rill_op_num_outputs(rill_k_op(k)), rank = x->shape.rank;
  int64_t axis = rill__ival(rill_k_in(k, 0), 0);
  if (axis < -rank || axis >= rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "-input rank(-%d) <= split_dim < input rank (%d), but got %" PRId64, rank,
                       rank, axis);
  if (axis < 0) axis += rank;
  if (num == 1) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  int64_t d = x->shape.dims[axis];
  if (d % num)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Number of ways to split should evenly divide the split dimension, but got split_dim %" PRId64
                       " (size = %" PRId64 ") and num_split %d",
                       axis, d, num);
  rill_shape os = x->shape;
  os.dims[axis] = d / num;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= os.dims[i];
  for (int i = (int)axis + 1; i < rank; i++) inner *= os.dims[i];
  int64_t slab = os.dims[axis] * inner;
  for (int j = 0; j < num; j++) {
    rill_tensor *o = rill_k_alloc(k, j, x->dtype, os);
    if (!o) return false;
    rill__copy c = {.rank = 2, .shape = {outer, slab}, .dstride = {slab, 1}, .sstride = {d * inner, 1}, .soff = j * slab};
    if (!rill__copy_run(k, o, x, &c)) return false;
  }
  return true;
}

static void split_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output *parts = grads_or_zeros(g, op, dy);
  if (parts) dx[1] = rill__concat_t(g, parts, op->n_outputs, op->inputs[0], NULL);
  free(parts);
}

/* ---- Pack / Unpack ---- */

static bool pack_infer(rill_op *op) {
  int n = op->n_inputs;
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (n < 1) return rill_op_shape_error(op, "Pack needs at least one value");
  rill_shape cur = rill_op_input_shape(op, n - 1);
  for (int i = n - 2; i >= 0; i--) {
    char ctx[64];
    snprintf(ctx, sizeof ctx, "\n\tFrom merging shape %d with other shapes.", i);
    if (!merge_shapes(op, rill_op_input_shape(op, i), cur, &cur, 0, ctx)) return false;
  }
  if (cur.rank < 0) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  int64_t axis = rill_op_attr_int(op, "axis", 0);
  int r = cur.rank + 1;
  if (axis < -r || axis >= r) return rill_op_shape_error(op, "Invalid axis: %" PRId64 "; must be in [%d,%d)", axis, -r, r);
  if (r > RILL_MAX_RANK) return rill_op_shape_error(op, "Pack would give rank %d, above the maximum %d", r, RILL_MAX_RANK);
  if (axis < 0) axis += r;
  rill_shape out = rill_shape_scalar();
  for (int i = 0; i < r; i++) out.dims[out.rank++] = i < axis ? cur.dims[i] : i == axis ? n : cur.dims[i - 1];
  rill_op_set_output(op, t, out);
  return true;
}

static bool pack_kernel(rill_kctx *k) {
  int n = rill_k_num_inputs(k);
  rill_tensor *x0 = rill_k_in(k, 0);
  char a[160], b[160];
  for (int i = 1; i < n; i++)
    if (!rill_shape_equal(rill_k_in(k, i)->shape, x0->shape))
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Shapes of all inputs must match: values[0].shape = %s != values[%d].shape = %s",
                         rill_shape_dbg(x0->shape, a, sizeof a), i, rill_shape_dbg(rill_k_in(k, i)->shape, b, sizeof b));
  int r = x0->shape.rank + 1;
  int64_t axis = rill_op_attr_int(rill_k_op(k), "axis", 0);
  if (axis < -r || axis >= r) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "axis = %" PRId64 " not in [%d, %d)", axis, -r, r);
  if (r > RILL_MAX_RANK) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Pack would give rank %d", r);
  if (axis < 0) axis += r;
  rill_shape os = rill_shape_scalar();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < r; i++) os.dims[os.rank++] = i < axis ? x0->shape.dims[i] : i == axis ? n : x0->shape.dims[i - 1];
  for (int i = 0; i < axis; i++) outer *= os.dims[i];
  for (int i = (int)axis + 1; i < r; i++) inner *= os.dims[i];
  rill_tensor *o = rill_k_alloc(k, 0, x0->dtype, os);
  if (!o) return false;
  for (int i = 0; i < n; i++) {
    rill__copy c = {.rank = 2, .shape = {outer, inner}, .dstride = {n * inner, 1}, .sstride = {inner, 1}, .doff = i * inner};
    if (!rill__copy_run(k, o, rill_k_in(k, i), &c)) return false;
  }
  return true;
}

static void pack_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_unstack(g, dy[0], op->n_inputs, (int)rill_op_attr_int(op, "axis", 0), dx, NULL);
}

static bool unpack_infer(rill_op *op) {
  int num = (int)rill_op_attr_int(op, "num", 0);
  rill_shape in = rill_op_input_shape(op, 0), out = rill_shape_unknown();
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (num < 0 || num > 4096) return rill_op_shape_error(op, "Value for attr 'num' of %d is out of range", num);
  if (in.rank >= 0) {
    int64_t axis = rill_op_attr_int(op, "axis", 0);
    if (axis < -in.rank || axis >= in.rank)
      return rill_op_shape_error(op, "Invalid axis: %" PRId64 "; must be in [%d,%d)", axis, -in.rank, in.rank);
    if (axis < 0) axis += in.rank;
    if (in.dims[axis] >= 0 && in.dims[axis] != num)
      return rill_op_shape_error(op, "Dimension must be %d but is %" PRId64, num, in.dims[axis]);
    out = rill_shape_scalar();
    for (int i = 0; i < in.rank; i++)
      if (i != axis) out.dims[out.rank++] = in.dims[i];
  }
  return set_n_outputs(op, num, t, out);
}

static bool unpack_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  int num = rill_op_num_outputs(rill_k_op(k)), rank = x->shape.rank;
  int64_t axis = rill_op_attr_int(rill_k_op(k), "axis", 0);
  char a[160];
  if (axis < -rank || axis >= rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "axis = %" PRId64 " not in [%d, %d)", axis, -rank, rank);
  if (axis < 0) axis += rank;
  if (x->shape.dims[axis] != num)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Input shape axis %" PRId64 " must equal %d, got shape %s", axis, num,
                       rill_shape_dbg(x->shape, a, sizeof a));
  rill_shape os = rill_shape_scalar();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < rank; i++) {
    if (i == axis) continue;
    os.dims[os.rank++] = x->shape.dims[i];
    if (i < axis)
      outer *= x->shape.dims[i];
    else
      inner *= x->shape.dims[i];
  }
  for (int j = 0; j < num; j++) {
    rill_tensor *o = rill_k_alloc(k, j, x->dtype, os);
    if (!o) return false;
    rill__copy c = {.rank = 2, .shape = {outer, inner}, .dstride = {inner, 1}, .sstride = {num * inner, 1}, .soff = j * inner};
    if (!rill__copy_run(k, o, x, &c)) return false;
  }
  return true;
}

static void unpack_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output *parts = grads_or_zeros(g, op, dy);
  if (parts) dx[0] = rill_stack(g, parts, op->n_outputs, (int)rill_op_attr_int(op, "axis", 0), NULL);
  free(parts);
}

static const rill_op_def concat_def = {.type = "ConcatV2", .infer = concat_infer, .kernel = concat_kernel,
                                       .grad = concat_grad};
static const rill_op_def concat_offset_def = {.type = "ConcatOffset", .infer = concat_offset_infer,
                                              .kernel = concat_offset_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def split_def = {.type = "Split", .infer = split_infer, .kernel = split_kernel, .grad = split_grad};
static const rill_op_def pack_def = {.type = "Pack", .infer = pack_infer, .kernel = pack_kernel, .grad = pack_grad};
static const rill_op_def unpack_def = {.type = "Unpack", .infer = unpack_infer, .kernel = unpack_kernel,
                                       .grad = unpack_grad};

void rill__register_array_concat_ops(void) {
  rill_register_op(&concat_def);
  rill_register_op(&concat_offset_def);
  rill_register_op(&split_def);
  rill_register_op(&pack_def);
  rill_register_op(&unpack_def);
}

/* ---- builders ---- */

rill_output rill__concat_t(rill_graph *g, const rill_output *xs, int n, rill_output axis, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "ConcatV2", name ? name : "concat");
  rill_op_builder_add_inputs(b, xs, n);
  rill_op_builder_add_input(b, axis);
  rill_op_builder_attr_int(b, "N", n);
  rill_op_builder_attr_type(b, "T", n > 0 ? rill_output_dtype(xs[0]) : RILL_FLOAT);
  rill_op_builder_attr_type(b, "Tidx", rill_output_dtype(axis));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

void rill__concat_offset(rill_graph *g, rill_output axis, const rill_output *shapes, int n, rill_output *out) {
  rill_op_builder *b = rill_op_builder_new(g, "ConcatOffset", NULL);
  rill_op_builder_add_input(b, axis);
  rill_op_builder_add_inputs(b, shapes, n);
  rill_op_builder_attr_int(b, "N", n);
  rill_op *op = rill_op_builder_finish(b);
  for (int i = 0; i < n; i++) out[i] = op ? rill_op_output(op, i) : RILL_NO_OUTPUT;
}

static bool check_list(rill_graph *g, const rill_output *xs, int n, const char *type, const char *what) {
  if (rill__graph_failed(g)) return false;
  if (n < 1 || !xs || n > 4096) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "%s: needs between 1 and 4096 tensors, got %d", what, n);
    return false;
  }
  for (int i = 0; i < n; i++)
    if (!rill__check_input(g, xs[i], what)) return false;
  return same_dtypes(g, type, xs, n);
}

rill_output rill_concat(rill_graph *g, const rill_output *xs, int n, int axis, const char *name) {
  if (!check_list(g, xs, n, "ConcatV2", "tf.concat")) return RILL_NO_OUTPUT;
  if (n == 1) return rill_identity(g, xs[0], name ? name : "concat");
  rill_name_scope_push(g, name ? name : "concat");
  rill_output ax = rill_scalar_int32(g, axis, "axis");
  rill_output o = rill__concat_t(g, xs, n, ax, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}

rill_output rill_split(rill_graph *g, rill_output x, int num_split, int axis, rill_output *out, const char *name) {
  for (int i = 0; out && i < num_split; i++) out[i] = RILL_NO_OUTPUT;
  if (num_split < 1 || num_split > 4096 || !out) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.split: num_split must be in [1, 4096] with room for the outputs, got %d",
                         num_split);
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "split");
  rill_output ax = rill_scalar_int32(g, axis, "split_dim");
  rill_op_builder *b = rill_op_builder_new(g, "Split", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, ax);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_int(b, "num_split", num_split);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op *op = rill_op_builder_finish(b);
  if (!op) return RILL_NO_OUTPUT;
  for (int i = 0; i < num_split; i++) out[i] = rill_op_output(op, i);
  return out[0];
}

rill_output rill_stack(rill_graph *g, const rill_output *xs, int n, int axis, const char *name) {
  if (!check_list(g, xs, n, "Pack", "tf.stack")) return RILL_NO_OUTPUT;
  rill_op_builder *b = rill_op_builder_new(g, "Pack", name ? name : "stack");
  rill_op_builder_add_inputs(b, xs, n);
  rill_op_builder_attr_int(b, "N", n);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(xs[0]));
  rill_op_builder_attr_int(b, "axis", axis);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_unstack(rill_graph *g, rill_output x, int num, int axis, rill_output *out, const char *name) {
  for (int i = 0; out && i < num; i++) out[i] = RILL_NO_OUTPUT;
  if (num < 1 || num > 4096 || !out) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.unstack: num must be in [1, 4096] with room for the outputs, got %d",
                         num);
    return RILL_NO_OUTPUT;
  }
  rill_op_builder *b = rill_op_builder_new(g, "Unpack", name ? name : "unstack");
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_int(b, "num", num);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_int(b, "axis", axis);
  rill_op *op = rill_op_builder_finish(b);
  if (!op) return RILL_NO_OUTPUT;
  for (int i = 0; i < num; i++) out[i] = rill_op_output(op, i);
  return out[0];
}
