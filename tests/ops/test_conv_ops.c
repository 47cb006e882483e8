/* Convolution ops: values and gradients against TensorFlow (tests/golden/conv.txt, written by
 * tests/golden/make_conv_fixtures.py; float32 within 1e-5, float64 within 1e-10, int32
 * exact), a direct-loop reference on geometries big enough that the kernels cut their work
 * into several tasks, parts and bands (grouped, dilated, strided, EXPLICIT padding, the
 * no-im2col paths, int32), bit-identical results at 1, 2 and 3 threads, the seeds' shapes and
 * oracle, and TF's shape inference, names, attributes and error messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core_util.h"
#include "kernels/cpu/conv.h"

static const int64_t S1[4] = {1, 1, 1, 1}, S2[4] = {1, 2, 2, 1};

static rill_output sizes_const(rill_graph *g, const int64_t *v) {
  const int32_t s[4] = {(int32_t)v[0], (int32_t)v[1], (int32_t)v[2], (int32_t)v[3]};
  return rill_const_int32(g, s, 4, RILL_SHAPE(4), "sizes");
}

static rill_tensor *run1(rill_session *s, rill_output out, const rill_output *ph, rill_tensor *const *v, int n,
                         rill_status *st) {
  rill_tensor *r = NULL;
  rill_session_run(s, ph, v, n, &out, &r, 1, NULL, 0, st);
  return r;
}

/* ---------------------------------------------------------------------------------------
 * golden fixtures */

#define MAX_P 8
typedef struct fixture {
  int line;
  char name[96], builder[48];
  int n_p;
  char key[MAX_P][24], val[MAX_P][64];
  int n_in, n_grad;
  rill_tensor *in[4], *gy, *out, *grad[4];
} fixture;

static void fixture_free(fixture *f) {
  for (int i = 0; i < f->n_in; i++) rill_tensor_unref(f->in[i]);
  for (int i = 0; i < f->n_grad; i++) rill_tensor_unref(f->grad[i]);
  rill_tensor_unref(f->gy);
  rill_tensor_unref(f->out);
  memset(f, 0, sizeof *f);
}

static rill_tensor *parse_tensor(char **save) {
  char *dt = strtok_r(NULL, " \n", save), *sh = strtok_r(NULL, " \n", save);
  if (!dt || !sh || sh[0] != '[') return NULL;
  rill_dtype t = !strcmp(dt, "float32") ? RILL_FLOAT : !strcmp(dt, "float64") ? RILL_DOUBLE : RILL_INT32;
  int64_t d[RILL_MAX_RANK];
  int r = 0;
  for (char *p = sh + 1; *p && *p != ']' && r < RILL_MAX_RANK;) {
    d[r++] = strtoll(p, &p, 10);
    if (*p == ',') p++;
  }
  rill_tensor *x = rill_tensor_new(t, rill_shape_make(d, r), NULL);
  for (int64_t i = 0; x && i < rill_tensor_num_elements(x); i++) {
    char *tok = strtok_r(NULL, " \n", save);
    if (!tok) {
      rill_tensor_unref(x);
      return NULL;
    }
    if (t == RILL_FLOAT)
      rill_tensor_float(x)[i] = strtof(tok, NULL);
    else if (t == RILL_DOUBLE)
      rill_tensor_double(x)[i] = strtod(tok, NULL);
    else
      rill_tensor_int32(x)[i] = (int32_t)strtol(tok, NULL, 10);
  }
  return x;
}

/* The next case, or false at the end; a malformed file fails the test. */
static bool next_fixture(FILE *fp, int *lineno, fixture *f) {
  char *line = NULL;
  size_t cap = 0;
  bool in_case = false;
  memset(f, 0, sizeof *f);
  while (getline(&line, &cap, fp) >= 0) {
    (*lineno)++;
    char *save, *kw = strtok_r(line, " \n", &save);
    if (!kw || kw[0] == '#') continue;
    bool ok = true;
    if (!strcmp(kw, "case")) {
      char *name = strtok_r(NULL, " \n", &save), *b = strtok_r(NULL, " \n", &save);
      ok = !in_case && name && b;
      if (ok) {
        in_case = true;
        f->line = *lineno;
        snprintf(f->name, sizeof f->name, "%s", name);
        snprintf(f->builder, sizeof f->builder, "%s", b);
        for (char *kv; ok && (kv = strtok_r(NULL, " \n", &save));) {
          char *eq = strchr(kv, '=');
          ok = eq && f->n_p < MAX_P;
          if (ok) {
            *eq = 0;
            snprintf(f->key[f->n_p], sizeof f->key[0], "%s", kv);
            snprintf(f->val[f->n_p++], sizeof f->val[0], "%s", eq + 1);
          }
        }
      }
    } else if (!strcmp(kw, "end")) {
      free(line);
      return true;
    } else if (!strcmp(kw, "input")) {
      ok = f->n_in < 4 && (f->in[f->n_in++] = parse_tensor(&save));
    } else if (!strcmp(kw, "grad_y")) {
      ok = (f->gy = parse_tensor(&save)) != NULL;
    } else if (!strcmp(kw, "output")) {
      ok = (f->out = parse_tensor(&save)) != NULL;
    } else if (!strcmp(kw, "grad")) {
      int i = atoi(strtok_r(NULL, " \n", &save));
      ok = i == f->n_grad && i < 4 && (f->grad[f->n_grad++] = parse_tensor(&save));
    } else {
      ok = false;
    }
    if (!ok || !in_case) fail_msg("tests/golden/conv.txt:%d: malformed line", *lineno);
  }
  free(line);
  if (in_case) fail_msg("tests/golden/conv.txt: case %s has no end", f->name);
  return false;
}

/* A list parameter of n ints; false when absent. */
static bool p_ints(const fixture *f, const char *key, int64_t *v, int n) {
  for (int i = 0; i < f->n_p; i++) {
    if (strcmp(f->key[i], key)) continue;
    char *p = (char *)f->val[i];
    for (int j = 0; j < n; j++) {
      v[j] = strtoll(p, &p, 10);
      if (*p == ',') p++;
    }
    return true;
  }
  return false;
}

static const char *p_str(const fixture *f, const char *key) {
  for (int i = 0; i < f->n_p; i++)
    if (!strcmp(f->key[i], key)) return f->val[i];
  return NULL;
}

