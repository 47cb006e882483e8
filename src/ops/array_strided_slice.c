/* StridedSlice and StridedSliceGrad: TF's ValidateStridedSliceOp (sparse spec with ellipsis,
 * new and shrink axes -> dense per-dimension begin/end/stride), shared by shape inference, the
 * kernel and the gradient kernel. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

enum { NEW_AXIS = -1, SHRINK_AXIS = -2 };

typedef struct ss_spec {
  int n;                              /* sparse entries (length of strides) */
  const int64_t *begin, *end;         /* NULL: unknown */
  const int64_t *strides;
  int begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
} ss_spec;

typedef struct ss_dense {
  int64_t begin[RILL_MAX_RANK], end[RILL_MAX_RANK], strides[RILL_MAX_RANK];
  rill_shape processing, final;
  bool is_identity;
} ss_dense;

static bool fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return false;
}

/* TF's ValidateStridedSliceOp over a partially known input shape. */
static bool ss_validate(const ss_spec *sp, rill_shape in, ss_dense *d, char *err, size_t cap) {
  if (sp->n >= 32 || sp->n < 0) return fail(err, cap, "Expected begin, end, and strides to be 1D equal size tensors");
  int ell = sp->ellipsis_mask;
  if (ell && (ell & (ell - 1))) return fail(err, cap, "Multiple ellipses in slice spec not allowed");
  int sdims = sp->n, add_after_ellipsis = 0;
  bool seen = false;
  for (int i = 0; i < sp->n; i++) {
    if (seen && ((sp->new_axis_mask >> i) & 1)) add_after_ellipsis++;
    if ((ell >> i) & 1) seen = true;
  }
  if (!seen) {
    ell |= 1 << sp->n;
    sdims++;
  }
  /* sparse -> dense */
  int dims = in.rank, full = 0, ngather = 0, gather[64];
  int bmask = 0, emask = 0, shrink = 0;
  for (int i = 0; i < sdims; i++) {
    if ((ell >> i) & 1) {
      int next = dims - (sdims - i) + 1 + add_after_ellipsis;
      if (next > dims) next = dims;
      for (; full < next; full++) {
        d->begin[full] = d->end[full] = 0;
        d->strides[full] = 1;
        bmask |= 1 << full;
        emask |= 1 << full;
        gather[ngather++] = full;
      }
    } else if ((sp->new_axis_mask >> i) & 1) {
      gather[ngather++] = NEW_AXIS;
    } else {
      if (full == dims) return fail(err, cap, "Index out of range using input dim %d; input has only %d dims", full, dims);
      d->begin[full] = sp->begin ? sp->begin[i] : 0;
      d->end[full] = sp->end ? sp->end[i] : 0;
      d->strides[full] = sp->strides[i];
      if ((sp->begin_mask >> i) & 1) bmask |= 1 << full;
      if ((sp->end_mask >> i) & 1) emask |= 1 << full;
      if ((sp->shrink_axis_mask >> i) & 1) {
        gather[ngather++] = SHRINK_AXIS;
        shrink |= 1 << full;
      } else {
        gather[ngather++] = full;
      }
      full++;
    }
  }
  /* explicit ranges, bounds checks and the processing shape */
  bool valid = sp->begin && sp->end;
  d->is_identity = true;
  d->processing = rill_shape_scalar();
  d->processing.rank = dims;
  for (int i = 0; i < dims; i++) {
    int64_t *b = &d->begin[i], *e = &d->end[i], st = d->strides[i], dim = in.dims[i];
    bool shrink_i = (shrink >> i) & 1;
    if (st == 0) return fail(err, cap, "strides[%d] must be non-zero", i);
    if (dim < 0) {
      d->processing.dims[i] = shrink_i ? 1 : -1;
      d->is_identity = false;
      continue;
    }
    bool masked[2] = {(bmask >> i) & 1, (emask >> i) & 1};
    int64_t range[2] = {st > 0 ? 0 : -1, st > 0 ? dim : dim - 1};
    if (shrink_i && st <= 0) return fail(err, cap, "only stride 1 allowed on non-range indexing.");
    if (valid) {
      if (shrink_i) {
        /* foo[-1] gives begin -1, end 0: rebuild end from the forwarded begin */
        int64_t fwd = *b < 0 ? dim + *b : *b;
        *b = fwd;
        *e = fwd + 1;
        if (fwd < 0 || fwd >= dim) return fail(err, cap, "slice index %" PRId64 " of dimension %d out of bounds.", fwd, i);
      } else {
        for (int c = 0; c < 2; c++) {
          int64_t *x = c ? e : b;
          if (masked[c]) {
            *x = st > 0 ? range[c] : range[(c + 1) & 1];
          } else {
            int64_t fwd = *x < 0 ? dim + *x : *x;
            *x = fwd < range[0] ? range[0] : fwd > range[1] ? range[1] : fwd;
          }
        }
      }
      d->is_identity &= st == 1 && *b == 0 && *e == dim;
    } else {
      d->is_identity = false;
    }
    int64_t len = 0;
    bool known = true;
    if (valid)
      len = *e - *b;
    else if (shrink_i)
      len = 1;
    else if (masked[0] && masked[1])
      len = st < 0 ? -dim : dim;
    else
      known = false;
    if (!known) {
      d->processing.dims[i] = -1;
    } else if (len == 0 || ((len < 0) != (st < 0))) {
      d->processing.dims[i] = 0;
    } else {
      d->processing.dims[i] = len / st + (len % st != 0 ? 1 : 0);
    }
  }
  /* the final shape: new axes add a 1, shrunk axes disappear */
  d->final = rill_shape_scalar();
  for (int i = 0; i < ngather; i++) {
    if (gather[i] == SHRINK_AXIS) continue;
    if (d->final.rank == RILL_MAX_RANK) return fail(err, cap, "strided slice result exceeds rank %d", RILL_MAX_RANK);
    d->final.dims[d->final.rank++] = gather[i] == NEW_AXIS ? 1 : d->processing.dims[gather[i]];
  }
  return true;
}

