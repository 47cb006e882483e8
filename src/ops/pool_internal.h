/* Shared by the pooling and normalization op files (src/ops/pool_*.c; pool_ops.c registers
 * them all). Library-internal. */
#ifndef RILL_OPS_POOL_INTERNAL_H
#define RILL_OPS_POOL_INTERNAL_H

#include "core/internal.h"
#include "kernels/cpu/pool.h"

void rill__register_pool_window_ops(void);
void rill__register_pool_lrn_ops(void);
void rill__register_pool_batch_norm_ops(void);
void rill__register_pool_topk_ops(void);

/* Records TF's "Value for attr 'T' of double is not in the list of allowed values: ..." when
 * t is not in `allowed` (a bit per rill_dtype value) and returns false. */
bool rill__pool_check_type(rill_op *op, rill_dtype t, unsigned allowed, const char *attr, const char *list);
#define RILL__DT_BIT(t) (1u << (t))

/* Whether the op's data_format attribute is NCHW (absent means NHWC), and a build error for
 * formats other than NHWC and NCHW. */
bool rill__pool_is_nchw(const rill_op *op);
bool rill__pool_check_format(rill_op *op);
/* A shape fn's check that input i has rank r when known (TF's "Shape must be rank 4 but is
 * rank 3"); false after recording the error. */
bool rill__pool_check_rank(rill_op *op, int i, int rank);

/* The name scope of a Python function as an exact op name: pushes `name` (or dflt) and
 * returns the scope string ("a/b/", which names an op exactly "a/b"). Caller frees and pops. */
char *rill__pool_scope(rill_graph *g, const char *name, const char *dflt);

/* Below this many elements of work a kernel runs on the calling thread. */
#define RILL__POOL_PARALLEL_MIN 32768
/* Target elements per parallel chunk. */
#define RILL__POOL_GRAIN 16384

/* rill_k_parallel_for over [0, n) units of about `unit_work` elements each, in chunks fixed by
 * n and unit_work (never by the thread count), or one serial call when the whole is small. */
static inline void rill__pool_parallel(rill_kctx *k, int64_t n, int64_t unit_work,
                                       void (*fn)(void *arg, int64_t b, int64_t e), void *arg) {
  if (n <= 0) return;
  if (unit_work < 1) unit_work = 1;
  if (n * unit_work < RILL__POOL_PARALLEL_MIN) {
    fn(arg, 0, n);
    return;
  }
  int64_t grain = RILL__POOL_GRAIN / unit_work;
  rill_k_parallel_for(k, n, grain < 1 ? 1 : grain, fn, arg);
}

#endif
