/* bench_mlp: training steps per second of the 784-500-10 MLP, and the GEMM-only ceiling.
 *
 * The Rill model is what a TF 1.x user writes: placeholders fed every step, get_variable,
 * matmul + bias_add, relu, sparse softmax cross entropy, reduce_mean, GradientDescent(0.1)
 * minimize, loss fetched with the train op. Each step feeds the next batch of a pool of
 * pre-generated random batches (fixed seed), so feeding is part of the step.
 *
 * The matmul-only mode times the five sgemms any framework must do per step (forward x.W1
 * and h.W2; backward dW2 = h^T.dlogits, dH = dlogits.W2^T, dW1 = x^T.dH) straight through
 * OpenBLAS with the same thread count: the ceiling a framework with zero overhead would reach.
 *
 * Usage: bench_mlp [--mode rill|matmul|both] [--seconds S] [--warmup N] [--steps N] [--threads T]
 *   --steps N runs exactly N timed steps instead of a fixed wall time (for profilers).
 * Prints "rill_mlp_steps_per_s <v>" and/or "matmul_only_steps_per_s <v>" on stdout. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rill/rill.h"

extern void openblas_set_num_threads(int n);

enum { BATCH = 100, N_IN = 784, N_HIDDEN = 500, N_OUT = 10, POOL = 16 };

typedef struct opts {
  const char *mode;
  double seconds;
  int warmup;
  long steps;
  int threads;
} opts;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: a fixed, portable stream so every run trains on the same data. */
static uint64_t rng_state = 0x5eed1234abcdULL;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static float rng_uniform(void) { return (float)(rng_next() >> 40) * (1.0f / 16777216.0f); }

static void fill_uniform(float *p, size_t n, float scale) {
  for (size_t i = 0; i < n; i++) p[i] = (rng_uniform() - 0.5f) * 2.0f * scale;
}

/* Runs step(i) for the warm-up, then for opts' wall time or step count; returns steps/s. */
static double time_steps(const opts *o, bool (*step)(void *, long), void *arg) {
  for (int i = 0; i < o->warmup; i++)
    if (!step(arg, i)) return -1;
  long n = 0;
  double t0 = now_s(), el;
  for (;;) {
    if (!step(arg, n)) return -1;
    n++;
    el = now_s() - t0;
    if (o->steps > 0 ? n >= o->steps : el >= o->seconds) break;
  }
  return (double)n / el;
}

/* ---- matmul-only ceiling ---- */

typedef struct gemm_bench {
  float *x, *w1, *h, *w2, *logits, *dlogits, *dw2, *dh, *dw1;
} gemm_bench;

static bool gemm_step(void *arg, long i) {
  gemm_bench *b = arg;
  const float *x = b->x + (size_t)(i % POOL) * BATCH * N_IN;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BATCH, N_HIDDEN, N_IN, 1.0f, x, N_IN, b->w1, N_HIDDEN,
              0.0f, b->h, N_HIDDEN);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BATCH, N_OUT, N_HIDDEN, 1.0f, b->h, N_HIDDEN, b->w2, N_OUT,
              0.0f, b->logits, N_OUT);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N_HIDDEN, N_OUT, BATCH, 1.0f, b->h, N_HIDDEN, b->dlogits,
              N_OUT, 0.0f, b->dw2, N_OUT);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BATCH, N_HIDDEN, N_OUT, 1.0f, b->dlogits, N_OUT, b->w2, N_OUT,
              0.0f, b->dh, N_HIDDEN);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N_IN, N_HIDDEN, BATCH, 1.0f, x, N_IN, b->dh, N_HIDDEN, 0.0f,
              b->dw1, N_HIDDEN);
  return true;
}

