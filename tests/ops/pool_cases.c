/* Gradient-check cases for the pooling and normalization family (src/ops/pool_*.c).
 *
 * Max pooling is only differentiable away from ties, so its cases add a constant of distinct,
 * well separated values (a permutation of multiples of 0.05) to inputs drawn from [0, 0.01):
 * the maximum of every window is then fixed and far from the others. The *Grad ops get
 * second-order cases (the case's output is itself a gradient, built with rill_gradients), and
 * MaxPoolGradGrad a third-order one. LRN and FusedBatchNorm exist only for float32 in TF, so
 * their cases run in float. */
#include "support/gradcheck.h"

#define D RILL_DOUBLE
#define F RILL_FLOAT
/* A static shape initializer (RILL_SHAPE calls a function). */
#define S(...)                                                                                 \
  {                                                                                            \
    .rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dims = { __VA_ARGS__ } \
  }

static const int K2[4] = {1, 2, 2, 1}, K3[4] = {1, 3, 3, 1}, S1[4] = {1, 1, 1, 1}, S2[4] = {1, 2, 2, 1};

/* x + a constant of distinct values 0.05 * perm(i), perm(i) = i * 7919 mod n. */
static rill_output distinct(rill_graph *g, rill_output x) {
  rill_shape s = rill_output_shape(x);
  int64_t n = rill_shape_num_elements(s);
  double v[512];
  if (n <= 0 || n > 512) return RILL_NO_OUTPUT;
  for (int64_t i = 0; i < n; i++) v[i] = 0.05 * (double)((i * 7919) % n);
  return rill_add(g, x, rill_const_double(g, v, n, s, "distinct"), NULL);
}

/* d(f(x0))/dx0 with grad_ys dy (RILL_NO_OUTPUT: ones). */
static rill_output grad_of(rill_graph *g, rill_output y, rill_output x, rill_output dy) {
  rill_output dx;
  if (!rill_gradients(g, &y, 1, &x, 1, dy.op ? &dy : NULL, &dx)) return RILL_NO_OUTPUT;
  return dx;
}

/* ---- pooling ---- */

static rill_output max_same_3x3(rill_graph *g, const rill_output *x) {
  return rill_max_pool(g, distinct(g, x[0]), K3, S2, "SAME", NULL, NULL);
}
static rill_output max_valid_2x2(rill_graph *g, const rill_output *x) {
  return rill_max_pool(g, distinct(g, x[0]), K2, S2, "VALID", NULL, NULL);
}
static rill_output max_same_odd(rill_graph *g, const rill_output *x) {
  return rill_max_pool(g, distinct(g, x[0]), K2, S2, "SAME", NULL, NULL);
}
static rill_output max_overlap(rill_graph *g, const rill_output *x) {
  return rill_max_pool(g, distinct(g, x[0]), K3, S1, "SAME", NULL, NULL);
}
/* MaxPoolGrad(x0 + distinct, pooled, x1): piecewise constant in x0, linear in x1. */
static rill_output max_grad(rill_graph *g, const rill_output *x) {
  rill_output in = distinct(g, x[0]);
  return grad_of(g, rill_max_pool(g, in, K3, S2, "SAME", NULL, NULL), in, x[1]);
}
/* MaxPoolGradGrad: the grad_ys input's gradient of MaxPoolGrad, with incoming gradient x2. */
static rill_output max_grad_grad(rill_graph *g, const rill_output *x) {
  rill_output in = distinct(g, x[0]);
  rill_output d = grad_of(g, rill_max_pool(g, in, K3, S2, "SAME", NULL, NULL), in, x[1]);
  return grad_of(g, d, x[1], x[2]);
}
static rill_output avg_same_3x3(rill_graph *g, const rill_output *x) {
  return rill_avg_pool(g, x[0], K3, S2, "SAME", NULL, NULL);
}
static rill_output avg_valid_2x2(rill_graph *g, const rill_output *x) {
  return rill_avg_pool(g, x[0], K2, S2, "VALID", NULL, NULL);
}
static rill_output avg_grad(rill_graph *g, const rill_output *x) {
  return grad_of(g, rill_avg_pool(g, x[0], K3, S2, "SAME", NULL, NULL), x[0], x[1]);
}

