/* Array ops: registration of the family and the helpers its files share (TF-style shape
 * errors, constant index inputs, partial evaluation of shape tensors). The ops live in
 * array_reshape.c, array_transpose.c, array_slice.c, array_strided_slice.c, array_concat.c,
 * array_tile.c, array_gather.c and array_fill.c; their kernels' copy engine in array_copy.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops/array_internal.h"

void rill_register_array_ops(void) {
  rill__register_array_reshape_ops();
  rill__register_array_transpose_ops();
  rill__register_array_slice_ops();
  rill__register_array_strided_slice_ops();
  rill__register_array_concat_ops();
  rill__register_array_tile_ops();
  rill__register_array_gather_ops();
  rill__register_array_fill_ops();
}

static rill_shape eval_shape(rill_output o, int depth, bool *learned, int64_t *bad);

/* ---- shape errors ---- */

/* TF's Tensor::SummarizeValue: "3", "0 2", "[1 -1][0 0]", at most 10 values. */
static size_t summarize(const rill_tensor *t, char *buf, size_t cap) {
  size_t used = 0;
  int64_t inner = t->shape.rank >= 2 ? t->shape.dims[t->shape.rank - 1] : 0;
  int64_t lim = t->n < 10 ? t->n : 10;
  for (int64_t i = 0; i < lim && used < cap; i++) {
    bool open = inner > 0 && i % inner == 0, close = inner > 0 && (i + 1) % inner == 0;
    const char *sep = (i && !open) ? " " : "";
    double v = rill_tensor_get(t, i);
    if (rill_dtype_is_float(t->dtype))
      used += (size_t)snprintf(buf + used, cap - used, "%s%s%g%s", sep, open ? "[" : "", v, close ? "]" : "");
    else
      used += (size_t)snprintf(buf + used, cap - used, "%s%s%lld%s", sep, open ? "[" : "", (long long)v,
                               close ? "]" : "");
  }
  if (t->n > lim && used < cap) used += (size_t)snprintf(buf + used, cap - used, "...");
  return used;
}

bool rill__array_error(rill_op *op, unsigned tensors, unsigned partial, const char *fmt, ...) {
  char msg[512], tail[1024] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t used = 0;
  used += (size_t)snprintf(tail + used, sizeof tail - used, "%s for '%s' (op: '%s') with input shapes: ", msg,
                           op->name ? op->name : "?", op->def->type);
  for (int i = 0; i < op->n_inputs && used < sizeof tail; i++) {
    char s[160];
    used += (size_t)snprintf(tail + used, sizeof tail - used, "%s%s", i ? ", " : "",
                             rill_shape_dbg(rill_op_input_shape(op, i), s, sizeof s));
  }
  bool first = true;
  for (int i = 0; i < op->n_inputs && i < 32 && used < sizeof tail; i++) {
    const rill_tensor *t = (tensors >> i) & 1 ? rill_op_input_const(op, i) : NULL;
    if (!t) continue;
    used += (size_t)snprintf(tail + used, sizeof tail - used, "%sinput[%d] = <",
                             first ? " and with computed input tensors: " : ", ", i);
    if (used < sizeof tail) used += summarize(t, tail + used, sizeof tail - used);
    if (used < sizeof tail) used += (size_t)snprintf(tail + used, sizeof tail - used, ">");
    first = false;
  }
  first = true;
  for (int i = 0; i < op->n_inputs && i < 32 && used < sizeof tail; i++) {
    if (!((partial >> i) & 1)) continue;
    bool learned = false;
    int64_t bad = 0;
    rill_shape s = eval_shape(op->inputs[i], 0, &learned, &bad);
    if (!learned) continue;
    char b[160];
    used += (size_t)snprintf(tail + used, sizeof tail - used, "%sinput[%d] = %s",
                             first ? " and with input tensors computed as partial shapes: " : ", ", i,
                             rill_shape_dbg(s, b, sizeof b));
    first = false;
  }
  rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT, "%s.", tail);
  return false;
}

/* ---- constant inputs ---- */

int64_t rill__int_values(const rill_tensor *t, int64_t *out, int64_t cap) {
  if (!t || !rill__is_index_dtype(t->dtype)) return -1;
  for (int64_t i = 0; i < t->n && i < cap; i++) out[i] = rill__ival(t, i);
  return t->n;
}

bool rill__const_int_input(const rill_op *op, int i, int64_t *v) {
  const rill_tensor *t = rill_op_input_const(op, i);
  if (!t || !rill__is_index_dtype(t->dtype) || t->n != 1 || t->shape.rank > 1) return false;
  *v = rill__ival(t, 0);
  return true;
}

/* ---- shape tensors evaluated at build time ---- */

static const rill_tensor *const_of(rill_output o) {
  if (strcmp(o.op->def->type, "Const")) return NULL;
  return rill_op_attr_tensor(o.op, "value");
}

