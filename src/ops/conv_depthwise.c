/* DepthwiseConv2dNative and its backprops DepthwiseConv2dNativeBackpropInput/Filter (attrs T,
 * strides, padding, explicit_paddings, data_format, dilations): TF's shape functions, direct
 * kernels (src/kernels/cpu/conv_depthwise.c), TF's gradients, and tf.nn.depthwise_conv2d.
 *
 * TF's CPU kernels refuse dilations and unequal row and column strides; these kernels do
 * both, so tf.nn.depthwise_conv2d's rate is passed as the op's dilations (TF's Python wraps
 * the op in SpaceToBatchND/BatchToSpaceND instead; the values are the same). */
#include <stdlib.h>
#include "ops/array_internal.h"
#include "ops/conv_internal.h"

static bool check_t(rill_op *op, rill_dtype t) {
  if (t == RILL_FLOAT || t == RILL_DOUBLE) return true;
  return rill_op_shape_error(op, "Value for attr 'T' of %s is not in the list of allowed values: half, bfloat16, float, "
                                 "double",
                             rill_dtype_name(t));
}

static int64_t dim(rill_shape s, int i) { return s.rank < 0 ? -1 : s.dims[i]; }

static bool kernel_type(rill_kctx *k, rill_dtype t) {
  if (t == RILL_FLOAT || t == RILL_DOUBLE) return true;
  return rill_k_fail(k, RILL_UNIMPLEMENTED, "%s has no kernel for %s", rill_op_type(rill_k_op(k)), rill_dtype_name(t));
}

/* ---- DepthwiseConv2dNative ---- */

static bool dw_infer(rill_op *op) {
  if (!rill_op_check_same_dtype(op, 0, 2) || !check_t(op, rill_op_input_dtype(op, 0))) return false;
  rill__conv_attrs a;
  if (!rill__conv_attrs_infer(op, "DepthwiseConv2D", &a)) return false;
  rill_shape x = rill_op_input_shape(op, 0), f = rill_op_input_shape(op, 1);
  if (x.rank >= 0 && x.rank != 4) return rill_op_shape_error(op, "Shape must be rank 4 but is rank %d", x.rank);
  if (f.rank >= 0 && f.rank != 4) return rill_op_shape_error(op, "Shape must be rank 4 but is rank %d", f.rank);
  int64_t c = dim(x, a.c), fc = dim(f, 2), m = dim(f, 3);
  if (c >= 0 && fc >= 0 && c != fc)
    return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)c, (long long)fc);
  if (c < 0) c = fc;
  int64_t oh, ow;
  if (!rill__conv_out_dim_infer(op, &a, a.h, dim(x, a.h), dim(f, 0), &oh) ||
      !rill__conv_out_dim_infer(op, &a, a.w, dim(x, a.w), dim(f, 1), &ow))
    return false;
  int64_t d[4];
  d[0] = dim(x, 0);
  d[a.h] = oh;
  d[a.w] = ow;
  d[a.c] = c >= 0 && m >= 0 ? c * m : -1;
  rill_op_set_output(op, rill_op_input_dtype(op, 0), rill_shape_make(d, 4));
  return true;
}

static bool dw_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *f = rill_k_in(k, 1);
  rill__conv_attrs a;
  char s[160];
  if (!rill__conv_attrs_kernel(k, "DepthwiseConv2dNative", &a) || !kernel_type(k, x->dtype)) return false;
  if (x->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input must be 4-dimensional%s", rill_shape_dbg(x->shape, s, sizeof s));
  if (f->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "filter must be 4-dimensional: %s",
                       rill_shape_dbg(f->shape, s, sizeof s));
  int64_t c = x->shape.dims[3];
  if (c != f->shape.dims[2])
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input and filter must have the same depth: %lld vs %lld", (long long)c,
                       (long long)f->shape.dims[2]);
  rill_conv_geom g;
  if (!rill__conv_geometry(k, &a, x->shape, f->shape.dims[0], f->shape.dims[1], c * f->shape.dims[3], c > 0 ? c : 1,
                           &g))
    return false;
  rill_tensor *y = rill_k_alloc_uninit(k, 0, x->dtype, rill_shape_make((int64_t[]){g.n, g.oh, g.ow, g.o}, 4));
  if (!y) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  rill_depthwise_cpu_forward(&g, x->dtype, x->data, f->data, y->data, &ex);
  return true;
}

