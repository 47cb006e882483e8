/* Golden test: every op's forward values and gradients against real TensorFlow.
 *
 * tests/golden/ops.txt is written by tests/golden/make_op_fixtures.py (format in its
 * docstring). Each case is rebuilt in a fresh graph through the public builders (the dispatch
 * table below maps the fixture's builder name to a call), its inputs fed through placeholders,
 * and rill_gradients run with TF's grad_ys. Tolerances: float32 1e-5 and float64 1e-10, both
 * relative plus absolute (|d| <= t + t*|expected|), unless the case carries a "tol" line;
 * integers, bools, dtypes and shapes must match exactly. A gradient TF has and Rill lacks
 * fails, and so does one Rill returns where TF returns None.
 * Environment: RILL_GOLDEN_OPS overrides the fixture path, RILL_GOLDEN_FILTER runs only cases
 * whose name contains it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

#define MAX_IO 16
#define MAX_PARAMS 16

/* ---------------------------------------------------------------------------------------
 * fixture cases */

typedef struct params {
  int n;
  char *key[MAX_PARAMS], *val[MAX_PARAMS];
  char err[160]; /* first missing or malformed parameter */
} params;

typedef struct gcase {
  int line;
  char *name, *builder;
  params p;
  double tol; /* 0: the dtype's default */
  int n_in, n_gy, n_out, n_grad;
  rill_tensor *in[MAX_IO], *gy[MAX_IO], *out[MAX_IO];
  int grad_input[MAX_IO];
  rill_tensor *grad[MAX_IO]; /* NULL: TF returns None */
} gcase;

static void case_free(gcase *c) {
  free(c->name);
  free(c->builder);
  for (int i = 0; i < c->p.n; i++) free(c->p.key[i]);
  for (int i = 0; i < c->n_in; i++) rill_tensor_unref(c->in[i]);
  for (int i = 0; i < c->n_gy; i++) rill_tensor_unref(c->gy[i]);
  for (int i = 0; i < c->n_out; i++) rill_tensor_unref(c->out[i]);
  for (int i = 0; i < c->n_grad; i++) rill_tensor_unref(c->grad[i]);
  memset(c, 0, sizeof *c);
}

static bool parse_dtype(const char *s, rill_dtype *t) {
  static const struct { const char *name; rill_dtype t; } names[] = {
      {"float32", RILL_FLOAT}, {"float64", RILL_DOUBLE}, {"int32", RILL_INT32},
      {"int64", RILL_INT64}, {"bool", RILL_BOOL}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i].name)) {
      *t = names[i].t;
      return true;
    }
  return false;
}

/* "[2,3]" or "[]" */
static bool parse_shape(const char *s, rill_shape *shape) {
  size_t len = strlen(s);
  if (len < 2 || s[0] != '[' || s[len - 1] != ']') return false;
  shape->rank = 0;
  const char *p = s + 1;
  while (*p != ']') {
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0 || shape->rank == RILL_MAX_RANK) return false;
    shape->dims[shape->rank++] = d;
    p = end;
    if (*p == ',') p++;
  }
  return true;
}

/* "<dtype> <shape> <values...>" from the strtok_r state. NULL on malformed input. */
static rill_tensor *parse_tensor(char **save) {
  char *dt = strtok_r(NULL, " \t\n", save), *sh = strtok_r(NULL, " \t\n", save);
  rill_dtype t;
  rill_shape shape;
  if (!dt || !sh || !parse_dtype(dt, &t) || !parse_shape(sh, &shape)) return NULL;
  rill_tensor *x = rill_tensor_new(t, shape, NULL);
  if (!x) return NULL;
  int64_t n = rill_tensor_num_elements(x);
  void *data = rill_tensor_data(x);
  for (int64_t i = 0; i < n; i++) {
    char *tok = strtok_r(NULL, " \t\n", save), *end;
    if (!tok) goto bad;
    switch (t) {
      case RILL_FLOAT: ((float *)data)[i] = strtof(tok, &end); break;
      case RILL_DOUBLE: ((double *)data)[i] = strtod(tok, &end); break;
      case RILL_INT32: ((int32_t *)data)[i] = (int32_t)strtol(tok, &end, 10); break;
      case RILL_INT64: ((int64_t *)data)[i] = strtoll(tok, &end, 10); break;
      default: ((bool *)data)[i] = strtol(tok, &end, 10) != 0; break;
    }
    if (*end) goto bad;
  }
  if (strtok_r(NULL, " \t\n", save)) goto bad;
  return x;
bad:
  rill_tensor_unref(x);
  return NULL;
}

