/* Batch normalization: FusedBatchNormV3 and FusedBatchNormGradV3 (float32, NHWC or NCHW), and
 * tf.nn.batch_normalization and tf.nn.moments built from primitives as TF builds them.
 *
 * Batch statistics are sums over fixed blocks of the value, each block's partial sum kept in
 * double and the blocks added in order: the same bits at any thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/pool_internal.h"

#define BN_T_LIST "half, bfloat16, float"

/* ---- shape functions ---- */

/* The channel dimension of a rank-4 value. */
static int channel_dim(const rill_op *op) { return rill__pool_is_nchw(op) ? 1 : 3; }

/* Merges dim d of `s` with vector input i's length. */
static bool merge_channels(rill_op *op, int64_t *c, int i) {
  rill_shape v = rill_op_input_shape(op, i);
  if (v.rank != 1 || v.dims[0] < 0) return true;
  if (*c >= 0 && *c != v.dims[0])
    return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)*c,
                               (long long)v.dims[0]);
  *c = v.dims[0];
  return true;
}

static bool check_types(rill_op *op, int n_u_from, int n_u_to) {
  if (!rill__pool_check_type(op, rill_op_input_dtype(op, 0), RILL__DT_BIT(RILL_FLOAT), "T", BN_T_LIST)) return false;
  for (int i = n_u_from; i < n_u_to; i++)
    if (!rill__pool_check_type(op, rill_op_input_dtype(op, i), RILL__DT_BIT(RILL_FLOAT), "U", "float")) return false;
  return true;
}

static bool fbn_infer(rill_op *op) {
  if (!check_types(op, 1, 5) || !rill__pool_check_format(op) || !rill__pool_check_rank(op, 0, 4)) return false;
  for (int i = 1; i < 5; i++)
    if (!rill__pool_check_rank(op, i, 1)) return false;
  rill_shape x = rill_op_input_shape(op, 0);
  if (x.rank < 0) x = RILL_SHAPE(-1, -1, -1, -1);
  int cd = channel_dim(op);
  bool stats_used =
      !rill_op_attr_bool(op, "is_training", true) || rill_op_attr_float(op, "exponential_avg_factor", 1) != 1;
  for (int i = 1; i < (stats_used ? 5 : 3); i++)
    if (!merge_channels(op, &x.dims[cd], i)) return false;
  rill_shape vec = RILL_SHAPE(x.dims[cd]);
  rill_dtype dt[6] = {RILL_FLOAT, RILL_FLOAT, RILL_FLOAT, RILL_FLOAT, RILL_FLOAT, RILL_FLOAT};
  rill_shape sh[6] = {x, vec, vec, vec, vec, rill_shape_unknown()};
  rill_op_set_outputs(op, 6, dt, sh);
  return true;
}

static bool fbn_grad_infer(rill_op *op) {
  if (!check_types(op, 2, 6) || !rill_op_check_same_dtype(op, 0, 2) || !rill__pool_check_format(op) ||
      !rill__pool_check_rank(op, 0, 4) || !rill__pool_check_rank(op, 1, 4))
    return false;
  for (int i = 2; i < 5; i++)
    if (!rill__pool_check_rank(op, i, 1)) return false;
  rill_shape x = rill_op_input_shape(op, 1), dy = rill_op_input_shape(op, 0);
  if (x.rank < 0) x = dy.rank < 0 ? RILL_SHAPE(-1, -1, -1, -1) : dy;
  for (int d = 0; d < 4 && dy.rank == 4; d++) {
    if (x.dims[d] >= 0 && dy.dims[d] >= 0 && x.dims[d] != dy.dims[d])
      return rill_op_shape_error(op, "Dimension %d in both shapes must be equal, but are %lld and %lld", d,
                                 (long long)dy.dims[d], (long long)x.dims[d]);
    if (x.dims[d] < 0) x.dims[d] = dy.dims[d];
  }
  int cd = channel_dim(op);
  for (int i = 2; i < 5; i++)
    if (!merge_channels(op, &x.dims[cd], i)) return false;
  rill_shape vec = RILL_SHAPE(x.dims[cd]);
  rill_dtype dt[5] = {RILL_FLOAT, RILL_FLOAT, RILL_FLOAT, RILL_FLOAT, RILL_FLOAT};
  rill_shape sh[5] = {x, vec, vec, RILL_SHAPE(0), RILL_SHAPE(0)};
  rill_op_set_outputs(op, 5, dt, sh);
  return true;
}

/* ---- kernels ---- */

