/* nn ops: activation values, softmax, cross entropy on extreme logits, label range errors,
 * BiasAdd, the Python-level losses (seed oracles for the regularizers and the sequence loss),
 * dropout, TF's op names and attributes, in-place kernels, and thread-count independence.
 * Values and gradients against TensorFlow on random inputs are in tests/golden/ops.txt. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core_util.h"

static rill_tensor *tensor_f(rill_shape s, const float *v) {
  rill_tensor *t = rill_tensor_from_data(RILL_FLOAT, s, v, (size_t)rill_shape_num_elements(s) * sizeof(float), NULL);
  assert_non_null(t);
  return t;
}

/* Runs `out` with one feed and returns the result (caller unrefs). */
static rill_tensor *run_fed(rill_session *s, rill_output ph, rill_tensor *v, rill_output out) {
  rill_status *st = rill_status_new();
  rill_tensor *r = NULL;
  rill_session_run(s, &ph, &v, v ? 1 : 0, &out, &r, 1, NULL, 0, st);
  assert_status_ok(st);
  rill_status_delete(st);
  return r;
}

static void expect_floats(const rill_tensor *t, const double *want, int64_t n, double tol) {
  assert_int_equal(rill_tensor_num_elements(t), n);
  for (int64_t i = 0; i < n; i++) {
    double got = rill_tensor_get(t, i);
    if (!(fabs(got - want[i]) <= tol * fmax(1, fabs(want[i]))))
      fail_msg("element %lld: got %.9g want %.9g", (long long)i, got, want[i]);
  }
}

static void test_activations(void **state) {
  (void)state;
  const float xs[6] = {-30, -3, -0.5f, 0.5f, 4, 7};
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(6), "x");
  rill_output y[5] = {rill_relu(g, x, NULL), rill_relu6(g, x, NULL), rill_elu(g, x, NULL),
                      rill_leaky_relu(g, x, 0.1, NULL), rill_softplus(g, x, NULL)};
  assert_graph_ok(g);
  const char *names[5] = {"Relu", "Relu6", "Elu", "LeakyRelu", "Softplus"};
  for (int i = 0; i < 5; i++) assert_string_equal(rill_op_name(y[i].op), names[i]);
  assert_true(fabs(rill_op_attr_float(y[3].op, "alpha", 0) - 0.1) < 1e-8);
  rill_session *s = test_session(g);
  rill_tensor *xv = tensor_f(RILL_SHAPE(6), xs);
  for (int i = 0; i < 5; i++) {
    double want[6];
    for (int k = 0; k < 6; k++) {
      double v = xs[k];
      switch (i) {
        case 0: want[k] = fmax(v, 0); break;
        case 1: want[k] = fmin(fmax(v, 0), 6); break;
        case 2: want[k] = v < 0 ? expm1(v) : v; break;
        case 3: want[k] = v > 0 ? v : 0.1 * v; break;
        default: want[k] = log1p(exp(v)); break;
      }
    }
    rill_tensor *r = run_fed(s, x, xv, y[i]);
    expect_floats(r, want, 6, 1e-6);
    rill_tensor_unref(r);
  }
  /* in-place kernels never write into a caller's feed */
  for (int k = 0; k < 6; k++) assert_float_equal(rill_tensor_float(xv)[k], xs[k], 0);
  rill_tensor_unref(xv);
  rill_session_delete(s);

  /* Relu and Relu6 have integer kernels; leaky_relu casts integers to float32 like TF */
  int32_t iv[4] = {-5, 0, 3, 9};
  rill_output ci = rill_const_int32(g, iv, 4, RILL_SHAPE(4), NULL);
  rill_output ri = rill_relu6(g, ci, NULL), li = rill_leaky_relu(g, ci, 0.5, NULL);
  assert_graph_ok(g);
  assert_int_equal(rill_output_dtype(li), RILL_FLOAT);
  s = test_session(g);
  rill_tensor *r = rill_session_eval(s, ri, NULL);
  assert_memory_equal(rill_tensor_int32(r), ((int32_t[]){0, 0, 3, 6}), 16);
  rill_tensor_unref(r);
  r = rill_session_eval(s, li, NULL);
  expect_floats(r, (double[]){-2.5, 0, 3, 9}, 4, 0);
  rill_tensor_unref(r);
  rill_session_delete(s);

  /* float-only activations reject integers like TF */
  rill_elu(g, ci, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)),
                  "Value for attr 'T' of int32 is not in the list of allowed values");
  rill_graph_delete(g);
}

