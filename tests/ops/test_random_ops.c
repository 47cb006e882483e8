/* Random ops: TF's seed rules (graph seed, op seed, op count), TF's exact Philox streams
 * (tests/golden/random_tf.h), state that advances from run to run, reproducibility across
 * sessions and thread counts, the distributions' statistics, and the builders' graphs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core_util.h"
#include "golden/random_tf.h"

static rill_session *session_threads(rill_graph *g, int threads) {
  rill_session_options o = rill_session_options_default();
  o.intra_op_threads = threads;
  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, &o, st);
  assert_status_ok(st);
  rill_status_delete(st);
  return s;
}

/* Runs t and returns its tensor (caller unrefs). */
static rill_tensor *run1(rill_session *s, rill_output t) {
  rill_status *st = rill_status_new();
  rill_tensor *v = rill_session_eval(s, t, st);
  assert_status_ok(st);
  assert_non_null(v);
  rill_status_delete(st);
  return v;
}

static bool same_values(const rill_tensor *a, const rill_tensor *b) {
  return rill_tensor_nbytes(a) == rill_tensor_nbytes(b) &&
         !memcmp(rill_tensor_data(a), rill_tensor_data(b), rill_tensor_nbytes(a));
}

static rill_op *random_op_of(rill_output o) {
  /* the raw random op feeds the Mul that feeds the final Add */
  rill_op *mul = rill_op_input(o.op, 0).op;
  return rill_op_input(mul, 0).op;
}

static void test_seed_attributes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* neither seed: both attributes 0 (the kernel seeds itself) */
  rill_op *r = random_op_of(rill_random_normal(g, RILL_SHAPE(2), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL));
  assert_graph_ok(g);
  assert_string_equal(rill_op_type(r), "RandomStandardNormal");
  assert_int_equal(rill_op_attr_int(r, "seed", -1), 0);
  assert_int_equal(rill_op_attr_int(r, "seed2", -1), 0);
  /* op seed only: the graph seed is TF's default 87654321 */
  r = random_op_of(rill_random_uniform(g, RILL_SHAPE(2), 0, 1, RILL_FLOAT, 5, NULL));
  assert_int_equal(rill_op_attr_int(r, "seed", -1), 87654321);
  assert_int_equal(rill_op_attr_int(r, "seed2", -1), 5);
  /* graph seed only: the op seed is the op count when the random op is made (TF 1.x's
   * _last_id: the shape, mean and stddev constants already exist) */
  rill_graph_set_random_seed(g, 7);
  int before = rill_graph_num_ops(g);
  r = random_op_of(rill_truncated_normal(g, RILL_SHAPE(2), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL));
  assert_int_equal(rill_op_attr_int(r, "seed", -1), 7);
  assert_int_equal(rill_op_attr_int(r, "seed2", -1), before + 3);
  /* both: taken as given, reduced modulo 2^31 - 1 like TF's _truncate_seed */
  r = random_op_of(rill_random_normal(g, RILL_SHAPE(2), 0, 1, RILL_FLOAT, 2147483647LL + 9, NULL));
  assert_int_equal(rill_op_attr_int(r, "seed", -1), 7);
  assert_int_equal(rill_op_attr_int(r, "seed2", -1), 9);
  /* (0, 0) would mean "unseeded": TF substitutes (0, 2^31 - 1) */
  rill_graph_set_random_seed(g, 0);
  r = random_op_of(rill_random_normal(g, RILL_SHAPE(2), 0, 1, RILL_FLOAT, 0, NULL));
  assert_int_equal(rill_op_attr_int(r, "seed", -1), 0);
  assert_int_equal(rill_op_attr_int(r, "seed2", -1), 2147483647);
  rill_output x = rill_const_float(g, (float[]){1, 2, 3}, 3, RILL_SHAPE(3), NULL);
  rill_graph_set_random_seed(g, 11);
  before = rill_graph_num_ops(g);
  rill_output sh = rill_random_shuffle(g, x, RILL_NO_SEED, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(sh.op), "RandomShuffle");
  assert_int_equal(rill_op_attr_int(sh.op, "seed", -1), 11);
  assert_int_equal(rill_op_attr_int(sh.op, "seed2", -1), before);
  rill_graph_delete(g);
}

