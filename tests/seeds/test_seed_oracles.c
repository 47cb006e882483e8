/* The notes' deterministic results (spec/seed-001-inventory.md §22, §20) as tests: each case
 * builds what the notes' Python builds and checks the value or message they print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

static rill_status *st;

static rill_tensor *eval(rill_session *s, rill_output t) {
  rill_tensor *v = rill_session_eval(s, t, st);
  if (!v) print_error("eval failed: %s\n", rill_status_message(st));
  assert_non_null(v);
  return v;
}

static void expect_floats(const rill_tensor *t, const float *want, int n) {
  assert_int_equal(rill_tensor_dtype(t), RILL_FLOAT);
  assert_int_equal(rill_tensor_num_elements(t), n);
  for (int i = 0; i < n; i++) assert_true(rill_tensor_float(t)[i] == want[i]);
}

static void expect_int32(const rill_tensor *t, const int32_t *want, int n) {
  assert_int_equal(rill_tensor_dtype(t), RILL_INT32);
  assert_int_equal(rill_tensor_num_elements(t), n);
  for (int i = 0; i < n; i++) assert_int_equal(rill_tensor_int32(t)[i], want[i]);
}

static void expect_shape(rill_shape s, int rank, const int64_t *dims) {
  assert_int_equal(s.rank, rank);
  for (int i = 0; i < rank; i++) assert_int_equal(s.dims[i], dims[i]);
}

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

/* L424, L430, L410, L518 */
static void test_hello_and_arithmetic(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const char *hello = "Hello TensorFlow";
  rill_tensor *h = rill_tensor_strings(rill_shape_scalar(), &hello, NULL, st);
  rill_output hc = rill_constant(g, h, NULL);
  rill_output sum = rill_add(g, rill_scalar_int32(g, 10, NULL), rill_scalar_int32(g, 32, NULL), "sum");
  float a[] = {1, 2, 3, 4, 5, 6}, b[] = {1, 2, 3, 4, 5, 6};
  rill_output mm = rill_matmul(g, rill_const_float(g, a, 6, RILL_SHAPE(2, 3), NULL),
                               rill_const_float(g, b, 6, RILL_SHAPE(3, 2), NULL), false, false, NULL);
  float v[] = {1, 2};
  rill_output add = rill_add(g, rill_const_float(g, v, 2, RILL_SHAPE(2), "a"), rill_const_float(g, v, 2, RILL_SHAPE(2), "b"),
                             "add");
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *t = eval(s, hc);
  assert_string_equal(rill_tensor_string(t)[0].data, "Hello TensorFlow");
  rill_tensor_unref(t);
  t = eval(s, sum);
  assert_int_equal(rill_tensor_int32(t)[0], 42);
  rill_tensor_unref(t);
  t = eval(s, mm);
  expect_floats(t, (float[]){22, 28, 49, 64}, 4);
  rill_tensor_unref(t);
  t = eval(s, add);
  expect_floats(t, (float[]){2, 4}, 2);
  rill_tensor_unref(t);
  char buf[128];
  assert_string_equal(rill_output_str(add, buf, sizeof buf), "Tensor(\"add:0\", shape=(2,), dtype=float32)");
  rill_tensor_unref(h);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L476: printing tensors of a fresh graph */
static void test_const_names(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_scalar_float(g, 3.0f, NULL), b = rill_scalar_float(g, 4.0f, NULL);
  char x[128], y[128];
  assert_string_equal(rill_output_str(a, x, sizeof x), "Tensor(\"Const:0\", shape=(), dtype=float32)");
  assert_string_equal(rill_output_str(b, y, sizeof y), "Tensor(\"Const_1:0\", shape=(), dtype=float32)");
  rill_graph_delete(g);
}

/* L460: no implicit int32/float32 mixing */
static void test_dtype_mixing_is_an_error(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  int32_t c[] = {1, 2};
  float d[] = {1, 2};
  rill_output r = rill_add(g, rill_const_int32(g, c, 2, RILL_SHAPE(2), "c"), rill_const_float(g, d, 2, RILL_SHAPE(2), "d"),
                           NULL);
  assert_null(r.op);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(rill_graph_status(g)),
                         "Tensor conversion requested dtype int32 for Tensor with dtype float32"));
  rill_graph_delete(g);
}