static rill_output build_fixture(rill_graph *g, const fixture *f, const rill_output *x) {
  int64_t st[4], dil[4], sz[4], rate[2];
  bool has_dil = p_ints(f, "dilations", dil, 4), has_rate = p_ints(f, "rate", rate, 2);
  assert_true(p_ints(f, "strides", st, 4));
  p_ints(f, "sizes", sz, 4);
  const char *pad = p_str(f, "padding"), *b = f->builder;
  if (!strcmp(b, "conv2d")) return rill_conv2d(g, x[0], x[1], st, pad, has_dil ? dil : NULL, NULL);
  if (!strcmp(b, "conv2d_transpose")) return rill_conv2d_transpose(g, x[0], x[1], sz, st, pad, NULL);
  if (!strcmp(b, "depthwise")) return rill_depthwise_conv2d(g, x[0], x[1], st, pad, has_rate ? rate : NULL, NULL);
  if (!strcmp(b, "conv2d_backprop_filter"))
    return rill_conv2d_backprop_filter(g, x[0], sizes_const(g, sz), x[1], st, pad, has_dil ? dil : NULL, NULL);
  if (!strcmp(b, "depthwise_backprop_input"))
    return rill_depthwise_conv2d_native_backprop_input(g, sizes_const(g, sz), x[0], x[1], st, pad, NULL, NULL);
  if (!strcmp(b, "depthwise_backprop_filter"))
    return rill_depthwise_conv2d_native_backprop_filter(g, x[0], sizes_const(g, sz), x[1], st, pad, NULL, NULL);
  fail_msg("unknown builder %s", b);
  return RILL_NO_OUTPUT;
}

static void expect_close(const char *what, const fixture *f, const rill_tensor *got, const rill_tensor *want) {
  char a[128], b[128];
  if (!got) fail_msg("%s: %s missing", f->name, what);
  if (rill_tensor_dtype(got) != rill_tensor_dtype(want) ||
      !rill_shape_equal(rill_tensor_shape(got), rill_tensor_shape(want)))
    fail_msg("%s: %s is %s %s, TF's %s %s", f->name, what, rill_dtype_name(rill_tensor_dtype(got)),
             rill_shape_dbg(rill_tensor_shape(got), a, sizeof a), rill_dtype_name(rill_tensor_dtype(want)),
             rill_shape_dbg(rill_tensor_shape(want), b, sizeof b));
  double tol = rill_tensor_dtype(want) == RILL_FLOAT ? 1e-5 : rill_tensor_dtype(want) == RILL_DOUBLE ? 1e-10 : 0;
  for (int64_t i = 0; i < rill_tensor_num_elements(want); i++) {
    double x = rill_tensor_get(got, i), y = rill_tensor_get(want, i);
    if (!(fabs(x - y) <= tol + tol * fabs(y)))
      fail_msg("%s (line %d): %s element %lld is %.9g, TF's %.9g", f->name, f->line, what, (long long)i, x, y);
  }
}

static void run_fixture(const fixture *f) {
  rill_graph *g = rill_graph_new();
  rill_output ph[4], dx[4];
  for (int i = 0; i < f->n_in; i++) {
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    ph[i] = rill_placeholder(g, rill_tensor_dtype(f->in[i]), rill_tensor_shape(f->in[i]), name);
  }
  rill_output y = build_fixture(g, f, ph);
  assert_graph_ok(g);
  /* the static shape TF's shape functions infer is the computed one here */
  assert_true(rill_shape_equal(rill_output_shape(y), rill_tensor_shape(f->out)));
  rill_output fetch[5] = {y};
  int n_fetch = 1;
  if (f->gy) {
    rill_shape gs = rill_tensor_shape(f->gy);
    rill_output gy = rill_tensor_dtype(f->gy) == RILL_FLOAT
                         ? rill_const_float(g, rill_tensor_float(f->gy), rill_tensor_num_elements(f->gy), gs, "gy")
                         : rill_const_double(g, rill_tensor_double(f->gy), rill_tensor_num_elements(f->gy), gs, "gy");
    assert_true(rill_gradients(g, &y, 1, ph, f->n_in, &gy, dx));
    assert_graph_ok(g);
    assert_int_equal(f->n_grad, f->n_in);
    for (int i = 0; i < f->n_grad; i++) fetch[n_fetch++] = dx[i];
  }
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_tensor *r[5] = {0};
  rill_session_run(s, ph, f->in, f->n_in, fetch, r, n_fetch, NULL, 0, st);
  assert_status_ok(st);
  expect_close("output", f, r[0], f->out);
  for (int i = 0; i < f->n_grad; i++) {
    char what[32];
    snprintf(what, sizeof what, "grad %d", i);
    expect_close(what, f, r[1 + i], f->grad[i]);
  }
  for (int i = 0; i < n_fetch; i++) rill_tensor_unref(r[i]);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_golden(void **state) {
  (void)state;
  FILE *fp = fopen(RILL_SOURCE_DIR "/tests/golden/conv.txt", "r");
  assert_non_null(fp);
  int lineno = 0, n = 0;
  fixture f;
  bool seen_transpose = false, seen_depthwise = false, seen_dilated = false;
  while (next_fixture(fp, &lineno, &f)) {
    run_fixture(&f);
    seen_transpose |= !strcmp(f.builder, "conv2d_transpose");
    seen_depthwise |= !strcmp(f.builder, "depthwise");
    seen_dilated |= p_str(&f, "dilations") != NULL;
    fixture_free(&f);
    n++;
  }
  fclose(fp);
  assert_true(n >= 30 && seen_transpose && seen_depthwise && seen_dilated);
}

/* ---------------------------------------------------------------------------------------
 * direct-loop reference */

typedef struct geo {
  int64_t n, h, w, c, kh, kw, o, groups; /* depthwise: groups 0 and o = c * multiplier */
  int64_t sh, sw, dh, dw;
  const char *padding;
  int64_t pads[4]; /* EXPLICIT: top, bottom, left, right */
  int64_t oh, ow, pt, pl;
} geo;

static void window(int64_t in, int64_t k, int64_t s, int64_t d, const char *pad, int64_t pb, int64_t pa, int64_t *out,
                   int64_t *before) {
  int64_t eff = (k - 1) * d + 1;
  if (!strcmp(pad, "VALID")) {
    *out = (in - eff) / s + 1;
    *before = 0;
  } else if (!strcmp(pad, "SAME")) {
    *out = (in + s - 1) / s;
    int64_t total = (*out - 1) * s + eff - in;
    *before = total > 0 ? total / 2 : 0;
  } else {
    *out = (in + pb + pa - eff) / s + 1;
    *before = pb;
  }
}

static void geo_finish(geo *g) {
  window(g->h, g->kh, g->sh, g->dh, g->padding, g->pads[0], g->pads[1], &g->oh, &g->pt);
  window(g->w, g->kw, g->sw, g->dw, g->padding, g->pads[2], g->pads[3], &g->ow, &g->pl);
}

static int64_t filter_c(const geo *g) { return g->groups ? g->c / g->groups : g->c; }
static int64_t filter_o(const geo *g) { return g->groups ? g->o : g->o / g->c; }

enum { FWD, BWI, BWF };

/* One loop nest for all three: y += x * f, dx += dy * f, df += x * dy (and mag += |term|). */
static void reference(const geo *g, int mode, const double *a, const double *b, double *out, double *mag) {
  const int64_t fc = filter_c(g), fo = filter_o(g);
  for (int64_t n = 0; n < g->n; n++)
    for (int64_t oh = 0; oh < g->oh; oh++)
      for (int64_t ow = 0; ow < g->ow; ow++)
        for (int64_t oc = 0; oc < g->o; oc++) {
          int64_t yi = ((n * g->oh + oh) * g->ow + ow) * g->o + oc;
          int64_t c0 = g->groups ? oc / (g->o / g->groups) * fc : oc / fo, nc = g->groups ? fc : 1;
          for (int64_t ka = 0; ka < g->kh; ka++)
            for (int64_t kb = 0; kb < g->kw; kb++) {
              int64_t ih = oh * g->sh - g->pt + ka * g->dh, iw = ow * g->sw - g->pl + kb * g->dw;
              if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
              for (int64_t ci = c0; ci < c0 + nc; ci++) {
                int64_t xi = ((n * g->h + ih) * g->w + iw) * g->c + ci;
                int64_t fi = g->groups ? ((ka * g->kw + kb) * fc + (ci - c0)) * g->o + oc
                                       : ((ka * g->kw + kb) * g->c + ci) * fo + oc % fo;
                int64_t oi = mode == FWD ? yi : mode == BWI ? xi : fi;
                double term = mode == FWD ? a[xi] * b[fi] : mode == BWI ? a[yi] * b[fi] : a[xi] * b[yi];
                out[oi] += term;
                mag[oi] += fabs(term);
              }
            }
        }
}

static uint64_t rng = 88172645463325252ull;
static double urand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}

