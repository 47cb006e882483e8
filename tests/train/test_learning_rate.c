/* Learning-rate schedules against TF's formulas evaluated here in float32 (TF computes them in
 * float32 graphs), and the seed's decayed gradient descent (spec/seed-001-inventory.md §5.5). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

static rill_status *st;

static int setup(void **state) {
  (void)state;
  st = rill_status_new();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  rill_status_delete(st);
  return 0;
}

static void expect_ok(rill_graph *g) {
  if (rill_graph_code(g) != RILL_OK) print_error("graph: %s\n", rill_status_message(rill_graph_status(g)));
  assert_int_equal(rill_graph_code(g), RILL_OK);
}

static void expect_close(double got, double want, double rel) {
  if (fabs(got - want) > rel * fabs(want) + 1e-12) {
    print_error("got %.9g, want %.9g\n", got, want);
    fail();
  }
}

/* A graph with an int64 global step that tests set through a fed placeholder. */
typedef struct step_graph {
  rill_graph *g;
  rill_variable *step;
  rill_output feed;
  rill_op *set;
  rill_session *s;
} step_graph;

static step_graph make_step_graph(void) {
  step_graph t;
  t.g = rill_graph_new();
  t.step = rill_get_or_create_global_step(t.g);
  t.feed = rill_placeholder(t.g, RILL_INT64, rill_shape_scalar(), "step_value");
  t.set = rill_assign(t.g, t.step, t.feed, NULL).op;
  t.s = NULL;
  return t;
}

