/* Reshape, Squeeze, ExpandDims (zero-copy: the output is a view of the input's buffer) and
 * the shape queries Shape, Size, Rank. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

/* ---- Reshape ---- */

/* TF's SetOutputShapeForReshape: infers the one -1 of the requested shape from the input, or
 * the input's one unknown dim from the requested shape. */
static bool reshape_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), ss = rill_op_input_shape(op, 1);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "Reshape's shape must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  if (ss.rank > 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", ss.rank);
  rill_shape out;
  if (!rill__input_as_shape(op, 1, &out, NULL)) return false;
  if (out.rank >= 0 && in.rank >= 0) {
    int out_unknown = -1, in_unknown = -1;
    bool too_many = false;
    int64_t known_out = 1, known_in = 1;
    for (int i = 0; i < out.rank; i++) {
      if (out.dims[i] < 0) {
        too_many |= out_unknown >= 0;
        out_unknown = i;
      } else {
        known_out *= out.dims[i];
      }
    }
    for (int i = 0; i < in.rank; i++) {
      if (in.dims[i] < 0) {
        too_many |= in_unknown >= 0;
        in_unknown = i;
      } else {
        known_in *= in.dims[i];
      }
    }
    if (!too_many) {
      char b[160];
      if (in_unknown < 0 && out_unknown < 0) {
        if (known_in != known_out)
          return rill__array_error(op, 0, 1u << 1,
                                   "Cannot reshape a tensor with %" PRId64 " elements to shape %s (%" PRId64
                                   " elements)",
                                   known_in, rill_shape_dbg(out, b, sizeof b), known_out);
      } else if (in_unknown < 0 && out_unknown >= 0 && known_out > 0) {
        if (known_in % known_out)
          return rill__array_error(op, 0, 1u << 1, "Dimension size must be evenly divisible by %" PRId64
                                   " but is %" PRId64, known_out, known_in);
        out.dims[out_unknown] = known_in / known_out;
      } else if (in_unknown >= 0 && out_unknown < 0 && known_in != 0) {
        if (known_out % known_in)
          return rill__array_error(op, 0, 1u << 1, "Dimension size must be evenly divisible by %" PRId64
                                   " but is %" PRId64, known_in, known_out);
      } else if (in_unknown >= 0 && out_unknown >= 0 && known_in == known_out) {
        out.dims[out_unknown] = in.dims[in_unknown];
      }
    }
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 0), out);
  return true;
}

static bool reshape_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *sizes = rill_k_in(k, 1);
  char b[160];
  if (sizes->shape.rank != 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "sizes input must be 1-D, not %s",
                       rill_shape_dbg(sizes->shape, b, sizeof b));
  if (sizes->n > RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Reshape to rank %" PRId64 " exceeds the maximum rank %d", sizes->n,
                       RILL_MAX_RANK);
  rill_shape s = rill_shape_scalar();
  s.rank = (int)sizes->n;
  int unknown = -1;
  bool has_zero = false;
  int64_t product = 1;
  for (int d = 0; d < s.rank; d++) {
    int64_t v = rill__ival(sizes, d);
    if (v == -1) {
      if (unknown >= 0)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Only one input size may be -1, not both %d and %d", unknown, d);
      unknown = d;
      s.dims[d] = 1;
    } else if (v < 0) {
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Size %d must be non-negative, not %" PRId64, d, v);
    } else {
      s.dims[d] = v;
      if (v == 0)
        has_zero = true;
      else
        product *= v;
    }
  }
  if (unknown >= 0) {
    /* zero-sized dims are left out of both products so the others can still be inferred */
    int64_t in_n = 1;
    bool in_zero = false;
    for (int d = 0; d < x->shape.rank; d++) {
      if (x->shape.dims[d] > 0 || !has_zero)
        in_n *= x->shape.dims[d];
      else
        in_zero = true;
    }
    int64_t missing = in_n / product;
    if (!in_zero && product * missing != in_n)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                         "Input to reshape is a tensor with %" PRId64
                         " values, but the requested shape requires a multiple of %" PRId64,
                         x->n, product);
    s.dims[unknown] = missing;
  }
  if (rill_shape_num_elements(s) != x->n)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Input to reshape is a tensor with %" PRId64 " values, but the requested shape has %" PRId64,
                       x->n, rill_shape_num_elements(s));
  rill_tensor *v = rill__tensor_view(x, s);
  if (!v) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
  rill_k_set_out(k, 0, v);
  return true;
}

