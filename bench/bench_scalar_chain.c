/* bench_scalar_chain: per-op executor overhead.
 *
 * y = x + 1 + 1 ... (1000 scalar AddV2 ops, each `+ 1` with its own Const as TF's Python
 * builds it), x a fed scalar placeholder, y fetched. The kernels do almost nothing, so the
 * time per session run is the cost of dispatching 2000 ops (1000 Const + 1000 AddV2).
 * Reports the median over many runs.
 *
 * Usage: bench_scalar_chain [--runs N] [--length L] [--threads T]
 * Prints "rill_chain1000_ms_per_run <v>" (the number is the chain length). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rill/rill.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int runs = 3000, length = 1000, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--length")) length = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else argc = -1;
  }
  if (argc < 0 || argc % 2 == 0 || runs < 1 || length < 1 || threads < 1) {
    fprintf(stderr, "usage: bench_scalar_chain [--runs N] [--length L] [--threads T]\n");
    return 2;
  }

  int rc = 1;
  double *times = malloc(sizeof(double) * (size_t)runs);
  rill_status *st = rill_status_new();
  rill_graph *g = rill_graph_new();
  rill_session *s = NULL;
  rill_tensor *x0 = rill_tensor_scalar_float(0.0f);
  rill_output x = rill_placeholder(g, RILL_FLOAT, rill_shape_scalar(), "x");
  rill_output y = x;
  for (int i = 0; i < length; i++) y = rill_add(g, y, rill_scalar_float(g, 1.0f, NULL), NULL);
  if (!times || !x0 || rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "bench_scalar_chain: building failed: %s\n", rill_status_message(rill_graph_status(g)));
    goto out;
  }
  rill_session_options so = rill_session_options_default();
  so.intra_op_threads = threads;
  s = rill_session_new(g, &so, st);
  if (!s) goto fail;

  for (int r = -50; r < runs; r++) { /* the first 50 warm up (and compile the plan) */
    rill_tensor *v = NULL;
    double t0 = now_s();
    rill_session_run(s, &x, &x0, 1, &y, &v, 1, NULL, 0, st);
    double el = now_s() - t0;
    if (rill_status_code(st) != RILL_OK) goto fail;
    float got = rill_tensor_float(v)[0];
    rill_tensor_unref(v);
    if (got != (float)length) {
      fprintf(stderr, "bench_scalar_chain: wrong result %g, expected %d\n", got, length);
      goto out;
    }
    if (r >= 0) times[r] = el;
  }
  qsort(times, (size_t)runs, sizeof *times, cmp_double);
  printf("rill_chain%d_ms_per_run %.4f\n", length, times[runs / 2] * 1e3);
  fprintf(stderr, "rill chain%d: min %.4f ms, p90 %.4f ms over %d runs\n", length, times[0] * 1e3,
          times[runs * 9 / 10] * 1e3, runs);
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "bench_scalar_chain: %s\n", rill_status_message(st));
out:
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_tensor_unref(x0);
  rill_status_delete(st);
  free(times);
  return rc;
}