static void start(step_graph *t) {
  rill_op *init = rill_global_variables_initializer(t->g);
  expect_ok(t->g);
  t->s = rill_session_new(t->g, NULL, st);
  assert_non_null(t->s);
  rill_session_run_op(t->s, init, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
}

/* The schedule's value at `step`. */
static float at(step_graph *t, rill_output lr, int64_t step) {
  rill_tensor *v = rill_tensor_scalar_int64(step);
  rill_session_run(t->s, &t->feed, &v, 1, NULL, NULL, 0, &t->set, 1, st);
  rill_tensor_unref(v);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_tensor *r = rill_session_eval(t->s, lr, st);
  if (!r) print_error("eval: %s\n", rill_status_message(st));
  assert_non_null(r);
  assert_int_equal(rill_tensor_dtype(r), RILL_FLOAT);
  assert_int_equal(rill_tensor_rank(r), 0);
  float f = rill_tensor_float(r)[0];
  rill_tensor_unref(r);
  return f;
}

static void finish(step_graph *t) {
  rill_session_delete(t->s);
  rill_graph_delete(t->g);
}

static const int64_t steps[] = {0, 1, 5, 9, 10, 11, 15, 20, 37, 100};
#define N_STEPS ((int)(sizeof steps / sizeof steps[0]))

static void test_exponential_decay(void **state) {
  (void)state;
  step_graph t = make_step_graph();
  rill_output smooth = rill_exponential_decay(t.g, 0.1, t.step, 10, 0.96, false, NULL);
  rill_output stair = rill_exponential_decay(t.g, 0.1, t.step, 10, 0.96, true, "lr");
  start(&t);
  assert_string_equal(rill_op_name(smooth.op), "ExponentialDecay");
  assert_string_equal(rill_op_name(stair.op), "lr");
  for (int i = 0; i < N_STEPS; i++) {
    float s = (float)steps[i];
    expect_close(at(&t, smooth, steps[i]), 0.1f * powf(0.96f, s / 10.0f), 1e-6);
    expect_close(at(&t, stair, steps[i]), 0.1f * powf(0.96f, floorf(s / 10.0f)), 1e-6);
    /* and the textbook formula in double */
    expect_close(at(&t, smooth, steps[i]), 0.1 * pow(0.96, (double)steps[i] / 10), 1e-6);
  }
  finish(&t);
}

static void test_natural_exp_decay(void **state) {
  (void)state;
  step_graph t = make_step_graph();
  rill_output smooth = rill_natural_exp_decay(t.g, 0.1, t.step, 10, 0.5, false, NULL);
  rill_output stair = rill_natural_exp_decay(t.g, 0.1, t.step, 10, 0.5, true, NULL);
  start(&t);
  assert_string_equal(rill_op_name(smooth.op), "ExponentialDecay");
  assert_string_equal(rill_op_name(stair.op), "ExponentialDecay_1");
  for (int i = 0; i < N_STEPS; i++) {
    double s = (double)steps[i];
    expect_close(at(&t, smooth, steps[i]), 0.1 * exp(-0.5 * s / 10), 1e-6);
    expect_close(at(&t, stair, steps[i]), 0.1 * exp(-0.5 * floor(s / 10)), 1e-6);
  }
  finish(&t);
}

static void test_inverse_time_decay(void **state) {
  (void)state;
  step_graph t = make_step_graph();
  rill_output smooth = rill_inverse_time_decay(t.g, 0.1, t.step, 10, 0.5, false, NULL);
  rill_output stair = rill_inverse_time_decay(t.g, 0.1, t.step, 10, 0.5, true, NULL);
  start(&t);
  assert_string_equal(rill_op_name(smooth.op), "InverseTimeDecay");
  for (int i = 0; i < N_STEPS; i++) {
    float s = (float)steps[i];
    expect_close(at(&t, smooth, steps[i]), 0.1f / (1.0f + 0.5f * (s / 10.0f)), 1e-6);
    expect_close(at(&t, stair, steps[i]), 0.1f / (1.0f + 0.5f * floorf(s / 10.0f)), 1e-6);
  }
  finish(&t);
}

static void test_polynomial_decay(void **state) {
  (void)state;
  step_graph t = make_step_graph();
  rill_output plain = rill_polynomial_decay(t.g, 0.1, t.step, 10, 0.01, 2.0, false, NULL);
  rill_output cyc = rill_polynomial_decay(t.g, 0.1, t.step, 10, 0.01, 2.0, true, NULL);
  rill_output lin = rill_polynomial_decay(t.g, 0.1, t.step, 10, 0.01, 1.0, false, NULL);
  start(&t);
  assert_string_equal(rill_op_name(plain.op), "PolynomialDecay");
  assert_string_equal(rill_op_name(cyc.op), "PolynomialDecay_1");
  for (int i = 0; i < N_STEPS; i++) {
    double s = (double)steps[i];
    double p = fmin(s, 10) / 10;
    expect_close(at(&t, plain, steps[i]), (0.1 - 0.01) * pow(1 - p, 2) + 0.01, 1e-6);
    expect_close(at(&t, lin, steps[i]), (0.1 - 0.01) * (1 - p) + 0.01, 1e-6);
    double span = 10 * (s == 0 ? 1 : ceil(s / 10));
    expect_close(at(&t, cyc, steps[i]), (0.1 - 0.01) * pow(1 - s / span, 2) + 0.01, 1e-6);
  }
  /* spot values: the cycle restarts right after each multiple of decay_steps */
  expect_close(at(&t, cyc, 10), 0.01, 1e-6);
  expect_close(at(&t, cyc, 11), 0.09 * pow(1 - 11.0 / 20, 2) + 0.01, 1e-6);
  expect_close(at(&t, plain, 100), 0.01, 1e-6);
  finish(&t);
}

static void test_piecewise_constant(void **state) {
  (void)state;
  step_graph t = make_step_graph();
  const int64_t b[] = {5, 10};
  const double v[] = {1.0, 0.5, 0.1};
  rill_output lr = rill_piecewise_constant(t.g, t.step, b, 2, v, NULL);
  rill_output one = rill_piecewise_constant(t.g, t.step, b, 1, v, "one");
  start(&t);
  assert_string_equal(rill_op_name(lr.op), "PiecewiseConstant");
  const int64_t s[] = {0, 4, 5, 6, 9, 10, 11, 1000};
  const float want[] = {1.0f, 1.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.1f, 0.1f};
  for (int i = 0; i < 8; i++) {
    assert_true(at(&t, lr, s[i]) == want[i]);
    assert_true(at(&t, one, s[i]) == (s[i] <= 5 ? 1.0f : 0.5f));
  }
  finish(&t);
}

/* An int32 step (tf.Variable(0, trainable=False)) works too. */
static void test_int32_step(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *step = rill_variable_new(g, rill_scalar_int32(g, 7, NULL), "step", RILL_VAR_NOT_TRAINABLE);
  const int64_t b[] = {5};
  const double v[] = {2.0, 3.0};
  rill_output pc = rill_piecewise_constant(g, step, b, 1, v, NULL);
  rill_output ed = rill_exponential_decay(g, 1.0, step, 7, 0.5, false, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_session_run_op(s, init, st);
  rill_tensor *r = rill_session_eval(s, pc, st);
  assert_non_null(r);
  assert_true(rill_tensor_float(r)[0] == 3.0f);
  rill_tensor_unref(r);
  r = rill_session_eval(s, ed, st);
  assert_non_null(r);
  expect_close(rill_tensor_float(r)[0], 0.5, 1e-7);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_requires_step(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  assert_null(rill_exponential_decay(g, 0.1, NULL, 1, 0.9, false, NULL).op);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)), "global_step is required for exponential_decay.");
  rill_graph_delete(g);
}