/* Reshape, Squeeze, ExpandDims: the gradient is dy reshaped back to x's shape. */
static void reshape_back_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = op->inputs[0];
  dx[0] = rill_reshape_to(g, dy[0], rill_shape_of(g, x, RILL_INT32, NULL), NULL);
}

/* ---- Squeeze ---- */

/* Resolves squeeze_dims against rank (bit i set: squeeze dim i). False with *bad the offending
 * list position when out of range. */
static bool squeeze_mask(const rill_op *op, int rank, unsigned *mask, int *bad) {
  const int64_t *v = NULL;
  int n = rill_op_attr_int_list(op, "squeeze_dims", &v);
  *mask = 0;
  for (int i = 0; i < n; i++) {
    if (v[i] < -rank || v[i] >= rank) {
      *bad = i;
      return false;
    }
    *mask |= 1u << (v[i] < 0 ? v[i] + rank : v[i]);
  }
  return true;
}

static bool squeeze_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), out = rill_shape_scalar();
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (in.rank < 0) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  unsigned mask;
  int bad = 0;
  if (!squeeze_mask(op, in.rank, &mask, &bad))
    return rill_op_shape_error(op, "squeeze_dims[%d] not in [%d,%d).", bad, -in.rank, in.rank);
  for (int i = 0; i < in.rank; i++) {
    bool explicit_match = (mask >> i) & 1;
    int64_t d = in.dims[i];
    if (d < 0) {
      if (explicit_match) continue;
      if (!mask) {
        /* squeezing every 1 with an unknown dim: the rank is unknown */
        rill_op_set_output(op, t, rill_shape_unknown());
        return true;
      }
    } else if (d == 1) {
      if (explicit_match || !mask) continue;
    } else if (explicit_match) {
      return rill_op_shape_error(op, "Can not squeeze dim[%d], expected a dimension of 1, got %" PRId64, i, d);
    }
    out.dims[out.rank++] = d;
  }
  rill_op_set_output(op, t, out);
  return true;
}

static bool squeeze_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  const int64_t *v = NULL;
  int n = rill_op_attr_int_list(rill_k_op(k), "squeeze_dims", &v), rank = x->shape.rank;
  unsigned mask = 0;
  for (int i = 0; i < n; i++) {
    if (v[i] < -rank || v[i] >= rank)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Tried to squeeze dim index %" PRId64 " for tensor with %d dimensions.",
                         v[i], rank);
    mask |= 1u << (v[i] < 0 ? v[i] + rank : v[i]);
  }
  rill_shape s = rill_shape_scalar();
  for (int i = 0; i < rank; i++) {
    int64_t d = x->shape.dims[i];
    if ((mask >> i) & 1) {
      if (d != 1)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Can not squeeze dim[%d], expected a dimension of 1, got %" PRId64,
                           i, d);
      continue;
    }
    if (!mask && d == 1) continue;
    s.dims[s.rank++] = d;
  }
  rill_tensor *o = rill__tensor_view(x, s);
  if (!o) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
  rill_k_set_out(k, 0, o);
  return true;
}

/* ---- ExpandDims ---- */

static bool expand_dims_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "ExpandDims's dim must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  const rill_tensor *dt = rill_op_input_const(op, 1);
  if (dt && dt->n != 1) return rill_op_shape_error(op, "'dim' input must be a tensor with a single value");
  if (!dt || in.rank < 0) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  int64_t dim = rill__ival(dt, 0);
  if (dim < -in.rank - 1 || dim > in.rank)
    return rill__array_error(op, 1u << 1, 0, "dim %" PRId64 " not in the interval [%d, %d].", dim, -in.rank - 1,
                             in.rank);
  if (in.rank >= RILL_MAX_RANK)
    return rill_op_shape_error(op, "ExpandDims would give rank %d, above the maximum %d", in.rank + 1, RILL_MAX_RANK);
  if (dim < 0) dim += in.rank + 1;
  rill_shape out = in;
  out.rank++;
  for (int i = out.rank - 1; i > dim; i--) out.dims[i] = out.dims[i - 1];
  out.dims[dim] = 1;
  rill_op_set_output(op, t, out);
  return true;
}