static double bench_matmul(const opts *o) {
  size_t sizes[] = {(size_t)POOL * BATCH * N_IN, (size_t)N_IN * N_HIDDEN, (size_t)BATCH * N_HIDDEN,
                    (size_t)N_HIDDEN * N_OUT, (size_t)BATCH * N_OUT, (size_t)BATCH * N_OUT,
                    (size_t)N_HIDDEN * N_OUT, (size_t)BATCH * N_HIDDEN, (size_t)N_IN * N_HIDDEN};
  gemm_bench b = {0};
  float **fields[] = {&b.x, &b.w1, &b.h, &b.w2, &b.logits, &b.dlogits, &b.dw2, &b.dh, &b.dw1};
  double r = -1;
  for (int i = 0; i < 9; i++) {
    if (posix_memalign((void **)fields[i], 64, sizes[i] * sizeof(float))) {
      *fields[i] = NULL;
      fprintf(stderr, "bench_mlp: out of memory\n");
      goto out;
    }
    fill_uniform(*fields[i], sizes[i], 0.1f);
  }
  openblas_set_num_threads(o->threads);
  r = time_steps(o, gemm_step, &b);
  double flops = 2.0 * ((double)BATCH * N_IN * N_HIDDEN * 2 + (double)BATCH * N_HIDDEN * N_OUT * 3);
  if (r > 0)
    fprintf(stderr, "matmul-only: %.1f GFLOP/s over the 5 sgemms (%.1f MFLOP per step)\n", r * flops * 1e-9,
            flops * 1e-6);
out:
  for (int i = 0; i < 9; i++) free(*fields[i]);
  return r;
}

/* ---- Rill ---- */

typedef struct rill_bench {
  rill_session *s;
  rill_output feeds[2], loss;
  rill_tensor *xs[POOL], *ys[POOL];
  rill_op *train;
  rill_status *st;
  float first_loss, last_loss;
} rill_bench;

static bool rill_step(void *arg, long i) {
  rill_bench *b = arg;
  rill_tensor *vals[2] = {b->xs[i % POOL], b->ys[i % POOL]}, *loss = NULL;
  rill_session_run(b->s, b->feeds, vals, 2, &b->loss, &loss, 1, &b->train, 1, b->st);
  if (rill_status_code(b->st) != RILL_OK) {
    fprintf(stderr, "bench_mlp: step %ld failed: %s\n", i, rill_status_message(b->st));
    return false;
  }
  b->last_loss = rill_tensor_float(loss)[0];
  if (i == 0) b->first_loss = b->last_loss;
  rill_tensor_unref(loss);
  if (!isfinite(b->last_loss)) {
    fprintf(stderr, "bench_mlp: loss is %f at step %ld\n", b->last_loss, i);
    return false;
  }
  return true;
}

static rill_output dense(rill_graph *g, rill_output in, int n_in, int n_out, const char *w, const char *bname) {
  rill_variable *wv = rill_get_variable(g, w, RILL_FLOAT, RILL_SHAPE(n_in, n_out),
                                        rill_truncated_normal_initializer(0.0, 0.1, RILL_NO_SEED), 0);
  rill_variable *bv = rill_get_variable(g, bname, RILL_FLOAT, RILL_SHAPE(n_out), rill_zeros_initializer(), 0);
  if (!wv || !bv) return RILL_NO_OUTPUT;
  return rill_bias_add(g, rill_matmul(g, in, rill_variable_value(wv), false, false, NULL), rill_variable_value(bv),
                       NULL);
}

