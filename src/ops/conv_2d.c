/* Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (attrs T, strides, use_cudnn_on_gpu,
 * padding, explicit_paddings, data_format, dilations): TF's shape functions, im2col + GEMM
 * kernels (src/kernels/cpu/conv.c) with grouped convolutions, TF's gradients (nn_grad.py), and
 * tf.nn.conv2d, conv2d_backprop_input/filter and conv2d_transpose. */
#include <stdlib.h>
#include <string.h>
#include "ops/array_internal.h"
#include "ops/conv_internal.h"

static bool check_t(rill_op *op, rill_dtype t) {
  if (t == RILL_FLOAT || t == RILL_DOUBLE || t == RILL_INT32) return true;
  return rill_op_shape_error(op, "Value for attr 'T' of %s is not in the list of allowed values: half, bfloat16, float, "
                                 "double, int32",
                             rill_dtype_name(t));
}

static bool check_rank4(rill_op *op, rill_shape s) {
  if (s.rank >= 0 && s.rank != 4) return rill_op_shape_error(op, "Shape must be rank 4 but is rank %d", s.rank);
  return true;
}

static int64_t dim(rill_shape s, int i) { return s.rank < 0 ? -1 : s.dims[i]; }

/* TF's Merge of two dims. */
static bool merge_dim(rill_op *op, int64_t a, int64_t b, int64_t *out) {
  if (a >= 0 && b >= 0 && a != b)
    return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)a, (long long)b);
  *out = a >= 0 ? a : b;
  return true;
}

/* [batch, h, w, c] in the data format's order. */
static rill_shape format_shape(const rill__conv_attrs *a, int64_t n, int64_t h, int64_t w, int64_t c) {
  int64_t d[4];
  d[0] = n;
  d[a->h] = h;
  d[a->w] = w;
  d[a->c] = c;
  return rill_shape_make(d, 4);
}

/* ---- Conv2D ---- */

static bool conv2d_infer(rill_op *op) {
  if (!rill_op_check_same_dtype(op, 0, 2) || !check_t(op, rill_op_input_dtype(op, 0))) return false;
  rill__conv_attrs a;
  if (!rill__conv_attrs_infer(op, "Conv2D", &a)) return false;
  rill_shape x = rill_op_input_shape(op, 0), f = rill_op_input_shape(op, 1);
  if (!check_rank4(op, x) || !check_rank4(op, f)) return false;
  int64_t in_c = dim(x, a.c), fc = dim(f, 2), o = dim(f, 3);
  if (in_c >= 0 && fc >= 0) {
    if (fc == 0) return rill_op_shape_error(op, "Depth of filter must not be 0");
    if (in_c % fc)
      return rill_op_shape_error(op, "Depth of input (%lld) is not a multiple of input depth of filter (%lld)",
                                 (long long)in_c, (long long)fc);
    int64_t groups = in_c / fc;
    if (groups > 1 && o >= 0 && o % groups)
      return rill_op_shape_error(op, "Depth of output (%lld) is not a multiple of the number of groups (%lld)",
                                 (long long)o, (long long)groups);
  }
  int64_t oh, ow;
  if (!rill__conv_out_dim_infer(op, &a, a.h, dim(x, a.h), dim(f, 0), &oh) ||
      !rill__conv_out_dim_infer(op, &a, a.w, dim(x, a.w), dim(f, 1), &ow))
    return false;
  rill_op_set_output(op, rill_op_input_dtype(op, 0), format_shape(&a, dim(x, 0), oh, ow, o));
  return true;
}

static bool kernel_type(rill_kctx *k, rill_dtype t) {
  if (t == RILL_FLOAT || t == RILL_DOUBLE || t == RILL_INT32) return true;
  return rill_k_fail(k, RILL_UNIMPLEMENTED, "%s has no kernel for %s", rill_op_type(rill_k_op(k)), rill_dtype_name(t));
}