static void test_softmax(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* seed oracle (numpy softmax of arange(5)) and a row that would overflow exp() unshifted */
  const float v[10] = {0, 1, 2, 3, 4, 1000, 1001, 1002, 1003, 1004};
  rill_output x = rill_const_float(g, v, 10, RILL_SHAPE(2, 5), "x");
  rill_output sm = rill_softmax(g, x, NULL), lsm = rill_log_softmax(g, x, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(sm.op), "Softmax");
  assert_string_equal(rill_op_name(lsm.op), "LogSoftmax");
  rill_session *s = test_session(g);
  const double p[5] = {0.01165623, 0.03168492, 0.08612854, 0.23412166, 0.63640865};
  double want[10], lwant[10];
  for (int i = 0; i < 10; i++) {
    want[i] = p[i % 5];
    lwant[i] = log(p[i % 5]);
  }
  rill_tensor *r = rill_session_eval(s, sm, NULL);
  expect_floats(r, want, 10, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, lsm, NULL);
  expect_floats(r, lwant, 10, 1e-5);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_softmax(g, rill_scalar_float(g, 1, NULL), NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)), "Shape must be at least rank 1 but is rank 0");
  rill_graph_delete(g);
}

static void test_cross_entropy_extreme_logits(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float logits[6] = {1000, 0, -1000, -1000, 0, 1000};
  const float labels[6] = {0, 0, 1, 0.5f, 0.5f, 0};
  const int64_t ids[2] = {0, 1};
  rill_output z = rill_const_float(g, logits, 6, RILL_SHAPE(2, 3), "z");
  rill_output dense = rill_softmax_cross_entropy_with_logits(g, rill_const_float(g, labels, 6, RILL_SHAPE(2, 3), NULL),
                                                             z, NULL);
  rill_output sparse = rill_sparse_softmax_cross_entropy_with_logits(g, rill_const_int64(g, ids, 2, RILL_SHAPE(2), NULL),
                                                                     z, NULL);
  const float sl[4] = {1, 0, 1, 0}, sz[4] = {1000, 1000, -1000, -1000};
  rill_output sig = rill_sigmoid_cross_entropy_with_logits(g, rill_const_float(g, sl, 4, RILL_SHAPE(4), NULL),
                                                           rill_const_float(g, sz, 4, RILL_SHAPE(4), NULL), NULL);
  rill_output dz;
  rill_output total = rill_reduce_sum(g, sparse, NULL, 0, false, NULL);
  assert_true(rill_gradients(g, &total, 1, &z, 1, NULL, &dz));
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(dense.op), "softmax_cross_entropy_with_logits");
  assert_string_equal(rill_op_name(sparse.op), "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits");
  assert_string_equal(rill_op_type(sparse.op), "SparseSoftmaxCrossEntropyWithLogits");
  assert_int_equal(rill_op_attr_type(sparse.op, "Tlabels", RILL_DT_INVALID), RILL_INT64);
  assert_int_equal(rill_op_num_outputs(sparse.op), 2);
  assert_string_equal(rill_op_name(sig.op), "logistic_loss");
  rill_session *s = test_session(g);
  rill_tensor *r = rill_session_eval(s, dense, NULL);
  /* row 0: all mass on the -1000 logit; row 1: half on -1000, half on 0 */
  expect_floats(r, (double[]){2000, 0.5 * 2000 + 0.5 * 1000}, 2, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, sparse, NULL);
  expect_floats(r, (double[]){0, 1000}, 2, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, sig, NULL);
  expect_floats(r, (double[]){0, 1000, 1000, 0}, 4, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, dz, NULL); /* softmax - onehot, finite */
  expect_floats(r, (double[]){0, 0, 0, 0, -1, 1}, 6, 1e-6);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_sparse_label_errors(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output z = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 10), "z");
  rill_output y = rill_placeholder(g, RILL_INT32, RILL_SHAPE(-1), "y");
  rill_output loss = rill_sparse_softmax_cross_entropy_with_logits(g, y, z, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(loss), RILL_SHAPE(-1)));
  rill_session *s = test_session(g);
  rill_tensor *zv = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(3, 10), NULL);
  int32_t labels[3] = {1, 10, 2};
  rill_tensor *yv = rill_tensor_from_data(RILL_INT32, RILL_SHAPE(3), labels, sizeof labels, NULL);
  rill_output feeds[2] = {z, y};
  rill_tensor *vals[2] = {zv, yv}, *out = NULL;
  rill_status *st = rill_status_new();
  rill_session_run(s, feeds, vals, 2, &loss, &out, 1, NULL, 0, st);
  assert_null(out);
  assert_status_prefix(st, RILL_INVALID_ARGUMENT,
                       "Received a label value of 10 which is outside the valid range of [0, 10).  Label values: 1 10 2");
  assert_contains(rill_status_message(st), "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits");
  rill_tensor_int32(yv)[1] = -1;
  rill_session_run(s, feeds, vals, 2, &loss, &out, 1, NULL, 0, st);
  assert_status_prefix(st, RILL_INVALID_ARGUMENT, "Received a label value of -1 which is outside the valid range");
  rill_tensor_int32(yv)[1] = 9;
  rill_session_run(s, feeds, vals, 2, &loss, &out, 1, NULL, 0, st);
  assert_status_ok(st);
  expect_floats(out, (double[]){log(10.0), log(10.0), log(10.0)}, 3, 1e-6);
  rill_tensor_unref(out);
  rill_status_delete(st);
  rill_tensor_unref(zv);
  rill_tensor_unref(yv);
  rill_session_delete(s);

  /* build-time checks of the Python wrapper */
  rill_output z3 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(4, 3), NULL);
  rill_sparse_softmax_cross_entropy_with_logits(g, rill_placeholder(g, RILL_INT32, RILL_SHAPE(4, 3), NULL), z3, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Rank mismatch: Rank of labels (received 2) should equal rank of logits minus 1 (received 2).");
  rill_graph_clear_error(g);
  rill_sparse_softmax_cross_entropy_with_logits(g, rill_placeholder(g, RILL_INT32, RILL_SHAPE(5), NULL), z3, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Shape mismatch: The shape of labels (received (5,))");
  rill_graph_clear_error(g);
  rill_sparse_softmax_cross_entropy_with_logits(g, rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(4), NULL), z3, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Value for attr 'Tlabels' of float32 is not in the list");
  rill_graph_clear_error(g);
  /* higher-rank logits go through the 2-D op and come back in the labels' shape */
  rill_output z4 = rill_placeholder(g, RILL_DOUBLE, RILL_SHAPE(2, 2, 3), NULL);
  rill_output l4 = rill_sparse_softmax_cross_entropy_with_logits(
      g, rill_const_int32(g, (int32_t[]){0, 1, 2, 0}, 4, RILL_SHAPE(2, 2), NULL), z4, NULL);
  rill_output d4 = rill_softmax_cross_entropy_with_logits(g, rill_zeros_like(g, z4, NULL), z4, NULL);
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(l4), RILL_SHAPE(2, 2)));
  assert_true(rill_shape_equal(rill_output_shape(d4), RILL_SHAPE(2, 2)));
  s = test_session(g);
  double zz[12];
  for (int i = 0; i < 12; i++) zz[i] = 0.25 * i - (i % 3);
  rill_tensor *z4v = rill_tensor_from_data(RILL_DOUBLE, RILL_SHAPE(2, 2, 3), zz, sizeof zz, NULL);
  rill_output f4[2] = {l4, d4};
  rill_tensor *v4[2];
  rill_session_run(s, &z4, &z4v, 1, f4, v4, 2, NULL, 0, st = rill_status_new());
  assert_status_ok(st);
  const int lab[4] = {0, 1, 2, 0};
  for (int r = 0; r < 4; r++) {
    const double *row = zz + 3 * r;
    double lse = log(exp(row[0]) + exp(row[1]) + exp(row[2]));
    assert_true(fabs(rill_tensor_double(v4[0])[r] - (lse - row[lab[r]])) < 1e-12);
    assert_true(fabs(rill_tensor_double(v4[1])[r]) < 1e-12); /* zero labels: zero loss */
  }
  rill_tensor_unref(v4[0]);
  rill_tensor_unref(v4[1]);
  rill_tensor_unref(z4v);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_sparse_matches_dense(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const double zv[12] = {0.3, -1.2, 2.5, 0.1, 1, 1, 1, 1, -3, 4, 0.5, -0.5};
  const int32_t ids[3] = {2, 0, 1};
  double onehot[12] = {0};
  for (int i = 0; i < 3; i++) onehot[i * 4 + ids[i]] = 1;
  rill_output z = rill_const_double(g, zv, 12, RILL_SHAPE(3, 4), "z");
  rill_output a = rill_sparse_softmax_cross_entropy_with_logits(g, rill_const_int32(g, ids, 3, RILL_SHAPE(3), NULL), z,
                                                                NULL);
  rill_output b = rill_softmax_cross_entropy_with_logits(g, rill_const_double(g, onehot, 12, RILL_SHAPE(3, 4), NULL),
                                                         z, NULL);
  rill_output da, db;
  assert_true(rill_gradients(g, &a, 1, &z, 1, NULL, &da));
  assert_true(rill_gradients(g, &b, 1, &z, 1, NULL, &db));
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_output f[4] = {a, b, da, db};
  rill_tensor *v[4];
  rill_session_run(s, NULL, NULL, 0, f, v, 4, NULL, 0, NULL);
  for (int i = 0; i < 2; i++) {
    double want[12];
    int64_t n = rill_tensor_num_elements(v[2 * i]);
    for (int64_t k = 0; k < n; k++) want[k] = rill_tensor_get(v[2 * i + 1], k);
    expect_floats(v[2 * i], want, n, 1e-12);
  }
  /* the loss is logsumexp - z[label] */
  double lse = log(exp(0.3) + exp(-1.2) + exp(2.5) + exp(0.1));
  assert_true(fabs(rill_tensor_get(v[0], 0) - (lse - 2.5)) < 1e-12);
  for (int i = 0; i < 4; i++) rill_tensor_unref(v[i]);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_bias_add(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 3), "x");
  rill_output b = rill_const_float(g, (float[]){10, 20, 30}, 3, RILL_SHAPE(3), "b");
  rill_output y = rill_bias_add(g, x, b, NULL);
  rill_output h = rill_relu(g, rill_bias_add(g, rill_mul(g, x, rill_scalar_float(g, 2, NULL), NULL), b, NULL), NULL);
  rill_output db;
  assert_true(rill_gradients(g, &y, 1, &b, 1, NULL, &db));
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(y.op), "BiasAdd");
  assert_string_equal(rill_op_attr_string(y.op, "data_format"), "NHWC");
  assert_string_equal(rill_op_type(db.op), "BiasAddGrad");
  assert_true(rill_shape_equal(rill_output_shape(y), RILL_SHAPE(-1, 3)));
  rill_session *s = test_session(g);
  const float xv[6] = {1, 2, 3, -40, -50, -60};
  rill_tensor *xt = tensor_f(RILL_SHAPE(2, 3), xv);
  rill_tensor *r = run_fed(s, x, xt, y);
  expect_floats(r, (double[]){11, 22, 33, -30, -30, -30}, 6, 0);
  rill_tensor_unref(r);
  r = run_fed(s, x, xt, h); /* mul, bias_add and relu each run in place */
  expect_floats(r, (double[]){12, 24, 36, 0, 0, 0}, 6, 0);
  rill_tensor_unref(r);
  r = run_fed(s, x, xt, db);
  expect_floats(r, (double[]){2, 2, 2}, 3, 0);
  rill_tensor_unref(r);
  for (int k = 0; k < 6; k++) assert_float_equal(rill_tensor_float(xt)[k], xv[k], 0);
  rill_tensor_unref(xt);
  rill_session_delete(s);

  rill_bias_add(g, x, rill_const_float(g, (float[]){1, 2, 3, 4}, 4, RILL_SHAPE(4), NULL), NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Dimensions must be equal, but are 3 and 4 for 'BiasAdd_2' (op: 'BiasAdd') with input shapes: "
                      "[?,3], [4].");
  rill_graph_clear_error(g);
  rill_bias_add(g, b, b, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Shape must be at least rank 2 but is rank 1");
  rill_graph_delete(g);
}