static double bench_rill(const opts *o) {
  rill_bench b;
  memset(&b, 0, sizeof b);
  double r = -1;
  rill_graph *g = rill_graph_new();
  b.st = rill_status_new();
  rill_graph_set_random_seed(g, 1);
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, N_IN), "x-input");
  rill_output y = rill_placeholder(g, RILL_INT64, RILL_SHAPE(-1), "y-input");
  rill_output h = rill_relu(g, dense(g, x, N_IN, N_HIDDEN, "w1", "b1"), NULL);
  rill_output logits = dense(g, h, N_HIDDEN, N_OUT, "w2", "b2");
  b.loss = rill_reduce_mean(g, rill_sparse_softmax_cross_entropy_with_logits(g, y, logits, NULL), NULL, 0, false,
                            NULL);
  rill_optimizer *opt = rill_gradient_descent_optimizer(g, rill_scalar_float(g, 0.1f, "learning_rate"));
  b.train = opt ? rill_optimizer_minimize(opt, b.loss, NULL, NULL, 0, NULL) : NULL;
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK || !b.train) {
    fprintf(stderr, "bench_mlp: building the model failed: %s\n", rill_status_message(rill_graph_status(g)));
    goto out;
  }
  b.feeds[0] = x;
  b.feeds[1] = y;

  float *xbuf = malloc(sizeof(float) * BATCH * N_IN);
  int64_t ybuf[BATCH];
  for (int p = 0; p < POOL && xbuf; p++) {
    for (int i = 0; i < BATCH * N_IN; i++) xbuf[i] = rng_uniform();
    for (int i = 0; i < BATCH; i++) ybuf[i] = (int64_t)(rng_next() % N_OUT);
    b.xs[p] = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(BATCH, N_IN), xbuf, sizeof(float) * BATCH * N_IN, b.st);
    b.ys[p] = rill_tensor_from_data(RILL_INT64, RILL_SHAPE(BATCH), ybuf, sizeof ybuf, b.st);
  }
  free(xbuf);
  if (!b.xs[POOL - 1] || !b.ys[POOL - 1]) {
    fprintf(stderr, "bench_mlp: out of memory\n");
    goto out;
  }

  rill_session_options so = rill_session_options_default();
  so.intra_op_threads = o->threads;
  so.inter_op_threads = 1;
  b.s = rill_session_new(g, &so, b.st);
  if (b.s) rill_session_run_op(b.s, init, b.st);
  if (rill_status_code(b.st) != RILL_OK) {
    fprintf(stderr, "bench_mlp: session setup failed: %s\n", rill_status_message(b.st));
    goto out;
  }
  r = time_steps(o, rill_step, &b);
  if (r > 0) fprintf(stderr, "rill loss %.4f -> %.4f\n", b.first_loss, b.last_loss);
out:
  rill_session_delete(b.s);
  for (int p = 0; p < POOL; p++) {
    rill_tensor_unref(b.xs[p]);
    rill_tensor_unref(b.ys[p]);
  }
  rill_status_delete(b.st);
  rill_graph_delete(g);
  return r;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_mlp [--mode rill|matmul|both] [--seconds S] [--warmup N] [--steps N] [--threads T]\n");
}

int main(int argc, char **argv) {
  opts o = {.mode = "both", .seconds = 3.0, .warmup = 50, .steps = 0, .threads = 2};
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) {
      usage();
      return 2;
    }
    if (!strcmp(a, "--mode")) o.mode = v;
    else if (!strcmp(a, "--seconds")) o.seconds = atof(v);
    else if (!strcmp(a, "--warmup")) o.warmup = atoi(v);
    else if (!strcmp(a, "--steps")) o.steps = atol(v);
    else if (!strcmp(a, "--threads")) o.threads = atoi(v);
    else {
      usage();
      return 2;
    }
  }
  bool mm = !strcmp(o.mode, "matmul") || !strcmp(o.mode, "both");
  bool rl = !strcmp(o.mode, "rill") || !strcmp(o.mode, "both");
  if ((!mm && !rl) || o.threads < 1) {
    usage();
    return 2;
  }
  int rc = 0;
  if (mm) {
    double r = bench_matmul(&o);
    if (r > 0) printf("matmul_only_steps_per_s %.1f\n", r);
    else rc = 1;
    fflush(stdout);
  }
  if (rl) {
    double r = bench_rill(&o);
    if (r > 0) printf("rill_mlp_steps_per_s %.1f\n", r);
    else rc = 1;
  }
  return rc;
}