/* Reads the next case; false at the end of the file. *err is set for a malformed case. */
static bool read_case(FILE *f, int *lineno, gcase *c, char *err, size_t cap) {
  char *line = NULL;
  size_t lcap = 0;
  bool in_case = false;
  err[0] = 0;
  memset(c, 0, sizeof *c);
  while (getline(&line, &lcap, f) >= 0) {
    (*lineno)++;
    char *save, *kw = strtok_r(line, " \t\n", &save);
    if (!kw || kw[0] == '#') continue;
    if (!strcmp(kw, "case")) {
      char *name = strtok_r(NULL, " \t\n", &save), *builder = strtok_r(NULL, " \t\n", &save);
      if (in_case || !name || !builder) goto malformed;
      in_case = true;
      c->line = *lineno;
      c->name = strdup(name);
      c->builder = strdup(builder);
      for (char *kv; (kv = strtok_r(NULL, " \t\n", &save));) {
        if (!strchr(kv, '=') || c->p.n == MAX_PARAMS) goto malformed;
        /* one allocation holds "key\0value" */
        char *dup = strdup(kv), *eq = strchr(dup, '=');
        *eq = 0;
        c->p.key[c->p.n] = dup;
        c->p.val[c->p.n] = eq + 1;
        c->p.n++;
      }
      continue;
    }
    if (!in_case) goto malformed;
    if (!strcmp(kw, "end")) {
      free(line);
      return true;
    } else if (!strcmp(kw, "tol")) {
      char *v = strtok_r(NULL, " \t\n", &save);
      if (!v || (c->tol = strtod(v, NULL)) <= 0) goto malformed;
    } else if (!strcmp(kw, "input") && c->n_in < MAX_IO) {
      if (!(c->in[c->n_in++] = parse_tensor(&save))) goto malformed;
    } else if (!strcmp(kw, "grad_y") && c->n_gy < MAX_IO) {
      if (!(c->gy[c->n_gy++] = parse_tensor(&save))) goto malformed;
    } else if (!strcmp(kw, "output") && c->n_out < MAX_IO) {
      if (!(c->out[c->n_out++] = parse_tensor(&save))) goto malformed;
    } else if (!strcmp(kw, "grad") && c->n_grad < MAX_IO) {
      char *idx = strtok_r(NULL, " \t\n", &save);
      if (!idx) goto malformed;
      int k = c->n_grad++;
      c->grad_input[k] = atoi(idx);
      if (c->grad_input[k] < 0 || c->grad_input[k] >= c->n_in) goto malformed;
      char *peek = save;
      while (*peek == ' ') peek++;
      if (!strncmp(peek, "none", 4)) continue;
      if (!(c->grad[k] = parse_tensor(&save))) goto malformed;
    } else {
      goto malformed;
    }
  }
  free(line);
  if (in_case) snprintf(err, cap, "line %d: case %s has no 'end'", *lineno, c->name);
  return in_case;
malformed:
  snprintf(err, cap, "line %d: malformed fixture line", *lineno);
  free(line);
  return true;
}

/* ---------------------------------------------------------------------------------------
 * case parameters */

static const char *pget(params *p, const char *key) {
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->key[i], key)) return p->val[i];
  if (!p->err[0]) snprintf(p->err, sizeof p->err, "missing parameter %s", key);
  return NULL;
}

static bool p_has(const params *p, const char *key) {
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->key[i], key)) return true;
  return false;
}

static int64_t p_int(params *p, const char *key) {
  const char *v = pget(p, key);
  char *end;
  if (!v) return 0;
  long long x = strtoll(v, &end, 10);
  if (*end && !p->err[0]) snprintf(p->err, sizeof p->err, "parameter %s=%s is not an integer", key, v);
  return x;
}

static double p_double(params *p, const char *key) {
  const char *v = pget(p, key);
  return v ? strtod(v, NULL) : 0;
}

static bool p_bool(params *p, const char *key) { return p_int(p, key) != 0; }

static rill_dtype p_dtype(params *p, const char *key) {
  const char *v = pget(p, key);
  rill_dtype t = RILL_DT_INVALID;
  if (v && !parse_dtype(v, &t) && !p->err[0]) snprintf(p->err, sizeof p->err, "bad dtype %s", v);
  return t;
}

