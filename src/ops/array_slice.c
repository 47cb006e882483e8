/* Slice and Pad, each the other's gradient. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

/* ---- Slice(input, begin, size) ---- */

static bool slice_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), bs = rill_op_input_shape(op, 1), ss = rill_op_input_shape(op, 2);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "Slice's begin must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  if (!rill_op_check_same_dtype(op, 1, 3)) return false;
  if (bs.rank >= 0 && bs.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", bs.rank);
  if (ss.rank >= 0 && ss.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", ss.rank);
  int64_t nb = bs.rank == 1 ? bs.dims[0] : -1, ns = ss.rank == 1 ? ss.dims[0] : -1;
  if (nb >= 0 && ns >= 0 && nb != ns)
    return rill_op_shape_error(op, "Dimension 0 in both shapes must be equal, but are %" PRId64 " and %" PRId64, nb, ns);
  int64_t ndims = nb >= 0 ? nb : ns;
  if (ndims >= 0 && in.rank >= 0 && in.rank != ndims)
    return rill_op_shape_error(op, "Shape must be rank %" PRId64 " but is rank %d", ndims, in.rank);
  /* begin read as a partial shape: -1 (or a run-time value) is unknown */
  rill_shape begin;
  if (!rill__input_as_shape(op, 1, &begin, NULL)) return false;
  const rill_tensor *sizes = rill_op_input_const(op, 2);
  rill_shape out = rill_shape_unknown();
  if (sizes && sizes->shape.rank == 1 && sizes->n <= RILL_MAX_RANK) {
    out.rank = (int)sizes->n;
    for (int i = 0; i < out.rank; i++) {
      int64_t s = rill__ival(sizes, i);
      int64_t dim = in.rank > i ? in.dims[i] : -1;
      if (s < -1)
        return rill__array_error(op, 1u << 2, 0,
                                 "Out of bounds slicing on dimension %d of length %" PRId64
                                 ": sizes vector cannot be < -1, but was %" PRId64,
                                 i, dim, s);
      if (s >= 0) {
        out.dims[i] = s;
      } else {
        int64_t b = begin.rank > i ? begin.dims[i] : -1;
        if (dim < 0 || b < 0) {
          out.dims[i] = -1;
        } else if (dim < b) {
          return rill__array_error(op, 3u << 1, 0,
                                   "Negative dimension size caused by subtracting %" PRId64 " from %" PRId64, b, dim);
        } else {
          out.dims[i] = dim - b;
        }
      }
    }
  } else {
    rill_shape sz;
    if (!rill__input_as_shape(op, 2, &sz, NULL)) return false;
    if (sz.rank >= 0)
      out = sz;
    else if (in.rank >= 0) {
      out.rank = in.rank;
      for (int i = 0; i < in.rank; i++) out.dims[i] = -1;
    }
  }
  rill_op_set_output(op, t, out);
  return true;
}

static bool slice_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *bt = rill_k_in(k, 1), *st = rill_k_in(k, 2);
  int rank = x->shape.rank;
  char a[64], b[64];
  if (bt->shape.rank != 1 || st->shape.rank != 1 || bt->n != rank || st->n != rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Expected begin and size arguments to be 1-D tensors of size %d, but got shapes %s and %s instead.",
                       rank, rill_shape_dbg(bt->shape, a, sizeof a), rill_shape_dbg(st->shape, b, sizeof b));
  rill_shape os = x->shape;
  rill__copy c = {.rank = rank};
  int64_t xs[RILL_MAX_RANK];
  rill__strides(x->shape, xs);
  bool identity = true;
  for (int i = 0; i < rank; i++) {
    int64_t dim = x->shape.dims[i], bi = rill__ival(bt, i), si = rill__ival(st, i);
    if (si == -1) si = dim - bi;
    if (dim == 0) {
      if (bi != 0 || si != 0)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                           "Expected begin[%d] == 0 (got %" PRId64 ") and size[%d] == 0 (got %" PRId64
                           ") when input.dim_size(%d) == 0",
                           i, bi, i, si, i);
    } else {
      if (bi < 0 || bi > dim)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Expected begin[%d] in [0, %" PRId64 "], but got %" PRId64, i, dim,
                           bi);
      if (si < 0 || bi + si > dim)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Expected size[%d] in [0, %" PRId64 "], but got %" PRId64, i,
                           dim - bi, si);
    }
    os.dims[i] = si;
    identity &= bi == 0 && si == dim;
    c.shape[i] = si;
    c.sstride[i] = xs[i];
    c.soff += bi * xs[i];
  }
  if (identity) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, os);
  if (!o) return false;
  rill__strides(os, c.dstride);
  return rill__copy_run(k, o, x, &c);
}

