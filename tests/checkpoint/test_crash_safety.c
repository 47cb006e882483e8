/* Crash safety of saving (issue 4): a child process saves checkpoints in a loop and is killed
 * with SIGKILL at a random moment, 200 times (RILL_CRASH_KILLS overrides). After every kill:
 *  - the `checkpoint` state file parses (it is never torn);
 *  - the latest listed checkpoint exists and restores exactly the values saved at its step,
 *    and so does every other listed checkpoint;
 *  - the latest step never goes backwards;
 * and every 25 kills (and at the end) every `.index` in the directory, listed or not, restores
 * exactly: an index is only ever renamed into place after its data.
 * Then damaged checkpoints: a truncated data file or a corrupted index makes restore fail with
 * DATA_LOSS naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "ckpt_test_util.h"
#include "rill/rill.h"

#define W_N 16384 /* a 64 KiB tensor: saves take long enough to be killed inside the writes */
#define STEPS_PER_CHILD 100000

typedef struct model {
  rill_graph *g;
  rill_variable *w, *b, *step;
  rill_output w_in, b_in, step_in;
  rill_op *assign;
  rill_saver *saver;
  rill_session *s;
} model;

static void model_build(model *m) {
  memset(m, 0, sizeof *m);
  m->g = rill_graph_new();
  rill_graph *g = m->g;
  m->w = rill_get_variable(g, "w", RILL_FLOAT, RILL_SHAPE(W_N), rill_zeros_initializer(), 0);
  m->b = rill_get_variable(g, "layer/b", RILL_DOUBLE, RILL_SHAPE(3), rill_zeros_initializer(), 0);
  m->step = rill_get_variable(g, "global_step", RILL_INT64, rill_shape_scalar(), rill_zeros_initializer(), 0);
  m->w_in = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(W_N), "w_in");
  m->b_in = rill_placeholder(g, RILL_DOUBLE, RILL_SHAPE(3), "b_in");
  m->step_in = rill_placeholder(g, RILL_INT64, rill_shape_scalar(), "step_in");
  rill_op *a[3] = {rill_assign(g, m->w, m->w_in, NULL).op, rill_assign(g, m->b, m->b_in, NULL).op,
                   rill_assign(g, m->step, m->step_in, NULL).op};
  m->assign = rill_group(g, a, 3, "assign_all");
  rill_saver_options o = rill_saver_options_default();
  o.max_to_keep = 3;
  m->saver = rill_saver_new(g, NULL, 0, &o);
  m->s = rill_session_new(g, NULL, NULL);
}

static void model_free(model *m) {
  rill_session_delete(m->s);
  rill_graph_delete(m->g);
}

/* The values saved at step k. */
static float w_at(int64_t k, int i) { return (float)k * 0.5f + (float)i * 0.001f; }
static double b_at(int64_t k, int i) { return i == 0 ? (double)k : i == 1 ? -(double)k : (double)k / 3.0; }

static bool set_values(model *m, int64_t k) {
  rill_tensor *w = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(W_N), NULL);
  rill_tensor *b = rill_tensor_new(RILL_DOUBLE, RILL_SHAPE(3), NULL);
  rill_tensor *st = rill_tensor_scalar_int64(k);
  for (int i = 0; i < W_N; i++) rill_tensor_float(w)[i] = w_at(k, i);
  for (int i = 0; i < 3; i++) rill_tensor_double(b)[i] = b_at(k, i);
  rill_output feeds[3] = {m->w_in, m->b_in, m->step_in};
  rill_tensor *vals[3] = {w, b, st};
  rill_status *s = rill_status_new();
  rill_session_run(m->s, feeds, vals, 3, NULL, NULL, 0, &m->assign, 1, s);
  bool ok = rill_status_code(s) == RILL_OK;
  rill_status_delete(s);
  rill_tensor_unref(w);
  rill_tensor_unref(b);
  rill_tensor_unref(st);
  return ok;
}

/* The child: saves steps first, first+1, ... until killed. Signals readiness on fd. */
static void child(const char *dir, int64_t first, int fd) {
  model m;
  model_build(&m);
  char *prefix = ckpt_fmt("%s/model.ckpt", dir);
  if (!m.s || !m.saver || write(fd, "r", 1) != 1) _exit(3);
  rill_status *st = rill_status_new();
  for (int64_t k = first; k < first + STEPS_PER_CHILD; k++) {
    if (!set_values(&m, k)) _exit(4);
    if (!rill_saver_save(m.saver, m.s, prefix, k, false, st)) _exit(5);
  }
  _exit(0);
}

static int64_t step_of(const char *prefix) {
  const char *dash = strrchr(prefix, '-');
  assert_non_null(dash);
  return strtoll(dash + 1, NULL, 10);
}

