/* tf.train.ExponentialMovingAverage: shadow variables "<var>/ExponentialMovingAverage" kept by
 * TF's AssignMovingAvg update, shadow -= (shadow - var) * (1 - decay), all in float32 like TF
 * (so 0.99 gives (1 - 0.99f) = 0.00999999f and the seed's 0.099999905). */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

typedef struct ema_pair {
  rill_variable *var, *avg;
} ema_pair;

struct rill_ema {
  rill_graph *g;
  double decay;
  rill_variable *num_updates;
  char *name;
  ema_pair *pairs;
  int n, cap;
  char **names; /* strings handed out by rill_ema_average_name for variables without a shadow */
  int n_names, cap_names;
};

static void ema_free(void *p) {
  rill_ema *e = p;
  for (int i = 0; i < e->n_names; i++) free(e->names[i]);
  free(e->names);
  free(e->pairs);
  free(e->name);
  free(e);
}

rill_ema *rill_ema_new(rill_graph *g, double decay, rill_variable *num_updates, const char *name) {
  if (!g || rill__graph_failed(g)) return NULL;
  if (num_updates && num_updates->graph != g) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "ExponentialMovingAverage: num_updates is from another graph");
    return NULL;
  }
  rill_ema *e = calloc(1, sizeof *e);
  if (e) e->name = rill__strdup(name ? name : "ExponentialMovingAverage");
  if (!e || !e->name) {
    free(e);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  e->g = g;
  e->decay = decay;
  e->num_updates = num_updates;
  rill__graph_own(g, e, ema_free);
  return rill__graph_failed(g) ? NULL : e;
}

rill_variable *rill_ema_average(rill_ema *ema, rill_variable *v) {
  if (!ema || !v) return NULL;
  for (int i = 0; i < ema->n; i++)
    if (ema->pairs[i].var == v) return ema->pairs[i].avg;
  return NULL;
}

/* TF's slot_creator.create_slot(var, var.initialized_value(), name): a non-trainable variable
 * named by the unique variable scope "<var>/<name>", on var's device, made outside any
 * control-dependency context. */
static rill_variable *make_shadow(rill_ema *ema, rill_variable *v) {
  rill_graph *g = ema->g;
  const char *prefix = rill_variable_scope_name(g);
  char *base = *prefix ? rill__strfmt("%s/%s/%s", prefix, rill_variable_name(v), ema->name)
                       : rill__strfmt("%s/%s", rill_variable_name(v), ema->name);
  rill_name_scope_push(g, "");
  char *unique = base ? rill__unique_name(g, base, false) : NULL;
  rill_name_scope_pop(g);
  free(base);
  if (!unique) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  rill_control_dependencies_push(g, NULL, 0);
  rill_device_push(g, rill_op_device(rill_variable_op(v)));
  rill_output init = rill_variable_initialized_value(v);
  rill_variable *avg = rill_get_variable(g, unique + (*prefix ? strlen(prefix) + 1 : 0), rill_variable_dtype(v),
                                         rill_variable_shape(v), rill_tensor_initializer(init),
                                         RILL_VAR_NOT_TRAINABLE);
  rill_device_pop(g);
  rill_control_dependencies_pop(g);
  free(unique);
  return avg;
}