static bool expand_dims_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *dt = rill_k_in(k, 1);
  if (dt->n != 1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "'dim' must be a tensor with a single value");
  int64_t dim = rill__ival(dt, 0);
  int rank = x->shape.rank;
  if (dim < -1 - rank || dim > rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Tried to expand dim index %" PRId64 " for tensor with %d dimensions.",
                       dim, rank);
  if (rank >= RILL_MAX_RANK)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "ExpandDims would give rank %d, above the maximum %d", rank + 1,
                       RILL_MAX_RANK);
  if (dim < 0) dim += rank + 1;
  rill_shape s = x->shape;
  s.rank++;
  for (int i = s.rank - 1; i > dim; i--) s.dims[i] = s.dims[i - 1];
  s.dims[dim] = 1;
  rill_tensor *o = rill__tensor_view(x, s);
  if (!o) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory");
  rill_k_set_out(k, 0, o);
  return true;
}

/* ---- Shape, Size, Rank ---- */

static bool out_type_ok(rill_op *op, rill_dtype *t) {
  *t = rill_op_attr_type(op, "out_type", RILL_INT32);
  if (rill__is_index_dtype(*t)) return true;
  return rill_op_shape_error(op, "out_type must be int32 or int64, not %s", rill_dtype_name(*t));
}

static bool shape_infer(rill_op *op) {
  rill_dtype t;
  if (!out_type_ok(op, &t)) return false;
  rill_shape in = rill_op_input_shape(op, 0);
  rill_op_set_output(op, t, rill_shape_make((int64_t[]){in.rank}, 1));
  return true;
}

static bool shape_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  rill_dtype t = rill_op_attr_type(rill_k_op(k), "out_type", RILL_INT32);
  rill_tensor *o = rill_k_alloc(k, 0, t, rill_shape_make((int64_t[]){x->shape.rank}, 1));
  if (!o) return false;
  for (int i = 0; i < x->shape.rank; i++) {
    int64_t d = x->shape.dims[i];
    if (t == RILL_INT32) {
      if (d > INT32_MAX)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Shape output type is 32-bit  but dim %d is %" PRId64, i, d);
      ((int32_t *)o->data)[i] = (int32_t)d;
    } else {
      ((int64_t *)o->data)[i] = d;
    }
  }
  return true;
}

static bool size_infer(rill_op *op) {
  rill_dtype t;
  if (!out_type_ok(op, &t)) return false;
  rill_op_set_output(op, t, rill_shape_scalar());
  return true;
}

static bool size_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  rill_dtype t = rill_op_attr_type(rill_k_op(k), "out_type", RILL_INT32);
  rill_tensor *o = rill_k_alloc(k, 0, t, rill_shape_scalar());
  if (!o) return false;
  if (t == RILL_INT32) {
    if (x->n > INT32_MAX)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Number of elements was larger than representable by 32-bit output type");
    *(int32_t *)o->data = (int32_t)x->n;
  } else {
    *(int64_t *)o->data = x->n;
  }
  return true;
}

static bool rank_infer(rill_op *op) {
  rill_op_set_output(op, RILL_INT32, rill_shape_scalar());
  return true;
}

static bool rank_kernel(rill_kctx *k) {
  rill_tensor *o = rill_k_alloc(k, 0, RILL_INT32, rill_shape_scalar());
  if (!o) return false;
  *(int32_t *)o->data = rill_k_in(k, 0)->shape.rank;
  return true;
}

static const rill_op_def reshape_def = {.type = "Reshape", .infer = reshape_infer, .kernel = reshape_kernel,
                                        .grad = reshape_back_grad};
static const rill_op_def squeeze_def = {.type = "Squeeze", .infer = squeeze_infer, .kernel = squeeze_kernel,
                                        .grad = reshape_back_grad};
static const rill_op_def expand_dims_def = {.type = "ExpandDims", .infer = expand_dims_infer,
                                            .kernel = expand_dims_kernel, .grad = reshape_back_grad};
