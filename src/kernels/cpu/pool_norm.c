/* Local response normalization and fused batch norm kernels (float32), channels innermost. */
#include <math.h>
#include <stdlib.h>
#include "kernels/cpu/pool.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")
#endif

/* ---- LRN ---- */

/* y = x * n^-beta. TF computes the power as exp(log(n) * -beta) except for beta 1 and 0.5;
 * 0.75 (CIFAR-10's) is written with square roots so that the loop vectorizes. */
RILL_POOL_INLINE void scale_by_pow(const float *restrict x, const float *restrict n, float *restrict y, int64_t C,
                                   float beta) {
  if (beta == 1.0f) {
    for (int64_t c = 0; c < C; c++) y[c] = x[c] * (1.0f / n[c]);
  } else if (beta == 0.5f) {
    for (int64_t c = 0; c < C; c++) y[c] = x[c] * (1.0f / sqrtf(n[c]));
  } else if (beta == 0.75f) {
    for (int64_t c = 0; c < C; c++) {
      float q = sqrtf(n[c]);
      y[c] = x[c] / (q * sqrtf(q));
    }
  } else {
    for (int64_t c = 0; c < C; c++) y[c] = x[c] * expf(logf(n[c]) * -beta);
  }
}

/* win[c] = sum of padded[c .. c + 2r] (padded holds r zeros on each side). */
RILL_POOL_INLINE void window_sum(const float *restrict padded, float *restrict win, int64_t C, int64_t r) {
  for (int64_t c = 0; c < C; c++) win[c] = 0;
  for (int64_t d = 0; d <= 2 * r; d++)
    for (int64_t c = 0; c < C; c++) win[c] += padded[c + d];
}

typedef struct lrn_scratch {
  float *sq, *norm, *a, *sum;
} lrn_scratch;

static bool scratch_new(lrn_scratch *s, int64_t C, int64_t r) {
  size_t padded = (size_t)(C + 2 * r), n = (size_t)(C ? C : 1);
  s->sq = calloc(padded, sizeof(float));
  s->a = calloc(padded, sizeof(float));
  s->norm = malloc(n * sizeof(float));
  s->sum = malloc(n * sizeof(float));
  if (s->sq && s->a && s->norm && s->sum) return true;
  free(s->sq), free(s->a), free(s->norm), free(s->sum);
  return false;
}

static void scratch_free(lrn_scratch *s) { free(s->sq), free(s->a), free(s->norm), free(s->sum); }

/* A window wider than the depth sees only zeros beyond it. */
static int64_t eff_radius(const rill_lrn_params *p) { return p->radius < p->depth ? p->radius : p->depth; }

/* s->norm = bias + alpha * (window sum of x^2) for one pixel. */
RILL_POOL_INLINE void lrn_norm(const rill_lrn_params *p, int64_t r, const float *restrict x, lrn_scratch *s) {
  const int64_t C = p->depth;
  float *restrict sq = s->sq + r, *restrict norm = s->norm;
  for (int64_t c = 0; c < C; c++) sq[c] = x[c] * x[c];
  window_sum(s->sq, norm, C, r);
  for (int64_t c = 0; c < C; c++) norm[c] = norm[c] * p->alpha + p->bias;
}

RILL_POOL_CLONES static bool lrn_pixels_impl(const rill_lrn_params *p, const float *x, float *y, int64_t p0,
                                             int64_t p1) {
  const int64_t C = p->depth, r = eff_radius(p);
  lrn_scratch s;
  if (!scratch_new(&s, C, r)) return false;
  for (int64_t px = p0; px < p1; px++) {
    lrn_norm(p, r, x + px * C, &s);
    scale_by_pow(x + px * C, s.norm, y + px * C, C, p->beta);
  }
  scratch_free(&s);
  return true;
}