rill_op *rill_ema_apply(rill_ema *ema, rill_variable *const *vars, int n) {
  if (!ema) return NULL;
  rill_graph *g = ema->g;
  if (rill__graph_failed(g)) return NULL;
  for (int i = 0; i < n; i++) {
    rill_variable *v = vars[i];
    if (!v || v->graph != g) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "ExponentialMovingAverage.apply: variable %d is %s", i,
                           v ? "from another graph" : "NULL");
      return NULL;
    }
    rill_dtype dt = rill_variable_dtype(v);
    if (dt != RILL_FLOAT && dt != RILL_DOUBLE) {
      rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "The variables must be half, float, or double: %s",
                           rill_variable_name(v));
      return NULL;
    }
  }
  for (int i = 0; i < n; i++) {
    if (rill_ema_average(ema, vars[i])) continue;
    if (!rill__grow((void **)&ema->pairs, &ema->cap, ema->n + 1, sizeof *ema->pairs)) {
      rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
      return NULL;
    }
    rill_variable *avg = make_shadow(ema, vars[i]);
    if (!avg) return NULL;
    ema->pairs[ema->n++] = (ema_pair){vars[i], avg};
    rill_add_variable_to_collection(g, RILL_MOVING_AVERAGE_VARIABLES, vars[i]);
  }

  rill_op **updates = malloc(((size_t)n + 1) * sizeof *updates);
  if (!updates) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  rill_name_scope_push(g, ema->name);
  char *scope = rill__strdup(rill_name_scope(g));
  rill_output decay = rill_scalar_float(g, (float)ema->decay, "decay");
  if (ema->num_updates) {
    rill_output k = rill_cast(g, rill_variable_value(ema->num_updates), RILL_FLOAT, "num_updates");
    /* names as TF's Python operators give them: add, add_1, truediv */
    rill_output ratio = rill_div(g, rill_add(g, rill_scalar_float(g, 1, NULL), k, "add"),
                                 rill_add(g, rill_scalar_float(g, 10, NULL), k, "add"), "truediv");
    decay = rill_minimum(g, decay, ratio, NULL);
  }
  for (int i = 0; i < n && scope && !rill__graph_failed(g); i++) {
    rill_variable *v = vars[i], *avg = rill_ema_average(ema, v);
    rill_name_scope_push(g, "AssignMovingAvg");
    char *upd_name = rill__strdup(rill_name_scope(g));
    rill_output one_minus = rill_sub(g, rill_scalar_float(g, 1, NULL), decay, "sub");
    if (rill_variable_dtype(v) != RILL_FLOAT) one_minus = rill_cast(g, one_minus, rill_variable_dtype(v), NULL);
    rill_output diff = rill_sub(g, rill_variable_value(avg), rill_variable_value(v), "sub");
    rill_output delta = rill_mul(g, diff, one_minus, "mul");
    updates[i] = upd_name ? rill_assign_sub(g, avg, delta, upd_name).op : NULL;
    free(upd_name);
    rill_name_scope_pop(g);
  }
  rill_op *group = NULL;
  if (!scope)
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  else if (!rill__graph_failed(g))
    group = rill_group(g, updates, n, scope);
  rill_name_scope_pop(g);
  free(scope);
  free(updates);
  return group;
}

const char *rill_ema_average_name(rill_ema *ema, rill_variable *v) {
  if (!ema || !v) return NULL;
  rill_variable *avg = rill_ema_average(ema, v);
  if (avg) return rill_variable_name(avg);
  /* TF: graph.unique_name("<var>/<name>", mark_as_used=False) */
  if (!rill__grow((void **)&ema->names, &ema->cap_names, ema->n_names + 1, sizeof *ema->names)) return NULL;
  char *base = rill__strfmt("%s/%s", rill_variable_name(v), ema->name);
  char *name = base ? rill__unique_name(ema->g, base, false) : NULL;
  free(base);
  if (!name) return NULL;
  for (int i = 0; i < ema->n_names; i++)
    if (!strcmp(ema->names[i], name)) {
      free(name);
      return ema->names[i];
    }
  ema->names[ema->n_names++] = name;
  return name;
}

static bool listed(rill_variable **vars, int n, rill_variable *v) {
  for (int i = 0; i < n; i++)
    if (vars[i] == v) return true;
  return false;
}

int rill_ema_variables_to_restore(rill_ema *ema, const char **names, rill_variable **vars, int cap) {
  if (!ema) return 0;
  rill_graph *g = ema->g;
  /* Averaged: the trainable variables and the MOVING_AVERAGE_VARIABLES collection. */
  int n_gl = rill_collection_size(g, RILL_GLOBAL_VARIABLES);
  int room = rill_collection_size(g, RILL_TRAINABLE_VARIABLES) +
             rill_collection_size(g, RILL_MOVING_AVERAGE_VARIABLES) + n_gl + 1;
  rill_variable **all = malloc((size_t)room * sizeof *all);
  const char **all_names = malloc((size_t)room * sizeof *all_names);
  int n = 0, n_avg;
  if (!all || !all_names) {
    free(all);
    free(all_names);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return 0;
  }
  for (int c = 0; c < 2; c++) {
    const char *key = c ? RILL_MOVING_AVERAGE_VARIABLES : RILL_TRAINABLE_VARIABLES;
    for (int i = 0; i < rill_collection_size(g, key); i++) {
      rill_variable *v = rill_collection_variable(g, key, i);
      if (!v || listed(all, n, v)) continue;
      all[n] = v;
      all_names[n++] = rill_ema_average_name(ema, v);
    }
  }
  n_avg = n;
  /* Every other global variable restores from its own name, unless that name is already
   * taken by a shadow (the shadows themselves). */
  for (int i = 0; i < n_gl; i++) {
    rill_variable *v = rill_collection_variable(g, RILL_GLOBAL_VARIABLES, i);
    if (!v || listed(all, n_avg, v)) continue;
    const char *own = rill_variable_name(v);
    bool taken = false;
    for (int j = 0; j < n && !taken; j++) taken = all_names[j] && !strcmp(all_names[j], own);
    if (taken) continue;
    all[n] = v;
    all_names[n++] = own;
  }
  for (int i = 0; i < n && i < cap; i++) {
    names[i] = all_names[i];
    vars[i] = all[i];
  }
  free(all);
  free(all_names);
  return n;
}
