/* Array ops: the seed oracles (tf.slice, tf.transpose, tf.expand_dims, tf.tensordot,
 * tf.reshape with -1, tf.fill), TF's names, attributes, static shapes with unknown dims and
 * error messages, strided slices against TF's results, every dtype through the data-movement
 * kernels, zero-copy reshapes that never let an in-place op write into a shared buffer, and big
 * copies checked element by element. Expected values and messages are TensorFlow's (2.21 in
 * tf.compat.v1 graph mode, messages in TF 1.x's form); gradients are in array_cases.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/core_util.h"
#include "ops/array_internal.h"

#define I64(...) ((const int64_t[]){__VA_ARGS__})

static rill_tensor *run1(rill_session *s, rill_output o) {
  rill_status *st = rill_status_new();
  rill_tensor *v = rill_session_eval(s, o, st);
  assert_status_ok(st);
  rill_status_delete(st);
  return v;
}

static rill_tensor *run_fed(rill_session *s, rill_output ph, rill_tensor *v, rill_output out) {
  rill_status *st = rill_status_new();
  rill_tensor *r = NULL;
  rill_session_run(s, &ph, &v, 1, &out, &r, 1, NULL, 0, st);
  assert_status_ok(st);
  rill_status_delete(st);
  return r;
}

/* Runs o (one optional feed) expecting a run error whose message starts with prefix. */
static void run_fails(rill_session *s, rill_output ph, rill_tensor *v, rill_output o, const char *prefix) {
  rill_status *st = rill_status_new();
  rill_tensor *r = NULL;
  rill_session_run(s, ph.op ? &ph : NULL, ph.op ? &v : NULL, ph.op ? 1 : 0, &o, &r, 1, NULL, 0, st);
  assert_null(r);
  assert_status_prefix(st, RILL_INVALID_ARGUMENT, prefix);
  rill_status_delete(st);
}

static void expect_shape(rill_shape got, rill_shape want) {
  char a[128], b[128];
  if (!rill_shape_equal(got, want))
    fail_msg("shape %s, want %s", rill_shape_dbg(got, a, sizeof a), rill_shape_dbg(want, b, sizeof b));
}

/* Checks dtype, shape and values (as doubles) and drops the reference. */
static void expect(rill_tensor *t, rill_dtype dt, rill_shape shape, const double *want) {
  assert_non_null(t);
  assert_int_equal(rill_tensor_dtype(t), dt);
  expect_shape(rill_tensor_shape(t), shape);
  for (int64_t i = 0; i < rill_tensor_num_elements(t); i++)
    if (rill_tensor_get(t, i) != want[i])
      fail_msg("element %lld: got %.9g want %.9g", (long long)i, rill_tensor_get(t, i), want[i]);
  rill_tensor_unref(t);
}

/* The graph's error must be exactly msg; the error is then cleared. */
static void expect_build_error(rill_graph *g, const char *msg) {
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)), msg);
  rill_graph_clear_error(g);
}

static rill_tensor *iota_f(rill_shape s) {
  rill_tensor *t = rill_tensor_new(RILL_FLOAT, s, NULL);
  assert_non_null(t);
  for (int64_t i = 0; i < rill_tensor_num_elements(t); i++) rill_tensor_float(t)[i] = (float)i;
  return t;
}

