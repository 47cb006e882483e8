/* Library-internal pieces of the random op family shared with other op families. */
#ifndef RILL_OPS_RANDOM_OPS_H
#define RILL_OPS_RANDOM_OPS_H
#include "core/internal.h"

/* TF's random_seed.get_seed (TF 1.x): the (seed, seed2) attributes for a random op built now
 * with op-level seed op_seed (RILL_NO_SEED for none). */
void rill__random_seeds(const rill_graph *g, int64_t op_seed, int64_t *seed, int64_t *seed2);
/* tf.random_uniform with a computed shape (an int32/int64 vector tensor), as tf.nn.dropout
 * builds it. */
rill_output rill__random_uniform_shaped(rill_graph *g, rill_output shape, double minval, double maxval,
                                        rill_dtype dtype, int64_t seed, const char *name);
#endif
