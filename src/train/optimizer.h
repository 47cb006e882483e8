/* The optimizer base (TF's tf.compat.v1.train.Optimizer) shared by the per-rule files.
 *
 * A rule supplies TF's hooks: _create_slots (run with control dependencies cleared, like TF's
 * init_scope), _prepare (hyperparameter tensors, inside the optimizer's name scope),
 * _apply_dense (one update op per variable, inside "update_<var>") and optionally _finish
 * (the final grouping; Adam updates its beta powers there). */
#ifndef RILL_TRAIN_OPTIMIZER_H
#define RILL_TRAIN_OPTIMIZER_H

#include "core/internal.h"

typedef struct rill__opt_rule {
  const char *name; /* TF's class name: the default op name and the slot-variable suffix */
  void (*create_slots)(rill_optimizer *o, rill_variable *const *vars, int n);
  void (*prepare)(rill_optimizer *o);
  rill_op *(*apply_dense)(rill_optimizer *o, rill_output grad, rill_variable *var);
  /* NULL: tf.group(updates, name) */
  rill_op *(*finish)(rill_optimizer *o, rill_op *const *updates, int n, const char *name);
} rill__opt_rule;

typedef struct rill__opt_slot {
  rill_variable *var;
  const char *name; /* TF's slot name: "momentum", "m", "rms", ... (static string) */
  rill_variable *slot;
} rill__opt_slot;

struct rill_optimizer {
  rill_graph *g;
  const rill__opt_rule *rule;
  rill_output lr;          /* the learning-rate tensor given by the caller */
  double hyper[4];         /* the rule's numbers (momentum, decay, beta1, ...) */
  bool use_nesterov, centered;
  rill_output t[4];        /* hyperparameter tensors made by prepare() */
  rill_variable *nonslot[2]; /* variables not tied to one variable (Adam's beta powers) */
  rill__opt_slot *slots;
  int n_slots, cap_slots;
};

/* A new optimizer owned by g; NULL after recording an error (bad learning rate). */
rill_optimizer *rill__optimizer_new(rill_graph *g, const rill__opt_rule *rule, rill_output learning_rate);

/* TF's _zeros_slot / _get_or_make_slot_with_initializer: the slot variable "<var>/<OptName>"
 * (made unique like TF's slot_creator), not trainable, on var's device, initialised by init.
 * An existing slot of that name for var is returned as is. */
rill_variable *rill__opt_make_slot(rill_optimizer *o, rill_variable *var, rill_initializer init, const char *slot_name);

/* A float32 scalar constant named `name` in the current scope (TF's convert_to_tensor of a
 * Python float hyperparameter). */
rill_output rill__opt_scalar(rill_optimizer *o, double v, const char *name);

/* TF's math_ops.cast(t, dtype): t itself when it already has that dtype. */
rill_output rill__opt_cast(rill_graph *g, rill_output t, rill_dtype dtype);

/* Starts an Apply* op on var's reference with inputs[0..n) after it, and attrs T and
 * use_locking=false; the caller adds its own attrs and finishes it. */
rill_op_builder *rill__opt_apply_builder(rill_graph *g, const char *type, rill_variable *var,
                                         const rill_output *inputs, int n);

#endif
