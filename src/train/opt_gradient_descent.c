/* tf.train.GradientDescentOptimizer: var -= lr * grad (ApplyGradientDescent). */
#include "train/optimizer.h"

static void gd_slots(rill_optimizer *o, rill_variable *const *vars, int n) {
  (void)o;
  (void)vars;
  (void)n;
}

static rill_op *gd_apply(rill_optimizer *o, rill_output grad, rill_variable *var) {
  rill_output in[2] = {rill__opt_cast(o->g, o->lr, rill_variable_dtype(var)), grad};
  return rill_op_builder_finish(rill__opt_apply_builder(o->g, "ApplyGradientDescent", var, in, 2));
}

static const rill__opt_rule gd_rule = {.name = "GradientDescent", .create_slots = gd_slots, .apply_dense = gd_apply};

rill_optimizer *rill_gradient_descent_optimizer(rill_graph *g, rill_output learning_rate) {
  return rill__optimizer_new(g, &gd_rule, learning_rate);
}