/* With N_j the norm of channel j: dx_k = dy_k N_k^-beta - 2 alpha beta x_k sum over the
 * window of k of dy_j y_j / N_j (the windows are symmetric, so j in window(k) iff k in
 * window(j)). */
RILL_POOL_CLONES static bool lrn_grad_pixels_impl(const rill_lrn_params *p, const float *dy, const float *x,
                                                  const float *y, float *dx, int64_t p0, int64_t p1) {
  const int64_t C = p->depth, r = eff_radius(p);
  const float ab2 = -2.0f * p->alpha * p->beta;
  lrn_scratch s;
  if (!scratch_new(&s, C, r)) return false;
  for (int64_t px = p0; px < p1; px++) {
    const float *restrict g = dy + px * C, *restrict xi = x + px * C, *restrict yi = y + px * C;
    float *restrict d = dx + px * C, *restrict a = s.a + r, *restrict sum = s.sum;
    const float *restrict norm = s.norm;
    lrn_norm(p, r, xi, &s);
    for (int64_t c = 0; c < C; c++) a[c] = g[c] * yi[c] / norm[c];
    window_sum(s.a, sum, C, r);
    scale_by_pow(g, norm, d, C, p->beta);
    for (int64_t c = 0; c < C; c++) d[c] += ab2 * xi[c] * sum[c];
  }
  scratch_free(&s);
  return true;
}

/* ---- fused batch norm ---- */

RILL_POOL_CLONES static void bn_sum_impl(const rill_bn_view *v, const float *x, double *acc, int64_t o0, int64_t o1) {
  const int64_t C = v->channels, I = v->inner;
  for (int64_t o = o0; o < o1; o++) {
    const float *restrict xo = x + o * C * I;
    if (I == 1) {
      for (int64_t c = 0; c < C; c++) acc[c] += xo[c];
    } else {
      for (int64_t c = 0; c < C; c++) {
        double s = 0;
        for (int64_t i = 0; i < I; i++) s += xo[c * I + i];
        acc[c] += s;
      }
    }
  }
}

RILL_POOL_CLONES static void bn_sqdev_impl(const rill_bn_view *v, const float *x, const float *mean, double *acc,
                                           int64_t o0, int64_t o1) {
  const int64_t C = v->channels, I = v->inner;
  for (int64_t o = o0; o < o1; o++) {
    const float *restrict xo = x + o * C * I;
    if (I == 1) {
      for (int64_t c = 0; c < C; c++) {
        float d = xo[c] - mean[c];
        acc[c] += d * d;
      }
    } else {
      for (int64_t c = 0; c < C; c++) {
        double s = 0;
        const float m = mean[c];
        for (int64_t i = 0; i < I; i++) {
          float d = xo[c * I + i] - m;
          s += d * d;
        }
        acc[c] += s;
      }
    }
  }
}

RILL_POOL_CLONES static void bn_grad_sums_impl(const rill_bn_view *v, const float *dy, const float *x,
                                               const float *mean, double *sum_dy, double *sum_dyxc, int64_t o0,
                                               int64_t o1) {
  const int64_t C = v->channels, I = v->inner;
  for (int64_t o = o0; o < o1; o++) {
    const float *restrict xo = x + o * C * I, *restrict go = dy + o * C * I;
    if (I == 1) {
      for (int64_t c = 0; c < C; c++) {
        sum_dy[c] += go[c];
        sum_dyxc[c] += go[c] * (xo[c] - mean[c]);
      }
    } else {
      for (int64_t c = 0; c < C; c++) {
        double s = 0, t = 0;
        const float m = mean[c];
        for (int64_t i = 0; i < I; i++) {
          float gv = go[c * I + i];
          s += gv;
          t += gv * (xo[c * I + i] - m);
        }
        sum_dy[c] += s;
        sum_dyxc[c] += t;
      }
    }
  }
}

