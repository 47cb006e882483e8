/* Fill, ZerosLike, OnesLike and Range, and the tf.zeros / tf.ones builders. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

/* ---- Fill(dims, value) ---- */

static bool fill_infer(rill_op *op) {
  rill_shape ds = rill_op_input_shape(op, 0), vs = rill_op_input_shape(op, 1);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 0)))
    return rill_op_shape_error(op, "Fill's dims must be int32 or int64, not %s", rill_dtype_name(rill_op_input_dtype(op, 0)));
  if (ds.rank >= 0 && ds.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", ds.rank);
  if (vs.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d", vs.rank);
  const rill_tensor *dt = rill_op_input_const(op, 0);
  for (int64_t i = 0; dt && i < dt->n; i++)
    if (rill__ival(dt, i) < 0) return rill__array_error(op, 0, 1u, "Fill dimensions must be >= 0");
  rill_shape out;
  if (!rill__input_as_shape(op, 0, &out, NULL)) return false;
  rill_op_set_output(op, rill_op_input_dtype(op, 1), out);
  return true;
}

/* Fills o with copies of the scalar v (any dtype). */
static bool fill_with(rill_kctx *k, rill_tensor *o, const rill_tensor *v) {
  if (o->dtype == RILL_STRING) {
    for (int64_t i = 0; i < o->n; i++)
      if (!rill__copy_elems(o, i, v, 0, 1)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return true;
  }
  size_t esz = rill_dtype_size(o->dtype);
  char *d = o->data;
  if (o->n == 0) return true;
  memcpy(d, v->data, esz);
  /* doubling copies: log2(n) memcpys */
  for (int64_t done = 1; done < o->n;) {
    int64_t c = done < o->n - done ? done : o->n - done;
    memcpy(d + (size_t)done * esz, d, (size_t)c * esz);
    done += c;
  }
  return true;
}

static bool fill_kernel(rill_kctx *k) {
  rill_tensor *dt = rill_k_in(k, 0), *v = rill_k_in(k, 1);
  char b[160];
  if (dt->shape.rank != 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "dims must be a vector, got shape %s", rill_shape_dbg(dt->shape, b, sizeof b));
  if (v->shape.rank != 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "value must be a scalar, got shape %s", rill_shape_dbg(v->shape, b, sizeof b));
  if (dt->n > RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Fill of rank %" PRId64 " exceeds the maximum rank %d", dt->n, RILL_MAX_RANK);
  rill_shape s = rill_shape_scalar();
  s.rank = (int)dt->n;
  for (int i = 0; i < s.rank; i++) {
    s.dims[i] = rill__ival(dt, i);
    if (s.dims[i] < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Dimension %" PRId64 " must be >= 0", s.dims[i]);
  }
  rill_tensor *o = rill_k_alloc(k, 0, v->dtype, s);
  return o && fill_with(k, o, v);
}

static void fill_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  (void)op;
  if (dy[0].op) dx[1] = rill_reduce_sum(g, dy[0], NULL, 0, false, NULL);
}

/* ---- ZerosLike / OnesLike ---- */

static bool like_infer(rill_op *op) {
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!strcmp(op->def->type, "OnesLike") && t == RILL_STRING)
    return rill_op_shape_error(op, "OnesLike does not support strings");
  rill_op_set_output(op, t, rill_op_input_shape(op, 0));
  return true;
}

static bool zeros_like_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  return rill_k_alloc(k, 0, x->dtype, x->shape) != NULL;
}

static bool ones_like_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, x->shape);
  if (!o) return false;
  rill__fill_value(o, 1);
  return true;
}

/* ---- Range(start, limit, delta) ---- */