static rill_tensor *random_tensor(rill_dtype t, rill_shape s, double **ref) {
  rill_tensor *x = rill_tensor_new(t, s, NULL);
  int64_t n = rill_tensor_num_elements(x);
  *ref = calloc((size_t)(n > 0 ? n : 1), sizeof **ref);
  for (int64_t i = 0; i < n; i++) {
    double v = t == RILL_INT32 ? (double)(int)(urand() * 4) : urand();
    (*ref)[i] = v;
    if (t == RILL_FLOAT) (*ref)[i] = v = (float)v;
    if (t == RILL_FLOAT) rill_tensor_float(x)[i] = (float)v;
    if (t == RILL_DOUBLE) rill_tensor_double(x)[i] = v;
    if (t == RILL_INT32) rill_tensor_int32(x)[i] = (int32_t)v;
  }
  return x;
}

/* The three ops of g at dtype t against the reference: float64 and int32 (the im2col + GEMM
 * kernels) within 1e-11, float32 (the direct SIMD kernels where the CPU has them) within 1e-5
 * of the sum of the terms' magnitudes. */
static void check_geometry(const geo *gin, rill_dtype t, int threads) {
  geo gg = *gin;
  geo_finish(&gg);
  const geo *g = &gg;
  bool dw = g->groups == 0;
  rill_shape xs = RILL_SHAPE(g->n, g->h, g->w, g->c), ys = RILL_SHAPE(g->n, g->oh, g->ow, g->o);
  rill_shape fs = RILL_SHAPE(g->kh, g->kw, filter_c(g), filter_o(g));
  double *xr, *fr, *dyr;
  rill_tensor *xv = random_tensor(t, xs, &xr), *fv = random_tensor(t, fs, &fr), *dyv = random_tensor(t, ys, &dyr);
  rill_graph *gr = rill_graph_new();
  rill_output x = rill_placeholder(gr, t, xs, "x"), f = rill_placeholder(gr, t, fs, "f"),
              dy = rill_placeholder(gr, t, ys, "dy");
  int64_t st[4] = {1, g->sh, g->sw, 1}, dil[4] = {1, g->dh, g->dw, 1}, xsz[4], fsz[4];
  memcpy(xsz, xs.dims, sizeof xsz);
  memcpy(fsz, fs.dims, sizeof fsz);
  rill_output out[3];
  if (strcmp(g->padding, "EXPLICIT")) {
    if (dw) {
      out[0] = rill_depthwise_conv2d_native(gr, x, f, st, g->padding, dil, NULL);
      out[1] = rill_depthwise_conv2d_native_backprop_input(gr, sizes_const(gr, xsz), f, dy, st, g->padding, dil, NULL);
      out[2] = rill_depthwise_conv2d_native_backprop_filter(gr, x, sizes_const(gr, fsz), dy, st, g->padding, dil, NULL);
    } else {
      out[0] = rill_conv2d(gr, x, f, st, g->padding, dil, NULL);
      out[1] = rill_conv2d_backprop_input(gr, sizes_const(gr, xsz), f, dy, st, g->padding, dil, NULL);
      out[2] = rill_conv2d_backprop_filter(gr, x, sizes_const(gr, fsz), dy, st, g->padding, dil, NULL);
    }
  } else { /* no builder takes EXPLICIT: build the ops as an imported GraphDef would */
    const char *types[3] = {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"};
    rill_output ins[3][3] = {{x, f}, {sizes_const(gr, xsz), f, dy}, {x, sizes_const(gr, fsz), dy}};
    int64_t ep[8] = {0, 0, g->pads[0], g->pads[1], g->pads[2], g->pads[3], 0, 0};
    for (int i = 0; i < 3; i++) {
      rill_op_builder *b = rill_op_builder_new(gr, types[i], NULL);
      rill_op_builder_add_inputs(b, ins[i], i ? 3 : 2);
      rill_op_builder_attr_type(b, "T", t);
      rill_op_builder_attr_int_list(b, "strides", st, 4);
      rill_op_builder_attr_int_list(b, "dilations", dil, 4);
      rill_op_builder_attr_string(b, "padding", "EXPLICIT");
      rill_op_builder_attr_int_list(b, "explicit_paddings", ep, 8);
      out[i] = rill_op_output(rill_op_builder_finish(b), 0);
    }
  }
  assert_graph_ok(gr);
  assert_true(rill_shape_equal(rill_output_shape(out[0]), ys));
  rill_session_options o = rill_session_options_default();
  o.intra_op_threads = threads;
  rill_status *sts = rill_status_new();
  rill_session *s = rill_session_new(gr, &o, sts);
  assert_status_ok(sts);
  rill_output ph[3] = {x, f, dy};
  rill_tensor *vals[3] = {xv, fv, dyv}, *r[3] = {0};
  rill_session_run(s, ph, vals, 3, out, r, 3, NULL, 0, sts);
  assert_status_ok(sts);
  int64_t ns[3] = {g->n * g->oh * g->ow * g->o, g->n * g->h * g->w * g->c, rill_shape_num_elements(fs)};
  for (int m = 0; m < 3; m++) {
    double *want = calloc((size_t)(ns[m] > 0 ? ns[m] : 1), sizeof *want);
    double *mag = calloc((size_t)(ns[m] > 0 ? ns[m] : 1), sizeof *mag);
    reference(g, m, m == BWI ? dyr : xr, m == FWD ? fr : m == BWI ? fr : dyr, want, mag);
    assert_int_equal(rill_tensor_num_elements(r[m]), ns[m]);
    for (int64_t i = 0; i < ns[m]; i++) {
      double got = rill_tensor_get(r[m], i);
      double tol = t == RILL_FLOAT ? 1e-5 * (mag[i] + 1e-3) : 1e-11 * (1 + fabs(want[i]));
      if (!(fabs(got - want[i]) <= tol))
        fail_msg("%s op %d (n%lld h%lld w%lld c%lld k%lldx%lld o%lld s%lld,%lld d%lld,%lld %s g%lld) element %lld: "
                 "%.15g vs %.15g",
                 dw ? "depthwise" : "conv2d", m, (long long)g->n, (long long)g->h, (long long)g->w, (long long)g->c,
                 (long long)g->kh, (long long)g->kw, (long long)g->o, (long long)g->sh, (long long)g->sw,
                 (long long)g->dh, (long long)g->dw, g->padding, (long long)g->groups, (long long)i, got, want[i]);
    }
    free(want);
    free(mag);
    rill_tensor_unref(r[m]);
  }
  rill_status_delete(sts);
  rill_session_delete(s);
  rill_graph_delete(gr);
  rill_tensor_unref(xv);
  rill_tensor_unref(fv);
  rill_tensor_unref(dyv);
  free(xr);
  free(fr);
  free(dyr);
}

static const geo geometries[] = {
    /* several forward tasks, backprop-input bands and backprop-filter parts */
    {.n = 3, .h = 20, .w = 19, .c = 16, .kh = 3, .kw = 3, .o = 24, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    {.n = 2, .h = 17, .w = 17, .c = 8, .kh = 5, .kw = 5, .o = 12, .groups = 1, .sh = 2, .sw = 2, .dh = 1, .dw = 1,
     .padding = "VALID"},
    {.n = 2, .h = 15, .w = 13, .c = 6, .kh = 3, .kw = 2, .o = 9, .groups = 3, .sh = 1, .sw = 2, .dh = 2, .dw = 3,
     .padding = "SAME"},
    /* 1x1 stride 1 (the input is the patch matrix), in more than one chunk */
    {.n = 4, .h = 32, .w = 32, .c = 32, .kh = 1, .kw = 1, .o = 8, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    {.n = 2, .h = 9, .w = 9, .c = 4, .kh = 1, .kw = 1, .o = 3, .groups = 1, .sh = 2, .sw = 2, .dh = 1, .dw = 1,
     .padding = "VALID"},
    /* a filter covering the whole input (the fully-connected case) */
    {.n = 5, .h = 6, .w = 6, .c = 4, .kh = 6, .kw = 6, .o = 7, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "VALID"},
    /* one image, taller than one band */
    {.n = 1, .h = 40, .w = 30, .c = 8, .kh = 3, .kw = 3, .o = 8, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    /* one input channel (the MNIST first layer) */
    {.n = 6, .h = 28, .w = 28, .c = 1, .kh = 5, .kw = 5, .o = 4, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    /* padding wider than the input: windows entirely outside it */
    {.n = 1, .h = 2, .w = 3, .c = 2, .kh = 4, .kw = 5, .o = 2, .groups = 1, .sh = 3, .sw = 1, .dh = 2, .dw = 2,
     .padding = "EXPLICIT", .pads = {3, 4, 2, 6}},
    {.n = 2, .h = 7, .w = 6, .c = 3, .kh = 3, .kw = 3, .o = 4, .groups = 1, .sh = 2, .sw = 1, .dh = 1, .dw = 1,
     .padding = "EXPLICIT", .pads = {0, 2, 1, 0}},
    /* the direct kernels' channel slices: 64 + 16 outputs, grouped with 10 per group, a long
     * product (1600), and padding past the filter's reach */
    {.n = 2, .h = 9, .w = 11, .c = 16, .kh = 3, .kw = 3, .o = 80, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    {.n = 1, .h = 8, .w = 8, .c = 24, .kh = 2, .kw = 3, .o = 20, .groups = 2, .sh = 1, .sw = 1, .dh = 2, .dw = 1,
     .padding = "VALID"},
    {.n = 1, .h = 7, .w = 7, .c = 64, .kh = 5, .kw = 5, .o = 24, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "SAME"},
    {.n = 2, .h = 10, .w = 9, .c = 16, .kh = 3, .kw = 3, .o = 8, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "EXPLICIT", .pads = {3, 0, 1, 1}},
    /* padding wider than the window at stride 1: whole windows over zeros in every pass */
    {.n = 1, .h = 3, .w = 4, .c = 8, .kh = 3, .kw = 3, .o = 8, .groups = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
     .padding = "EXPLICIT", .pads = {4, 3, 5, 2}},
    /* depthwise: multiplier 2 strided, multiplier 1 dilated, large enough for several parts */
    {.n = 2, .h = 16, .w = 16, .c = 8, .kh = 3, .kw = 3, .o = 16, .groups = 0, .sh = 2, .sw = 2, .dh = 1, .dw = 1,
     .padding = "SAME"},
    {.n = 3, .h = 30, .w = 30, .c = 16, .kh = 3, .kw = 3, .o = 16, .groups = 0, .sh = 1, .sw = 1, .dh = 2, .dw = 2,
     .padding = "SAME"},
    {.n = 2, .h = 11, .w = 10, .c = 3, .kh = 2, .kw = 4, .o = 9, .groups = 0, .sh = 3, .sw = 1, .dh = 1, .dw = 1,
     .padding = "VALID"},
};

static void test_reference(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) {
    check_geometry(&geometries[i], RILL_DOUBLE, 2);
    if (geometries[i].groups) check_geometry(&geometries[i], RILL_INT32, 2);
  }
  /* float32 through every kernel family this CPU runs: AVX-512, AVX2, im2col + GEMM */
  static const char *isas[] = {"avx512", "avx2", "none"};
  int ran = 0;
  for (int k = 0; k < 3; k++) {
    if (!rill__conv_direct_select(isas[k])) continue;
    ran++;
    for (size_t i = 0; i < sizeof geometries / sizeof geometries[0]; i++) check_geometry(&geometries[i], RILL_FLOAT, 2);
  }
  assert_true(rill__conv_direct_select("auto"));
  assert_true(ran >= 1);
  /* one thread runs the tasks inline */
  check_geometry(&geometries[0], RILL_DOUBLE, 1);
  check_geometry(&geometries[0], RILL_FLOAT, 1);
  check_geometry(&geometries[15], RILL_DOUBLE, 1);
}

/* ---------------------------------------------------------------------------------------
 * thread-count independence */

static void run_layers(int threads, rill_tensor **out) {
  rill_graph *g = rill_graph_new();
  rill_graph_set_random_seed(g, 7);
  rill_output x1 = rill_random_normal(g, RILL_SHAPE(16, 28, 28, 1), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output f1 = rill_random_normal(g, RILL_SHAPE(5, 5, 1, 8), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output x2 = rill_random_normal(g, RILL_SHAPE(16, 14, 14, 8), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output f2 = rill_random_normal(g, RILL_SHAPE(5, 5, 8, 16), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output f3 = rill_random_normal(g, RILL_SHAPE(3, 3, 8, 2), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output y[3] = {rill_conv2d(g, x1, f1, S1, "SAME", NULL, NULL), rill_conv2d(g, x2, f2, S1, "SAME", NULL, NULL),
                      rill_depthwise_conv2d(g, x2, f3, S2, "SAME", NULL, NULL)};
  rill_output xs[6] = {x1, f1, x2, f2, x2, f3}, fetch[9];
  for (int i = 0; i < 3; i++) {
    fetch[i] = y[i];
    assert_true(rill_gradients(g, &y[i], 1, &xs[2 * i], 2, NULL, &fetch[3 + 2 * i]));
  }
  assert_graph_ok(g);
  rill_session_options o = rill_session_options_default();
  o.intra_op_threads = threads;
  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, &o, st);
  rill_session_run(s, NULL, NULL, 0, fetch, out, 9, NULL, 0, st);
  assert_status_ok(st);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_threads_bit_identical(void **state) {
  (void)state;
  rill_tensor *a[9], *b[9];
  run_layers(1, a);
  for (int threads = 2; threads <= 3; threads++) {
    run_layers(threads, b);
    for (int i = 0; i < 9; i++) {
      assert_int_equal(rill_tensor_num_elements(a[i]), rill_tensor_num_elements(b[i]));
      if (memcmp(rill_tensor_data(a[i]), rill_tensor_data(b[i]), (size_t)rill_tensor_num_elements(a[i]) * 4))
        fail_msg("fetch %d differs between 1 and %d threads", i, threads);
      rill_tensor_unref(b[i]);
    }
  }
  for (int i = 0; i < 9; i++) rill_tensor_unref(a[i]);
}

/* ---------------------------------------------------------------------------------------
 * the seeds */

static void test_seed_shapes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* seed-001 9.3: a [1, None, None, 3] input through a 5x5x3x16 SAME filter */
  rill_output in = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, -1, -1, 3), "input");
  rill_output w = rill_truncated_normal(g, RILL_SHAPE(5, 5, 3, 16), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output conv = rill_conv2d(g, in, w, S1, "SAME", NULL, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(conv), RILL_SHAPE(1, -1, -1, 16)));
  float tt[48];
  for (int i = 0; i < 48; i++) tt[i] = (float)i;
  rill_tensor *tv = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(1, 4, 4, 3), tt, sizeof tt, NULL);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_tensor *r = run1(s, conv, &in, &tv, 1, st);
  assert_status_ok(st);
  assert_true(rill_shape_equal(rill_tensor_shape(r), RILL_SHAPE(1, 4, 4, 16)));
  rill_tensor_unref(r);
  rill_tensor_unref(tv);
  rill_session_delete(s);

  /* the MNIST-expert and LeNet-5 layers, with an unknown batch */
  rill_output m = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 28, 28, 1), "mnist");
  rill_output c1 = rill_conv2d(g, m, rill_zeros(g, RILL_SHAPE(5, 5, 1, 32), RILL_FLOAT, NULL), S1, "SAME", NULL, NULL);
  rill_output p = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 14, 14, 32), "pool1");
  rill_output c2 = rill_conv2d(g, p, rill_zeros(g, RILL_SHAPE(5, 5, 32, 64), RILL_FLOAT, NULL), S1, "SAME", NULL, NULL);
  rill_output l = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 32, 32, 1), "lenet");
  rill_output lw1 = rill_zeros(g, RILL_SHAPE(5, 5, 1, 6), RILL_FLOAT, NULL);
  rill_output l1 = rill_conv2d(g, l, lw1, S1, "VALID", NULL, NULL);
  rill_output lp = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 14, 14, 6), "lenet_pool1");
  rill_output lw2 = rill_zeros(g, RILL_SHAPE(5, 5, 6, 16), RILL_FLOAT, NULL);
  rill_output l2 = rill_conv2d(g, lp, lw2, S1, "VALID", NULL, NULL);
  /* 2x2x3 -> 1x1x5 */
  rill_output q = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 2, 2, 3), "patch");
  rill_output qw = rill_zeros(g, RILL_SHAPE(2, 2, 3, 5), RILL_FLOAT, NULL);
  rill_output q1 = rill_conv2d(g, q, qw, S1, "VALID", NULL, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(c1), RILL_SHAPE(-1, 28, 28, 32)));
  assert_true(rill_shape_equal(rill_output_shape(c2), RILL_SHAPE(-1, 14, 14, 64)));
  assert_true(rill_shape_equal(rill_output_shape(l1), RILL_SHAPE(-1, 28, 28, 6)));
  assert_true(rill_shape_equal(rill_output_shape(l2), RILL_SHAPE(-1, 10, 10, 16)));
  assert_true(rill_shape_equal(rill_output_shape(q1), RILL_SHAPE(1, 1, 1, 5)));
  /* parameters: filter elements plus one bias per output channel (seed-001 9.3, 9.8) */
  assert_int_equal(rill_shape_num_elements(rill_output_shape(lw1)) + 6, 156);
  assert_int_equal(rill_shape_num_elements(rill_output_shape(lw2)) + 16, 2416);
  assert_int_equal(rill_shape_num_elements(rill_output_shape(qw)) + 5, 65);
  /* LeNet-5's connection counts: output elements per example times (window + bias) */
  rill_shape s1 = rill_output_shape(l1), s2 = rill_output_shape(l2);
  assert_int_equal(s1.dims[1] * s1.dims[2] * s1.dims[3] * (5 * 5 + 1), 122304);
  assert_int_equal(s2.dims[1] * s2.dims[2] * s2.dims[3] * (5 * 5 + 1), 41600);
  rill_status_delete(st);
  rill_graph_delete(g);
}

