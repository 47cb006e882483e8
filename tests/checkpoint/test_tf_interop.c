/* Checkpoint interop with real TensorFlow, both ways:
 *  - TensorFlow's checkpoints (tests/checkpoint/fixtures/, made by make_ckpt_fixtures.py with
 *    tf.compat.v1.train.Saver) are read and restored by Rill exactly, with no Python: the notes'
 *    v1 + v2 = 3, the moving-average restore giving 0.099999905, and a checkpoint of every
 *    dtype; for the first two, Rill's Saver writes byte-identical .index and .data files.
 *  - TensorFlow reads the checkpoints Rill writes, with tf.train.load_checkpoint and by
 *    restoring tf.compat.v1 variables through tf.compat.v1.train.Saver (tf_check_ckpt.py);
 *    its dump must equal the one computed here. Skipped when the TensorFlow venv (build/venv,
 *    or $RILL_TF_PYTHON) is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "ckpt_test_util.h"
#include "rill/rill.h"

#define FIXTURES RILL_SOURCE_DIR "/tests/checkpoint/fixtures"

static rill_session *session(rill_graph *g) {
  rill_session *s = rill_session_new(g, NULL, NULL);
  assert_non_null(s);
  return s;
}

static rill_tensor *eval(rill_session *s, rill_output o) {
  rill_status *st = rill_status_new();
  rill_tensor *t = rill_session_eval(s, o, st);
  if (!t) fail_msg("%s", rill_status_message(st));
  rill_status_delete(st);
  return t;
}

static void assert_files_equal(const char *a, const char *b) {
  size_t na, nb;
  uint8_t *x = ckpt_slurp(a, &na), *y = ckpt_slurp(b, &nb);
  if (!x || !y) fail_msg("missing %s or %s", a, b);
  if (na != nb || memcmp(x, y, na)) fail_msg("%s and %s differ", a, b);
  free(x);
  free(y);
}

static void assert_same_checkpoint_bytes(const char *ours, const char *theirs) {
  char *a = ckpt_fmt("%s.index", ours), *b = ckpt_fmt("%s.index", theirs);
  assert_files_equal(a, b);
  free(a);
  free(b);
  a = ckpt_fmt("%s.data-00000-of-00001", ours);
  b = ckpt_fmt("%s.data-00000-of-00001", theirs);
  assert_files_equal(a, b);
  free(a);
  free(b);
}

/* ---- TensorFlow's checkpoints ---- */

static void test_tf_notes_model(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_graph *g = rill_graph_new();
  float one = 1, two = 2;
  rill_variable *v1 = rill_variable_new(g, rill_const_float(g, &one, 1, RILL_SHAPE(1), NULL), "v1", 0);
  rill_variable *v2 = rill_variable_new(g, rill_const_float(g, &two, 1, RILL_SHAPE(1), NULL), "v2", 0);
  rill_output result = rill_add(g, rill_variable_value(v1), rill_variable_value(v2), "add");
  rill_saver *saver = rill_saver_new(g, NULL, 0, NULL);
  rill_session *s = session(g);
  /* the state file TF wrote names test_model, relative to the directory */
  char *latest = rill_latest_checkpoint(FIXTURES);
  assert_string_equal(latest, FIXTURES "/test_model");
  if (!rill_saver_restore(saver, s, latest, st)) fail_msg("%s", rill_status_message(st));
  rill_tensor *r = eval(s, result);
  assert_true(rill_tensor_float(r)[0] == 3.0f);
  rill_tensor_unref(r);
  /* Rill's own save of the same variables is byte-identical to TensorFlow's */
  char *dir = ckpt_tmpdir("interop");
  char *ours = ckpt_fmt("%s/test_model", dir);
  rill_op *init = rill_global_variables_initializer(g);
  rill_session_run_op(s, init, st);
  assert_non_null(rill_saver_save(saver, s, ours, -1, false, st));
  assert_same_checkpoint_bytes(ours, FIXTURES "/test_model");
  ckpt_rmtree(dir);
  free(dir);
  free(ours);
  free(latest);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
}