/* seed-001 §3.7 */
static void test_seed_slice(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const int32_t tv[18] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6};
  rill_output t = rill_const_int32(g, tv, 18, RILL_SHAPE(3, 2, 3), NULL);
  rill_output a = rill_slice(g, t, I64(1, 0, 0), I64(1, 1, 3), NULL);
  rill_output b = rill_slice(g, t, I64(1, 0, 0), I64(1, 2, 3), NULL);
  rill_output c = rill_slice(g, t, I64(1, 0, 0), I64(2, 1, 3), NULL);
  rill_output d = rill_slice(g, t, I64(1, 1, 0), I64(-1, -1, 2), NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(a.op), "Slice");
  assert_string_equal(rill_op_name(b.op), "Slice_1");
  assert_string_equal(rill_op_name(rill_op_input(a.op, 1).op), "Slice/begin");
  assert_string_equal(rill_op_name(rill_op_input(a.op, 2).op), "Slice/size");
  assert_int_equal(rill_op_attr_type(a.op, "Index", RILL_DT_INVALID), RILL_INT32);
  expect_shape(rill_output_shape(d), RILL_SHAPE(2, 1, 2));
  rill_session *s = test_session(g);
  expect(run1(s, a), RILL_INT32, RILL_SHAPE(1, 1, 3), (double[]){3, 3, 3});
  expect(run1(s, b), RILL_INT32, RILL_SHAPE(1, 2, 3), (double[]){3, 3, 3, 4, 4, 4});
  expect(run1(s, c), RILL_INT32, RILL_SHAPE(2, 1, 3), (double[]){3, 3, 3, 5, 5, 5});
  expect(run1(s, d), RILL_INT32, RILL_SHAPE(2, 1, 2), (double[]){4, 4, 6, 6});
  /* bounds are checked when run, as in TF: the static shape is just the requested size */
  rill_output bad = rill_slice(g, t, I64(0, 0, 0), I64(4, 1, 1), NULL);
  expect_shape(rill_output_shape(bad), RILL_SHAPE(4, 1, 1));
  run_fails(s, RILL_NO_OUTPUT, NULL, bad, "Expected size[0] in [0, 3], but got 4");
  rill_output neg = rill_slice(g, t, I64(-1, 0, 0), I64(1, 1, 1), NULL);
  run_fails(s, RILL_NO_OUTPUT, NULL, neg, "Expected begin[0] in [0, 3], but got -1");
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* seed-001 §3.8 */
static void test_seed_transpose(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const int32_t xv[6] = {1, 2, 3, 4, 5, 6}, yv[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  rill_output x = rill_const_int32(g, xv, 6, RILL_SHAPE(2, 3), NULL);
  rill_output t = rill_transpose(g, x, NULL, NULL);
  rill_output same = rill_transpose(g, x, (const int[]){0, 1}, NULL);
  rill_output y = rill_const_int32(g, yv, 12, RILL_SHAPE(2, 2, 3), NULL);
  rill_output t3 = rill_transpose(g, y, (const int[]){0, 2, 1}, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(t.op), "transpose");
  assert_string_equal(rill_op_type(t.op), "Transpose");
  assert_string_equal(rill_op_name(rill_op_input(t.op, 1).op), "transpose/perm");
  assert_string_equal(rill_op_name(same.op), "transpose_1");
  assert_int_equal(rill_op_attr_type(t.op, "Tperm", RILL_DT_INVALID), RILL_INT32);
  expect_shape(rill_output_shape(t), RILL_SHAPE(3, 2));
  rill_session *s = test_session(g);
  expect(run1(s, t), RILL_INT32, RILL_SHAPE(3, 2), (double[]){1, 4, 2, 5, 3, 6});
  expect(run1(s, same), RILL_INT32, RILL_SHAPE(2, 3), (double[]){1, 2, 3, 4, 5, 6});
  expect(run1(s, t3), RILL_INT32, RILL_SHAPE(2, 3, 2), (double[]){1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12});
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* seed-001 §3.6: int64 input, axes 0, 1 and -1 */
static void test_seed_expand_dims(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  int64_t v[12];
  for (int i = 0; i < 12; i++) v[i] = i;
  rill_output tt = rill_const_int64(g, v, 12, RILL_SHAPE(3, 4), NULL);
  rill_output e0 = rill_expand_dims(g, tt, 0, NULL);
  rill_output e1 = rill_expand_dims(g, tt, 1, NULL);
  rill_output s1 = rill_shape_of(g, e1, RILL_INT32, NULL);
  rill_output e2 = rill_expand_dims(g, tt, -1, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(e0.op), "ExpandDims");
  assert_string_equal(rill_op_name(rill_op_input(e0.op, 1).op), "ExpandDims/dim");
  char buf[128];
  assert_string_equal(rill_output_str(e2, buf, sizeof buf), "Tensor(\"ExpandDims_2:0\", shape=(3, 4, 1), dtype=int64)");
  expect_shape(rill_output_shape(e0), RILL_SHAPE(1, 3, 4));
  rill_session *s = test_session(g);
  rill_tensor *r0 = run1(s, e0);
  expect_shape(rill_tensor_shape(r0), RILL_SHAPE(1, 3, 4));
  assert_int_equal(rill_tensor_int64(r0)[11], 11);
  rill_tensor_unref(r0);
  expect(run1(s, s1), RILL_INT32, RILL_SHAPE(3), (double[]){3, 1, 4});
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* seed-001 §3.1: tensordot of arange(24).reshape(3,2,4) and arange(20).reshape(4,5), and
 * tf.shape(tf.reshape(ll, [-1, 4]) @ ww) */
static void test_seed_tensordot_and_reshape(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  int32_t lv[24], wv[20];
  for (int i = 0; i < 24; i++) lv[i] = i;
  for (int i = 0; i < 20; i++) wv[i] = i;
  rill_output ll = rill_const_int32(g, lv, 24, RILL_SHAPE(3, 2, 4), NULL);
  rill_output ww = rill_const_int32(g, wv, 20, RILL_SHAPE(4, 5), NULL);
  rill_output td = rill_tensordot(g, ll, ww, (const int[]){-1}, (const int[]){0}, 1, NULL);
  rill_output r = rill_reshape(g, ll, I64(-1, 4), 2, NULL);
  rill_output sh = rill_shape_of(g, rill_matmul(g, r, ww, false, false, NULL), RILL_INT32, NULL);
  rill_output rs = rill_shape_of(g, r, RILL_INT32, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(td.op), "Tensordot");
  assert_string_equal(rill_op_type(td.op), "Reshape");
  assert_string_equal(rill_op_name(rill_op_input(td.op, 1).op), "Tensordot/shape");
  assert_non_null(rill_graph_op_by_name(g, "Tensordot/MatMul"));
  assert_non_null(rill_graph_op_by_name(g, "Tensordot/Reshape"));
  expect_shape(rill_output_shape(td), RILL_SHAPE(3, 2, 5));
  expect_shape(rill_output_shape(r), RILL_SHAPE(6, 4));
  rill_session *s = test_session(g);
  double want[30];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 5; j++) {
      want[i * 5 + j] = 0;
      for (int k = 0; k < 4; k++) want[i * 5 + j] += lv[i * 4 + k] * wv[k * 5 + j];
    }
  expect(run1(s, td), RILL_INT32, RILL_SHAPE(3, 2, 5), want);
  expect(run1(s, sh), RILL_INT32, RILL_SHAPE(2), (double[]){6, 5});
  expect(run1(s, rs), RILL_INT32, RILL_SHAPE(2), (double[]){6, 4});
  /* TF 1.x's matmul of mixed ranks is a build error; tensordot is the way */
  rill_matmul(g, ll, ww, false, false, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* tensordot with statically unknown dims: the shapes are computed when run */
static void test_tensordot_unknown_dims(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 3, 4), "a");
  rill_output b = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(4, 3, 2), "b");
  rill_output td = rill_tensordot(g, a, b, (const int[]){1, 2}, (const int[]){1, 0}, 2, NULL);
  assert_graph_ok(g);
  expect_shape(rill_output_shape(td), RILL_SHAPE(-1, 2));
  rill_session *s = test_session(g);
  rill_tensor *av = iota_f(RILL_SHAPE(2, 3, 4)), *bv = iota_f(RILL_SHAPE(4, 3, 2));
  rill_status *st = rill_status_new();
  rill_tensor *r = NULL;
  rill_session_run(s, (rill_output[]){a, b}, (rill_tensor *[]){av, bv}, 2, &td, &r, 1, NULL, 0, st);
  assert_status_ok(st);
  double want[4];
  for (int i = 0; i < 2; i++)
    for (int n = 0; n < 2; n++) {
      want[i * 2 + n] = 0;
      for (int j = 0; j < 3; j++)
        for (int k = 0; k < 4; k++) want[i * 2 + n] += (double)(i * 12 + j * 4 + k) * (k * 6 + j * 2 + n);
    }
  expect(r, RILL_FLOAT, RILL_SHAPE(2, 2), want);
  rill_tensor_unref(av);
  rill_tensor_unref(bv);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_reshape_shapes_and_errors(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 784), "x");
  rill_output img = rill_reshape(g, x, I64(-1, 28, 28, 1), 4, NULL);
  assert_graph_ok(g);
  char buf[128];
  assert_string_equal(rill_output_str(img, buf, sizeof buf), "Tensor(\"Reshape:0\", shape=(?, 28, 28, 1), dtype=float32)");
  assert_string_equal(rill_op_name(rill_op_input(img.op, 1).op), "Reshape/shape");
  assert_int_equal(rill_op_attr_type(img.op, "Tshape", RILL_DT_INVALID), RILL_INT32);
  /* the unknown input dim is inferred from a fully known request, and vice versa */
  rill_output p6 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 6), NULL);
  expect_shape(rill_output_shape(rill_reshape(g, p6, I64(4, 3), 2, NULL)), RILL_SHAPE(4, 3));
  expect_shape(rill_output_shape(rill_reshape(g, p6, I64(3, -1), 2, NULL)), RILL_SHAPE(3, -1));
  expect_shape(rill_output_shape(rill_reshape(g, p6, I64(-1, 3), 2, NULL)), RILL_SHAPE(-1, 3));
  /* a shape computed from another tensor's Shape keeps its known dims */
  rill_output sh = rill_shape_of(g, x, RILL_INT32, NULL);
  assert_string_equal(rill_op_type(sh.op), "Shape");
  expect_shape(rill_output_shape(rill_reshape_to(g, img, sh, NULL)), RILL_SHAPE(-1, 784));
  assert_graph_ok(g);

  int32_t v[24];
  for (int i = 0; i < 24; i++) v[i] = i;
  rill_output c = rill_const_int32(g, v, 24, RILL_SHAPE(24), NULL);
  rill_reshape(g, c, I64(5, 5), 2, NULL);
  expect_build_error(g, "Cannot reshape a tensor with 24 elements to shape [5,5] (25 elements) for 'Reshape_5' (op: "
                        "'Reshape') with input shapes: [24], [2] and with input tensors computed as partial shapes: "
                        "input[1] = [5,5].");
  rill_reshape(g, c, I64(-1, 5), 2, NULL);
  expect_build_error(g, "Dimension size must be evenly divisible by 5 but is 24 for 'Reshape_6' (op: 'Reshape') with "
                        "input shapes: [24], [2] and with input tensors computed as partial shapes: input[1] = [?,5].");
  rill_reshape(g, p6, I64(5, 3), 2, NULL);
  expect_build_error(g, "Dimension size must be evenly divisible by 6 but is 15 for 'Reshape_7' (op: 'Reshape') with "
                        "input shapes: [?,6], [2] and with input tensors computed as partial shapes: input[1] = [5,3].");
  rill_reshape(g, c, I64(-2, 4), 2, NULL);
  expect_build_error(g, "Invalid value in tensor used for shape: -2");

  /* the same mistakes when the input's shape is only known at run time */
  rill_output any = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "any");
  rill_output r55 = rill_reshape(g, any, I64(5, 5), 2, NULL), rm5 = rill_reshape(g, any, I64(-1, 5), 2, NULL);
  rill_output r2 = rill_reshape(g, any, I64(-1, -1), 2, NULL), rz = rill_reshape(g, any, I64(-1, 0), 2, NULL);
  assert_graph_ok(g);
  expect_shape(rill_output_shape(r2), RILL_SHAPE(-1, -1));
  rill_session *s = test_session(g);
  rill_tensor *t24 = iota_f(RILL_SHAPE(24)), *t0 = iota_f(RILL_SHAPE(0, 3));
  run_fails(s, any, t24, r55, "Input to reshape is a tensor with 24 values, but the requested shape has 25");
  run_fails(s, any, t24, rm5, "Input to reshape is a tensor with 24 values, but the requested shape requires a multiple of 5");
  run_fails(s, any, t24, r2, "Only one input size may be -1, not both 0 and 1");
  run_fails(s, any, t24, rz, "Input to reshape is a tensor with 24 values, but the requested shape has 0");
  /* TF leaves zero-sized dims out when inferring the -1: [0,3] -> [3,0] */
  rill_tensor *z = run_fed(s, any, t0, rz);
  expect_shape(rill_tensor_shape(z), RILL_SHAPE(3, 0));
  rill_tensor_unref(z);
  rill_tensor_unref(t24);
  rill_tensor_unref(t0);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Reshape, Squeeze and ExpandDims share the input's buffer; an in-place kernel downstream must
 * still never write into a buffer someone else holds (a constant, the caller's feed). */
static void test_zero_copy_views(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2, 6), "x");
  rill_output r = rill_reshape(g, x, I64(3, 4), 2, NULL);
  rill_output e = rill_expand_dims(g, r, 0, NULL);
  rill_output q = rill_squeeze(g, e, NULL, 0, NULL);
  rill_output negated = rill_neg(g, rill_reshape(g, x, I64(12), 1, NULL), NULL);
  const float cv[4] = {1, 2, 3, 4};
  rill_output c = rill_const_float(g, cv, 4, RILL_SHAPE(4), "c");
  rill_output cneg = rill_neg(g, rill_reshape(g, c, I64(2, 2), 2, NULL), NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_tensor *xv = iota_f(RILL_SHAPE(2, 6));
  rill_status *st = rill_status_new();
  rill_tensor *out[3] = {0};
  rill_session_run(s, &x, &xv, 1, (rill_output[]){r, q, negated}, out, 3, NULL, 0, st);
  assert_status_ok(st);
  assert_ptr_equal(rill_tensor_data(out[0]), rill_tensor_data(xv));
  assert_ptr_equal(rill_tensor_data(out[1]), rill_tensor_data(xv));
  expect_shape(rill_tensor_shape(out[1]), RILL_SHAPE(3, 4));
  assert_true(rill_tensor_float(out[2])[5] == -5.0f);
  for (int i = 0; i < 12; i++) assert_true(rill_tensor_float(xv)[i] == (float)i);
  for (int i = 0; i < 3; i++) rill_tensor_unref(out[i]);
  /* a constant's view is never negated in place */
  for (int rep = 0; rep < 2; rep++) expect(run1(s, cneg), RILL_FLOAT, RILL_SHAPE(2, 2), (double[]){-1, -2, -3, -4});
  expect(run1(s, c), RILL_FLOAT, RILL_SHAPE(4), (double[]){1, 2, 3, 4});
  rill_tensor_unref(xv);
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);

  /* a view outliving its owner's other references keeps the buffer alive */
  rill_tensor *base = iota_f(RILL_SHAPE(2, 3));
  rill_tensor *v1 = rill__tensor_view(base, RILL_SHAPE(6));
  rill_tensor *v2 = rill__tensor_view(v1, RILL_SHAPE(3, 2));
  assert_false(rill__tensor_exclusive(v2));
  rill_tensor_unref(base);
  rill_tensor_unref(v1);
  assert_true(rill__tensor_exclusive(v2));
  assert_true(rill_tensor_float(v2)[5] == 5.0f);
  rill_tensor_unref(v2);
}