/* seed-001 9.3's scipy oracle: ndimage.convolve(arange(12).reshape(3, 4), k, mode='constant')
 * is a true convolution, i.e. TF's correlation with the kernel turned 180 degrees. */
static void test_seed_convolve_oracle(void **state) {
  (void)state;
  static const double want[12] = {10, 18, 23, 16, 27, 40, 46, 28, 22, 25, 28, 11};
  rill_graph *g = rill_graph_new();
  float a[12], k[9] = {0, 0, 1, 0, 1, 1, 1, 1, 1}; /* [[1,1,1],[1,1,0],[1,0,0]][::-1, ::-1] */
  int32_t ai[12], ki[9];
  for (int i = 0; i < 12; i++) a[i] = (float)(ai[i] = i);
  for (int i = 0; i < 9; i++) ki[i] = (int32_t)k[i];
  rill_output y = rill_conv2d(g, rill_const_float(g, a, 12, RILL_SHAPE(1, 3, 4, 1), NULL),
                              rill_const_float(g, k, 9, RILL_SHAPE(3, 3, 1, 1), NULL), S1, "SAME", NULL, NULL);
  rill_output yi = rill_conv2d(g, rill_const_int32(g, ai, 12, RILL_SHAPE(1, 3, 4, 1), NULL),
                               rill_const_int32(g, ki, 9, RILL_SHAPE(3, 3, 1, 1), NULL), S1, "SAME", NULL, NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_output outs[2] = {y, yi};
  for (int j = 0; j < 2; j++) {
    rill_tensor *r = rill_session_eval(s, outs[j], NULL);
    assert_non_null(r);
    assert_int_equal(rill_tensor_dtype(r), j ? RILL_INT32 : RILL_FLOAT);
    for (int i = 0; i < 12; i++) assert_float_equal(rill_tensor_get(r, i), want[i], 0);
    rill_tensor_unref(r);
  }
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* ---------------------------------------------------------------------------------------
 * graph structure: names, attributes, gradients */

static void test_names_and_attrs(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 8, 8, 3), "x");
  rill_output w = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 3, 4), "w");
  rill_output dwf = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 3, 2), "dwf");
  rill_output v = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2, 4, 4, 4), "v");
  rill_output c = rill_conv2d(g, x, w, S1, "SAME", NULL, NULL), c2 = rill_conv2d(g, x, w, S2, "VALID", NULL, NULL);
  rill_output d = rill_depthwise_conv2d(g, x, dwf, S1, "SAME", NULL, NULL);
  const int64_t os[4] = {2, 8, 8, 3};
  rill_output t = rill_conv2d_transpose(g, v, w, os, S2, "SAME", NULL);
  rill_output t2 = rill_conv2d_transpose(g, v, w, os, S2, "SAME", "up");
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(c.op), "Conv2D");
  assert_string_equal(rill_op_name(c2.op), "Conv2D_1");
  assert_string_equal(rill_op_name(d.op), "depthwise");
  assert_string_equal(rill_op_type(d.op), "DepthwiseConv2dNative");
  assert_string_equal(rill_op_name(t.op), "conv2d_transpose");
  assert_string_equal(rill_op_type(t.op), "Conv2DBackpropInput");
  assert_string_equal(rill_op_name(rill_op_input(t.op, 0).op), "conv2d_transpose/input_sizes");
  assert_string_equal(rill_op_name(t2.op), "up");
  assert_true(rill_shape_equal(rill_output_shape(c), RILL_SHAPE(-1, 8, 8, 4)));
  assert_true(rill_shape_equal(rill_output_shape(c2), RILL_SHAPE(-1, 3, 3, 4)));
  assert_true(rill_shape_equal(rill_output_shape(d), RILL_SHAPE(-1, 8, 8, 6)));
  assert_true(rill_shape_equal(rill_output_shape(t), RILL_SHAPE(2, 8, 8, 3)));
  /* TF's GraphDef attributes */
  const int64_t *l;
  assert_int_equal(rill_op_attr_int_list(c2.op, "strides", &l), 4);
  assert_int_equal(l[1], 2);
  assert_int_equal(rill_op_attr_int_list(c.op, "dilations", &l), 4);
  assert_int_equal(l[0] + l[1] + l[2] + l[3], 4);
  assert_int_equal(rill_op_attr_int_list(c.op, "explicit_paddings", &l), 0);
  assert_string_equal(rill_op_attr_string(c2.op, "padding"), "VALID");
  assert_string_equal(rill_op_attr_string(c.op, "data_format"), "NHWC");
  assert_true(rill_op_attr_bool(c.op, "use_cudnn_on_gpu", false));
  assert_int_equal(rill_op_attr_type(c.op, "T", RILL_INT64), RILL_FLOAT);
  assert_int_equal(rill_op_attr_type(t.op, "T", RILL_INT64), RILL_FLOAT);
  assert_int_equal(rill_op_num_attrs(d.op), 6); /* T, strides, padding, explicit_paddings, data_format, dilations */
  assert_int_equal(rill_op_num_attrs(c.op), 7);
  /* gradients: nn_grad.py's ops under gradients/<op>_grad, attributes carried over */
  rill_output xs[2] = {x, w}, dx[2];
  assert_true(rill_gradients(g, &c2, 1, xs, 2, NULL, dx));
  assert_graph_ok(g);
  assert_string_equal(rill_op_type(dx[0].op), "Conv2DBackpropInput");
  assert_string_equal(rill_op_type(dx[1].op), "Conv2DBackpropFilter");
  assert_true(!strncmp(rill_op_name(dx[0].op), "gradients/Conv2D_1_grad/", 24));
  assert_string_equal(rill_op_attr_string(dx[0].op, "padding"), "VALID");
  assert_int_equal(rill_op_attr_int_list(dx[1].op, "strides", &l), 4);
  assert_int_equal(l[2], 2);
  /* the input gradient's shape comes from x's partial shape */
  assert_true(rill_shape_equal(rill_output_shape(dx[0]), RILL_SHAPE(-1, 8, 8, 3)));
  assert_true(rill_shape_equal(rill_output_shape(dx[1]), RILL_SHAPE(3, 3, 3, 4)));
  rill_output vs[2] = {v, w}, dt[2];
  assert_true(rill_gradients(g, &t, 1, vs, 2, NULL, dt));
  assert_string_equal(rill_op_type(dt[0].op), "Conv2D");
  assert_string_equal(rill_op_type(dt[1].op), "Conv2DBackpropFilter");
  rill_output dws[2] = {x, dwf}, dd[2];
  assert_true(rill_gradients(g, &d, 1, dws, 2, NULL, dd));
  assert_string_equal(rill_op_type(dd[0].op), "DepthwiseConv2dNativeBackpropInput");
  assert_string_equal(rill_op_type(dd[1].op), "DepthwiseConv2dNativeBackpropFilter");
  assert_graph_ok(g);
  rill_graph_delete(g);
}

