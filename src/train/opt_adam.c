/* tf.train.AdamOptimizer (ApplyAdam):
 *   alpha = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
 *   m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2)
 *   var -= m * alpha / (sqrt(v) + epsilon)
 * then, after every variable's update, beta1_power *= beta1 and beta2_power *= beta2 (TF's
 * _finish). Slots "m" ("w/Adam") and "v" ("w/Adam_1"); the beta powers are the non-trainable
 * variables "beta1_power" and "beta2_power", one pair per optimizer. */
#include <stdlib.h>
#include <string.h>
#include "train/optimizer.h"

/* tf.Variable(value, name=name, trainable=False) with TF's "<name>/initial_value" constant. */
static rill_variable *beta_power(rill_graph *g, const char *name, double value) {
  char *unique = rill__unique_name(g, name, false);
  char *scope = unique ? rill__strfmt("%s/", unique) : NULL;
  free(unique);
  if (!scope) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  rill_name_scope_push(g, scope);
  rill_output init = rill_scalar_float(g, (float)value, "initial_value");
  rill_name_scope_pop(g);
  free(scope);
  return rill_variable_new(g, init, name, RILL_VAR_NOT_TRAINABLE);
}

static void adam_slots(rill_optimizer *o, rill_variable *const *vars, int n) {
  rill_graph *g = o->g;
  if (!o->nonslot[0]) {
    /* colocated with the variable whose name sorts first, as TF does */
    rill_variable *first = vars[0];
    for (int i = 1; i < n; i++)
      if (strcmp(rill_variable_name(vars[i]), rill_variable_name(first)) < 0) first = vars[i];
    rill_device_push(g, rill_op_device(rill_variable_op(first)));
    o->nonslot[0] = beta_power(g, "beta1_power", o->hyper[0]);
    o->nonslot[1] = beta_power(g, "beta2_power", o->hyper[1]);
    rill_device_pop(g);
  }
  for (int i = 0; i < n; i++) {
    rill__opt_make_slot(o, vars[i], rill_zeros_initializer(), "m");
    rill__opt_make_slot(o, vars[i], rill_zeros_initializer(), "v");
  }
}

static void adam_prepare(rill_optimizer *o) {
  o->t[0] = rill__opt_scalar(o, o->hyper[0], "beta1");
  o->t[1] = rill__opt_scalar(o, o->hyper[1], "beta2");
  o->t[2] = rill__opt_scalar(o, o->hyper[2], "epsilon");
}

static rill_op *adam_apply(rill_optimizer *o, rill_output grad, rill_variable *var) {
  rill_graph *g = o->g;
  rill_dtype dt = rill_variable_dtype(var);
  rill_output in[9] = {rill_variable_ref(rill_optimizer_get_slot(o, var, "m")),
                       rill_variable_ref(rill_optimizer_get_slot(o, var, "v")),
                       rill__opt_cast(g, rill_variable_value(o->nonslot[0]), dt),
                       rill__opt_cast(g, rill_variable_value(o->nonslot[1]), dt),
                       rill__opt_cast(g, o->lr, dt),
                       rill__opt_cast(g, o->t[0], dt),
                       rill__opt_cast(g, o->t[1], dt),
                       rill__opt_cast(g, o->t[2], dt),
                       grad};
  rill_op_builder *b = rill__opt_apply_builder(g, "ApplyAdam", var, in, 9);
  rill_op_builder_attr_bool(b, "use_nesterov", false);
  return rill_op_builder_finish(b);
}

static rill_op *adam_finish(rill_optimizer *o, rill_op *const *updates, int n, const char *name) {
  rill_graph *g = o->g;
  rill_op **all = malloc(((size_t)n + 2) * sizeof *all);
  if (!all) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  for (int i = 0; i < n; i++) all[i] = updates[i];
  rill_control_dependencies_push(g, updates, n);
  rill_device_push(g, rill_op_device(rill_variable_op(o->nonslot[0])));
  for (int j = 0; j < 2; j++) {
    rill_output next = rill_mul(g, rill_variable_value(o->nonslot[j]), o->t[j], "mul"); /* TF's `*` */
    all[n + j] = rill_assign(g, o->nonslot[j], next, NULL).op;
  }
  rill_device_pop(g);
  rill_control_dependencies_pop(g);
  rill_op *group = rill__graph_failed(g) ? NULL : rill_group(g, all, n + 2, name);
  free(all);
  return group;
}

static const rill__opt_rule adam_rule = {.name = "Adam", .create_slots = adam_slots, .prepare = adam_prepare,
                                         .apply_dense = adam_apply, .finish = adam_finish};

rill_optimizer *rill_adam_optimizer(rill_graph *g, rill_output learning_rate, double beta1, double beta2,
                                    double epsilon) {
  rill_optimizer *o = rill__optimizer_new(g, &adam_rule, learning_rate);
  if (o) {
    o->hyper[0] = beta1;
    o->hyper[1] = beta2;
    o->hyper[2] = epsilon;
  }
  return o;
}