static void test_squeeze_expand_shapes_and_errors(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), "x");
  expect_shape(rill_output_shape(rill_squeeze(g, x, (const int[]){0}, 1, NULL)), RILL_SHAPE(1));
  assert_int_equal(rill_output_shape(rill_squeeze(g, x, NULL, 0, NULL)).rank, -1);
  rill_output y = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 1, -1), "y");
  rill_output sq = rill_squeeze(g, y, (const int[]){1}, 1, NULL);
  expect_shape(rill_output_shape(sq), RILL_SHAPE(3, -1));
  const int64_t *dims = NULL;
  assert_int_equal(rill_op_attr_int_list(sq.op, "squeeze_dims", &dims), 1);
  assert_int_equal(dims[0], 1);
  assert_graph_ok(g);
  rill_output z = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 1), "z");
  rill_squeeze(g, z, (const int[]){0}, 1, NULL);
  expect_build_error(g, "Can not squeeze dim[0], expected a dimension of 1, got 3 for 'Squeeze_3' (op: 'Squeeze') "
                        "with input shapes: [3,1].");
  rill_squeeze(g, z, (const int[]){2}, 1, NULL);
  expect_build_error(g, "squeeze_dims[0] not in [-2,2). for 'Squeeze_4' (op: 'Squeeze') with input shapes: [3,1].");
  rill_expand_dims(g, z, 3, NULL);
  expect_build_error(g, "dim 3 not in the interval [-3, 2]. for 'ExpandDims' (op: 'ExpandDims') with input shapes: "
                        "[3,1], [] and with computed input tensors: input[1] = <3>.");
  rill_output any = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "any");
  rill_output s5 = rill_squeeze(g, any, (const int[]){0}, 1, NULL), sall = rill_squeeze(g, any, NULL, 0, NULL);
  rill_output e5 = rill_expand_dims(g, any, 5, NULL);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_tensor *t = iota_f(RILL_SHAPE(3, 4)), *ones = iota_f(RILL_SHAPE(1, 3, 1));
  run_fails(s, any, t, s5, "Can not squeeze dim[0], expected a dimension of 1, got 3");
  run_fails(s, any, t, e5, "Tried to expand dim index 5 for tensor with 2 dimensions.");
  expect(run_fed(s, any, ones, sall), RILL_FLOAT, RILL_SHAPE(3), (double[]){0, 1, 2});
  rill_tensor_unref(t);
  rill_tensor_unref(ones);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Strided slices against TF's results for x = arange(24).reshape(2,3,4): static shapes for a
 * known and a partially known ([?,3,?]) input, and values. */
