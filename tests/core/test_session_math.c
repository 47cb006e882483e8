/* Sessions and variables with arithmetic: the seed-001 §2.5 programs (W*x+b with broadcasting,
 * assign, initialized_value chains) and gradient aggregation. Expected values are what
 * TensorFlow 1.x prints for the same programs in float32. */
#include "core/core_util.h"

static rill_output vec(rill_graph *g, const float *v, int64_t n) {
  return rill_const_float(g, v, n, RILL_SHAPE(n), NULL);
}

static void test_initializer_runs(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *ww = rill_variable_new(g, vec(g, (float[]){2, 3}, 2), NULL, 0);
  rill_variable *bb = rill_variable_new(g, vec(g, (float[]){1, 2}, 2), NULL, 0);
  rill_output yy = rill_add(g, rill_variable_value(ww), rill_variable_value(bb), NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  run_target(s, rill_variable_initializer(ww));
  run_target(s, rill_variable_initializer(bb));
  float out[2];
  eval_floats(s, rill_variable_value(ww), out, 2);
  assert_true(out[0] == 2 && out[1] == 3);
  eval_floats(s, rill_variable_value(bb), out, 2);
  assert_true(out[0] == 1 && out[1] == 2);
  eval_floats(s, yy, out, 2);
  assert_true(out[0] == 3 && out[1] == 5);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_initialized_value_chain(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *ww = rill_variable_new(g, vec(g, (float[]){2, 3}, 2), NULL, 0);
  rill_output twice = rill_mul(g, rill_variable_initialized_value(ww), rill_scalar_float(g, 2, NULL), NULL);
  rill_variable *bb = rill_variable_new(g, twice, NULL, 0);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  float out[2];
  /* no initializer has run in this session */
  eval_floats(s, rill_variable_initialized_value(bb), out, 2);
  assert_true(out[0] == 4 && out[1] == 6);
  eval_floats(s, rill_variable_initialized_value(ww), out, 2);
  assert_true(out[0] == 2 && out[1] == 3);
  /* running bb's initializer alone works too: it does not need ww to be initialized */
  run_target(s, rill_variable_initializer(bb));
  eval_floats(s, rill_variable_value(bb), out, 2);
  assert_true(out[0] == 4 && out[1] == 6);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_linear_model(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *W = rill_variable_new(g, vec(g, (float[]){.3f}, 1), NULL, 0);
  rill_variable *b = rill_variable_new(g, vec(g, (float[]){-.3f}, 1), NULL, 0);
  rill_output x = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), NULL);
  rill_output linear_model = rill_add(g, rill_mul(g, rill_variable_value(W), x, NULL), rill_variable_value(b), NULL);
  rill_op *init = rill_global_variables_initializer(g);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  run_target(s, init);
  assert_true(eval_float(s, rill_variable_value(b)) == -.3f);

  rill_status *st = rill_status_new();
  rill_tensor *xs = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(4), (float[]){1, 2, 3, 4}, 4 * sizeof(float), st);
  rill_tensor *out;
  rill_session_run(s, &x, &xs, 1, &linear_model, &out, 1, NULL, 0, st);
  assert_status_ok(st);
  const float want[4] = {0.0f, 0.3f, 0.6f, 0.90000004f}; /* float32 rounding as TF prints it */
  assert_int_equal(rill_tensor_num_elements(out), 4);
  assert_memory_equal(rill_tensor_float(out), want, sizeof want);
  rill_tensor_unref(out);

  /* fixW = tf.assign(W, [-1.]); fixb = tf.assign(b, [1.]); sess.run([fixW, fixb]) */
  rill_output fixes[] = {rill_assign(g, W, vec(g, (float[]){-1}, 1), NULL),
                         rill_assign(g, b, vec(g, (float[]){1}, 1), NULL)};
  rill_tensor *fixed[2];
  rill_session_run(s, NULL, NULL, 0, fixes, fixed, 2, NULL, 0, st);
  assert_status_ok(st);
  assert_true(rill_tensor_float(fixed[0])[0] == -1 && rill_tensor_float(fixed[1])[0] == 1);
  rill_tensor_unref(fixed[0]);
  rill_tensor_unref(fixed[1]);
  rill_session_run(s, &x, &xs, 1, &linear_model, &out, 1, NULL, 0, st);
  assert_status_ok(st);
  const float want2[4] = {0, -1, -2, -3};
  assert_memory_equal(rill_tensor_float(out), want2, sizeof want2);
  rill_tensor_unref(out);

  /* d(sum(W*x+b))/dW = sum(x), d/db = the number of elements */
  rill_output xs_[] = {rill_variable_ref(W), rill_variable_ref(b)}, d[2];
  assert_true(rill_gradients(g, &linear_model, 1, xs_, 2, NULL, d));
  assert_graph_ok(g);
  rill_tensor *dv[2];
  rill_session_run(s, &x, &xs, 1, d, dv, 2, NULL, 0, st);
  assert_status_ok(st);
  assert_int_equal(rill_tensor_num_elements(dv[0]), 1);
  assert_true(rill_tensor_float(dv[0])[0] == 10 && rill_tensor_float(dv[1])[0] == 4);
  rill_tensor_unref(dv[0]);
  rill_tensor_unref(dv[1]);

  rill_tensor_unref(xs);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_gradient_sums_and_unknown_shapes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "x");
  /* two paths from x: their gradients are summed */
  rill_output ys[] = {rill_identity(g, x, NULL), rill_identity(g, x, NULL)};
  rill_output d, d1;
  assert_true(rill_gradients(g, ys, 2, &x, 1, NULL, &d));
  /* y of unknown shape: the seed gradient is ones_like(y) */
  assert_true(rill_gradients(g, ys, 1, &x, 1, NULL, &d1));
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_tensor *xv = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(3), (float[]){5, 6, 7}, 3 * sizeof(float), st);
  rill_output f[] = {d, d1};
  rill_tensor *out[2];
  rill_session_run(s, &x, &xv, 1, f, out, 2, NULL, 0, st);
  assert_status_ok(st);
  for (int i = 0; i < 3; i++) {
    assert_true(rill_tensor_float(out[0])[i] == 2);
    assert_true(rill_tensor_float(out[1])[i] == 1);
  }
  rill_tensor_unref(out[0]);
  rill_tensor_unref(out[1]);
  rill_tensor_unref(xv);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_initializer_runs),
      cmocka_unit_test(test_initialized_value_chain),
      cmocka_unit_test(test_linear_model),
      cmocka_unit_test(test_gradient_sums_and_unknown_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
