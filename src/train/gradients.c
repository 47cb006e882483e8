/* tf.gradients: reverse-mode differentiation by adding gradient ops to the graph.
 *
 * Op ids are a topological order, so walking the ops between xs and ys from the highest id
 * down visits every consumer before its producers: each op's output gradients are complete
 * when it is reached. Several contributions to one output are summed with AddN. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

typedef struct grad_list {
  rill_output *g;
  int n, cap;
} grad_list;

static bool push_grad(grad_list *l, rill_output g) {
  if (!rill__grow((void **)&l->g, &l->cap, l->n + 1, sizeof(rill_output))) return false;
  l->g[l->n++] = g;
  return true;
}

static rill_output ones_for(rill_graph *g, rill_output y, int i) {
  rill_shape s = rill_output_shape(y);
  char name[32];
  snprintf(name, sizeof name, "grad_ys_%d", i);
  if (rill_shape_is_fully_defined(s)) {
    rill_status *st = rill_status_new();
    rill_tensor *t = rill_tensor_new(rill_output_dtype(y), s, st);
    rill_status_delete(st);
    if (!t) {
      rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
      return RILL_NO_OUTPUT;
    }
    for (int64_t k = 0; k < t->n; k++) {
      switch (t->dtype) {
        case RILL_FLOAT: ((float *)t->data)[k] = 1; break;
        case RILL_DOUBLE: ((double *)t->data)[k] = 1; break;
        case RILL_INT32: ((int32_t *)t->data)[k] = 1; break;
        case RILL_INT64: ((int64_t *)t->data)[k] = 1; break;
        default: break;
      }
    }
    rill_output o = rill_constant(g, t, name);
    rill_tensor_unref(t);
    return o;
  }
  return rill_ones_like(g, y, name);
}

static rill_output aggregate(rill_graph *g, grad_list *l) {
  if (l->n == 0) return RILL_NO_OUTPUT;
  if (l->n == 1) return l->g[0];
  return rill_add_n(g, l->g, l->n, NULL);
}

bool rill_gradients(rill_graph *g, const rill_output *ys, int n_ys, const rill_output *xs, int n_xs,
                    const rill_output *grad_ys, rill_output *dxs) {
  for (int i = 0; i < n_xs; i++) dxs[i] = RILL_NO_OUTPUT;
  for (int i = 0; i < n_ys; i++)
    if (!rill__check_input(g, ys[i], "gradients")) return false;
  for (int i = 0; i < n_xs; i++)
    if (!rill__check_input(g, xs[i], "gradients")) return false;
  int n_ops = g->n_ops;
  bool *from_x = calloc((size_t)n_ops + 1, 1), *to_y = calloc((size_t)n_ops + 1, 1);
  grad_list *grads = NULL;
  int *out_base = malloc(((size_t)n_ops + 1) * sizeof(int));
  bool ok = false;
  int total = 0;
  if (!from_x || !to_y || !out_base) goto oom;

  /* ops that depend on some x (forward), and ops some y depends on (backward) */
  for (int i = 0; i < n_xs; i++) from_x[xs[i].op->id] = true;
  for (int i = 0; i < n_ops; i++) {
    rill_op *op = g->ops[i];
    for (int j = 0; j < op->n_inputs && !from_x[i]; j++)
      if (from_x[op->inputs[j].op->id]) from_x[i] = true;
  }
  for (int i = 0; i < n_ys; i++) to_y[ys[i].op->id] = true;
  for (int i = n_ops - 1; i >= 0; i--) {
    if (!to_y[i]) continue;
    rill_op *op = g->ops[i];
    for (int j = 0; j < op->n_inputs; j++) to_y[op->inputs[j].op->id] = true;
  }

  for (int i = 0; i < n_ops; i++) {
    out_base[i] = total;
    total += g->ops[i]->n_outputs;
  }
  grads = calloc((size_t)total + 1, sizeof(grad_list));
  if (!grads) goto oom;

  rill_name_scope_push(g, "gradients");
  for (int i = 0; i < n_ys; i++) {
    rill_output gy = grad_ys && grad_ys[i].op ? grad_ys[i] : ones_for(g, ys[i], i);
    if (!gy.op || !push_grad(&grads[out_base[ys[i].op->id] + ys[i].index], gy)) goto done;
  }
  for (int i = n_ops - 1; i >= 0 && !rill__graph_failed(g); i--) {
    if (!from_x[i] || !to_y[i]) continue;
    rill_op *op = g->ops[i];
    if (op->n_inputs == 0) continue;
    rill_output *dy = calloc((size_t)op->n_outputs + 1, sizeof(rill_output));
    rill_output *dx = calloc((size_t)op->n_inputs + 1, sizeof(rill_output));
    if (!dy || !dx) {
      free(dy);
      free(dx);
      goto oom_scoped;
    }
    bool any = false;
    for (int o = 0; o < op->n_outputs; o++) {
      grad_list *l = &grads[out_base[i] + o];
      if (l->n > 1) {
        /* the sum is kept so that a later reader (an x) sees one tensor */
        rill_output sum = aggregate(g, l);
        l->n = 0;
        push_grad(l, sum);
      }
      dy[o] = l->n ? l->g[0] : RILL_NO_OUTPUT;
      any |= dy[o].op != NULL;
    }
    if (any && !(op->def->flags & RILL_OP_NOT_DIFFERENTIABLE)) {
      if (!op->def->grad) {
        rill_graph_set_error(g, RILL_NOT_FOUND, "No gradient defined for operation '%s' (op type: %s)", op->name,
                             op->def->type);
      } else {
        char *scope = rill__strfmt("%s_grad", op->name);
        rill_name_scope_push(g, scope);
        op->def->grad(g, op, dy, dx);
        rill_name_scope_pop(g);
        free(scope);
        for (int j = 0; j < op->n_inputs && !rill__graph_failed(g); j++) {
          rill_output in = op->inputs[j];
          if (!dx[j].op || !from_x[in.op->id]) continue;
          if (!push_grad(&grads[out_base[in.op->id] + in.index], dx[j])) {
            free(dy);
            free(dx);
            goto oom_scoped;
          }
        }
      }
    }
    free(dy);
    free(dx);
  }
  for (int i = 0; i < n_xs && !rill__graph_failed(g); i++) {
    grad_list *l = &grads[out_base[xs[i].op->id] + xs[i].index];
    if (l->n > 1) {
      rill_output sum = aggregate(g, l);
      l->n = 0;
      push_grad(l, sum);
    }
    dxs[i] = l->n ? l->g[0] : RILL_NO_OUTPUT;
  }
  ok = !rill__graph_failed(g);
  goto done;
oom_scoped:
  rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building gradients");
done:
  rill_name_scope_pop(g);
  goto out;
oom:
  rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building gradients");
out:
  if (grads)
    for (int i = 0; i < total; i++) free(grads[i].g);
  free(grads);
  free(from_x);
  free(to_y);
  free(out_base);
  if (!ok)
    for (int i = 0; i < n_xs; i++) dxs[i] = RILL_NO_OUTPUT;
  return ok;
}