static void test_strided_slice_against_tf(void **state) {
  (void)state;
  typedef struct {
    const char *what;
    int n;
    int64_t b[4], e[4], st[4];
    int masks[5];
    rill_shape known, partial;
    int count;
    double vals[24];
  } ss_case;
  static const ss_case cases[] = {
      {"x[::-1, 1:, ::2]", 3, {0, 1, 0}, {0, 0, 0}, {-1, 1, 2}, {5, 7, 0, 0, 0}, {3, {2, 2, 2}}, {3, {-1, 2, -1}}, 8,
       {16, 18, 20, 22, 4, 6, 8, 10}},
      {"x[..., newaxis, 2]", 3, {0, 0, 2}, {0, 0, 3}, {1, 1, 1}, {0, 0, 1, 2, 4}, {3, {2, 3, 1}}, {3, {-1, 3, 1}}, 6,
       {2, 6, 10, 14, 18, 22}},
      {"x[newaxis, ..., 1:3]", 3, {0, 0, 1}, {0, 0, 3}, {1, 1, 1}, {0, 0, 2, 1, 0}, {4, {1, 2, 3, 2}}, {4, {1, -1, 3, -1}},
       12, {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}},
      {"x[-1, :, newaxis, -2]", 4, {-1, 0, 0, -2}, {0, 0, 0, -1}, {1, 1, 1, 1}, {2, 2, 0, 4, 9}, {2, {3, 1}}, {2, {3, 1}},
       3, {14, 18, 22}},
      {"x[:, ::-2]", 2, {0, 0}, {0, 0}, {1, -2}, {3, 3, 0, 0, 0}, {3, {2, 2, 4}}, {3, {-1, 2, -1}}, 16,
       {8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15}},
      {"x[1:, 5:1:-1, :]", 3, {1, 5, 0}, {0, 1, 0}, {1, -1, 1}, {4, 5, 0, 0, 0}, {3, {1, 1, 4}}, {3, {-1, 1, -1}}, 4,
       {20, 21, 22, 23}},
      {"x[0, ..., 0]", 3, {0, 0, 0}, {1, 0, 1}, {1, 1, 1}, {0, 0, 2, 0, 5}, {1, {3}}, {1, {3}}, 3, {0, 4, 8}},
      {"x[:, 10:]", 2, {0, 10}, {0, 0}, {1, 1}, {1, 3, 0, 0, 0}, {3, {2, 0, 4}}, {3, {-1, 0, -1}}, 0, {0}},
  };
  rill_graph *g = rill_graph_new();
  rill_output p = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2, 3, 4), "p");
  rill_output q = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 3, -1), "q");
  rill_session *s = test_session(g);
  rill_tensor *xv = iota_f(RILL_SHAPE(2, 3, 4));
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const ss_case *c = &cases[i];
    print_message("%s\n", c->what);
    const int *m = c->masks;
    rill_output a = rill_strided_slice(g, p, c->b, c->e, c->st, c->n, m[0], m[1], m[2], m[3], m[4], NULL);
    rill_output b = rill_strided_slice(g, q, c->b, c->e, c->st, c->n, m[0], m[1], m[2], m[3], m[4], NULL);
    assert_graph_ok(g);
    expect_shape(rill_output_shape(a), c->known);
    expect_shape(rill_output_shape(b), c->partial);
    expect(run_fed(s, p, xv, a), RILL_FLOAT, c->known, c->vals);
    expect(run_fed(s, q, xv, b), RILL_FLOAT, c->known, c->vals);
  }
  rill_output a = rill_strided_slice(g, p, I64(0), I64(1), NULL, 1, 0, 0, 0, 0, 0, NULL);
  assert_string_equal(rill_op_name(a.op), "StridedSlice_16");
  assert_string_equal(rill_op_name(rill_op_input(a.op, 3).op), "StridedSlice_16/strides");
  assert_int_equal(rill_op_attr_int(a.op, "shrink_axis_mask", -1), 0);
  assert_int_equal(rill_op_attr_type(a.op, "Index", RILL_DT_INVALID), RILL_INT32);
  /* errors at build time, and when the input's shape is only known at run time */
  rill_strided_slice(g, p, I64(5), I64(6), NULL, 1, 0, 0, 0, 0, 1, "bad");
  expect_build_error(g, "slice index 5 of dimension 0 out of bounds. for 'bad' (op: 'StridedSlice') with input "
                        "shapes: [2,3,4], [1], [1], [1] and with computed input tensors: input[1] = <5>, input[2] = <6>, "
                        "input[3] = <1>.");
  rill_strided_slice(g, p, I64(0, 0, 0, 0), I64(1, 1, 1, 1), NULL, 4, 0, 0, 0, 0, 0, "bad");
  assert_contains(rill_status_message(rill_graph_status(g)), "Index out of range using input dim 3; input has only 3 dims");
  rill_graph_clear_error(g);
  rill_strided_slice(g, p, I64(0), I64(1), I64(0), 1, 0, 0, 0, 0, 0, "bad");
  assert_contains(rill_status_message(rill_graph_status(g)), "strides[0] must be non-zero");
  rill_graph_clear_error(g);
  rill_strided_slice(g, p, I64(0, 0), I64(1, 1), NULL, 2, 0, 0, 3, 0, 0, "bad");
  assert_contains(rill_status_message(rill_graph_status(g)), "Multiple ellipses in slice spec not allowed");
  rill_graph_clear_error(g);
  rill_output any = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "any");
  rill_output m4 = rill_strided_slice(g, any, I64(-4), I64(0), NULL, 1, 0, 0, 0, 0, 1, NULL);
  rill_output sh = rill_strided_slice(g, any, I64(0), I64(1), I64(-1), 1, 0, 0, 0, 0, 1, NULL);
  assert_graph_ok(g);
  assert_int_equal(rill_output_shape(m4).rank, -1);
  run_fails(s, any, xv, m4, "slice index -2 of dimension 0 out of bounds.");
  run_fails(s, any, xv, sh, "only stride 1 allowed on non-range indexing.");
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static rill_tensor *tensor_of(rill_dtype t, rill_shape s) {
  rill_tensor *x = rill_tensor_new(t, s, NULL);
  assert_non_null(x);
  for (int64_t i = 0; i < rill_tensor_num_elements(x); i++) {
    switch (t) {
      case RILL_FLOAT: rill_tensor_float(x)[i] = (float)i; break;
      case RILL_DOUBLE: rill_tensor_double(x)[i] = (double)i; break;
      case RILL_INT32: rill_tensor_int32(x)[i] = (int32_t)i; break;
      case RILL_INT64: rill_tensor_int64(x)[i] = i; break;
      case RILL_UINT8: rill_tensor_uint8(x)[i] = (uint8_t)i; break;
      case RILL_BOOL: rill_tensor_bool(x)[i] = i % 3 == 1; break;
      default: {
        char b[32];
        snprintf(b, sizeof b, "s%lld", (long long)i);
        assert_true(rill_tensor_set_string(x, i, b, strlen(b)));
      }
    }
  }
  return x;
}

/* The value element i of tensor_of(t, ...) holds. */
static double elem_of(rill_dtype t, int64_t i) {
  if (t == RILL_BOOL) return i % 3 == 1;
  if (t == RILL_UINT8) return (double)(uint8_t)i;
  return (double)i;
}

static void expect_elems(rill_tensor *r, rill_dtype t, rill_shape shape, const int64_t *src_index) {
  assert_non_null(r);
  assert_int_equal(rill_tensor_dtype(r), t);
  expect_shape(rill_tensor_shape(r), shape);
  for (int64_t i = 0; i < rill_tensor_num_elements(r); i++) {
    if (t == RILL_STRING) {
      char b[32];
      snprintf(b, sizeof b, "s%lld", (long long)src_index[i]);
      assert_string_equal(rill_tensor_string(r)[i].data, b);
    } else if (rill_tensor_get(r, i) != elem_of(t, src_index[i])) {
      fail_msg("%s element %lld: got %g want %g", rill_dtype_name(t), (long long)i, rill_tensor_get(r, i),
               elem_of(t, src_index[i]));
    }
  }
  rill_tensor_unref(r);
}

