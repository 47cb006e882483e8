/* Learning-rate schedules (tf.compat.v1.train.*_decay): float32 graphs computed from the
 * global step, with TF's formulas, operation order and names ("ExponentialDecay", ...), so
 * the float32 values match TF's. */
#include <stdlib.h>
#include "core/internal.h"

/* Opens the schedule's name scope and remembers its exact name for the final op. */
static char *open_scope(rill_graph *g, const char *name, const char *dflt) {
  rill_name_scope_push(g, name ? name : dflt);
  char *s = rill__strdup(rill_name_scope(g));
  if (!s) rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  return s;
}

static rill_output close_scope(rill_graph *g, char *scope, rill_output out) {
  rill_name_scope_pop(g);
  free(scope);
  return out;
}

static bool have_step(rill_graph *g, rill_variable *global_step, const char *fn) {
  if (rill__graph_failed(g)) return false;
  if (global_step) return true;
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "global_step is required for %s.", fn);
  return false;
}

/* floor(step / decay_steps) as FloorDiv, whose float kernel is floor(a / b): the same float32
 * value as TF's RealDiv then Floor. */
static rill_output floor_ratio(rill_graph *g, rill_output step, rill_output steps) {
  return rill_floordiv(g, step, steps, NULL);
}

static rill_output f32(rill_graph *g, double v, const char *name) { return rill_scalar_float(g, (float)v, name); }

static rill_output step_f32(rill_graph *g, rill_variable *global_step) {
  return rill_cast(g, rill_variable_value(global_step), RILL_FLOAT, NULL);
}

/* TF's ExponentialDecay schedule; `rate` is the decay rate as a tensor made outside the scope
 * (natural_exp_decay's exp(-decay_rate)), or empty to use decay_rate. */
static rill_output exp_decay(rill_graph *g, double learning_rate, rill_variable *global_step, double decay_steps,
                             rill_output rate, double decay_rate, bool staircase, const char *name) {
  char *scope = open_scope(g, name, "ExponentialDecay");
  if (!scope) return close_scope(g, scope, RILL_NO_OUTPUT);
  rill_output lr = f32(g, learning_rate, "initial_learning_rate");
  if (!rill_output_ok(rate)) rate = f32(g, decay_rate, NULL);
  rill_output step = step_f32(g, global_step), steps = f32(g, decay_steps, NULL);
  rill_output p = staircase ? floor_ratio(g, step, steps) : rill_div(g, step, steps, "truediv");
  return close_scope(g, scope, rill_mul(g, lr, rill_pow(g, rate, p, NULL), scope));
}

rill_output rill_exponential_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                   double decay_steps, double decay_rate, bool staircase, const char *name) {
  if (!have_step(g, global_step, "exponential_decay")) return RILL_NO_OUTPUT;
  return exp_decay(g, learning_rate, global_step, decay_steps, RILL_NO_OUTPUT, decay_rate, staircase, name);
}

rill_output rill_natural_exp_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                   double decay_steps, double decay_rate, bool staircase, const char *name) {
  if (!have_step(g, global_step, "natural_exp_decay")) return RILL_NO_OUTPUT;
  rill_output rate = rill_exp(g, rill_neg(g, f32(g, decay_rate, NULL), NULL), NULL);
  if (!rill_output_ok(rate)) return RILL_NO_OUTPUT;
  return exp_decay(g, learning_rate, global_step, decay_steps, rate, decay_rate, staircase, name);
}

rill_output rill_inverse_time_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                    double decay_steps, double decay_rate, bool staircase, const char *name) {
  if (!have_step(g, global_step, "inverse_time_decay")) return RILL_NO_OUTPUT;
  char *scope = open_scope(g, name, "InverseTimeDecay");
  if (!scope) return close_scope(g, scope, RILL_NO_OUTPUT);
  rill_output lr = f32(g, learning_rate, "initial_learning_rate");
  rill_output rate = f32(g, decay_rate, NULL);
  rill_output step = step_f32(g, global_step), steps = f32(g, decay_steps, NULL);
  rill_output p = staircase ? floor_ratio(g, step, steps) : rill_div(g, step, steps, "truediv");
  rill_output denom = rill_add(g, f32(g, 1, NULL), rill_mul(g, rate, p, NULL), NULL);
  return close_scope(g, scope, rill_div(g, lr, denom, scope));
}

