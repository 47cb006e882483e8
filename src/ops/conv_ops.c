/* Convolution ops: the attribute handling and window arithmetic the conv op files share, and
 * the family's registration. Conv2D and its backprops live in conv_2d.c, the depthwise
 * convolution in conv_depthwise.c, the kernels in src/kernels/cpu/conv*.c. */
#include <stdio.h>
#include <string.h>
#include "ops/conv_internal.h"

void rill_register_conv_ops(void) {
  rill__register_conv2d_ops();
  rill__register_depthwise_ops();
}

/* ---- attributes ---- */

/* Fills a from op's attributes; returns an error message (static or in buf) or NULL. */
static const char *read_attrs(const rill_op *op, const char *label, rill__conv_attrs *a, char *buf, size_t cap) {
  memset(a, 0, sizeof *a);
  const char *fmt = rill_op_attr_string(op, "data_format");
  if (fmt && strcmp(fmt, "NHWC") && strcmp(fmt, "NCHW")) {
    snprintf(buf, cap, "Invalid data format string: %s", fmt);
    return buf;
  }
  a->nchw = fmt && !strcmp(fmt, "NCHW");
  a->h = a->nchw ? 2 : 1;
  a->w = a->nchw ? 3 : 2;
  a->c = a->nchw ? 1 : 3;
  const int64_t *v;
  int n = rill_op_attr_int_list(op, "strides", &v);
  if (n != 4) {
    if (!strcmp(label, "Conv2D"))
      snprintf(buf, cap, "Conv2D on data format %s requires the stride attribute to contain 4 values, but got: %d",
               a->nchw ? "NCHW" : "NHWC", n < 0 ? 0 : n);
    else
      snprintf(buf, cap, "%s requires the stride attribute to contain 4 values, but got: %d", label, n < 0 ? 0 : n);
    return buf;
  }
  memcpy(a->strides, v, sizeof a->strides);
  n = rill_op_attr_int_list(op, "dilations", &v);
  if (n < 0) {
    for (int i = 0; i < 4; i++) a->dilations[i] = 1;
  } else if (n != 4) {
    snprintf(buf, cap, "%s requires the dilation attribute to contain 4 values, but got: %d", label, n);
    return buf;
  } else {
    memcpy(a->dilations, v, sizeof a->dilations);
  }
  const char *pad = rill_op_attr_string(op, "padding");
  if (pad && !strcmp(pad, "SAME")) {
    a->pad = RILL__PAD_SAME;
  } else if (pad && !strcmp(pad, "VALID")) {
    a->pad = RILL__PAD_VALID;
  } else if (pad && !strcmp(pad, "EXPLICIT")) {
    a->pad = RILL__PAD_EXPLICIT;
  } else {
    snprintf(buf, cap, "Attr 'padding' of '%s' Op passed string '%s' not in: \"SAME\", \"VALID\", \"EXPLICIT\".",
             rill_op_type(op), pad ? pad : "");
    return buf;
  }
  n = rill_op_attr_int_list(op, "explicit_paddings", &v);
  if (a->pad == RILL__PAD_EXPLICIT) {
    if (n != 8) {
      snprintf(buf, cap, "explicit_paddings attribute must contain 8 values, but got: %d", n < 0 ? 0 : n);
      return buf;
    }
    for (int i = 0; i < 8; i++)
      if (v[i] < 0) return "All elements of explicit_paddings must be nonnegative";
    if (v[0] || v[1] || v[2 * a->c] || v[2 * a->c + 1])
      return "Nonzero explicit padding in the batch or depth dimensions is not supported";
    memcpy(a->explicit_pads, v, sizeof a->explicit_pads);
  } else if (n > 0) {
    return "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT";
  }
  return NULL;
}

bool rill__conv_attrs_infer(rill_op *op, const char *label, rill__conv_attrs *a) {
  char buf[256];
  const char *err = read_attrs(op, label, a, buf, sizeof buf);
  return err ? rill_op_shape_error(op, "%s", err) : true;
}

bool rill__conv_out_dim_infer(rill_op *op, const rill__conv_attrs *a, int d, int64_t in, int64_t k, int64_t *out) {
  int64_t s = a->strides[d], dil = a->dilations[d];
  if (s <= 0) return rill_op_shape_error(op, "Stride must be > 0, but got %lld", (long long)s);
  if (dil < 1) return rill_op_shape_error(op, "Dilation rate must be >= 1, but got %lld", (long long)dil);
  *out = -1;
  if (in < 0) return true;
  if (a->pad == RILL__PAD_SAME) {
    *out = (in + s - 1) / s;
    return true;
  }
  if (a->pad == RILL__PAD_EXPLICIT) in += a->explicit_pads[2 * d] + a->explicit_pads[2 * d + 1];
  if (k < 0) return true;
  int64_t eff = (k - 1) * dil + 1;
  if (in < eff)
    return rill_op_shape_error(op, "Negative dimension size caused by subtracting %lld from %lld", (long long)eff,
                               (long long)in);
  *out = (in - eff + s) / s;
  return true;
}

