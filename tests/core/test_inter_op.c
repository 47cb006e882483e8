/* Inter-op parallel runs (inter_op_threads > 1): the same values as one-at-a-time runs,
 * bit for bit, for branchy graphs and for training steps; errors still reported; no leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

/* Eight independent branches of matmul/tanh/reduce joined by add_n, plus a small MLP trained
 * with Adam: returns the loss after `steps` steps. */
static void train(int inter, int steps, float *losses, float *branch_sum) {
  rill_graph *g = rill_graph_new();
  rill_graph_set_random_seed(g, 7);
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 16), "x");
  rill_output y = rill_placeholder(g, RILL_INT64, RILL_SHAPE(-1), "y");
  rill_output parts[8];
  for (int b = 0; b < 8; b++) {
    rill_variable *w = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(16, 16), 0, 0.3, RILL_FLOAT, RILL_NO_SEED, NULL),
                                         NULL, 0);
    parts[b] = rill_reduce_sum(g, rill_tanh(g, rill_matmul(g, x, rill_variable_value(w), false, false, NULL), NULL),
                               NULL, 0, false, NULL);
  }
  rill_output branches = rill_add_n(g, parts, 8, NULL);
  rill_variable *w1 = rill_variable_new(g, rill_truncated_normal(g, RILL_SHAPE(16, 32), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL),
                                        "w1", 0);
  rill_variable *w2 = rill_variable_new(g, rill_truncated_normal(g, RILL_SHAPE(32, 4), 0, 0.1, RILL_FLOAT, RILL_NO_SEED, NULL),
                                        "w2", 0);
  rill_output h = rill_relu(g, rill_matmul(g, x, rill_variable_value(w1), false, false, NULL), NULL);
  rill_output logits = rill_matmul(g, h, rill_variable_value(w2), false, false, NULL);
  rill_output loss = rill_reduce_mean(g, rill_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL), NULL, 0,
                                      false, NULL);
  rill_op *step = rill_optimizer_minimize(rill_adam_optimizer(g, rill_scalar_float(g, 0.01f, NULL), 0.9, 0.999, 1e-8),
                                          loss, NULL, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  assert_int_equal(rill_graph_code(g), RILL_OK);

  rill_status *st = rill_status_new();
  rill_session_options o = rill_session_options_default();
  o.intra_op_threads = 1;
  o.inter_op_threads = inter;
  rill_session *s = rill_session_new(g, &o, st);
  rill_session_run_op(s, init, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  float xv[8 * 16];
  int64_t yv[8];
  for (int i = 0; i < 8 * 16; i++) xv[i] = (float)((i * 37) % 19) / 19.0f - 0.5f;
  for (int i = 0; i < 8; i++) yv[i] = i % 4;
  rill_tensor *feeds[2] = {rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(8, 16), xv, sizeof xv, st),
                           rill_tensor_from_data(RILL_INT64, RILL_SHAPE(8), yv, sizeof yv, st)};
  rill_output fo[2] = {x, y};
  for (int i = 0; i < steps; i++) {
    rill_output fetch[2] = {loss, branches};
    rill_tensor *out[2];
    rill_session_run(s, fo, feeds, 2, fetch, out, 2, &step, 1, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    losses[i] = rill_tensor_float(out[0])[0];
    branch_sum[i] = rill_tensor_float(out[1])[0];
    rill_tensor_unref(out[0]);
    rill_tensor_unref(out[1]);
  }
  rill_tensor_unref(feeds[0]);
  rill_tensor_unref(feeds[1]);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
}

static void test_parallel_equals_sequential(void **state) {
  (void)state;
  enum { STEPS = 30 };
  float l1[STEPS], b1[STEPS];
  train(1, STEPS, l1, b1);
  assert_true(l1[STEPS - 1] < l1[0]);
  for (int threads = 2; threads <= 4; threads++)
    for (int rep = 0; rep < 3; rep++) {
      float l2[STEPS], b2[STEPS];
      train(threads, STEPS, l2, b2);
      assert_memory_equal(l1, l2, sizeof l1);
      assert_memory_equal(b1, b2, sizeof b1);
    }
}

static void test_parallel_error_is_reported(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2), "a");
  rill_variable *v = rill_variable_new(g, rill_const_float(g, (float[]){1, 2}, 2, RILL_SHAPE(2), NULL), "v", 0);
  rill_output ok_branch = rill_square(g, a, NULL);
  rill_output bad_branch = rill_mul(g, a, rill_variable_value(v), NULL); /* v never initialized */
  rill_output sum = rill_add(g, ok_branch, bad_branch, NULL);
  rill_status *st = rill_status_new();
  rill_session_options o = rill_session_options_default();
  o.inter_op_threads = 2;
  rill_session *s = rill_session_new(g, &o, st);
  rill_tensor *av = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), (float[]){3, 4}, 8, st), *out = NULL;
  for (int i = 0; i < 20; i++) {
    rill_session_run(s, &a, &av, 1, &sum, &out, 1, NULL, 0, st);
    assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
    assert_non_null(strstr(rill_status_message(st), "Attempting to use uninitialized value v"));
    assert_null(out);
  }
  rill_session_run_op(s, rill_variable_initializer(v), st);
  rill_session_run(s, &a, &av, 1, &sum, &out, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  assert_true(rill_tensor_float(out)[0] == 12.0f && rill_tensor_float(out)[1] == 24.0f);
  rill_tensor_unref(out);
  rill_tensor_unref(av);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parallel_equals_sequential),
      cmocka_unit_test(test_parallel_error_is_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
