/* The depthwise convolution and its backprops (see conv.h) by direct loops: every output
 * channel c * m + k sees only input channel c, so there is no GEMM to hand to BLAS; the inner
 * loops run over the contiguous channels and vectorize.
 *
 * Forward and backprop input write each output element from one task (backprop input gathers
 * over the taps that reach an input pixel instead of scattering), and backprop filter sums
 * fixed parts of the output rows into partial filter gradients added in part order, so the
 * results do not depend on the thread count. */
#include <stdatomic.h>
#include <string.h>
#include "kernels/cpu/conv.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif

/* Output (or input) rows of work per task, in multiply-adds. */
#define TASK_MACS (1 << 18)
#define PART_MACS (4 << 20)
#define MAX_PARTS 16

typedef struct dw_job {
  const rill_conv_geom *g;
  const void *a, *b; /* forward: x, f; backprop input: dy, f; backprop filter: x, dy */
  void *out;
  void *partials;
  int64_t rows_per_task; /* rows of n * oh (or n * h) per task */
  int64_t parts, part_rows;
} dw_job;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The tap index a (0 <= a < k) and output position o with o * s - pad + a * d == i, walked in
 * order of a: returns false when tap a does not reach i. */
static inline bool tap_hits(int64_t i, int64_t a, int64_t s, int64_t d, int64_t pad, int64_t out, int64_t *o) {
  int64_t t = i + pad - a * d;
  if (t < 0 || t % s) return false;
  *o = t / s;
  return *o < out;
}