/* Every dtype through every data-movement kernel; expected values named by source index. */
static void test_data_movement_all_dtypes(void **state) {
  (void)state;
  static const rill_dtype types[] = {RILL_FLOAT, RILL_DOUBLE, RILL_INT32, RILL_INT64, RILL_UINT8, RILL_BOOL, RILL_STRING};
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    rill_dtype t = types[ti];
    print_message("%s\n", rill_dtype_name(t));
    rill_graph *g = rill_graph_new();
    rill_tensor *xv = tensor_of(t, RILL_SHAPE(2, 3));
    rill_output x = rill_constant(g, xv, "x");
    rill_output parts[2], sp[3];
    rill_split(g, x, 3, 1, sp, NULL);
    parts[0] = sp[2];
    parts[1] = sp[0];
    rill_output un[3];
    rill_unstack(g, x, 3, 1, un, NULL);
    const int32_t gi[3] = {2, 0, 2};
    rill_output outs[] = {
        rill_reshape(g, x, I64(3, 2), 2, NULL),
        rill_transpose(g, x, NULL, NULL),
        rill_slice(g, x, I64(1, 1), I64(1, 2), NULL),
        rill_strided_slice(g, x, I64(0, -1), I64(0, 0), I64(1, -2), 2, 1, 3, 0, 0, 0, NULL),
        rill_concat(g, (rill_output[]){x, x}, 2, 0, NULL),
        rill_concat(g, parts, 2, 1, NULL),
        rill_stack(g, (rill_output[]){x, x}, 2, 1, NULL),
        un[1],
        rill_tile(g, x, I64(1, 2), NULL),
        rill_pad(g, x, I64(0, 1, 1, 0), NULL),
        rill_gather(g, x, rill_const_int32(g, gi, 3, RILL_SHAPE(3), NULL), 1, NULL),
        rill_expand_dims(g, x, 1, NULL),
        rill_fill(g, I64(2, 2), 2,
                  rill_reshape(g, rill_slice(g, rill_reshape(g, x, I64(6), 1, NULL), I64(4), I64(1), NULL), NULL, 0, NULL),
                  NULL),
    };
    assert_graph_ok(g);
    rill_session *s = test_session(g);
    expect_elems(run1(s, outs[0]), t, RILL_SHAPE(3, 2), I64(0, 1, 2, 3, 4, 5));
    expect_elems(run1(s, outs[1]), t, RILL_SHAPE(3, 2), I64(0, 3, 1, 4, 2, 5));
    expect_elems(run1(s, outs[2]), t, RILL_SHAPE(1, 2), I64(4, 5));
    expect_elems(run1(s, outs[3]), t, RILL_SHAPE(2, 2), I64(2, 0, 5, 3));
    expect_elems(run1(s, outs[4]), t, RILL_SHAPE(4, 3), I64(0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5));
    expect_elems(run1(s, outs[5]), t, RILL_SHAPE(2, 2), I64(2, 0, 5, 3));
    expect_elems(run1(s, outs[6]), t, RILL_SHAPE(2, 2, 3), I64(0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5));
    expect_elems(run1(s, outs[7]), t, RILL_SHAPE(2), I64(1, 4));
    expect_elems(run1(s, outs[8]), t, RILL_SHAPE(2, 6), I64(0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5));
    rill_tensor *pad = run1(s, outs[9]);
    expect_shape(rill_tensor_shape(pad), RILL_SHAPE(3, 4));
    for (int i = 0; i < 12; i++) {
      int r = i / 4, c = i % 4;
      bool inside = r < 2 && c >= 1;
      if (t == RILL_STRING) {
        const rill_string *e = &rill_tensor_string(pad)[i];
        if (inside) {
          char b[32];
          snprintf(b, sizeof b, "s%d", r * 3 + c - 1);
          assert_string_equal(e->data, b);
        } else {
          assert_int_equal(e->len, 0);
        }
      } else {
        assert_true(rill_tensor_get(pad, i) == (inside ? elem_of(t, r * 3 + c - 1) : 0));
      }
    }
    rill_tensor_unref(pad);
    expect_elems(run1(s, outs[10]), t, RILL_SHAPE(2, 3), I64(2, 0, 2, 5, 3, 5));
    expect_elems(run1(s, outs[11]), t, RILL_SHAPE(2, 1, 3), I64(0, 1, 2, 3, 4, 5));
    expect_elems(run1(s, outs[12]), t, RILL_SHAPE(2, 2), I64(4, 4, 4, 4));
    rill_tensor_unref(xv);
    rill_session_delete(s);
    rill_graph_delete(g);
  }
}