/* input_sizes known only when running: the batch comes from out_backprop, like TF. */
static void test_backprop_partial_sizes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output sz = rill_placeholder(g, RILL_INT32, RILL_SHAPE(4), "sizes");
  rill_output w = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 4, 4), "w");
  rill_output dy = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), "dy");
  rill_output b = rill_conv2d_backprop_input(g, sz, w, dy, S1, "SAME", NULL, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(b), RILL_SHAPE(1, -1, -1, -1)));
  /* two spatial sizes: batch from out_backprop, depth from the filter */
  const int32_t hw[2] = {5, 5};
  rill_output b2 = rill_conv2d_backprop_input(g, rill_const_int32(g, hw, 2, RILL_SHAPE(2), NULL), w, dy, S1, "SAME",
                                              NULL, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(b2), RILL_SHAPE(1, 5, 5, 4)));
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_tensor *r = rill_session_eval(s, b2, NULL);
  assert_null(r); /* unfed placeholders */
  const int32_t szv[4] = {1, 5, 5, 4};
  float ones[100], wv[144];
  for (int i = 0; i < 100; i++) ones[i] = 1;
  for (int i = 0; i < 144; i++) wv[i] = (float)(i % 5) - 2;
  rill_tensor *vals[3] = {rill_tensor_from_data(RILL_INT32, RILL_SHAPE(4), szv, sizeof szv, NULL),
                          rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(3, 3, 4, 4), wv, sizeof wv, NULL),
                          rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), ones, sizeof ones, NULL)};
  rill_output ph[3] = {sz, w, dy}, fetch[2] = {b, b2};
  rill_tensor *out[2];
  rill_session_run(s, ph, vals, 3, fetch, out, 2, NULL, 0, st);
  assert_status_ok(st);
  assert_true(rill_shape_equal(rill_tensor_shape(out[0]), RILL_SHAPE(1, 5, 5, 4)));
  assert_memory_equal(rill_tensor_data(out[0]), rill_tensor_data(out[1]), 100 * sizeof(float));
  for (int i = 0; i < 2; i++) rill_tensor_unref(out[i]);
  /* sizes that do not match out_backprop: TF's message */
  const int32_t bad[4] = {1, 6, 5, 4};
  rill_tensor_unref(vals[0]);
  vals[0] = rill_tensor_from_data(RILL_INT32, RILL_SHAPE(4), bad, sizeof bad, NULL);
  rill_tensor *r1 = run1(s, b, ph, vals, 3, st);
  assert_null(r1);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(st),
                  "Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed: actual = 5, computed = 6 "
                  "spatial_dim: 1 input: 6 filter: 3 output: 5 stride: 1 dilation: 1");
  for (int i = 0; i < 3; i++) rill_tensor_unref(vals[i]);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_zero_sizes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 5, 5, 4), "x");
  rill_output w = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 4, 2), "w");
  rill_output y = rill_conv2d(g, x, w, S1, "SAME", NULL, NULL);
  rill_output xs[2] = {x, w}, d[2];
  assert_true(rill_gradients(g, &y, 1, xs, 2, NULL, d));
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  float wv[72];
  for (int i = 0; i < 72; i++) wv[i] = 1;
  rill_tensor *vals[2] = {rill_tensor_new(RILL_FLOAT, RILL_SHAPE(0, 5, 5, 4), NULL),
                          rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(3, 3, 4, 2), wv, sizeof wv, NULL)};
  rill_output fetch[3] = {y, d[0], d[1]};
  rill_tensor *out[3];
  rill_session_run(s, xs, vals, 2, fetch, out, 3, NULL, 0, st);
  assert_status_ok(st);
  assert_true(rill_shape_equal(rill_tensor_shape(out[0]), RILL_SHAPE(0, 5, 5, 2)));
  assert_true(rill_shape_equal(rill_tensor_shape(out[1]), RILL_SHAPE(0, 5, 5, 4)));
  /* an empty batch contributes nothing to the filter gradient */
  for (int i = 0; i < 72; i++) assert_float_equal(rill_tensor_float(out[2])[i], 0, 0);
  for (int i = 0; i < 3; i++) rill_tensor_unref(out[i]);
  for (int i = 0; i < 2; i++) rill_tensor_unref(vals[i]);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* ---------------------------------------------------------------------------------------
 * errors */

