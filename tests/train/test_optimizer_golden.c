/* Optimizers against real TensorFlow: the MLP of tests/golden/make_optimizer_fixtures.py,
 * rebuilt from the fixture's initial weights and data, trained 20 steps by each optimizer; every
 * loss (read after its step) must match TF's within 1e-5 relative. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

#define FIXTURE RILL_SOURCE_DIR "/tests/golden/optimizer_losses.txt"
#define MAX_RECORDS 32
#define STEPS 20

typedef struct record {
  char key[64];
  int n;
  double *v;
} record;

static record records[MAX_RECORDS];
static int n_records;
static rill_status *st;

static void free_records(void) {
  for (int i = 0; i < n_records; i++) free(records[i].v);
  n_records = 0;
}

/* Reads "key count v1 ... vcount" lines; '#' lines are comments. */
static bool load_fixture(void) {
  FILE *f = fopen(FIXTURE, "r");
  if (!f) {
    print_error("cannot open %s\n", FIXTURE);
    return false;
  }
  bool ok = true;
  char key[64];
  int c;
  while (ok && (c = fgetc(f)) != EOF) {
    if (c == '#') {
      while ((c = fgetc(f)) != EOF && c != '\n') {}
      continue;
    }
    if (c == '\n' || c == ' ') continue;
    ungetc(c, f);
    int n;
    if (fscanf(f, "%63s %d", key, &n) != 2 || n <= 0 || n > 4096 || n_records == MAX_RECORDS) {
      ok = false;
      break;
    }
    record *r = &records[n_records++];
    snprintf(r->key, sizeof r->key, "%s", key);
    r->n = n;
    r->v = malloc((size_t)n * sizeof *r->v);
    if (!r->v) ok = false;
    for (int i = 0; ok && i < n; i++) ok = fscanf(f, "%lf", &r->v[i]) == 1;
  }
  fclose(f);
  if (!ok) print_error("malformed fixture %s\n", FIXTURE);
  return ok;
}

static const record *find(const char *key) {
  for (int i = 0; i < n_records; i++)
    if (!strcmp(records[i].key, key)) return &records[i];
  print_error("fixture has no record %s\n", key);
  fail();
  return NULL;
}

static int setup(void **state) {
  (void)state;
  st = rill_status_new();
  return load_fixture() ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  free_records();
  rill_status_delete(st);
  return 0;
}

/* A float32 constant from a record, checked against the expected element count. */
static rill_output constant(rill_graph *g, const char *key, rill_shape shape) {
  const record *r = find(key);
  assert_int_equal(r->n, rill_shape_num_elements(shape));
  float *v = malloc((size_t)r->n * sizeof *v);
  assert_non_null(v);
  for (int i = 0; i < r->n; i++) v[i] = (float)r->v[i];
  rill_output o = rill_const_float(g, v, r->n, shape, NULL);
  free(v);
  return o;
}

static rill_optimizer *make_optimizer(rill_graph *g, const char *name, const double *h) {
  rill_output lr = rill_scalar_float(g, (float)h[0], "learning_rate");
  if (!strcmp(name, "gd")) return rill_gradient_descent_optimizer(g, lr);
  if (!strcmp(name, "momentum")) return rill_momentum_optimizer(g, lr, h[1], false);
  if (!strcmp(name, "nesterov")) return rill_momentum_optimizer(g, lr, h[1], true);
  if (!strcmp(name, "adagrad")) return rill_adagrad_optimizer(g, lr, h[1]);
  if (!strcmp(name, "rmsprop")) return rill_rmsprop_optimizer(g, lr, h[1], h[2], h[3], false);
  if (!strcmp(name, "rmsprop_centered")) return rill_rmsprop_optimizer(g, lr, h[1], h[2], h[3], true);
  if (!strcmp(name, "adam")) return rill_adam_optimizer(g, lr, h[1], h[2], h[3]);
  return NULL;
}

