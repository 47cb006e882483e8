/* tf.train.ExponentialMovingAverage: the seed's sequence (spec/seed-001-inventory.md §5.7 and
 * §7.2), shadow names and collections, variables_to_restore. */
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

static void run(rill_session *s, rill_op *op) {
  rill_session_run_op(s, op, st);
  if (rill_status_code(st) != RILL_OK) print_error("run failed: %s\n", rill_status_message(st));
  assert_int_equal(rill_status_code(st), RILL_OK);
}

static float value(rill_session *s, rill_output t) {
  rill_tensor *v = rill_session_eval(s, t, st);
  if (!v) print_error("eval failed: %s\n", rill_status_message(st));
  assert_non_null(v);
  float f = (float)rill_tensor_get(v, 0);
  rill_tensor_unref(v);
  return f;
}

static void expect_ok(rill_graph *g) {
  if (rill_graph_code(g) != RILL_OK) print_error("graph: %s\n", rill_status_message(rill_graph_status(g)));
  assert_int_equal(rill_graph_code(g), RILL_OK);
}

/* §5.7: v1 = 0, step = 0; EMA(0.99, step). Values are TF's float32 results exactly. */
static void test_seed_sequence(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v1 = rill_variable_new(g, rill_scalar_float(g, 0, NULL), NULL, 0);
  rill_variable *step = rill_variable_new(g, rill_scalar_int32(g, 0, NULL), NULL, RILL_VAR_NOT_TRAINABLE);
  rill_ema *ema = rill_ema_new(g, 0.99, step, NULL);
  rill_op *maintain = rill_ema_apply(ema, &v1, 1);
  rill_variable *shadow = rill_ema_average(ema, v1);
  rill_op *set5 = rill_assign(g, v1, rill_scalar_float(g, 5, NULL), NULL).op;
  rill_op *set_step = rill_assign(g, step, rill_scalar_int32(g, 10000, NULL), NULL).op;
  rill_op *set10 = rill_assign(g, v1, rill_scalar_float(g, 10, NULL), NULL).op;
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  assert_non_null(shadow);
  assert_string_equal(rill_variable_name(shadow), "Variable/ExponentialMovingAverage");
  assert_false(rill_variable_trainable(shadow));
  assert_string_equal(rill_op_name(maintain), "ExponentialMovingAverage");
  assert_string_equal(rill_op_type(rill_op_control_input(maintain, 0)), "AssignSub");
  assert_string_equal(rill_op_name(rill_op_control_input(maintain, 0)), "ExponentialMovingAverage/AssignMovingAvg");

  rill_session *s = rill_session_new(g, NULL, st);
  run(s, init);
  rill_output v = rill_variable_value(v1), a = rill_variable_value(shadow);
  assert_true(value(s, v) == 0.0f && value(s, a) == 0.0f);
  run(s, set5);
  run(s, maintain); /* decay = min(0.99, 1/10) */
  assert_true(value(s, v) == 5.0f);
  assert_true(value(s, a) == 4.5f);
  run(s, set_step);
  run(s, set10);
  run(s, maintain); /* decay = min(0.99, 10001/10010) = 0.99 */
  assert_true(value(s, v) == 10.0f);
  assert_true(value(s, a) == 4.555f);
  run(s, maintain);
  assert_true(value(s, v) == 10.0f);
  assert_true(value(s, a) == 4.60945f);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* §7.2: EMA(0.99) without num_updates, v = 10, one update gives 0.099999905 (float32). */
static void test_without_num_updates(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "v", 0);
  rill_ema *ema = rill_ema_new(g, 0.99, NULL, NULL);
  rill_op *maintain = rill_ema_apply(ema, &v, 1);
  rill_op *set10 = rill_assign(g, v, rill_scalar_float(g, 10, NULL), NULL).op;
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  assert_string_equal(rill_ema_average_name(ema, v), "v/ExponentialMovingAverage");
  /* global variables: v, then its shadow */
  assert_int_equal(rill_collection_size(g, RILL_GLOBAL_VARIABLES), 2);
  assert_ptr_equal(rill_collection_variable(g, RILL_GLOBAL_VARIABLES, 1), rill_ema_average(ema, v));
  assert_int_equal(rill_collection_size(g, RILL_MOVING_AVERAGE_VARIABLES), 1);
  assert_ptr_equal(rill_collection_variable(g, RILL_MOVING_AVERAGE_VARIABLES, 0), v);
  assert_int_equal(rill_collection_size(g, RILL_TRAINABLE_VARIABLES), 1);

  rill_session *s = rill_session_new(g, NULL, st);
  run(s, init);
  run(s, set10);
  run(s, maintain);
  float got = value(s, rill_variable_value(rill_ema_average(ema, v)));
  assert_true(got == 0.099999905f);
  /* the exact float32 arithmetic: 0 - (0 - 10) * (1 - 0.99f) */
  assert_true(got == (float)(0.0f - (0.0f - 10.0f) * (1.0f - 0.99f)));
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* The shadow starts from the variable's initial value (initialized_value()), not zero; float64
 * variables are averaged in float64 with the float32 decay cast, as TF does. */
static void test_initial_value_and_float64(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *w = rill_variable_new(g, rill_const_float(g, (float[]){7, -3}, 2, RILL_SHAPE(2), NULL), "w", 0);
  rill_variable *d = rill_variable_new(g, rill_scalar_double(g, 2.0, NULL), "d", 0);
  rill_ema *ema = rill_ema_new(g, 0.75, NULL, "avg");
  rill_variable *both[2] = {w, d};
  rill_op *maintain = rill_ema_apply(ema, both, 2);
  rill_op *set = rill_assign(g, w, rill_const_float(g, (float[]){1, 1}, 2, RILL_SHAPE(2), NULL), NULL).op;
  rill_op *setd = rill_assign(g, d, rill_scalar_double(g, 10.0, NULL), NULL).op;
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  assert_string_equal(rill_variable_name(rill_ema_average(ema, w)), "w/avg");
  assert_string_equal(rill_variable_name(rill_ema_average(ema, d)), "d/avg");
  assert_string_equal(rill_op_name(maintain), "avg");
  assert_int_equal(rill_variable_dtype(rill_ema_average(ema, d)), RILL_DOUBLE);

  rill_session *s = rill_session_new(g, NULL, st);
  run(s, init);
  rill_tensor *t = rill_session_eval(s, rill_variable_value(rill_ema_average(ema, w)), st);
  assert_non_null(t);
  assert_true(rill_tensor_float(t)[0] == 7.0f && rill_tensor_float(t)[1] == -3.0f);
  rill_tensor_unref(t);
  run(s, set);
  run(s, setd);
  run(s, maintain);
  t = rill_session_eval(s, rill_variable_value(rill_ema_average(ema, w)), st);
  assert_non_null(t);
  float k = 1.0f - 0.75f;
  assert_true(rill_tensor_float(t)[0] == 7.0f - (7.0f - 1.0f) * k);
  assert_true(rill_tensor_float(t)[1] == -3.0f - (-3.0f - 1.0f) * k);
  rill_tensor_unref(t);
  t = rill_session_eval(s, rill_variable_value(rill_ema_average(ema, d)), st);
  assert_non_null(t);
  assert_true(rill_tensor_double(t)[0] == 2.0 - (2.0 - 10.0) * (double)k);
  rill_tensor_unref(t);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Applying twice reuses the shadow; a second EMA on the same variable gets a _1 name; the
 * update scopes are made unique. */
static void test_names_and_reuse(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "v", 0);
  rill_ema *a = rill_ema_new(g, 0.9, NULL, NULL);
  rill_op *u1 = rill_ema_apply(a, &v, 1);
  rill_variable *shadow = rill_ema_average(a, v);
  rill_op *u2 = rill_ema_apply(a, &v, 1);
  expect_ok(g);
  assert_ptr_equal(rill_ema_average(a, v), shadow);
  assert_string_equal(rill_op_name(u1), "ExponentialMovingAverage");
  assert_string_equal(rill_op_name(u2), "ExponentialMovingAverage_1");
  assert_int_equal(rill_collection_size(g, RILL_MOVING_AVERAGE_VARIABLES), 1);
  rill_ema *b = rill_ema_new(g, 0.9, NULL, NULL);
  rill_ema_apply(b, &v, 1);
  expect_ok(g);
  assert_string_equal(rill_ema_average_name(b, v), "v/ExponentialMovingAverage_1");
  /* an EMA that has not averaged v still names the shadow it would create */
  rill_variable *u = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "u", 0);
  assert_string_equal(rill_ema_average_name(a, u), "u/ExponentialMovingAverage");
  assert_null(rill_ema_average(a, u));
  rill_graph_delete(g);
}

