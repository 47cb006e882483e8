/* Gradient-check cases for the nn op family (src/ops/nn_*.c).
 *
 * The *Grad ops get second-order cases: the case's output is itself a gradient (built with
 * rill_gradients inside the case), so the check differentiates the gradient op. Inputs are
 * drawn away from the activations' kinks by the ranges (relu at 0, relu6 at 0 and 6). */
#include "support/gradcheck.h"

#define D RILL_DOUBLE
/* A static shape initializer (RILL_SHAPE calls a function). */
#define S(...) {.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dims = {__VA_ARGS__}}

static rill_output relu(rill_graph *g, const rill_output *x) { return rill_relu(g, x[0], NULL); }
static rill_output relu6(rill_graph *g, const rill_output *x) { return rill_relu6(g, x[0], NULL); }
static rill_output elu(rill_graph *g, const rill_output *x) { return rill_elu(g, x[0], NULL); }
static rill_output leaky(rill_graph *g, const rill_output *x) { return rill_leaky_relu(g, x[0], 0.3, NULL); }
static rill_output softplus(rill_graph *g, const rill_output *x) { return rill_softplus(g, x[0], NULL); }
static rill_output softmax(rill_graph *g, const rill_output *x) { return rill_softmax(g, x[0], NULL); }
static rill_output log_softmax(rill_graph *g, const rill_output *x) { return rill_log_softmax(g, x[0], NULL); }
static rill_output bias_add(rill_graph *g, const rill_output *x) { return rill_bias_add(g, x[0], x[1], NULL); }
static rill_output l2_loss(rill_graph *g, const rill_output *x) { return rill_l2_loss(g, x[0], NULL); }

/* Labels must be distributions for the op's backprop to be the gradient: softmax(x0). */
static rill_output xent(rill_graph *g, const rill_output *x) {
  return rill_softmax_cross_entropy_with_logits(g, rill_softmax(g, x[0], NULL), x[1], NULL);
}

static rill_output sparse_labels(rill_graph *g) {
  static const int32_t l[3] = {0, 3, 2};
  return rill_const_int32(g, l, 3, RILL_SHAPE(3), "labels");
}

static rill_output sparse_xent(rill_graph *g, const rill_output *x) {
  return rill_sparse_softmax_cross_entropy_with_logits(g, sparse_labels(g), x[0], NULL);
}

/* d(f(x0))/dx0 with grad_ys x1: the gradient op of f applied to (x1, ...). */
static rill_output second_order(rill_graph *g, rill_output y, rill_output x, rill_output dy) {
  rill_output dx;
  if (!rill_gradients(g, &y, 1, &x, 1, dy.op ? &dy : NULL, &dx)) return RILL_NO_OUTPUT;
  return dx;
}

static rill_output relu_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_relu(g, x[0], NULL), x[0], x[1]);
}
static rill_output relu6_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_relu6(g, x[0], NULL), x[0], x[1]);
}
static rill_output elu_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_elu(g, x[0], NULL), x[0], x[1]);
}
static rill_output leaky_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_leaky_relu(g, x[0], 0.3, NULL), x[0], x[1]);
}
static rill_output softplus_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_softplus(g, x[0], NULL), x[0], x[1]);
}
/* BiasAddGrad(x2) as the bias gradient of bias_add(x0, x1) with grad_ys x2. */
static rill_output bias_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, rill_bias_add(g, x[0], x[1], NULL), x[1], x[2]);
}
/* The logits gradient of the cross entropy, differentiated again: the backprop output's
 * gradient path (the softmax Jacobian). The labels are constant here: like TF, the op's
 * gradient does not pass a second-order gradient on to them. */
static rill_output xent_gg(rill_graph *g, const rill_output *x) {
  static const double p[12] = {.1, .2, .3, .4, .25, .25, .25, .25, 0, 0, 1, 0};
  rill_output labels = rill_const_double(g, p, 12, RILL_SHAPE(3, 4), "labels");
  rill_output y = rill_softmax_cross_entropy_with_logits(g, labels, x[0], NULL);
  return second_order(g, y, x[0], RILL_NO_OUTPUT);
}
static rill_output sparse_xent_gg(rill_graph *g, const rill_output *x) {
  return second_order(g, sparse_xent(g, x), x[0], RILL_NO_OUTPUT);
}

