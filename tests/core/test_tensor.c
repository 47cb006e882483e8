/* dtypes, shapes, tensors (ownership, wrapping, strings, printing) and status objects. */
#include "core/core_util.h"

static void test_dtypes_match_tensorflow(void **state) {
  (void)state;
  /* TF's DataType enum numbers: GraphDef and checkpoints store them as they are. */
  assert_int_equal(RILL_FLOAT, 1);
  assert_int_equal(RILL_DOUBLE, 2);
  assert_int_equal(RILL_INT32, 3);
  assert_int_equal(RILL_UINT8, 4);
  assert_int_equal(RILL_STRING, 7);
  assert_int_equal(RILL_INT64, 9);
  assert_int_equal(RILL_BOOL, 10);

  const struct {
    rill_dtype t;
    size_t size;
    const char *name;
    bool is_float, is_int;
  } cases[] = {
      {RILL_FLOAT, 4, "float32", true, false},   {RILL_DOUBLE, 8, "float64", true, false},
      {RILL_INT32, 4, "int32", false, true},     {RILL_UINT8, 1, "uint8", false, true},
      {RILL_INT64, 8, "int64", false, true},     {RILL_BOOL, 1, "bool", false, false},
      {RILL_STRING, sizeof(rill_string), "string", false, false},
      {RILL_DT_INVALID, 0, "invalid", false, false}, {(rill_dtype)42, 0, "invalid", false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(rill_dtype_size(cases[i].t), cases[i].size);
    assert_string_equal(rill_dtype_name(cases[i].t), cases[i].name);
    assert_int_equal(rill_dtype_is_float(cases[i].t), cases[i].is_float);
    assert_int_equal(rill_dtype_is_integer(cases[i].t), cases[i].is_int);
  }
}

static void test_shape_macro_and_scalars(void **state) {
  (void)state;
  rill_shape s = RILL_SHAPE();
  assert_int_equal(s.rank, 0);
  assert_int_equal(rill_shape_num_elements(s), 1);
  assert_true(rill_shape_equal(s, rill_shape_scalar()));

  s = RILL_SHAPE(7);
  assert_int_equal(s.rank, 1);
  assert_int_equal(s.dims[0], 7);

  s = RILL_SHAPE(2, 3, 4);
  assert_int_equal(s.rank, 3);
  assert_int_equal(s.dims[0], 2);
  assert_int_equal(s.dims[2], 4);
  assert_int_equal(rill_shape_num_elements(s), 24);
  assert_true(rill_shape_is_fully_defined(s));

  s = RILL_SHAPE(-1, 784);
  assert_int_equal(s.rank, 2);
  assert_int_equal(s.dims[0], -1);
  assert_int_equal(rill_shape_num_elements(s), -1);
  assert_false(rill_shape_is_fully_defined(s));
  /* any negative dimension means "unknown" */
  assert_int_equal(RILL_SHAPE(-5, 2).dims[0], -1);

  rill_shape u = rill_shape_unknown();
  assert_int_equal(u.rank, -1);
  assert_int_equal(rill_shape_num_elements(u), -1);
  assert_int_equal(rill_shape_make((int64_t[9]){1, 1, 1, 1, 1, 1, 1, 1, 1}, 9).rank, -1); /* over RILL_MAX_RANK */

  int64_t dims[] = {3, 0};
  assert_int_equal(rill_shape_num_elements(rill_shape_make(dims, 2)), 0);
}

static void test_shape_compare(void **state) {
  (void)state;
  assert_true(rill_shape_equal(RILL_SHAPE(2, 3), RILL_SHAPE(2, 3)));
  assert_false(rill_shape_equal(RILL_SHAPE(2, 3), RILL_SHAPE(3, 2)));
  assert_false(rill_shape_equal(RILL_SHAPE(2), RILL_SHAPE(2, 1)));

  assert_true(rill_shape_compatible(RILL_SHAPE(-1, 784), RILL_SHAPE(5, 784)));
  assert_false(rill_shape_compatible(RILL_SHAPE(-1, 784), RILL_SHAPE(5, 783)));
  assert_false(rill_shape_compatible(RILL_SHAPE(-1, 784), RILL_SHAPE(784)));
  assert_true(rill_shape_compatible(rill_shape_unknown(), RILL_SHAPE(1, 2, 3)));
  assert_true(rill_shape_compatible(RILL_SHAPE(), RILL_SHAPE()));
  assert_false(rill_shape_compatible(RILL_SHAPE(), RILL_SHAPE(1)));
}

static void test_shape_text(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(rill_shape_str(RILL_SHAPE(), b, sizeof b), "()");
  assert_string_equal(rill_shape_str(RILL_SHAPE(3), b, sizeof b), "(3,)");
  assert_string_equal(rill_shape_str(RILL_SHAPE(2, 3), b, sizeof b), "(2, 3)");
  assert_string_equal(rill_shape_str(RILL_SHAPE(-1, 784), b, sizeof b), "(?, 784)");
  assert_string_equal(rill_shape_str(rill_shape_unknown(), b, sizeof b), "<unknown>");
  assert_string_equal(rill_shape_dbg(RILL_SHAPE(), b, sizeof b), "[]");
  assert_string_equal(rill_shape_dbg(RILL_SHAPE(3), b, sizeof b), "[3]");
  assert_string_equal(rill_shape_dbg(RILL_SHAPE(-1, 1), b, sizeof b), "[?,1]");
  assert_string_equal(rill_shape_dbg(RILL_SHAPE(3, 2, 4), b, sizeof b), "[3,2,4]");
  assert_string_equal(rill_shape_dbg(rill_shape_unknown(), b, sizeof b), "?");
  /* a short buffer is truncated, never overrun */
  char small[5];
  memset(small, 'x', sizeof small);
  rill_shape_str(RILL_SHAPE(1000, 1000), small, sizeof small);
  assert_int_equal(strlen(small), 4);
}

static void test_tensor_new(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_tensor *t = rill_tensor_new(RILL_DOUBLE, RILL_SHAPE(3, 5), st);
  assert_status_ok(st);
  assert_non_null(t);
  assert_int_equal(rill_tensor_dtype(t), RILL_DOUBLE);
  assert_int_equal(rill_tensor_rank(t), 2);
  assert_int_equal(rill_tensor_dim(t, 0), 3);
  assert_int_equal(rill_tensor_dim(t, 1), 5);
  assert_int_equal(rill_tensor_dim(t, 2), -1);
  assert_int_equal(rill_tensor_num_elements(t), 15);
  assert_int_equal(rill_tensor_nbytes(t), 15 * sizeof(double));
  assert_true(rill_shape_equal(rill_tensor_shape(t), RILL_SHAPE(3, 5)));
  assert_int_equal((uintptr_t)rill_tensor_data(t) % 64, 0);
  for (int i = 0; i < 15; i++) assert_true(rill_tensor_double(t)[i] == 0.0);
  /* typed accessors check the dtype */
  assert_non_null(rill_tensor_double(t));
  assert_null(rill_tensor_float(t));
  assert_null(rill_tensor_int32(t));
  assert_null(rill_tensor_int64(t));
  assert_null(rill_tensor_string(t));
  rill_tensor_unref(t);

  /* a scalar has one element */
  t = rill_tensor_new(RILL_INT64, RILL_SHAPE(), st);
  assert_int_equal(rill_tensor_rank(t), 0);
  assert_int_equal(rill_tensor_num_elements(t), 1);
  rill_tensor_unref(t);

  /* graph-only shapes and bad dtypes are refused */
  assert_null(rill_tensor_new(RILL_FLOAT, RILL_SHAPE(-1, 3), st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_clear(st);
  assert_null(rill_tensor_new(RILL_FLOAT, rill_shape_unknown(), st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_clear(st);
  assert_null(rill_tensor_new((rill_dtype)99, RILL_SHAPE(2), st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_null(rill_tensor_new(RILL_FLOAT, RILL_SHAPE(-1), NULL)); /* status may be NULL */
  rill_status_delete(st);

  rill_tensor_unref(NULL);
  assert_null(rill_tensor_ref(NULL));
}

static void test_tensor_from_data_and_scalars(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  int32_t v[6] = {1, 2, 3, 4, 5, 6};
  rill_tensor *t = rill_tensor_from_data(RILL_INT32, RILL_SHAPE(2, 3), v, sizeof v, st);
  assert_status_ok(st);
  v[0] = 100; /* copied, not aliased */
  assert_int_equal(rill_tensor_int32(t)[0], 1);
  assert_int_equal(rill_tensor_int32(t)[5], 6);
  assert_true(rill_tensor_get(t, 4) == 5.0);
  assert_true(rill_tensor_get(t, 6) == 0.0); /* out of range */

  rill_tensor *c = rill_tensor_copy(t, st);
  rill_tensor_int32(c)[0] = -7;
  assert_int_equal(rill_tensor_int32(t)[0], 1);
  assert_int_equal(rill_tensor_int32(c)[0], -7);
  rill_tensor_unref(c);
  rill_tensor_unref(t);

  assert_null(rill_tensor_from_data(RILL_INT32, RILL_SHAPE(2, 3), v, sizeof v - 1, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_clear(st);
  assert_null(rill_tensor_from_data(RILL_STRING, RILL_SHAPE(1), v, sizeof(rill_string), st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);

  t = rill_tensor_scalar_float(2.5f);
  assert_int_equal(rill_tensor_rank(t), 0);
  assert_true(*rill_tensor_float(t) == 2.5f);
  rill_tensor_unref(t);
  t = rill_tensor_scalar_int32(-3);
  assert_int_equal(*rill_tensor_int32(t), -3);
  rill_tensor_unref(t);
  t = rill_tensor_scalar_int64(INT64_C(1) << 40);
  assert_true(*rill_tensor_int64(t) == (INT64_C(1) << 40));
  rill_tensor_unref(t);

  bool b[2] = {true, false};
  t = rill_tensor_from_data(RILL_BOOL, RILL_SHAPE(2), b, sizeof b, st);
  assert_true(rill_tensor_get(t, 0) == 1.0 && rill_tensor_get(t, 1) == 0.0);
  rill_tensor_unref(t);
  rill_status_delete(st);
}

typedef struct wrap_probe {
  int calls;
  void *data;
  size_t nbytes;
} wrap_probe;

static void probe_dealloc(void *data, size_t nbytes, void *arg) {
  wrap_probe *p = arg;
  p->calls++;
  p->data = data;
  p->nbytes = nbytes;
}

static void test_tensor_wrap_deallocates_once(void **state) {
  (void)state;
  float buf[4] = {1, 2, 3, 4};
  wrap_probe probe = {0};
  rill_status *st = rill_status_new();
  rill_tensor *t = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(2, 2), buf, sizeof buf, probe_dealloc, &probe, st);
  assert_status_ok(st);
  assert_ptr_equal(rill_tensor_data(t), buf); /* not copied */
  buf[3] = 40;
  assert_true(rill_tensor_float(t)[3] == 40.0f);

  rill_tensor *r = rill_tensor_ref(t);
  assert_ptr_equal(r, t);
  rill_tensor_unref(t);
  assert_int_equal(probe.calls, 0);
  rill_tensor_unref(r);
  assert_int_equal(probe.calls, 1);
  assert_ptr_equal(probe.data, buf);
  assert_int_equal(probe.nbytes, sizeof buf);

  /* held by a graph constant and by a session's fetch: still exactly one call, at the end */
  probe.calls = 0;
  t = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(2, 2), buf, sizeof buf, probe_dealloc, &probe, st);
  rill_graph *g = rill_graph_new();
  rill_output c = rill_constant(g, t, "wrapped");
  rill_output y = rill_identity(g, c, NULL);
  rill_tensor_unref(t);
  assert_graph_ok(g);
  rill_session *s = test_session(g);
  rill_tensor *v = rill_session_eval(s, y, st);
  assert_status_ok(st);
  assert_true(rill_tensor_float(v)[3] == 40.0f);
  rill_session_delete(s);
  rill_graph_delete(g);
  assert_int_equal(probe.calls, 0);
  rill_tensor_unref(v);
  assert_int_equal(probe.calls, 1);

  /* the same as a feed: the caller's reference keeps it alive through the run */
  probe.calls = 0;
  t = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(2, 2), buf, sizeof buf, probe_dealloc, &probe, st);
  g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(2, 2), NULL);
  y = rill_identity(g, x, NULL);
  s = test_session(g);
  rill_session_run(s, &x, &t, 1, &y, &v, 1, NULL, 0, st);
  assert_status_ok(st);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_tensor_unref(v);
  assert_int_equal(probe.calls, 0);
  rill_tensor_unref(t);
  assert_int_equal(probe.calls, 1);

  /* no deallocator: the caller keeps ownership */
  t = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(4), buf, sizeof buf, NULL, NULL, st);
  assert_non_null(t);
  rill_tensor_unref(t);

  /* size and dtype mistakes are refused */
  assert_null(rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(5), buf, sizeof buf, NULL, NULL, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_clear(st);
  assert_null(rill_tensor_wrap(RILL_STRING, RILL_SHAPE(1), buf, sizeof(rill_string), NULL, NULL, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_delete(st);
}

static void test_string_tensors(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  const char *words[] = {"hello", "", "tensor"};
  rill_tensor *t = rill_tensor_strings(RILL_SHAPE(3), words, NULL, st);
  assert_status_ok(st);
  assert_int_equal(rill_tensor_dtype(t), RILL_STRING);
  rill_string *s = rill_tensor_string(t);
  assert_non_null(s);
  assert_int_equal(s[0].len, 5);
  assert_memory_equal(s[0].data, "hello", 5);
  assert_int_equal(s[1].len, 0);
  assert_string_equal(s[2].data, "tensor");
  assert_true(rill_tensor_get(t, 0) == 0.0);

  /* explicit lengths keep embedded NULs */
  const char *raw[] = {"a\0b", "xyz"};
  const size_t lens[] = {3, 2};
  rill_tensor *u = rill_tensor_strings(RILL_SHAPE(2), raw, lens, st);
  assert_int_equal(rill_tensor_string(u)[0].len, 3);
  assert_memory_equal(rill_tensor_string(u)[0].data, "a\0b", 3);
  assert_int_equal(rill_tensor_string(u)[1].len, 2);

  /* set_string replaces a copy; copies are deep */
  rill_tensor *c = rill_tensor_copy(t, st);
  assert_true(rill_tensor_set_string(t, 1, "new", 3));
  assert_string_equal(rill_tensor_string(t)[1].data, "new");
  assert_int_equal(rill_tensor_string(c)[1].len, 0);
  assert_false(rill_tensor_set_string(t, 3, "x", 1));
  assert_false(rill_tensor_set_string(t, -1, "x", 1));
  rill_tensor *num = rill_tensor_scalar_float(1);
  assert_false(rill_tensor_set_string(num, 0, "x", 1));
  rill_tensor_unref(num);

  char b[128];
  assert_string_equal(rill_tensor_str(c, b, sizeof b), "[b'hello' b'' b'tensor']");
  rill_tensor_unref(c);
  rill_tensor_unref(u);
  rill_tensor_unref(t);

  /* strings live in graph constants and come back from sessions */
  const char *one[] = {"graph"};
  t = rill_tensor_strings(RILL_SHAPE(), one, NULL, st);
  rill_graph *g = rill_graph_new();
  rill_output k = rill_constant(g, t, NULL);
  rill_tensor_unref(t);
  assert_int_equal(rill_output_dtype(k), RILL_STRING);
  rill_session *sess = test_session(g);
  rill_tensor *v = rill_session_eval(sess, rill_identity(g, k, NULL), st);
  assert_status_ok(st);
  assert_string_equal(rill_tensor_string(v)[0].data, "graph");
  rill_tensor_unref(v);
  rill_session_delete(sess);
  rill_graph_delete(g);
  rill_status_delete(st);
}

static rill_tensor *make(rill_dtype t, rill_shape s, const void *data, size_t n) {
  rill_tensor *x = rill_tensor_from_data(t, s, data, n, NULL);
  assert_non_null(x);
  return x;
}

static void test_printing(void **state) {
  (void)state;
  char b[256];
  const float f4[] = {1, 2, 3, 4};
  rill_tensor *t = make(RILL_FLOAT, RILL_SHAPE(2, 2), f4, sizeof f4);
  assert_string_equal(rill_tensor_str(t, b, sizeof b), "[[1. 2.]\n [3. 4.]]");
  rill_tensor_unref(t);

  t = rill_tensor_scalar_float(3.5f);
  assert_string_equal(rill_tensor_str(t, b, sizeof b), "3.5");
  rill_tensor_unref(t);

  /* numpy's blank line between the blocks of a rank-3 tensor */
  const int32_t i6[] = {0, 1, 2, 3, 4, 5};
  t = make(RILL_INT32, RILL_SHAPE(2, 1, 3), i6, sizeof i6);
  assert_string_equal(rill_tensor_str(t, b, sizeof b), "[[[0 1 2]]\n\n [[3 4 5]]]");
  rill_tensor_unref(t);
  const int64_t i8[] = {0, 1, 2, 3, 4, 5, 6, 7};
  t = make(RILL_INT64, RILL_SHAPE(2, 2, 2), i8, sizeof i8);
  assert_string_equal(rill_tensor_str(t, b, sizeof b), "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]");
  rill_tensor_unref(t);

  t = rill_tensor_new(RILL_FLOAT, rill_shape_make((int64_t[]){0}, 1), NULL);
  assert_string_equal(rill_tensor_str(t, b, sizeof b), "[]");
  rill_tensor_unref(t);

  /* long tensors are cut with "..." and never overrun the buffer */
  t = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(1000), NULL);
  char small[32];
  rill_tensor_str(t, small, sizeof small);
  size_t len = strlen(small);
  assert_true(len >= 3 && len < sizeof small);
  assert_string_equal(small + len - 3, "...");
  rill_tensor_unref(t);
}

static void test_status(void **state) {
  (void)state;
  rill_status *s = rill_status_new();
  assert_int_equal(rill_status_code(s), RILL_OK);
  assert_string_equal(rill_status_message(s), "");
  rill_status_set(s, RILL_NOT_FOUND, "no %s %d", "op", 7);
  assert_int_equal(rill_status_code(s), RILL_NOT_FOUND);
  assert_string_equal(rill_status_message(s), "no op 7");
  rill_status *c = rill_status_new();
  rill_status_copy(c, s);
  assert_int_equal(rill_status_code(c), RILL_NOT_FOUND);
  assert_string_equal(rill_status_message(c), "no op 7");
  rill_status_clear(s);
  assert_int_equal(rill_status_code(s), RILL_OK);
  assert_string_equal(rill_status_message(s), "");
  rill_status_copy(c, s);
  assert_int_equal(rill_status_code(c), RILL_OK);
  rill_status_delete(c);
  rill_status_delete(s);

  /* NULL is accepted everywhere a status is optional */
  assert_int_equal(rill_status_code(NULL), RILL_OK);
  assert_string_equal(rill_status_message(NULL), "");
  rill_status_set(NULL, RILL_INTERNAL, "ignored");
  rill_status_delete(NULL);

  /* TF's codes and names */
  assert_int_equal(RILL_INVALID_ARGUMENT, 3);
  assert_int_equal(RILL_FAILED_PRECONDITION, 9);
  assert_int_equal(RILL_OUT_OF_RANGE, 11);
  assert_int_equal(RILL_DATA_LOSS, 15);
  assert_string_equal(rill_code_name(RILL_OK), "OK");
  assert_string_equal(rill_code_name(RILL_INVALID_ARGUMENT), "INVALID_ARGUMENT");
  assert_string_equal(rill_code_name(RILL_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  assert_string_equal(rill_code_name(RILL_DATA_LOSS), "DATA_LOSS");
  assert_string_equal(rill_code_name((rill_code)77), "UNKNOWN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtypes_match_tensorflow),
      cmocka_unit_test(test_shape_macro_and_scalars),
      cmocka_unit_test(test_shape_compare),
      cmocka_unit_test(test_shape_text),
      cmocka_unit_test(test_tensor_new),
      cmocka_unit_test(test_tensor_from_data_and_scalars),
      cmocka_unit_test(test_tensor_wrap_deallocates_once),
      cmocka_unit_test(test_string_tensors),
      cmocka_unit_test(test_printing),
      cmocka_unit_test(test_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
