/* NoOp, Identity, StopGradient: the plumbing ops. */
#include "core/internal.h"

static bool noop_infer(rill_op *op) {
  rill_op_set_outputs(op, 0, NULL, NULL);
  return true;
}

static bool identity_infer(rill_op *op) {
  if (rill_op_num_inputs(op) != 1) return rill_op_shape_error(op, "Identity takes one input");
  rill_op_set_output(op, rill_op_input_dtype(op, 0), rill_op_input_shape(op, 0));
  return true;
}

static bool identity_kernel(rill_kctx *k) {
  rill_k_set_out(k, 0, rill_tensor_ref(rill_k_in(k, 0)));
  return true;
}

static void identity_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  (void)g;
  (void)op;
  dx[0] = dy[0];
}

static const rill_op_def noop_def = {.type = "NoOp", .infer = noop_infer, .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def identity_def = {.type = "Identity", .infer = identity_infer, .kernel = identity_kernel,
                                         .grad = identity_grad};
static const rill_op_def stop_gradient_def = {.type = "StopGradient", .infer = identity_infer,
                                              .kernel = identity_kernel, .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill_register_control_ops(void) {
  rill_register_op(&noop_def);
  rill_register_op(&identity_def);
  rill_register_op(&stop_gradient_def);
}

static rill_output unary(rill_graph *g, const char *type, rill_output x, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill_identity(rill_graph *g, rill_output x, const char *name) { return unary(g, "Identity", x, name); }
rill_output rill_stop_gradient(rill_graph *g, rill_output x, const char *name) {
  return unary(g, "StopGradient", x, name);
}
