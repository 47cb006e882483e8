/* Top-k selection per row. Small k keeps a sorted buffer of the best k seen (one pass, no
 * allocation); larger k sorts (value, index) pairs. Both order ties by the lower index. */
#include <stdlib.h>
#include "kernels/cpu/pool.h"

/* Buffers up to this size are cheaper to keep sorted by insertion than to sort whole rows. */
#define INSERTION_MAX_K 16

#define DEFINE_TOPK(T, SUF)                                                                      \
  typedef struct pair_##SUF {                                                                    \
    T v;                                                                                         \
    int32_t i;                                                                                   \
  } pair_##SUF;                                                                                  \
  static int cmp_##SUF(const void *pa, const void *pb) {                                         \
    const pair_##SUF *a = pa, *b = pb;                                                           \
    if (a->v > b->v) return -1;                                                                  \
    if (a->v < b->v) return 1;                                                                   \
    return (a->i > b->i) - (a->i < b->i);                                                        \
  }                                                                                              \
  static bool topk_##SUF(const T *x, int64_t n, int64_t k, T *vals, int32_t *idx, int64_t r0, int64_t r1) { \
    if (k == 0) return true;                                                                     \
    if (k <= INSERTION_MAX_K) {                                                                  \
      for (int64_t r = r0; r < r1; r++) {                                                        \
        const T *xr = x + r * n;                                                                 \
        T *vr = vals + r * k;                                                                    \
        int32_t *ir = idx + r * k;                                                               \
        int64_t cnt = 0;                                                                         \
        for (int64_t i = 0; i < n; i++) {                                                        \
          T v = xr[i];                                                                           \
          /* equal values keep the earlier index ahead */                                        \
          if (cnt == k && !(v > vr[k - 1])) continue;                                            \
          int64_t pos = cnt < k ? cnt++ : k - 1;                                                 \
          for (; pos > 0 && v > vr[pos - 1]; pos--) {                                            \
            vr[pos] = vr[pos - 1];                                                               \
            ir[pos] = ir[pos - 1];                                                               \
          }                                                                                      \
          vr[pos] = v;                                                                           \
          ir[pos] = (int32_t)i;                                                                  \
        }                                                                                        \
      }                                                                                          \
      return true;                                                                               \
    }                                                                                            \
    pair_##SUF *p = malloc((size_t)n * sizeof *p);                                               \
    if (!p) return false;                                                                        \
    for (int64_t r = r0; r < r1; r++) {                                                          \
      const T *xr = x + r * n;                                                                   \
      for (int64_t i = 0; i < n; i++) p[i] = (pair_##SUF){xr[i], (int32_t)i};                    \
      qsort(p, (size_t)n, sizeof *p, cmp_##SUF);                                                 \
      for (int64_t j = 0; j < k; j++) {                                                          \
        vals[r * k + j] = p[j].v;                                                                \
        idx[r * k + j] = p[j].i;                                                                 \
      }                                                                                          \
    }                                                                                            \
    free(p);                                                                                     \
    return true;                                                                                 \
  }

DEFINE_TOPK(float, f32)
DEFINE_TOPK(double, f64)
DEFINE_TOPK(int32_t, i32)
DEFINE_TOPK(int64_t, i64)
DEFINE_TOPK(uint8_t, u8)

bool rill_top_k_rows(rill_dtype t, const void *x, int64_t n, int64_t k, void *values, int32_t *indices, int64_t r0,
                     int64_t r1) {
  switch (t) {
    case RILL_FLOAT: return topk_f32(x, n, k, values, indices, r0, r1);
    case RILL_DOUBLE: return topk_f64(x, n, k, values, indices, r0, r1);
    case RILL_INT32: return topk_i32(x, n, k, values, indices, r0, r1);
    case RILL_INT64: return topk_i64(x, n, k, values, indices, r0, r1);
    case RILL_UINT8: return topk_u8(x, n, k, values, indices, r0, r1);
    default: return true;
  }
}
