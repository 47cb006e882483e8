/* Python-level losses and helpers built from primitive ops, named as TF's Python names them:
 * sigmoid_cross_entropy_with_logits, losses.mean_squared_error, contrib's l1/l2/l1_l2
 * regularizers, nn.dropout and legacy_seq2seq.sequence_loss_by_example. */
#include <stdlib.h>
#include "ops/nn_ops.h"
#include "ops/random_ops.h"

/* The current name scope as an exact op name ("a/b/" names the op "a/b"), for the op that
 * gives a Python function's scope its value. Caller frees. */
static char *scope_name(rill_graph *g) { return rill__strdup(rill_name_scope(g)); }

/* TF's `scalar - t` with a Python number: the constant is "<op>/x" under the op's scope. */
static rill_output scalar_sub(rill_graph *g, double v, rill_output t) {
  rill_name_scope_push(g, "sub");
  char *scope = scope_name(g);
  rill_output c = rill_scalar_of(g, rill_output_dtype(t), v, "x");
  rill_output out = rill_sub(g, c, t, scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

/* `scalar / t` likewise ("truediv/x"). */
static rill_output scalar_div(rill_graph *g, double v, rill_output t) {
  rill_name_scope_push(g, "truediv");
  char *scope = scope_name(g);
  rill_output c = rill_scalar_of(g, rill_output_dtype(t), v, "x");
  rill_output out = rill_div(g, c, t, scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

/* `t + scalar` ("add/y"). */
static rill_output add_scalar(rill_graph *g, rill_output t, double v) {
  rill_name_scope_push(g, "add");
  char *scope = scope_name(g);
  rill_output c = rill_scalar_of(g, rill_output_dtype(t), v, "y");
  rill_output out = rill_add(g, t, c, scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

static bool same_shape_or_fail(rill_graph *g, rill_output a, rill_output b, const char *fmt) {
  rill_shape sa = rill_output_shape(a), sb = rill_output_shape(b);
  if (rill__nn_compatible(sa, sb)) return true;
  char x[128], y[128];
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT, fmt, rill_shape_str(sa, x, sizeof x), rill_shape_str(sb, y, sizeof y));
  return false;
}

rill_output rill_sigmoid_cross_entropy_with_logits(rill_graph *g, rill_output labels, rill_output logits,
                                                    const char *name) {
  if (!rill__check_input(g, labels, "sigmoid_cross_entropy_with_logits") ||
      !rill__check_input(g, logits, "sigmoid_cross_entropy_with_logits") ||
      !same_shape_or_fail(g, logits, labels, "logits and labels must have the same shape (%s vs %s)"))
    return RILL_NO_OUTPUT;
  rill_name_scope_push(g, name ? name : "logistic_loss");
  char *scope = scope_name(g);
  /* max(x, 0) - x * z + log(1 + exp(-|x|)), with the branches as selects like TF */
  rill_output zeros = rill_zeros_like(g, logits, NULL);
  rill_output cond = rill_greater_equal(g, logits, zeros, NULL);
  rill_output relu_logits = rill_where(g, cond, logits, zeros, NULL);
  rill_output neg_abs_logits = rill_where(g, cond, rill_neg(g, logits, NULL), logits, NULL);
  rill_output linear = rill_sub(g, relu_logits, rill_mul(g, logits, labels, "mul"), "sub");
  rill_output out = rill_add(g, linear, rill_log1p(g, rill_exp(g, neg_abs_logits, NULL), NULL), scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

rill_output rill_mean_squared_error(rill_graph *g, rill_output labels, rill_output predictions, const char *name) {
  if (!rill__check_input(g, labels, "mean_squared_error") || !rill__check_input(g, predictions, "mean_squared_error") ||
      !same_shape_or_fail(g, predictions, labels, "Shapes %s and %s are incompatible"))
    return RILL_NO_OUTPUT;
  rill_name_scope_push(g, name ? name : "mean_squared_error");
  /* TF 1.x's losses work in float32 (math_ops.to_float) whatever the inputs */
  if (rill_output_dtype(predictions) != RILL_FLOAT) predictions = rill_cast(g, predictions, RILL_FLOAT, "ToFloat");
  if (rill_output_dtype(labels) != RILL_FLOAT) labels = rill_cast(g, labels, RILL_FLOAT, "ToFloat");
  rill_output losses = rill_squared_difference(g, predictions, labels, NULL);
  /* TF's weighted-loss machinery with weight 1 reduces to the mean; the result keeps its name */
  rill_output loss = rill_reduce_mean(g, losses, NULL, 0, false, "value");
  rill_name_scope_pop(g);
  if (loss.op) rill_add_to_collection(g, RILL_LOSSES, loss);
  return loss;
}

/* ---- regularizers (tf.contrib.layers) ---- */

static bool check_scale(rill_graph *g, double scale) {
  if (scale >= 0) return true;
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Setting a scale less than 0 on a regularizer: %g", scale);
  return false;
}

typedef enum { REG_L1, REG_L2 } reg_kind;

static rill_output regularizer(rill_graph *g, reg_kind kind, double scale, rill_output w, const char *scope_arg) {
  rill_name_scope_push(g, scope_arg ? scope_arg : kind == REG_L1 ? "l1_regularizer" : "l2_regularizer");
  char *scope = scope_name(g);
  rill_output my_scale = rill_scalar_of(g, rill_output_dtype(w), scale, "scale");
  rill_output r = kind == REG_L1 ? rill_reduce_sum(g, rill_abs(g, w, NULL), NULL, 0, false, NULL)
                                 : rill_l2_loss(g, w, NULL);
  rill_output out = rill_mul(g, my_scale, r, scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

rill_output rill_l1_regularizer(rill_graph *g, double scale, rill_output w, const char *name) {
  if (!rill__check_input(g, w, "l1_regularizer") || !check_scale(g, scale) || scale == 0) return RILL_NO_OUTPUT;
  return regularizer(g, REG_L1, scale, w, name);
}

rill_output rill_l2_regularizer(rill_graph *g, double scale, rill_output w, const char *name) {
  if (!rill__check_input(g, w, "l2_regularizer") || !check_scale(g, scale) || scale == 0) return RILL_NO_OUTPUT;
  return regularizer(g, REG_L2, scale, w, name);
}

rill_output rill_l1_l2_regularizer(rill_graph *g, double scale_l1, double scale_l2, rill_output w, const char *name) {
  if (!rill__check_input(g, w, "l1_l2_regularizer") || !check_scale(g, scale_l1) || !check_scale(g, scale_l2))
    return RILL_NO_OUTPUT;
  const char *scope_arg = name ? name : "l1_l2_regularizer";
  /* contrib returns the single regularizer under the combined scope when a scale is 0 */
  if (scale_l1 == 0) return scale_l2 == 0 ? RILL_NO_OUTPUT : regularizer(g, REG_L2, scale_l2, w, scope_arg);
  if (scale_l2 == 0) return regularizer(g, REG_L1, scale_l1, w, scope_arg);
  rill_name_scope_push(g, scope_arg);
  char *scope = scope_name(g);
  rill_output parts[2] = {regularizer(g, REG_L1, scale_l1, w, NULL), regularizer(g, REG_L2, scale_l2, w, NULL)};
  rill_output out = rill_add_n(g, parts, 2, scope);
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

/* ---- dropout ---- */

rill_output rill_dropout(rill_graph *g, rill_output x, rill_output keep_prob, int64_t seed, const char *name) {
  if (!rill__check_input(g, x, "dropout") || !rill__check_input(g, keep_prob, "dropout")) return RILL_NO_OUTPUT;
  rill_dtype dt = rill_output_dtype(x);
  if (!rill_dtype_is_float(dt)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "x has to be a floating point tensor since it's going to be scaled. Got a %s tensor instead.",
                         rill_dtype_name(dt));
    return RILL_NO_OUTPUT;
  }
  if (rill_output_dtype(keep_prob) != dt) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "dropout: keep_prob must be %s like x but is %s", rill_dtype_name(dt),
                         rill_dtype_name(rill_output_dtype(keep_prob)));
    return RILL_NO_OUTPUT;
  }
  rill_shape ks = rill_output_shape(keep_prob);
  if (ks.rank > 0) {
    char s[128];
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Shapes %s and () are incompatible", rill_shape_str(ks, s, sizeof s));
    return RILL_NO_OUTPUT;
  }
  /* TF 1.15's tf.nn.dropout: rate = 1 - keep_prob outside the scope, then dropout_v2 */
  rill_output rate = scalar_sub(g, 1.0, keep_prob);
  rill_name_scope_push(g, name ? name : "dropout");
  rill_output noise_shape = rill_shape_of(g, x, RILL_INT32, NULL);
  rill_output random = rill__random_uniform_shaped(g, noise_shape, 0, 1, dt, seed, NULL);
  rill_output scale = scalar_div(g, 1.0, scalar_sub(g, 1.0, rate));
  rill_output keep_mask = rill_greater_equal(g, random, rate, NULL);
  rill_output scaled = rill_mul(g, x, scale, "mul");
  rill_output out = rill_mul(g, scaled, rill_cast(g, keep_mask, dt, NULL), "mul");
  rill_name_scope_pop(g);
  return out;
}

/* ---- sequence loss ---- */

rill_output rill_sequence_loss_by_example(rill_graph *g, const rill_output *logits, const rill_output *targets,
                                          const rill_output *weights, int n, bool average_across_timesteps,
                                          const char *name) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  if (n < 1 || !logits || !targets || !weights) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "sequence_loss_by_example needs n >= 1 logits, targets and weights");
    return RILL_NO_OUTPUT;
  }
  rill_output *perps = calloc((size_t)n, sizeof *perps);
  if (!perps) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "sequence_loss_by_example");
  const int64_t flat = -1;
  for (int i = 0; i < n; i++) {
    rill_output target = rill_reshape(g, targets[i], &flat, 1, NULL);
    rill_output crossent = rill_sparse_softmax_cross_entropy_with_logits(g, target, logits[i], NULL);
    perps[i] = rill_mul(g, crossent, weights[i], "mul");
  }
  rill_output log_perps = n == 1 ? perps[0] : rill_add_n(g, perps, n, NULL);
  if (average_across_timesteps) {
    rill_output total = n == 1 ? weights[0] : rill_add_n(g, weights, n, NULL);
    total = add_scalar(g, total, 1e-12); /* avoids 0/0 for all-zero weights */
    log_perps = rill_div(g, log_perps, total, "truediv");
  }
  rill_name_scope_pop(g);
  free(perps);
  return log_perps;
}