static bool conv2d_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *f = rill_k_in(k, 1);
  rill__conv_attrs a;
  char s[160];
  if (!rill__conv_attrs_kernel(k, "Conv2D", &a) || !kernel_type(k, x->dtype)) return false;
  if (x->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input must be 4-dimensional%s", rill_shape_dbg(x->shape, s, sizeof s));
  if (f->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "filter must be 4-dimensional: %s",
                       rill_shape_dbg(f->shape, s, sizeof s));
  int64_t in_c = x->shape.dims[3], fc = f->shape.dims[2], o = f->shape.dims[3];
  if (fc == 0 || in_c % fc)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input depth must be evenly divisible by filter depth: %lld vs %lld",
                       (long long)in_c, (long long)fc);
  int64_t groups = in_c / fc;
  if (groups > 0 && o % groups)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "output depth must be evenly divisible by number of groups: %lld vs %lld",
                       (long long)o, (long long)groups);
  rill_conv_geom g;
  if (!rill__conv_geometry(k, &a, x->shape, f->shape.dims[0], f->shape.dims[1], o, groups > 0 ? groups : 1, &g))
    return false;
  rill_tensor *y = rill_k_alloc_uninit(k, 0, x->dtype, rill_shape_make((int64_t[]){g.n, g.oh, g.ow, o}, 4));
  if (!y) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  if (!rill_conv2d_cpu_forward(&g, x->dtype, x->data, f->data, y->data, &ex))
    return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in Conv2D");
  return true;
}

/* ---- Conv2DBackpropInput ---- */

static bool sizes_dtype(rill_op *op, int i) {
  rill_dtype t = rill_op_input_dtype(op, i);
  if (t == RILL_INT32) return true;
  return rill_op_shape_error(op, "Input '%s' of '%s' Op has type %s that does not match expected type of int32.",
                             i == 0 ? "input_sizes" : "filter_sizes", rill_op_type(op), rill_dtype_name(t));
}

static bool bwi_infer(rill_op *op) {
  if (!sizes_dtype(op, 0) || !rill_op_check_same_dtype(op, 1, 3) || !check_t(op, rill_op_input_dtype(op, 1)))
    return false;
  rill__conv_attrs a;
  if (!rill__conv_attrs_infer(op, "Conv2D", &a)) return false;
  rill_shape f = rill_op_input_shape(op, 1), dy = rill_op_input_shape(op, 2);
  if (!check_rank4(op, dy) || !check_rank4(op, f)) return false;
  int64_t unused, batch = dim(dy, 0);
  if (!merge_dim(op, dim(dy, a.c), dim(f, 3), &unused)) return false;
  rill_shape s;
  if (!rill__input_as_shape(op, 0, &s, NULL)) return false;
  if (s.rank < 0) s = rill_shape_make((int64_t[]){-1, -1, -1, -1}, 4);
  rill_shape out;
  if (s.rank == 4) {
    if (!merge_dim(op, s.dims[0], batch, &batch)) return false;
    out = format_shape(&a, batch, s.dims[a.h], s.dims[a.w], s.dims[a.c]);
  } else if (s.rank == 2) {
    out = format_shape(&a, batch, s.dims[0], s.dims[1], dim(f, 2));
  } else {
    return rill_op_shape_error(op, "Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: %d",
                               s.rank);
  }
  rill_op_set_output(op, rill_op_input_dtype(op, 1), out);
  return true;
}

