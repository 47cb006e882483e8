/* Training: optimizers, learning-rate schedules, global step, moving averages.
 *
 * Everything here builds graph ops; objects returned belong to the graph (freed with it).
 * Update rules and slot names are TF's (tf.compat.v1.train): slots are variables named
 * "<var>/<Slot>" such as "w/Momentum", "w/Adam", "w/Adam_1", and Adam's "beta1_power". */
#ifndef RILL_TRAIN_H
#define RILL_TRAIN_H

#include "rill/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- global step (src/train/global_step.c) ---- */

/* tf.train.get_or_create_global_step: an int64 scalar variable "global_step", not trainable,
 * in the GLOBAL_STEP collection. */
rill_variable *rill_get_or_create_global_step(rill_graph *g);
/* The GLOBAL_STEP collection's variable, or NULL. */
rill_variable *rill_get_global_step(rill_graph *g);

/* ---- learning rates (src/train/learning_rate.c) ----
 * Each returns a float32 scalar computed from the step variable (int32/int64). */
/* lr * rate^(step/decay_steps), with floor() of the exponent when staircase. */
rill_output rill_exponential_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                   double decay_steps, double decay_rate, bool staircase, const char *name);
/* values[i] while step <= boundaries[i]; values has n_boundaries + 1 entries. */
rill_output rill_piecewise_constant(rill_graph *g, rill_variable *global_step, const int64_t *boundaries,
                                    int n_boundaries, const double *values, const char *name);
rill_output rill_polynomial_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                  double decay_steps, double end_learning_rate, double power, bool cycle,
                                  const char *name);
rill_output rill_inverse_time_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                    double decay_steps, double decay_rate, bool staircase, const char *name);
rill_output rill_natural_exp_decay(rill_graph *g, double learning_rate, rill_variable *global_step,
                                   double decay_steps, double decay_rate, bool staircase, const char *name);

/* ---- optimizers (src/train/optimizer.c and one file per rule) ---- */

typedef struct rill_optimizer rill_optimizer;

/* A gradient with its variable; grad may be RILL_NO_OUTPUT (then apply skips it). */
typedef struct rill_grad_var {
  rill_output grad;
  rill_variable *var;
} rill_grad_var;

/* learning_rate is a float32 scalar tensor (a constant or a schedule above). */
rill_optimizer *rill_gradient_descent_optimizer(rill_graph *g, rill_output learning_rate);
rill_optimizer *rill_momentum_optimizer(rill_graph *g, rill_output learning_rate, double momentum,
                                        bool use_nesterov);
rill_optimizer *rill_adagrad_optimizer(rill_graph *g, rill_output learning_rate, double initial_accumulator_value);
/* TF defaults: decay 0.9, momentum 0, epsilon 1e-10, centered false. */
rill_optimizer *rill_rmsprop_optimizer(rill_graph *g, rill_output learning_rate, double decay, double momentum,
                                       double epsilon, bool centered);
/* TF defaults: beta1 0.9, beta2 0.999, epsilon 1e-8. */
rill_optimizer *rill_adam_optimizer(rill_graph *g, rill_output learning_rate, double beta1, double beta2,
                                    double epsilon);

/* compute_gradients(loss, var_list): var_list NULL means every trainable variable. Writes
 * n pairs to out (room for the trainable count when var_list is NULL) and returns n, or -1 on
 * a build error. */
int rill_optimizer_compute_gradients(rill_optimizer *opt, rill_output loss, rill_variable *const *var_list,
                                     int n_vars, rill_grad_var *out, int out_cap);
/* apply_gradients: creates the slots, then one update op per variable with a gradient
 * ("Adam/update_w/ApplyAdam"), grouped like TF: without global_step the group is the returned
 * NoOp named `name` (NULL: the optimizer's name, "Adam", made unique); with one, the group is
 * "<name>/update" and the returned op is the AssignAdd of global_step by 1 named `name`, run
 * after the updates. The op is added to TRAIN_OP. Pairs whose grad is empty are skipped; none
 * with a gradient is an error. NULL on error. */
rill_op *rill_optimizer_apply_gradients(rill_optimizer *opt, const rill_grad_var *gv, int n,
                                        rill_variable *global_step, const char *name);
/* minimize = compute_gradients + apply_gradients. */
rill_op *rill_optimizer_minimize(rill_optimizer *opt, rill_output loss, rill_variable *global_step,
                                 rill_variable *const *var_list, int n_vars, const char *name);
/* The slot variable `slot_name` made for var, or NULL. Slot names are TF's: "momentum"
 * (Momentum), "accumulator" (Adagrad), "rms", "mg" (centered only) and "momentum" (RMSProp),
 * "m" and "v" (Adam). Slots exist once apply_gradients has run for var. */
rill_variable *rill_optimizer_get_slot(rill_optimizer *opt, rill_variable *var, const char *slot_name);
/* TF's class name: "GradientDescent", "Momentum", "Adagrad", "RMSProp", "Adam". */
const char *rill_optimizer_name(const rill_optimizer *opt);

/* ---- moving averages (src/train/moving_average.c) ---- */

typedef struct rill_ema rill_ema;
/* tf.train.ExponentialMovingAverage(decay, num_updates): num_updates may be NULL; when given
 * the decay is min(decay, (1 + n) / (10 + n)). */
rill_ema *rill_ema_new(rill_graph *g, double decay, rill_variable *num_updates, const char *name);
/* apply(var_list): creates shadow variables "v/ExponentialMovingAverage" (initialised to v's
 * initial value, not trainable), adds vars to MOVING_AVERAGE_VARIABLES, returns the update
 * op. */
rill_op *rill_ema_apply(rill_ema *ema, rill_variable *const *vars, int n);
/* The shadow variable of v, or NULL. */
rill_variable *rill_ema_average(rill_ema *ema, rill_variable *v);
/* "v/ExponentialMovingAverage". Owned by the ema. */
const char *rill_ema_average_name(rill_ema *ema, rill_variable *v);
/* variables_to_restore(): for every global variable, the checkpoint name to load into it:
 * shadow names for averaged variables, their own names otherwise. Writes up to cap pairs and
 * returns the total. */
int rill_ema_variables_to_restore(rill_ema *ema, const char **names, rill_variable **vars, int cap);

#ifdef __cplusplus
}
#endif
#endif
