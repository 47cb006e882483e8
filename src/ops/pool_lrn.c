/* Local response normalization: LRN and LRNGrad (attributes depth_radius, bias, alpha, beta).
 * TF registers no gradient for LRNGrad, so it is marked not differentiable. */
#include <stdatomic.h>
#include "ops/pool_internal.h"

#define LRN_LIST "half, bfloat16, float"

static bool lrn_infer(rill_op *op) {
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__pool_check_type(op, t, RILL__DT_BIT(RILL_FLOAT), "T", LRN_LIST) || !rill__pool_check_rank(op, 0, 4))
    return false;
  if (rill_op_attr_int(op, "depth_radius", 5) < 0)
    return rill_op_shape_error(op, "depth_radius = %lld must be non-negative",
                               (long long)rill_op_attr_int(op, "depth_radius", 5));
  rill_shape s = rill_op_input_shape(op, 0);
  rill_op_set_output(op, t, s.rank < 0 ? RILL_SHAPE(-1, -1, -1, -1) : s);
  return true;
}

static bool lrn_grad_infer(rill_op *op) {
  if (!rill_op_check_same_dtype(op, 0, 3) ||
      !rill__pool_check_type(op, rill_op_input_dtype(op, 0), RILL__DT_BIT(RILL_FLOAT), "T", LRN_LIST))
    return false;
  rill_shape s = RILL_SHAPE(-1, -1, -1, -1);
  for (int i = 0; i < 3; i++) {
    if (!rill__pool_check_rank(op, i, 4)) return false;
    rill_shape si = rill_op_input_shape(op, i);
    if (si.rank < 0) continue;
    for (int d = 0; d < 4; d++) {
      if (s.dims[d] >= 0 && si.dims[d] >= 0 && s.dims[d] != si.dims[d])
        return rill_op_shape_error(op, "Dimension %d in both shapes must be equal, but are %lld and %lld", d,
                                   (long long)s.dims[d], (long long)si.dims[d]);
      if (s.dims[d] < 0) s.dims[d] = si.dims[d];
    }
  }
  rill_op_set_output(op, RILL_FLOAT, s);
  return true;
}

static rill_lrn_params params_of(const rill_op *op, int64_t depth) {
  return (rill_lrn_params){.depth = depth,
                           .radius = rill_op_attr_int(op, "depth_radius", 5),
                           .bias = (float)rill_op_attr_float(op, "bias", 1.0),
                           .alpha = (float)rill_op_attr_float(op, "alpha", 1.0),
                           .beta = (float)rill_op_attr_float(op, "beta", 0.5)};
}

typedef struct lrn_job {
  rill_lrn_params p;
  const float *x, *y, *dy;
  float *out;
  atomic_bool oom;
} lrn_job;

static void lrn_chunk(void *arg, int64_t b, int64_t e) {
  lrn_job *j = arg;
  if (!rill_lrn_pixels(&j->p, j->x, j->out, b, e)) atomic_store(&j->oom, true);
}

static void lrn_grad_chunk(void *arg, int64_t b, int64_t e) {
  lrn_job *j = arg;
  if (!rill_lrn_grad_pixels(&j->p, j->dy, j->x, j->y, j->out, b, e)) atomic_store(&j->oom, true);
}

/* Per pixel: the window sums plus the power, about (2r + 4) operations per channel. */
static int64_t pixel_work(const rill_lrn_params *p) {
  int64_t r = p->radius < p->depth ? p->radius : p->depth;
  return p->depth * (2 * r + 4);
}

static bool lrn_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0);
  if (x->shape.rank != 4) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "in must be 4-dimensional");
  rill_tensor *y = rill_k_alloc_uninit(k, 0, RILL_FLOAT, x->shape);
  if (!y) return false;
  int64_t depth = x->shape.dims[3];
  if (x->n == 0) return true;
  lrn_job j = {.p = params_of(rill_k_op(k), depth), .x = x->data, .out = y->data};
  atomic_init(&j.oom, false);
  rill__pool_parallel(k, x->n / depth, pixel_work(&j.p), lrn_chunk, &j);
  if (atomic_load(&j.oom)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in LRN");
  return true;
}

static bool lrn_grad_kernel(rill_kctx *k) {
  rill_tensor *dy = rill_k_in(k, 0), *x = rill_k_in(k, 1), *y = rill_k_in(k, 2);
  if (dy->shape.rank != 4 || !rill_shape_equal(dy->shape, x->shape) || !rill_shape_equal(dy->shape, y->shape))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input_grads, input_image, and out_image should have the same shape");
  rill_tensor *dx = rill_k_alloc_uninit(k, 0, RILL_FLOAT, x->shape);
  if (!dx) return false;
  int64_t depth = x->shape.dims[3];
  if (x->n == 0) return true;
  lrn_job j = {.p = params_of(rill_k_op(k), depth), .x = x->data, .y = y->data, .dy = dy->data, .out = dx->data};
  atomic_init(&j.oom, false);
  rill__pool_parallel(k, x->n / depth, 2 * pixel_work(&j.p), lrn_grad_chunk, &j);
  if (atomic_load(&j.oom)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory in LRNGrad");
  return true;
}

static rill_output lrn_op(rill_graph *g, const char *type, const rill_output *in, int n, int64_t depth_radius,
                          double bias, double alpha, double beta, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_inputs(b, in, n);
  rill_op_builder_attr_type(b, "T", in[0].op ? rill_output_dtype(in[0]) : RILL_FLOAT);
  rill_op_builder_attr_int(b, "depth_radius", depth_radius);
  /* TF keeps these attributes as float32 */
  rill_op_builder_attr_float(b, "bias", (float)bias);
  rill_op_builder_attr_float(b, "alpha", (float)alpha);
  rill_op_builder_attr_float(b, "beta", (float)beta);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_local_response_normalization(rill_graph *g, rill_output x, int depth_radius, double bias, double alpha,
                                              double beta, const char *name) {
  return lrn_op(g, "LRN", &x, 1, depth_radius, bias, alpha, beta, name);
}

static void lrn_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  rill_output in[3] = {dy[0], rill_op_input(op, 0), rill_op_output(op, 0)};
  dx[0] = lrn_op(g, "LRNGrad", in, 3, rill_op_attr_int(op, "depth_radius", 5), rill_op_attr_float(op, "bias", 1),
                 rill_op_attr_float(op, "alpha", 1), rill_op_attr_float(op, "beta", 0.5), NULL);
}

static const rill_op_def defs[] = {
    {.type = "LRN", .infer = lrn_infer, .kernel = lrn_kernel, .grad = lrn_grad},
    {.type = "LRNGrad", .infer = lrn_grad_infer, .kernel = lrn_grad_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE},
};

void rill__register_pool_lrn_ops(void) {
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) rill_register_op(&defs[i]);
}