static void test_concat_split_stack_unstack(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 784), "x");
  rill_output c = rill_concat(g, (rill_output[]){x, x}, 2, 1, NULL);
  char buf[128];
  assert_string_equal(rill_output_str(c, buf, sizeof buf), "Tensor(\"concat:0\", shape=(?, 1568), dtype=float32)");
  assert_string_equal(rill_op_type(c.op), "ConcatV2");
  assert_string_equal(rill_op_name(rill_op_input(c.op, 2).op), "concat/axis");
  assert_int_equal(rill_op_attr_int(c.op, "N", 0), 2);
  rill_output sp[2];
  assert_true(rill_split(g, x, 2, 1, sp, NULL).op == sp[0].op);
  assert_string_equal(rill_output_str(sp[1], buf, sizeof buf), "Tensor(\"split:1\", shape=(?, 392), dtype=float32)");
  assert_string_equal(rill_op_name(rill_op_input(sp[0].op, 0).op), "split/split_dim");
  rill_output st = rill_stack(g, (rill_output[]){x, x}, 2, 0, NULL);
  assert_string_equal(rill_output_str(st, buf, sizeof buf), "Tensor(\"stack:0\", shape=(2, ?, 784), dtype=float32)");
  rill_output un[3];
  rill_unstack(g, rill_zeros(g, RILL_SHAPE(3, 2), RILL_FLOAT, NULL), 3, 0, un, NULL);
  assert_string_equal(rill_output_str(un[2], buf, sizeof buf), "Tensor(\"unstack:2\", shape=(2,), dtype=float32)");
  /* one value: tf.concat returns an Identity named concat */
  rill_output one = rill_concat(g, &x, 1, 0, NULL);
  assert_string_equal(rill_op_type(one.op), "Identity");
  assert_string_equal(rill_op_name(one.op), "concat_1");
  assert_graph_ok(g);

  /* round trips on a run */
  rill_output a = rill_placeholder(g, RILL_INT64, RILL_SHAPE(4, 6), "a");
  rill_output s3[3], u4[4];
  rill_split(g, a, 3, -1, s3, NULL);
  rill_output back = rill_concat(g, s3, 3, -1, NULL);
  rill_unstack(g, a, 4, 0, u4, NULL);
  rill_output restacked = rill_stack(g, u4, 4, 0, NULL);
  rill_output stacked2 = rill_stack(g, u4, 4, -1, NULL);
  assert_graph_ok(g);
  expect_shape(rill_output_shape(stacked2), RILL_SHAPE(6, 4));
  rill_session *s = test_session(g);
  rill_tensor *av = tensor_of(RILL_INT64, RILL_SHAPE(4, 6));
  int64_t idx[24], tr[24];
  for (int i = 0; i < 24; i++) {
    idx[i] = i;
    tr[i] = (i % 4) * 6 + i / 4;
  }
  expect_elems(run_fed(s, a, av, back), RILL_INT64, RILL_SHAPE(4, 6), idx);
  expect_elems(run_fed(s, a, av, restacked), RILL_INT64, RILL_SHAPE(4, 6), idx);
  expect_elems(run_fed(s, a, av, stacked2), RILL_INT64, RILL_SHAPE(6, 4), tr);
  expect_elems(run_fed(s, a, av, s3[1]), RILL_INT64, RILL_SHAPE(4, 2), I64(2, 3, 8, 9, 14, 15, 20, 21));

  /* errors, at build time and when run */
  rill_output p34 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 4), "p34");
  rill_output p25 = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2, 5), "p25");
  rill_concat(g, (rill_output[]){p34, p25}, 2, 0, NULL);
  expect_build_error(g, "Dimension 0 in both shapes must be equal, but are 4 and 5. Shapes are [4] and [5]. for "
                        "'concat_3' (op: 'ConcatV2') with input shapes: [3,4], [2,5], [] and with computed input "
                        "tensors: input[2] = <0>.");
  rill_concat(g, (rill_output[]){p34, a}, 2, 0, NULL);
  expect_build_error(g, "Tensors in list passed to 'values' of 'ConcatV2' Op have types [float32, int64] that don't "
                        "all match.");
  rill_concat(g, (rill_output[]){p34, p34}, 2, 2, NULL);
  expect_build_error(g, "Shape must be at least rank 3 but is rank 2 for 'concat_4' (op: 'ConcatV2') with input "
                        "shapes: [3,4], [3,4], [] and with computed input tensors: input[2] = <2>.");
  rill_output o3[3];
  rill_split(g, p34, 3, 1, o3, NULL);
  expect_build_error(g, "Dimension size must be evenly divisible by 3 but is 4\n\tNumber of ways to split should evenly "
                        "divide the split dimension for 'split_2' (op: 'Split') with input shapes: [], [3,4] and with "
                        "computed input tensors: input[0] = <1>.");
  rill_split(g, p34, 3, 2, o3, NULL);
  expect_build_error(g, "Dimension size, given by scalar input 2 must be in range [-2, 2) for 'split_3' (op: 'Split') "
                        "with input shapes: [], [3,4] and with computed input tensors: input[0] = <2>.");
  rill_stack(g, (rill_output[]){p34, p25}, 2, 0, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Dimension 0 in both shapes must be equal, but are 3 and 2");
  rill_graph_clear_error(g);
  rill_stack(g, (rill_output[]){p34, p34}, 2, 3, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Invalid axis: 3; must be in [-3,3)");
  rill_graph_clear_error(g);
  rill_output o2[2];
  rill_unstack(g, p34, 2, 0, o2, NULL);
  expect_build_error(g, "Dimension must be 2 but is 3 for 'unstack_2' (op: 'Unpack') with input shapes: [3,4].");

  rill_output any = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "any");
  rill_output cz = rill_concat(g, (rill_output[]){any, rill_zeros(g, RILL_SHAPE(2, 5), RILL_FLOAT, NULL)}, 2, 0, NULL);
  rill_output sz[3];
  rill_split(g, any, 3, 1, sz, NULL);
  rill_output pk = rill_stack(g, (rill_output[]){any, p25}, 2, 0, NULL);
  rill_output uk[2];
  rill_unstack(g, any, 2, 0, uk, NULL);
  assert_graph_ok(g);
  expect_shape(rill_output_shape(cz), RILL_SHAPE(-1, 5));
  rill_tensor *v34 = iota_f(RILL_SHAPE(3, 4));
  run_fails(s, any, v34, cz, "ConcatOp : Dimension 1 in both shapes must be equal: shape[0] = [3,4] vs. shape[1] = [2,5]");
  run_fails(s, any, v34, sz[0], "Number of ways to split should evenly divide the split dimension, but got split_dim 1 "
                                "(size = 4) and num_split 3");
  rill_status *rst = rill_status_new();
  rill_tensor *unused = NULL, *v25 = iota_f(RILL_SHAPE(2, 5));
  rill_session_run(s, (rill_output[]){any, p25}, (rill_tensor *[]){v34, v25}, 2, &pk, &unused, 1, NULL, 0, rst);
  assert_null(unused);
  assert_status_prefix(rst, RILL_INVALID_ARGUMENT,
                       "Shapes of all inputs must match: values[0].shape = [3,4] != values[1].shape = [2,5]");
  rill_tensor_unref(v25);
  rill_status_delete(rst);
  run_fails(s, any, v34, uk[0], "Input shape axis 0 must equal 2, got shape [3,4]");
  rill_tensor_unref(v34);
  rill_tensor_unref(av);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* seed-001 §22: tf.fill([2,3], 9); tf.zeros / tf.ones as Const or Fill; the *_like ops */
static void test_fill_zeros_ones(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output f = rill_fill(g, I64(2, 3), 2, rill_scalar_int32(g, 9, NULL), NULL);
  assert_string_equal(rill_op_name(f.op), "Fill");
  assert_string_equal(rill_op_name(rill_op_input(f.op, 0).op), "Fill/dims");
  assert_int_equal(rill_op_attr_type(f.op, "index_type", RILL_DT_INVALID), RILL_INT32);
  rill_output z = rill_zeros(g, RILL_SHAPE(2, 3), RILL_FLOAT, NULL);
  rill_output o = rill_ones(g, RILL_SHAPE(2, 3), RILL_BOOL, NULL);
  rill_output zb = rill_zeros(g, RILL_SHAPE(40, 40), RILL_FLOAT, NULL);
  rill_output ob = rill_ones(g, RILL_SHAPE(40, 40), RILL_INT64, NULL);
  assert_string_equal(rill_op_type(z.op), "Const");
  assert_string_equal(rill_op_name(z.op), "zeros");
  assert_string_equal(rill_op_name(o.op), "ones");
  assert_string_equal(rill_op_type(zb.op), "Fill");
  assert_string_equal(rill_op_name(zb.op), "zeros_1");
  assert_string_equal(rill_op_name(rill_op_input(zb.op, 0).op), "zeros_1/shape_as_tensor");
  assert_string_equal(rill_op_name(rill_op_input(zb.op, 1).op), "zeros_1/Const");
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 3), "x");
  rill_output zl = rill_zeros_like(g, x, NULL), ol = rill_ones_like(g, x, NULL);
  assert_string_equal(rill_op_type(zl.op), "ZerosLike");
  assert_string_equal(rill_op_name(zl.op), "zeros_like");
  assert_string_equal(rill_op_type(ol.op), "OnesLike");
  assert_string_equal(rill_op_name(ol.op), "ones_like");
  expect_shape(rill_output_shape(ol), RILL_SHAPE(-1, 3));
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  expect(run1(s, f), RILL_INT32, RILL_SHAPE(2, 3), (double[]){9, 9, 9, 9, 9, 9});
  expect(run1(s, z), RILL_FLOAT, RILL_SHAPE(2, 3), (double[]){0, 0, 0, 0, 0, 0});
  expect(run1(s, o), RILL_BOOL, RILL_SHAPE(2, 3), (double[]){1, 1, 1, 1, 1, 1});
  rill_tensor *zv = run1(s, zb), *ov = run1(s, ob);
  expect_shape(rill_tensor_shape(ov), RILL_SHAPE(40, 40));
  for (int i = 0; i < 1600; i++) assert_true(rill_tensor_float(zv)[i] == 0 && rill_tensor_int64(ov)[i] == 1);
  rill_tensor_unref(zv);
  rill_tensor_unref(ov);
  rill_tensor *xv = iota_f(RILL_SHAPE(2, 3));
  expect(run_fed(s, x, xv, zl), RILL_FLOAT, RILL_SHAPE(2, 3), (double[]){0, 0, 0, 0, 0, 0});
  expect(run_fed(s, x, xv, ol), RILL_FLOAT, RILL_SHAPE(2, 3), (double[]){1, 1, 1, 1, 1, 1});
  rill_fill(g, I64(2, -3), 2, rill_scalar_float(g, 1, NULL), NULL);
  expect_build_error(g, "Fill dimensions must be >= 0 for 'Fill_1' (op: 'Fill') with input shapes: [2], [] and with "
                        "input tensors computed as partial shapes: input[0] = [2,?].");
  rill_zeros(g, RILL_SHAPE(-1, 3), RILL_FLOAT, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(g);
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_shape_size_rank_range(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 784), "x");
  rill_output sh = rill_shape_of(g, x, RILL_INT64, NULL), sz = rill_size(g, x, NULL), rk = rill_rank(g, x, NULL);
  rill_output any = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "any");
  rill_output rk2 = rill_rank(g, any, NULL);
  rill_output known = rill_shape_of(g, rill_zeros(g, RILL_SHAPE(2, 3), RILL_FLOAT, NULL), RILL_INT32, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_type(sh.op), "Shape");
  assert_int_equal(rill_op_attr_type(sh.op, "out_type", RILL_DT_INVALID), RILL_INT64);
  expect_shape(rill_output_shape(sh), RILL_SHAPE(2));
  assert_string_equal(rill_op_type(sz.op), "Size");
  /* statically known answers are constants, as tf.shape/tf.rank's optimize=True makes them */
  assert_string_equal(rill_op_type(rk.op), "Const");
  assert_string_equal(rill_op_name(rk.op), "Rank");
  assert_string_equal(rill_op_type(known.op), "Const");
  assert_string_equal(rill_op_name(known.op), "Shape_1");
  assert_string_equal(rill_op_type(rk2.op), "Rank");
  rill_output r = rill_range(g, 0, 10, 2, RILL_INT32, NULL);
  rill_output rf = rill_range(g, 1, 2, 0.3, RILL_FLOAT, NULL);
  rill_output rd = rill_range(g, 5, 1, -1.5, RILL_DOUBLE, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(r.op), "range");
  assert_string_equal(rill_op_name(rill_op_input(r.op, 0).op), "range/start");
  assert_string_equal(rill_op_name(rill_op_input(r.op, 2).op), "range/delta");
  assert_int_equal(rill_op_attr_type(r.op, "Tidx", RILL_DT_INVALID), RILL_INT32);
  expect_shape(rill_output_shape(r), RILL_SHAPE(5));
  expect_shape(rill_output_shape(rf), RILL_SHAPE(4));
  rill_session *s = test_session(g);
  rill_tensor *xv = iota_f(RILL_SHAPE(2, 784));
  expect(run_fed(s, x, xv, sh), RILL_INT64, RILL_SHAPE(2), (double[]){2, 784});
  expect(run_fed(s, x, xv, sz), RILL_INT32, RILL_SHAPE(), (double[]){1568});
  expect(run_fed(s, any, xv, rk2), RILL_INT32, RILL_SHAPE(), (double[]){2});
  expect(run1(s, known), RILL_INT32, RILL_SHAPE(2), (double[]){2, 3});
  expect(run1(s, r), RILL_INT32, RILL_SHAPE(5), (double[]){0, 2, 4, 6, 8});
  expect(run1(s, rf), RILL_FLOAT, RILL_SHAPE(4), (double[]){1.0f, 1.0f + 0.3f, 1.0f + 2 * 0.3f, 1.0f + 3 * 0.3f});
  expect(run1(s, rd), RILL_DOUBLE, RILL_SHAPE(3), (double[]){5, 3.5, 2});
  rill_range(g, 5, 1, 1, RILL_INT32, NULL);
  expect_build_error(g, "Requires start <= limit when delta > 0: 5/1 for 'range_3' (op: 'Range') with input shapes: "
                        "[], [], [] and with computed input tensors: input[0] = <5>, input[1] = <1>, input[2] = <1>.");
  rill_range(g, 1, 5, 0, RILL_INT32, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)), "Requires delta != 0 for 'range_4'");
  rill_graph_clear_error(g);
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_gather_one_hot_segments(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output p = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 4), "p");
  const int32_t iv[4] = {0, 2, 1, 1};
  rill_output ga = rill_gather(g, p, rill_const_int32(g, iv, 4, RILL_SHAPE(2, 2), NULL), 1, NULL);
  const int64_t rows[2] = {2, 0};
  rill_output g0 = rill_gather(g, p, rill_const_int64(g, rows, 2, RILL_SHAPE(2), NULL), 0, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(ga.op), "GatherV2");
  assert_string_equal(rill_op_name(rill_op_input(ga.op, 2).op), "GatherV2/axis");
  assert_int_equal(rill_op_attr_type(g0.op, "Tindices", RILL_DT_INVALID), RILL_INT64);
  assert_int_equal(rill_op_attr_int(g0.op, "batch_dims", -1), 0);
  expect_shape(rill_output_shape(ga), RILL_SHAPE(3, 2, 2));
  const int32_t hv[3] = {1, -1, 5}, h2[4] = {1, 2, 0, 1};
  rill_output oh = rill_one_hot(g, rill_const_int32(g, hv, 3, RILL_SHAPE(3), NULL), 3, 1, 0, -1, RILL_FLOAT, NULL);
  rill_output oh0 = rill_one_hot(g, rill_const_int32(g, h2, 4, RILL_SHAPE(2, 2), NULL), 3, 5, -1, 0, RILL_INT64, NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(oh.op), "one_hot");
  assert_string_equal(rill_op_name(rill_op_input(oh.op, 1).op), "one_hot/depth");
  assert_string_equal(rill_op_name(rill_op_input(oh.op, 2).op), "one_hot/on_value");
  assert_int_equal(rill_op_attr_int(oh.op, "axis", 0), -1);
  assert_int_equal(rill_op_attr_type(oh.op, "TI", RILL_DT_INVALID), RILL_INT32);
  expect_shape(rill_output_shape(oh0), RILL_SHAPE(3, 2, 2));
  const int32_t seg[3] = {0, 2, 0};
  rill_output uss = rill__unsorted_segment_sum(g, p, rill_const_int32(g, seg, 3, RILL_SHAPE(3), NULL),
                                               rill_scalar_int32(g, 4, NULL), NULL);
  expect_shape(rill_output_shape(uss), RILL_SHAPE(4, 4));
  rill_session *s = test_session(g);
  rill_tensor *pv = iota_f(RILL_SHAPE(3, 4));
  expect(run_fed(s, p, pv, ga), RILL_FLOAT, RILL_SHAPE(3, 2, 2), (double[]){0, 2, 1, 1, 4, 6, 5, 5, 8, 10, 9, 9});
  expect(run_fed(s, p, pv, g0), RILL_FLOAT, RILL_SHAPE(2, 4), (double[]){8, 9, 10, 11, 0, 1, 2, 3});
  expect(run1(s, oh), RILL_FLOAT, RILL_SHAPE(3, 3), (double[]){0, 1, 0, 0, 0, 0, 0, 0, 0});
  expect(run1(s, oh0), RILL_INT64, RILL_SHAPE(3, 2, 2), (double[]){-1, -1, 5, -1, 5, -1, -1, 5, -1, 5, -1, -1});
  expect(run_fed(s, p, pv, uss), RILL_FLOAT, RILL_SHAPE(4, 4),
         (double[]){8, 10, 12, 14, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0});
  const int32_t bad[2] = {1, 5}, badseg[3] = {0, 5, 0};
  rill_output gb = rill_gather(g, p, rill_const_int32(g, bad, 2, RILL_SHAPE(1, 2), NULL), 0, NULL);
  rill_output ub = rill__unsorted_segment_sum(g, p, rill_const_int32(g, badseg, 3, RILL_SHAPE(3), NULL),
                                              rill_scalar_int32(g, 4, NULL), NULL);
  rill_output oa = rill_one_hot(g, rill_const_int32(g, hv, 3, RILL_SHAPE(3), NULL), 3, 1, 0, 5, RILL_FLOAT, NULL);
  assert_graph_ok(g);
  run_fails(s, p, pv, gb, "indices[0,1] = 5 is not in [0, 3)");
  run_fails(s, p, pv, ub, "segment_ids[1] = 5 is out of range [0, 4)");
  run_fails(s, RILL_NO_OUTPUT, NULL, oa, "Expected axis to be -1 or between [0, 2).  But received: 5");
  rill_gather(g, p, rill_const_int32(g, bad, 2, RILL_SHAPE(2), NULL), 2, NULL);
  expect_build_error(g, "Shape must be at least rank 3 but is rank 2 for 'GatherV2_3' (op: 'GatherV2') with input "
                        "shapes: [3,4], [2], [] and with computed input tensors: input[2] = <2>.");
  rill_one_hot(g, rill_const_int32(g, hv, 3, RILL_SHAPE(3), NULL), -3, 1, 0, -1, RILL_FLOAT, NULL);
  assert_contains(rill_status_message(rill_graph_status(g)),
                  "Dimension size, given by scalar input 1, must be non-negative but is -3");
  rill_graph_clear_error(g);
  rill_tensor_unref(pv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_pad_tile_transpose_errors(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float one_two[2] = {1, 2};
  rill_output r = rill_const_float(g, one_two, 2, RILL_SHAPE(1, 2), NULL);
  rill_output t = rill_tile(g, r, I64(2, 3), NULL);
  rill_output p = rill_pad(g, r, I64(1, 0, 0, 2), NULL);
  assert_graph_ok(g);
  assert_string_equal(rill_op_name(rill_op_input(t.op, 1).op), "Tile/multiples");
  assert_string_equal(rill_op_name(rill_op_input(p.op, 1).op), "Pad/paddings");
  assert_int_equal(rill_op_attr_type(p.op, "Tpaddings", RILL_DT_INVALID), RILL_INT32);
  rill_session *s = test_session(g);
  expect(run1(s, t), RILL_FLOAT, RILL_SHAPE(2, 6), (double[]){1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2});
  expect(run1(s, p), RILL_FLOAT, RILL_SHAPE(2, 4), (double[]){0, 0, 0, 0, 1, 2, 0, 0});
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(3, 4), "x");
  rill_output any = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, -1), "any");
  expect_shape(rill_output_shape(rill_tile(g, x, I64(1, -1), NULL)), RILL_SHAPE(3, -1));
  rill_pad(g, x, I64(1, -1, 0, 0), NULL);
  expect_build_error(g, "Paddings must be non-negative for 'Pad_1' (op: 'Pad') with input shapes: [3,4], [2,2] and "
                        "with computed input tensors: input[1] = <[1 -1][0 0]>.");
  rill_transpose(g, x, (const int[]){0, 2}, NULL);
  expect_build_error(g, "perm dim 2 is out of range of input rank 2 for 'transpose' (op: 'Transpose') with input "
                        "shapes: [3,4], [2] and with computed input tensors: input[1] = <0 2>.");
  /* a repeated perm entry is only caught when run, as in TF */
  rill_output dup = rill_transpose(g, x, (const int[]){0, 0}, NULL);
  expect_shape(rill_output_shape(dup), RILL_SHAPE(3, 3));
  rill_output tneg = rill_tile(g, any, I64(1, -1), NULL);
  assert_graph_ok(g);
  rill_tensor *xv = iota_f(RILL_SHAPE(3, 4));
  run_fails(s, x, xv, dup, "1 is missing from {0,0}.");
  run_fails(s, any, xv, tneg, "Expected multiples[1] >= 0, but got -1");
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Big copies through every path of the copy engine (runs, strided lines, tiles) against
 * element-by-element index arithmetic, on several intra-op thread counts. */