static void expect_build_error(rill_graph *g, const char *msg) {
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)), msg);
}

static void test_shape_errors(void **state) {
  (void)state;
  struct {
    rill_shape x, f;
    const int64_t *strides;
    const char *padding;
    const char *msg;
  } cases[] = {
      {RILL_SHAPE(1, 3, 3, 4), RILL_SHAPE(5, 5, 4, 4), S1, "VALID",
       "Negative dimension size caused by subtracting 5 from 3"},
      {RILL_SHAPE(1, 4, 4, 4), RILL_SHAPE(5, 5, 4, 4), S1, "VALID",
       "Negative dimension size caused by subtracting 5 from 4"},
      {RILL_SHAPE(1, 5, 5, 4), RILL_SHAPE(3, 3, 3, 4), S1, "SAME",
       "Depth of input (4) is not a multiple of input depth of filter (3) for 'Conv2D' (op: 'Conv2D') with input shapes: "
       "[1,5,5,4], [3,3,3,4]"},
      {RILL_SHAPE(1, 5, 5, 4), RILL_SHAPE(3, 3, 2, 3), S1, "SAME",
       "Depth of output (3) is not a multiple of the number of groups (2)"},
      {RILL_SHAPE(5, 5, 4), RILL_SHAPE(3, 3, 4, 4), S1, "SAME", "Shape must be rank 4 but is rank 3"},
      {RILL_SHAPE(1, 5, 5, 4), RILL_SHAPE(3, 3, 4), S1, "SAME", "Shape must be rank 4 but is rank 3"},
      {RILL_SHAPE(1, 5, 5, 4), RILL_SHAPE(3, 3, 4, 4), S1, "FOO",
       "Attr 'padding' of 'Conv2D' Op passed string 'FOO' not in: \"SAME\", \"VALID\", \"EXPLICIT\"."},
      {RILL_SHAPE(1, 5, 5, 4), RILL_SHAPE(3, 3, 4, 4), (const int64_t[]){1, 0, 1, 1}, "SAME",
       "Stride must be > 0, but got 0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rill_graph *g = rill_graph_new();
    rill_output x = rill_placeholder(g, RILL_FLOAT, cases[i].x, "x"), f = rill_placeholder(g, RILL_FLOAT, cases[i].f, "f");
    assert_null(rill_conv2d(g, x, f, cases[i].strides, cases[i].padding, NULL, NULL).op);
    expect_build_error(g, cases[i].msg);
    rill_graph_delete(g);
  }
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), "x");
  rill_conv2d(g, x, rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 4, 4), "f"), S1, "SAME",
              (const int64_t[]){1, 0, 1, 1}, NULL);
  expect_build_error(g, "Dilation rate must be >= 1, but got 0");
  rill_graph_delete(g);
  g = rill_graph_new();
  x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), "x");
  rill_depthwise_conv2d(g, x, rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 3, 2), "f"), S1, "SAME", NULL, NULL);
  expect_build_error(g, "Dimensions must be equal, but are 4 and 3");
  rill_graph_delete(g);
  g = rill_graph_new();
  x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), "x");
  rill_depthwise_conv2d(g, x, rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 4, 2), "f"), S2, "SAME",
                        (const int64_t[]){2, 2}, NULL);
  expect_build_error(g, "strides > 1 not supported in conjunction with dilation_rate > 1");
  rill_graph_delete(g);
  /* conv2d_transpose: the filter's output channels must match the value's */
  g = rill_graph_new();
  rill_conv2d_transpose(g, rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(1, 5, 5, 4), "v"),
                        rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 3, 2, 3), "f"), (const int64_t[]){1, 10, 10, 2},
                        S2, "SAME", NULL);
  expect_build_error(g, "Dimensions must be equal, but are 4 and 3");
  rill_graph_delete(g);
  /* integer conv is TF's; int64 is not */
  g = rill_graph_new();
  x = rill_placeholder(g, RILL_INT64, RILL_SHAPE(1, 5, 5, 4), "x");
  rill_conv2d(g, x, rill_placeholder(g, RILL_INT64, RILL_SHAPE(3, 3, 4, 4), "f"), S1, "SAME", NULL, NULL);
  expect_build_error(g, "Value for attr 'T' of int64 is not in the list of allowed values: half, bfloat16, float, "
                        "double, int32");
  rill_graph_delete(g);
}