/* Partial value of the int vector `o` as a shape. *bad receives a value below -1. */
static rill_shape eval_shape(rill_output o, int depth, bool *learned, int64_t *bad) {
  rill_shape s = rill_shape_unknown();
  const char *type = o.op->def->type;
  const rill_tensor *t = const_of(o);
  if (t && rill__is_index_dtype(t->dtype) && t->shape.rank == 1 && t->n <= RILL_MAX_RANK) {
    s.rank = (int)t->n;
    for (int i = 0; i < s.rank; i++) {
      int64_t v = rill__ival(t, i);
      if (v < -1) *bad = v;
      s.dims[i] = v < 0 ? -1 : v;
    }
    *learned = true;
    return s;
  }
  if (depth < 8 && !strcmp(type, "Shape")) {
    *learned = true;
    return rill_output_shape(o.op->inputs[0]);
  }
  if (depth < 8 && !strcmp(type, "Pack") && o.op->n_inputs <= RILL_MAX_RANK &&
      rill_output_shape(o.op->inputs[0]).rank == 0) {
    s.rank = o.op->n_inputs;
    for (int i = 0; i < s.rank; i++) {
      const rill_tensor *e = const_of(o.op->inputs[i]);
      int64_t v = (e && rill__is_index_dtype(e->dtype) && e->n == 1) ? rill__ival(e, 0) : -1;
      if (v < -1) *bad = v;
      s.dims[i] = v < 0 ? -1 : v;
    }
    *learned = true;
    return s;
  }
  if (depth < 8 && !strcmp(type, "ConcatV2")) {
    s.rank = 0;
    for (int i = 0; i < o.op->n_inputs - 1; i++) {
      rill_shape p = eval_shape(o.op->inputs[i], depth + 1, learned, bad);
      if (p.rank < 0 || s.rank + p.rank > RILL_MAX_RANK) return rill_shape_unknown();
      for (int j = 0; j < p.rank; j++) s.dims[s.rank++] = p.dims[j];
    }
    return s;
  }
  if (depth < 8 && !strcmp(type, "GatherV2") && !strcmp(o.op->inputs[0].op->def->type, "Shape")) {
    rill_shape base = rill_output_shape(o.op->inputs[0].op->inputs[0]);
    const rill_tensor *idx = const_of(o.op->inputs[1]), *axis = const_of(o.op->inputs[2]);
    if (base.rank >= 0 && idx && axis && rill__is_index_dtype(idx->dtype) && idx->shape.rank == 1 &&
        idx->n <= RILL_MAX_RANK && rill__is_index_dtype(axis->dtype) && rill__ival(axis, 0) == 0) {
      s.rank = (int)idx->n;
      for (int i = 0; i < s.rank; i++) {
        int64_t j = rill__ival(idx, i);
        s.dims[i] = (j >= 0 && j < base.rank) ? base.dims[j] : -1;
      }
      *learned = true;
      return s;
    }
  }
  rill_shape vs = rill_output_shape(o);
  if (vs.rank == 1 && vs.dims[0] >= 0 && vs.dims[0] <= RILL_MAX_RANK) {
    s.rank = (int)vs.dims[0];
    for (int i = 0; i < s.rank; i++) s.dims[i] = -1;
  }
  return s;
}

bool rill__input_as_shape(rill_op *op, int i, rill_shape *out, bool *used) {
  bool learned = false;
  int64_t bad = 0;
  *out = eval_shape(op->inputs[i], 0, &learned, &bad);
  if (used) *used = learned;
  if (bad < -1) {
    rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT, "Invalid value in tensor used for shape: %" PRId64, bad);
    return false;
  }
  return true;
}

int64_t rill__dim_mul(int64_t a, int64_t b) {
  if (a == 1) return b;
  if (b == 1) return a;
  if (a == 0 || b == 0) return 0;
  if (a < 0 || b < 0) return -1;
  return a * b;
}

int64_t rill__dim_add(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  if (a < 0 || b < 0) return -1;
  return a + b;
}

/* ---- builders shared by the files ---- */

rill_output rill__const_index(rill_graph *g, const int64_t *v, int n, bool scalar, const char *name) {
  bool wide = false;
  for (int i = 0; i < n; i++) wide |= v[i] > INT32_MAX || v[i] < INT32_MIN;
  rill_shape s = scalar ? rill_shape_scalar() : rill_shape_make((int64_t[]){n}, 1);
  if (wide) return rill_const_int64(g, v, n, s, name);
  int32_t buf[64];
  int32_t *w = n <= 64 ? buf : malloc((size_t)n * sizeof *w);
  if (!w) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return RILL_NO_OUTPUT;
  }
  for (int i = 0; i < n; i++) w[i] = (int32_t)v[i];
  rill_output o = rill_const_int32(g, w, n, s, name);
  if (w != buf) free(w);
  return o;
}

rill_output rill__grad_or_zeros(rill_graph *g, rill_output dy, rill_output o) {
  return dy.op ? dy : rill_zeros_like(g, o, NULL);
}