/* A comma list into v (room for MAX_IO); returns its length, or -1 for "none". */
static int p_list(params *p, const char *key, int64_t *v) {
  const char *s = pget(p, key);
  if (!s || !strcmp(s, "none")) return -1;
  int n = 0;
  while (*s) {
    char *end;
    long long x = strtoll(s, &end, 10);
    if (end == s || n == MAX_IO) {
      if (!p->err[0]) snprintf(p->err, sizeof p->err, "bad list %s", key);
      return -1;
    }
    v[n++] = x;
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

/* An int list as the int array reductions and transposes take (NULL for "none"; a non-NULL
 * pointer with n 0 for an empty list). */
static const int *p_int_axes(params *p, const char *key, int *storage, int *n) {
  int64_t v[MAX_IO];
  *n = p_list(p, key, v);
  if (*n < 0) {
    *n = 0;
    return NULL;
  }
  for (int i = 0; i < *n; i++) storage[i] = (int)v[i];
  return storage;
}

/* ---------------------------------------------------------------------------------------
 * builders: in[] are the placeholders of the case's inputs; return the output count */

typedef int (*build_fn)(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out);

static bool is_float(rill_dtype t) { return t == RILL_FLOAT || t == RILL_DOUBLE; }

#define BINARY(fn)                                                                                  \
  static int b_##fn(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {  \
    out[0] = rill_##fn(g, in[0], in[1], NULL);                                                      \
    return 1;                                                                                       \
  }
#define UNARY(fn)                                                                                   \
  static int b_##fn(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {  \
    out[0] = rill_##fn(g, in[0], NULL);                                                             \
    return 1;                                                                                       \
  }
#define REDUCE(fn)                                                                                  \
  static int b_##fn(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {  \
    int axes[MAX_IO], n;                                                                            \
    const int *a = p_int_axes(p, "axes", axes, &n);                                                 \
    out[0] = rill_##fn(g, in[0], a, n, p_bool(p, "keepdims"), NULL);                                \
    return 1;                                                                                       \
  }

BINARY(add) BINARY(sub) BINARY(mul) BINARY(div) BINARY(floordiv) BINARY(mod) BINARY(maximum)
BINARY(minimum) BINARY(pow) BINARY(squared_difference) BINARY(equal) BINARY(not_equal)
BINARY(greater) BINARY(greater_equal) BINARY(less) BINARY(less_equal) BINARY(logical_and)
BINARY(logical_or) BINARY(reshape_to) BINARY(bias_add) BINARY(mean_squared_error)
BINARY(softmax_cross_entropy_with_logits) BINARY(sparse_softmax_cross_entropy_with_logits)
BINARY(sigmoid_cross_entropy_with_logits)
UNARY(neg) UNARY(abs) UNARY(sign) UNARY(square) UNARY(sqrt) UNARY(rsqrt) UNARY(exp) UNARY(log)
UNARY(log1p) UNARY(reciprocal) UNARY(sigmoid) UNARY(tanh) UNARY(logical_not) UNARY(identity)
UNARY(stop_gradient) UNARY(zeros_like) UNARY(ones_like) UNARY(size) UNARY(rank) UNARY(relu)
UNARY(relu6) UNARY(elu) UNARY(softplus) UNARY(softmax) UNARY(log_softmax) UNARY(l2_loss)
REDUCE(reduce_sum) REDUCE(reduce_mean) REDUCE(reduce_max) REDUCE(reduce_min) REDUCE(reduce_prod)

static int b_add_n(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_add_n(g, in, n_in, NULL);
  return 1;
}

static int b_where(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_where(g, in[0], in[1], in[2], NULL);
  return 1;
}

static int b_cast(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_cast(g, in[0], p_dtype(p, "dtype"), NULL);
  return 1;
}