bool rill__conv_attrs_kernel(rill_kctx *k, const char *type, rill__conv_attrs *a) {
  char buf[256];
  const char *err = read_attrs(rill_k_op(k), type, a, buf, sizeof buf);
  if (err) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", err);
  if (a->strides[0] != 1 || a->strides[a->c] != 1)
    return rill_k_fail(k, RILL_UNIMPLEMENTED,
                       "Current implementation does not yet support strides in the batch and depth dimensions.");
  if (a->dilations[0] != 1 || a->dilations[a->c] != 1)
    return rill_k_fail(k, RILL_UNIMPLEMENTED,
                       "Current implementation does not yet support dilations in the batch and depth dimensions.");
  if (a->nchw)
    return rill_k_fail(k, RILL_UNIMPLEMENTED,
                       "The %s op currently only supports the NHWC tensor format on the CPU. The op was given the "
                       "format: NCHW",
                       type);
  return true;
}

bool rill__conv_window(rill_kctx *k, const rill__conv_attrs *a, int d, int64_t in, int64_t kk, int64_t *out,
                       int64_t *pad_before) {
  int64_t s = a->strides[d], dil = a->dilations[d];
  if (s <= 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Stride must be > 0, but got %lld", (long long)s);
  if (dil < 1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Dilation rate must be >= 1, but got %lld", (long long)dil);
  int64_t eff = (kk - 1) * dil + 1;
  switch (a->pad) {
    case RILL__PAD_VALID:
      *out = (in - eff + s) / s;
      *pad_before = 0;
      break;
    case RILL__PAD_EXPLICIT:
      *pad_before = a->explicit_pads[2 * d];
      *out = (in + a->explicit_pads[2 * d] + a->explicit_pads[2 * d + 1] - eff + s) / s;
      break;
    default: {
      *out = (in + s - 1) / s;
      int64_t needed = (*out - 1) * s + eff - in;
      /* an odd total puts the extra row or column after (below, right) */
      *pad_before = needed > 0 ? needed / 2 : 0;
      break;
    }
  }
  if (*out < 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Computed output size would be negative: %lld [input_size: %lld, effective_filter_size: %lld, "
                       "stride: %lld]",
                       (long long)*out, (long long)in, (long long)eff, (long long)s);
  return true;
}

bool rill__conv_geometry(rill_kctx *k, const rill__conv_attrs *a, rill_shape in, int64_t kh, int64_t kw, int64_t o,
                         int64_t groups, rill_conv_geom *g) {
  *g = (rill_conv_geom){.n = in.dims[0], .h = in.dims[1], .w = in.dims[2], .c = in.dims[3], .kh = kh, .kw = kw,
                        .o = o, .groups = groups, .sh = a->strides[1], .sw = a->strides[2], .dh = a->dilations[1],
                        .dw = a->dilations[2]};
  return rill__conv_window(k, a, 1, g->h, kh, &g->oh, &g->pt) && rill__conv_window(k, a, 2, g->w, kw, &g->ow, &g->pl);
}

static void pool_for(void *ctx, int64_t n, void (*fn)(void *, int64_t, int64_t), void *arg) {
  rill_k_parallel_for(ctx, n, 1, fn, arg);
}

rill_conv_exec rill__conv_exec(rill_kctx *k) {
  return (rill_conv_exec){.threads = rill_k_threads(k), .parallel = pool_for, .ctx = k};
}

bool rill__conv_sizes_input(rill_kctx *k, const char *label, int i, const int64_t *batch_depth, rill_shape *out) {
  const rill_tensor *t = rill_k_in(k, i);
  if (t->shape.rank != 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: %s input must be 1-dim, not %d", label,
                       i == 0 ? "input_sizes" : "filter_sizes", t->shape.rank);
  if (t->dtype != RILL_INT32 && t->dtype != RILL_INT64)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: sizes must be int32 or int64, not %s", label,
                       rill_dtype_name(t->dtype));
  int64_t n = t->n;
  if (n != 4 && !(n == 2 && batch_depth))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: %s must have 4 elements, got %lld", label,
                       i == 0 ? "input_sizes" : "filter_sizes", (long long)n);
  int64_t v[4];
  for (int64_t j = 0; j < n; j++)
    v[j] = t->dtype == RILL_INT32 ? ((const int32_t *)t->data)[j] : ((const int64_t *)t->data)[j];
  if (n == 2) {
    v[2] = v[1];
    v[1] = v[0];
    v[0] = batch_depth[0];
    v[3] = batch_depth[1];
  }
  for (int j = 0; j < 4; j++)
    if (v[j] < 0)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: dimension %d of the %s is negative: %lld", label, j,
                         i == 0 ? "input_sizes" : "filter_sizes", (long long)v[j]);
  *out = rill_shape_make(v, 4);
  return true;
}