typedef struct bn_job {
  rill_bn_view v;
  const float *x, *dy, *mean, *a, *b, *k1, *mdy, *k2;
  float *out;
  double *p1, *p2; /* per-block partial sums, `channels` each */
  int64_t block;   /* outer indices per block */
} bn_job;

static void block_range(const bn_job *j, int64_t blk, int64_t *o0, int64_t *o1) {
  *o0 = blk * j->block;
  *o1 = *o0 + j->block < j->v.outer ? *o0 + j->block : j->v.outer;
}

static void sum_blocks(void *arg, int64_t b, int64_t e) {
  bn_job *j = arg;
  for (int64_t blk = b; blk < e; blk++) {
    int64_t o0, o1;
    block_range(j, blk, &o0, &o1);
    rill_bn_sum(&j->v, j->x, j->p1 + blk * j->v.channels, o0, o1);
  }
}

static void sqdev_blocks(void *arg, int64_t b, int64_t e) {
  bn_job *j = arg;
  for (int64_t blk = b; blk < e; blk++) {
    int64_t o0, o1;
    block_range(j, blk, &o0, &o1);
    rill_bn_sqdev(&j->v, j->x, j->mean, j->p1 + blk * j->v.channels, o0, o1);
  }
}

static void grad_sum_blocks(void *arg, int64_t b, int64_t e) {
  bn_job *j = arg;
  for (int64_t blk = b; blk < e; blk++) {
    int64_t o0, o1;
    block_range(j, blk, &o0, &o1);
    rill_bn_grad_sums(&j->v, j->dy, j->x, j->mean, j->p1 + blk * j->v.channels, j->p2 + blk * j->v.channels, o0, o1);
  }
}

static void apply_chunk(void *arg, int64_t b, int64_t e) {
  bn_job *j = arg;
  rill_bn_apply(&j->v, j->x, j->mean, j->a, j->b, j->out, b, e);
}

static void grad_apply_chunk(void *arg, int64_t b, int64_t e) {
  bn_job *j = arg;
  rill_bn_grad_apply(&j->v, j->dy, j->x, j->mean, j->k1, j->mdy, j->k2, j->out, b, e);
}

/* Runs fn over the blocks of j into fresh partial arrays (two when two), then adds the blocks
 * in order into acc1 (and acc2). False when out of memory. */
static bool block_sums(rill_kctx *k, bn_job *j, void (*fn)(void *, int64_t, int64_t), double *acc1, double *acc2) {
  const int64_t C = j->v.channels, per = C * j->v.inner;
  j->block = per >= RILL__POOL_GRAIN ? 1 : RILL__POOL_GRAIN / per;
  int64_t blocks = (j->v.outer + j->block - 1) / j->block;
  size_t n = (size_t)(blocks * C);
  j->p1 = calloc(n ? n : 1, sizeof(double));
  j->p2 = acc2 ? calloc(n ? n : 1, sizeof(double)) : NULL;
  if (!j->p1 || (acc2 && !j->p2)) {
    free(j->p1), free(j->p2);
    return false;
  }
  rill__pool_parallel(k, blocks, j->block * per, fn, j);
  for (int64_t c = 0; c < C; c++) acc1[c] = 0;
  if (acc2)
    for (int64_t c = 0; c < C; c++) acc2[c] = 0;
  for (int64_t blk = 0; blk < blocks; blk++)
    for (int64_t c = 0; c < C; c++) {
      acc1[c] += j->p1[blk * C + c];
      if (acc2) acc2[c] += j->p2[blk * C + c];
    }
  free(j->p1), free(j->p2);
  j->p1 = j->p2 = NULL;
  return true;
}

/* Views x as [outer, channels, inner] for the op's format. */
static rill_bn_view view_of(const rill_op *op, rill_shape x) {
  if (rill__pool_is_nchw(op)) return (rill_bn_view){x.dims[0], x.dims[1], x.dims[2] * x.dims[3]};
  return (rill_bn_view){x.dims[0] * x.dims[1] * x.dims[2], x.dims[3], 1};
}

static bool check_vec(rill_kctx *k, const rill_tensor *t, const char *what, int64_t C, bool need) {
  if (t->shape.rank != 1) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s must be 1-dimensional", what);
  if (need && t->shape.dims[0] != C)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "%s must have the same number of elements as the channels of x, got %lld and %lld", what,
                       (long long)t->shape.dims[0], (long long)C);
  return true;
}

