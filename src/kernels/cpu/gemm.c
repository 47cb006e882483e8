/* Matrix products (see gemm.h). The transposes go to BLAS as flags: no operand is copied. */
#include <cblas.h>
#include <string.h>
#include "kernels/cpu/gemm.h"

#define IGEMM(NAME, T, U)                                                                                \
  static void NAME(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c) {   \
    memset(c, 0, (size_t)(m * n) * sizeof(T));                                                           \
    for (int64_t i = 0; i < m; i++)                                                                      \
      for (int64_t p = 0; p < k; p++) {                                                                  \
        U aip = (U)(ta ? a[p * m + i] : a[i * k + p]);                                                   \
        T *ci = c + i * n;                                                                               \
        if (tb)                                                                                          \
          for (int64_t j = 0; j < n; j++) ci[j] = (T)((U)ci[j] + aip * (U)b[j * k + p]);                 \
        else                                                                                             \
          for (int64_t j = 0; j < n; j++) ci[j] = (T)((U)ci[j] + aip * (U)b[p * n + j]);                 \
      }                                                                                                  \
  }
IGEMM(gemm_i32, int32_t, uint32_t)
IGEMM(gemm_i64, int64_t, uint64_t)

static blasint ld(int64_t v) { return (blasint)(v > 0 ? v : 1); }

void rill_gemm(rill_dtype t, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a, const void *b,
               void *c) {
  if (m == 0 || n == 0) return;
  if (k == 0) { /* an empty sum; BLAS would also reject the zero leading dimension */
    memset(c, 0, (size_t)(m * n) * rill_dtype_size(t));
    return;
  }
  enum CBLAS_TRANSPOSE oa = ta ? CblasTrans : CblasNoTrans, ob = tb ? CblasTrans : CblasNoTrans;
  blasint lda = ld(ta ? m : k), ldb = ld(tb ? k : n), ldc = ld(n);
  switch (t) {
    case RILL_FLOAT:
      cblas_sgemm(CblasRowMajor, oa, ob, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
      break;
    case RILL_DOUBLE:
      cblas_dgemm(CblasRowMajor, oa, ob, (blasint)m, (blasint)n, (blasint)k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
      break;
    case RILL_INT32: gemm_i32(ta, tb, m, n, k, a, b, c); break;
    case RILL_INT64: gemm_i64(ta, tb, m, n, k, a, b, c); break;
    default: break;
  }
}
