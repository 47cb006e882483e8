/* tf.clip_by_value, tf.clip_by_norm and tf.clip_by_global_norm: compositions of other ops,
 * built in the order and under the names TF 1.x's clip_ops.py gives them. */
#include <stdlib.h>
#include "ops/math_internal.h"

typedef rill_output (*binary_fn)(rill_graph *g, rill_output x, rill_output y, const char *name);

/* t op v (v op t when const_first) with the scalar v of t's dtype made inside the op's scope,
 * as Python's conversion of a number operand names it ("Minimum/y", "mul/x"). */
static rill_output with_const(rill_graph *g, binary_fn fn, const char *dflt, const char *name, rill_output t, double v,
                              bool const_first) {
  char *scope = rill__op_scope(g, name, dflt);
  rill_output c = rill_scalar_of(g, rill_output_dtype(t), v, const_first ? "x" : "y");
  rill_name_scope_pop(g);
  rill_output o = const_first ? fn(g, c, t, scope) : fn(g, t, c, scope);
  free(scope);
  return o;
}

rill_output rill_clip_by_value(rill_graph *g, rill_output t, double lo, double hi, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, t, "clip_by_value")) return RILL_NO_OUTPUT;
  char *scope = rill__op_scope(g, name, "clip_by_value");
  rill_output t_min = with_const(g, rill_minimum, "Minimum", NULL, t, hi, false);
  rill_output lo_c = rill_scalar_of(g, rill_output_dtype(t), lo, "y");
  rill_name_scope_pop(g);
  rill_output o = rill_maximum(g, t_min, lo_c, scope);
  free(scope);
  return o;
}

/* t * clip_norm / max(l2norm(t), clip_norm), with TF's two-tap where() so that an all-zero t
 * gets no NaN gradient. */
rill_output rill_clip_by_norm(rill_graph *g, rill_output t, double clip_norm, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, t, "clip_by_norm")) return RILL_NO_OUTPUT;
  char *scope = rill__op_scope(g, name, "clip_by_norm");
  rill_output l2sum = rill_reduce_sum(g, rill_mul(g, t, t, NULL), NULL, 0, true, NULL);
  rill_output pred = with_const(g, rill_greater, "Greater", NULL, l2sum, 0, false);
  rill_output l2sum_safe = rill_where(g, pred, l2sum, rill_ones_like(g, l2sum, NULL), NULL);
  rill_output l2norm = rill_where(g, pred, rill_sqrt(g, l2sum_safe, NULL), l2sum, NULL);
  rill_output inter = with_const(g, rill_mul, "mul", NULL, t, clip_norm, false);
  rill_output denom = with_const(g, rill_maximum, "Maximum", NULL, l2norm, clip_norm, false);
  rill_output q = rill_div(g, inter, denom, NULL);
  rill_name_scope_pop(g);
  rill_output o = rill_identity(g, q, scope);
  free(scope);
  return o;
}

/* TF's global_norm: sqrt(2 * sum(l2_loss(t) for t)). */
static rill_output global_norm(rill_graph *g, const rill_output *ts, int n, const char *name) {
  char *scope = rill__op_scope(g, name, "global_norm");
  rill_output *half = malloc((size_t)(n > 0 ? n : 1) * sizeof *half);
  rill_output norm = RILL_NO_OUTPUT;
  if (!half) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  } else {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (ts[i].op) half[m++] = rill_l2_loss(g, ts[i], NULL);
    rill_output sum = rill_reduce_sum(g, rill_stack(g, half, m, 0, NULL), NULL, 0, false, NULL);
    rill_output two = rill_scalar_of(g, rill_output_dtype(sum), 2, "Const");
    norm = rill_sqrt(g, rill_mul(g, sum, two, NULL), "global_norm");
  }
  free(half);
  rill_name_scope_pop(g);
  free(scope);
  return norm;
}

rill_output rill_clip_by_global_norm(rill_graph *g, const rill_output *ts, int n, double clip_norm, rill_output *out,
                                     const char *name) {
  for (int i = 0; i < n; i++) out[i] = RILL_NO_OUTPUT;
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  int present = 0;
  for (int i = 0; i < n; i++)
    if (ts[i].op) {
      if (!rill__check_input(g, ts[i], "clip_by_global_norm")) return RILL_NO_OUTPUT;
      present++;
    }
  if (!present) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "clip_by_global_norm: t_list has no tensors");
    return RILL_NO_OUTPUT;
  }
  rill_output use_norm = global_norm(g, ts, n, name);
  char *scope = rill__op_scope(g, name, "clip_by_global_norm");
  rill_dtype t = rill_output_dtype(use_norm);
  rill_output inv_norm = with_const(g, rill_div, "truediv", NULL, use_norm, 1.0, true);
  rill_output one = rill_scalar_of(g, t, 1.0, "Const");
  rill_output inv_clip = with_const(g, rill_div, "truediv", NULL, one, clip_norm, false);
  rill_output scale_finite = with_const(g, rill_mul, "mul", NULL, rill_minimum(g, inv_norm, inv_clip, NULL), clip_norm,
                                        true);
  /* + (norm - norm): NaN for an infinite or NaN norm, so everything clips to NaN like TF */
  rill_output scale = rill_add(g, scale_finite, rill_sub(g, use_norm, use_norm, NULL), NULL);
  for (int i = 0; i < n; i++) {
    if (!ts[i].op) continue;
    char *id = rill__strfmt("%s_%d", scope ? scope : "clip_by_global_norm/", i);
    rill_output v = rill_mul(g, ts[i], scale, NULL);
    out[i] = rill_identity(g, v, id);
    free(id);
  }
  rill_name_scope_pop(g);
  free(scope);
  if (rill__graph_failed(g)) {
    for (int i = 0; i < n; i++) out[i] = RILL_NO_OUTPUT;
    return RILL_NO_OUTPUT;
  }
  return use_norm;
}
