/* Op builders: TF's Python op functions, in C.
 *
 * Every builder takes the graph first and an optional `name` last (NULL = TF's default name,
 * made unique with _1, _2 under the current name scope). Default names are those of TF 1.x's
 * tf.* functions (rill_add gives "Add" like tf.add, rill_div "truediv" like tf.divide); code
 * mirroring Python's operators passes theirs ("add" for x + y, "sub", "mul", "truediv", "pow").
 * A builder returns the op's output, or RILL_NO_OUTPUT after recording a build error in the
 * graph (bad shapes or dtypes, an input of another graph, an earlier error). Inputs must have
 * matching dtypes: like TF there is no implicit int32/float32 mixing ("... must be float32 but
 * is int32" errors). Binary elementwise ops broadcast like NumPy. Axes may be negative.
 * Ownership: outputs belong to the graph. Thread-safety: as rill_graph. */
#ifndef RILL_OPS_H
#define RILL_OPS_H

#include "rill/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants and placeholders (src/ops/const_ops.c) ---- */

/* tf.constant(value): keeps its own reference to value. Default name "Const". */
rill_output rill_constant(rill_graph *g, rill_tensor *value, const char *name);
/* Constants from C arrays (copied); shape's element count must match n. */
rill_output rill_const_float(rill_graph *g, const float *v, int64_t n, rill_shape shape, const char *name);
rill_output rill_const_double(rill_graph *g, const double *v, int64_t n, rill_shape shape, const char *name);
rill_output rill_const_int32(rill_graph *g, const int32_t *v, int64_t n, rill_shape shape, const char *name);
rill_output rill_const_int64(rill_graph *g, const int64_t *v, int64_t n, rill_shape shape, const char *name);
rill_output rill_const_bool(rill_graph *g, const bool *v, int64_t n, rill_shape shape, const char *name);
rill_output rill_scalar_float(rill_graph *g, float v, const char *name);
rill_output rill_scalar_double(rill_graph *g, double v, const char *name);
rill_output rill_scalar_int32(rill_graph *g, int32_t v, const char *name);
rill_output rill_scalar_int64(rill_graph *g, int64_t v, const char *name);
/* A scalar constant of `dtype` holding v (converted). */
rill_output rill_scalar_of(rill_graph *g, rill_dtype dtype, double v, const char *name);
/* tf.placeholder(dtype, shape): shape may have -1 dims or be rill_shape_unknown(). Default
 * name "Placeholder". */
rill_output rill_placeholder(rill_graph *g, rill_dtype dtype, rill_shape shape, const char *name);
/* tf.placeholder_with_default(input, shape). */
rill_output rill_placeholder_with_default(rill_graph *g, rill_output input, rill_shape shape, const char *name);

/* ---- elementwise math (src/ops/math_ops.c) ---- */