bool rill__conv_backprop_dims(rill_kctx *k, const char *label, const rill__conv_attrs *a, rill_shape input,
                              rill_shape filter, rill_shape out_backprop, bool depthwise, rill_conv_geom *g) {
  if (input.rank != 4) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: input must be 4-dimensional", label);
  if (filter.rank != 4) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: filter must be 4-dimensional", label);
  if (out_backprop.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: out_backprop must be 4-dimensional", label);
  if (input.dims[0] != out_backprop.dims[0])
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "%s: input and out_backprop must have the same batch size, input batch: %lld outbackprop "
                       "batch: %lld batch_dim: 0",
                       label, (long long)input.dims[0], (long long)out_backprop.dims[0]);
  int64_t in_c = input.dims[3], fc = filter.dims[2], o = depthwise ? filter.dims[2] * filter.dims[3] : filter.dims[3];
  int64_t groups = 1;
  if (depthwise) {
    if (in_c != fc)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: input and filter must have the same depth: %lld vs %lld", label,
                         (long long)in_c, (long long)fc);
    groups = in_c;
  } else {
    if (fc == 0 || in_c % fc)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: input depth must be evenly divisible by filter depth", label);
    groups = in_c / fc;
    if (o % groups)
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: output depth must be evenly divisible by the number of groups",
                         label);
  }
  if (o != out_backprop.dims[3])
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s: filter and out_backprop must have the same out_depth", label);
  if (depthwise && in_c == 0) groups = 1;
  if (!rill__conv_geometry(k, a, input, filter.dims[0], filter.dims[1], o, groups, g)) return false;
  const int64_t want[2] = {g->oh, g->ow}, ins[2] = {g->h, g->w}, ks[2] = {g->kh, g->kw};
  for (int d = 0; d < 2; d++)
    if (out_backprop.dims[1 + d] != want[d])
      return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                         "%s: Size of out_backprop doesn't match computed: actual = %lld, computed = %lld "
                         "spatial_dim: %d input: %lld filter: %lld output: %lld stride: %lld dilation: %lld",
                         label, (long long)out_backprop.dims[1 + d], (long long)want[d], d + 1, (long long)ins[d],
                         (long long)ks[d], (long long)out_backprop.dims[1 + d], (long long)a->strides[1 + d],
                         (long long)a->dilations[1 + d]);
  return true;
}

/* ---- building ---- */

void rill__conv_set_attrs(rill_op_builder *b, const int64_t *strides, const char *padding, const int64_t *dilations,
                          bool cudnn) {
  static const int64_t ones[4] = {1, 1, 1, 1};
  rill_op_builder_attr_int_list(b, "strides", strides, 4);
  if (cudnn) rill_op_builder_attr_bool(b, "use_cudnn_on_gpu", true);
  rill_op_builder_attr_string(b, "padding", padding);
  rill_op_builder_attr_int_list(b, "explicit_paddings", NULL, 0);
  rill_op_builder_attr_string(b, "data_format", "NHWC");
  rill_op_builder_attr_int_list(b, "dilations", dilations ? dilations : ones, 4);
}

void rill__conv_copy_attrs(rill_op_builder *b, const rill_op *op) {
  static const char *lists[] = {"strides", "explicit_paddings", "dilations"};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
    const int64_t *v;
    int n = rill_op_attr_int_list(op, lists[i], &v);
    if (n >= 0) rill_op_builder_attr_int_list(b, lists[i], v, n);
  }
  static const char *strs[] = {"padding", "data_format"};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    const char *s = rill_op_attr_string(op, strs[i]);
    if (s) rill_op_builder_attr_string(b, strs[i], s);
  }
}

bool rill__conv_check_args(rill_graph *g, const rill_output *in, int n, const int64_t *strides, const char *padding,
                           const char *what) {
  if (rill__graph_failed(g)) return false;
  for (int i = 0; i < n; i++)
    if (!rill__check_input(g, in[i], what)) return false;
  if (!strides || !padding) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "%s: strides and padding are required", what);
    return false;
  }
  return true;
}

rill_output rill__conv_op(rill_graph *g, const char *type, const rill_output *in, int n, const rill_op *src,
                          const int64_t *strides, const char *padding, const int64_t *dilations, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_inputs(b, in, n);
  /* the backprops' sizes input is int32: T comes from the first float input */
  rill_output ref = in[0];
  if (!strcmp(type, "Conv2DBackpropInput") || !strcmp(type, "DepthwiseConv2dNativeBackpropInput")) ref = in[1];
  rill_op_builder_attr_type(b, "T", ref.op ? rill_output_dtype(ref) : RILL_FLOAT);
  bool cudnn = !strncmp(type, "Conv2D", 6);
  if (src) {
    rill__conv_copy_attrs(b, src);
    if (cudnn) rill_op_builder_attr_bool(b, "use_cudnn_on_gpu", rill_op_attr_bool(src, "use_cudnn_on_gpu", true));
  } else {
    rill__conv_set_attrs(b, strides, padding, dilations, cudnn);
  }
  return rill_op_output(rill_op_builder_finish(b), 0);
}
