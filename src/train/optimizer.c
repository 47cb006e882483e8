/* The optimizer base class: compute_gradients, apply_gradients, minimize and slot variables,
 * with TF 1.x's names ("GradientDescent/update_w/ApplyGradientDescent", "w/Momentum", ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "train/optimizer.h"

static void optimizer_free(void *p) {
  rill_optimizer *o = p;
  free(o->slots);
  free(o);
}

rill_optimizer *rill__optimizer_new(rill_graph *g, const rill__opt_rule *rule, rill_output learning_rate) {
  if (!rill__check_input(g, learning_rate, rule->name)) return NULL;
  rill_dtype dt = rill_output_dtype(learning_rate);
  rill_shape s = rill_output_shape(learning_rate);
  if (!rill_dtype_is_float(dt) || s.rank > 0) {
    char buf[64];
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "%s: the learning rate must be a float scalar, got %s with shape %s", rule->name,
                         rill_dtype_name(dt), rill_shape_str(s, buf, sizeof buf));
    return NULL;
  }
  rill_optimizer *o = calloc(1, sizeof *o);
  if (!o) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  o->g = g;
  o->rule = rule;
  o->lr = learning_rate;
  rill__graph_own(g, o, optimizer_free);
  return rill__graph_failed(g) ? NULL : o;
}

const char *rill_optimizer_name(const rill_optimizer *opt) { return opt ? opt->rule->name : NULL; }

rill_variable *rill_optimizer_get_slot(rill_optimizer *opt, rill_variable *var, const char *slot_name) {
  if (!opt || !var || !slot_name) return NULL;
  for (int i = 0; i < opt->n_slots; i++)
    if (opt->slots[i].var == var && !strcmp(opt->slots[i].name, slot_name)) return opt->slots[i].slot;
  return NULL;
}

rill_variable *rill__opt_make_slot(rill_optimizer *o, rill_variable *var, rill_initializer init,
                                   const char *slot_name) {
  rill_variable *have = rill_optimizer_get_slot(o, var, slot_name);
  if (have) return have;
  rill_graph *g = o->g;
  if (!rill__grow((void **)&o->slots, &o->cap_slots, o->n_slots + 1, sizeof *o->slots)) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  /* slot_creator opens variable_scope(None, default_name="<var>/<OptName>"), whose name is made
   * unique, and creates the variable named by that scope: "w/RMSProp", then "w/RMSProp_1". */
  const char *prefix = rill_variable_scope_name(g);
  char *base = *prefix ? rill__strfmt("%s/%s/%s", prefix, rill_variable_name(var), o->rule->name)
                       : rill__strfmt("%s/%s", rill_variable_name(var), o->rule->name);
  rill_name_scope_push(g, "");
  char *unique = base ? rill__unique_name(g, base, false) : NULL;
  rill_name_scope_pop(g);
  if (!unique) {
    free(base);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  const char *rel = unique + (*prefix ? strlen(prefix) + 1 : 0);
  rill_control_dependencies_push(g, NULL, 0);
  rill_device_push(g, rill_op_device(rill_variable_op(var)));
  rill_variable *slot = rill_get_variable(g, rel, rill_variable_dtype(var), rill_variable_shape(var), init,
                                          RILL_VAR_NOT_TRAINABLE);
  rill_device_pop(g);
  rill_control_dependencies_pop(g);
  free(unique);
  free(base);
  if (!slot) return NULL;
  o->slots[o->n_slots++] = (rill__opt_slot){var, slot_name, slot};
  return slot;
}

rill_output rill__opt_scalar(rill_optimizer *o, double v, const char *name) {
  return rill_scalar_float(o->g, (float)v, name);
}

rill_output rill__opt_cast(rill_graph *g, rill_output t, rill_dtype dtype) {
  if (!rill_output_ok(t) || rill_output_dtype(t) == dtype) return t;
  return rill_cast(g, t, dtype, NULL);
}

rill_op_builder *rill__opt_apply_builder(rill_graph *g, const char *type, rill_variable *var,
                                         const rill_output *inputs, int n) {
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_input(b, rill_variable_ref(var));
  rill_op_builder_add_inputs(b, inputs, n);
  rill_op_builder_attr_type(b, "T", rill_variable_dtype(var));
  rill_op_builder_attr_bool(b, "use_locking", false);
  return b;
}