/* ---- LRN ---- */

static rill_output lrn(rill_graph *g, const rill_output *x) {
  return rill_local_response_normalization(g, x[0], 2, 1.0, 0.5, 0.75, NULL);
}
static rill_output lrn_cifar(rill_graph *g, const rill_output *x) {
  return rill_local_response_normalization(g, x[0], 4, 1.0, 0.001 / 9.0, 0.75, NULL);
}
static rill_output lrn_generic_beta(rill_graph *g, const rill_output *x) {
  return rill_local_response_normalization(g, x[0], 1, 2.0, 0.3, 0.6, NULL);
}

/* ---- batch norm ---- */

static rill_output fbn_train(rill_graph *g, const rill_output *x) {
  return rill_fused_batch_norm(g, x[0], x[1], x[2], RILL_NO_OUTPUT, RILL_NO_OUTPUT, 0.001, 1.0, NULL, true, NULL, NULL,
                               NULL);
}
static rill_output fbn_train_nchw(rill_graph *g, const rill_output *x) {
  return rill_fused_batch_norm(g, x[0], x[1], x[2], RILL_NO_OUTPUT, RILL_NO_OUTPUT, 0.001, 1.0, "NCHW", true, NULL,
                               NULL, NULL);
}
/* Population statistics are constants: TF gives them no gradient. */
static void pop_stats(rill_graph *g, rill_output *mean, rill_output *var) {
  static const float m[3] = {0.1f, -0.2f, 0.3f}, v[3] = {0.5f, 1.5f, 2.0f};
  *mean = rill_const_float(g, m, 3, RILL_SHAPE(3), "pop_mean");
  *var = rill_const_float(g, v, 3, RILL_SHAPE(3), "pop_var");
}
static rill_output fbn_infer(rill_graph *g, const rill_output *x) {
  rill_output m, v;
  pop_stats(g, &m, &v);
  return rill_fused_batch_norm(g, x[0], x[1], x[2], m, v, 0.001, 1.0, NULL, false, NULL, NULL, NULL);
}
/* FusedBatchNormGradV3's x_backprop / scale_backprop, differentiated again (grad_ys x2). */
static rill_output fbn_gg(rill_graph *g, const rill_output *x, bool training, int which) {
  rill_output m = RILL_NO_OUTPUT, v = RILL_NO_OUTPUT;
  if (!training) pop_stats(g, &m, &v);
  rill_output offset = rill_const_float(g, (const float[3]){0.5f, -0.5f, 0.25f}, 3, RILL_SHAPE(3), "offset");
  rill_output y = rill_fused_batch_norm(g, x[0], x[1], offset, m, v, 0.001, 1.0, NULL, training, NULL, NULL, NULL);
  rill_output xs[2] = {x[0], x[1]}, d[2];
  if (!rill_gradients(g, &y, 1, xs, 2, &x[2], d)) return RILL_NO_OUTPUT;
  return d[which];
}
static rill_output fbn_gg_train_x(rill_graph *g, const rill_output *x) { return fbn_gg(g, x, true, 0); }
static rill_output fbn_gg_train_scale(rill_graph *g, const rill_output *x) { return fbn_gg(g, x, true, 1); }
static rill_output fbn_gg_infer_x(rill_graph *g, const rill_output *x) { return fbn_gg(g, x, false, 0); }
static rill_output fbn_gg_infer_scale(rill_graph *g, const rill_output *x) { return fbn_gg(g, x, false, 1); }

/* tf.nn.batch_normalization with the statistics of tf.nn.moments (variance kept positive by
 * the moments). */
static rill_output bn_moments(rill_graph *g, const rill_output *x) {
  static const int axes[2] = {0, 1};
  rill_output var, mean = rill_moments(g, x[0], axes, 2, false, &var, NULL);
  return rill_batch_normalization(g, x[0], mean, var, x[1], x[2], 0.01, NULL);
}