static void test_big_copies(void **state) {
  (void)state;
  for (int threads = 1; threads <= 4; threads += 3) {
    rill_graph *g = rill_graph_new();
    rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(37, 64, 29), "x");
    rill_output t = rill_transpose(g, x, (const int[]){2, 0, 1}, NULL);
    rill_output t2 = rill_transpose(g, x, (const int[]){1, 0, 2}, NULL);
    rill_output ss = rill_strided_slice(g, x, I64(-1, 3, 0), I64(0, 60, 29), I64(-3, 2, 1), 3, 1, 0, 0, 0, 0, NULL);
    rill_output tl = rill_tile(g, x, I64(2, 1, 3), NULL);
    assert_graph_ok(g);
    rill_session_options o = rill_session_options_default();
    o.intra_op_threads = threads;
    rill_status *st = rill_status_new();
    rill_session *s = rill_session_new(g, &o, st);
    assert_status_ok(st);
    rill_tensor *xv = iota_f(RILL_SHAPE(37, 64, 29)), *out[4] = {0};
    rill_session_run(s, &x, &xv, 1, (rill_output[]){t, t2, ss, tl}, out, 4, NULL, 0, st);
    assert_status_ok(st);
    const float *a = rill_tensor_float(out[0]), *b = rill_tensor_float(out[1]), *c = rill_tensor_float(out[2]),
                *d = rill_tensor_float(out[3]);
    for (int i = 0; i < 37; i++)
      for (int j = 0; j < 64; j++)
        for (int k = 0; k < 29; k++) {
          float v = (float)((i * 64 + j) * 29 + k);
          assert_true(a[(k * 37 + i) * 64 + j] == v);
          assert_true(b[(j * 37 + i) * 29 + k] == v);
        }
    expect_shape(rill_tensor_shape(out[2]), RILL_SHAPE(12, 29, 29));
    for (int i = 0; i < 12; i++)
      for (int j = 0; j < 29; j++)
        for (int k = 0; k < 29; k++)
          assert_true(c[(i * 29 + j) * 29 + k] == (float)(((36 - 3 * i) * 64 + 3 + 2 * j) * 29 + k));
    for (int i = 0; i < 74; i++)
      for (int j = 0; j < 64; j++)
        for (int k = 0; k < 87; k++)
          assert_true(d[(i * 64 + j) * 87 + k] == (float)(((i % 37) * 64 + j) * 29 + k % 29));
    for (int i = 0; i < 4; i++) rill_tensor_unref(out[i]);
    rill_tensor_unref(xv);
    rill_status_delete(st);
    rill_session_delete(s);
    rill_graph_delete(g);
  }
  /* tiles for every element size, with partial tiles at the edges */
  static const rill_dtype types[] = {RILL_UINT8, RILL_BOOL, RILL_INT32, RILL_DOUBLE, RILL_INT64};
  for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
    rill_graph *g = rill_graph_new();
    rill_tensor *xv = tensor_of(types[ti], RILL_SHAPE(3, 130, 301));
    rill_output t = rill_transpose(g, rill_constant(g, xv, NULL), (const int[]){0, 2, 1}, NULL);
    assert_graph_ok(g);
    rill_session *s = test_session(g);
    rill_tensor *r = run1(s, t);
    expect_shape(rill_tensor_shape(r), RILL_SHAPE(3, 301, 130));
    for (int b = 0; b < 3; b++)
      for (int i = 0; i < 301; i++)
        for (int j = 0; j < 130; j++)
          if (rill_tensor_get(r, (b * 301 + i) * 130 + j) != elem_of(types[ti], (b * 130 + j) * 301 + i))
            fail_msg("%s transpose wrong at [%d,%d,%d]", rill_dtype_name(types[ti]), b, i, j);
    rill_tensor_unref(r);
    rill_tensor_unref(xv);
    rill_session_delete(s);
    rill_graph_delete(g);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_slice),
      cmocka_unit_test(test_seed_transpose),
      cmocka_unit_test(test_seed_expand_dims),
      cmocka_unit_test(test_seed_tensordot_and_reshape),
      cmocka_unit_test(test_tensordot_unknown_dims),
      cmocka_unit_test(test_reshape_shapes_and_errors),
      cmocka_unit_test(test_zero_copy_views),
      cmocka_unit_test(test_squeeze_expand_shapes_and_errors),
      cmocka_unit_test(test_strided_slice_against_tf),
      cmocka_unit_test(test_data_movement_all_dtypes),
      cmocka_unit_test(test_concat_split_stack_unstack),
      cmocka_unit_test(test_fill_zeros_ones),
      cmocka_unit_test(test_shape_size_rank_range),
      cmocka_unit_test(test_gather_one_hot_segments),
      cmocka_unit_test(test_pad_tile_transpose_errors),
      cmocka_unit_test(test_big_copies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