static void spec_masks(const rill_op *op, ss_spec *sp) {
  sp->begin_mask = (int)rill_op_attr_int(op, "begin_mask", 0);
  sp->end_mask = (int)rill_op_attr_int(op, "end_mask", 0);
  sp->ellipsis_mask = (int)rill_op_attr_int(op, "ellipsis_mask", 0);
  sp->new_axis_mask = (int)rill_op_attr_int(op, "new_axis_mask", 0);
  sp->shrink_axis_mask = (int)rill_op_attr_int(op, "shrink_axis_mask", 0);
}

/* Shared by both ops' shape functions: inputs [first, first+3) are begin, end, strides. */
static bool check_index_inputs(rill_op *op, int first) {
  rill_dtype t = rill_op_input_dtype(op, first);
  if (!rill__is_index_dtype(t))
    return rill_op_shape_error(op, "begin must be int32 or int64, not %s", rill_dtype_name(t));
  if (!rill_op_check_same_dtype(op, first, first + 3)) return false;
  int64_t n = -1;
  for (int i = first; i < first + 3; i++) {
    rill_shape s = rill_op_input_shape(op, i);
    if (s.rank >= 0 && s.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", s.rank);
    if (s.rank == 1 && s.dims[0] >= 0) {
      if (n >= 0 && s.dims[0] != n)
        return rill_op_shape_error(op, "Dimension 0 in both shapes must be equal, but are %" PRId64 " and %" PRId64,
                                   n, s.dims[0]);
      n = s.dims[0];
    }
  }
  return true;
}

static bool strided_slice_infer(rill_op *op) {
  if (!check_index_inputs(op, 1)) return false;
  rill_shape in = rill_op_input_shape(op, 0);
  rill_dtype t = rill_op_input_dtype(op, 0);
  const rill_tensor *bt = rill_op_input_const(op, 1), *et = rill_op_input_const(op, 2), *st = rill_op_input_const(op, 3);
  if (in.rank < 0 || !st || st->n >= 32) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  int64_t b[32], e[32], s[32];
  ss_spec sp = {.n = (int)st->n, .strides = s};
  rill__int_values(st, s, 32);
  if (bt && bt->n == st->n) sp.begin = b, rill__int_values(bt, b, 32);
  if (et && et->n == st->n) sp.end = e, rill__int_values(et, e, 32);
  spec_masks(op, &sp);
  ss_dense d;
  char err[256];
  if (!ss_validate(&sp, in, &d, err, sizeof err)) return rill__array_error(op, 0xEu, 0, "%s", err);
  rill_op_set_output(op, t, d.final);
  return true;
}

/* Reads begin/end/strides tensors at run time. */
static bool spec_from_tensors(rill_kctx *k, const rill_tensor *bt, const rill_tensor *et, const rill_tensor *st,
                              ss_spec *sp, int64_t *b, int64_t *e, int64_t *s) {
  char x[64], y[64], z[64];
  if (bt->shape.rank != 1 || et->shape.rank != 1 || st->shape.rank != 1 || bt->n != st->n || et->n != st->n ||
      st->n >= 32)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Expected begin, end, and strides to be 1D equal size tensors, but got shapes %s, %s, and %s "
                       "instead.",
                       rill_shape_dbg(bt->shape, x, sizeof x), rill_shape_dbg(et->shape, y, sizeof y),
                       rill_shape_dbg(st->shape, z, sizeof z));
  rill__int_values(bt, b, 32);
  rill__int_values(et, e, 32);
  rill__int_values(st, s, 32);
  sp->n = (int)st->n;
  sp->begin = b;
  sp->end = e;
  sp->strides = s;
  spec_masks(rill_k_op(k), sp);
  return true;
}