/* Restores prefix into a fresh model and checks every value against its step. */
static void check_restores_exactly(const char *prefix) {
  model m;
  model_build(&m);
  rill_status *st = rill_status_new();
  if (!rill_saver_restore(m.saver, m.s, prefix, st)) fail_msg("restore %s: %s", prefix, rill_status_message(st));
  int64_t k = step_of(prefix);
  rill_tensor *w = rill_session_eval(m.s, rill_variable_ref(m.w), st);
  rill_tensor *b = rill_session_eval(m.s, rill_variable_ref(m.b), st);
  rill_tensor *s = rill_session_eval(m.s, rill_variable_ref(m.step), st);
  assert_non_null(w);
  assert_int_equal(rill_tensor_int64(s)[0], k);
  for (int i = 0; i < W_N; i++)
    if (rill_tensor_float(w)[i] != w_at(k, i)) fail_msg("%s: w[%d] = %g, want %g", prefix, i, rill_tensor_float(w)[i], w_at(k, i));
  for (int i = 0; i < 3; i++) assert_true(rill_tensor_double(b)[i] == b_at(k, i));
  rill_tensor_unref(w);
  rill_tensor_unref(b);
  rill_tensor_unref(s);
  rill_status_delete(st);
  model_free(&m);
}

/* Every "<prefix>.index" in dir (temporaries excluded): returns how many were checked. */
static int check_every_index(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 7 || strcmp(e->d_name + l - 6, ".index")) continue;
    char *prefix = ckpt_fmt("%s/%.*s", dir, (int)(l - 6), e->d_name);
    check_restores_exactly(prefix);
    free(prefix);
    n++;
  }
  closedir(d);
  return n;
}

static void test_killed_while_saving(void **state) {
  (void)state;
  const char *env = getenv("RILL_CRASH_KILLS");
  int kills = env ? atoi(env) : 200;
  char *dir = ckpt_tmpdir("crash");
  assert_non_null(dir);
  unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
  srand(seed);
  int64_t last_step = -1;
  int with_checkpoint = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int round = 0; round < kills; round++) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      child(dir, (int64_t)round * STEPS_PER_CHILD, p[1]);
    }
    close(p[1]);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    /* 0..12 ms: from before the first save completes to several saves in */
    usleep((useconds_t)(rand() % 12000));
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status)) fail_msg("round %d (seed %u): child exited with %d", round, seed, WEXITSTATUS(status));

    rill_status *st = rill_status_new();
    rill_checkpoint_state *cs = rill_get_checkpoint_state(dir, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    char *latest = rill_latest_checkpoint(dir);
    if (cs) {
      if (!latest) fail_msg("round %d (seed %u): %s is listed but missing", round, seed, cs->model_checkpoint_path);
      assert_string_equal(latest, cs->model_checkpoint_path);
      int64_t k = step_of(latest);
      assert_true(k >= last_step);
      last_step = k;
      with_checkpoint++;
      for (int i = 0; i < cs->n_all; i++) check_restores_exactly(cs->all_model_checkpoint_paths[i]);
    } else {
      assert_int_equal(last_step, -1); /* once a checkpoint is listed, one always is */
      assert_null(latest);
    }
    free(latest);
    rill_checkpoint_state_delete(cs);
    rill_status_delete(st);
    if (round % 25 == 24) check_every_index(dir);
  }
  int n = check_every_index(dir);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%d kills in %.2f s; %d rounds found a checkpoint; %d complete checkpoints on disk\n", kills,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9, with_checkpoint, n);
  assert_true(with_checkpoint > kills / 2);
  ckpt_rmtree(dir);
  free(dir);
}

static void test_damaged_checkpoint_is_data_loss(void **state) {
  (void)state;
  char *dir = ckpt_tmpdir("damaged");
  char *prefix = ckpt_fmt("%s/model.ckpt", dir);
  model m;
  model_build(&m);
  rill_status *st = rill_status_new();
  assert_true(set_values(&m, 12));
  const char *p = rill_saver_save(m.saver, m.s, prefix, 12, false, st);
  assert_non_null(p);
  char *index = ckpt_fmt("%s.index", p), *data = ckpt_fmt("%s.data-00000-of-00001", p);
  size_t ni, nd;
  uint8_t *ib = ckpt_slurp(index, &ni), *db = ckpt_slurp(data, &nd);
  /* truncated data */
  ckpt_spit(data, db, nd / 2);
  assert_false(rill_saver_restore(m.saver, m.s, p, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), data));
  /* a flipped data byte */
  db[nd / 3] ^= 4;
  ckpt_spit(data, db, nd);
  assert_false(rill_saver_restore(m.saver, m.s, p, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), data));
  db[nd / 3] ^= 4;
  ckpt_spit(data, db, nd);
  /* a truncated or corrupted index */
  ckpt_spit(index, ib, ni - 1);
  assert_false(rill_saver_restore(m.saver, m.s, p, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), index));
  ib[5] ^= 0x10;
  ckpt_spit(index, ib, ni);
  assert_false(rill_saver_restore(m.saver, m.s, p, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), index));
  ib[5] ^= 0x10;
  ckpt_spit(index, ib, ni);
  assert_true(rill_saver_restore(m.saver, m.s, p, st));
  free(ib);
  free(db);
  free(index);
  free(data);
  rill_status_delete(st);
  model_free(&m);
  free(prefix);
  ckpt_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_killed_while_saving),
      cmocka_unit_test(test_damaged_checkpoint_is_data_loss),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