static bool fbn_kernel(rill_kctx *k) {
  rill_op *op = rill_k_op(k);
  rill_tensor *x = rill_k_in(k, 0), *scale = rill_k_in(k, 1), *offset = rill_k_in(k, 2), *mean_in = rill_k_in(k, 3),
              *var_in = rill_k_in(k, 4);
  if (x->shape.rank != 4) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "x must be 4-dimensional");
  bool training = rill_op_attr_bool(op, "is_training", true);
  float eps = (float)rill_op_attr_float(op, "epsilon", 1e-4),
        f = (float)rill_op_attr_float(op, "exponential_avg_factor", 1);
  bool stats_used = !training || f != 1.0f;
  rill_bn_view v = view_of(op, x->shape);
  const int64_t C = v.channels;
  if (!check_vec(k, scale, "scale", C, true) || !check_vec(k, offset, "offset", C, true) ||
      !check_vec(k, mean_in, "estimated_mean", C, stats_used) ||
      !check_vec(k, var_in, "estimated_variance", C, stats_used))
    return false;
  rill_tensor *y = rill_k_alloc_uninit(k, 0, RILL_FLOAT, x->shape), *out[5];
  if (!y) return false;
  for (int i = 0; i < 4; i++)
    if (!(out[i] = rill_k_alloc_uninit(k, i + 1, RILL_FLOAT, RILL_SHAPE(C)))) return false;
  /* TF's CPU kernel gives a scalar placeholder for the third reserve space */
  if (!(out[4] = rill_k_alloc(k, 5, RILL_FLOAT, rill_shape_scalar()))) return false;
  float *bmean = out[0]->data, *bvar = out[1]->data, *rs_mean = out[2]->data, *rs_var = out[3]->data;
  const float *sc = scale->data, *off = offset->data, *m_in = mean_in->data, *v_in = var_in->data;
  int64_t n = v.outer * v.inner;
  if (!training) {
    memcpy(rs_mean, m_in, (size_t)C * sizeof(float));
    memcpy(rs_var, v_in, (size_t)C * sizeof(float));
  } else if (n == 0) {
    for (int64_t c = 0; c < C; c++) rs_mean[c] = rs_var[c] = NAN;
  } else {
    double *acc = malloc((size_t)(C ? C : 1) * sizeof(double));
    bn_job j = {.v = v, .x = x->data, .mean = rs_mean};
    if (!acc || !block_sums(k, &j, sum_blocks, acc, NULL)) {
      free(acc);
      return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in FusedBatchNormV3");
    }
    for (int64_t c = 0; c < C; c++) rs_mean[c] = (float)(acc[c] / (double)n);
    bool ok = block_sums(k, &j, sqdev_blocks, acc, NULL);
    for (int64_t c = 0; ok && c < C; c++) rs_var[c] = (float)(acc[c] / (double)n);
    free(acc);
    if (!ok) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in FusedBatchNormV3");
  }
  /* the moving-average outputs: Bessel-corrected in training, blended when f != 1 */
  if (!training) {
    memcpy(bmean, m_in, (size_t)C * sizeof(float));
    memcpy(bvar, v_in, (size_t)C * sizeof(float));
  } else {
    float adjust = n > 1 ? (float)n / (float)(n - 1) : 1.0f;
    for (int64_t c = 0; c < C; c++) {
      if (f == 1.0f) {
        bmean[c] = rs_mean[c];
        bvar[c] = rs_var[c] * adjust;
      } else {
        bmean[c] = (1.0f - f) * m_in[c] + f * rs_mean[c];
        bvar[c] = (1.0f - f) * v_in[c] + f * (rs_var[c] * adjust);
      }
    }
  }
  if (x->n == 0) return true;
  float *a = malloc((size_t)C * sizeof(float));
  if (!a) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in FusedBatchNormV3");
  for (int64_t c = 0; c < C; c++) a[c] = (1.0f / sqrtf(rs_var[c] + eps)) * sc[c];
  bn_job j = {.v = v, .x = x->data, .mean = rs_mean, .a = a, .b = off, .out = y->data};
  rill__pool_parallel(k, v.outer, C * v.inner, apply_chunk, &j);
  free(a);
  return true;
}

