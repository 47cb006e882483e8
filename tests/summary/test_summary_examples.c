/* The TensorBoard examples run briefly and leave log directories with the events the notes
 * describe: tensorboard_vector_add's graph with its name scopes, and mnist_summaries' train and
 * test runs with variable_summaries on every layer, the input images, cross entropy and
 * accuracy. When a Python with the tensorboard package is found (see
 * test_tensorboard_interop.c), TensorBoard's loaders read the MNIST directory too. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "summary_test_util.h"

static char *tmp_dir(void) {
  char tmpl[] = "/tmp/rill_ex_XXXXXX";
  return strdup(mkdtemp(tmpl));
}

static void remove_tree(const char *p) {
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.out'", p, p);
  assert_int_equal(system(cmd), 0);
}

/* Runs an example with args, its stdout to `out` (a file), and fails on a non-zero exit. */
static void run(const char *prog, const char *args, const char *out) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s/examples/%s' %s >'%s' 2>&1", RILL_BINARY_DIR, prog, args, out);
  int rc = system(cmd);
  if (rc != 0) {
    char text[4096] = "";
    FILE *f = fopen(out, "r");
    if (f) {
      text[fread(text, 1, sizeof text - 1, f)] = 0;
      fclose(f);
    }
    fail_msg("%s %s failed (%d):\n%s", prog, args, rc, text);
  }
}

/* The only event file in dir, its records parsed: values of every Summary by tag. */
typedef struct run_events {
  int n_events, n_graphs, n_summaries;
  char tags[512][160];
  int tag_count[512];
  int n_tags;
  int64_t max_step;
} run_events;

static void note_tag(run_events *r, const uint8_t *tag, size_t len) {
  for (int i = 0; i < r->n_tags; i++)
    if (strlen(r->tags[i]) == len && !memcmp(r->tags[i], tag, len)) {
      r->tag_count[i]++;
      return;
    }
  assert_true(r->n_tags < 512 && len < 160);
  memcpy(r->tags[r->n_tags], tag, len);
  r->tags[r->n_tags][len] = 0;
  r->tag_count[r->n_tags++] = 1;
}

static int tag_count(const run_events *r, const char *tag) {
  for (int i = 0; i < r->n_tags; i++)
    if (!strcmp(r->tags[i], tag)) return r->tag_count[i];
  return 0;
}

static run_events *read_run(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  char path[1024] = "";
  int files = 0;
  for (struct dirent *de; (de = readdir(d));)
    if (strstr(de->d_name, "tfevents")) {
      snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
      files++;
    }
  closedir(d);
  assert_int_equal(files, 1);
  run_events *r = calloc(1, sizeof *r);
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(path, RILL_COMPRESSION_NONE, st);
  assert_non_null(rd);
  const uint8_t *data;
  size_t len;
  while (rill_record_reader_next(rd, &data, &len, st)) {
    r->n_events++;
    rill__pb_reader pr;
    rill__pb_reader_init(&pr, data, len);
    rill__pb_field f;
    while (rill__pb_next(&pr, &f, NULL) > 0) {
      if (f.number == 2 && rill__pb_as_int64(&f) > r->max_step) r->max_step = rill__pb_as_int64(&f);
      if (f.number == 4) r->n_graphs++;
      if (f.number != 5) continue;
      r->n_summaries++;
      sum_value vals[128];
      int n = parse_summary(f.data, f.len, vals, 128);
      assert_true(n > 0);
      for (int i = 0; i < n; i++) note_tag(r, vals[i].tag, vals[i].tag_len);
    }
  }
  assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
  return r;
}

static void test_vector_add(void **state) {
  (void)state;
  char *dir = tmp_dir(), out[600], log[600];
  snprintf(out, sizeof out, "%s.out", dir);
  snprintf(log, sizeof log, "%s/log", dir);
  char args[700];
  snprintf(args, sizeof args, "--log-dir '%s'", log);
  run("tensorboard_vector_add", args, out);
  run_events *r = read_run(log);
  assert_int_equal(r->n_events, 2); /* file_version, the graph */
  assert_int_equal(r->n_graphs, 1);
  free(r);
  remove_tree(dir);
  free(dir);
}