static const rill_op_def shape_def = {.type = "Shape", .infer = shape_infer, .kernel = shape_kernel,
                                      .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def size_def = {.type = "Size", .infer = size_infer, .kernel = size_kernel,
                                     .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def rank_def = {.type = "Rank", .infer = rank_infer, .kernel = rank_kernel,
                                     .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill__register_array_reshape_ops(void) {
  rill_register_op(&reshape_def);
  rill_register_op(&squeeze_def);
  rill_register_op(&expand_dims_def);
  rill_register_op(&shape_def);
  rill_register_op(&size_def);
  rill_register_op(&rank_def);
}

/* ---- builders ---- */

rill_output rill_reshape(rill_graph *g, rill_output x, const int64_t *dims, int rank, const char *name) {
  if (rank < 0 || (rank > 0 && !dims)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "rill_reshape: bad shape (rank %d)", rank);
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "Reshape");
  rill_output shape = rill__const_index(g, dims, rank, false, "shape");
  rill_op_builder *b = rill_op_builder_new(g, "Reshape", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, shape);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tshape", rill_output_dtype(shape));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_reshape_to(rill_graph *g, rill_output x, rill_output shape, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, "Reshape", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, shape);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tshape", rill_output_dtype(shape));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_squeeze(rill_graph *g, rill_output x, const int *axes, int n_axes, const char *name) {
  int64_t v[RILL_MAX_RANK];
  if (n_axes < 0 || n_axes > RILL_MAX_RANK || (n_axes > 0 && !axes)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "rill_squeeze: bad axes (%d of them)", n_axes);
    return RILL_NO_OUTPUT;
  }
  for (int i = 0; i < n_axes; i++) v[i] = axes[i];
  rill_op_builder *b = rill_op_builder_new(g, "Squeeze", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_int_list(b, "squeeze_dims", v, n_axes);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_expand_dims(rill_graph *g, rill_output x, int axis, const char *name) {
  rill_name_scope_push(g, name ? name : "ExpandDims");
  rill_output dim = rill__const_index(g, (int64_t[]){axis}, 1, true, "dim");
  rill_op_builder *b = rill_op_builder_new(g, "ExpandDims", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, dim);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tdim", RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

static bool check_out_type(rill_graph *g, rill_dtype t, const char *what) {
  if (rill__is_index_dtype(t)) return true;
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "%s: out_type must be int32 or int64, not %s", what,
                       rill_dtype_name(t));
  return false;
}

/* Like TF's shape_internal(optimize=True): a statically known answer becomes a constant. */
rill_output rill_shape_of(rill_graph *g, rill_output x, rill_dtype out_type, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "Shape") || !check_out_type(g, out_type, "tf.shape"))
    return RILL_NO_OUTPUT;
  rill_shape s = rill_output_shape(x);
  if (rill_shape_is_fully_defined(s)) {
    if (out_type == RILL_INT64) return rill_const_int64(g, s.dims, s.rank, rill_shape_make((int64_t[]){s.rank}, 1), name ? name : "Shape");
    int32_t v[RILL_MAX_RANK];
    for (int i = 0; i < s.rank; i++) v[i] = (int32_t)s.dims[i];
    return rill_const_int32(g, v, s.rank, rill_shape_make((int64_t[]){s.rank}, 1), name ? name : "Shape");
  }
  rill_op_builder *b = rill_op_builder_new(g, "Shape", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "out_type", out_type);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_size(rill_graph *g, rill_output x, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "Size")) return RILL_NO_OUTPUT;
  rill_shape s = rill_output_shape(x);
  bool zero = false;
  for (int i = 0; i < s.rank; i++) zero |= s.dims[i] == 0;
  if (rill_shape_is_fully_defined(s) || zero) {
    int64_t n = zero ? 0 : rill_shape_num_elements(s);
    if (n > INT32_MAX) return rill_scalar_int64(g, n, name ? name : "Size");
    return rill_scalar_int32(g, (int32_t)n, name ? name : "Size");
  }
  rill_op_builder *b = rill_op_builder_new(g, "Size", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "out_type", RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_rank(rill_graph *g, rill_output x, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "Rank")) return RILL_NO_OUTPUT;
  rill_shape s = rill_output_shape(x);
  if (s.rank >= 0) return rill_scalar_int32(g, s.rank, name ? name : "Rank");
  rill_op_builder *b = rill_op_builder_new(g, "Rank", name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}
