/* Pooling, normalization and top-k builders for convolutional networks (src/ops/pool_*.c):
 * tf.nn.max_pool, avg_pool, lrn, batch_normalization, moments, fused_batch_norm, in_top_k,
 * top_k, and a tf.layers.batch_normalization-style layer.
 *
 * Conventions as in ops.h: the graph first, `name` last (NULL = TF's default name), build
 * errors recorded in the graph (the builder then returns RILL_NO_OUTPUT). Images are NHWC:
 * [batch, rows, cols, channels]. The op types and attributes are TF's (MaxPool with ksize,
 * strides, padding, data_format; LRN with depth_radius, bias, alpha, beta; FusedBatchNormV3
 * with epsilon, exponential_avg_factor, data_format, is_training; TopKV2; InTopKV2), and so
 * are their gradients (MaxPoolGrad, MaxPoolGradGrad, AvgPoolGrad, LRNGrad,
 * FusedBatchNormGradV3). */
#ifndef RILL_NN_POOL_H
#define RILL_NN_POOL_H

#include "rill/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pooling ---- */

/* tf.nn.max_pool(x, ksize, strides, padding, data_format): ksize and strides give 4 entries in
 * data_format's order (NHWC: [1, rows, cols, 1]). padding is "SAME" (output ceil(in/stride);
 * the padding, split with the extra row/column after, never wins a maximum) or "VALID"
 * (windows inside the image; output (in - k + stride) / stride). data_format NULL means
 * "NHWC"; "NCHW" builds (its shapes are inferred) but, like TF's CPU kernels, fails when run.
 * Like TF, a window over the channels alone (ksize = strides = [1, 1, 1, k], k dividing the
 * depth) pools across channels, forward only; pooling across the batch is a run error.
 * float32, float64, int32, int64 and uint8. The gradient goes to the first maximum of each
 * window (row-major order), as TF's CPU kernel does. Default name "MaxPool". */
rill_output rill_max_pool(rill_graph *g, rill_output x, const int ksize[4], const int strides[4], const char *padding,
                          const char *data_format, const char *name);
/* tf.nn.avg_pool: like max_pool, averaging; a SAME window at the border divides by the number
 * of elements inside the image. Pooling across the batch or channels is a run error, as in
 * TF. float32 and float64. Default name "AvgPool". */
rill_output rill_avg_pool(rill_graph *g, rill_output x, const int ksize[4], const int strides[4], const char *padding,
                          const char *data_format, const char *name);

/* ---- local response normalization ---- */

/* tf.nn.lrn / tf.nn.local_response_normalization (LRN) over the last dimension of a rank-4
 * float32 x: y = x / (bias + alpha * sum(x[..., c-r .. c+r]^2))^beta with r = depth_radius.
 * TF's defaults are depth_radius 5, bias 1, alpha 1, beta 0.5; CIFAR-10 uses (4, 1.0,
 * 0.001 / 9.0, 0.75). Default name "LRN". */
rill_output rill_local_response_normalization(rill_graph *g, rill_output x, int depth_radius, double bias, double alpha,
                                              double beta, const char *name);

/* ---- batch normalization ---- */

/* tf.nn.batch_normalization(x, mean, variance, offset, scale, variance_epsilon): built from
 * primitives under "batchnorm" as TF builds it: inv = rsqrt(variance + epsilon) * scale;
 * x * inv + (offset - mean * inv). offset and scale may be RILL_NO_OUTPUT (TF's None). */
rill_output rill_batch_normalization(rill_graph *g, rill_output x, rill_output mean, rill_output variance,
                                     rill_output offset, rill_output scale, double variance_epsilon, const char *name);
/* tf.nn.moments(x, axes, keep_dims): returns the mean over axes and writes the (biased)
 * variance to *variance. Built under "moments" as TF does ("moments/mean",
 * "moments/variance", squeezed unless keep_dims). */
rill_output rill_moments(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keep_dims,
                         rill_output *variance, const char *name);
/* tf.compat.v1.nn.fused_batch_norm (FusedBatchNormV3) on a float32 rank-4 x with float32
 * [channels] scale and offset. Training (is_training) normalizes with the batch's statistics
 * and writes to *batch_mean / *batch_variance the values for a moving average: the batch mean
 * and the Bessel-corrected batch variance, or with exponential_avg_factor f != 1 the blend
 * (1 - f) * mean + f * batch value (mean and variance then hold the old values). Inference
 * uses mean and variance and passes them through. mean and variance may be RILL_NO_OUTPUT in
 * training (TF's empty constants). epsilon below 1.001e-5 is raised to it, as TF does.
 * data_format NULL = "NHWC" ("NCHW" also works). batch_mean and batch_variance may be NULL.
 * Default name "FusedBatchNormV3". */
rill_output rill_fused_batch_norm(rill_graph *g, rill_output x, rill_output scale, rill_output offset,
                                  rill_output mean, rill_output variance, double epsilon,
                                  double exponential_avg_factor, const char *data_format, bool is_training,
                                  rill_output *batch_mean, rill_output *batch_variance, const char *name);
/* tf.layers.batch_normalization(x, training=training, momentum, epsilon) over the last axis:
 * under variable scope `name` (NULL: "batch_normalization", "batch_normalization_1", ...)
 * creates with get_variable gamma (ones) and beta (zeros), trainable, and moving_mean (zeros)
 * and moving_variance (ones), not trainable. Rank-4 float32 inputs use FusedBatchNormV3,
 * others (float32 or float64) tf.nn.moments and batch_normalization. While training the
 * output uses the batch statistics and the moving averages are updated by "AssignMovingAvg"
 * and "AssignMovingAvg_1" (variable -= (variable - value) * (1 - momentum); the variance is
 * the fused op's Bessel-corrected one, the moments path's biased one, as in TF 1.x's layer),
 * which are added to the RILL_UPDATE_OPS collection: run them with the
 * train op (a control dependency on the collection, as TF programs do). `training` is a
 * scalar bool tensor chosen per run: when false the moving statistics are used and the update
 * ops leave the averages unchanged (both paths are computed and one selected, where TF builds
 * a cond). TF's defaults are momentum 0.99 and epsilon 0.001. */
rill_output rill_batch_norm_layer(rill_graph *g, rill_output x, rill_output training, double momentum, double epsilon,
                                  const char *name);
/* The same with training fixed when building (TF's Python bool): training builds only the
 * training path and its updates; inference builds neither updates nor batch statistics. */
rill_output rill_batch_norm_layer_fixed(rill_graph *g, rill_output x, bool training, double momentum, double epsilon,
                                        const char *name);

/* ---- top k ---- */

/* tf.nn.in_top_k(predictions, targets, k) (InTopKV2): for float32 predictions [batch, classes]
 * and int32/int64 targets [batch], whether each target's prediction is among the k largest
 * (ties count as in; a target out of range or a non-finite prediction in the row gives
 * false). Not differentiable. Default op name "in_top_k/InTopKV2". */
rill_output rill_in_top_k(rill_graph *g, rill_output predictions, rill_output targets, int k, const char *name);
/* tf.nn.top_k(input, k, sorted) (TopKV2) over the last dimension: returns the k largest values
 * in descending order and writes their int32 positions to *indices (may be NULL); equal values
 * come in order of position. The order is sorted even when `sorted` is false (TF leaves it
 * unspecified then). The values' gradient is scattered back to the positions. Default name
 * "TopKV2". */
rill_output rill_top_k(rill_graph *g, rill_output input, int k, bool sorted, rill_output *indices, const char *name);

#ifdef __cplusplus
}
#endif
#endif
