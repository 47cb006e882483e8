/* `rill inspect-checkpoint` prints what TF's inspect_checkpoint tool prints
 * (fixtures/inspect_*.txt were captured from it by make_ckpt_fixtures.py), and reports a
 * missing tensor or checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "ckpt_test_util.h"

#define FIXTURES RILL_SOURCE_DIR "/tests/checkpoint/fixtures"
#define RILL_BIN RILL_BINARY_DIR "/rill"

/* Runs the command; returns its stdout (malloc'd) and exit status. */
static char *run(const char *args, int *status) {
  char *cmd = ckpt_fmt("'%s' inspect-checkpoint %s 2>/dev/null", RILL_BIN, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 16, len = 0, n;
  char *out = malloc(cap);
  while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0) len += n;
  out[len] = 0;
  int rc = pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  free(cmd);
  return out;
}

static void expect_output(const char *args, const char *fixture) {
  int rc;
  char *got = run(args, &rc);
  size_t n;
  char *want = (char *)ckpt_slurp(fixture, &n);
  assert_non_null(want);
  assert_int_equal(rc, 0);
  assert_string_equal(got, want);
  free(got);
  free(want);
}

static void test_matches_tf(void **state) {
  (void)state;
  if (!ckpt_exists(RILL_BIN)) {
    printf("SKIP: %s was not built\n", RILL_BIN);
    skip();
  }
  expect_output("'" FIXTURES "/types-7'", FIXTURES "/inspect_types.txt");
  expect_output("'" FIXTURES "/test_model' --tensor v1", FIXTURES "/inspect_v1.txt");
  /* a directory means its latest checkpoint, test_model here */
  expect_output("'" FIXTURES "' --tensor v1", FIXTURES "/inspect_v1.txt");
}

static void test_values_and_errors(void **state) {
  (void)state;
  if (!ckpt_exists(RILL_BIN)) skip();
  int rc;
  char *out = run("'" FIXTURES "/types-7' --all-tensors", &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "tensor: big (int64) [2]\n[-4611686018427387909 1099511627779]\n"));
  assert_non_null(strstr(out, "tensor: names (string) [3]\n[b'hello' b'' b'a\\x00b\\xff']\n"));
  assert_non_null(strstr(out, "tensor: global_step (int64) []\n7\n"));
  assert_non_null(strstr(out, "tensor: half (float16) [2]\n<UNIMPLEMENTED"));
  free(out);
  out = run("'" FIXTURES "/test_model' --tensor zz", &rc);
  assert_int_equal(rc, 1);
  assert_string_equal(out, "Tensor zz not found in checkpoint\n");
  free(out);
  out = run("'" FIXTURES "/no_such_model'", &rc);
  assert_int_equal(rc, 1);
  free(out);
  out = run("", &rc);
  assert_int_equal(rc, 2);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_tf),
      cmocka_unit_test(test_values_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
