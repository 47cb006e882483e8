/* Shared by the convolution op files (src/ops/conv_*.c): the attributes every TF convolution
 * op carries (strides, padding, explicit_paddings, dilations, data_format), TF's window
 * arithmetic for shape functions and kernels, and the builder and gradient plumbing. */
#ifndef RILL_OPS_CONV_INTERNAL_H
#define RILL_OPS_CONV_INTERNAL_H

#include "core/internal.h"
#include "kernels/cpu/conv.h"

void rill__register_conv2d_ops(void);
void rill__register_depthwise_ops(void);

typedef enum rill__pad_kind { RILL__PAD_SAME, RILL__PAD_VALID, RILL__PAD_EXPLICIT } rill__pad_kind;

typedef struct rill__conv_attrs {
  int64_t strides[4], dilations[4]; /* in the data format's order */
  rill__pad_kind pad;
  int64_t explicit_pads[8];         /* (before, after) per dimension, EXPLICIT only */
  bool nchw;
  int h, w, c;                      /* dimension indices of the data format */
} rill__conv_attrs;

/* Reads and checks the attributes like TF's shape functions (label names the op family in
 * messages: "Conv2D", "DepthwiseConv2D"). Records TF's shape error and returns false. */
bool rill__conv_attrs_infer(rill_op *op, const char *label, rill__conv_attrs *a);
/* TF's GetWindowedOutputSizeFromDimsV2 for spatial dimension d (a->h or a->w): -1 when the input
 * or filter size is unknown. Records "Negative dimension size caused by subtracting 5 from 4"
 * and returns false. */
bool rill__conv_out_dim_infer(rill_op *op, const rill__conv_attrs *a, int d, int64_t in, int64_t k, int64_t *out);

/* The same attributes for a kernel, with the CPU kernels' limits: NHWC only, no strides or
 * dilations in the batch and depth dimensions. Fails the kernel with TF's message. */
bool rill__conv_attrs_kernel(rill_kctx *k, const char *type, rill__conv_attrs *a);
/* TF's GetWindowedOutputSizeVerbose for spatial dimension d: output size and padding before. */
bool rill__conv_window(rill_kctx *k, const rill__conv_attrs *a, int d, int64_t in, int64_t kk, int64_t *out,
                       int64_t *pad_before);
/* The geometry of a convolution from the input shape [n, h, w, c], the filter's spatial sizes
 * and output depth; fails the kernel like TF for negative output sizes. */
bool rill__conv_geometry(rill_kctx *k, const rill__conv_attrs *a, rill_shape in, int64_t kh, int64_t kw, int64_t o,
                         int64_t groups, rill_conv_geom *g);
/* The session's intra-op pool as a rill_conv_exec. */
rill_conv_exec rill__conv_exec(rill_kctx *k);
/* Reads a 1-D int32/int64 shape input (input_sizes, filter_sizes) of 4 values, or of 2 spatial
 * values when `batch_depth` is given (filled from it). Fails with TF's messages. */
bool rill__conv_sizes_input(rill_kctx *k, const char *label, int i, const int64_t *batch_depth, rill_shape *out);
/* TF's ConvBackpropComputeDimensionsV2 checks for a backprop kernel (label:
 * "Conv2DCustomBackpropInput", ...), then the geometry. filter is [kh, kw, c / groups, o], or
 * [kh, kw, c, m] for depthwise (o = c * m). */
bool rill__conv_backprop_dims(rill_kctx *k, const char *label, const rill__conv_attrs *a, rill_shape input,
                              rill_shape filter, rill_shape out_backprop, bool depthwise, rill_conv_geom *g);

/* ---- building ---- */

/* Adds the attributes of a convolution op: strides (4 values), padding ("SAME", "VALID"),
 * explicit_paddings ([]), data_format "NHWC", dilations (NULL: all 1), and use_cudnn_on_gpu
 * when `cudnn`. */
void rill__conv_set_attrs(rill_op_builder *b, const int64_t *strides, const char *padding, const int64_t *dilations,
                          bool cudnn);
/* Copies those attributes from op (for gradients). */
void rill__conv_copy_attrs(rill_op_builder *b, const rill_op *op);
/* Checks a builder's arguments: inputs belong to g, strides and padding given. */
bool rill__conv_check_args(rill_graph *g, const rill_output *in, int n, const int64_t *strides, const char *padding,
                           const char *what);
/* A one-output op of `type` with input 0's T and the convolution attributes copied from src
 * (gradients) or set from the arguments. */
rill_output rill__conv_op(rill_graph *g, const char *type, const rill_output *in, int n, const rill_op *src,
                          const int64_t *strides, const char *padding, const int64_t *dilations, const char *name);

#endif
