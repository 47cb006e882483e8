/* Intra-op thread pool: workers sleep on a condition variable and pull chunks of the current
 * job with an atomic counter; the calling thread works too and waits for the stragglers. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include "core/threadpool.h"

struct rill_threadpool {
  int n;                       /* threads including the caller */
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  pthread_mutex_t job_lock;    /* one parallel_for at a time; others run inline */
  uint64_t generation;
  bool stop;
  /* current job */
  void (*fn)(void *, int64_t, int64_t);
  void *arg;
  int64_t n_items, grain, n_chunks;
  atomic_llong next_chunk;
  int active;                  /* workers still inside the job */
};

static void run_chunks(rill_threadpool *p) {
  for (;;) {
    int64_t c = atomic_fetch_add(&p->next_chunk, 1);
    if (c >= p->n_chunks) return;
    int64_t b = c * p->grain, e = b + p->grain;
    if (e > p->n_items) e = p->n_items;
    p->fn(p->arg, b, e);
  }
}

static void *worker(void *arg) {
  rill_threadpool *p = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    run_chunks(p);
    pthread_mutex_lock(&p->mu);
    if (--p->active == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

rill_threadpool *rill_threadpool_new(int n_threads) {
  rill_threadpool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->n = n_threads < 1 ? 1 : n_threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_mutex_init(&p->job_lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  if (p->n > 1) {
    p->workers = calloc((size_t)p->n - 1, sizeof(pthread_t));
    if (!p->workers) {
      p->n = 1;
    } else {
      for (int i = 0; i < p->n - 1; i++)
        if (pthread_create(&p->workers[i], NULL, worker, p)) {
          p->n = i + 1; /* run with the threads we got */
          break;
        }
    }
  }
  return p;
}

void rill_threadpool_delete(rill_threadpool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->n - 1; i++) pthread_join(p->workers[i], NULL);
  free(p->workers);
  pthread_mutex_destroy(&p->mu);
  pthread_mutex_destroy(&p->job_lock);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  free(p);
}

int rill_threadpool_size(const rill_threadpool *p) { return p ? p->n : 1; }

void rill_threadpool_parallel_for(rill_threadpool *p, int64_t n, int64_t grain,
                                  void (*fn)(void *, int64_t, int64_t), void *arg) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (n + grain - 1) / grain;
  if (!p || p->n == 1 || chunks == 1 || pthread_mutex_trylock(&p->job_lock)) {
    for (int64_t b = 0; b < n; b += grain) fn(arg, b, b + grain < n ? b + grain : n);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->n_items = n;
  p->grain = grain;
  p->n_chunks = chunks;
  atomic_store(&p->next_chunk, 0);
  p->active = p->n - 1;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  run_chunks(p);
  pthread_mutex_lock(&p->mu);
  while (p->active) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
  pthread_mutex_unlock(&p->job_lock);
}