static void test_tf_moving_average(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_graph *g = rill_graph_new();
  rill_variable *v = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "v", 0);
  rill_ema *ema = rill_ema_new(g, 0.99, NULL, NULL);
  const char *names[2];
  rill_variable *vars[2];
  int n = rill_ema_variables_to_restore(ema, names, vars, 2);
  rill_saver *saver = rill_saver_new_map(g, names, vars, n, NULL);
  rill_session *s = session(g);
  if (!rill_saver_restore(saver, s, FIXTURES "/ema_test_model", st)) fail_msg("%s", rill_status_message(st));
  rill_tensor *t = eval(s, rill_variable_ref(v));
  assert_true(rill_tensor_float(t)[0] == 0.099999905f);
  rill_tensor_unref(t);
  rill_session_delete(s);
  rill_graph_delete(g);

  /* the same moving average computed by Rill and saved: the same bytes as TensorFlow's */
  g = rill_graph_new();
  v = rill_variable_new(g, rill_scalar_float(g, 0, NULL), "v", 0);
  ema = rill_ema_new(g, 0.99, NULL, NULL);
  rill_op *maintain = rill_ema_apply(ema, &v, 1);
  rill_output assign = rill_assign(g, v, rill_scalar_float(g, 10, NULL), NULL);
  saver = rill_saver_new(g, NULL, 0, NULL);
  s = session(g);
  rill_session_run_op(s, rill_global_variables_initializer(g), st);
  rill_session_run_op(s, assign.op, st);
  rill_session_run_op(s, maintain, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  char *dir = ckpt_tmpdir("interop");
  char *ours = ckpt_fmt("%s/ema_test_model", dir);
  assert_non_null(rill_saver_save(saver, s, ours, -1, false, st));
  assert_same_checkpoint_bytes(ours, FIXTURES "/ema_test_model");
  ckpt_rmtree(dir);
  free(dir);
  free(ours);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
}

/* The values of make_ckpt_fixtures.py's types-7 checkpoint, rebuilt here. */
static void check_tf_value(const char *name, const rill_tensor *t) {
  if (!strcmp(name, "scope/w")) {
    assert_true(rill_shape_equal(rill_tensor_shape(t), RILL_SHAPE(2, 3)));
    for (int i = 0; i < 6; i++) assert_true(rill_tensor_float(t)[i] == (float)(i * 0.25 - 1));
  } else if (!strcmp(name, "d")) {
    const double want[4] = {1.0 / 3, -2.5e300, 0.0, 6.02214076e23};
    assert_memory_equal(rill_tensor_double(t), want, sizeof want);
  } else if (!strcmp(name, "i32")) {
    const int32_t want[3] = {INT32_MIN, 0, INT32_MAX};
    assert_memory_equal(rill_tensor_int32(t), want, sizeof want);
  } else if (!strcmp(name, "global_step")) {
    assert_int_equal(rill_tensor_rank(t), 0);
    assert_int_equal(rill_tensor_int64(t)[0], 7);
  } else if (!strcmp(name, "big")) {
    const int64_t want[2] = {-(INT64_C(1) << 62) - 5, (INT64_C(1) << 40) + 3};
    assert_memory_equal(rill_tensor_int64(t), want, sizeof want);
  } else if (!strcmp(name, "flags")) {
    assert_true(rill_tensor_bool(t)[0] && !rill_tensor_bool(t)[1] && rill_tensor_bool(t)[2]);
  } else if (!strcmp(name, "bytes")) {
    const uint8_t want[5] = {0, 1, 127, 128, 255};
    assert_memory_equal(rill_tensor_uint8(t), want, sizeof want);
  } else if (!strcmp(name, "names")) {
    const rill_string *s = rill_tensor_string(t);
    assert_int_equal(s[0].len, 5);
    assert_memory_equal(s[0].data, "hello", 5);
    assert_int_equal(s[1].len, 0);
    assert_int_equal(s[2].len, 4);
    assert_memory_equal(s[2].data, "a\0b\xff", 4);
  } else if (!strcmp(name, "empty")) {
    assert_true(rill_shape_equal(rill_tensor_shape(t), RILL_SHAPE(0, 3)));
  } else {
    fail_msg("unexpected tensor %s", name);
  }
}

