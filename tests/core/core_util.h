/* Small helpers shared by the core tests (static inline: each test is its own program). */
#ifndef RILL_TEST_CORE_UTIL_H
#define RILL_TEST_CORE_UTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

/* Fails the test with the graph's recorded error when there is one. */
#define assert_graph_ok(g)                                                              \
  do {                                                                                  \
    if (rill_graph_code(g) != RILL_OK)                                                  \
      fail_msg("graph error %s: %s", rill_code_name(rill_graph_code(g)),                 \
               rill_status_message(rill_graph_status(g)));                               \
  } while (0)

#define assert_status_ok(st)                                                            \
  do {                                                                                  \
    if (rill_status_code(st) != RILL_OK)                                                \
      fail_msg("status %s: %s", rill_code_name(rill_status_code(st)), rill_status_message(st)); \
  } while (0)

/* Asserts that `st` holds `code` and that its message starts with `prefix`. */
#define assert_status_prefix(st, code, prefix)                                          \
  do {                                                                                  \
    assert_int_equal(rill_status_code(st), (code));                                     \
    if (strncmp(rill_status_message(st), (prefix), strlen(prefix)))                    \
      fail_msg("message \"%s\" does not start with \"%s\"", rill_status_message(st), (prefix)); \
  } while (0)

#define assert_contains(haystack, needle)                                               \
  do {                                                                                  \
    if (!strstr((haystack), (needle))) fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle)); \
  } while (0)

static inline rill_session *test_session(rill_graph *g) {
  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, NULL, st);
  assert_status_ok(st);
  assert_non_null(s);
  rill_status_delete(st);
  return s;
}

/* Evaluates t and returns its n float elements in out (fails the test on any error). */
static inline void eval_floats(rill_session *s, rill_output t, float *out, int64_t n) {
  rill_status *st = rill_status_new();
  rill_tensor *v = rill_session_eval(s, t, st);
  assert_status_ok(st);
  assert_non_null(v);
  assert_int_equal(rill_tensor_dtype(v), RILL_FLOAT);
  assert_int_equal(rill_tensor_num_elements(v), n);
  memcpy(out, rill_tensor_float(v), (size_t)n * sizeof(float));
  rill_tensor_unref(v);
  rill_status_delete(st);
}

static inline float eval_float(rill_session *s, rill_output t) {
  float v;
  eval_floats(s, t, &v, 1);
  return v;
}

static inline void run_target(rill_session *s, rill_op *op) {
  rill_status *st = rill_status_new();
  rill_session_run_op(s, op, st);
  assert_status_ok(st);
  rill_status_delete(st);
}

static inline const char *out_name(rill_output o) {
  static char buf[256];
  return rill_output_name(o, buf, sizeof buf);
}
#endif