rill_output rill_add(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_sub(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_mul(rill_graph *g, rill_output x, rill_output y, const char *name);
/* tf.divide / truediv for floats (RealDiv); integer division truncates like TF's Div. */
rill_output rill_div(rill_graph *g, rill_output x, rill_output y, const char *name);
/* tf.floordiv (FloorDiv, rounding toward -inf) and tf.mod (FloorMod: the result takes the
 * divisor's sign, as Python's %). An integer zero divisor is a run error. */
rill_output rill_floordiv(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_mod(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_maximum(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_minimum(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_pow(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_squared_difference(rill_graph *g, rill_output x, rill_output y, const char *name);
/* tf.add_n: n >= 1 tensors of one dtype and shape. */
rill_output rill_add_n(rill_graph *g, const rill_output *xs, int n, const char *name);

rill_output rill_neg(rill_graph *g, rill_output x, const char *name);
rill_output rill_abs(rill_graph *g, rill_output x, const char *name);
rill_output rill_sign(rill_graph *g, rill_output x, const char *name);
rill_output rill_square(rill_graph *g, rill_output x, const char *name);
rill_output rill_sqrt(rill_graph *g, rill_output x, const char *name);
rill_output rill_rsqrt(rill_graph *g, rill_output x, const char *name);
rill_output rill_exp(rill_graph *g, rill_output x, const char *name);
rill_output rill_log(rill_graph *g, rill_output x, const char *name);
rill_output rill_log1p(rill_graph *g, rill_output x, const char *name);
rill_output rill_reciprocal(rill_graph *g, rill_output x, const char *name);
rill_output rill_sigmoid(rill_graph *g, rill_output x, const char *name);
rill_output rill_tanh(rill_graph *g, rill_output x, const char *name);

/* Comparisons give bool tensors. */
rill_output rill_equal(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_not_equal(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_greater(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_greater_equal(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_less(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_less_equal(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_logical_and(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_logical_or(rill_graph *g, rill_output x, rill_output y, const char *name);
rill_output rill_logical_not(rill_graph *g, rill_output x, const char *name);
/* tf.where(cond, x, y) (Select): cond of x's shape, or a vector over x's first dimension. */
rill_output rill_where(rill_graph *g, rill_output cond, rill_output x, rill_output y, const char *name);
/* tf.cast; float -> int truncates toward zero (to int32/int64, NaN and out-of-range values give
 * the type's minimum, x86's result that TF returns there; to uint8 the integer part wraps),
 * bool -> 0/1. Casting to x's own dtype returns x. */
rill_output rill_cast(rill_graph *g, rill_output x, rill_dtype dtype, const char *name);

/* Reductions over `axes` (n_axes of them; axes NULL and n_axes 0 reduce everything, while a
 * non-NULL axes with n_axes 0 reduces over no axes, as TF's axis=[]). */
rill_output rill_reduce_sum(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keepdims, const char *name);
rill_output rill_reduce_mean(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keepdims, const char *name);
rill_output rill_reduce_max(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keepdims, const char *name);
rill_output rill_reduce_min(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keepdims, const char *name);
rill_output rill_reduce_prod(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keepdims, const char *name);
/* tf.argmax(x, axis), int64 result. */
rill_output rill_argmax(rill_graph *g, rill_output x, int axis, const char *name);
rill_output rill_argmin(rill_graph *g, rill_output x, int axis, const char *name);

/* tf.matmul: rank-2 operands (MatMul), or equal-rank >= 3 operands (BatchMatMul). Mixing
 * ranks is TF 1.x's error "Shape must be rank 2 but is rank 3 for 'MatMul' (op: 'MatMul') with
 * input shapes: [3,2,4], [4,5]." */
rill_output rill_matmul(rill_graph *g, rill_output a, rill_output b, bool transpose_a, bool transpose_b,
                        const char *name);
/* tf.tensordot(a, b, axes=(axes_a, axes_b)) contracting n pairs of axes (src/ops/array_transpose.c).
 * Built as TF builds it: "Tensordot/transpose", "Tensordot/Reshape", "Tensordot/MatMul" and
 * the result reshaped as "Tensordot"; unknown dims are handled at run time. Operands need a
 * known rank. */
rill_output rill_tensordot(rill_graph *g, rill_output a, rill_output b, const int *axes_a, const int *axes_b,
                           int n, const char *name);

/* tf.clip_by_value(t, lo, hi). */
rill_output rill_clip_by_value(rill_graph *g, rill_output t, double lo, double hi, const char *name);
/* tf.clip_by_norm(t, clip_norm): t * clip_norm / max(l2norm(t), clip_norm). */
rill_output rill_clip_by_norm(rill_graph *g, rill_output t, double clip_norm, const char *name);
/* tf.clip_by_global_norm(ts, clip_norm): writes n clipped tensors to out (entries of ts that
 * are empty stay empty) and returns the global norm. */
rill_output rill_clip_by_global_norm(rill_graph *g, const rill_output *ts, int n, double clip_norm,
                                     rill_output *out, const char *name);

/* ---- array ops (src/ops/array_*.c) ----
 * Shapes are inferred as TF does, unknown dims included (reshaping [?,784] to [-1,28,28,1]
 * gives [?,28,28,1]). Reshape, squeeze and expand_dims never copy: their output shares the
 * input's buffer. Data-movement ops take every dtype, strings included. Index arguments become
 * int32 Const inputs ("Reshape/shape", "transpose/perm", ...), int64 when a value needs it. */

rill_output rill_identity(rill_graph *g, rill_output x, const char *name);
rill_output rill_stop_gradient(rill_graph *g, rill_output x, const char *name);
/* tf.reshape with a constant shape; one dim may be -1. */
rill_output rill_reshape(rill_graph *g, rill_output x, const int64_t *dims, int rank, const char *name);
/* tf.reshape with a computed shape tensor (int32/int64 vector). */
rill_output rill_reshape_to(rill_graph *g, rill_output x, rill_output shape, const char *name);
/* axes NULL/n 0: drop every size-1 dim. */
rill_output rill_squeeze(rill_graph *g, rill_output x, const int *axes, int n_axes, const char *name);
rill_output rill_expand_dims(rill_graph *g, rill_output x, int axis, const char *name);
/* perm (rank(x) entries) NULL reverses the dimensions. x's rank must be known. */
rill_output rill_transpose(rill_graph *g, rill_output x, const int *perm, const char *name);
/* tf.slice(x, begin, size) with rank(x) entries each (x's rank must be known); size -1 means
 * "to the end". Bounds are checked when run, as in TF. */
rill_output rill_slice(rill_graph *g, rill_output x, const int64_t *begin, const int64_t *size, const char *name);
/* tf.strided_slice: n entries of begin/end/strides (strides NULL: all 1) with TF's mask bits,
 * so x[..., 1:3, tf.newaxis, ::-1, 2] is expressible (ellipsis, new and shrink axes, negative
 * indices and strides). */
rill_output rill_strided_slice(rill_graph *g, rill_output x, const int64_t *begin, const int64_t *end,
                               const int64_t *strides, int n, int begin_mask, int end_mask, int ellipsis_mask,
                               int new_axis_mask, int shrink_axis_mask, const char *name);
/* tf.concat (ConcatV2); one tensor gives an Identity named "concat", as in TF. */
rill_output rill_concat(rill_graph *g, const rill_output *xs, int n, int axis, const char *name);
/* tf.split(x, num_split, axis): writes num_split outputs to out; returns out[0]. */
rill_output rill_split(rill_graph *g, rill_output x, int num_split, int axis, rill_output *out, const char *name);
rill_output rill_stack(rill_graph *g, const rill_output *xs, int n, int axis, const char *name);
/* tf.unstack(x, num, axis): writes num outputs to out; num must equal dim(axis) when that is
 * statically known (TF's "Dimension must be 3 but is 2" otherwise). Returns out[0]. */
rill_output rill_unstack(rill_graph *g, rill_output x, int num, int axis, rill_output *out, const char *name);
/* multiples: rank(x) entries (x's rank must be known). */
rill_output rill_tile(rill_graph *g, rill_output x, const int64_t *multiples, const char *name);
/* paddings: rank x 2 values (before, after) per dim; constant value 0 ("" for strings). */
rill_output rill_pad(rill_graph *g, rill_output x, const int64_t *paddings, const char *name);
/* tf.gather(params, indices, axis) (GatherV2). An index outside the axis is a run error. The
 * gradient is dense (UnsortedSegmentSum of the rows) where TF's is IndexedSlices. */
rill_output rill_gather(rill_graph *g, rill_output params, rill_output indices, int axis, const char *name);
/* tf.one_hot(indices, depth, on, off, axis=-1, dtype). */
rill_output rill_one_hot(rill_graph *g, rill_output indices, int depth, double on_value, double off_value,
                         int axis, rill_dtype dtype, const char *name);
/* tf.fill(dims, value): value is a scalar tensor giving the dtype. */
rill_output rill_fill(rill_graph *g, const int64_t *dims, int rank, rill_output value, const char *name);
/* tf.zeros / tf.ones of a fully defined shape: a Const below 1000 elements, else Fill of
 * "zeros/shape_as_tensor" and "zeros/Const", as TF builds them. */
rill_output rill_zeros(rill_graph *g, rill_shape shape, rill_dtype dtype, const char *name);
rill_output rill_ones(rill_graph *g, rill_shape shape, rill_dtype dtype, const char *name);
/* ZerosLike / OnesLike ops (not differentiable). */
rill_output rill_zeros_like(rill_graph *g, rill_output x, const char *name);
rill_output rill_ones_like(rill_graph *g, rill_output x, const char *name);
/* tf.shape(x, out_type) (int32 or int64), tf.size, tf.rank. Like TF's optimize=True, an answer
 * known when building is a Const named "Shape"/"Size"/"Rank"; otherwise the op computes it. */
rill_output rill_shape_of(rill_graph *g, rill_output x, rill_dtype out_type, const char *name);
rill_output rill_size(rill_graph *g, rill_output x, const char *name);
rill_output rill_rank(rill_graph *g, rill_output x, const char *name);
/* tf.range(start, limit, delta, dtype): dtype float32, float64, int32 or int64. */
rill_output rill_range(rill_graph *g, double start, double limit, double delta, rill_dtype dtype, const char *name);

/* ---- neural-network ops (src/ops/nn_ops.c) ---- */

rill_output rill_relu(rill_graph *g, rill_output x, const char *name);
rill_output rill_relu6(rill_graph *g, rill_output x, const char *name);
rill_output rill_elu(rill_graph *g, rill_output x, const char *name);
rill_output rill_leaky_relu(rill_graph *g, rill_output x, double alpha, const char *name);
rill_output rill_softplus(rill_graph *g, rill_output x, const char *name);
/* Over the last axis. */
rill_output rill_softmax(rill_graph *g, rill_output logits, const char *name);
rill_output rill_log_softmax(rill_graph *g, rill_output logits, const char *name);
/* tf.nn.bias_add(x, bias): bias over the last dimension. */
rill_output rill_bias_add(rill_graph *g, rill_output x, rill_output bias, const char *name);
/* Per-example losses ([batch]). labels are probabilities of logits' shape (cast to the logits'
 * dtype); like tf.nn.softmax_cross_entropy_with_logits_v2, gradients reach the labels too.
 * Logits of rank other than 2 are reshaped around the 2-D op (class dimension known). */
rill_output rill_softmax_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                    const char *name);
/* labels: int32/int64 class ids of shape [batch]. An id outside [0, classes) is a run error. */
rill_output rill_sparse_softmax_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                           const char *name);
rill_output rill_sigmoid_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                    const char *name);
/* tf.losses.mean_squared_error: mean of (labels - predictions)^2, added to the "losses" collection.
 * Like TF 1.x's losses the inputs are cast to float32 and so is the result. */
rill_output rill_mean_squared_error(rill_graph *g, rill_output labels, rill_output predictions, const char *name);
/* tf.nn.l2_loss: sum(x^2) / 2. */
rill_output rill_l2_loss(rill_graph *g, rill_output x, const char *name);
/* tf.contrib.layers.l1_regularizer(scale)(w) = scale * sum|w|; l2: scale * l2_loss(w);
 * l1_l2: l1 * sum|w| + l2 * l2_loss(w). A scale of 0 disables a regularizer: the result is
 * RILL_NO_OUTPUT with no error recorded (TF returns None); a negative scale is a build error. */
rill_output rill_l1_regularizer(rill_graph *g, double scale, rill_output w, const char *name);
rill_output rill_l2_regularizer(rill_graph *g, double scale, rill_output w, const char *name);
rill_output rill_l1_l2_regularizer(rill_graph *g, double scale_l1, double scale_l2, rill_output w, const char *name);
/* tf.nn.dropout(x, keep_prob, seed): scales kept values by 1/keep_prob. keep_prob is a
 * scalar tensor of x's dtype (a placeholder lets training and evaluation share a graph); the
 * mask is a fresh RandomUniform draw per run, seeded like the random ops (RILL_NO_SEED: none).
 * Built as TF 1.15 builds it ("sub", then "dropout/..."; the result is "dropout/mul_1"). */
rill_output rill_dropout(rill_graph *g, rill_output x, rill_output keep_prob, int64_t seed, const char *name);
/* tf.contrib.legacy_seq2seq.sequence_loss_by_example(logits, targets, weights) over n steps:
 * per-example weighted sparse cross entropy summed over steps (divided by the summed weights
 * when average_across_timesteps). */
rill_output rill_sequence_loss_by_example(rill_graph *g, const rill_output *logits, const rill_output *targets,
                                          const rill_output *weights, int n, bool average_across_timesteps,
                                          const char *name);

/* ---- random ops (src/ops/random_ops.c) ----
 * Seeds follow TF: with a graph seed and no op seed the op seed comes from the graph's op
 * count; with an op seed and no graph seed the graph seed is 87654321; with neither the
 * values differ per run. Pass RILL_NO_SEED for "no op seed". Each session keeps a generator per
 * op, so every run draws new values; equal seeds give equal values in every session at any
 * thread count, and the values are TensorFlow's own (its Philox streams, bit for bit). The
 * builders return TF's Python graph: "random_normal/RandomStandardNormal" times the stddev
 * plus the mean, named "random_normal". */
rill_output rill_random_normal(rill_graph *g, rill_shape shape, double mean, double stddev, rill_dtype dtype,
                               int64_t seed, const char *name);
rill_output rill_truncated_normal(rill_graph *g, rill_shape shape, double mean, double stddev, rill_dtype dtype,
                                  int64_t seed, const char *name);
rill_output rill_random_uniform(rill_graph *g, rill_shape shape, double minval, double maxval, rill_dtype dtype,
                                int64_t seed, const char *name);
/* tf.random_shuffle along the first dimension. */
rill_output rill_random_shuffle(rill_graph *g, rill_output x, int64_t seed, const char *name);

/* ---- gradients (src/train/gradients.c) ---- */

/* tf.gradients(ys, xs, grad_ys): adds gradient ops (under "gradients/") and writes d(sum ys)/dx
 * for each x to dxs. grad_ys may be NULL (ones). An x that no y depends on gets RILL_NO_OUTPUT.
 * Returns false after recording an error (e.g. an op with no gradient on the path). */
bool rill_gradients(rill_graph *g, const rill_output *ys, int n_ys, const rill_output *xs, int n_xs,
                    const rill_output *grad_ys, rill_output *dxs);

#ifdef __cplusplus
}
#endif
#endif