/* ---- top k ---- */

static rill_output top_k(rill_graph *g, const rill_output *x) {
  return rill_top_k(g, distinct(g, x[0]), 3, true, NULL, NULL);
}
static rill_output top_k_3d(rill_graph *g, const rill_output *x) {
  return rill_top_k(g, distinct(g, x[0]), 2, true, NULL, NULL);
}

const rill_gradcase rill_gradcases_pool[] = {
    {"max_pool_same_3x3_s2", 1, D, {S(1, 5, 5, 2)}, max_same_3x3, 0, 0.01, 0},
    {"max_pool_valid_2x2_s2", 1, D, {S(2, 4, 4, 3)}, max_valid_2x2, 0, 0.01, 0},
    {"max_pool_same_odd", 1, D, {S(1, 5, 3, 2)}, max_same_odd, 0, 0.01, 0},
    {"max_pool_overlap_s1", 1, D, {S(1, 4, 4, 2)}, max_overlap, 0, 0.01, 0},
    {"max_pool_grad", 2, D, {S(1, 5, 5, 2), S(1, 3, 3, 2)}, max_grad, 0, 0.01, 0},
    {"max_pool_grad_grad", 3, D, {S(1, 5, 5, 2), S(1, 3, 3, 2), S(1, 5, 5, 2)}, max_grad_grad, 0, 0.01, 0},
    {"avg_pool_same_3x3_s2", 1, D, {S(2, 5, 5, 2)}, avg_same_3x3, 0, 0, 0},
    {"avg_pool_valid_2x2_s2", 1, D, {S(1, 5, 4, 3)}, avg_valid_2x2, 0, 0, 0},
    {"avg_pool_grad", 2, D, {S(1, 5, 5, 2), S(1, 3, 3, 2)}, avg_grad, 0, 0, 0},
    {"lrn", 1, F, {S(1, 2, 3, 6)}, lrn, 0, 0, 0},
    {"lrn_cifar", 1, F, {S(1, 2, 2, 12)}, lrn_cifar, -2, 2, 0},
    {"lrn_generic_beta", 1, F, {S(2, 1, 2, 5)}, lrn_generic_beta, 0, 0, 0},
    {"fused_batch_norm_train", 3, F, {S(2, 3, 3, 3), S(3), S(3)}, fbn_train, 0, 0, 0},
    {"fused_batch_norm_train_nchw", 3, F, {S(2, 3, 2, 3), S(3), S(3)}, fbn_train_nchw, 0, 0, 0},
    {"fused_batch_norm_infer", 3, F, {S(2, 2, 3, 3), S(3), S(3)}, fbn_infer, 0, 0, 0},
    {"fused_batch_norm_grad_train_x", 3, F, {S(2, 2, 3, 3), S(3), S(2, 2, 3, 3)}, fbn_gg_train_x, 0, 0, 0},
    {"fused_batch_norm_grad_train_scale", 3, F, {S(2, 2, 3, 3), S(3), S(2, 2, 3, 3)}, fbn_gg_train_scale, 0, 0, 0},
    {"fused_batch_norm_grad_infer_x", 3, F, {S(2, 2, 3, 3), S(3), S(2, 2, 3, 3)}, fbn_gg_infer_x, 0, 0, 0},
    {"fused_batch_norm_grad_infer_scale", 3, F, {S(2, 2, 3, 3), S(3), S(2, 2, 3, 3)}, fbn_gg_infer_scale, 0, 0, 0},
    {"batch_normalization_moments", 3, D, {S(2, 3, 4), S(4), S(4)}, bn_moments, 0, 0, 0},
    {"top_k", 1, D, {S(3, 6)}, top_k, 0, 0.01, 0},
    {"top_k_3d", 1, D, {S(2, 2, 5)}, top_k_3d, 0, 0.01, 0},
};
const int rill_gradcases_pool_n = sizeof rill_gradcases_pool / sizeof rill_gradcases_pool[0];