static void test_tf_types(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_checkpoint_reader *r = rill_checkpoint_reader_new(FIXTURES "/types-7", st);
  if (!r) fail_msg("%s", rill_status_message(st));
  assert_int_equal(rill_checkpoint_reader_size(r), 10);
  int half = rill_checkpoint_reader_find(r, "half");
  assert_true(half >= 0);
  assert_int_equal(rill_checkpoint_reader_dtype(r, half), 19);
  assert_null(rill_checkpoint_reader_get_tensor(r, "half", st));
  assert_int_equal(rill_status_code(st), RILL_UNIMPLEMENTED);
  for (int i = 0; i < rill_checkpoint_reader_size(r); i++) {
    const char *name = rill_checkpoint_reader_name(r, i);
    if (i == half) continue;
    rill_tensor *t = rill_checkpoint_reader_get_tensor(r, name, st);
    if (!t) fail_msg("%s: %s", name, rill_status_message(st));
    assert_int_equal(rill_tensor_dtype(t), rill_checkpoint_reader_dtype(r, i));
    assert_true(rill_shape_equal(rill_tensor_shape(t), rill_checkpoint_reader_shape(r, i)));
    check_tf_value(name, t);
    rill_tensor_unref(t);
  }
  rill_checkpoint_reader_delete(r);
  /* and through a Saver into variables, with no initializer */
  rill_graph *g = rill_graph_new();
  rill_variable_scope_push(g, "scope", RILL_REUSE_INHERIT);
  rill_variable *w = rill_get_variable(g, "w", RILL_FLOAT, RILL_SHAPE(2, 3), rill_zeros_initializer(), 0);
  rill_variable_scope_pop(g);
  rill_variable *gs = rill_get_or_create_global_step(g);
  rill_tensor *blank = rill_tensor_strings(RILL_SHAPE(3), (const char *[]){"", "", ""}, NULL, st);
  rill_variable *names = rill_variable_new(g, rill_constant(g, blank, NULL), "names", 0);
  rill_tensor_unref(blank);
  rill_variable *vars[3] = {w, gs, names};
  rill_saver *saver = rill_saver_new(g, vars, 3, NULL);
  rill_session *s = session(g);
  if (!rill_saver_restore(saver, s, FIXTURES "/types-7", st)) fail_msg("%s", rill_status_message(st));
  for (int i = 0; i < 3; i++) {
    rill_tensor *t = eval(s, rill_variable_ref(vars[i]));
    check_tf_value(rill_variable_name(vars[i]), t);
    rill_tensor_unref(t);
  }
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
}

/* ---- TensorFlow reads Rill's checkpoints ---- */

typedef struct str {
  char *s;
  size_t len, cap;
} str;

static void str_add(str *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    assert_non_null(b->s);
  }
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

static const char *py_path(void) {
  const char *env = getenv("RILL_TF_PYTHON");
  if (env && *env) return env;
  static const char venv[] = RILL_SOURCE_DIR "/build/venv/bin/python";
  return access(venv, X_OK) == 0 ? venv : NULL;
}

/* The dump line tf_check_ckpt.py prints for a tensor. */
static void dump_line(str *b, const char *name, const rill_tensor *t) {
  static const char *const tf_names[] = {[RILL_FLOAT] = "float32", [RILL_DOUBLE] = "float64", [RILL_INT32] = "int32",
                                         [RILL_UINT8] = "uint8",   [RILL_STRING] = "string",   [RILL_INT64] = "int64",
                                         [RILL_BOOL] = "bool"};
  str_add(b, "%s %s [", name, tf_names[rill_tensor_dtype(t)]);
  for (int d = 0; d < rill_tensor_rank(t); d++) str_add(b, "%s%lld", d ? "," : "", (long long)rill_tensor_dim(t, d));
  str_add(b, "] ");
  for (int64_t i = 0; i < rill_tensor_num_elements(t); i++) {
    if (i) str_add(b, ",");
    switch (rill_tensor_dtype(t)) {
      case RILL_FLOAT: str_add(b, "%.17g", (double)rill_tensor_float(t)[i]); break;
      case RILL_DOUBLE: str_add(b, "%.17g", rill_tensor_double(t)[i]); break;
      case RILL_STRING: {
        const rill_string *s = &rill_tensor_string(t)[i];
        for (size_t k = 0; k < s->len; k++) str_add(b, "%02x", (unsigned char)s->data[k]);
        break;
      }
      default: str_add(b, "%lld", (long long)rill_tensor_get(t, i));
    }
  }
  str_add(b, "\n");
}

