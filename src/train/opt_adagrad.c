/* tf.train.AdagradOptimizer (ApplyAdagrad):
 *   accum += grad^2;  var -= lr * grad / sqrt(accum)
 * Slot "accumulator" ("w/Adagrad"), initialised to initial_accumulator_value. */
#include "train/optimizer.h"

static void adagrad_slots(rill_optimizer *o, rill_variable *const *vars, int n) {
  for (int i = 0; i < n; i++)
    rill__opt_make_slot(o, vars[i], rill_constant_initializer(o->hyper[0]), "accumulator");
}

static rill_op *adagrad_apply(rill_optimizer *o, rill_output grad, rill_variable *var) {
  rill_variable *acc = rill_optimizer_get_slot(o, var, "accumulator");
  rill_output in[3] = {rill_variable_ref(acc), rill__opt_cast(o->g, o->lr, rill_variable_dtype(var)), grad};
  rill_op_builder *b = rill__opt_apply_builder(o->g, "ApplyAdagrad", var, in, 3);
  rill_op_builder_attr_bool(b, "update_slots", true);
  return rill_op_builder_finish(b);
}

static const rill__opt_rule adagrad_rule = {.name = "Adagrad", .create_slots = adagrad_slots,
                                            .apply_dense = adagrad_apply};

rill_optimizer *rill_adagrad_optimizer(rill_graph *g, rill_output learning_rate, double initial_accumulator_value) {
  if (!(initial_accumulator_value > 0)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "initial_accumulator_value must be positive: %g",
                         initial_accumulator_value);
    return NULL;
  }
  rill_optimizer *o = rill__optimizer_new(g, &adagrad_rule, learning_rate);
  if (o) o->hyper[0] = initial_accumulator_value;
  return o;
}