/* TF's "<tf.Variable 'w:0' shape=(2,) dtype=float32_ref>", used in error messages. */
static void describe_var(rill_variable *v, char *buf, size_t cap) {
  char s[96];
  snprintf(buf, cap, "<tf.Variable '%s:0' shape=%s dtype=%s_ref>", rill_variable_name(v),
           rill_shape_str(rill_variable_shape(v), s, sizeof s), rill_dtype_name(rill_variable_dtype(v)));
}

/* "[<tf.Variable 'a:0' ...>, <tf.Variable 'b:0' ...>]" as a malloc'd string (NULL when out of
 * memory). */
static char *describe_vars(const rill_grad_var *gv, int n) {
  enum { ONE = 160 };
  size_t cap = 2 + (size_t)n * (ONE + 2), len = 1; /* each item is at most ONE - 1 chars and ", " */
  char *out = malloc(cap);
  if (!out) return NULL;
  strcpy(out, "[");
  for (int i = 0; i < n; i++) {
    char one[ONE];
    describe_var(gv[i].var, one, sizeof one);
    len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? ", " : "", one);
  }
  snprintf(out + len, cap - len, "]");
  return out;
}

static bool valid_dtype(rill_graph *g, rill_dtype dt, const char *what) {
  if (dt == RILL_FLOAT || dt == RILL_DOUBLE) return true;
  rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Invalid type %s for %s, expected: [float32, float64].",
                       rill_dtype_name(dt), what);
  return false;
}

int rill_optimizer_compute_gradients(rill_optimizer *opt, rill_output loss, rill_variable *const *var_list,
                                     int n_vars, rill_grad_var *out, int out_cap) {
  if (!opt) return -1;
  rill_graph *g = opt->g;
  if (rill__graph_failed(g) || !rill__check_input(g, loss, "compute_gradients")) return -1;
  char name[256];
  rill_output_name(loss, name, sizeof name);
  if (!valid_dtype(g, rill_output_dtype(loss), name)) return -1;
  int n = var_list ? n_vars : rill_collection_size(g, RILL_TRAINABLE_VARIABLES);
  if (n <= 0) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "No variables to optimize.");
    return -1;
  }
  if (n > out_cap) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                         "compute_gradients: %d (gradient, variable) pairs do not fit in room for %d", n, out_cap);
    return -1;
  }
  rill_output *xs = malloc((size_t)n * sizeof *xs), *dxs = malloc((size_t)n * sizeof *dxs);
  if (!xs || !dxs) {
    free(xs);
    free(dxs);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return -1;
  }
  int k = 0;
  for (int i = 0; i < n; i++) {
    rill_variable *v = var_list ? var_list[i] : rill_collection_variable(g, RILL_TRAINABLE_VARIABLES, i);
    if (!v && !var_list) continue; /* a non-variable item in the collection */
    if (!v) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "compute_gradients: variable %d is NULL", i);
      break;
    }
    if (v->graph != g) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "compute_gradients: variable %s is from another graph",
                           rill_variable_name(v));
      break;
    }
    out[k].var = v;
    xs[k++] = rill_variable_ref(v);
  }
  bool ok = !rill__graph_failed(g) && rill_gradients(g, &loss, 1, xs, k, NULL, dxs);
  for (int i = 0; ok && i < k; i++) {
    out[i].grad = dxs[i];
    if (dxs[i].op) ok = valid_dtype(g, rill_variable_dtype(out[i].var), rill_variable_name(out[i].var));
  }
  free(xs);
  free(dxs);
  return ok ? k : -1;
}

