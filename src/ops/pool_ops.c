/* The pooling and normalization op family: registration and the helpers its files share.
 * Pooling is in pool_window.c, LRN in pool_lrn.c, batch norm in pool_batch_norm.c and
 * pool_bn_layer.c, top-k in pool_topk.c. */
#include <stdlib.h>
#include <string.h>
#include "ops/pool_internal.h"

bool rill__pool_check_type(rill_op *op, rill_dtype t, unsigned allowed, const char *attr, const char *list) {
  if ((unsigned)t < 32 && (allowed & RILL__DT_BIT(t))) return true;
  return rill_op_shape_error(op, "Value for attr '%s' of %s is not in the list of allowed values: %s", attr,
                             rill_dtype_name(t), list);
}

bool rill__pool_is_nchw(const rill_op *op) {
  const char *f = rill_op_attr_string(op, "data_format");
  return f && !strcmp(f, "NCHW");
}

bool rill__pool_check_format(rill_op *op) {
  const char *f = rill_op_attr_string(op, "data_format");
  if (!f || !strcmp(f, "NHWC") || !strcmp(f, "NCHW")) return true;
  return rill_op_shape_error(
      op, "Value for attr 'data_format' of \"%s\" is not in the list of allowed values: \"NHWC\", \"NCHW\"", f);
}

bool rill__pool_check_rank(rill_op *op, int i, int rank) {
  rill_shape s = rill_op_input_shape(op, i);
  if (s.rank < 0 || s.rank == rank) return true;
  return rill_op_shape_error(op, "Shape must be rank %d but is rank %d", rank, s.rank);
}

char *rill__pool_scope(rill_graph *g, const char *name, const char *dflt) {
  rill_name_scope_push(g, name ? name : dflt);
  return rill__strdup(rill_name_scope(g));
}

void rill_register_pool_ops(void) {
  rill__register_pool_window_ops();
  rill__register_pool_lrn_ops();
  rill__register_pool_batch_norm_ops();
  rill__register_pool_topk_ops();
}