static void expect_run_error(rill_graph *g, rill_output y, rill_code code, const char *msg) {
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  assert_null(rill_session_eval(s, y, st));
  assert_int_equal(rill_status_code(st), code);
  assert_contains(rill_status_message(st), msg);
  rill_status_delete(st);
  rill_session_delete(s);
}

static void test_kernel_errors(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_zeros(g, RILL_SHAPE(1, 5, 5, 4), RILL_FLOAT, NULL);
  rill_output f = rill_zeros(g, RILL_SHAPE(3, 3, 4, 4), RILL_FLOAT, NULL);
  rill_output y = rill_conv2d(g, x, f, (const int64_t[]){2, 1, 1, 1}, "SAME", NULL, NULL);
  expect_run_error(g, y, RILL_UNIMPLEMENTED,
                   "Current implementation does not yet support strides in the batch and depth dimensions.");
  y = rill_conv2d(g, x, f, S1, "SAME", (const int64_t[]){1, 1, 1, 2}, NULL);
  expect_run_error(g, y, RILL_UNIMPLEMENTED,
                   "Current implementation does not yet support dilations in the batch and depth dimensions.");
  /* NCHW infers like TF and fails on the CPU like TF */
  rill_op_builder *b = rill_op_builder_new(g, "Conv2D", NULL);
  rill_op_builder_add_inputs(b, (rill_output[]){rill_zeros(g, RILL_SHAPE(1, 4, 5, 5), RILL_FLOAT, NULL), f}, 2);
  rill_op_builder_attr_type(b, "T", RILL_FLOAT);
  rill_op_builder_attr_int_list(b, "strides", S1, 4);
  rill_op_builder_attr_string(b, "padding", "SAME");
  rill_op_builder_attr_string(b, "data_format", "NCHW");
  y = rill_op_output(rill_op_builder_finish(b), 0);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(y), RILL_SHAPE(1, 4, 5, 5)));
  expect_run_error(g, y, RILL_UNIMPLEMENTED,
                   "The Conv2D op currently only supports the NHWC tensor format on the CPU. The op was given the "
                   "format: NCHW");
  /* shapes only known when running */
  rill_output px = rill_placeholder_with_default(g, rill_zeros(g, RILL_SHAPE(1, 3, 3, 4), RILL_FLOAT, NULL),
                                                 rill_shape_unknown(), NULL);
  y = rill_conv2d(g, px, rill_zeros(g, RILL_SHAPE(5, 5, 4, 4), RILL_FLOAT, NULL), S1, "VALID", NULL, NULL);
  expect_run_error(g, y, RILL_INVALID_ARGUMENT,
                   "Computed output size would be negative: -1 [input_size: 3, effective_filter_size: 5, stride: 1]");
  rill_output pf = rill_placeholder_with_default(g, rill_zeros(g, RILL_SHAPE(3, 3, 3, 4), RILL_FLOAT, NULL),
                                                 rill_shape_unknown(), NULL);
  y = rill_conv2d(g, x, pf, S1, "SAME", NULL, NULL);
  expect_run_error(g, y, RILL_INVALID_ARGUMENT, "input depth must be evenly divisible by filter depth: 4 vs 3");
  rill_output df = rill_placeholder_with_default(g, rill_zeros(g, RILL_SHAPE(3, 3, 3, 2), RILL_FLOAT, NULL),
                                                 rill_shape_unknown(), NULL);
  y = rill_depthwise_conv2d(g, x, df, S1, "SAME", NULL, NULL);
  expect_run_error(g, y, RILL_INVALID_ARGUMENT, "input and filter must have the same depth: 4 vs 3");
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_reference),
      cmocka_unit_test(test_threads_bit_identical),
      cmocka_unit_test(test_seed_shapes),
      cmocka_unit_test(test_seed_convolve_oracle),
      cmocka_unit_test(test_names_and_attrs),
      cmocka_unit_test(test_backprop_partial_sizes),
      cmocka_unit_test(test_zero_sizes),
      cmocka_unit_test(test_shape_errors),
      cmocka_unit_test(test_kernel_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