rill_op *rill_optimizer_apply_gradients(rill_optimizer *opt, const rill_grad_var *gv, int n,
                                        rill_variable *global_step, const char *name) {
  if (!opt) return NULL;
  rill_graph *g = opt->g;
  if (rill__graph_failed(g)) return NULL;
  rill_variable **vars = malloc(((size_t)n + 1) * sizeof *vars);
  rill_op **updates = malloc(((size_t)n + 1) * sizeof *updates);
  rill_op *result = NULL;
  if (!vars || !updates) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (!gv[i].var) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "apply_gradients: variable %d is NULL", i);
      goto out;
    }
    if (!gv[i].grad.op) continue;
    if (!rill__check_input(g, gv[i].grad, rill_variable_name(gv[i].var)) ||
        !valid_dtype(g, rill_variable_dtype(gv[i].var), rill_variable_name(gv[i].var)))
      goto out;
    if (rill_output_dtype(gv[i].grad) != rill_variable_dtype(gv[i].var)) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Gradient for %s must be %s but is %s",
                           rill_variable_name(gv[i].var), rill_dtype_name(rill_variable_dtype(gv[i].var)),
                           rill_dtype_name(rill_output_dtype(gv[i].grad)));
      goto out;
    }
    vars[m++] = gv[i].var;
  }
  if (m == 0) {
    char *desc = describe_vars(gv, n);
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "No gradients provided for any variable: %s.",
                         desc ? desc : "[]");
    free(desc);
    goto out;
  }
  /* Slots are made as by TF's init_scope: outside any control-dependency context. */
  rill_control_dependencies_push(g, NULL, 0);
  opt->rule->create_slots(opt, vars, m);
  rill_control_dependencies_pop(g);
  if (rill__graph_failed(g)) goto out;

  rill_name_scope_push(g, name ? name : opt->rule->name);
  char *scope = rill__strdup(rill_name_scope(g)); /* "Adam/": an exact name for the final op */
  if (!scope) {
    rill_name_scope_pop(g);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  if (opt->rule->prepare) opt->rule->prepare(opt);
  int k = 0;
  for (int i = 0; i < n && !rill__graph_failed(g); i++) {
    if (!gv[i].grad.op) continue;
    char *upd = rill__strfmt("update_%s", rill_variable_name(gv[i].var));
    if (!upd) {
      rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    rill_name_scope_push(g, upd);
    free(upd);
    rill_device_push(g, rill_op_device(rill_variable_op(gv[i].var)));
    rill_op *u = opt->rule->apply_dense(opt, gv[i].grad, gv[i].var);
    rill_device_pop(g);
    rill_name_scope_pop(g);
    if (u) updates[k++] = u;
  }
  if (!rill__graph_failed(g)) {
    const char *final_name = global_step ? "update" : scope;
    rill_op *fin = opt->rule->finish ? opt->rule->finish(opt, updates, k, final_name)
                                     : rill_group(g, updates, k, final_name);
    if (fin && global_step) {
      rill_control_dependencies_push(g, &fin, 1);
      rill_device_push(g, rill_op_device(rill_variable_op(global_step)));
      rill_output one = rill_scalar_of(g, rill_variable_dtype(global_step), 1, "value");
      result = rill_assign_add(g, global_step, one, scope).op;
      rill_device_pop(g);
      rill_control_dependencies_pop(g);
    } else {
      result = fin;
    }
  }
  rill_name_scope_pop(g);
  free(scope);
  if (result) {
    bool listed = false;
    for (int i = 0; i < rill_collection_size(g, RILL_TRAIN_OP); i++)
      listed |= rill_collection_op(g, RILL_TRAIN_OP, i) == result;
    if (!listed) rill_add_op_to_collection(g, RILL_TRAIN_OP, result);
  }
out:
  free(vars);
  free(updates);
  return rill__graph_failed(g) ? NULL : result;
}

rill_op *rill_optimizer_minimize(rill_optimizer *opt, rill_output loss, rill_variable *global_step,
                                 rill_variable *const *var_list, int n_vars, const char *name) {
  if (!opt || rill__graph_failed(opt->g)) return NULL;
  rill_graph *g = opt->g;
  int cap = var_list ? n_vars : rill_collection_size(g, RILL_TRAINABLE_VARIABLES);
  rill_grad_var *gv = malloc(((size_t)(cap > 0 ? cap : 0) + 1) * sizeof *gv);
  if (!gv) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  rill_op *op = NULL;
  int n = rill_optimizer_compute_gradients(opt, loss, var_list, n_vars, gv, cap);
  if (n >= 0) {
    bool any = false;
    for (int i = 0; i < n; i++) any |= gv[i].grad.op != NULL;
    if (!any) {
      char *desc = describe_vars(gv, n);
      char lname[256];
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT,
                           "No gradients provided for any variable, check your graph for ops that do not support "
                           "gradients, between variables %s and loss %s.",
                           desc ? desc : "[]", rill_output_str(loss, lname, sizeof lname));
      free(desc);
    } else {
      op = rill_optimizer_apply_gradients(opt, gv, n, global_step, name);
    }
  }
  free(gv);
  return op;
}
