/* Matrix products on row-major operands: OpenBLAS for float and double, a plain loop for the
 * integer types (TF's int32/int64 MatMul). */
#ifndef RILL_KERNELS_CPU_GEMM_H
#define RILL_KERNELS_CPU_GEMM_H

#include <stdbool.h>
#include <stdint.h>
#include "rill/tensor.h"

/* c[m,n] = op(a) op(b) where op(a) is [m,k] (a stored [k,m] when ta) and op(b) is [k,n] (b
 * stored [n,k] when tb). c is overwritten. Integer products wrap. */
void rill_gemm(rill_dtype t, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a, const void *b, void *c);

#endif