/* The copy between the full tensor of shape `full` and the dense slice: full-side strides
 * step by the slice strides from its begin. */
static void slice_copy(rill_shape full, const ss_dense *d, rill__copy *c, bool into_full) {
  int64_t fs[RILL_MAX_RANK], ps[RILL_MAX_RANK];
  rill__strides(full, fs);
  rill__strides(d->processing, ps);
  memset(c, 0, sizeof *c);
  c->rank = full.rank;
  int64_t off = 0;
  for (int i = 0; i < full.rank; i++) {
    c->shape[i] = d->processing.dims[i];
    off += d->begin[i] * fs[i];
    (into_full ? c->dstride : c->sstride)[i] = fs[i] * d->strides[i];
    (into_full ? c->sstride : c->dstride)[i] = ps[i];
  }
  if (into_full)
    c->doff = off;
  else
    c->soff = off;
}

static bool strided_slice_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  int64_t b[32], e[32], s[32];
  ss_spec sp;
  if (!spec_from_tensors(k, rill_k_in(k, 1), rill_k_in(k, 2), rill_k_in(k, 3), &sp, b, e, s)) return false;
  ss_dense d;
  char err[256];
  if (!ss_validate(&sp, x->shape, &d, err, sizeof err)) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", err);
  if (d.is_identity) {
    rill_tensor *v = rill__tensor_view(x, d.final);
    if (!v) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
    rill_k_set_out(k, 0, v);
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, d.final);
  if (!o) return false;
  rill__copy c;
  slice_copy(x->shape, &d, &c, false);
  return rill__copy_run(k, o, x, &c);
}

static void strided_slice_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output shape = rill_shape_of(g, op->inputs[0], rill_op_input_dtype(op, 1), NULL);
  dx[0] = rill__strided_slice_grad(g, shape, op->inputs[1], op->inputs[2], op->inputs[3], dy[0], op, NULL);
}

/* ---- StridedSliceGrad(shape, begin, end, strides, dy) ---- */

static bool ssg_infer(rill_op *op) {
  if (!check_index_inputs(op, 1)) return false;
  if (rill_op_input_dtype(op, 0) != rill_op_input_dtype(op, 1))
    return rill_op_check_same_dtype(op, 0, 2);
  rill_shape out;
  if (!rill__input_as_shape(op, 0, &out, NULL)) return false;
  rill_op_set_output(op, rill_op_input_dtype(op, 4), out);
  return true;
}

static bool ssg_kernel(rill_kctx *k) {
  rill_tensor *shape = rill_k_in(k, 0), *dy = rill_k_in(k, 4);
  char a[160], b2[160];
  if (shape->shape.rank != 1 || shape->n > RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "shape must be a vector of at most %d values, not %s", RILL_MAX_RANK,
                       rill_shape_dbg(shape->shape, a, sizeof a));
  rill_shape in = rill_shape_scalar();
  in.rank = (int)shape->n;
  for (int i = 0; i < in.rank; i++) {
    in.dims[i] = rill__ival(shape, i);
    if (in.dims[i] < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Dimension %" PRId64 " must be >= 0", in.dims[i]);
  }
  int64_t b[32], e[32], s[32];
  ss_spec sp;
  if (!spec_from_tensors(k, rill_k_in(k, 1), rill_k_in(k, 2), rill_k_in(k, 3), &sp, b, e, s)) return false;
  ss_dense d;
  char err[256];
  if (!ss_validate(&sp, in, &d, err, sizeof err)) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", err);
  if (!rill_shape_equal(d.final, dy->shape))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "shape of dy was %s instead of %s", rill_shape_dbg(dy->shape, a, sizeof a),
                       rill_shape_dbg(d.final, b2, sizeof b2));
  rill_tensor *o = rill_k_alloc(k, 0, dy->dtype, in);
  if (!o) return false;
  rill__copy c;
  slice_copy(in, &d, &c, true);
  return rill__copy_run(k, o, dy, &c);
}