/* seed-001 §5.6: l1_regularizer(.5) and l2_regularizer(.5) of [[1,-2],[-3,4]]. */
static void test_regularizers(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output w = rill_const_float(g, (float[]){1, -2, -3, 4}, 4, RILL_SHAPE(2, 2), "weights");
  rill_output l1 = rill_l1_regularizer(g, .5, w, NULL), l2 = rill_l2_regularizer(g, .5, w, NULL);
  rill_output l12 = rill_l1_l2_regularizer(g, .5, .5, w, NULL), l2loss = rill_l2_loss(g, w, NULL);
  rill_output only_l2 = rill_l1_l2_regularizer(g, 0, .5, w, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(l1.op), "l1_regularizer");
  assert_string_equal(rill_op_name(l2.op), "l2_regularizer");
  assert_string_equal(rill_op_name(l12.op), "l1_l2_regularizer");
  assert_string_equal(rill_op_type(l12.op), "AddN");
  assert_string_equal(rill_op_name(l2loss.op), "L2Loss");
  assert_non_null(rill_graph_op_by_name(g, "l1_regularizer/scale"));
  assert_non_null(rill_graph_op_by_name(g, "l2_regularizer/L2Loss"));
  assert_non_null(rill_graph_op_by_name(g, "l1_l2_regularizer/l1_regularizer/Abs"));
  assert_string_equal(rill_op_name(only_l2.op), "l1_l2_regularizer_1");
  rill_session *s = test_session(g);
  rill_output f[5] = {l1, l2, l12, l2loss, only_l2};
  rill_tensor *v[5];
  rill_status *st = rill_status_new();
  rill_session_run(s, NULL, NULL, 0, f, v, 5, NULL, 0, st);
  assert_status_ok(st);
  const double want[5] = {5.0, 7.5, 12.5, 15.0, 7.5};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(rill_tensor_dtype(v[i]), RILL_FLOAT);
    assert_true(rill_tensor_rank(v[i]) == 0);
    assert_float_equal(rill_tensor_float(v[i])[0], want[i], 1e-6);
    rill_tensor_unref(v[i]);
  }
  rill_status_delete(st);
  rill_session_delete(s);
  /* scale 0 disables a regularizer (TF returns None); a negative scale is an error */
  int n = rill_graph_num_ops(g);
  assert_false(rill_output_ok(rill_l1_regularizer(g, 0, w, NULL)));
  assert_graph_ok(g);
  assert_int_equal(rill_graph_num_ops(g), n);
  rill_l2_regularizer(g, -1, w, NULL);
  assert_string_equal(rill_status_message(rill_graph_status(g)), "Setting a scale less than 0 on a regularizer: -1");
  rill_graph_delete(g);
}

