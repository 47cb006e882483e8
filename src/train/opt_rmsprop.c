/* tf.train.RMSPropOptimizer (ApplyRMSProp / ApplyCenteredRMSProp):
 *   ms += (grad^2 - ms) * (1 - decay)
 *   mg += (grad - mg) * (1 - decay)                               (centered)
 *   mom = mom * momentum + lr * grad / sqrt(ms [- mg^2] + epsilon)
 *   var -= mom
 * Slots, in TF's creation order: "rms" (ones, "w/RMSProp"), "mg" when centered (zeros,
 * "w/RMSProp_1"), "momentum" (zeros, the next suffix). */
#include "train/optimizer.h"

static void rmsprop_slots(rill_optimizer *o, rill_variable *const *vars, int n) {
  for (int i = 0; i < n; i++) {
    rill__opt_make_slot(o, vars[i], rill_ones_initializer(), "rms");
    if (o->centered) rill__opt_make_slot(o, vars[i], rill_zeros_initializer(), "mg");
    rill__opt_make_slot(o, vars[i], rill_zeros_initializer(), "momentum");
  }
}

static void rmsprop_prepare(rill_optimizer *o) {
  o->t[0] = rill__opt_scalar(o, o->hyper[0], "decay");
  o->t[1] = rill__opt_scalar(o, o->hyper[1], "momentum");
  o->t[2] = rill__opt_scalar(o, o->hyper[2], "epsilon");
}

static rill_op *rmsprop_apply(rill_optimizer *o, rill_output grad, rill_variable *var) {
  rill_graph *g = o->g;
  rill_dtype dt = rill_variable_dtype(var);
  rill_output hyper[4] = {rill__opt_cast(g, o->lr, dt), rill__opt_cast(g, o->t[0], dt),
                          rill__opt_cast(g, o->t[1], dt), rill__opt_cast(g, o->t[2], dt)};
  rill_output ms = rill_variable_ref(rill_optimizer_get_slot(o, var, "rms"));
  rill_output mom = rill_variable_ref(rill_optimizer_get_slot(o, var, "momentum"));
  if (o->centered) {
    rill_output mg = rill_variable_ref(rill_optimizer_get_slot(o, var, "mg"));
    rill_output in[8] = {mg, ms, mom, hyper[0], hyper[1], hyper[2], hyper[3], grad};
    return rill_op_builder_finish(rill__opt_apply_builder(g, "ApplyCenteredRMSProp", var, in, 8));
  }
  rill_output in[7] = {ms, mom, hyper[0], hyper[1], hyper[2], hyper[3], grad};
  return rill_op_builder_finish(rill__opt_apply_builder(g, "ApplyRMSProp", var, in, 7));
}

static const rill__opt_rule rmsprop_rule = {.name = "RMSProp", .create_slots = rmsprop_slots,
                                            .prepare = rmsprop_prepare, .apply_dense = rmsprop_apply};

rill_optimizer *rill_rmsprop_optimizer(rill_graph *g, rill_output learning_rate, double decay, double momentum,
                                       double epsilon, bool centered) {
  rill_optimizer *o = rill__optimizer_new(g, &rmsprop_rule, learning_rate);
  if (o) {
    o->hyper[0] = decay;
    o->hyper[1] = momentum;
    o->hyper[2] = epsilon;
    o->centered = centered;
  }
  return o;
}