static int b_argmax(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_argmax(g, in[0], (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_argmin(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_argmin(g, in[0], (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_matmul(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_matmul(g, in[0], in[1], p_bool(p, "transpose_a"), p_bool(p, "transpose_b"), NULL);
  return 1;
}

static int b_tensordot(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int a[MAX_IO], b[MAX_IO], na, nb;
  const int *pa = p_int_axes(p, "axes_a", a, &na), *pb = p_int_axes(p, "axes_b", b, &nb);
  if (na != nb && !p->err[0]) snprintf(p->err, sizeof p->err, "axes_a and axes_b differ in length");
  out[0] = rill_tensordot(g, in[0], in[1], pa ? pa : a, pb ? pb : b, na, NULL);
  return 1;
}

static int b_clip_by_value(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_clip_by_value(g, in[0], p_double(p, "lo"), p_double(p, "hi"), NULL);
  return 1;
}

static int b_clip_by_norm(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_clip_by_norm(g, in[0], p_double(p, "clip"), NULL);
  return 1;
}

/* outputs: the clipped tensors, then the global norm (TF's tuple order) */
static int b_clip_by_global_norm(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[n_in] = rill_clip_by_global_norm(g, in, n_in, p_double(p, "clip"), out, NULL);
  return n_in + 1;
}

static int b_reshape(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t d[MAX_IO];
  int n = p_list(p, "dims", d);
  out[0] = rill_reshape(g, in[0], d, n < 0 ? 0 : n, NULL);
  return 1;
}

static int b_squeeze(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int axes[MAX_IO], n;
  const int *a = p_int_axes(p, "axes", axes, &n);
  out[0] = rill_squeeze(g, in[0], a, n, NULL);
  return 1;
}

static int b_expand_dims(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_expand_dims(g, in[0], (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_transpose(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int perm[MAX_IO], n;
  out[0] = rill_transpose(g, in[0], p_int_axes(p, "perm", perm, &n), NULL);
  return 1;
}

static int b_slice(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t begin[MAX_IO], size[MAX_IO];
  p_list(p, "begin", begin);
  p_list(p, "size", size);
  out[0] = rill_slice(g, in[0], begin, size, NULL);
  return 1;
}

static int b_strided_slice(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t begin[MAX_IO], end[MAX_IO], strides[MAX_IO];
  int n = p_list(p, "begin", begin);
  if ((p_list(p, "end", end) != n || p_list(p, "strides", strides) != n) && !p->err[0])
    snprintf(p->err, sizeof p->err, "begin, end and strides differ in length");
  out[0] = rill_strided_slice(g, in[0], begin, end, strides, n, (int)p_int(p, "begin_mask"),
                              (int)p_int(p, "end_mask"), (int)p_int(p, "ellipsis_mask"),
                              (int)p_int(p, "new_axis_mask"), (int)p_int(p, "shrink_axis_mask"), NULL);
  return 1;
}

static int b_concat(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_concat(g, in, n_in, (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_split(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int num = (int)p_int(p, "num");
  if (num < 1 || num > MAX_IO) return 0;
  rill_split(g, in[0], num, (int)p_int(p, "axis"), out, NULL);
  return num;
}

static int b_stack(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_stack(g, in, n_in, (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_unstack(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int num = (int)p_int(p, "num");
  if (num < 1 || num > MAX_IO) return 0;
  rill_unstack(g, in[0], num, (int)p_int(p, "axis"), out, NULL);
  return num;
}

static int b_tile(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t m[MAX_IO];
  p_list(p, "multiples", m);
  out[0] = rill_tile(g, in[0], m, NULL);
  return 1;
}

static int b_pad(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t pads[MAX_IO];
  p_list(p, "paddings", pads);
  out[0] = rill_pad(g, in[0], pads, NULL);
  return 1;
}

static int b_gather(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_gather(g, in[0], in[1], (int)p_int(p, "axis"), NULL);
  return 1;
}

static int b_one_hot(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_one_hot(g, in[0], (int)p_int(p, "depth"), p_double(p, "on"), p_double(p, "off"),
                        (int)p_int(p, "axis"), p_dtype(p, "dtype"), NULL);
  return 1;
}

static int b_fill(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int64_t d[MAX_IO];
  int n = p_list(p, "dims", d);
  out[0] = rill_fill(g, d, n < 0 ? 0 : n, in[0], NULL);
  return 1;
}

static rill_shape p_shape(params *p, const char *key) {
  int64_t d[MAX_IO];
  int n = p_list(p, key, d);
  return rill_shape_make(d, n < 0 ? 0 : n);
}

static int b_zeros(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_zeros(g, p_shape(p, "shape"), p_dtype(p, "dtype"), NULL);
  return 1;
}

static int b_ones(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_ones(g, p_shape(p, "shape"), p_dtype(p, "dtype"), NULL);
  return 1;
}

static int b_shape(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_shape_of(g, in[0], p_dtype(p, "out_type"), NULL);
  return 1;
}

static int b_range(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_range(g, p_double(p, "start"), p_double(p, "limit"), p_double(p, "delta"), p_dtype(p, "dtype"),
                      NULL);
  return 1;
}

static int b_leaky_relu(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_leaky_relu(g, in[0], p_double(p, "alpha"), NULL);
  return 1;
}

static int b_l1_regularizer(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_l1_regularizer(g, p_double(p, "scale"), in[0], NULL);
  return 1;
}

static int b_l2_regularizer(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_l2_regularizer(g, p_double(p, "scale"), in[0], NULL);
  return 1;
}

static int b_l1_l2_regularizer(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  out[0] = rill_l1_l2_regularizer(g, p_double(p, "l1"), p_double(p, "l2"), in[0], NULL);
  return 1;
}

/* inputs: n logits, n targets, n weights */
static int b_sequence_loss(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  int n = (int)p_int(p, "n");
  if (n < 1 || 3 * n != n_in) return 0;
  out[0] = rill_sequence_loss_by_example(g, in, in + n, in + 2 * n, n, p_bool(p, "average"), NULL);
  return 1;
}

static int b_placeholder_with_default(rill_graph *g, const rill_output *in, int n_in, params *p,
                                      rill_output *out) {
  int64_t d[MAX_IO];
  int n = p_list(p, "shape", d);
  out[0] = rill_placeholder_with_default(g, in[0], rill_shape_make(d, n < 0 ? 0 : n), NULL);
  return 1;
}

typedef struct builder {
  const char *name;
  int n_inputs; /* -1: any */
  build_fn fn;
} builder;

static const builder *find_builder(const char *name);

/* The builder named by parameter "op", checked to take n inputs. */
static const builder *inner_builder(params *p, int n) {
  const char *name = pget(p, "op");
  const builder *b = name ? find_builder(name) : NULL;
  if (name && (!b || (b->n_inputs >= 0 && b->n_inputs != n)) && !p->err[0])
    snprintf(p->err, sizeof p->err, "op=%s is unknown or does not take %d inputs", name, n);
  return p->err[0] ? NULL : b;
}

/* tf.gradients(op(inputs...), float inputs, grad_ys=v): v is the last input. A gradient the
 * inner op lacks leaves its output empty. */
static int b_vjp(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  const builder *inner = n_in >= 2 ? inner_builder(p, n_in - 1) : NULL;
  rill_output y[MAX_IO], xs[MAX_IO];
  int nx = 0;
  if (!inner || inner->fn(g, in, n_in - 1, p, y) != 1 || rill_graph_code(g) != RILL_OK) return 0;
  for (int i = 0; i < n_in - 1; i++)
    if (is_float(rill_output_dtype(in[i]))) xs[nx++] = in[i];
  if (!rill_gradients(g, y, 1, xs, nx, &in[n_in - 1], out)) return 0;
  return nx;
}

/* op(x, x) */
static int b_self(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  const builder *inner = inner_builder(p, 2);
  rill_output xx[2] = {in[0], in[0]};
  return inner ? inner->fn(g, xx, 2, p, out) : 0;
}

/* An op without a public builder: type=<OpType>; parameters "<attr>:<b|i|t>" are attributes;
 * T defaults to input 0's dtype. */
static int b_raw(rill_graph *g, const rill_output *in, int n_in, params *p, rill_output *out) {
  const char *type = pget(p, "type");
  if (!type) return 0;
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_inputs(b, in, n_in);
  bool have_t = false;
  for (int i = 0; i < p->n; i++) {
    char attr[64];
    const char *colon = strchr(p->key[i], ':');
    if (!colon || colon - p->key[i] >= (long)sizeof attr) continue;
    snprintf(attr, sizeof attr, "%.*s", (int)(colon - p->key[i]), p->key[i]);
    rill_dtype t;
    switch (colon[1]) {
      case 'b': rill_op_builder_attr_bool(b, attr, strtol(p->val[i], NULL, 10) != 0); break;
      case 'i': rill_op_builder_attr_int(b, attr, strtoll(p->val[i], NULL, 10)); break;
      case 't':
        if (!parse_dtype(p->val[i], &t)) {
          snprintf(p->err, sizeof p->err, "bad dtype %s", p->val[i]);
          t = RILL_DT_INVALID;
        }
        rill_op_builder_attr_type(b, attr, t);
        break;
      default: snprintf(p->err, sizeof p->err, "bad attribute kind in %s", p->key[i]); break;
    }
    have_t |= !strcmp(attr, "T");
  }
  if (!have_t && n_in > 0) rill_op_builder_attr_type(b, "T", rill_output_dtype(in[0]));
  rill_op *op = rill_op_builder_finish(b);
  if (!op) return 0;
  int n = rill_op_num_outputs(op);
  for (int i = 0; i < n && i < MAX_IO; i++) out[i] = rill_op_output(op, i);
  return n;
}

static const builder builders[] = {
#define B(name, n) {#name, n, b_##name}
    B(add, 2), B(sub, 2), B(mul, 2), B(div, 2), B(floordiv, 2), B(mod, 2), B(maximum, 2), B(minimum, 2),
    B(pow, 2), B(squared_difference, 2), B(add_n, -1),
    B(neg, 1), B(abs, 1), B(sign, 1), B(square, 1), B(sqrt, 1), B(rsqrt, 1), B(exp, 1), B(log, 1),
    B(log1p, 1), B(reciprocal, 1), B(sigmoid, 1), B(tanh, 1),
    B(equal, 2), B(not_equal, 2), B(greater, 2), B(greater_equal, 2), B(less, 2), B(less_equal, 2),
    B(logical_and, 2), B(logical_or, 2), B(logical_not, 1), B(where, 3), B(cast, 1),
    B(reduce_sum, 1), B(reduce_mean, 1), B(reduce_max, 1), B(reduce_min, 1), B(reduce_prod, 1),
    B(argmax, 1), B(argmin, 1), B(matmul, 2), B(tensordot, 2),
    B(clip_by_value, 1), B(clip_by_norm, 1), B(clip_by_global_norm, -1),
    B(identity, 1), B(stop_gradient, 1), B(reshape, 1), B(reshape_to, 2), B(squeeze, 1), B(expand_dims, 1),
    B(transpose, 1), B(slice, 1), B(strided_slice, 1), B(concat, -1), B(split, 1), B(stack, -1),
    B(unstack, 1), B(tile, 1), B(pad, 1), B(gather, 2), B(one_hot, 1), B(fill, 1), B(zeros, 0), B(ones, 0),
    B(zeros_like, 1), B(ones_like, 1), B(shape, 1), B(size, 1), B(rank, 1), B(range, 0),
    B(relu, 1), B(relu6, 1), B(elu, 1), B(leaky_relu, 1), B(softplus, 1), B(softmax, 1), B(log_softmax, 1),
    B(bias_add, 2), B(l2_loss, 1), B(mean_squared_error, 2),
    B(l1_regularizer, 1), B(l2_regularizer, 1), B(l1_l2_regularizer, 1), B(sequence_loss, -1),
    {"softmax_xent", 2, b_softmax_cross_entropy_with_logits},
    {"sparse_softmax_xent", 2, b_sparse_softmax_cross_entropy_with_logits},
    {"sigmoid_xent", 2, b_sigmoid_cross_entropy_with_logits},
    B(placeholder_with_default, 1), B(vjp, -1), B(self, 1), B(raw, -1),
#undef B
};

static const builder *find_builder(const char *name) {
  for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
    if (!strcmp(builders[i].name, name)) return &builders[i];
  return NULL;
}

/* ---------------------------------------------------------------------------------------
 * comparison */

static bool close_enough(double got, double want, double tol) {
  if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
  if (isinf(want) || isinf(got)) return got == want;
  return fabs(got - want) <= tol + tol * fabs(want);
}

/* Compares got with want; on a mismatch writes what differs to err and returns false. */
static bool compare(const char *what, const rill_tensor *got, const rill_tensor *want, double tol, char *err,
                    size_t cap) {
  char a[128], b[128];
  if (rill_tensor_dtype(got) != rill_tensor_dtype(want)) {
    snprintf(err, cap, "%s: dtype %s, expected %s", what, rill_dtype_name(rill_tensor_dtype(got)),
             rill_dtype_name(rill_tensor_dtype(want)));
    return false;
  }
  if (!rill_shape_equal(rill_tensor_shape(got), rill_tensor_shape(want))) {
    snprintf(err, cap, "%s: shape %s, expected %s", what, rill_shape_dbg(rill_tensor_shape(got), a, sizeof a),
             rill_shape_dbg(rill_tensor_shape(want), b, sizeof b));
    return false;
  }
  bool fl = is_float(rill_tensor_dtype(want));
  if (tol <= 0) tol = rill_tensor_dtype(want) == RILL_DOUBLE ? 1e-10 : 1e-5;
  int64_t n = rill_tensor_num_elements(want), bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = rill_tensor_get(got, i), y = rill_tensor_get(want, i);
    bool ok;
    if (fl) {
      ok = close_enough(x, y, tol);
    } else if (rill_tensor_dtype(want) == RILL_INT64) {
      ok = rill_tensor_int64(got)[i] == rill_tensor_int64(want)[i];
    } else {
      ok = x == y;
    }
    if (!ok) {
      if (first < 0) first = i;
      bad++;
      double e = fabs(x - y) / (1 + fabs(y));
      if (e > worst || isnan(e)) worst = e;
    }
  }
  if (!bad) return true;
  int digits = rill_tensor_dtype(want) == RILL_DOUBLE ? 17 : 9;
  snprintf(err, cap, "%s: %" PRId64 " of %" PRId64 " elements differ; first [%" PRId64 "] expected %.*g got %.*g%s",
           what, bad, n, first, digits, rill_tensor_get(want, first), digits, rill_tensor_get(got, first),
           fl ? "" : " (exact)");
  if (fl) {
    size_t len = strlen(err);
    snprintf(err + len, cap - len, "; max rel+abs err %.3g > tol %.3g", worst, tol);
  }
  return false;
}

/* ---------------------------------------------------------------------------------------
 * running a case */

/* Runs one case; false with the first reason in err when it fails. */
static bool run_case(gcase *c, char *err, size_t cap) {
  bool ok = false;
  rill_graph *g = rill_graph_new();
  rill_status *st = rill_status_new();
  rill_session *sess = NULL;
  rill_output ph[MAX_IO], out[MAX_IO], xs[MAX_IO], ys[MAX_IO], gys[MAX_IO], dxs[MAX_IO];
  rill_output fetch[2 * MAX_IO], feeds[MAX_IO];
  rill_tensor *feed_vals[MAX_IO];
  int n_feeds = 0;
  rill_tensor *vals[2 * MAX_IO] = {0};
  int n_fetch = 0;
  char buf[256];
  const builder *b = find_builder(c->builder);
  if (!g || !st) {
    snprintf(err, cap, "out of memory");
    goto done;
  }
  if (!b) {
    snprintf(err, cap, "unknown builder %s", c->builder);
    goto done;
  }
  if (b->n_inputs >= 0 && b->n_inputs != c->n_in) {
    snprintf(err, cap, "builder %s takes %d inputs, fixture has %d", c->builder, b->n_inputs, c->n_in);
    goto done;
  }
  /* inputs named by parameter "const" are constants, the rest fed placeholders */
  bool is_const[MAX_IO] = {0};
  if (p_has(&c->p, "const")) {
    int64_t idx[MAX_IO];
    int n = p_list(&c->p, "const", idx);
    for (int i = 0; i < n; i++)
      if (idx[i] >= 0 && idx[i] < c->n_in) is_const[idx[i]] = true;
  }
  for (int i = 0; i < c->n_in; i++) {
    snprintf(buf, sizeof buf, "in%d", i);
    if (is_const[i]) {
      ph[i] = rill_constant(g, c->in[i], buf);
    } else {
      ph[i] = rill_placeholder(g, rill_tensor_dtype(c->in[i]), rill_tensor_shape(c->in[i]), buf);
      feeds[n_feeds] = ph[i];
      feed_vals[n_feeds++] = c->in[i];
    }
  }
  for (int i = 0; i < MAX_IO; i++) out[i] = RILL_NO_OUTPUT;
  int n_out = b->fn(g, ph, c->n_in, &c->p, out);
  if (c->p.err[0]) {
    snprintf(err, cap, "fixture: %s", c->p.err);
    goto done;
  }
  if (rill_graph_code(g) != RILL_OK) {
    snprintf(err, cap, "build failed: %s", rill_status_message(rill_graph_status(g)));
    goto done;
  }
  if (n_out != c->n_out) {
    snprintf(err, cap, "builder gives %d outputs, fixture has %d", n_out, c->n_out);
    goto done;
  }
  for (int i = 0; i < n_out; i++) {
    char a[128], e[128];
    if (!rill_output_ok(out[i])) {
      snprintf(err, cap, "output %d is empty", i);
      goto done;
    }
    if (rill_output_dtype(out[i]) != rill_tensor_dtype(c->out[i])) {
      snprintf(err, cap, "output %d: static dtype %s, expected %s", i, rill_dtype_name(rill_output_dtype(out[i])),
               rill_dtype_name(rill_tensor_dtype(c->out[i])));
      goto done;
    }
    if (!rill_shape_compatible(rill_output_shape(out[i]), rill_tensor_shape(c->out[i]))) {
      snprintf(err, cap, "output %d: static shape %s incompatible with %s", i,
               rill_shape_dbg(rill_output_shape(out[i]), a, sizeof a),
               rill_shape_dbg(rill_tensor_shape(c->out[i]), e, sizeof e));
      goto done;
    }
    fetch[n_fetch++] = out[i];
  }

  if (c->n_grad) {
    /* ys: the float outputs, in order, with TF's grad_ys; xs: the inputs TF differentiated */
    int n_ys = 0;
    for (int i = 0; i < n_out; i++)
      if (is_float(rill_output_dtype(out[i]))) ys[n_ys++] = out[i];
    if (n_ys != c->n_gy) {
      snprintf(err, cap, "%d float outputs, fixture has %d grad_ys", n_ys, c->n_gy);
      goto done;
    }
    for (int i = 0; i < n_ys; i++) {
      snprintf(buf, sizeof buf, "grad_y%d", i);
      gys[i] = rill_constant(g, c->gy[i], buf);
    }
    for (int k = 0; k < c->n_grad; k++) xs[k] = ph[c->grad_input[k]];
    if (!rill_gradients(g, ys, n_ys, xs, c->n_grad, gys, dxs)) {
      snprintf(err, cap, "rill_gradients failed: %s", rill_status_message(rill_graph_status(g)));
      goto done;
    }
    for (int k = 0; k < c->n_grad; k++) {
      bool have = rill_output_ok(dxs[k]);
      if (!c->grad[k] && have) {
        snprintf(err, cap, "grad %d: TF has no gradient (None) but Rill returns one", c->grad_input[k]);
        goto done;
      }
      if (c->grad[k] && !have) {
        snprintf(err, cap, "grad %d: missing (TF has a gradient)", c->grad_input[k]);
        goto done;
      }
      if (have) fetch[n_fetch++] = dxs[k];
    }
  }

  sess = rill_session_new(g, NULL, st);
  if (!sess) {
    snprintf(err, cap, "session: %s", rill_status_message(st));
    goto done;
  }
  rill_session_run(sess, feeds, feed_vals, n_feeds, fetch, vals, n_fetch, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) {
    snprintf(err, cap, "run failed: %s", rill_status_message(st));
    goto done;
  }
  int f = 0;
  for (int i = 0; i < n_out; i++, f++) {
    snprintf(buf, sizeof buf, "output %d", i);
    if (!compare(buf, vals[f], c->out[i], c->tol, err, cap)) goto done;
  }
  for (int k = 0; k < c->n_grad; k++) {
    if (!c->grad[k]) continue;
    snprintf(buf, sizeof buf, "grad %d", c->grad_input[k]);
    if (!compare(buf, vals[f++], c->grad[k], c->tol, err, cap)) goto done;
  }
  ok = true;
done:
  for (int i = 0; i < n_fetch; i++) rill_tensor_unref(vals[i]);
  rill_session_delete(sess);
  rill_graph_delete(g);
  rill_status_delete(st);
  return ok;
}

static void test_ops_match_tensorflow(void **state) {
  (void)state;
  const char *path = getenv("RILL_GOLDEN_OPS");
  const char *filter = getenv("RILL_GOLDEN_FILTER");
  if (!path) path = RILL_SOURCE_DIR "/tests/golden/ops.txt";
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("cannot open %s", path);
  int lineno = 0, total = 0, failed = 0;
  gcase c;
  char err[1024];
  while (read_case(f, &lineno, &c, err, sizeof err)) {
    if (err[0]) {
      print_error("FAIL fixture %s (case %s)\n", err, c.name ? c.name : "?");
      failed++;
      case_free(&c);
      break;
    }
    if (!filter || strstr(c.name, filter)) {
      total++;
      if (!run_case(&c, err, sizeof err)) {
        print_error("FAIL %s [%s, ops.txt:%d]: %s\n", c.name, c.builder, c.line, err);
        failed++;
      }
    }
    case_free(&c);
  }
  fclose(f);
  print_message("golden ops: %d cases, %d failed\n", total, failed);
  assert_true(total > 0);
  assert_int_equal(failed, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ops_match_tensorflow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