#define DEF_DW(SUF, T)                                                                             \
  static void fwd_##SUF(void *arg, int64_t b, int64_t e) {                                         \
    const dw_job *j = arg;                                                                         \
    const rill_conv_geom *g = j->g;                                                                \
    const T *x = j->a, *f = j->b;                                                                  \
    T *y = j->out;                                                                                 \
    const int64_t C = g->c, M = g->o / g->c, O = g->o;                                             \
    const int64_t r0 = b * j->rows_per_task, r1 = min64(e * j->rows_per_task, g->n * g->oh);      \
    for (int64_t r = r0; r < r1; r++) {                                                            \
      const int64_t n = r / g->oh, oh = r % g->oh;                                                 \
      for (int64_t ow = 0; ow < g->ow; ow++) {                                                     \
        T *yr = y + (r * g->ow + ow) * O;                                                          \
        memset(yr, 0, (size_t)O * sizeof(T));                                                     \
        for (int64_t ka = 0; ka < g->kh; ka++) {                                                   \
          const int64_t ih = oh * g->sh - g->pt + ka * g->dh;                                      \
          if (ih < 0 || ih >= g->h) continue;                                                      \
          for (int64_t kb = 0; kb < g->kw; kb++) {                                                 \
            const int64_t iw = ow * g->sw - g->pl + kb * g->dw;                                    \
            if (iw < 0 || iw >= g->w) continue;                                                    \
            const T *xr = x + ((n * g->h + ih) * g->w + iw) * C;                                   \
            const T *fr = f + (ka * g->kw + kb) * O;                                               \
            if (M == 1) {                                                                          \
              for (int64_t c = 0; c < C; c++) yr[c] += xr[c] * fr[c];                              \
            } else {                                                                               \
              for (int64_t c = 0; c < C; c++)                                                      \
                for (int64_t m = 0; m < M; m++) yr[c * M + m] += xr[c] * fr[c * M + m];            \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
  /* rows are input rows (n, ih) */                                                                \
  static void bwi_##SUF(void *arg, int64_t b, int64_t e) {                                         \
    const dw_job *j = arg;                                                                         \
    const rill_conv_geom *g = j->g;                                                                \
    const T *dy = j->a, *f = j->b;                                                                 \
    T *dx = j->out;                                                                                \
    const int64_t C = g->c, M = g->o / g->c, O = g->o;                                             \
    const int64_t r0 = b * j->rows_per_task, r1 = min64(e * j->rows_per_task, g->n * g->h);       \
    for (int64_t r = r0; r < r1; r++) {                                                            \
      const int64_t n = r / g->h, ih = r % g->h;                                                   \
      for (int64_t iw = 0; iw < g->w; iw++) {                                                      \
        T *acc = dx + (r * g->w + iw) * C;                                                         \
        memset(acc, 0, (size_t)C * sizeof(T));                                                     \
        for (int64_t ka = 0; ka < g->kh; ka++) {                                                   \
          int64_t oh, ow;                                                                          \
          if (!tap_hits(ih, ka, g->sh, g->dh, g->pt, g->oh, &oh)) continue;                        \
          for (int64_t kb = 0; kb < g->kw; kb++) {                                                 \
            if (!tap_hits(iw, kb, g->sw, g->dw, g->pl, g->ow, &ow)) continue;                      \
            const T *dr = dy + ((n * g->oh + oh) * g->ow + ow) * O;                                \
            const T *fr = f + (ka * g->kw + kb) * O;                                               \
            if (M == 1) {                                                                          \
              for (int64_t c = 0; c < C; c++) acc[c] += dr[c] * fr[c];                             \
            } else {                                                                               \
              for (int64_t c = 0; c < C; c++) {                                                    \
                T s = 0;                                                                           \
                for (int64_t m = 0; m < M; m++) s += dr[c * M + m] * fr[c * M + m];                \
                acc[c] += s;                                                                       \
              }                                                                                    \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
  /* part p sums output rows [p * part_rows, ...) into its own filter-shaped buffer */             \
  static void bwf_##SUF(void *arg, int64_t b, int64_t e) {                                         \
    const dw_job *j = arg;                                                                         \
    const rill_conv_geom *g = j->g;                                                                \
    const T *x = j->a, *dy = j->b;                                                                 \
    const int64_t C = g->c, M = g->o / g->c, O = g->o, F = g->kh * g->kw * O;                      \
    for (int64_t part = b; part < e; part++) {                                                     \
      T *df = part == 0 ? (T *)j->out : (T *)j->partials + (part - 1) * F;                         \
      memset(df, 0, (size_t)F * sizeof(T));                                                        \
      const int64_t r0 = part * j->part_rows, r1 = min64(r0 + j->part_rows, g->n * g->oh);        \
      for (int64_t r = r0; r < r1; r++) {                                                          \
        const int64_t n = r / g->oh, oh = r % g->oh;                                               \
        for (int64_t ow = 0; ow < g->ow; ow++) {                                                   \
          const T *dr = dy + (r * g->ow + ow) * O;                                                 \
          for (int64_t ka = 0; ka < g->kh; ka++) {                                                 \
            const int64_t ih = oh * g->sh - g->pt + ka * g->dh;                                    \
            if (ih < 0 || ih >= g->h) continue;                                                    \
            for (int64_t kb = 0; kb < g->kw; kb++) {                                               \
              const int64_t iw = ow * g->sw - g->pl + kb * g->dw;                                  \
              if (iw < 0 || iw >= g->w) continue;                                                  \
              const T *xr = x + ((n * g->h + ih) * g->w + iw) * C;                                 \
              T *fr = df + (ka * g->kw + kb) * O;                                                  \
              if (M == 1) {                                                                        \
                for (int64_t c = 0; c < C; c++) fr[c] += xr[c] * dr[c];                            \
              } else {                                                                             \
                for (int64_t c = 0; c < C; c++)                                                    \
                  for (int64_t m = 0; m < M; m++) fr[c * M + m] += xr[c] * dr[c * M + m];          \
              }                                                                                    \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }                                                                                                \
  static void sum_##SUF(T *dst, const T *src, int64_t n, int64_t parts) {                          \
    for (int64_t k = 0; k < parts; k++)                                                            \
      for (int64_t i = 0; i < n; i++) dst[i] += src[k * n + i];                                    \
  }
DEF_DW(f32, float)
DEF_DW(f64, double)

/* Rows per task so that each task does about TASK_MACS multiply-adds. */
static int64_t task_rows(int64_t row_macs) { return max64(1, TASK_MACS / max64(row_macs, 1)); }

bool rill_depthwise_cpu_forward(const rill_conv_geom *g, rill_dtype t, const void *x, const void *f, void *y,
                                const rill_conv_exec *ex) {
  int64_t rows = g->n * g->oh;
  if (rows == 0 || g->ow == 0 || g->o == 0) return true;
  dw_job j = {.g = g, .a = x, .b = f, .out = y};
  j.rows_per_task = task_rows(g->ow * g->kh * g->kw * g->o);
  rill__conv_run(ex, ceil_div(rows, j.rows_per_task), t == RILL_FLOAT ? fwd_f32 : fwd_f64, &j);
  return true;
}

bool rill_depthwise_cpu_backprop_input(const rill_conv_geom *g, rill_dtype t, const void *dy, const void *f,
                                       void *dx, const rill_conv_exec *ex) {
  int64_t rows = g->n * g->h;
  if (rows == 0 || g->w == 0 || g->c == 0) return true;
  dw_job j = {.g = g, .a = dy, .b = f, .out = dx};
  j.rows_per_task = task_rows(g->w * g->kh * g->kw * g->o);
  rill__conv_run(ex, ceil_div(rows, j.rows_per_task), t == RILL_FLOAT ? bwi_f32 : bwi_f64, &j);
  return true;
}

bool rill_depthwise_cpu_backprop_filter(const rill_conv_geom *g, rill_dtype t, const void *x, const void *dy,
                                        void *df, const rill_conv_exec *ex) {
  const int64_t F = g->kh * g->kw * g->o, rows = g->n * g->oh;
  const size_t es = rill_dtype_size(t);
  if (F == 0) return true;
  if (rows == 0 || g->ow == 0) {
    memset(df, 0, (size_t)F * es);
    return true;
  }
  dw_job j = {.g = g, .a = x, .b = dy, .out = df};
  int64_t parts = ceil_div(rows * g->ow * F, PART_MACS);
  parts = max64(1, min64(min64(parts, MAX_PARTS), rows));
  j.part_rows = ceil_div(rows, parts);
  j.parts = ceil_div(rows, j.part_rows);
  if (j.parts > 1 && !(j.partials = rill__conv_scratch(1, (size_t)((j.parts - 1) * F) * es))) return false;
  rill__conv_run(ex, j.parts, t == RILL_FLOAT ? bwf_f32 : bwf_f64, &j);
  if (t == RILL_FLOAT)
    sum_f32(df, j.partials, F, j.parts - 1);
  else
    sum_f64(df, j.partials, F, j.parts - 1);
  rill__conv_scratch_release(1, RILL_CONV_SCRATCH_KEEP);
  return true;
}
