#include "support/gradcheck.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COVERED 512
static char *covered[MAX_COVERED];
static int n_covered;

static void cover(const char *t) {
  for (int i = 0; i < n_covered; i++)
    if (!strcmp(covered[i], t)) return;
  if (n_covered < MAX_COVERED) covered[n_covered++] = strdup(t);
}

bool rill_gradcheck_covered(const char *t) {
  for (int i = 0; i < n_covered; i++)
    if (!strcmp(covered[i], t)) return true;
  return false;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void set_elem(rill_tensor *t, int64_t i, double v) {
  if (rill_tensor_dtype(t) == RILL_DOUBLE)
    rill_tensor_double(t)[i] = v;
  else
    rill_tensor_float(t)[i] = (float)v;
}

static double dot(const rill_tensor *y, const rill_tensor *r) {
  double s = 0;
  for (int64_t i = 0; i < rill_tensor_num_elements(y); i++) s += rill_tensor_get(y, i) * rill_tensor_get(r, i);
  return s;
}

bool rill_gradcheck(const rill_gradcase *c, char *err, size_t cap) {
  bool ok = false;
  rill_graph *g = rill_graph_new();
  rill_status *st = rill_status_new();
  rill_session *s = NULL;
  rill_tensor *xs[4] = {0}, *y = NULL, *r = NULL, **dv = NULL;
  rill_output ph[4], dx[4];
  double lo = c->lo, hi = c->hi;
  if (lo == 0 && hi == 0) lo = -1, hi = 1;
  double tol = c->tol ? c->tol : (c->dtype == RILL_DOUBLE ? 1e-6 : 2e-2);
  double eps = c->dtype == RILL_DOUBLE ? 1e-6 : 1e-3;
  for (int i = 0; i < c->n_inputs; i++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", i);
    ph[i] = rill_placeholder(g, c->dtype, c->shapes[i], name);
    xs[i] = rill_tensor_new(c->dtype, c->shapes[i], st);
    for (int64_t k = 0; xs[i] && k < rill_tensor_num_elements(xs[i]); k++) set_elem(xs[i], k, lo + (hi - lo) * urand());
  }
  rill_output out = c->build(g, ph);
  if (rill_graph_code(g) != RILL_OK) {
    snprintf(err, cap, "%s: build failed: %s", c->name, rill_status_message(rill_graph_status(g)));
    goto done;
  }
  s = rill_session_new(g, NULL, st);
  rill_session_run(s, ph, xs, c->n_inputs, &out, &y, 1, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) {
    snprintf(err, cap, "%s: forward failed: %s", c->name, rill_status_message(st));
    goto done;
  }
  r = rill_tensor_new(rill_tensor_dtype(y), rill_tensor_shape(y), st);
  for (int64_t k = 0; k < rill_tensor_num_elements(r); k++) set_elem(r, k, urand() * 2 - 1);
  rill_output rc = rill_constant(g, r, "grad_ys");
  if (!rill_gradients(g, &out, 1, ph, c->n_inputs, &rc, dx)) {
    snprintf(err, cap, "%s: gradients failed: %s", c->name, rill_status_message(rill_graph_status(g)));
    goto done;
  }
  int nd = 0;
  rill_output fetch[4];
  for (int i = 0; i < c->n_inputs; i++)
    if (dx[i].op) fetch[nd++] = dx[i];
  dv = calloc(4, sizeof *dv);
  rill_session_run(s, ph, xs, c->n_inputs, fetch, dv, nd, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) {
    snprintf(err, cap, "%s: gradient run failed: %s", c->name, rill_status_message(st));
    goto done;
  }
  int k = 0;
  for (int i = 0; i < c->n_inputs; i++) {
    rill_tensor *a = dx[i].op ? dv[k++] : NULL;
    if (a && !rill_shape_equal(rill_tensor_shape(a), rill_tensor_shape(xs[i]))) {
      snprintf(err, cap, "%s: gradient %d has the wrong shape", c->name, i);
      goto done;
    }
    for (int64_t e = 0; e < rill_tensor_num_elements(xs[i]); e++) {
      double x0 = rill_tensor_get(xs[i], e), f[2];
      for (int sgn = 0; sgn < 2; sgn++) {
        set_elem(xs[i], e, x0 + (sgn ? -eps : eps));
        rill_tensor *yy = NULL;
        rill_session_run(s, ph, xs, c->n_inputs, &out, &yy, 1, NULL, 0, st);
        f[sgn] = yy ? dot(yy, r) : NAN;
        rill_tensor_unref(yy);
      }
      set_elem(xs[i], e, x0);
      double num = (f[0] - f[1]) / (2 * eps);
      double ana = a ? rill_tensor_get(a, e) : 0;
      double diff = fabs(num - ana), scale = fmax(1.0, fmax(fabs(num), fabs(ana)));
      if (!(diff <= tol * scale)) {
        snprintf(err, cap, "%s: d/dx%d[%lld]: analytic %.9g numeric %.9g", c->name, i, (long long)e, ana, num);
        goto done;
      }
    }
  }
  for (int i = 0; i < rill_graph_num_ops(g); i++) cover(rill_op_type(rill_graph_op(g, i)));
  ok = true;
done:
  for (int i = 0; i < 4; i++) {
    rill_tensor_unref(xs[i]);
    if (dv) rill_tensor_unref(dv[i]);
  }
  free(dv);
  rill_tensor_unref(y);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
  return ok;
}