/* The element count, or -1 after writing TF's message to err. Arithmetic in T's precision. */
static int64_t range_size(rill_dtype t, const rill_tensor *st, const rill_tensor *lt, const rill_tensor *dt, char *err,
                          size_t cap, bool kernel) {
  double s = rill_tensor_get(st, 0), l = rill_tensor_get(lt, 0), d = rill_tensor_get(dt, 0);
  char sb[64], lb[64], db[64];
  if (rill_dtype_is_float(t)) {
    snprintf(sb, sizeof sb, "%g", s);
    snprintf(lb, sizeof lb, "%g", l);
    snprintf(db, sizeof db, "%g", d);
  } else {
    snprintf(sb, sizeof sb, "%" PRId64, rill__ival(st, 0));
    snprintf(lb, sizeof lb, "%" PRId64, rill__ival(lt, 0));
    snprintf(db, sizeof db, "%" PRId64, rill__ival(dt, 0));
  }
  if (d == 0) {
    snprintf(err, cap, kernel ? "Requires delta != 0: %s" : "Requires delta != 0", db);
    return -1;
  }
  if (s > l && d > 0) {
    snprintf(err, cap, "Requires start <= limit when delta > 0: %s/%s", sb, lb);
    return -1;
  }
  if (s < l && d < 0) {
    snprintf(err, cap, "Requires start >= limit when delta < 0: %s/%s", sb, lb);
    return -1;
  }
  if (rill_dtype_is_float(t)) {
    double n = t == RILL_FLOAT ? (double)ceilf(fabsf(((float)l - (float)s) / (float)d)) : ceil(fabs((l - s) / d));
    if (!(n <= 9.2e18)) {
      snprintf(err, cap, "Requires ((limit - start) / delta) <= %lld", (long long)INT64_MAX);
      return -1;
    }
    return (int64_t)n;
  }
  int64_t si = rill__ival(st, 0), li = rill__ival(lt, 0), di = rill__ival(dt, 0);
  int64_t span = li > si ? li - si : si - li, ad = di < 0 ? -di : di;
  return (span + ad - 1) / ad;
}

static bool range_infer(rill_op *op) {
  rill_dtype t = rill_op_attr_type(op, "Tidx", rill_op_input_dtype(op, 0));
  if (t != RILL_FLOAT && t != RILL_DOUBLE && !rill__is_index_dtype(t))
    return rill_op_shape_error(op, "Range does not support %s", rill_dtype_name(t));
  if (!rill_op_check_same_dtype(op, 0, 3)) return false;
  static const char *what[3] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; i++) {
    rill_shape s = rill_op_input_shape(op, i);
    if (s.rank > 0) return rill_op_shape_error(op, "Shape must be rank 0 but is rank %d\n\t for '%s'", s.rank, what[i]);
  }
  const rill_tensor *st = rill_op_input_const(op, 0), *lt = rill_op_input_const(op, 1), *dt = rill_op_input_const(op, 2);
  int64_t n = -1;
  if (st && lt && dt) {
    char err[256];
    n = range_size(t, st, lt, dt, err, sizeof err, false);
    if (n < 0) return rill__array_error(op, 7u, 0, "%s", err);
  }
  rill_op_set_output(op, t, rill_shape_make((int64_t[]){n}, 1));
  return true;
}

static bool range_kernel(rill_kctx *k) {
  rill_tensor *st = rill_k_in(k, 0), *lt = rill_k_in(k, 1), *dt = rill_k_in(k, 2);
  static const char *what[3] = {"start", "limit", "delta"};
  char b[160], err[256];
  for (int i = 0; i < 3; i++) {
    rill_tensor *x = rill_k_in(k, i);
    if (x->shape.rank != 0)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s must be a scalar, not shape %s", what[i],
                         rill_shape_dbg(x->shape, b, sizeof b));
  }
  rill_dtype t = st->dtype;
  int64_t n = range_size(t, st, lt, dt, err, sizeof err, true);
  if (n < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", err);
  rill_tensor *o = rill_k_alloc(k, 0, t, rill_shape_make((int64_t[]){n}, 1));
  if (!o) return false;
  switch (t) {
    case RILL_FLOAT: {
      float s = *(float *)st->data, d = *(float *)dt->data, *v = o->data;
      for (int64_t i = 0; i < n; i++) v[i] = s + (float)i * d;
      break;
    }
    case RILL_DOUBLE: {
      double s = *(double *)st->data, d = *(double *)dt->data, *v = o->data;
      for (int64_t i = 0; i < n; i++) v[i] = s + (double)i * d;
      break;
    }
    case RILL_INT32: {
      int32_t s = *(int32_t *)st->data, d = *(int32_t *)dt->data, *v = o->data;
      for (int64_t i = 0; i < n; i++) v[i] = (int32_t)(s + i * d);
      break;
    }
    default: {
      int64_t s = *(int64_t *)st->data, d = *(int64_t *)dt->data, *v = o->data;
      for (int64_t i = 0; i < n; i++) v[i] = s + i * d;
      break;
    }
  }
  return true;
}