/* L579, L600, L659, L670, L640 */
static void test_placeholders_fill_and_variables(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output pa = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), NULL);
  rill_output pb = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), NULL);
  rill_output adder = rill_add(g, pa, pb, NULL);
  rill_output ff = rill_fill(g, (int64_t[]){2, 3}, 2, rill_scalar_int32(g, 9, NULL), NULL);
  rill_variable *W = rill_variable_new(g, rill_const_float(g, (float[]){.3f}, 1, RILL_SHAPE(1), NULL), NULL, 0);
  rill_variable *b = rill_variable_new(g, rill_const_float(g, (float[]){-.3f}, 1, RILL_SHAPE(1), NULL), NULL, 0);
  rill_output x = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), NULL);
  rill_output linear = rill_add(g, rill_mul(g, rill_variable_value(W), x, NULL), rill_variable_value(b), NULL);
  rill_output fixW = rill_assign(g, W, rill_const_float(g, (float[]){-1}, 1, RILL_SHAPE(1), NULL), NULL);
  rill_output fixb = rill_assign(g, b, rill_const_float(g, (float[]){1}, 1, RILL_SHAPE(1), NULL), NULL);
  rill_variable *ww = rill_variable_new(g, rill_const_float(g, (float[]){2, 3}, 2, RILL_SHAPE(2), NULL), NULL, 0);
  rill_variable *bb = rill_variable_new(
      g, rill_mul(g, rill_variable_initialized_value(ww), rill_scalar_float(g, 2, NULL), NULL), NULL, 0);
  rill_op *init = rill_variables_initializer(g, (rill_variable *[]){W, b}, 2, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);

  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *fa = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), (float[]){1, 2}, 8, st);
  rill_tensor *fb = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), (float[]){2, 3}, 8, st);
  rill_tensor *out = NULL;
  rill_session_run(s, (rill_output[]){pa, pb}, (rill_tensor *[]){fa, fb}, 2, &adder, &out, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  expect_floats(out, (float[]){3, 5}, 2);
  rill_tensor_unref(out);

  rill_tensor *t = eval(s, ff);
  expect_int32(t, (int32_t[]){9, 9, 9, 9, 9, 9}, 6);
  expect_shape(rill_tensor_shape(t), 2, (int64_t[]){2, 3});
  rill_tensor_unref(t);

  /* initialized_value chain works before any initializer ran */
  t = eval(s, rill_variable_initialized_value(bb));
  expect_floats(t, (float[]){4, 6}, 2);
  rill_tensor_unref(t);
  t = eval(s, rill_variable_initialized_value(ww));
  expect_floats(t, (float[]){2, 3}, 2);
  rill_tensor_unref(t);

  rill_session_run_op(s, init, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_tensor *xv = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(4), (float[]){1, 2, 3, 4}, 16, st);
  rill_session_run(s, &x, &xv, 1, &linear, &out, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  expect_floats(out, (float[]){0.f, 0.3f, 0.6f, 0.90000004f}, 4);
  rill_tensor_unref(out);
  rill_tensor *fixed[2];
  rill_session_run(s, NULL, NULL, 0, (rill_output[]){fixW, fixb}, fixed, 2, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_tensor_unref(fixed[0]);
  rill_tensor_unref(fixed[1]);
  rill_session_run(s, &x, &xv, 1, &linear, &out, 1, NULL, 0, st);
  expect_floats(out, (float[]){0, -1, -2, -3}, 4);
  rill_tensor_unref(out);

  rill_tensor_unref(fa);
  rill_tensor_unref(fb);
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L504, L511: one variable name in two graphs, fetched through the root scope with reuse */
static void test_two_graphs_get_variable(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    rill_graph *g = rill_graph_new();
    rill_get_variable(g, "v", RILL_FLOAT, RILL_SHAPE(1), k ? rill_ones_initializer() : rill_zeros_initializer(), 0);
    rill_op *init = rill_global_variables_initializer(g);
    rill_variable_scope_push(g, "", RILL_REUSE_TRUE);
    rill_variable *v = rill_get_variable(g, "v", RILL_DT_INVALID, rill_shape_unknown(), rill_zeros_initializer(), 0);
    rill_variable_scope_pop(g);
    assert_int_equal(rill_graph_code(g), RILL_OK);
    rill_session *s = rill_session_new(g, NULL, st);
    rill_session_run_op(s, init, st);
    rill_tensor *t = eval(s, rill_variable_value(v));
    expect_floats(t, (float[]){(float)k}, 1);
    rill_tensor_unref(t);
    rill_session_delete(s);
    rill_graph_delete(g);
  }
}

/* L711, L715, L732: matmul rank rule, tensordot, reshape + shape */
static void test_matmul_tensordot_shapes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  int32_t ll[24], ww[20];
  for (int i = 0; i < 24; i++) ll[i] = i;
  for (int i = 0; i < 20; i++) ww[i] = i;
  rill_output L = rill_const_int32(g, ll, 24, RILL_SHAPE(3, 2, 4), NULL);
  rill_output Wt = rill_const_int32(g, ww, 20, RILL_SHAPE(4, 5), NULL);
  rill_output td = rill_tensordot(g, L, Wt, (int[]){-1}, (int[]){0}, 1, NULL);
  rill_output flat = rill_reshape(g, L, (int64_t[]){-1, 4}, 2, NULL);
  rill_output shp = rill_shape_of(g, rill_matmul(g, flat, Wt, false, false, NULL), RILL_INT32, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *t = eval(s, td);
  expect_shape(rill_tensor_shape(t), 3, (int64_t[]){3, 2, 5});
  /* element [1][0][2] = sum_k ll[1,0,k] * ww[k,2] = 8*2 + 9*7 + 10*12 + 11*17 */
  assert_int_equal(rill_tensor_int32(t)[(1 * 2 + 0) * 5 + 2], 8 * 2 + 9 * 7 + 10 * 12 + 11 * 17);
  rill_tensor_unref(t);
  t = eval(s, shp);
  expect_int32(t, (int32_t[]){6, 5}, 2);
  rill_tensor_unref(t);
  rill_session_delete(s);

  rill_output bad = rill_matmul(g, L, Wt, false, false, NULL);
  assert_null(bad.op);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Shape must be rank 2 but is rank 3 for 'MatMul_1' (op: 'MatMul') with input shapes: [3,2,4], "
                      "[4,5].");
  rill_graph_delete(g);
}

/* L740, L751, L760, L782-792, L809-820, L833-855 */
static void test_general_ops(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output tt = rill_const_float(g, (float[]){1, 2, 3, 4, 5, 6}, 6, RILL_SHAPE(2, 3), NULL);
  rill_output clip = rill_clip_by_value(g, tt, 2.5, 4.5, NULL);
  rill_output v1 = rill_const_int32(g, (int32_t[]){1, 2, 3, 4}, 4, RILL_SHAPE(4), NULL);
  rill_output v2 = rill_const_int32(g, (int32_t[]){4, 3, 2, 1}, 4, RILL_SHAPE(4), NULL);
  rill_output gt = rill_greater(g, v1, v2, NULL);
  rill_output wh = rill_where(g, gt, v1, v2, NULL);
  int64_t a12[12];
  for (int i = 0; i < 12; i++) a12[i] = i;
  rill_output t34 = rill_const_int64(g, a12, 12, RILL_SHAPE(3, 4), NULL);
  rill_output e0 = rill_expand_dims(g, t34, 0, NULL), e1 = rill_expand_dims(g, t34, 1, NULL),
              em1 = rill_expand_dims(g, t34, -1, NULL);
  int32_t tv[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6};
  rill_output t = rill_const_int32(g, tv, 18, RILL_SHAPE(3, 2, 3), NULL);
  rill_output s1 = rill_slice(g, t, (int64_t[]){1, 0, 0}, (int64_t[]){1, 1, 3}, NULL);
  rill_output s2 = rill_slice(g, t, (int64_t[]){1, 0, 0}, (int64_t[]){1, 2, 3}, NULL);
  rill_output s3 = rill_slice(g, t, (int64_t[]){1, 0, 0}, (int64_t[]){2, 1, 3}, NULL);
  rill_output x = rill_const_int32(g, (int32_t[]){1, 2, 3, 4, 5, 6}, 6, RILL_SHAPE(2, 3), NULL);
  rill_output tr = rill_transpose(g, x, NULL, NULL);
  rill_output same = rill_transpose(g, x, (int[]){0, 1}, NULL);
  int32_t x3v[12];
  for (int i = 0; i < 12; i++) x3v[i] = i + 1;
  rill_output tr3 = rill_transpose(g, rill_const_int32(g, x3v, 12, RILL_SHAPE(2, 2, 3), NULL), (int[]){0, 2, 1}, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);

  char buf[128];
  assert_string_equal(rill_output_str(em1, buf, sizeof buf), "Tensor(\"ExpandDims_2:0\", shape=(3, 4, 1), dtype=int64)");
  expect_shape(rill_output_shape(e0), 3, (int64_t[]){1, 3, 4});

  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *r = eval(s, clip);
  expect_floats(r, (float[]){2.5f, 2.5f, 3, 4, 4.5f, 4.5f}, 6);
  rill_tensor_unref(r);
  r = eval(s, gt);
  bool want_gt[] = {false, false, true, true};
  for (int i = 0; i < 4; i++) assert_int_equal(rill_tensor_bool(r)[i], want_gt[i]);
  rill_tensor_unref(r);
  r = eval(s, wh);
  expect_int32(r, (int32_t[]){4, 3, 3, 4}, 4);
  rill_tensor_unref(r);
  r = eval(s, rill_shape_of(g, e1, RILL_INT32, NULL));
  expect_int32(r, (int32_t[]){3, 1, 4}, 3);
  rill_tensor_unref(r);
  r = eval(s, s1);
  expect_int32(r, (int32_t[]){3, 3, 3}, 3);
  expect_shape(rill_tensor_shape(r), 3, (int64_t[]){1, 1, 3});
  rill_tensor_unref(r);
  r = eval(s, s2);
  expect_int32(r, (int32_t[]){3, 3, 3, 4, 4, 4}, 6);
  rill_tensor_unref(r);
  r = eval(s, s3);
  expect_int32(r, (int32_t[]){3, 3, 3, 5, 5, 5}, 6);
  expect_shape(rill_tensor_shape(r), 3, (int64_t[]){2, 1, 3});
  rill_tensor_unref(r);
  r = eval(s, tr);
  expect_int32(r, (int32_t[]){1, 4, 2, 5, 3, 6}, 6);
  rill_tensor_unref(r);
  r = eval(s, same);
  expect_int32(r, (int32_t[]){1, 2, 3, 4, 5, 6}, 6);
  rill_tensor_unref(r);
  r = eval(s, tr3);
  expect_int32(r, (int32_t[]){1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12}, 12);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L869-L880: sequence_loss_by_example */
static void test_sequence_loss(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  float A[] = {.1f, .2f, .3f, .4f, .2f, .1f, .4f, .3f, .4f, .3f, .2f, .1f, .3f, .2f, .1f, .4f, .1f, .4f, .3f, .2f};
  rill_output logits = rill_const_float(g, A, 20, RILL_SHAPE(5, 4), NULL);
  rill_output targets = rill_const_int32(g, (int32_t[]){1, 2, 1, 3, 3}, 5, RILL_SHAPE(5), NULL);
  rill_output w1 = rill_const_float(g, (float[]){1, 1, 1, 1, 1}, 5, RILL_SHAPE(5), NULL);
  rill_output loss = rill_sequence_loss_by_example(g, &logits, &targets, &w1, 1, true, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *r = eval(s, loss);
  float want[] = {1.4425356f, 1.2425356f, 1.3425356f, 1.2425356f, 1.4425356f};
  for (int i = 0; i < 5; i++) assert_float_equal(rill_tensor_float(r)[i], want[i], 1e-6);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L1032, L1168, L1172 */
static void test_softmax_and_regularizers(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output sm = rill_softmax(g, rill_const_float(g, (float[]){0, 1, 2, 3, 4}, 5, RILL_SHAPE(5), NULL), NULL);
  rill_output w = rill_const_float(g, (float[]){1, -2, -3, 4}, 4, RILL_SHAPE(2, 2), NULL);
  rill_output l1 = rill_l1_regularizer(g, .5, w, NULL), l2 = rill_l2_regularizer(g, .5, w, NULL);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *r = eval(s, sm);
  float want[] = {0.01165623f, 0.03168492f, 0.08612854f, 0.23412166f, 0.63640865f};
  for (int i = 0; i < 5; i++) assert_float_equal(rill_tensor_float(r)[i], want[i], 1e-7);
  rill_tensor_unref(r);
  r = eval(s, l1);
  assert_true(rill_tensor_float(r)[0] == 5.0f);
  rill_tensor_unref(r);
  r = eval(s, l2);
  assert_true(rill_tensor_float(r)[0] == 7.5f);
  rill_tensor_unref(r);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L1222-L1225 and L1737: moving averages */
static void test_moving_average(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *v1 = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "v1", 0);
  rill_variable *step = rill_variable_new(g, rill_scalar_int32(g, 0, NULL), "step", RILL_VAR_NOT_TRAINABLE);
  rill_ema *ema = rill_ema_new(g, 0.99, step, NULL);
  rill_op *maintain = rill_ema_apply(ema, &v1, 1);
  rill_output avg = rill_variable_value(rill_ema_average(ema, v1));
  rill_output set5 = rill_assign(g, v1, rill_scalar_float(g, 5, NULL), NULL);
  rill_output set_step = rill_assign(g, step, rill_scalar_int32(g, 10000, NULL), NULL);
  rill_output set10 = rill_assign(g, v1, rill_scalar_float(g, 10, NULL), NULL);
  rill_op *init = rill_global_variables_initializer(g);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_ema_average_name(ema, v1), "v1/ExponentialMovingAverage");
  rill_session *s = rill_session_new(g, NULL, st);
  rill_session_run_op(s, init, st);
  rill_output pair[2] = {rill_variable_value(v1), avg};
  float want[4][2] = {{0, 0}, {5, 4.5f}, {10, 4.555f}, {10, 4.60945f}};
  for (int k = 0; k < 4; k++) {
    if (k == 1) rill_tensor_unref(eval(s, set5));
    if (k == 2) {
      rill_tensor_unref(eval(s, set_step));
      rill_tensor_unref(eval(s, set10));
    }
    if (k >= 1) rill_session_run_op(s, maintain, st);
    rill_tensor *r[2];
    rill_session_run(s, NULL, NULL, 0, pair, r, 2, NULL, 0, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    assert_float_equal(rill_tensor_float(r[0])[0], want[k][0], 0);
    assert_float_equal(rill_tensor_float(r[1])[0], want[k][1], 1e-6);
    rill_tensor_unref(r[0]);
    rill_tensor_unref(r[1]);
  }
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* L1278-L1287, L1251-L1267, L1669 */
static void test_variable_naming(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable_scope_push(g, "foo1", RILL_REUSE_INHERIT);
  rill_variable_scope_push(g, "foo2", RILL_REUSE_INHERIT);
  rill_variable *v = rill_get_variable(g, "v", RILL_FLOAT, RILL_SHAPE(1), rill_constant_initializer(1.0), 0);
  rill_variable_scope_pop(g);
  rill_variable_scope_pop(g);
  char buf[64];
  assert_string_equal(rill_output_name(rill_variable_ref(v), buf, sizeof buf), "foo1/foo2/v:0");
  rill_variable_scope_push(g, "", RILL_REUSE_TRUE);
  rill_variable *v2 = rill_get_variable(g, "foo1/foo2/v", RILL_FLOAT, RILL_SHAPE(1), rill_zeros_initializer(), 0);
  rill_variable_scope_pop(g);
  assert_ptr_equal(v, v2);
  rill_status *s2 = rill_status_new();
  assert_null(rill_graph_tensor_by_name(g, "foo1/foo2/v", s2).op);
  assert_non_null(strstr(rill_status_message(s2), "refers to an Operation, not a Tensor"));
  assert_ptr_equal(rill_graph_tensor_by_name(g, "foo1/foo2/v:0", s2).op, rill_variable_op(v));
  rill_status_delete(s2);
  rill_variable_scope_push(g, "foo1", RILL_REUSE_INHERIT);
  rill_variable_scope_push(g, "foo2", RILL_REUSE_INHERIT);
  assert_null(rill_get_variable(g, "v", RILL_FLOAT, RILL_SHAPE(1), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_ALREADY_EXISTS);
  rill_graph_clear_error(g);
  rill_variable_scope_pop(g);
  rill_variable_scope_pop(g);
  rill_variable_scope_push(g, "foo", RILL_REUSE_TRUE);
  assert_null(rill_get_variable(g, "v1", RILL_FLOAT, RILL_SHAPE(1), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_NOT_FOUND);
  rill_variable_scope_pop(g);
  rill_graph_delete(g);
}

/* L1455: the unfed placeholder message */
static void test_unfed_placeholder(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 2), NULL);
  rill_output y_ = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), NULL);
  rill_output d = rill_sub(g, y_, rill_reduce_sum(g, x, (int[]){1}, 1, true, NULL), NULL);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *xv = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(3, 2), st), *out = NULL;
  rill_session_run(s, &x, &xv, 1, &d, &out, 1, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st),
                         "You must feed a value for placeholder tensor 'Placeholder_1' with dtype float and shape [?,1]"));
  assert_null(out);
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hello_and_arithmetic),
      cmocka_unit_test(test_const_names),
      cmocka_unit_test(test_dtype_mixing_is_an_error),
      cmocka_unit_test(test_placeholders_fill_and_variables),
      cmocka_unit_test(test_two_graphs_get_variable),
      cmocka_unit_test(test_matmul_tensordot_shapes),
      cmocka_unit_test(test_general_ops),
      cmocka_unit_test(test_sequence_loss),
      cmocka_unit_test(test_softmax_and_regularizers),
      cmocka_unit_test(test_moving_average),
      cmocka_unit_test(test_variable_naming),
      cmocka_unit_test(test_unfed_placeholder),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
