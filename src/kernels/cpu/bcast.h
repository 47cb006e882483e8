/* NumPy broadcasting of two operands, planned once per kernel call.
 *
 * The output shape is collapsed to as few dimensions as possible (size-1 dimensions dropped,
 * neighbours that both operands walk the same way merged), so that the innermost dimension
 * is a contiguous run for the output and, for each operand, either contiguous or a single
 * repeated element. A same-shape pair becomes one flat run; a bias add [N,K] + [K] becomes N
 * runs of K. Kernels then call a 1-D loop per run. */
#ifndef RILL_KERNELS_CPU_BCAST_H
#define RILL_KERNELS_CPU_BCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rill/tensor.h"

typedef struct rill_bcast {
  int rank;                          /* collapsed rank, >= 1 */
  int64_t dims[RILL_MAX_RANK];
  int64_t xs[RILL_MAX_RANK];         /* element strides of x per collapsed dim, 0 = repeated */
  int64_t ys[RILL_MAX_RANK];
  int64_t n;                         /* output elements */
  int64_t inner;                     /* dims[rank - 1]: elements per run */
  int64_t rows;                      /* n / inner: number of runs */
} rill_bcast;

/* Plans the broadcast of fully known shapes a and b. Writes the broadcast shape to *out.
 * Returns false when they are incompatible. */
bool rill_bcast_plan(rill_shape a, rill_shape b, rill_shape *out, rill_bcast *p);

/* One run of an elementwise loop: n output elements; xs/ys are 1 when that operand advances
 * with the output and 0 when its single element repeats. */
typedef void (*rill_bcast_run_fn)(const void *x, const void *y, void *z, int64_t n, int xs, int ys);

/* Calls fn for runs [row_b, row_e). Element sizes: ex, ey of the operands, ez of the output.
 * y may be NULL (then fn receives NULL for it). */
void rill_bcast_rows(const rill_bcast *p, const void *x, size_t ex, const void *y, size_t ey, void *z, size_t ez,
                     int64_t row_b, int64_t row_e, rill_bcast_run_fn fn);

#endif