/* ---- the backprops ---- */

/* Both backprops' output is the shape their sizes input (i) holds. */
static bool sizes_infer(rill_op *op, int i, int t_in) {
  if (rill_op_input_dtype(op, i) != RILL_INT32)
    return rill_op_shape_error(op, "Input '%s' of '%s' Op has type %s that does not match expected type of int32.",
                               i == 0 ? "input_sizes" : "filter_sizes", rill_op_type(op),
                               rill_dtype_name(rill_op_input_dtype(op, i)));
  rill_dtype t = rill_op_input_dtype(op, t_in);
  if (rill_op_input_dtype(op, 2) != t)
    return rill_op_shape_error(op, "Input 'out_backprop' of '%s' Op has type %s that does not match type %s of argument "
                                   "'%s'.",
                               rill_op_type(op), rill_dtype_name(rill_op_input_dtype(op, 2)), rill_dtype_name(t),
                               t_in == 0 ? "input" : "filter");
  if (!check_t(op, t)) return false;
  rill__conv_attrs a;
  if (!rill__conv_attrs_infer(op, "DepthwiseConv2D", &a)) return false;
  rill_shape s;
  if (!rill__input_as_shape(op, i, &s, NULL)) return false;
  if (s.rank < 0) s = rill_shape_make((int64_t[]){-1, -1, -1, -1}, 4);
  if (s.rank != 4) return rill_op_shape_error(op, "Shape must be rank 4 but is rank %d", s.rank);
  rill_op_set_output(op, t, s);
  return true;
}

static bool bwi_infer(rill_op *op) { return sizes_infer(op, 0, 1); }
static bool bwf_infer(rill_op *op) { return sizes_infer(op, 1, 0); }

static bool bwi_kernel(rill_kctx *k) {
  rill_tensor *f = rill_k_in(k, 1), *dy = rill_k_in(k, 2);
  const char *label = "DepthwiseConv2DBackpropInput";
  rill__conv_attrs a;
  rill_shape in;
  rill_conv_geom g;
  if (!rill__conv_attrs_kernel(k, "DepthwiseConv2dNativeBackpropInput", &a) || !kernel_type(k, f->dtype) ||
      !rill__conv_sizes_input(k, label, 0, NULL, &in) ||
      !rill__conv_backprop_dims(k, label, &a, in, f->shape, dy->shape, true, &g))
    return false;
  rill_tensor *dx = rill_k_alloc_uninit(k, 0, f->dtype, in);
  if (!dx) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  rill_depthwise_cpu_backprop_input(&g, f->dtype, dy->data, f->data, dx->data, &ex);
  return true;
}

static bool bwf_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *dy = rill_k_in(k, 2);
  const char *label = "DepthwiseConv2DBackpropFilter";
  rill__conv_attrs a;
  rill_shape fs;
  rill_conv_geom g;
  if (!rill__conv_attrs_kernel(k, "DepthwiseConv2dNativeBackpropFilter", &a) || !kernel_type(k, x->dtype) ||
      !rill__conv_sizes_input(k, label, 1, NULL, &fs) ||
      !rill__conv_backprop_dims(k, label, &a, x->shape, fs, dy->shape, true, &g))
    return false;
  rill_tensor *df = rill_k_alloc_uninit(k, 0, x->dtype, fs);
  if (!df) return false;
  rill_conv_exec ex = rill__conv_exec(k);
  if (!rill_depthwise_cpu_backprop_filter(&g, x->dtype, x->data, dy->data, df->data, &ex))
    return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in DepthwiseConv2dNativeBackpropFilter");
  return true;
}

/* ---- gradients (TF's nn_grad.py) ---- */

static rill_output shape_of(rill_graph *g, rill_output x) { return rill_shape_of(g, x, RILL_INT32, NULL); }

static rill_output like(rill_graph *g, const char *type, rill_output a, rill_output b, rill_output c,
                        const rill_op *src) {
  rill_output in[3] = {a, b, c};
  return rill__conv_op(g, type, in, c.op ? 3 : 2, src, NULL, NULL, NULL, NULL);
}