/* StridedSliceGrad is linear in dy: its gradient slices the incoming gradient the same way. */
static void ssg_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  dx[4] = rill__strided_slice_t(g, dy[0], op->inputs[1], op->inputs[2], op->inputs[3], op, NULL);
}

static const rill_op_def strided_slice_def = {.type = "StridedSlice", .infer = strided_slice_infer,
                                              .kernel = strided_slice_kernel, .grad = strided_slice_grad};
static const rill_op_def ssg_def = {.type = "StridedSliceGrad", .infer = ssg_infer, .kernel = ssg_kernel,
                                    .grad = ssg_grad};

void rill__register_array_strided_slice_ops(void) {
  rill_register_op(&strided_slice_def);
  rill_register_op(&ssg_def);
}

/* ---- builders ---- */

static void copy_masks(rill_op_builder *b, const rill_op *from, const int *m) {
  static const char *keys[5] = {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"};
  for (int i = 0; i < 5; i++) rill_op_builder_attr_int(b, keys[i], from ? rill_op_attr_int(from, keys[i], 0) : m[i]);
}

static rill_output build(rill_graph *g, const char *type, const char *name, const rill_output *in, int n,
                         rill_dtype t, const rill_op *masks_from, const int *masks) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_inputs(b, in, n);
  rill_op_builder_attr_type(b, "T", t);
  rill_op_builder_attr_type(b, "Index", rill_output_dtype(in[1]));
  copy_masks(b, masks_from, masks);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill__strided_slice_t(rill_graph *g, rill_output x, rill_output begin, rill_output end,
                                  rill_output strides, const rill_op *masks_from, const char *name) {
  rill_output in[4] = {x, begin, end, strides};
  return build(g, "StridedSlice", name ? name : "StridedSlice", in, 4, rill_output_dtype(x), masks_from, NULL);
}

rill_output rill__strided_slice_grad(rill_graph *g, rill_output shape, rill_output begin, rill_output end,
                                     rill_output strides, rill_output dy, const rill_op *masks_from,
                                     const char *name) {
  rill_output in[5] = {shape, begin, end, strides, dy};
  return build(g, "StridedSliceGrad", name ? name : "StridedSliceGrad", in, 5, rill_output_dtype(dy), masks_from,
               NULL);
}

rill_output rill_strided_slice(rill_graph *g, rill_output x, const int64_t *begin, const int64_t *end,
                               const int64_t *strides, int n, int begin_mask, int end_mask, int ellipsis_mask,
                               int new_axis_mask, int shrink_axis_mask, const char *name) {
  if (n < 0 || n >= 32 || (n > 0 && (!begin || !end))) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "rill_strided_slice: bad spec (%d entries)", n);
    return RILL_NO_OUTPUT;
  }
  int64_t ones[32];
  bool wide = false;
  for (int i = 0; i < n; i++) {
    ones[i] = strides ? strides[i] : 1;
    wide |= begin[i] != (int32_t)begin[i] || end[i] != (int32_t)end[i] || ones[i] != (int32_t)ones[i];
  }
  rill_name_scope_push(g, name ? name : "StridedSlice");
  /* begin, end and strides share one Index dtype: int64 when any value needs it */
  rill_shape vs = rill_shape_make((int64_t[]){n}, 1);
  rill_output in[4] = {x, RILL_NO_OUTPUT, RILL_NO_OUTPUT, RILL_NO_OUTPUT};
  const int64_t *src[3] = {begin, end, ones};
  static const char *names[3] = {"begin", "end", "strides"};
  for (int j = 0; j < 3; j++)
    in[j + 1] = wide ? rill_const_int64(g, src[j], n, vs, names[j]) : rill__const_index(g, src[j], n, false, names[j]);
  int masks[5] = {begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask};
  rill_output o = build(g, "StridedSlice", rill_name_scope(g), in, 4, rill_output_dtype(x), NULL, masks);
  rill_name_scope_pop(g);
  return o;
}
