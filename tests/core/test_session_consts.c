/* The executor reads Const values straight from the graph instead of running their kernels:
 * in-place kernels must never write into a graph constant, a fed Const is replaced, a fetched
 * Const is its value, and fetching a Const still runs its control dependencies. */
#include <stdio.h>
#include "core/core_util.h"

static void test_in_place_kernels_leave_constants_alone(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float v[4] = {-1, 2, -3, 4};
  rill_output c = rill_const_float(g, v, 4, RILL_SHAPE(4), "c");
  /* Relu and AddV2 would overwrite an input that looks exclusive; c is read by nothing else */
  rill_output r = rill_relu(g, c, NULL);
  rill_output d = rill_add(g, rill_const_float(g, v, 4, RILL_SHAPE(4), "d"), rill_scalar_float(g, 10, NULL), NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  for (int run = 0; run < 3; run++) {
    float out[4];
    eval_floats(s, r, out, 4);
    assert_true(out[0] == 0 && out[1] == 2 && out[2] == 0 && out[3] == 4);
    eval_floats(s, d, out, 4);
    for (int i = 0; i < 4; i++) assert_true(out[i] == v[i] + 10);
  }
  float out[4];
  eval_floats(s, c, out, 4);
  assert_memory_equal(out, v, sizeof v);
  assert_memory_equal(rill_tensor_float(rill_op_attr_tensor(c.op, "value")), v, sizeof v);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_fed_and_fetched_constants(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_scalar_float(g, 2, "a");
  rill_output b = rill_scalar_float(g, 3, "b");
  rill_output y = rill_mul(g, a, b, "y");
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();

  rill_tensor *five = rill_tensor_scalar_float(5);
  rill_output fetches[] = {y, a, b};
  rill_tensor *vals[3];
  rill_session_run(s, &a, &five, 1, fetches, vals, 3, NULL, 0, st);
  assert_status_ok(st);
  assert_true(rill_tensor_float(vals[0])[0] == 15);
  assert_true(rill_tensor_float(vals[1])[0] == 5); /* a fed tensor is fetched as fed */
  assert_true(rill_tensor_float(vals[2])[0] == 3);
  for (int i = 0; i < 3; i++) rill_tensor_unref(vals[i]);

  /* unfed again: the graph's value, and the fed tensor was not written */
  assert_true(eval_float(s, y) == 6);
  assert_true(rill_tensor_float(five)[0] == 5);
  rill_tensor_unref(five);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_fetched_constant_runs_its_control_dependencies(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *counter = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "counter", 0);
  rill_output inc = rill_assign_add(g, counter, rill_scalar_float(g, 1, NULL), NULL);
  rill_control_dependencies_push(g, &inc.op, 1);
  rill_output c = rill_scalar_float(g, 7, "c");
  rill_control_dependencies_pop(g);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  run_target(s, rill_variable_initializer(counter));
  assert_true(eval_float(s, c) == 7);
  assert_true(eval_float(s, c) == 7);
  assert_true(eval_float(s, rill_variable_value(counter)) == 2);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_in_place_kernels_leave_constants_alone),
      cmocka_unit_test(test_fed_and_fetched_constants),
      cmocka_unit_test(test_fetched_constant_runs_its_control_dependencies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
