/* Library-internal pieces shared by the nn op files (nn_ops.c registers them all). */
#ifndef RILL_OPS_NN_OPS_H
#define RILL_OPS_NN_OPS_H
#include "core/internal.h"

void rill__register_nn_activation_ops(void);
void rill__register_nn_softmax_ops(void);
void rill__register_nn_bias_ops(void);

/* Records TF's "Value for attr 'T' of int32 is not in the list of allowed values: ..." when t
 * is not float32/float64 (ints_ok: or int32/int64) and returns false. */
bool rill__nn_check_type(rill_op *op, rill_dtype t, bool ints_ok);
/* TF's Merge of two shapes (unknown dims take the other's): false after recording TF's
 * "Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are [2,3] and [2,4]." */
bool rill__nn_merge_shapes(rill_op *op, rill_shape a, rill_shape b, rill_shape *out);
/* Whether two graph shapes can describe the same value (unknown ranks and dims match anything). */
bool rill__nn_compatible(rill_shape a, rill_shape b);
/* Builds a one-output op of `type` on inputs with attribute T (the first input's dtype). */
rill_output rill__nn_op(rill_graph *g, const char *type, const rill_output *in, int n, const char *name);

/* GCC's -O2 vectorizes only loops that need no runtime alias checks; the kernels here need
 * them (outputs may reuse an input's buffer), so files with hot loops ask for the dynamic cost
 * model. Selects with arithmetic in an arm (x > 0 ? g : g * alpha) vectorize only without
 * trapping math; nothing here reads floating-point exception flags. Clang vectorizes these at
 * -O2 already. */
#if defined(__GNUC__) && !defined(__clang__)
#define RILL_NN_VECTORIZE \
  _Pragma("GCC optimize(\"tree-vectorize\", \"vect-cost-model=dynamic\", \"no-trapping-math\")")
#else
#define RILL_NN_VECTORIZE
#endif

/* Elements per parallel chunk for cheap elementwise loops. */
#define RILL_NN_GRAIN 16384
/* Below this many elements of work a kernel runs on the calling thread: waking the pool
 * costs more than the loop (the MLP's 100x500 activations stay serial). */
#define RILL_NN_PARALLEL_MIN 65536

/* rill_k_parallel_for over [0, n) in chunks of grain, or one serial call when `work`
 * (elements touched) is small. Chunks are fixed by n and grain either way, so per-chunk
 * results are the same. */
static inline void rill__nn_parallel(rill_kctx *k, int64_t n, int64_t grain, int64_t work,
                                     void (*fn)(void *arg, int64_t b, int64_t e), void *arg) {
  if (work < RILL_NN_PARALLEL_MIN) {
    if (n > 0) fn(arg, 0, n);
  } else {
    rill_k_parallel_for(k, n, grain, fn, arg);
  }
}
#endif