/* Python-level losses built from primitives. */
static rill_output sigmoid_xent(rill_graph *g, const rill_output *x) {
  return rill_sigmoid_cross_entropy_with_logits(g, x[0], x[1], NULL);
}
static rill_output l1_l2(rill_graph *g, const rill_output *x) { return rill_l1_l2_regularizer(g, 0.3, 0.7, x[0], NULL); }
static rill_output seq_loss(rill_graph *g, const rill_output *x) {
  static const int32_t t0[3] = {1, 0, 3}, t1[3] = {2, 2, 0};
  rill_output targets[2] = {rill_const_int32(g, t0, 3, RILL_SHAPE(3), NULL), rill_const_int32(g, t1, 3, RILL_SHAPE(3), NULL)};
  rill_output logits[2] = {x[0], x[1]}, weights[2] = {x[2], x[3]};
  return rill_sequence_loss_by_example(g, logits, targets, weights, 2, true, NULL);
}
/* keep_prob 1 keeps everything, so the mask is the same in every run. */
static rill_output dropout_all(rill_graph *g, const rill_output *x) {
  return rill_dropout(g, x[0], rill_scalar_double(g, 1.0, "keep_prob"), 3, NULL);
}

const rill_gradcase rill_gradcases_nn[] = {
    {"relu", 1, D, {S(3, 4)}, relu, -1, 1, 0},
    {"relu6", 1, D, {S(3, 4)}, relu6, -2, 8, 0},
    {"elu", 1, D, {S(3, 4)}, elu, -2, 2, 0},
    {"leaky_relu", 1, D, {S(3, 4)}, leaky, -1, 1, 0},
    {"softplus", 1, D, {S(3, 4)}, softplus, -3, 3, 0},
    {"softmax", 1, D, {S(2, 5)}, softmax, -2, 2, 0},
    {"log_softmax", 1, D, {S(2, 5)}, log_softmax, -2, 2, 0},
    {"softmax_rank3", 1, D, {S(2, 2, 3)}, softmax, -2, 2, 0},
    {"bias_add", 2, D, {S(3, 4), S(4)}, bias_add, 0, 0, 0},
    {"bias_add_rank4", 2, D, {S(2, 2, 2, 3), S(3)}, bias_add, 0, 0, 0},
    {"l2_loss", 1, D, {S(3, 4)}, l2_loss, 0, 0, 0},
    {"softmax_xent", 2, D, {S(3, 4), S(3, 4)}, xent, -2, 2, 0},
    {"sparse_softmax_xent", 1, D, {S(3, 4)}, sparse_xent, -2, 2, 0},
    {"relu_grad", 2, D, {S(3, 4), S(3, 4)}, relu_gg, -1, 1, 0},
    {"relu6_grad", 2, D, {S(3, 4), S(3, 4)}, relu6_gg, -2, 8, 0},
    {"elu_grad", 2, D, {S(3, 4), S(3, 4)}, elu_gg, -2, 2, 0},
    {"leaky_relu_grad", 2, D, {S(3, 4), S(3, 4)}, leaky_gg, -1, 1, 0},
    {"softplus_grad", 2, D, {S(3, 4), S(3, 4)}, softplus_gg, -3, 3, 0},
    {"bias_add_grad", 3, D, {S(3, 4), S(4), S(3, 4)}, bias_gg, 0, 0, 0},
    {"softmax_xent_grad", 1, D, {S(3, 4)}, xent_gg, -2, 2, 0},
    {"sparse_softmax_xent_grad", 1, D, {S(3, 4)}, sparse_xent_gg, -2, 2, 0},
    {"sigmoid_xent", 2, D, {S(3, 4), S(3, 4)}, sigmoid_xent, -3, 3, 0},
    {"l1_l2_regularizer", 1, D, {S(3, 4)}, l1_l2, 0.1, 1, 0},
    {"sequence_loss_by_example", 4, D, {S(3, 4), S(3, 4), S(3), S(3)}, seq_loss, 0.1, 1, 0},
    {"dropout_keep_all", 1, D, {S(3, 4)}, dropout_all, 0, 0, 0},
};
const int rill_gradcases_nn_n = (int)(sizeof rill_gradcases_nn / sizeof rill_gradcases_nn[0]);