static void check_optimizer(const char *name) {
  char key[64];
  snprintf(key, sizeof key, "hparams:%s", name);
  const record *h = find(key);
  snprintf(key, sizeof key, "losses:%s", name);
  const record *want = find(key);
  assert_int_equal(want->n, STEPS);

  rill_graph *g = rill_graph_new();
  rill_output x = constant(g, "x", RILL_SHAPE(6, 4));
  rill_output labels = constant(g, "labels", RILL_SHAPE(6, 3));
  rill_variable *w1 = rill_variable_new(g, constant(g, "w1", RILL_SHAPE(4, 8)), "w1", 0);
  rill_variable *b1 = rill_variable_new(g, constant(g, "b1", RILL_SHAPE(8)), "b1", 0);
  rill_variable *w2 = rill_variable_new(g, constant(g, "w2", RILL_SHAPE(8, 3)), "w2", 0);
  rill_variable *b2 = rill_variable_new(g, constant(g, "b2", RILL_SHAPE(3)), "b2", 0);
  rill_output hidden = rill_tanh(
      g, rill_add(g, rill_matmul(g, x, rill_variable_value(w1), false, false, NULL), rill_variable_value(b1), NULL),
      NULL);
  rill_output logits =
      rill_add(g, rill_matmul(g, hidden, rill_variable_value(w2), false, false, NULL), rill_variable_value(b2), NULL);
  rill_output loss =
      rill_reduce_mean(g, rill_softmax_cross_entropy_with_logits(g, labels, logits, NULL), NULL, 0, false, NULL);
  rill_variable *step = rill_get_or_create_global_step(g);
  rill_optimizer *opt = make_optimizer(g, name, h->v);
  assert_non_null(opt);
  rill_op *train = rill_optimizer_minimize(opt, loss, step, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) print_error("%s: %s\n", name, rill_status_message(rill_graph_status(g)));
  assert_int_equal(rill_graph_code(g), RILL_OK);

  rill_session *s = rill_session_new(g, NULL, st);
  assert_non_null(s);
  rill_session_run_op(s, init, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  double worst = 0;
  for (int k = 0; k < STEPS; k++) {
    rill_session_run_op(s, train, st);
    if (rill_status_code(st) != RILL_OK) print_error("%s step %d: %s\n", name, k, rill_status_message(st));
    assert_int_equal(rill_status_code(st), RILL_OK);
    rill_tensor *l = rill_session_eval(s, loss, st);
    assert_non_null(l);
    double got = rill_tensor_float(l)[0], rel = fabs(got - want->v[k]) / fabs(want->v[k]);
    rill_tensor_unref(l);
    if (rel > worst) worst = rel;
    if (rel > 1e-5) {
      print_error("%s step %d: loss %.9g, TensorFlow %.9g (relative error %.2g)\n", name, k + 1, got, want->v[k], rel);
      fail();
    }
  }
  rill_tensor *sv = rill_session_eval(s, rill_variable_value(step), st);
  assert_non_null(sv);
  assert_int_equal(rill_tensor_int64(sv)[0], STEPS);
  rill_tensor_unref(sv);
  print_message("%-17s max relative loss error vs TensorFlow: %.2g\n", name, worst);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_gd(void **state) { (void)state; check_optimizer("gd"); }
static void test_momentum(void **state) { (void)state; check_optimizer("momentum"); }
static void test_nesterov(void **state) { (void)state; check_optimizer("nesterov"); }
static void test_adagrad(void **state) { (void)state; check_optimizer("adagrad"); }
static void test_rmsprop(void **state) { (void)state; check_optimizer("rmsprop"); }
static void test_rmsprop_centered(void **state) { (void)state; check_optimizer("rmsprop_centered"); }
static void test_adam(void **state) { (void)state; check_optimizer("adam"); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gd),      cmocka_unit_test(test_momentum),         cmocka_unit_test(test_nesterov),
      cmocka_unit_test(test_adagrad), cmocka_unit_test(test_rmsprop),          cmocka_unit_test(test_rmsprop_centered),
      cmocka_unit_test(test_adam),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