static const rill_op_def fill_def = {.type = "Fill", .infer = fill_infer, .kernel = fill_kernel, .grad = fill_grad};
static const rill_op_def zeros_like_def = {.type = "ZerosLike", .infer = like_infer, .kernel = zeros_like_kernel,
                                           .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def ones_like_def = {.type = "OnesLike", .infer = like_infer, .kernel = ones_like_kernel,
                                          .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def range_def = {.type = "Range", .infer = range_infer, .kernel = range_kernel,
                                      .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill__register_array_fill_ops(void) {
  rill_register_op(&fill_def);
  rill_register_op(&zeros_like_def);
  rill_register_op(&ones_like_def);
  rill_register_op(&range_def);
}

/* ---- builders ---- */

rill_output rill__fill_t(rill_graph *g, rill_output dims, rill_output value, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Fill", name ? name : "Fill");
  rill_op_builder_add_input(b, dims);
  rill_op_builder_add_input(b, value);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(value));
  rill_op_builder_attr_type(b, "index_type", rill_output_dtype(dims));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_fill(rill_graph *g, const int64_t *dims, int rank, rill_output value, const char *name) {
  if (rank < 0 || rank > RILL_MAX_RANK || (rank > 0 && !dims)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.fill: bad dims (rank %d)", rank);
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "Fill");
  rill_output d = rill__const_index(g, dims, rank, false, "dims");
  rill_output o = rill__fill_t(g, d, value, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}

/* tf.zeros / tf.ones: a Const below 1000 elements, else Fill (keeps GraphDefs small). */
static rill_output filled(rill_graph *g, rill_shape shape, rill_dtype dtype, double v, const char *name,
                          const char *dflt) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  char b[160];
  if (!rill_shape_is_fully_defined(shape)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.%s: the shape must be fully defined, got %s", dflt,
                         rill_shape_dbg(shape, b, sizeof b));
    return RILL_NO_OUTPUT;
  }
  if (dtype == RILL_STRING && v != 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.%s: string tensors cannot be %s", dflt, dflt);
    return RILL_NO_OUTPUT;
  }
  if (!rill_dtype_size(dtype)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.%s: invalid dtype %d", dflt, (int)dtype);
    return RILL_NO_OUTPUT;
  }
  if (rill_shape_num_elements(shape) < 1000) {
    rill_status *st = rill_status_new();
    rill_tensor *t = rill_tensor_new(dtype, shape, st);
    rill_output o = RILL_NO_OUTPUT;
    if (t) {
      rill__fill_value(t, v);
      o = rill_constant(g, t, name ? name : dflt);
    } else {
      rill_graph_set_error(g, rill_status_code(st), "tf.%s: %s", dflt, rill_status_message(st));
    }
    rill_tensor_unref(t);
    rill_status_delete(st);
    return o;
  }
  rill_name_scope_push(g, name ? name : dflt);
  rill_output dims = rill__const_index(g, shape.dims, shape.rank, false, "shape_as_tensor");
  rill_output val = rill_scalar_of(g, dtype, v, "Const");
  rill_output o = rill__fill_t(g, dims, val, rill_name_scope(g));
  rill_name_scope_pop(g);
  return o;
}

rill_output rill_zeros(rill_graph *g, rill_shape shape, rill_dtype dtype, const char *name) {
  return filled(g, shape, dtype, 0, name, "zeros");
}

rill_output rill_ones(rill_graph *g, rill_shape shape, rill_dtype dtype, const char *name) {
  return filled(g, shape, dtype, 1, name, "ones");
}

static rill_output like(rill_graph *g, const char *type, rill_output x, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_zeros_like(rill_graph *g, rill_output x, const char *name) {
  return like(g, "ZerosLike", x, name ? name : "zeros_like");
}

rill_output rill_ones_like(rill_graph *g, rill_output x, const char *name) {
  return like(g, "OnesLike", x, name ? name : "ones_like");
}

rill_output rill_range(rill_graph *g, double start, double limit, double delta, rill_dtype dtype, const char *name) {
  if (dtype != RILL_FLOAT && dtype != RILL_DOUBLE && !rill__is_index_dtype(dtype)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.range: dtype %s is not supported", rill_dtype_name(dtype));
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "range");
  rill_output in[3] = {rill_scalar_of(g, dtype, start, "start"), rill_scalar_of(g, dtype, limit, "limit"),
                       rill_scalar_of(g, dtype, delta, "delta")};
  rill_op_builder *b = rill_op_builder_new(g, "Range", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_inputs(b, in, 3);
  rill_op_builder_attr_type(b, "Tidx", dtype);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