/* [rank, 2] paddings as a tensor: (begin, x - y - begin) per dim, constant when all is known. */
static rill_output slice_paddings(rill_graph *g, rill_op *op) {
  rill_output x = op->inputs[0], y = rill_op_output(op, 0), begin = op->inputs[1];
  rill_shape xs = rill_output_shape(x), ys = rill_output_shape(y);
  const rill_tensor *bt = rill_op_input_const(op, 1);
  rill_dtype it = rill_op_input_dtype(op, 1);
  if (rill_shape_is_fully_defined(xs) && rill_shape_is_fully_defined(ys) && bt && bt->n == xs.rank) {
    int64_t p[2 * RILL_MAX_RANK];
    for (int i = 0; i < xs.rank; i++) {
      p[2 * i] = rill__ival(bt, i);
      p[2 * i + 1] = xs.dims[i] - ys.dims[i] - p[2 * i];
    }
    rill_shape ps = rill_shape_make((int64_t[]){xs.rank, 2}, 2);
    if (it == RILL_INT64) return rill_const_int64(g, p, 2 * xs.rank, ps, "paddings");
    int32_t q[2 * RILL_MAX_RANK];
    for (int i = 0; i < 2 * xs.rank; i++) q[i] = (int32_t)p[i];
    return rill_const_int32(g, q, 2 * xs.rank, ps, "paddings");
  }
  /* TF's form: concat([reshape(begin, [r, 1]), reshape(shape(x) - shape(y) - begin, [r, 1])], 1) */
  rill_output r = rill_cast(g, rill_rank(g, x, NULL), it, NULL);
  rill_output one = rill_scalar_of(g, it, 1, NULL);
  rill_output col = rill_stack(g, (rill_output[]){r, one}, 2, 0, NULL);
  rill_output before = rill_reshape_to(g, begin, col, NULL);
  rill_output after = rill_sub(g, rill_sub(g, rill_shape_of(g, x, it, NULL), rill_shape_of(g, y, it, NULL), NULL), begin,
                               NULL);
  after = rill_reshape_to(g, after, col, NULL);
  return rill_concat(g, (rill_output[]){before, after}, 2, 1, NULL);
}

static void slice_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  dx[0] = rill__pad_t(g, dy[0], slice_paddings(g, op), NULL);
}

/* ---- Pad(input, paddings) ---- */

static bool pad_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), ps = rill_op_input_shape(op, 1);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "Pad's paddings must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  if (ps.rank >= 0 && ps.rank != 2) return rill_op_shape_error(op, "Shape must be rank 2 but is rank %d", ps.rank);
  if (ps.rank == 2 && ps.dims[1] >= 0 && ps.dims[1] != 2)
    return rill_op_shape_error(op, "Dimension must be 2 but is %" PRId64, ps.dims[1]);
  int64_t n = ps.rank == 2 ? ps.dims[0] : -1;
  if (n >= 0 && in.rank >= 0 && in.rank != n)
    return rill_op_shape_error(op, "Shape must be rank %" PRId64 " but is rank %d", n, in.rank);
  if (n < 0) n = in.rank;
  const rill_tensor *pt = rill_op_input_const(op, 1);
  rill_shape out = rill_shape_unknown();
  if (n > RILL_MAX_RANK) return rill_op_shape_error(op, "Pad of rank %" PRId64 " is not supported", n);
  if (!pt) {
    if (n >= 0) {
      out.rank = (int)n;
      for (int i = 0; i < out.rank; i++) out.dims[i] = -1;
    }
    rill_op_set_output(op, t, out);
    return true;
  }
  out.rank = (int)n;
  for (int i = 0; i < out.rank; i++) {
    int64_t a = rill__ival(pt, 2 * i), b = rill__ival(pt, 2 * i + 1);
    if (a < 0 || b < 0) return rill__array_error(op, 1u << 1, 0, "Paddings must be non-negative");
    int64_t dim = in.rank >= 0 ? in.dims[i] : -1;
    out.dims[i] = dim < 0 ? -1 : dim + a + b;
  }
  rill_op_set_output(op, t, out);
  return true;
}

static bool pad_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *pt = rill_k_in(k, 1);
  int rank = x->shape.rank;
  char a[64], b[64];
  if (pt->shape.rank != 2 || pt->shape.dims[1] != 2)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "paddings must be a matrix with 2 columns: %s",
                       rill_shape_dbg(pt->shape, a, sizeof a));
  if (pt->shape.dims[0] != rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "The first dimension of paddings must be the rank of inputs%s %s",
                       rill_shape_dbg(pt->shape, a, sizeof a), rill_shape_dbg(x->shape, b, sizeof b));
  rill_shape os = x->shape;
  bool none = true;
  for (int i = 0; i < rank; i++) {
    int64_t lo = rill__ival(pt, 2 * i), hi = rill__ival(pt, 2 * i + 1);
    if (lo < 0 || hi < 0)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Paddings must be non-negative: %" PRId64 " %" PRId64, lo, hi);
    os.dims[i] += lo + hi;
    none &= lo == 0 && hi == 0;
  }
  if (none) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, os);
  if (!o) return false;
  rill__copy c = {.rank = rank};
  rill__strides(os, c.dstride);
  rill__strides(x->shape, c.sstride);
  for (int i = 0; i < rank; i++) {
    c.shape[i] = x->shape.dims[i];
    c.doff += rill__ival(pt, 2 * i) * c.dstride[i];
  }
  return rill__copy_run(k, o, x, &c);
}