static void test_mnist_summaries(void **state) {
  (void)state;
  struct stat sb;
  if (stat("/usr/share/datasets/fashion-mnist", &sb) != 0) skip();
  char *dir = tmp_dir(), out[600], log[600], args[700];
  snprintf(out, sizeof out, "%s.out", dir);
  snprintf(log, sizeof log, "%s/log", dir);
  snprintf(args, sizeof args, "--steps 60 --test-every 25 --log-dir '%s'", log);
  run("mnist_summaries", args, out);
  FILE *f = fopen(out, "r");
  char line[512];
  int acc_lines = 0;
  while (fgets(line, sizeof line, f)) {
    int step;
    double acc;
    if (sscanf(line, "Accuracy at step %d: %lf", &step, &acc) == 2) {
      assert_int_equal(step, 25 * acc_lines);
      assert_true(acc >= 0 && acc <= 1);
      acc_lines++;
    }
  }
  fclose(f);
  assert_int_equal(acc_lines, 3); /* steps 0, 25, 50 */

  char train[700], test[700];
  snprintf(train, sizeof train, "%s/train", log);
  snprintf(test, sizeof test, "%s/test", log);
  run_events *tr = read_run(train), *te = read_run(test);
  assert_int_equal(tr->n_graphs, 1);
  assert_int_equal(te->n_graphs, 0);
  assert_int_equal(tr->n_summaries, 57); /* 60 steps, 3 of them on the test set */
  assert_int_equal(te->n_summaries, 3);
  assert_int_equal(tr->max_step, 59);
  /* variable_summaries on each layer's weights and biases, grouped by prefix */
  static const char *const layers[2] = {"layer1", "layer2"};
  static const char *const vars[2] = {"weights", "biases"};
  static const char *const stats[4] = {"mean", "stddev", "max", "min"};
  char tag[160];
  for (int l = 0; l < 2; l++) {
    for (int v = 0; v < 2; v++) {
      snprintf(tag, sizeof tag, "%s/%s/summaries/%s/%s", layers[l], vars[v], layers[l], vars[v]);
      assert_int_equal(tag_count(tr, tag), 57); /* the histogram */
      for (int s = 0; s < 4; s++) {
        snprintf(tag, sizeof tag, "%s/%s/summaries/%s/%s/%s", layers[l], vars[v], stats[s], layers[l], vars[v]);
        if (tag_count(tr, tag) != 57 || tag_count(te, tag) != 3) fail_msg("tag %s", tag);
      }
    }
    snprintf(tag, sizeof tag, "%s/Wx_plus_b/%s/pre_activations", layers[l], layers[l]);
    assert_int_equal(tag_count(tr, tag), 57);
    snprintf(tag, sizeof tag, "%s/%s/activations", layers[l], layers[l]);
    assert_int_equal(tag_count(tr, tag), 57);
  }
  for (int i = 0; i < 10; i++) {
    snprintf(tag, sizeof tag, "input_reshape/input/image/%d", i);
    assert_int_equal(tag_count(tr, tag), 57);
  }
  assert_int_equal(tag_count(tr, "input_reshape/input/image/10"), 0);
  assert_int_equal(tag_count(tr, "cross_entropy/cross_entropy"), 57);
  assert_int_equal(tag_count(te, "accuracy_1"), 3); /* the scope "accuracy" was taken, as in TF */
  /* 2 layers x (2 variables x 5 + 2 activation histograms) + 10 images + 2 scalars */
  assert_int_equal(tr->n_tags, 2 * (2 * 5 + 2) + 10 + 2);
  free(tr);
  free(te);

  /* TensorBoard's own loaders, when available. */
  const char *py = getenv("RILL_TENSORBOARD_PYTHON");
  const char *cands[4] = {py, RILL_BINARY_DIR "/venv/bin/python", RILL_SOURCE_DIR "/build/venv/bin/python", "python3"};
  for (int i = 0; i < 4; i++) {
    if (!cands[i] || (strchr(cands[i], '/') && access(cands[i], X_OK) != 0)) continue;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import tensorboard' >/dev/null 2>&1", cands[i]);
    if (system(cmd) != 0) continue;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/summary/read_events.py' '%s' >'%s' 2>/dev/null", cands[i],
             RILL_SOURCE_DIR, log, out);
    assert_int_equal(system(cmd), 0);
    f = fopen(out, "r");
    int nodes = 0, images = 0, scalars_test = 0;
    bool graph = false, hist = false;
    while (fgets(line, sizeof line, f)) {
      if (!strncmp(line, "NODE\ttrain\t", 11)) nodes++;
      if (!strncmp(line, "PLUGIN\timages\ttrain\tinput_reshape/input/image/", 46)) images++;
      if (!strncmp(line, "PLUGIN\tgraphs\ttrain\t__run_graph__", 33)) graph = true;
      if (!strncmp(line, "PLUGIN\thistograms\ttrain\tlayer1/weights/summaries/layer1/weights", 63)) hist = true;
      if (!strncmp(line, "SCALAR\ttest\taccuracy_1\t", 23)) scalars_test++;
    }
    fclose(f);
    assert_true(nodes > 200);
    assert_int_equal(images, 10);
    assert_true(graph && hist);
    assert_int_equal(scalars_test, 3);
    break;
  }
  remove_tree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vector_add),
      cmocka_unit_test(test_mnist_summaries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