static bool fbn_grad_kernel(rill_kctx *k) {
  rill_op *op = rill_k_op(k);
  rill_tensor *dy = rill_k_in(k, 0), *x = rill_k_in(k, 1), *scale = rill_k_in(k, 2), *mean_t = rill_k_in(k, 3),
              *var_t = rill_k_in(k, 4);
  if (x->shape.rank != 4 || dy->shape.rank != 4)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input must be 4-dimensional");
  if (!rill_shape_equal(x->shape, dy->shape)) {
    char a[128], b[128];
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "x and y_backprop must have same shape, but x has shape %s and y_backprop has shape %s",
                       rill_shape_dbg(x->shape, a, sizeof a), rill_shape_dbg(dy->shape, b, sizeof b));
  }
  bool training = rill_op_attr_bool(op, "is_training", true);
  float eps = (float)rill_op_attr_float(op, "epsilon", 1e-4);
  rill_bn_view v = view_of(op, x->shape);
  const int64_t C = v.channels, n = v.outer * v.inner;
  if (!check_vec(k, scale, "scale", C, true) || !check_vec(k, mean_t, "reserve_space_1", C, true) ||
      !check_vec(k, var_t, "reserve_space_2", C, true))
    return false;
  rill_tensor *dx = rill_k_alloc_uninit(k, 0, RILL_FLOAT, x->shape);
  rill_tensor *dscale = dx ? rill_k_alloc_uninit(k, 1, RILL_FLOAT, RILL_SHAPE(C)) : NULL;
  rill_tensor *doffset = dscale ? rill_k_alloc_uninit(k, 2, RILL_FLOAT, RILL_SHAPE(C)) : NULL;
  if (!doffset || !rill_k_alloc(k, 3, RILL_FLOAT, RILL_SHAPE(0)) || !rill_k_alloc(k, 4, RILL_FLOAT, RILL_SHAPE(0)))
    return false;
  const float *sc = scale->data, *mean = mean_t->data, *var = var_t->data;
  float *ds = dscale->data, *doff = doffset->data;
  double *sdy = malloc((size_t)(C ? C : 1) * sizeof(double)), *sdyxc = malloc((size_t)(C ? C : 1) * sizeof(double));
  float *k1 = malloc((size_t)(C ? C : 1) * sizeof(float) * 3);
  bn_job j = {.v = v, .x = x->data, .dy = dy->data, .mean = mean, .out = dx->data};
  bool ok = sdy && sdyxc && k1 && block_sums(k, &j, grad_sum_blocks, sdy, sdyxc);
  if (ok) {
    float *mdy = k1 + C, *k2 = k1 + 2 * C;
    for (int64_t c = 0; c < C; c++) {
      float rs = 1.0f / sqrtf(var[c] + eps);
      doff[c] = (float)sdy[c];
      ds[c] = (float)sdyxc[c] * rs;
      k1[c] = sc[c] * rs;
      if (n > 0) {
        mdy[c] = (float)(sdy[c] / (double)n);
        k2[c] = (float)(sdyxc[c] / (double)n) / (var[c] + eps);
      }
    }
    j.k1 = k1;
    if (training) j.mdy = mdy, j.k2 = k2;
    if (x->n) rill__pool_parallel(k, v.outer, C * v.inner, grad_apply_chunk, &j);
  }
  free(sdy), free(sdyxc), free(k1);
  if (!ok) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in FusedBatchNormGradV3");
  return true;
}

/* ---- builders ---- */

static rill_op *fbn_op(rill_graph *g, const char *type, const rill_output *in, int n, double epsilon, double avg_factor,
                       const char *format, bool is_training, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_inputs(b, in, n);
  rill_op_builder_attr_type(b, "T", in[0].op ? rill_output_dtype(in[0]) : RILL_FLOAT);
  rill_op_builder_attr_type(b, "U", in[n - 2].op ? rill_output_dtype(in[n - 2]) : RILL_FLOAT);
  rill_op_builder_attr_float(b, "epsilon", (float)epsilon);
  if (!isnan(avg_factor)) rill_op_builder_attr_float(b, "exponential_avg_factor", (float)avg_factor);
  rill_op_builder_attr_string(b, "data_format", format ? format : "NHWC");
  rill_op_builder_attr_bool(b, "is_training", is_training);
  return rill_op_builder_finish(b);
}

