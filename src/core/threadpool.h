/* A fixed pool of worker threads for intra-op parallelism. parallel_for splits [0, n) into
 * chunks of `grain` (so the split depends on n and grain only, never on the thread count:
 * kernels that reduce per chunk give bit-identical results whatever the threads). */
#ifndef RILL_THREADPOOL_H
#define RILL_THREADPOOL_H
#include <stdint.h>

typedef struct rill_threadpool rill_threadpool;

/* n_threads counts the caller: a pool of 1 runs everything inline. NULL when out of memory. */
rill_threadpool *rill_threadpool_new(int n_threads);
void rill_threadpool_delete(rill_threadpool *p);
int rill_threadpool_size(const rill_threadpool *p);
void rill_threadpool_parallel_for(rill_threadpool *p, int64_t n, int64_t grain,
                                  void (*fn)(void *arg, int64_t b, int64_t e), void *arg);
#endif