RILL_POOL_CLONES static void bn_apply_impl(const rill_bn_view *v, const float *x, const float *mean, const float *a,
                                           const float *b, float *y, int64_t o0, int64_t o1) {
  const int64_t C = v->channels, I = v->inner;
  for (int64_t o = o0; o < o1; o++) {
    const float *restrict xo = x + o * C * I;
    float *restrict yo = y + o * C * I;
    if (I == 1) {
      for (int64_t c = 0; c < C; c++) yo[c] = (xo[c] - mean[c]) * a[c] + b[c];
    } else {
      for (int64_t c = 0; c < C; c++) {
        const float m = mean[c], ac = a[c], bc = b[c];
        for (int64_t i = 0; i < I; i++) yo[c * I + i] = (xo[c * I + i] - m) * ac + bc;
      }
    }
  }
}

RILL_POOL_CLONES static void bn_grad_apply_impl(const rill_bn_view *v, const float *dy, const float *x,
                                                const float *mean, const float *k1, const float *mdy, const float *k2,
                                                float *dx, int64_t o0, int64_t o1) {
  const int64_t C = v->channels, I = v->inner;
  for (int64_t o = o0; o < o1; o++) {
    const float *restrict go = dy + o * C * I, *restrict xo = x + o * C * I;
    float *restrict d = dx + o * C * I;
    if (!mdy) {
      if (I == 1) {
        for (int64_t c = 0; c < C; c++) d[c] = go[c] * k1[c];
      } else {
        for (int64_t c = 0; c < C; c++)
          for (int64_t i = 0; i < I; i++) d[c * I + i] = go[c * I + i] * k1[c];
      }
    } else if (I == 1) {
      for (int64_t c = 0; c < C; c++) d[c] = k1[c] * (go[c] - mdy[c] - (xo[c] - mean[c]) * k2[c]);
    } else {
      for (int64_t c = 0; c < C; c++) {
        const float a = k1[c], m = mean[c], md = mdy[c], b = k2[c];
        for (int64_t i = 0; i < I; i++) d[c * I + i] = a * (go[c * I + i] - md - (xo[c * I + i] - m) * b);
      }
    }
  }
}

/* The exported entry points. Clang emits a clones' dispatcher only for functions used in their
 * own file, so the clones are static and these forward to them. */
bool rill_lrn_pixels(const rill_lrn_params *p, const float *x, float *y, int64_t p0, int64_t p1) {
  return lrn_pixels_impl(p, x, y, p0, p1);
}

bool rill_lrn_grad_pixels(const rill_lrn_params *p, const float *dy, const float *x, const float *y, float *dx,
                          int64_t p0, int64_t p1) {
  return lrn_grad_pixels_impl(p, dy, x, y, dx, p0, p1);
}

void rill_bn_sum(const rill_bn_view *v, const float *x, double *acc, int64_t o0, int64_t o1) {
  bn_sum_impl(v, x, acc, o0, o1);
}

void rill_bn_sqdev(const rill_bn_view *v, const float *x, const float *mean, double *acc, int64_t o0, int64_t o1) {
  bn_sqdev_impl(v, x, mean, acc, o0, o1);
}

void rill_bn_grad_sums(const rill_bn_view *v, const float *dy, const float *x, const float *mean, double *sum_dy,
                       double *sum_dyxc, int64_t o0, int64_t o1) {
  bn_grad_sums_impl(v, dy, x, mean, sum_dy, sum_dyxc, o0, o1);
}

void rill_bn_apply(const rill_bn_view *v, const float *x, const float *mean, const float *a, const float *b, float *y,
                   int64_t o0, int64_t o1) {
  bn_apply_impl(v, x, mean, a, b, y, o0, o1);
}

void rill_bn_grad_apply(const rill_bn_view *v, const float *dy, const float *x, const float *mean, const float *k1,
                        const float *mdy, const float *k2, float *dx, int64_t o0, int64_t o1) {
  bn_grad_apply_impl(v, dy, x, mean, k1, mdy, k2, dx, o0, o1);
}
