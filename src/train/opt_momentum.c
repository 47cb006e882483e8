/* tf.train.MomentumOptimizer (ApplyMomentum):
 *   accum = accum * momentum + grad
 *   var -= lr * accum                                  (plain)
 *   var -= grad * lr + accum * momentum * lr           (use_nesterov)
 * Slot "momentum" ("w/Momentum"), zeros. */
#include "train/optimizer.h"

static void momentum_slots(rill_optimizer *o, rill_variable *const *vars, int n) {
  for (int i = 0; i < n; i++) rill__opt_make_slot(o, vars[i], rill_zeros_initializer(), "momentum");
}

static void momentum_prepare(rill_optimizer *o) { o->t[0] = rill__opt_scalar(o, o->hyper[0], "momentum"); }

static rill_op *momentum_apply(rill_optimizer *o, rill_output grad, rill_variable *var) {
  rill_dtype dt = rill_variable_dtype(var);
  rill_variable *accum = rill_optimizer_get_slot(o, var, "momentum");
  rill_output in[4] = {rill_variable_ref(accum), rill__opt_cast(o->g, o->lr, dt), grad,
                       rill__opt_cast(o->g, o->t[0], dt)};
  rill_op_builder *b = rill__opt_apply_builder(o->g, "ApplyMomentum", var, in, 4);
  rill_op_builder_attr_bool(b, "use_nesterov", o->use_nesterov);
  return rill_op_builder_finish(b);
}

static const rill__opt_rule momentum_rule = {.name = "Momentum", .create_slots = momentum_slots,
                                             .prepare = momentum_prepare, .apply_dense = momentum_apply};

rill_optimizer *rill_momentum_optimizer(rill_graph *g, rill_output learning_rate, double momentum,
                                        bool use_nesterov) {
  rill_optimizer *o = rill__optimizer_new(g, &momentum_rule, learning_rate);
  if (o) {
    o->hyper[0] = momentum;
    o->use_nesterov = use_nesterov;
  }
  return o;
}