/* Only float variables can be averaged (TF's TypeError). */
static void test_rejects_integer_variables(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *i = rill_variable_new(g, rill_scalar_int32(g, 1, NULL), "i", 0);
  rill_ema *ema = rill_ema_new(g, 0.9, NULL, NULL);
  assert_null(rill_ema_apply(ema, &i, 1));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(rill_graph_status(g)), "The variables must be half, float, or double: i"));
  rill_graph_delete(g);
}

/* §7.2: variables_to_restore maps shadow names to the averaged variables and every other
 * global variable to its own name (the shadows themselves are left out). */
static void test_variables_to_restore(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "v", 0);
  rill_variable *step = rill_variable_new(g, rill_scalar_int32(g, 0, NULL), "step", RILL_VAR_NOT_TRAINABLE);
  rill_variable *w = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "w", 0);
  rill_ema *ema = rill_ema_new(g, 0.99, NULL, NULL);
  rill_ema_apply(ema, &v, 1);
  expect_ok(g);
  const char *names[8];
  rill_variable *vars[8];
  int n = rill_ema_variables_to_restore(ema, names, vars, 8);
  assert_int_equal(n, 3);
  /* trainable v and w are restored from their (would-be) shadows; step from itself */
  assert_string_equal(names[0], "v/ExponentialMovingAverage");
  assert_ptr_equal(vars[0], v);
  assert_string_equal(names[1], "w/ExponentialMovingAverage");
  assert_ptr_equal(vars[1], w);
  assert_string_equal(names[2], "step");
  assert_ptr_equal(vars[2], step);
  /* a short buffer still reports the total */
  assert_int_equal(rill_ema_variables_to_restore(ema, names, vars, 1), 3);
  assert_ptr_equal(vars[0], v);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_sequence),
      cmocka_unit_test(test_without_num_updates),
      cmocka_unit_test(test_initial_value_and_float64),
      cmocka_unit_test(test_names_and_reuse),
      cmocka_unit_test(test_rejects_integer_variables),
      cmocka_unit_test(test_variables_to_restore),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