static void dw_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = rill_op_input(op, 0), f = rill_op_input(op, 1);
  dx[0] = like(g, "DepthwiseConv2dNativeBackpropInput", shape_of(g, x), f, dy[0], op);
  dx[1] = like(g, "DepthwiseConv2dNativeBackpropFilter", x, shape_of(g, f), dy[0], op);
}

static void bwi_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output f = rill_op_input(op, 1), d = rill_op_input(op, 2);
  dx[1] = like(g, "DepthwiseConv2dNativeBackpropFilter", dy[0], shape_of(g, f), d, op);
  dx[2] = like(g, "DepthwiseConv2dNative", dy[0], f, RILL_NO_OUTPUT, op);
}

static void bwf_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = rill_op_input(op, 0), d = rill_op_input(op, 2);
  dx[0] = like(g, "DepthwiseConv2dNativeBackpropInput", shape_of(g, x), dy[0], d, op);
  dx[2] = like(g, "DepthwiseConv2dNative", x, dy[0], RILL_NO_OUTPUT, op);
}

static const rill_op_def defs[] = {
    {.type = "DepthwiseConv2dNative", .infer = dw_infer, .kernel = dw_kernel, .grad = dw_grad},
    {.type = "DepthwiseConv2dNativeBackpropInput", .infer = bwi_infer, .kernel = bwi_kernel, .grad = bwi_grad},
    {.type = "DepthwiseConv2dNativeBackpropFilter", .infer = bwf_infer, .kernel = bwf_kernel, .grad = bwf_grad},
};

void rill__register_depthwise_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}

/* ---- builders ---- */

rill_output rill_depthwise_conv2d_native(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                                         const char *padding, const int64_t *dilations, const char *name) {
  rill_output in[2] = {input, filter};
  if (!rill__conv_check_args(g, in, 2, strides, padding, "depthwise_conv2d_native")) return RILL_NO_OUTPUT;
  return rill__conv_op(g, "DepthwiseConv2dNative", in, 2, NULL, strides, padding, dilations, name);
}

rill_output rill_depthwise_conv2d(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                                  const char *padding, const int64_t *rate, const char *name) {
  rill_output in[2] = {input, filter};
  if (!rill__conv_check_args(g, in, 2, strides, padding, "depthwise_conv2d")) return RILL_NO_OUTPUT;
  int64_t dil[4] = {1, rate ? rate[0] : 1, rate ? rate[1] : 1, 1};
  if (dil[1] < 1 || dil[2] < 1) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "depthwise_conv2d: rate must be positive, got [%lld, %lld]",
                         (long long)dil[1], (long long)dil[2]);
    return RILL_NO_OUTPUT;
  }
  if ((dil[1] > 1 || dil[2] > 1) && (strides[1] != 1 || strides[2] != 1)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "depthwise_conv2d: strides > 1 not supported in conjunction with dilation_rate > 1");
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "depthwise");
  char *scope = rill__strdup(rill_name_scope(g));
  rill_output out = RILL_NO_OUTPUT;
  if (scope)
    out = rill__conv_op(g, "DepthwiseConv2dNative", in, 2, NULL, strides, padding, dil, scope);
  else
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

rill_output rill_depthwise_conv2d_native_backprop_input(rill_graph *g, rill_output input_sizes, rill_output filter,
                                                        rill_output out_backprop, const int64_t *strides,
                                                        const char *padding, const int64_t *dilations,
                                                        const char *name) {
  rill_output in[3] = {input_sizes, filter, out_backprop};
  if (!rill__conv_check_args(g, in, 3, strides, padding, "depthwise_conv2d_native_backprop_input"))
    return RILL_NO_OUTPUT;
  return rill__conv_op(g, "DepthwiseConv2dNativeBackpropInput", in, 3, NULL, strides, padding, dilations, name);
}

rill_output rill_depthwise_conv2d_native_backprop_filter(rill_graph *g, rill_output input, rill_output filter_sizes,
                                                         rill_output out_backprop, const int64_t *strides,
                                                         const char *padding, const int64_t *dilations,
                                                         const char *name) {
  rill_output in[3] = {input, filter_sizes, out_backprop};
  if (!rill__conv_check_args(g, in, 3, strides, padding, "depthwise_conv2d_native_backprop_filter"))
    return RILL_NO_OUTPUT;
  return rill__conv_op(g, "DepthwiseConv2dNativeBackpropFilter", in, 3, NULL, strides, padding, dilations, name);
}
