/* tf.layers.batch_normalization: variables under a variable scope, the fused op for rank-4
 * float32 inputs (moments and batch_normalization otherwise), and the moving-average updates
 * ("AssignMovingAvg") in the UPDATE_OPS collection, as TF 1.x's layer builds them in graph mode.
 *
 * A run-time training flag is a Select between the training and inference results (TF builds
 * a cond); in inference runs the updates then subtract exactly zero. */
#include <stdio.h>
#include <stdlib.h>
#include "ops/pool_internal.h"

typedef enum { BN_INFER, BN_TRAIN, BN_DYNAMIC } bn_mode;

/* TF's _assign_moving_average: variable -= (variable - value) * decay under "AssignMovingAvg",
 * decay being 1 - momentum (a tensor) or the constant "decay" (momentum_t absent). The update
 * goes to UPDATE_OPS. */
static void moving_average_update(rill_graph *g, rill_variable *v, rill_output value, rill_output momentum_t,
                                  double momentum) {
  char *scope = rill__pool_scope(g, "AssignMovingAvg", NULL);
  rill_output decay;
  if (momentum_t.op) {
    char *sub = rill__pool_scope(g, "sub", NULL);
    rill_output one = rill_scalar_of(g, rill_variable_dtype(v), 1.0, "x");
    decay = sub ? rill_sub(g, one, momentum_t, sub) : RILL_NO_OUTPUT;
    rill_name_scope_pop(g);
    free(sub);
  } else {
    decay = rill_scalar_of(g, rill_variable_dtype(v), 1.0 - momentum, "decay");
  }
  rill_output delta = rill_mul(g, rill_sub(g, rill_variable_value(v), value, "sub"), decay, "mul");
  rill_name_scope_pop(g);
  rill_output upd = scope ? rill_assign_sub(g, v, delta, scope) : RILL_NO_OUTPUT;
  free(scope);
  if (upd.op) rill_add_to_collection(g, RILL_UPDATE_OPS, upd);
}

/* The layer's variable-scope name: `name`, or the first free "batch_normalization[_k]" in the
 * current variable scope (TF's default_name uniquification). Caller frees. */
static char *layer_name(rill_graph *g, const char *name) {
  if (name) return rill__strdup(name);
  const char *prefix = rill_variable_scope_name(g);
  for (int k = 0;; k++) {
    char base[64], *full;
    if (k)
      snprintf(base, sizeof base, "batch_normalization_%d", k);
    else
      snprintf(base, sizeof base, "batch_normalization");
    full = rill__strfmt("%s%s%s/gamma", prefix, *prefix ? "/" : "", base);
    if (!full) return NULL;
    bool used = rill_graph_op_by_name(g, full) != NULL;
    free(full);
    if (!used) return rill__strdup(base);
  }
}

static rill_output select_on(rill_graph *g, rill_output training, rill_output a, rill_output b) {
  return rill_where(g, training, a, b, NULL);
}