/* seed-001 §3.9: legacy_seq2seq.sequence_loss_by_example. */
static void test_sequence_loss(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float a[20] = {0.1f, 0.2f, 0.3f, 0.4f, 0.2f, 0.1f, 0.4f, 0.3f, 0.4f, 0.3f,
                       0.2f, 0.1f, 0.3f, 0.2f, 0.1f, 0.4f, 0.1f, 0.4f, 0.3f, 0.2f};
  rill_output A = rill_const_float(g, a, 20, RILL_SHAPE(5, 4), "A");
  rill_output B = rill_const_int32(g, (int32_t[]){1, 2, 1, 3, 3}, 5, RILL_SHAPE(5), "B");
  rill_output w1 = rill_const_float(g, (float[]){1, 1, 1, 1, 1}, 5, RILL_SHAPE(5), "w_1");
  rill_output w2 = rill_const_float(g, (float[]){1, 2, 3, 4, 5}, 5, RILL_SHAPE(5), "w_2");
  rill_output avg = rill_sequence_loss_by_example(g, &A, &B, &w1, 1, true, NULL);
  rill_output avg2 = rill_sequence_loss_by_example(g, &A, &B, &w2, 1, true, NULL);
  rill_output sum2 = rill_sequence_loss_by_example(g, &A, &B, &w2, 1, false, NULL);
  rill_output logits2[2] = {A, A}, targets2[2] = {B, B}, weights2[2] = {w1, w2};
  rill_output two = rill_sequence_loss_by_example(g, logits2, targets2, weights2, 2, true, "two_steps");
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(avg.op), "sequence_loss_by_example/truediv");
  assert_true(rill_shape_equal(rill_output_shape(avg), RILL_SHAPE(5)));
  rill_session *s = test_session(g);
  const double want[5] = {1.4425356, 1.2425356, 1.3425356, 1.2425356, 1.4425356};
  rill_tensor *r = rill_session_eval(s, avg, NULL);
  expect_floats(r, want, 5, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, avg2, NULL);
  expect_floats(r, want, 5, 1e-6);
  rill_tensor_unref(r);
  double weighted[5], both[5];
  for (int i = 0; i < 5; i++) {
    weighted[i] = want[i] * (i + 1);
    both[i] = want[i]; /* (ce*1 + ce*w) / (1 + w) */
  }
  r = rill_session_eval(s, sum2, NULL);
  expect_floats(r, weighted, 5, 1e-6);
  rill_tensor_unref(r);
  r = rill_session_eval(s, two, NULL);
  expect_floats(r, both, 5, 1e-6);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_mean_squared_error(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output l = rill_const_float(g, (float[]){1, 2, 3, 4}, 4, RILL_SHAPE(2, 2), NULL);
  rill_output p = rill_const_float(g, (float[]){1, 0, 6, 4}, 4, RILL_SHAPE(2, 2), NULL);
  rill_output mse = rill_mean_squared_error(g, l, p, NULL);
  rill_output mse64 = rill_mean_squared_error(g, rill_const_double(g, (double[]){1, 2}, 2, RILL_SHAPE(2), NULL),
                                              rill_const_double(g, (double[]){0, 0}, 2, RILL_SHAPE(2), NULL), NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(mse.op), "mean_squared_error/value");
  assert_int_equal(rill_output_dtype(mse64), RILL_FLOAT); /* TF 1.x losses are float32 */
  assert_int_equal(rill_collection_size(g, RILL_LOSSES), 2);
  assert_ptr_equal(rill_collection_output(g, RILL_LOSSES, 0).op, mse.op);
  rill_session *s = test_session(g);
  rill_tensor *r = rill_session_eval(s, mse, NULL);
  expect_floats(r, (double[]){13.0 / 4}, 1, 1e-7);
  rill_tensor_unref(r);
  r = rill_session_eval(s, mse64, NULL);
  expect_floats(r, (double[]){2.5}, 1, 1e-7);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_mean_squared_error(g, l, rill_const_float(g, (float[]){1, 2, 3}, 3, RILL_SHAPE(3), NULL), NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

static void test_dropout(void **state) {
  (void)state;
  enum { N = 20000 };
  rill_graph *g = rill_graph_new();
  rill_output x = rill_ones(g, RILL_SHAPE(100, N / 100), RILL_FLOAT, "x");
  rill_output kp = rill_placeholder(g, RILL_FLOAT, rill_shape_scalar(), "keep_prob");
  rill_output y = rill_dropout(g, x, kp, 17, NULL);
  rill_output dx;
  assert_true(rill_gradients(g, &y, 1, &x, 1, NULL, &dx));
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(y.op), "dropout/mul_1");
  assert_true(rill_shape_equal(rill_output_shape(y), RILL_SHAPE(100, N / 100)));
  rill_op *ru = rill_graph_op_by_name(g, "dropout/random_uniform/RandomUniform");
  assert_non_null(ru);
  assert_int_equal(rill_op_attr_int(ru, "seed", 0), 87654321);
  assert_int_equal(rill_op_attr_int(ru, "seed2", 0), 17);
  rill_session *s = test_session(g), *s2 = test_session(g);
  rill_tensor *kv = rill_tensor_scalar_float(0.7f);
  rill_tensor *prev = NULL;
  for (int run = 0; run < 3; run++) {
    rill_output f[2] = {y, dx};
    rill_tensor *v[2], *w = NULL;
    rill_status *st = rill_status_new();
    rill_session_run(s, &kp, &kv, 1, f, v, 2, NULL, 0, st);
    assert_status_ok(st);
    rill_session_run(s2, &kp, &kv, 1, &y, &w, 1, NULL, 0, st);
    assert_status_ok(st);
    int kept = 0;
    const float *p = rill_tensor_float(v[0]), *d = rill_tensor_float(v[1]);
    for (int i = 0; i < N; i++) {
      if (p[i] != 0) {
        kept++;
        assert_float_equal(p[i], 1 / 0.7f, 1e-6);
      }
      assert_float_equal(d[i], p[i], 0); /* the gradient is the same mask and scale */
    }
    assert_true(fabs(kept / (double)N - 0.7) < 0.015);
    assert_memory_equal(rill_tensor_data(w), p, N * sizeof(float)); /* same seed, other session */
    if (prev) assert_true(memcmp(rill_tensor_data(prev), p, N * sizeof(float)) != 0); /* new mask per run */
    rill_tensor_unref(prev);
    prev = rill_tensor_ref(v[0]);
    rill_tensor_unref(v[0]);
    rill_tensor_unref(v[1]);
    rill_tensor_unref(w);
    rill_status_delete(st);
  }
  rill_tensor_unref(prev);
  rill_tensor_unref(kv);
  /* keep_prob 1 keeps everything unscaled: evaluation through the same graph */
  kv = rill_tensor_scalar_float(1.0f);
  rill_tensor *r = run_fed(s, kp, kv, y);
  for (int i = 0; i < N; i++) assert_float_equal(rill_tensor_float(r)[i], 1, 0);
  rill_tensor_unref(r);
  rill_tensor_unref(kv);
  rill_session_delete(s);
  rill_session_delete(s2);
  rill_dropout(g, rill_ones(g, RILL_SHAPE(2), RILL_INT32, NULL), kp, 1, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "x has to be a floating point tensor");
  rill_graph_delete(g);
}

/* Kernels that reduce (BiasAddGrad, L2Loss) split work in fixed chunks: the same bits with 1
 * and 2 threads; big elementwise kernels too. */
static void test_thread_count_independent(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_graph_set_random_seed(g, 3);
  rill_output x = rill_random_normal(g, RILL_SHAPE(3000, 70), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output b = rill_random_normal(g, RILL_SHAPE(70), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_output labels = rill_argmax(g, x, 1, NULL);
  rill_output h = rill_relu(g, rill_bias_add(g, x, b, NULL), NULL);
  rill_output loss = rill_reduce_mean(g, rill_sparse_softmax_cross_entropy_with_logits(g, labels, h, NULL), NULL, 0,
                                      false, NULL);
  rill_output fx[2] = {x, b}, d[2];
  assert_true(rill_gradients(g, &loss, 1, fx, 2, NULL, d));
  rill_output f[5] = {loss, d[0], d[1], rill_l2_loss(g, x, NULL), rill_softmax(g, h, NULL)};
  assert_graph_ok(g);
  rill_tensor *v[2][5];
  for (int t = 0; t < 2; t++) {
    rill_session_options o = rill_session_options_default();
    o.intra_op_threads = t + 1;
    rill_session *s = rill_session_new(g, &o, NULL);
    rill_status *st = rill_status_new();
    rill_session_run(s, NULL, NULL, 0, f, v[t], 5, NULL, 0, st);
    assert_status_ok(st);
    rill_status_delete(st);
    rill_session_delete(s);
  }
  for (int i = 0; i < 5; i++) {
    assert_int_equal(rill_tensor_nbytes(v[0][i]), rill_tensor_nbytes(v[1][i]));
    if (memcmp(rill_tensor_data(v[0][i]), rill_tensor_data(v[1][i]), rill_tensor_nbytes(v[0][i])))
      fail_msg("fetch %d differs between 1 and 2 threads", i);
    rill_tensor_unref(v[0][i]);
    rill_tensor_unref(v[1][i]);
  }
  rill_graph_delete(g);
}

/* An op without a public builder (as a GraphDef import would make it). */
static rill_output raw_op(rill_graph *g, const char *type, const rill_output *in, int n, const char *format) {
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_inputs(b, in, n);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(in[0]));
  if (format) rill_op_builder_attr_string(b, "data_format", format);
  return rill_op_output(rill_op_builder_finish(b), 0);
}

/* Kernels reached only through imported graphs: integer gradients and NCHW biases. */
static void test_imported_forms(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output gi = rill_const_int32(g, (int32_t[]){5, 5, 5, 5}, 4, RILL_SHAPE(4), NULL);
  rill_output xi = rill_const_int32(g, (int32_t[]){-1, 0, 3, 7}, 4, RILL_SHAPE(4), NULL);
  rill_output in[2] = {gi, xi};
  rill_output rg = raw_op(g, "ReluGrad", in, 2, NULL), r6g = raw_op(g, "Relu6Grad", in, 2, NULL);
  float xv[12];
  for (int i = 0; i < 12; i++) xv[i] = (float)i;
  rill_output x = rill_const_float(g, xv, 12, RILL_SHAPE(2, 3, 2), NULL);
  rill_output b = rill_const_float(g, (float[]){100, 200, 300}, 3, RILL_SHAPE(3), NULL);
  rill_output xb[2] = {x, b};
  rill_output nchw = raw_op(g, "BiasAdd", xb, 2, "NCHW"), nchw_grad = raw_op(g, "BiasAddGrad", &x, 1, "NCHW");
  assert_graph_ok(g);
  assert_true(rill_shape_equal(rill_output_shape(nchw_grad), RILL_SHAPE(3)));
  rill_session *s = test_session(g);
  rill_tensor *r = rill_session_eval(s, rg, NULL);
  assert_memory_equal(rill_tensor_int32(r), ((int32_t[]){0, 0, 5, 5}), 16);
  rill_tensor_unref(r);
  r = rill_session_eval(s, r6g, NULL);
  assert_memory_equal(rill_tensor_int32(r), ((int32_t[]){0, 0, 5, 0}), 16);
  rill_tensor_unref(r);
  r = rill_session_eval(s, nchw, NULL);
  expect_floats(r, (double[]){100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311}, 12, 0);
  rill_tensor_unref(r);
  r = rill_session_eval(s, nchw_grad, NULL);
  expect_floats(r, (double[]){0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11}, 3, 0);
  rill_tensor_unref(r);
  rill_session_delete(s);
  raw_op(g, "BiasAdd", xb, 2, "NCWH");
  assert_contains(rill_status_message(rill_graph_status(g)), "Invalid data format 'NCWH'");
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_activations),
      cmocka_unit_test(test_softmax),
      cmocka_unit_test(test_cross_entropy_extreme_logits),
      cmocka_unit_test(test_sparse_label_errors),
      cmocka_unit_test(test_sparse_matches_dense),
      cmocka_unit_test(test_bias_add),
      cmocka_unit_test(test_regularizers),
      cmocka_unit_test(test_sequence_loss),
      cmocka_unit_test(test_mean_squared_error),
      cmocka_unit_test(test_dropout),
      cmocka_unit_test(test_thread_count_independent),
      cmocka_unit_test(test_imported_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
