/* Convolutions (src/ops/conv_*.c): tf.nn.conv2d, depthwise_conv2d, conv2d_transpose and the
 * backprop ops they are built from.
 *
 * Tensors are NHWC ([batch, height, width, channels]); filters are HWIO ([filter_height,
 * filter_width, in_channels, out_channels]; depthwise: [fh, fw, in_channels, multiplier]).
 * strides and dilations are 4 values in NHWC order, [1, s_h, s_w, 1] (batch and channel
 * entries other than 1 fail when run, like TF's CPU kernels); dilations NULL means all 1.
 * padding is "SAME" (output size ceil(in / stride), zeros split as TF does: pad_before =
 * total / 2, the odd one after) or "VALID" (no padding, out = (in - (k-1)*d - 1) / stride + 1).
 * The ops carry TF's attributes (strides, padding, explicit_paddings, data_format "NHWC",
 * dilations, and use_cudnn_on_gpu on the Conv2D family), so GraphDefs round-trip; imported
 * graphs may also use padding "EXPLICIT". The kernels take float32, float64 and (Conv2D
 * family) int32; the depthwise family takes float32 and float64. Results are bit-identical at
 * any intra-op thread count.
 *
 * Shapes are inferred at build time, unknown dimensions (a None batch) staying unknown;
 * mismatches are build errors with TF's messages ("Negative dimension size caused by
 * subtracting 5 from 4", "Depth of input (4) is not a multiple of input depth of filter (3)").
 * Every op here has TF's gradient (nn_grad.py), and so do the gradients' own ops. */
#ifndef RILL_NN_CONV_H
#define RILL_NN_CONV_H

#include "rill/graph.h"

/* tf.nn.conv2d: a Conv2D op named "Conv2D". The input depth may be a multiple g of the
 * filter's in_channels (a grouped convolution, out_channels divisible by g). */
rill_output rill_conv2d(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                        const char *padding, const int64_t *dilations, const char *name);

/* tf.nn.conv2d_backprop_input: the gradient of conv2d with respect to its input, whose shape
 * input_sizes holds (an int32 vector of 4 values, or of the 2 spatial sizes). */
rill_output rill_conv2d_backprop_input(rill_graph *g, rill_output input_sizes, rill_output filter,
                                       rill_output out_backprop, const int64_t *strides, const char *padding,
                                       const int64_t *dilations, const char *name);
/* tf.nn.conv2d_backprop_filter: the gradient with respect to the filter, of shape filter_sizes
 * (an int32 vector of 4 values). */
rill_output rill_conv2d_backprop_filter(rill_graph *g, rill_output input, rill_output filter_sizes,
                                        rill_output out_backprop, const int64_t *strides, const char *padding,
                                        const int64_t *dilations, const char *name);

/* tf.nn.conv2d_transpose(value, filter, output_shape, strides, padding): the transpose
 * ("deconvolution") of conv2d, built like TF as Conv2DBackpropInput named "conv2d_transpose"
 * with its sizes in the Const "conv2d_transpose/input_sizes". filter is [fh, fw,
 * output_channels, value_channels]; output_shape holds 4 sizes (for a batch known only when
 * running, call rill_conv2d_backprop_input with a computed sizes tensor). */
rill_output rill_conv2d_transpose(rill_graph *g, rill_output value, rill_output filter, const int64_t *output_shape,
                                  const int64_t *strides, const char *padding, const char *name);

/* tf.nn.depthwise_conv2d(input, filter, strides, padding, rate): every input channel c is
 * convolved with its own filter[:, :, c, :], giving channels c * multiplier + m. rate (2
 * values, NULL = [1, 1]) is the dilation; with rate > 1 all strides must be 1. Built as one
 * DepthwiseConv2dNative op named "depthwise" (TF's Python names the op the same but wraps a
 * dilated one in SpaceToBatchND/BatchToSpaceND; here the op's dilations do it). */
rill_output rill_depthwise_conv2d(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                                  const char *padding, const int64_t *rate, const char *name);
/* tf.nn.depthwise_conv2d_native and its backprops (the raw ops). */
rill_output rill_depthwise_conv2d_native(rill_graph *g, rill_output input, rill_output filter, const int64_t *strides,
                                         const char *padding, const int64_t *dilations, const char *name);
rill_output rill_depthwise_conv2d_native_backprop_input(rill_graph *g, rill_output input_sizes, rill_output filter,
                                                        rill_output out_backprop, const int64_t *strides,
                                                        const char *padding, const int64_t *dilations,
                                                        const char *name);
rill_output rill_depthwise_conv2d_native_backprop_filter(rill_graph *g, rill_output input, rill_output filter_sizes,
                                                         rill_output out_backprop, const int64_t *strides,
                                                         const char *padding, const int64_t *dilations,
                                                         const char *name);

#endif