/* Pad's gradient slices the input's region back out of dy. */
static void pad_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = op->inputs[0];
  rill_shape xs = rill_output_shape(x);
  const rill_tensor *pt = rill_op_input_const(op, 1);
  if (pt && xs.rank >= 0 && rill_shape_is_fully_defined(xs) && pt->n == 2 * xs.rank) {
    int64_t begin[RILL_MAX_RANK];
    for (int i = 0; i < xs.rank; i++) begin[i] = rill__ival(pt, 2 * i);
    dx[0] = rill_slice(g, dy[0], begin, xs.dims, NULL);
    return;
  }
  /* TF's form: begin = reshape(slice(paddings, [0, 0], [rank(x), 1]), [-1]), size = shape(x) */
  rill_dtype it = rill_op_input_dtype(op, 1);
  rill_output r = rill_cast(g, rill_rank(g, x, NULL), it, NULL);
  rill_output zero2 = rill_fill(g, (int64_t[]){2}, 1, rill_scalar_of(g, it, 0, NULL), NULL);
  rill_output size2 = rill_stack(g, (rill_output[]){r, rill_scalar_of(g, it, 1, NULL)}, 2, 0, NULL);
  rill_output before = rill__slice_t(g, op->inputs[1], zero2, size2, NULL);
  rill_output begin = rill_reshape(g, before, (int64_t[]){-1}, 1, NULL);
  dx[0] = rill__slice_t(g, dy[0], begin, rill_shape_of(g, x, it, NULL), NULL);
}

static const rill_op_def slice_def = {.type = "Slice", .infer = slice_infer, .kernel = slice_kernel,
                                      .grad = slice_grad};
static const rill_op_def pad_def = {.type = "Pad", .infer = pad_infer, .kernel = pad_kernel, .grad = pad_grad};

void rill__register_array_slice_ops(void) {
  rill_register_op(&slice_def);
  rill_register_op(&pad_def);
}

/* ---- builders ---- */

rill_output rill__slice_t(rill_graph *g, rill_output x, rill_output begin, rill_output size, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Slice", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, begin);
  rill_op_builder_add_input(b, size);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Index", rill_output_dtype(begin));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill__pad_t(rill_graph *g, rill_output x, rill_output paddings, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Pad", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, paddings);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tpaddings", rill_output_dtype(paddings));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

static int known_rank(rill_graph *g, rill_output x, const char *what) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, what)) return -1;
  int r = rill_output_shape(x).rank;
  if (r < 0) rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "%s: the input's rank must be known", what);
  return r;
}

rill_output rill_slice(rill_graph *g, rill_output x, const int64_t *begin, const int64_t *size, const char *name) {
  int r = known_rank(g, x, "tf.slice");
  if (r < 0) return RILL_NO_OUTPUT;
  if (r > 0 && (!begin || !size)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.slice: begin and size are required");
    return RILL_NO_OUTPUT;
  }
  int64_t both[2 * RILL_MAX_RANK];
  bool wide = false;
  for (int i = 0; i < r; i++) {
    both[i] = begin[i];
    both[r + i] = size[i];
    wide |= begin[i] != (int32_t)begin[i] || size[i] != (int32_t)size[i];
  }
  rill_shape vs = rill_shape_make((int64_t[]){r}, 1);
  rill_name_scope_push(g, name ? name : "Slice");
  rill_output bo = wide ? rill_const_int64(g, both, r, vs, "begin") : rill__const_index(g, both, r, false, "begin");
  rill_output so = wide ? rill_const_int64(g, both + r, r, vs, "size") : rill__const_index(g, both + r, r, false, "size");
  rill_output o = rill__slice_t(g, x, bo, so, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}

rill_output rill_pad(rill_graph *g, rill_output x, const int64_t *paddings, const char *name) {
  int r = known_rank(g, x, "tf.pad");
  if (r < 0) return RILL_NO_OUTPUT;
  if (r > 0 && !paddings) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.pad: paddings are required");
    return RILL_NO_OUTPUT;
  }
  int32_t p[2 * RILL_MAX_RANK];
  bool wide = false;
  for (int i = 0; i < 2 * r; i++) {
    p[i] = (int32_t)paddings[i];
    wide |= paddings[i] != p[i];
  }
  rill_shape ps = rill_shape_make((int64_t[]){r, 2}, 2);
  rill_name_scope_push(g, name ? name : "Pad");
  rill_output po = wide ? rill_const_int64(g, paddings, 2 * r, ps, "paddings") : rill_const_int32(g, p, 2 * r, ps, "paddings");
  rill_output o = rill__pad_t(g, x, po, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}