rill_output rill_fused_batch_norm(rill_graph *g, rill_output x, rill_output scale, rill_output offset, rill_output mean,
                                  rill_output variance, double epsilon, double exponential_avg_factor,
                                  const char *data_format, bool is_training, rill_output *batch_mean,
                                  rill_output *batch_variance, const char *name) {
  if (batch_mean) *batch_mean = RILL_NO_OUTPUT;
  if (batch_variance) *batch_variance = RILL_NO_OUTPUT;
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  if ((!is_training || exponential_avg_factor != 1.0) && (!mean.op || !variance.op)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "Both `mean` and `variance` must be a 1D tensor when `is_training` is False or "
                         "`exponential_avg_factor` != 1.0.");
    return RILL_NO_OUTPUT;
  }
  /* TF feeds empty constants for statistics a training run does not read */
  static const float none[1];
  if (!mean.op) mean = rill_const_float(g, none, 0, RILL_SHAPE(0), NULL);
  if (!variance.op) variance = rill_const_float(g, none, 0, RILL_SHAPE(0), NULL);
  /* cuDNN's minimum, which TF applies on every device */
  if (epsilon <= 1.001e-5) epsilon = 1.001e-5;
  rill_output in[5] = {x, scale, offset, mean, variance};
  rill_op *op = fbn_op(g, "FusedBatchNormV3", in, 5, epsilon, exponential_avg_factor, data_format, is_training, name);
  if (!op) return RILL_NO_OUTPUT;
  if (batch_mean) *batch_mean = rill_op_output(op, 1);
  if (batch_variance) *batch_variance = rill_op_output(op, 2);
  return rill_op_output(op, 0);
}

/* `t + v` with a Python number, as TF names it ("add" with constant "add/y"). */
static rill_output add_number(rill_graph *g, rill_output t, double v) {
  char *scope = rill__pool_scope(g, "add", NULL);
  rill_output c = rill_scalar_of(g, rill_output_dtype(t), v, "y");
  rill_output out = scope ? rill_add(g, t, c, scope) : RILL_NO_OUTPUT;
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

rill_output rill_batch_normalization(rill_graph *g, rill_output x, rill_output mean, rill_output variance,
                                     rill_output offset, rill_output scale, double variance_epsilon, const char *name) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  rill_name_scope_push(g, name ? name : "batchnorm");
  rill_output inv = rill_rsqrt(g, add_number(g, variance, variance_epsilon), NULL);
  if (scale.op) inv = rill_mul(g, inv, scale, "mul");
  /* x * inv + (offset - mean * inv), evaluated (and so named) in Python's order */
  rill_output xs = rill_mul(g, x, inv, "mul");
  rill_output shift = offset.op ? rill_sub(g, offset, rill_mul(g, mean, inv, "mul"), "sub")
                                : rill_mul(g, rill_neg(g, mean, NULL), inv, "mul");
  rill_output out = rill_add(g, xs, shift, "add");
  rill_name_scope_pop(g);
  return out;
}

rill_output rill_moments(rill_graph *g, rill_output x, const int *axes, int n_axes, bool keep_dims,
                         rill_output *variance, const char *name) {
  if (variance) *variance = RILL_NO_OUTPUT;
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  rill_name_scope_push(g, name ? name : "moments");
  rill_output mean = rill_reduce_mean(g, x, axes, n_axes, true, "mean");
  /* the variance's gradient to the mean is zero, so TF stops it */
  rill_output sq = rill_squared_difference(g, x, rill_stop_gradient(g, mean, NULL), NULL);
  rill_output var = rill_reduce_mean(g, sq, axes, n_axes, true, "variance");
  if (!keep_dims) {
    mean = rill_squeeze(g, mean, axes, axes ? n_axes : 0, NULL);
    var = rill_squeeze(g, var, axes, axes ? n_axes : 0, NULL);
  }
  rill_name_scope_pop(g);
  if (variance) *variance = var;
  return mean;
}

/* ---- gradients (nn_grad.py) ---- */

static void fbn_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  bool training = rill_op_attr_bool(op, "is_training", true);
  rill_output y_grad = dy[0].op ? dy[0] : rill_zeros_like(g, rill_op_output(op, 0), NULL);
  rill_output in[6] = {y_grad,
                       rill_op_input(op, 0),
                       rill_op_input(op, 1),
                       training ? rill_op_output(op, 3) : rill_op_input(op, 3),
                       training ? rill_op_output(op, 4) : rill_op_input(op, 4),
                       rill_op_output(op, 5)};
  rill_op *gop = fbn_op(g, "FusedBatchNormGradV3", in, 6, rill_op_attr_float(op, "epsilon", 1e-4), NAN,
                        rill_op_attr_string(op, "data_format"), training, NULL);
  if (!gop) return;
  for (int i = 0; i < 3; i++) dx[i] = rill_op_output(gop, i);
}

/* TF's _BatchNormGrad: FusedBatchNormGradV3's outputs written with primitives, so that their
 * gradients come from the primitives' own. */
