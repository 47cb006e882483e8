/* Sessions: feeds, fetches and targets, one execution per op per run, plan caching, per-session
 * variable values, TF's run-time errors, placement (soft placement and its log), interactive
 * sessions, variable initializers and assignments, gradients through the core ops, and two
 * threads running one session. Messages are TensorFlow 1.x's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core_util.h"

static rill_tensor *floats(rill_shape s, const float *v) {
  rill_tensor *t = rill_tensor_from_data(RILL_FLOAT, s, v, (size_t)rill_shape_num_elements(s) * sizeof(float), NULL);
  assert_non_null(t);
  return t;
}

static void test_eval_and_fetches(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float v[3] = {1, 2, 3};
  rill_output c = rill_const_float(g, v, 3, RILL_SHAPE(3), NULL);
  rill_output y = rill_identity(g, c, "y");
  rill_output s = rill_scalar_double(g, 0.5, NULL);
  assert_graph_ok(g);
  rill_session *sess = test_session(g);
  assert_ptr_equal(rill_session_graph(sess), g);

  float out[3];
  eval_floats(sess, y, out, 3);
  assert_memory_equal(out, v, sizeof v);

  /* several fetches in one run, the same one twice included */
  rill_output fetches[] = {y, s, c, y};
  rill_tensor *vals[4];
  rill_status *st = rill_status_new();
  rill_session_run(sess, NULL, NULL, 0, fetches, vals, 4, NULL, 0, st);
  assert_status_ok(st);
  assert_int_equal(rill_tensor_dtype(vals[1]), RILL_DOUBLE);
  assert_true(*rill_tensor_double(vals[1]) == 0.5);
  assert_memory_equal(rill_tensor_float(vals[2]), v, sizeof v);
  assert_memory_equal(rill_tensor_float(vals[3]), v, sizeof v);
  for (int i = 0; i < 4; i++) rill_tensor_unref(vals[i]);

  /* a run with no fetches and no targets does nothing and succeeds */
  rill_session_run(sess, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, st);
  assert_status_ok(st);

  /* bad arguments are errors, never crashes */
  rill_session_run(NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_null(rill_session_eval(sess, RILL_NO_OUTPUT, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_op *none = NULL;
  rill_session_run(sess, NULL, NULL, 0, NULL, NULL, 0, &none, 1, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_null(rill_session_new(NULL, NULL, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);

  rill_status_delete(st);
  rill_session_delete(sess);
  rill_session_delete(NULL);
  rill_graph_delete(g);
}

static void test_feeds_replace_any_tensor(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output c = rill_scalar_float(g, 2, "c");
  rill_output y = rill_identity(g, c, "y");
  rill_output z = rill_identity(g, y, "z");
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 2), "x");
  rill_output xi = rill_identity(g, x, NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();

  /* feeding a non-placeholder cuts its producer off */
  rill_tensor *seven = rill_tensor_scalar_float(7);
  rill_output fetches[] = {z, c, y};
  rill_tensor *vals[3];
  rill_session_run(s, &y, &seven, 1, fetches, vals, 3, NULL, 0, st);
  assert_status_ok(st);
  assert_true(*rill_tensor_float(vals[0]) == 7);
  assert_true(*rill_tensor_float(vals[1]) == 2);
  assert_true(*rill_tensor_float(vals[2]) == 7); /* a fed tensor fetched is the fed value */
  for (int i = 0; i < 3; i++) rill_tensor_unref(vals[i]);
  /* a constant can be fed too */
  rill_session_run(s, &c, &seven, 1, &z, vals, 1, NULL, 0, st);
  assert_status_ok(st);
  assert_true(*rill_tensor_float(vals[0]) == 7);
  rill_tensor_unref(vals[0]);
  assert_true(eval_float(s, z) == 2); /* feeds last one run only */

  /* placeholders take any batch size their shape allows */
  const float xv[6] = {1, 2, 3, 4, 5, 6};
  rill_tensor *xt = floats(RILL_SHAPE(3, 2), xv);
  rill_session_run(s, &x, &xt, 1, &xi, vals, 1, NULL, 0, st);
  assert_status_ok(st);
  assert_true(rill_shape_equal(rill_tensor_shape(vals[0]), RILL_SHAPE(3, 2)));
  assert_memory_equal(rill_tensor_float(vals[0]), xv, sizeof xv);
  rill_tensor_unref(vals[0]);
  rill_tensor_unref(xt);

  /* wrong dtype or shape */
  rill_tensor *i32 = rill_tensor_scalar_int32(1);
  rill_session_run(s, &y, &i32, 1, &z, vals, 1, NULL, 0, st);
  assert_status_prefix(st, RILL_INVALID_ARGUMENT, "Cannot feed value of dtype int32 for Tensor 'y:0'");
  assert_null(vals[0]);
  rill_tensor_unref(i32);
  xt = floats(RILL_SHAPE(2, 3), xv);
  rill_session_run(s, &x, &xt, 1, &xi, vals, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st),
                      "Cannot feed value of shape (2, 3) for Tensor 'x:0', which has shape '(?, 2)'");
  assert_null(vals[0]);
  rill_tensor_unref(xt);
  rill_tensor *vec = floats(RILL_SHAPE(1), xv);
  rill_session_run(s, &y, &vec, 1, &z, vals, 1, NULL, 0, st);
  assert_string_equal(rill_status_message(st),
                      "Cannot feed value of shape (1,) for Tensor 'y:0', which has shape '()'");
  rill_tensor_unref(vec);
  rill_tensor *null_feed = NULL;
  rill_session_run(s, &y, &null_feed, 1, &z, vals, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);

  rill_tensor_unref(seven);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_unfed_placeholder(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output p0 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), NULL);
  rill_output p1 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), NULL);
  rill_output q = rill_placeholder(g, RILL_INT64, RILL_SHAPE(), "q");
  rill_output d = rill_placeholder(g, RILL_DOUBLE, rill_shape_unknown(), "d");
  rill_output y = rill_identity(g, p1, NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_tensor *v = (rill_tensor *)1;
  rill_session_run(s, NULL, NULL, 0, &y, &v, 1, NULL, 0, st);
  assert_status_prefix(st, RILL_INVALID_ARGUMENT,
                       "You must feed a value for placeholder tensor 'Placeholder_1' with dtype float and shape [?,1]");
  assert_contains(rill_status_message(st), "[[{{node Placeholder_1}}]]");
  assert_null(v);
  assert_null(rill_session_eval(s, q, st));
  assert_status_prefix(st, RILL_INVALID_ARGUMENT,
                       "You must feed a value for placeholder tensor 'q' with dtype int64 and shape []");
  assert_null(rill_session_eval(s, d, st));
  assert_status_prefix(st, RILL_INVALID_ARGUMENT,
                       "You must feed a value for placeholder tensor 'd' with dtype double and shape ?");
  /* fed, it runs; the other placeholder is not needed */
  const float one = 1;
  rill_tensor *t = floats(RILL_SHAPE(1, 1), &one);
  rill_session_run(s, &p1, &t, 1, &y, &v, 1, NULL, 0, st);
  assert_status_ok(st);
  rill_tensor_unref(v);
  rill_tensor_unref(t);
  (void)p0;
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_each_op_runs_once_per_run(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *counter = rill_variable_new(g, rill_scalar_int32(g, 0, NULL), "counter", RILL_VAR_NOT_TRAINABLE);
  rill_output inc = rill_assign_add(g, counter, rill_scalar_int32(g, 1, NULL), NULL);
  rill_output inc2 = rill_identity(g, inc, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(inc.op), "AssignAdd");
  rill_session *s = test_session(g);
  run_target(s, rill_variable_initializer(counter));
  rill_status *st = rill_status_new();

  /* fetched twice, read through an Identity and named as a target: still one increment */
  rill_output fetches[] = {inc, inc, inc2};
  rill_tensor *vals[3];
  rill_session_run(s, NULL, NULL, 0, fetches, vals, 3, &inc.op, 1, st);
  assert_status_ok(st);
  for (int i = 0; i < 3; i++) assert_int_equal(*rill_tensor_int32(vals[i]), 1);
  rill_tensor *held = vals[0];
  rill_tensor_unref(vals[1]);
  rill_tensor_unref(vals[2]);

  rill_session_run(s, NULL, NULL, 0, fetches, vals, 3, NULL, 0, st);
  assert_status_ok(st);
  for (int i = 0; i < 3; i++) assert_int_equal(*rill_tensor_int32(vals[i]), 2);
  for (int i = 0; i < 3; i++) rill_tensor_unref(vals[i]);
  /* a value fetched earlier is never changed behind the caller's back */
  assert_int_equal(*rill_tensor_int32(held), 1);
  rill_tensor_unref(held);

  rill_tensor *now = rill_session_eval(s, rill_variable_value(counter), st);
  assert_int_equal(*rill_tensor_int32(now), 2);
  rill_tensor_unref(now);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_plan_cache(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_scalar_float(g, 1, NULL);
  rill_output b = rill_identity(g, a, NULL);
  rill_output p = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(), NULL);
  rill_output q = rill_identity(g, p, NULL);
  rill_session *s = test_session(g);
  assert_int_equal(rill_session_num_plans(s), 0);
  for (int i = 0; i < 3; i++) assert_true(eval_float(s, b) == 1);
  assert_int_equal(rill_session_num_plans(s), 1);
  eval_float(s, a);
  assert_int_equal(rill_session_num_plans(s), 2);
  rill_status *st = rill_status_new();
  rill_output ab[] = {a, b}, ba[] = {b, a};
  rill_tensor *v[2];
  for (int i = 0; i < 2; i++) {
    rill_session_run(s, NULL, NULL, 0, ab, v, 2, NULL, 0, st);
    rill_tensor_unref(v[0]);
    rill_tensor_unref(v[1]);
  }
  assert_int_equal(rill_session_num_plans(s), 3);
  rill_session_run(s, NULL, NULL, 0, ba, v, 2, NULL, 0, st); /* order is part of the signature */
  rill_tensor_unref(v[0]);
  rill_tensor_unref(v[1]);
  assert_int_equal(rill_session_num_plans(s), 4);
  /* a feed changes the signature; its values do not */
  for (int i = 0; i < 3; i++) {
    rill_tensor *t = rill_tensor_scalar_float((float)i);
    rill_session_run(s, &p, &t, 1, &q, v, 1, NULL, 0, st);
    assert_status_ok(st);
    assert_true(*rill_tensor_float(v[0]) == (float)i);
    rill_tensor_unref(v[0]);
    rill_tensor_unref(t);
  }
  assert_int_equal(rill_session_num_plans(s), 5);
  /* ops added after a plan was made are usable at once */
  rill_output late = rill_identity(g, b, NULL);
  assert_true(eval_float(s, late) == 1);
  assert_int_equal(rill_session_num_plans(s), 6);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_sessions_hold_their_own_variables(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 1, NULL), NULL, 0);
  rill_output set5 = rill_assign(g, v, rill_scalar_float(g, 5, NULL), NULL);
  rill_op *init = rill_global_variables_initializer(g);
  assert_graph_ok(g);
  rill_session *s1 = test_session(g), *s2 = test_session(g);
  run_target(s1, init);
  run_target(s1, set5.op);
  assert_true(eval_float(s1, rill_variable_value(v)) == 5);
  rill_status *st = rill_status_new();
  assert_null(rill_session_eval(s2, rill_variable_value(v), st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  run_target(s2, init);
  assert_true(eval_float(s2, rill_variable_value(v)) == 1);
  assert_true(eval_float(s1, rill_variable_value(v)) == 5);
  rill_session_delete(s1);
  assert_true(eval_float(s2, rill_variable_value(v)) == 1);
  rill_status_delete(st);
  rill_session_delete(s2);
  rill_graph_delete(g);
}

static void test_uninitialized_and_foreign(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 1, NULL), NULL, 0);
  rill_output inc = rill_assign_add(g, v, rill_scalar_float(g, 1, NULL), NULL);
  rill_output y = rill_identity(g, rill_variable_value(v), "y");
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  assert_null(rill_session_eval(s, rill_variable_value(v), st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value Variable");
  assert_null(rill_session_eval(s, rill_variable_ref(v), st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value Variable");
  assert_null(rill_session_eval(s, y, st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value Variable");
  assert_null(rill_session_eval(s, inc, st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value Variable");
  run_target(s, rill_variable_initializer(v));
  assert_true(eval_float(s, y) == 1);

  /* tensors and ops of another graph */
  rill_graph *other = rill_graph_new();
  rill_output c = rill_scalar_float(other, 1, NULL);
  rill_op *n = rill_no_op(other, NULL);
  assert_null(rill_session_eval(s, c, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st), "Tensor Const:0 is not an element of this graph.");
  rill_session_run_op(s, n, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st), "Operation NoOp is not an element of this graph.");
  rill_tensor *one = rill_tensor_scalar_float(1);
  rill_tensor *out;
  rill_session_run(s, &c, &one, 1, &y, &out, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_tensor_unref(one);
  rill_graph_delete(other);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static char *placement_log(rill_graph *g, rill_output fetch, bool soft, rill_code *code) {
  char *text = NULL;
  size_t len = 0;
  FILE *log = open_memstream(&text, &len);
  assert_non_null(log);
  rill_session_options o = rill_session_options_default();
  o.log_device_placement = true;
  o.allow_soft_placement = soft;
  o.log = log;
  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, &o, st);
  assert_status_ok(st);
  for (int i = 0; i < 2; i++) { /* a second run logs nothing new */
    rill_tensor *v = rill_session_eval(s, fetch, st);
    rill_tensor_unref(v);
  }
  *code = rill_status_code(st);
  rill_status_delete(st);
  rill_session_delete(s);
  fclose(log);
  return text;
}

static void test_placement(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_device_push(g, "/cpu:0");
  rill_output c = rill_scalar_float(g, 1, "c");
  rill_device_pop(g);
  rill_output y = rill_identity(g, c, "y");
  rill_device_push(g, "/gpu:0");
  rill_output gg = rill_identity(g, y, "gg");
  rill_device_pop(g);
  assert_graph_ok(g);

  rill_code code;
  char *text = placement_log(g, y, false, &code);
  assert_int_equal(code, RILL_OK);
  assert_string_equal(text, "c: (Const): /job:localhost/replica:0/task:0/device:CPU:0\n"
                            "y: (Identity): /job:localhost/replica:0/task:0/device:CPU:0\n");
  free(text);

  /* an op pinned to a GPU that is not there: an error, or the CPU under soft placement */
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  assert_null(rill_session_eval(s, gg, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st),
                      "Cannot assign a device for operation gg: Operation was explicitly assigned to /device:GPU:0 "
                      "but available devices are [ /job:localhost/replica:0/task:0/device:CPU:0 ]. Make sure the "
                      "device specification refers to a valid device.");
  assert_true(eval_float(s, y) == 1); /* ops that are not pinned still run */
  rill_session_delete(s);

  text = placement_log(g, gg, true, &code);
  assert_int_equal(code, RILL_OK);
  assert_contains(text, "gg: (Identity): /job:localhost/replica:0/task:0/device:CPU:0\n");
  free(text);
  rill_status_delete(st);
  rill_graph_delete(g);
}

static void *no_default_in_other_thread(void *arg) {
  (void)arg;
  return rill_default_session();
}

static void test_interactive_session(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 4, NULL), NULL, 0);
  rill_op *init = rill_global_variables_initializer(g);
  rill_output r = rill_variable_value(v);
  rill_status *st = rill_status_new();
  assert_null(rill_default_session());
  assert_null(rill_eval(r, st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  rill_run(init, st);
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);

  rill_session *s = rill_interactive_session_new(g, NULL, st);
  assert_status_ok(st);
  assert_ptr_equal(rill_default_session(), s);
  rill_run(init, st); /* init.run() */
  assert_status_ok(st);
  rill_tensor *t = rill_eval(r, st); /* r.eval() */
  assert_status_ok(st);
  assert_true(*rill_tensor_float(t) == 4);
  rill_tensor_unref(t);
  /* the default is per thread */
  pthread_t th;
  void *seen = (void *)1;
  assert_int_equal(pthread_create(&th, NULL, no_default_in_other_thread, NULL), 0);
  pthread_join(th, &seen);
  assert_null(seen);

  /* as_default() on an ordinary session */
  rill_session *plain = test_session(g);
  rill_session_set_default(plain);
  assert_null(rill_eval(r, st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION); /* its own, uninitialized value */
  rill_session_set_default(NULL);
  assert_null(rill_default_session());
  rill_session_delete(plain);
  rill_session_set_default(s);
  rill_session_delete(s); /* closing the default session clears it */
  assert_null(rill_default_session());
  rill_status_delete(st);
  rill_graph_delete(g);
}

static void test_initializers(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *a = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "a", 0);
  rill_variable *b = rill_variable_new(g, rill_scalar_float(g, 2, NULL), "b", 0);
  rill_variable *l = rill_variable_new(g, rill_scalar_float(g, 3, NULL), "l", RILL_VAR_LOCAL);
  rill_op *only_a = rill_variables_initializer(g, &a, 1, NULL);
  rill_op *global = rill_global_variables_initializer(g);
  rill_op *local = rill_local_variables_initializer(g);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(only_a), "init");
  assert_string_equal(rill_op_name(global), "init_1");
  assert_string_equal(rill_op_name(local), "init_2");
  assert_string_equal(rill_op_type(global), "NoOp");
  assert_int_equal(rill_op_num_control_inputs(global), 2);
  assert_int_equal(rill_op_num_control_inputs(local), 1);

  rill_status *st = rill_status_new();
  rill_session *s = test_session(g);
  run_target(s, only_a);
  assert_true(eval_float(s, rill_variable_value(a)) == 1);
  assert_null(rill_session_eval(s, rill_variable_value(b), st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value b");
  run_target(s, global);
  assert_true(eval_float(s, rill_variable_value(b)) == 2);
  assert_null(rill_session_eval(s, rill_variable_value(l), st));
  assert_status_prefix(st, RILL_FAILED_PRECONDITION, "Attempting to use uninitialized value l");
  run_target(s, local);
  assert_true(eval_float(s, rill_variable_value(l)) == 3);
  rill_session_delete(s);

  /* get_variable's initializers */
  rill_variable *z = rill_get_variable(g, "z", RILL_FLOAT, RILL_SHAPE(2, 2), rill_zeros_initializer(), 0);
  rill_variable *o = rill_get_variable(g, "o", RILL_DOUBLE, RILL_SHAPE(3), rill_ones_initializer(), 0);
  rill_variable *k = rill_get_variable(g, "k", RILL_INT32, RILL_SHAPE(2), rill_constant_initializer(7), 0);
  const float tv[2] = {0.5f, 1.5f};
  rill_variable *t = rill_get_variable(g, "t", RILL_DT_INVALID, rill_shape_unknown(),
                                       rill_tensor_initializer(rill_const_float(g, tv, 2, RILL_SHAPE(2), NULL)), 0);
  rill_op *init2 = rill_global_variables_initializer(g);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(rill_variable_initial_value(z).op), "z/Initializer/zeros");
  assert_int_equal(rill_variable_dtype(t), RILL_FLOAT);
  assert_true(rill_shape_equal(rill_variable_shape(t), RILL_SHAPE(2)));
  s = test_session(g);
  run_target(s, init2);
  float zv[4];
  eval_floats(s, rill_variable_value(z), zv, 4);
  for (int i = 0; i < 4; i++) assert_true(zv[i] == 0);
  rill_tensor *ov = rill_session_eval(s, rill_variable_value(o), st);
  for (int i = 0; i < 3; i++) assert_true(rill_tensor_double(ov)[i] == 1.0);
  rill_tensor_unref(ov);
  rill_tensor *kv = rill_session_eval(s, rill_variable_value(k), st);
  assert_int_equal(rill_tensor_int32(kv)[0], 7);
  assert_int_equal(rill_tensor_int32(kv)[1], 7);
  rill_tensor_unref(kv);
  float tout[2];
  eval_floats(s, rill_variable_value(t), tout, 2);
  assert_memory_equal(tout, tv, sizeof tv);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
}

static void test_assignments(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float f0[2] = {1, 2}, f5[2] = {5, 6}, f1[2] = {1, 1}, f2[2] = {2, 2};
  rill_variable *w = rill_variable_new(g, rill_const_float(g, f0, 2, RILL_SHAPE(2), NULL), "w", 0);
  rill_output set = rill_assign(g, w, rill_const_float(g, f5, 2, RILL_SHAPE(2), NULL), NULL);
  rill_output add = rill_assign_add(g, w, rill_const_float(g, f1, 2, RILL_SHAPE(2), NULL), NULL);
  rill_output sub = rill_assign_sub(g, w, rill_const_float(g, f2, 2, RILL_SHAPE(2), NULL), NULL);
  const int64_t i3 = 3;
  rill_variable *n = rill_variable_new(g, rill_const_int64(g, &i3, 1, RILL_SHAPE(1), NULL), "n", 0);
  rill_output nadd = rill_assign_add(g, n, rill_const_int64(g, &i3, 1, RILL_SHAPE(1), NULL), "nadd");
  rill_output nsub = rill_assign_sub(g, n, rill_const_int64(g, &i3, 1, RILL_SHAPE(1), NULL), NULL);
  rill_variable *d = rill_variable_new(g, rill_scalar_double(g, 0.5, NULL), "d", 0);
  rill_output dadd = rill_assign_add(g, d, rill_scalar_double(g, 0.25, NULL), NULL);
  rill_op *init = rill_global_variables_initializer(g);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(set.op), "Assign");
  assert_string_equal(rill_op_name(add.op), "AssignAdd");
  assert_string_equal(rill_op_name(sub.op), "AssignSub");
  assert_string_equal(rill_op_name(nadd.op), "nadd");
  assert_string_equal(rill_op_name(nsub.op), "AssignSub_1");
  assert_true(rill_op_attr_bool(set.op, "validate_shape", false));

  rill_session *s = test_session(g);
  run_target(s, init);
  float out[2];
  eval_floats(s, set, out, 2); /* the output is the new value */
  assert_true(out[0] == 5 && out[1] == 6);
  eval_floats(s, add, out, 2);
  assert_true(out[0] == 6 && out[1] == 7);
  eval_floats(s, sub, out, 2);
  assert_true(out[0] == 4 && out[1] == 5);
  eval_floats(s, rill_variable_value(w), out, 2);
  assert_true(out[0] == 4 && out[1] == 5);

  rill_status *st = rill_status_new();
  rill_tensor *t = rill_session_eval(s, nadd, st);
  assert_int_equal(rill_tensor_int64(t)[0], 6);
  rill_tensor_unref(t);
  t = rill_session_eval(s, nsub, st);
  assert_int_equal(rill_tensor_int64(t)[0], 3);
  rill_tensor_unref(t);
  t = rill_session_eval(s, dadd, st);
  assert_true(*rill_tensor_double(t) == 0.75);
  rill_tensor_unref(t);
  rill_status_delete(st);

  /* re-running the initializer restores the initial value */
  run_target(s, init);
  eval_floats(s, rill_variable_value(w), out, 2);
  assert_true(out[0] == 1 && out[1] == 2);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_initialized_value_without_arithmetic(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float v[2] = {2, 3};
  rill_variable *ww = rill_variable_new(g, rill_const_float(g, v, 2, RILL_SHAPE(2), NULL), NULL, 0);
  rill_output iv = rill_variable_initialized_value(ww);
  assert_ptr_equal(rill_variable_initialized_value(ww).op, iv.op); /* built once */
  rill_variable *copy = rill_variable_new(g, iv, NULL, 0);
  rill_output set = rill_assign(g, ww, rill_const_float(g, (float[]){9, 9}, 2, RILL_SHAPE(2), NULL), NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  float out[2];
  /* no initializer has run: the initial value */
  eval_floats(s, iv, out, 2);
  assert_true(out[0] == 2 && out[1] == 3);
  eval_floats(s, rill_variable_initialized_value(copy), out, 2);
  assert_true(out[0] == 2 && out[1] == 3);
  /* and the variable itself is still uninitialized */
  rill_status *st = rill_status_new();
  assert_null(rill_session_eval(s, rill_variable_value(ww), st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  /* once set, the current value */
  run_target(s, set.op);
  eval_floats(s, iv, out, 2);
  assert_true(out[0] == 9 && out[1] == 9);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_gradients_through_core_ops(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2), "x");
  rill_output y = rill_identity(g, rill_identity(g, x, NULL), NULL);
  rill_output unrelated = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2), NULL);
  rill_output dx[2];
  rill_output xs[] = {x, unrelated};
  assert_true(rill_gradients(g, &y, 1, xs, 2, NULL, dx));
  assert_graph_ok(g);
  assert_string_equal(out_name(dx[0]), "gradients/grad_ys_0:0");
  assert_false(rill_output_ok(dx[1]));
  /* a second call gets its own scope, as in TF */
  rill_output dx2;
  assert_true(rill_gradients(g, &y, 1, &x, 1, NULL, &dx2));
  assert_string_equal(out_name(dx2), "gradients_1/grad_ys_0:0");

  /* grad_ys are passed through */
  const float gy[2] = {2, 3};
  rill_output gys = rill_const_float(g, gy, 2, RILL_SHAPE(2), NULL);
  rill_output dx3;
  assert_true(rill_gradients(g, &y, 1, &x, 1, &gys, &dx3));

  /* StopGradient blocks, PlaceholderWithDefault passes */
  rill_output stopped = rill_stop_gradient(g, x, NULL);
  rill_output dstop = {(rill_op *)1, 0};
  assert_true(rill_gradients(g, &stopped, 1, &x, 1, NULL, &dstop));
  assert_false(rill_output_ok(dstop));
  rill_output c = rill_const_float(g, gy, 2, RILL_SHAPE(2), NULL);
  rill_output pwd = rill_placeholder_with_default(g, c, RILL_SHAPE(2), NULL);
  rill_output dpwd;
  assert_true(rill_gradients(g, &pwd, 1, &c, 1, NULL, &dpwd));

  /* through a variable's read, with respect to the variable */
  rill_variable *w = rill_variable_new(g, rill_const_float(g, gy, 2, RILL_SHAPE(2), NULL), "w", 0);
  rill_output wy = rill_identity(g, rill_variable_value(w), NULL);
  rill_output wref = rill_variable_ref(w), dw;
  assert_true(rill_gradients(g, &wy, 1, &wref, 1, NULL, &dw));
  assert_graph_ok(g);

  rill_session *s = test_session(g);
  rill_tensor *xv = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), gy, sizeof gy, NULL);
  rill_output fetches[] = {dx[0], dx3, dpwd, dw};
  rill_tensor *vals[4];
  rill_status *st = rill_status_new();
  rill_session_run(s, &x, &xv, 1, fetches, vals, 4, NULL, 0, st);
  assert_status_ok(st);
  const float *d0 = rill_tensor_float(vals[0]), *d3 = rill_tensor_float(vals[1]);
  const float *dp = rill_tensor_float(vals[2]), *dwv = rill_tensor_float(vals[3]);
  assert_true(d0[0] == 1 && d0[1] == 1);
  assert_true(d3[0] == 2 && d3[1] == 3);
  assert_true(dp[0] == 1 && dp[1] == 1);
  assert_true(dwv[0] == 1 && dwv[1] == 1);
  for (int i = 0; i < 4; i++) rill_tensor_unref(vals[i]);
  rill_tensor_unref(xv);

  /* inputs of another graph are build errors */
  rill_graph *other = rill_graph_new();
  rill_output o = rill_scalar_float(other, 1, NULL);
  rill_output dout = {(rill_op *)1, 0};
  assert_false(rill_gradients(g, &o, 1, &x, 1, NULL, &dout));
  assert_false(rill_output_ok(dout));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(other);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

typedef struct worker {
  rill_session *s;
  rill_output x, y, z;
  float base;
  int bad;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  rill_status *st = rill_status_new();
  for (int i = 0; i < 400; i++) {
    float v[4] = {w->base + (float)i, 1, 2, 3};
    rill_tensor *t = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(4), v, sizeof v, NULL);
    /* the same signature from both threads, and now and then a second one */
    rill_output f2[] = {w->y, w->z};
    rill_tensor *out[2] = {NULL, NULL};
    int nf = (i % 7 == 0) ? 2 : 1;
    rill_session_run(w->s, &w->x, &t, 1, f2, out, nf, NULL, 0, st);
    if (rill_status_code(st) != RILL_OK || !out[0] || rill_tensor_float(out[0])[0] != v[0]) w->bad++;
    if (nf == 2 && (!out[1] || rill_tensor_float(out[1])[3] != 3)) w->bad++;
    rill_tensor_unref(out[0]);
    rill_tensor_unref(out[1]);
    rill_tensor_unref(t);
  }
  rill_status_delete(st);
  return NULL;
}

static void test_two_threads_one_session(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(4), "x");
  rill_output y = rill_identity(g, rill_identity(g, x, NULL), NULL);
  rill_output z = rill_identity(g, rill_stop_gradient(g, x, NULL), NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  worker w[2] = {{s, x, y, z, 0.0f, 0}, {s, x, y, z, 100000.0f, 0}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_int_equal(w[0].bad, 0);
  assert_int_equal(w[1].bad, 0);
  assert_int_equal(rill_session_num_plans(s), 2);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eval_and_fetches),
      cmocka_unit_test(test_feeds_replace_any_tensor),
      cmocka_unit_test(test_unfed_placeholder),
      cmocka_unit_test(test_each_op_runs_once_per_run),
      cmocka_unit_test(test_plan_cache),
      cmocka_unit_test(test_sessions_hold_their_own_variables),
      cmocka_unit_test(test_uninitialized_and_foreign),
      cmocka_unit_test(test_placement),
      cmocka_unit_test(test_interactive_session),
      cmocka_unit_test(test_initializers),
      cmocka_unit_test(test_assignments),
      cmocka_unit_test(test_initialized_value_without_arithmetic),
      cmocka_unit_test(test_gradients_through_core_ops),
      cmocka_unit_test(test_two_threads_one_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