static bool bwi_kernel(rill_kctx *k) {
  rill_tensor *f = rill_k_in(k, 1), *dy = rill_k_in(k, 2);
  const char *label = "Conv2DCustomBackpropInput";
  rill__conv_attrs a;
  if (!rill__conv_attrs_kernel(k, "Conv2DBackpropInput", &a) || !kernel_type(k, f->dtype)) return false;
  if (f->shape.rank != 4 || dy->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: %s must be 4-dimensional", label,
                       f->shape.rank != 4 ? "filter" : "out_backprop");
  rill_shape in;
  int64_t bd[2] = {dy->shape.dims[0], f->shape.dims[2]};
  rill_conv_geom g;
  if (!rill__conv_sizes_input(k, label, 0, bd, &in) ||
      !rill__conv_backprop_dims(k, label, &a, in, f->shape, dy->shape, false, &g))
    return false;
  rill_tensor *dx = rill_k_alloc_uninit(k, 0, f->dtype, in);
  if (!dx) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  if (!rill_conv2d_cpu_backprop_input(&g, f->dtype, dy->data, f->data, dx->data, &ex))
    return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in Conv2DBackpropInput");
  return true;
}

/* ---- Conv2DBackpropFilter ---- */

static bool bwf_infer(rill_op *op) {
  if (!sizes_dtype(op, 1)) return false;
  rill_output in[2] = {op->inputs[0], op->inputs[2]};
  if (rill_output_dtype(in[0]) != rill_output_dtype(in[1]))
    return rill_op_shape_error(op, "Input 'out_backprop' of 'Conv2DBackpropFilter' Op has type %s that does not match "
                                   "type %s of argument 'input'.",
                               rill_dtype_name(rill_output_dtype(in[1])), rill_dtype_name(rill_output_dtype(in[0])));
  if (!check_t(op, rill_output_dtype(in[0]))) return false;
  rill__conv_attrs a;
  if (!rill__conv_attrs_infer(op, "Conv2D", &a)) return false;
  rill_shape s;
  if (!rill__input_as_shape(op, 1, &s, NULL)) return false;
  if (s.rank < 0) s = rill_shape_make((int64_t[]){-1, -1, -1, -1}, 4);
  if (!check_rank4(op, s)) return false;
  rill_op_set_output(op, rill_output_dtype(in[0]), s);
  return true;
}

static bool bwf_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *dy = rill_k_in(k, 2);
  const char *label = "Conv2DCustomBackpropFilter";
  rill__conv_attrs a;
  if (!rill__conv_attrs_kernel(k, "Conv2DBackpropFilter", &a) || !kernel_type(k, x->dtype)) return false;
  rill_shape fs;
  rill_conv_geom g;
  if (!rill__conv_sizes_input(k, label, 1, NULL, &fs) ||
      !rill__conv_backprop_dims(k, label, &a, x->shape, fs, dy->shape, false, &g))
    return false;
  rill_tensor *df = rill_k_alloc_uninit(k, 0, x->dtype, fs);
  if (!df) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  if (!rill_conv2d_cpu_backprop_filter(&g, x->dtype, x->data, dy->data, df->data, &ex))
    return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in Conv2DBackpropFilter");
  return true;
}

/* ---- gradients (TF's nn_grad.py) ---- */

static rill_output shape_of(rill_graph *g, rill_output x) { return rill_shape_of(g, x, RILL_INT32, NULL); }

static rill_output conv_like(rill_graph *g, const char *type, rill_output a, rill_output b, rill_output c,
                             const rill_op *src) {
  rill_output in[3] = {a, b, c};
  return rill__conv_op(g, type, in, c.op ? 3 : 2, src, NULL, NULL, NULL, NULL);
}

static void conv2d_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = rill_op_input(op, 0), f = rill_op_input(op, 1);
  dx[0] = conv_like(g, "Conv2DBackpropInput", shape_of(g, x), f, dy[0], op);
  dx[1] = conv_like(g, "Conv2DBackpropFilter", x, shape_of(g, f), dy[0], op);
}

/* Conv2DBackpropInput is linear in the filter and in out_backprop. */
static void bwi_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output f = rill_op_input(op, 1), d = rill_op_input(op, 2);
  dx[1] = conv_like(g, "Conv2DBackpropFilter", dy[0], shape_of(g, f), d, op);
  dx[2] = conv_like(g, "Conv2D", dy[0], f, RILL_NO_OUTPUT, op);
}