static void bn_grad_primitives(rill_graph *g, rill_output grad_y, rill_output x, rill_output scale,
                               rill_output pop_mean, rill_output pop_var, double eps, bool nchw, bool training,
                               rill_output *out) {
  static const int nhwc_axes[3] = {0, 1, 2}, nchw_axes[3] = {0, 2, 3};
  const int *axes = nchw ? nchw_axes : nhwc_axes;
  const int64_t bshape[4] = {1, -1, 1, 1};
  if (training) {
    bool keep = nchw;
    if (nchw) scale = rill_reshape(g, scale, bshape, 4, NULL);
    rill_output mean_grad_y = rill_reduce_mean(g, grad_y, axes, 3, keep, NULL);
    rill_output mean_x = rill_reduce_mean(g, x, axes, 3, keep, NULL);
    rill_output var_x = rill_reduce_mean(g, rill_squared_difference(g, x, rill_stop_gradient(g, mean_x, NULL), NULL),
                                         axes, 3, keep, NULL);
    rill_output grad_y_offset = rill_sub(g, grad_y, mean_grad_y, NULL);
    rill_output x_offset = rill_sub(g, x, mean_x, NULL);
    rill_output mean = rill_reduce_mean(g, rill_mul(g, grad_y, x_offset, NULL), axes, 3, keep, NULL);
    rill_output var_eps = add_number(g, var_x, eps);
    rill_output grad_x = rill_mul(
        g, rill_mul(g, scale, rill_rsqrt(g, var_eps, NULL), NULL),
        rill_sub(
            g, grad_y_offset,
            rill_mul(g, rill_mul(g, rill_reciprocal(g, add_number(g, var_x, eps), NULL), mean, NULL), x_offset, NULL),
            NULL),
        NULL);
    rill_output grad_scale =
        rill_mul(g, rill_rsqrt(g, add_number(g, var_x, eps), NULL),
                 rill_reduce_sum(g, rill_mul(g, grad_y, x_offset, NULL), axes, 3, keep, NULL), NULL);
    if (nchw) grad_scale = rill_squeeze(g, grad_scale, NULL, 0, NULL);
    out[0] = grad_x;
    out[1] = grad_scale;
    out[2] = rill_reduce_sum(g, grad_y, axes, 3, false, NULL);
    return;
  }
  if (nchw) {
    pop_mean = rill_reshape(g, pop_mean, bshape, 4, NULL);
    pop_var = rill_reshape(g, pop_var, bshape, 4, NULL);
    scale = rill_reshape(g, scale, bshape, 4, NULL);
  }
  out[2] = rill_reduce_sum(g, grad_y, axes, 3, false, NULL);
  rill_output var_rsqrt = rill_rsqrt(g, add_number(g, pop_var, eps), NULL);
  out[1] = rill_reduce_sum(g, rill_mul(g, rill_mul(g, grad_y, rill_sub(g, x, pop_mean, NULL), NULL), var_rsqrt, NULL),
                           axes, 3, false, NULL);
  out[0] = rill_mul(g, rill_mul(g, grad_y, scale, NULL), var_rsqrt, NULL);
}

/* _FusedBatchNormGradGradV3: differentiates the primitive form. The inputs enter through
 * Identity ops so that the inner gradient sees them as free variables, as TF's tape does
 * (grad_y usually depends on x through the forward graph). */
static void fbn_grad_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output free_in[3];
  for (int i = 0; i < 3; i++) free_in[i] = rill_identity(g, rill_op_input(op, i), NULL);
  rill_output prim[3];
  bn_grad_primitives(g, free_in[0], free_in[1], free_in[2], rill_op_input(op, 3), rill_op_input(op, 4),
                     rill_op_attr_float(op, "epsilon", 1e-4), rill__pool_is_nchw(op),
                     rill_op_attr_bool(op, "is_training", true), prim);
  rill_output ys[3], gys[3];
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (dy[i].op) ys[n] = prim[i], gys[n++] = dy[i];
  if (n == 0 || rill__graph_failed(g)) return;
  rill_output d[3];
  if (rill_gradients(g, ys, n, free_in, 3, gys, d))
    for (int i = 0; i < 3; i++) dx[i] = d[i];
}

static const rill_op_def defs[] = {
    {.type = "FusedBatchNormV3", .infer = fbn_infer, .kernel = fbn_kernel, .grad = fbn_grad},
    {.type = "FusedBatchNormGradV3", .infer = fbn_grad_infer, .kernel = fbn_grad_kernel, .grad = fbn_grad_grad},
};

void rill__register_pool_batch_norm_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}