/* §5.5: exponential_decay(0.1, step, 1, 0.96, staircase) driving gradient descent on x^2 from
 * x = 5. The update of step k uses lr = 0.1 * 0.96^k (the step is incremented after the
 * update), so x_{k+1} = x_k (1 - 2 lr_k); the rate read after step k is 0.1 * 0.96^(k+1). */
static void test_seed_decayed_descent(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *step = rill_variable_new(g, rill_scalar_int32(g, 0, NULL), NULL, RILL_VAR_NOT_TRAINABLE);
  rill_output lr = rill_exponential_decay(g, 0.1, step, 1, 0.96, true, NULL);
  rill_variable *x = rill_variable_new(g, rill_scalar_float(g, 5, NULL), "x", 0);
  rill_output y = rill_square(g, rill_variable_value(x), NULL);
  rill_op *train = rill_optimizer_minimize(rill_gradient_descent_optimizer(g, lr), y, step, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_session_run_op(s, init, st);
  const double want_x[] = {4.0, 3.232, 2.63627776, 2.16979579, 1.80121407};
  const double want_lr[] = {0.096, 0.09216, 0.0884736, 0.084934656, 0.08153726976};
  double x_ref = 5, lr_ref = 0.1;
  for (int k = 0; k < 100; k++) {
    rill_session_run_op(s, train, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    rill_output fetch[3] = {lr, rill_variable_value(x), rill_variable_value(step)};
    rill_tensor *r[3];
    rill_session_run(s, NULL, NULL, 0, fetch, r, 3, NULL, 0, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    x_ref *= 1 - 2 * lr_ref;
    lr_ref *= 0.96;
    if (k < 5) {
      expect_close(rill_tensor_float(r[1])[0], want_x[k], 1e-6);
      expect_close(rill_tensor_float(r[0])[0], want_lr[k], 1e-6);
    }
    expect_close(rill_tensor_float(r[1])[0], x_ref, 1e-4);
    expect_close(rill_tensor_float(r[0])[0], lr_ref, 1e-5);
    assert_int_equal(rill_tensor_int32(r[2])[0], k + 1);
    for (int i = 0; i < 3; i++) rill_tensor_unref(r[i]);
  }
  /* the notes' end points */
  expect_close(x_ref, 0.0276692, 1e-5);
  expect_close(lr_ref, 0.00168703, 1e-5);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exponential_decay),  cmocka_unit_test(test_natural_exp_decay),
      cmocka_unit_test(test_inverse_time_decay), cmocka_unit_test(test_polynomial_decay),
      cmocka_unit_test(test_piecewise_constant), cmocka_unit_test(test_int32_step),
      cmocka_unit_test(test_requires_step),      cmocka_unit_test(test_seed_decayed_descent),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