static void bwf_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = rill_op_input(op, 0), d = rill_op_input(op, 2);
  dx[0] = conv_like(g, "Conv2DBackpropInput", shape_of(g, x), dy[0], d, op);
  dx[2] = conv_like(g, "Conv2D", x, dy[0], RILL_NO_OUTPUT, op);
}

static const rill_op_def defs[] = {
    {.type = "Conv2D", .infer = conv2d_infer, .kernel = conv2d_kernel, .grad = conv2d_grad},
    {.type = "Conv2DBackpropInput", .infer = bwi_infer, .kernel = bwi_kernel, .grad = bwi_grad},
    {.type = "Conv2DBackpropFilter", .infer = bwf_infer, .kernel = bwf_kernel, .grad = bwf_grad},
};

void rill__register_conv2d_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

/* ---- builders ---- */

rill_output rill_conv2d(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                        const char *padding, const int64_t *dilations, const char *name) {
  rill_output in[2] = {input, filter};
  if (!rill__conv_check_args(g, in, 2, strides, padding, "conv2d")) return RILL_NO_OUTPUT;
  return rill__conv_op(g, "Conv2D", in, 2, NULL, strides, padding, dilations, name);
}

rill_output rill_conv2d_backprop_input(rill_graph *g, rill_output input_sizes, rill_output filter,
                                       rill_output out_backprop, const int64_t *strides, const char *padding,
                                       const int64_t *dilations, const char *name) {
  rill_output in[3] = {input_sizes, filter, out_backprop};
  if (!rill__conv_check_args(g, in, 3, strides, padding, "conv2d_backprop_input")) return RILL_NO_OUTPUT;
  return rill__conv_op(g, "Conv2DBackpropInput", in, 3, NULL, strides, padding, dilations, name);
}

rill_output rill_conv2d_backprop_filter(rill_graph *g, rill_output input, rill_output filter_sizes,
                                        rill_output out_backprop, const int64_t *strides, const char *padding,
                                        const int64_t *dilations, const char *name) {
  rill_output in[3] = {input, filter_sizes, out_backprop};
  if (!rill__conv_check_args(g, in, 3, strides, padding, "conv2d_backprop_filter")) return RILL_NO_OUTPUT;
  return rill__conv_op(g, "Conv2DBackpropFilter", in, 3, NULL, strides, padding, dilations, name);
}

rill_output rill_conv2d_transpose(rill_graph *g, rill_output value, rill_output filter, const int64_t *output_shape,
                                  const int64_t *strides, const char *padding, const char *name) {
  rill_output in[2] = {value, filter};
  if (!rill__conv_check_args(g, in, 2, strides, padding, "conv2d_transpose")) return RILL_NO_OUTPUT;
  if (!output_shape) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "conv2d_transpose: output_shape is required");
    return RILL_NO_OUTPUT;
  }
  for (int i = 0; i < 4; i++)
    if (output_shape[i] < 0 || output_shape[i] > INT32_MAX) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "conv2d_transpose: output_shape[%d] = %lld is not a valid size", i,
                           (long long)output_shape[i]);
      return RILL_NO_OUTPUT;
    }
  rill_name_scope_push(g, name ? name : "conv2d_transpose");
  char *scope = rill__strdup(rill_name_scope(g));
  int32_t sizes[4];
  for (int i = 0; i < 4; i++) sizes[i] = (int32_t)output_shape[i];
  rill_output s = rill_const_int32(g, sizes, 4, RILL_SHAPE(4), "input_sizes");
  rill_output args[3] = {s, filter, value};
  rill_output out = scope ? rill__conv_op(g, "Conv2DBackpropInput", args, 3, NULL, strides, padding, NULL, scope)
                          : RILL_NO_OUTPUT;
  if (!scope) rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  rill_name_scope_pop(g);
  free(scope);
  return out;
}
