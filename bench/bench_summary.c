/* bench_summary: what logging a scalar summary costs a training loop.
 *
 *  - summary_add_us: one rill_file_writer_add_summary of a serialized scalar Summary, averaged
 *    over a long run (the background thread encodes, frames and writes meanwhile);
 *    in a tight loop, where the caller outpaces the writer thread (the worst case);
 *  - summary_scalar_step_us: the extra time per training step of fetching a ScalarSummary op
 *    next to the loss and adding its value to a FileWriter, against fetching the loss alone.
 *    The step is a [64,256]x[256,256] matmul and a mean (tens of µs, like a small model's
 *    step), so the writer thread keeps up as it does in training;
 *  - summary_events_per_s: events per second the writer sustains end to end (add, then close
 *    waits until all are on disk).
 * The target is under 2 µs for a logged scalar. summary_add_us and summary_events_per_s are the
 * best of --repeat runs, summary_scalar_step_us the median of their per-run differences.
 *
 * Usage: bench_summary [--n N] [--repeat R] [--log-dir DIR]   (N = 200000, R = 3, a temp dir)
 * Prints "summary_add_us <v>", "summary_scalar_step_us <v>", "summary_events_per_s <v>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rill/rill.h"

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, long n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

static void die(const char *what, const rill_status *st) {
  fprintf(stderr, "bench_summary: %s: %s\n", what, rill_status_message(st));
  exit(1);
}

/* Summary { value { tag: "loss" simple_value: 0.25 } } */
static const uint8_t scalar_summary[] = {0x0a, 0x0b, 0x0a, 0x04, 'l', 'o', 's', 's', 0x15, 0x00, 0x00, 0x80, 0x3e};

int main(int argc, char **argv) {
  long n = 200000, repeat = 3;
  char dir[512] = "";
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--n")) n = atol(argv[++i]);
    else if (i + 1 < argc && !strcmp(argv[i], "--repeat")) repeat = atol(argv[++i]);
    else if (i + 1 < argc && !strcmp(argv[i], "--log-dir")) snprintf(dir, sizeof dir, "%s", argv[++i]);
    else {
      fprintf(stderr, "usage: bench_summary [--n N] [--repeat R] [--log-dir DIR]\n");
      return 2;
    }
  }
  bool temp = !dir[0];
  if (temp) {
    snprintf(dir, sizeof dir, "/tmp/rill_bench_summary_XXXXXX");
    if (!mkdtemp(dir)) {
      perror("mkdtemp");
      return 1;
    }
  }
  if (n < 1000) n = 1000;
  if (repeat < 1) repeat = 1;
  rill_status *st = rill_status_new();

  /* The writer's own cost per call, and its end-to-end throughput. */
  double best_add = 1e9, best_rate = 0;
  for (long r = 0; r < repeat; r++) {
    rill_file_writer *w = rill_file_writer_new(dir, NULL, 0, 0, st);
    if (!w) die("FileWriter", st);
    double t0 = seconds();
    for (long i = 0; i < n; i++)
      if (!rill_file_writer_add_summary(w, scalar_summary, sizeof scalar_summary, i, st)) die("add_summary", st);
    double t1 = seconds();
    if (!rill_file_writer_close(w, st)) die("close", st);
    double t2 = seconds();
    double add = (t1 - t0) / (double)n * 1e6, rate = (double)n / (t2 - t0);
    best_add = add < best_add ? add : best_add;
    best_rate = rate > best_rate ? rate : best_rate;
  }

  /* A tiny "training step" with and without a scalar summary fetched and logged. */
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(64, 256), "x");
  float *wv = malloc(sizeof *wv * 256 * 256);
  for (int i = 0; i < 256 * 256; i++) wv[i] = (float)(i % 13) * 0.01f - 0.06f;
  rill_output wt = rill_const_float(g, wv, 256 * 256, RILL_SHAPE(256, 256), "w");
  free(wv);
  rill_output loss = rill_reduce_mean(g, rill_matmul(g, x, wt, false, false, NULL), NULL, 0, false, "loss");
  rill_output summ = rill_summary_scalar(g, "loss", loss, NULL, NULL);
  if (rill_graph_code(g) != RILL_OK) die("graph", rill_graph_status(g));
  rill_session_options so = rill_session_options_default();
  so.intra_op_threads = 1; /* one core for the loop, one for the writer thread */
  rill_session *s = rill_session_new(g, &so, st);
  if (!s) die("session", st);
  rill_tensor *xv = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(64, 256), st);
  if (!xv) die("tensor", st);
  for (int i = 0; i < 64 * 256; i++) rill_tensor_float(xv)[i] = (float)(i % 7) * 0.1f;
  long steps = n / 10;
  /* Plain and logged steps alternate, each timed alone, so drifts in the machine's speed hit
   * both equally; the medians are compared. */
  double *diffs = malloc(sizeof *diffs * (size_t)repeat);
  double *tp = malloc(sizeof *tp * (size_t)steps), *tl = malloc(sizeof *tl * (size_t)steps);
  for (long r = 0; r < repeat; r++) {
    rill_file_writer *w = rill_file_writer_new(dir, NULL, 0, 0, st);
    if (!w) die("FileWriter", st);
    for (long i = 0; i < 2 * steps; i++) {
      bool logged = i & 1;
      rill_output fetch[2] = {loss, summ};
      rill_tensor *out[2] = {NULL, NULL};
      double t0 = seconds();
      rill_session_run(s, &x, &xv, 1, fetch, out, logged ? 2 : 1, NULL, 0, st);
      if (rill_status_code(st) != RILL_OK) die("run", st);
      if (logged && !rill_file_writer_add_summary_tensor(w, out[1], i, st)) die("add_summary", st);
      rill_tensor_unref(out[0]);
      rill_tensor_unref(out[1]);
      double us = (seconds() - t0) * 1e6;
      if (logged) tl[i / 2] = us;
      else tp[i / 2] = us;
    }
    if (!rill_file_writer_close(w, st)) die("close", st);
    double plain = median(tp, steps), logged = median(tl, steps);
    fprintf(stderr, "median step: %.3f us plain, %.3f us logged\n", plain, logged);
    diffs[r] = logged - plain;
  }
  free(tp);
  free(tl);
  printf("summary_add_us %.3f\n", best_add);
  printf("summary_scalar_step_us %.3f\n", median(diffs, repeat));
  free(diffs);
  printf("summary_events_per_s %.0f\n", best_rate);
  rill_tensor_unref(xv);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
  if (temp) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
  }
  return 0;
}