static void test_tf_reads_rill(void **state) {
  (void)state;
  const char *py = py_path();
  if (!py) {
    printf("SKIP: no TensorFlow venv (build/venv or RILL_TF_PYTHON)\n");
    skip();
  }
  char *dir = ckpt_tmpdir("tfread");
  char *prefix = ckpt_fmt("%s/model.ckpt", dir);
  rill_status *st = rill_status_new();
  rill_graph *g = rill_graph_new();
  /* one variable per dtype, each a non-trivial value */
  float k[6] = {0.1f, -2.5f, 3e38f, 1e-30f, -0.0f, 7};
  double d[2] = {1.0 / 3, -1e300};
  int32_t i32[3] = {INT32_MIN, 12345, INT32_MAX};
  uint8_t u8[3] = {0, 200, 255};
  bool flags[2] = {true, false};
  const char *strs[3] = {"hello", "", "bytes\x01\xfe"};
  rill_variable_scope_push(g, "layer", RILL_REUSE_INHERIT);
  rill_variable *vars[9];
  vars[0] = rill_variable_new(g, rill_const_float(g, k, 6, RILL_SHAPE(2, 3), NULL), "kernel", 0);
  rill_variable_scope_pop(g);
  vars[1] = rill_variable_new(g, rill_const_double(g, d, 2, RILL_SHAPE(2), NULL), "d", 0);
  vars[2] = rill_variable_new(g, rill_const_int32(g, i32, 3, RILL_SHAPE(3), NULL), "i32", 0);
  vars[3] = rill_get_or_create_global_step(g);
  rill_tensor *u8t = rill_tensor_from_data(RILL_UINT8, RILL_SHAPE(3), u8, 3, st);
  vars[4] = rill_variable_new(g, rill_constant(g, u8t, NULL), "u8", 0);
  vars[5] = rill_variable_new(g, rill_const_bool(g, flags, 2, RILL_SHAPE(2), NULL), "flags", 0);
  rill_tensor *st3 = rill_tensor_strings(RILL_SHAPE(3), strs, (const size_t[]){5, 0, 7}, st);
  vars[6] = rill_variable_new(g, rill_constant(g, st3, NULL), "s", 0);
  vars[7] = rill_variable_new(g, rill_const_float(g, (float[]){1}, 1, RILL_SHAPE(1), NULL), "v1", 0);
  vars[8] = rill_variable_new(g, rill_const_float(g, (float[]){2}, 1, RILL_SHAPE(1), NULL), "v2", 0);
  rill_tensor_unref(u8t);
  rill_tensor_unref(st3);
  rill_output bump = rill_assign_add(g, vars[3], rill_scalar_int64(g, 1234567890123LL, NULL), NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_saver *saver = rill_saver_new(g, NULL, 0, NULL);
  rill_session *s = session(g);
  rill_session_run_op(s, rill_global_variables_initializer(g), st);
  rill_session_run_op(s, bump.op, st);
  const char *path = rill_saver_save(saver, s, prefix, 1000, false, st);
  if (!path) fail_msg("%s", rill_status_message(st));

  /* expected dump: tensors sorted by name */
  str want = {0};
  int order[9];
  for (int i = 0; i < 9; i++) order[i] = i;
  for (int i = 0; i < 9; i++)
    for (int j = i + 1; j < 9; j++)
      if (strcmp(rill_variable_name(vars[order[j]]), rill_variable_name(vars[order[i]])) < 0) {
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
  str body = {0};
  for (int i = 0; i < 9; i++) {
    rill_tensor *t = eval(s, rill_variable_ref(vars[order[i]]));
    dump_line(&body, rill_variable_name(vars[order[i]]), t);
    rill_tensor_unref(t);
  }
  str_add(&want, "checkpoint read\n%scheckpoint restore\n%s", body.s, body.s);

  char *cmd = ckpt_fmt("'%s' '%s/tests/checkpoint/tf_check_ckpt.py' 'read:%s' 'restore:%s' 2>/dev/null", py,
                       RILL_SOURCE_DIR, path, path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  str got = {0};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf - 1, p)) > 0) {
    buf[n] = 0;
    str_add(&got, "%s", buf);
  }
  int rc = pclose(p);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
    printf("%s", got.s ? got.s : "SKIP\n");
    skip();
  }
  if (rc != 0) fail_msg("tf_check_ckpt.py failed (%d):\n%s", rc, got.s ? got.s : "");
  if (!got.s || strcmp(got.s, want.s)) fail_msg("TensorFlow read:\n%s\nRill wrote:\n%s", got.s ? got.s : "", want.s);
  free(cmd);
  free(got.s);
  free(want.s);
  free(body.s);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
  ckpt_rmtree(dir);
  free(dir);
  free(prefix);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tf_notes_model),
      cmocka_unit_test(test_tf_moving_average),
      cmocka_unit_test(test_tf_types),
      cmocka_unit_test(test_tf_reads_rill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
