/* tf.train.get_global_step / get_or_create_global_step. */
#include "core/internal.h"

/* TF's assert_global_step: an integer scalar. */
static rill_variable *checked(rill_graph *g, rill_variable *v) {
  char buf[64];
  if (!rill_dtype_is_integer(rill_variable_dtype(v))) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Existing \"global_step\" must be an integer variable. Found %s",
                         rill_dtype_name(rill_variable_dtype(v)));
    return NULL;
  }
  if (rill_variable_shape(v).rank != 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Existing \"global_step\" is not a scalar: %s",
                         rill_shape_str(rill_variable_shape(v), buf, sizeof buf));
    return NULL;
  }
  return v;
}

rill_variable *rill_get_global_step(rill_graph *g) {
  if (!g || rill__graph_failed(g)) return NULL;
  int n = rill_collection_size(g, RILL_GLOBAL_STEP);
  if (n > 1) return NULL; /* TF logs "Multiple tensors in global_step collection." */
  rill_variable *v = NULL;
  if (n == 1) {
    v = rill_collection_variable(g, RILL_GLOBAL_STEP, 0);
  } else {
    /* like TF, a variable named "global_step" counts without being in the collection */
    rill_op *op = rill_graph_op_by_name(g, "global_step");
    v = op ? rill_graph_variable_for_op(g, op) : NULL;
  }
  return v ? checked(g, v) : NULL;
}

rill_variable *rill_get_or_create_global_step(rill_graph *g) {
  if (!g || rill__graph_failed(g)) return NULL;
  rill_variable *v = rill_get_global_step(g);
  if (v || rill__graph_failed(g)) return v;
  rill_name_scope_push(g, "");
  v = rill_get_variable(g, RILL_GLOBAL_STEP, RILL_INT64, rill_shape_scalar(), rill_zeros_initializer(),
                        RILL_VAR_NOT_TRAINABLE);
  rill_name_scope_pop(g);
  if (v) rill_add_variable_to_collection(g, RILL_GLOBAL_STEP, v);
  return v;
}