rill_output rill_polynomial_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                  double decay_steps, double end_learning_rate, double power, bool cycle,
                                  const char *name) {
  if (!have_step(g, global_step, "polynomial_decay")) return RILL_NO_OUTPUT;
  char *scope = open_scope(g, name, "PolynomialDecay");
  if (!scope) return close_scope(g, scope, RILL_NO_OUTPUT);
  rill_output lr = f32(g, learning_rate, "initial_learning_rate");
  rill_output end = f32(g, end_learning_rate, NULL), pw = f32(g, power, NULL);
  rill_output step = step_f32(g, global_step);
  rill_output steps = f32(g, decay_steps, NULL);
  if (cycle) {
    /* the first multiple of decay_steps above the step; 1 at step 0 */
    rill_output at_zero = rill_equal(g, step, f32(g, 0, NULL), NULL);
    /* ceil(a / b) = -floor(-a / b), exactly, since negation is exact */
    rill_output ceil = rill_neg(g, floor_ratio(g, rill_neg(g, step, NULL), f32(g, decay_steps, NULL)), NULL);
    steps = rill_mul(g, steps, rill_where(g, at_zero, f32(g, 1, NULL), ceil, NULL), NULL);
  } else {
    step = rill_minimum(g, step, steps, NULL);
  }
  rill_output p = rill_div(g, step, steps, "truediv");
  /* TF's Python subtracts with `-`, hence the "sub" names */
  rill_output span = rill_sub(g, lr, end, "sub");
  rill_output decayed = rill_mul(g, span, rill_pow(g, rill_sub(g, f32(g, 1, NULL), p, "sub"), pw, NULL), NULL);
  return close_scope(g, scope, rill_add(g, decayed, end, scope));
}

/* A boundary as a constant of the step's dtype (TF casts the boundaries to it). */
static rill_output boundary(rill_graph *g, rill_dtype dt, int64_t b) {
  switch (dt) {
    case RILL_INT64: return rill_scalar_int64(g, b, NULL);
    case RILL_INT32: return rill_scalar_int32(g, (int32_t)b, NULL);
    default: return rill_scalar_of(g, dt, (double)b, NULL);
  }
}

rill_output rill_piecewise_constant(rill_graph *g, rill_variable *global_step, const int64_t *boundaries,
                                    int n_boundaries, const double *values, const char *name) {
  if (!have_step(g, global_step, "piecewise_constant")) return RILL_NO_OUTPUT;
  if (n_boundaries < 0 || !values || (n_boundaries > 0 && !boundaries)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "The length of boundaries should be 1 less than the length of values");
    return RILL_NO_OUTPUT;
  }
  char *scope = open_scope(g, name, "PiecewiseConstant");
  if (!scope) return close_scope(g, scope, RILL_NO_OUTPUT);
  rill_output x = rill_variable_value(global_step);
  rill_dtype dt = rill_variable_dtype(global_step);
  if (n_boundaries == 0) return close_scope(g, scope, rill_identity(g, f32(g, values[0], NULL), scope));
  /* TF's case() over the mutually exclusive intervals, as a chain of selects from the last
   * interval down: values[i] where step <= boundaries[i]. */
  rill_output out = f32(g, values[n_boundaries], NULL);
  for (int i = n_boundaries - 1; i >= 0; i--) {
    rill_output pred = rill_less_equal(g, x, boundary(g, dt, boundaries[i]), NULL);
    out = rill_where(g, pred, f32(g, values[i], NULL), out, i == 0 ? scope : NULL);
  }
  return close_scope(g, scope, out);
}