static void test_graph_like_tf(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output n = rill_random_normal(g, RILL_SHAPE(2, 3), 1, 2, RILL_FLOAT, 5, NULL);
  rill_output u = rill_random_uniform(g, RILL_SHAPE(4), -1, 1, RILL_DOUBLE, 5, "u");
  rill_output n2 = rill_random_normal(g, RILL_SHAPE(2, 3), 1, 2, RILL_FLOAT, 5, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(n.op), "random_normal");
  assert_string_equal(rill_op_name(n2.op), "random_normal_1");
  assert_string_equal(rill_op_name(u.op), "u");
  const char *names[] = {"random_normal/shape", "random_normal/mean", "random_normal/stddev",
                         "random_normal/RandomStandardNormal", "random_normal/mul", "u/shape", "u/min", "u/max",
                         "u/RandomUniform", "u/sub", "u/mul", "random_normal_1/RandomStandardNormal"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!rill_graph_op_by_name(g, names[i])) fail_msg("no op %s", names[i]);
  rill_op *r = rill_graph_op_by_name(g, "random_normal/RandomStandardNormal");
  assert_int_equal(rill_op_attr_type(r, "dtype", RILL_DT_INVALID), RILL_FLOAT);
  assert_int_equal(rill_op_attr_type(r, "T", RILL_DT_INVALID), RILL_INT32);
  assert_true(rill_shape_equal(rill_output_shape(n), RILL_SHAPE(2, 3)));
  assert_int_equal(rill_output_dtype(u), RILL_DOUBLE);
  rill_op *ru = rill_graph_op_by_name(g, "u/RandomUniform");
  assert_string_equal(rill_op_type(ru), "RandomUniform");
  assert_true(rill_shape_equal(rill_output_shape(rill_op_output(ru, 0)), RILL_SHAPE(4)));

  /* build errors */
  rill_random_normal(g, RILL_SHAPE(2), 0, 1, RILL_INT32, 1, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)),
                  "Value for attr 'dtype' of int32 is not in the list of allowed values");
  rill_graph_clear_error(g);
  rill_random_uniform(g, RILL_SHAPE(-1, 2), 0, 1, RILL_FLOAT, 1, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

/* TF's own values for seed=87654321, seed2=5, two runs each. */
static void test_matches_tensorflow(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  int32_t range[10];
  for (int i = 0; i < 10; i++) range[i] = i;
  rill_output ops[7] = {
      rill_random_normal(g, RILL_SHAPE(7), 0, 1, RILL_FLOAT, 5, NULL),
      rill_random_uniform(g, RILL_SHAPE(5), 0, 1, RILL_FLOAT, 5, NULL),
      rill_truncated_normal(g, RILL_SHAPE(9), 0, 1, RILL_FLOAT, 5, NULL),
      rill_random_normal(g, RILL_SHAPE(3), 0, 1, RILL_DOUBLE, 5, NULL),
      rill_random_uniform(g, RILL_SHAPE(3), 0, 1, RILL_DOUBLE, 5, NULL),
      rill_truncated_normal(g, RILL_SHAPE(5), 0, 1, RILL_DOUBLE, 5, NULL),
      rill_random_shuffle(g, rill_const_int32(g, range, 10, RILL_SHAPE(10), NULL), 5, NULL),
  };
  assert_graph_ok(g);
  const void *want[7][2] = {
      {tf_normal_f32_run0, tf_normal_f32_run1},       {tf_uniform_f32_run0, tf_uniform_f32_run1},
      {tf_truncated_f32_run0, tf_truncated_f32_run1}, {tf_normal_f64_run0, tf_normal_f64_run1},
      {tf_uniform_f64_run0, tf_uniform_f64_run1},     {tf_truncated_f64_run0, tf_truncated_f64_run1},
      {tf_shuffle_i32_run0, tf_shuffle_i32_run1}};
  const size_t sizes[7] = {sizeof tf_normal_f32_run0, sizeof tf_uniform_f32_run0, sizeof tf_truncated_f32_run0,
                           sizeof tf_normal_f64_run0, sizeof tf_uniform_f64_run0, sizeof tf_truncated_f64_run0,
                           sizeof tf_shuffle_i32_run0};
  for (int threads = 1; threads <= 2; threads++) {
    rill_session *s = session_threads(g, threads);
    for (int run = 0; run < 2; run++) {
      rill_tensor *v[7];
      rill_status *st = rill_status_new();
      rill_session_run(s, NULL, NULL, 0, ops, v, 7, NULL, 0, st);
      assert_status_ok(st);
      rill_status_delete(st);
      for (int i = 0; i < 7; i++) {
        assert_int_equal(rill_tensor_nbytes(v[i]), sizes[i]);
        if (memcmp(rill_tensor_data(v[i]), want[i][run], sizes[i])) fail_msg("op %d run %d differs from TF", i, run);
        rill_tensor_unref(v[i]);
      }
    }
    rill_session_delete(s);
  }
  rill_graph_delete(g);
}

static void test_sessions_runs_and_seeds(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_graph_set_random_seed(g, 1234);
  rill_output a = rill_random_normal(g, RILL_SHAPE(50), 0, 1, RILL_FLOAT, 1, NULL);
  rill_output b = rill_random_normal(g, RILL_SHAPE(50), 0, 1, RILL_FLOAT, 2, NULL);
  rill_output c = rill_random_uniform(g, RILL_SHAPE(50), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output u = rill_random_uniform(g, RILL_SHAPE(50), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  assert_graph_ok(g);
  rill_session *s1 = test_session(g), *s2 = test_session(g);
  rill_tensor *a1 = run1(s1, a), *a2 = run1(s2, a), *b1 = run1(s1, b), *a1b = run1(s1, a);
  rill_tensor *c1 = run1(s1, c), *u1 = run1(s1, u), *c2 = run1(s2, c);
  assert_true(same_values(a1, a2));   /* same seeds, another session: same values */
  assert_false(same_values(a1, b1));  /* another op seed: other values */
  assert_false(same_values(a1, a1b)); /* the next run draws new values */
  assert_false(same_values(c1, u1));  /* graph-seeded ops get distinct op seeds */
  assert_true(same_values(c1, c2));
  rill_tensor *vals[] = {a1, a2, b1, a1b, c1, u1, c2};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) rill_tensor_unref(vals[i]);
  rill_session_delete(s1);
  rill_session_delete(s2);

  /* with no seed at all, two sessions differ */
  rill_graph *h = rill_graph_new();
  rill_output d = rill_random_uniform(h, RILL_SHAPE(50), 0, 1, RILL_DOUBLE, RILL_NO_SEED, NULL);
  rill_session *t1 = test_session(h), *t2 = test_session(h);
  rill_tensor *d1 = run1(t1, d), *d2 = run1(t2, d);
  assert_false(same_values(d1, d2));
  rill_tensor_unref(d1);
  rill_tensor_unref(d2);
  rill_session_delete(t1);
  rill_session_delete(t2);
  rill_graph_delete(h);
  rill_graph_delete(g);
}

static void test_thread_count_independent(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output t[3] = {rill_random_normal(g, RILL_SHAPE(100003), 0, 1, RILL_FLOAT, 3, NULL),
                      rill_truncated_normal(g, RILL_SHAPE(50001), 0, 1, RILL_DOUBLE, 3, NULL),
                      rill_random_uniform(g, RILL_SHAPE(70001), 0, 1, RILL_FLOAT, 3, NULL)};
  assert_graph_ok(g);
  rill_session *s1 = session_threads(g, 1), *s2 = session_threads(g, 2);
  for (int run = 0; run < 2; run++)
    for (int i = 0; i < 3; i++) {
      rill_tensor *x = run1(s1, t[i]), *y = run1(s2, t[i]);
      assert_true(same_values(x, y));
      rill_tensor_unref(x);
      rill_tensor_unref(y);
    }
  rill_session_delete(s1);
  rill_session_delete(s2);
  rill_graph_delete(g);
}

static void moments(const rill_tensor *t, double *mean, double *sd, double *lo, double *hi) {
  int64_t n = rill_tensor_num_elements(t);
  double s = 0, ss = 0;
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    double v = rill_tensor_get(t, i);
    s += v;
    *lo = fmin(*lo, v);
    *hi = fmax(*hi, v);
  }
  *mean = s / (double)n;
  for (int64_t i = 0; i < n; i++) ss += pow(rill_tensor_get(t, i) - *mean, 2);
  *sd = sqrt(ss / (double)(n - 1));
}

static void test_statistics(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output n = rill_random_normal(g, RILL_SHAPE(100, 100), 2, 3, RILL_FLOAT, 42, NULL);
  rill_output t = rill_truncated_normal(g, RILL_SHAPE(10000), -1, 0.5, RILL_DOUBLE, 42, NULL);
  rill_output u = rill_random_uniform(g, RILL_SHAPE(10000), -1, 3, RILL_FLOAT, 42, NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  double mean, sd, lo, hi;
  for (int run = 0; run < 3; run++) {
    rill_tensor *v = run1(s, n);
    moments(v, &mean, &sd, &lo, &hi);
    assert_true(fabs(mean - 2) < 0.1);
    assert_true(fabs(sd - 3) < 0.1);
    rill_tensor_unref(v);

    v = run1(s, t);
    moments(v, &mean, &sd, &lo, &hi);
    assert_true(fabs(mean + 1) < 0.02);
    /* a standard normal cut at +-2 has stddev 0.8796 */
    assert_true(fabs(sd - 0.5 * 0.87962566) < 0.01);
    assert_true(lo >= -1 - 2 * 0.5 && hi <= -1 + 2 * 0.5);
    assert_true(lo < -1.9 && hi > -0.1); /* the tails are reached */
    rill_tensor_unref(v);

    v = run1(s, u);
    moments(v, &mean, &sd, &lo, &hi);
    assert_true(lo >= -1 && hi < 3);
    assert_true(fabs(mean - 1) < 0.05);
    assert_true(fabs(sd - 4 / sqrt(12)) < 0.05);
    rill_tensor_unref(v);
  }
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_shuffle(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  float rows[12];
  for (int i = 0; i < 12; i++) rows[i] = (float)i;
  rill_output m = rill_random_shuffle(g, rill_const_float(g, rows, 12, RILL_SHAPE(6, 2), NULL), 9, NULL);
  rill_output one = rill_random_shuffle(g, rill_const_float(g, rows, 1, RILL_SHAPE(1, 1), NULL), 9, NULL);
  const char *words[] = {"a", "bb", "ccc", "dddd"};
  rill_tensor *strs = rill_tensor_strings(RILL_SHAPE(4), words, NULL, NULL);
  rill_output sv = rill_random_shuffle(g, rill_constant(g, strs, NULL), 9, NULL);
  rill_tensor_unref(strs);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(m), RILL_SHAPE(6, 2)));
  rill_session *s = test_session(g);
  int moved = 0;
  for (int run = 0; run < 4; run++) {
    rill_tensor *v = run1(s, m);
    const float *p = rill_tensor_float(v);
    bool seen[6] = {0};
    for (int r = 0; r < 6; r++) {
      int src = (int)p[2 * r] / 2;
      assert_float_equal(p[2 * r + 1], p[2 * r] + 1, 0); /* rows move whole */
      assert_false(seen[src]);
      seen[src] = true;
      moved += src != r;
    }
    rill_tensor_unref(v);
  }
  assert_true(moved > 0);
  rill_tensor *v = run1(s, one);
  assert_float_equal(rill_tensor_float(v)[0], 0, 0);
  rill_tensor_unref(v);
  v = run1(s, sv);
  int total = 0;
  for (int i = 0; i < 4; i++) total += (int)rill_tensor_string(v)[i].len;
  assert_int_equal(total, 10);
  rill_tensor_unref(v);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* The variable initializers draw through these ops and stay fixed once assigned. */
static void test_initializer_draws(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *w = rill_get_variable(g, "w", RILL_FLOAT, RILL_SHAPE(784, 10),
                                       rill_truncated_normal_initializer(0, 0.1, 7), 0);
  rill_op *init = rill_global_variables_initializer(g);
  assert_graph_ok(g);
  assert_non_null(rill_graph_op_by_name(g, "w/Initializer/truncated_normal/TruncatedNormal"));
  rill_session *s = test_session(g);
  rill_status *st = rill_status_new();
  rill_session_run_op(s, init, st);
  assert_status_ok(st);
  rill_tensor *a = run1(s, rill_variable_value(w)), *b = run1(s, rill_variable_value(w));
  assert_true(same_values(a, b));
  double mean, sd, lo, hi;
  moments(a, &mean, &sd, &lo, &hi);
  assert_true(lo >= -0.2f && hi <= 0.2f && fabs(mean) < 0.01);
  rill_session_run_op(s, init, st); /* re-initializing draws new values */
  rill_tensor *c = run1(s, rill_variable_value(w));
  assert_false(same_values(a, c));
  rill_tensor_unref(a);
  rill_tensor_unref(b);
  rill_tensor_unref(c);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_attributes),      cmocka_unit_test(test_graph_like_tf),
      cmocka_unit_test(test_matches_tensorflow),   cmocka_unit_test(test_sessions_runs_and_seeds),
      cmocka_unit_test(test_thread_count_independent), cmocka_unit_test(test_statistics),
      cmocka_unit_test(test_shuffle),              cmocka_unit_test(test_initializer_draws),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