static rill_output bn_layer(rill_graph *g, rill_output x, rill_output training, bn_mode mode, double momentum,
                            double epsilon, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "batch_normalization") ||
      (mode == BN_DYNAMIC && !rill__check_input(g, training, "batch_normalization")))
    return RILL_NO_OUTPUT;
  rill_shape xs = rill_output_shape(x);
  rill_dtype dt = rill_output_dtype(x);
  char sb[128];
  if (xs.rank < 1 || xs.dims[xs.rank - 1] < 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "Input has undefined `axis` dimension. Received input with shape %s. Axis value: [%d]",
                         rill_shape_str(xs, sb, sizeof sb), xs.rank - 1);
    return RILL_NO_OUTPUT;
  }
  if (dt != RILL_FLOAT && dt != RILL_DOUBLE) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "batch_normalization of %s is not supported", rill_dtype_name(dt));
    return RILL_NO_OUTPUT;
  }
  if (mode == BN_DYNAMIC && rill_output_dtype(training) != RILL_BOOL) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "batch_normalization: training must be a bool tensor, not %s",
                         rill_dtype_name(rill_output_dtype(training)));
    return RILL_NO_OUTPUT;
  }
  char *lname = layer_name(g, name);
  if (!lname) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return RILL_NO_OUTPUT;
  }
  rill_variable_scope_push(g, lname, RILL_REUSE_INHERIT);
  free(lname);
  rill_shape ps = RILL_SHAPE(xs.dims[xs.rank - 1]);
  rill_variable *gamma = rill_get_variable(g, "gamma", dt, ps, rill_ones_initializer(), 0);
  rill_variable *beta = rill_get_variable(g, "beta", dt, ps, rill_zeros_initializer(), 0);
  rill_variable *mm = rill_get_variable(g, "moving_mean", dt, ps, rill_zeros_initializer(), RILL_VAR_NOT_TRAINABLE);
  rill_variable *mv = rill_get_variable(g, "moving_variance", dt, ps, rill_ones_initializer(), RILL_VAR_NOT_TRAINABLE);
  rill_output out = RILL_NO_OUTPUT;
  if (!gamma || !beta || !mm || !mv) goto done;
  rill_output g_v = rill_variable_value(gamma), b_v = rill_variable_value(beta);
  rill_output mm_v = rill_variable_value(mm), mv_v = rill_variable_value(mv);
  rill_output mean = RILL_NO_OUTPUT, var = RILL_NO_OUTPUT, momentum_t = RILL_NO_OUTPUT;
  if (xs.rank == 4 && dt == RILL_FLOAT) {
    rill_output bm, bv;
    rill_output y_train = RILL_NO_OUTPUT, y_infer = RILL_NO_OUTPUT;
    if (mode != BN_INFER)
      y_train = rill_fused_batch_norm(g, x, g_v, b_v, mm_v, mv_v, epsilon, 1.0, "NHWC", true, &bm, &bv, NULL);
    if (mode != BN_TRAIN)
      y_infer = rill_fused_batch_norm(g, x, g_v, b_v, mm_v, mv_v, epsilon, 1.0, "NHWC", false, NULL, NULL, NULL);
    if (mode == BN_INFER) {
      out = y_infer;
      goto done;
    }
    if (mode == BN_TRAIN) {
      out = y_train, mean = bm, var = bv;
    } else {
      out = select_on(g, training, y_train, y_infer);
      mean = select_on(g, training, bm, mm_v);
      var = select_on(g, training, bv, mv_v);
    }
    /* the fused path hands momentum to the updates as a tensor (1.0 when not training) */
    rill_output m = rill_scalar_of(g, dt, momentum, NULL);
    momentum_t = mode == BN_TRAIN ? m : select_on(g, training, m, rill_scalar_of(g, dt, 1.0, NULL));
  } else {
    int axes[RILL_MAX_RANK];
    for (int i = 0; i < xs.rank - 1; i++) axes[i] = i;
    if (mode == BN_INFER) {
      mean = mm_v, var = mv_v;
    } else {
      rill_output bvar, bmean = rill_moments(g, x, axes, xs.rank - 1, false, &bvar, NULL);
      mean = mode == BN_TRAIN ? bmean : select_on(g, training, bmean, mm_v);
      var = mode == BN_TRAIN ? bvar : select_on(g, training, bvar, mv_v);
    }
    out = rill_batch_normalization(g, x, mean, var, b_v, g_v, epsilon, NULL);
    if (mode == BN_INFER) goto done;
  }
  moving_average_update(g, mm, mean, momentum_t, momentum);
  moving_average_update(g, mv, var, momentum_t, momentum);
done:
  rill_variable_scope_pop(g);
  return rill__graph_failed(g) ? RILL_NO_OUTPUT : out;
}

rill_output rill_batch_norm_layer(rill_graph *g, rill_output x, rill_output training, double momentum, double epsilon,
                                  const char *name) {
  return bn_layer(g, x, training, BN_DYNAMIC, momentum, epsilon, name);
}

rill_output rill_batch_norm_layer_fixed(rill_graph *g, rill_output x, bool training, double momentum, double epsilon,
                                        const char *name) {
  return bn_layer(g, x, RILL_NO_OUTPUT, training ? BN_TRAIN : BN_INFER, momentum, epsilon, name);
}
