/* float32 convolutions by register-blocked SIMD kernels that read the input in place
 * ("implicit GEMM"; see conv.h for the contract).
 *
 * The product behind a convolution is y[pixel, o] = sum_k patch[pixel, k] * filter[k, o] with
 * k running over (kh, kw, c). im2col + BLAS writes the patch matrix out and has the library
 * pack both operands again; for the layers of small networks (25 taps of one channel, 6 to 64
 * outputs) that copying costs more than the arithmetic. Here the input itself stands in for
 * the patch matrix: patch[pixel, k] is in[base(pixel) + koff[k]], so a kernel call keeps a
 * block of outputs (RR pixels x NV vectors of channels) in registers, and for every k
 * broadcasts one input value per pixel against NV vectors of the packed filter row. Nothing is
 * written but the outputs. Output pixels are grouped into classes by which taps of their
 * window fall inside the input (the interior, each border band, each corner), each with its
 * own list of products: the zero padding is never read and its products are never computed
 * (16% of the work of a 5x5 SAME layer on 14x14 images).
 *
 *  - forward: blocks of RR pixels of a class; the filter is packed per slice of output
 *    channels (at most MAXNV vectors wide), zero-filled to whole vectors.
 *  - backprop filter: the transpose of the same product, df[k, o] = sum_pixel patch * dy:
 *    blocks of KB filter rows x NV vectors accumulate over the pixels of a fixed part of the
 *    batch; parts are summed in order.
 *  - backprop input at stride 1: a forward convolution of dy, seen with the padding reversed,
 *    with the filter turned 180 degrees and its in/out channels swapped.
 *
 * Each output element is one register's lane summed in a fixed k (or pixel) order whatever
 * the blocking, so results do not depend on the thread count. Kernels exist for AVX-512 (16
 * lanes, 32 registers) and AVX2 (8 lanes, 16 registers), chosen at run time (isa_for); without
 * either, conv.c uses im2col + GEMM. The measurements behind these choices are in
 * bench/README.md ("Convolution kernels"). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/cpu/conv.h"

/* The blocking loops must unroll completely for the accumulators to live in registers; neither
 * compiler does that at -O2 unasked. */
#if defined(__clang__)
#define UNROLL _Pragma("unroll")
#else
#define UNROLL _Pragma("GCC unroll 16")
#endif

/* ---- the kernels ---- */

typedef void (*fwd_fn)(const float *const *base, float *const *yrow, const ptrdiff_t *koff, const int32_t *krow,
                       int64_t K, const float *B, int64_t nout, int64_t nr);
typedef void (*bwf_fn)(const float *const *base, const float *const *dyrow, int64_t nrows, const ptrdiff_t *koff,
                       const int32_t *krow, float *dw);

/* yrow[i][j] = sum_k base[i][koff[k]] * B[krow[k] * NV * VL + j] for i < nr, j < nout. base and
 * yrow have RR entries (unused ones point anywhere readable). */
#define DEF_FWD(ISA, TGT, VL, NV, RR) DEF_FWDX(ISA, TGT, VL, NV, RR, , krow[k]) DEF_FWDX(ISA, TGT, VL, NV, RR, c, k)
/* ROW: the filter row of product k; the "c" variant is for classes whose rows are 0..K-1 and
 * saves the index load on the kernels' busiest port. */
#define DEF_FWDX(ISA, TGT, VL, NV, RR, SUF, ROW)                                                       \
  TGT static void fwd##SUF##_##ISA##_##NV(const float *const *base, float *const *yrow,                \
                                          const ptrdiff_t *koff, const int32_t *krow, int64_t K,       \
                                          const float *B, int64_t nout, int64_t nr) {                  \
    (void)krow;                                                                                        \
    typedef float vec __attribute__((vector_size(VL * 4)));                                            \
    typedef float uvec __attribute__((vector_size(VL * 4), aligned(4)));                               \
    vec acc[RR][NV];                                                                                   \
    UNROLL for (int i = 0; i < RR; i++) UNROLL for (int v = 0; v < NV; v++) acc[i][v] = (vec){0};      \
    for (int64_t k = 0; k < K; k++) {                                                                  \
      vec b[NV];                                                                                       \
      const float *bk = B + (int64_t)(ROW) * (NV * VL);                                                \
      UNROLL for (int v = 0; v < NV; v++) b[v] = *(const vec *)(bk + v * VL);                          \
      const ptrdiff_t o = koff[k];                                                                     \
      UNROLL for (int i = 0; i < RR; i++) {                                                            \
        const float a = base[i][o];                                                                    \
        UNROLL for (int v = 0; v < NV; v++) acc[i][v] += a * b[v];                                     \
      }                                                                                                \
    }                                                                                                  \
    /* constant indices only: an acc[i] with a variable i would keep acc in memory */                \
    UNROLL for (int i = 0; i < RR; i++) {                                                              \
      if (i >= nr) break;                                                                              \
      /* whole vectors; for narrow rows also when the next row follows in memory: what spills    \
       * past this row's end lands in it, and it is stored after this one */                          \
      if (nout == NV * VL || (i + 1 < nr && 2 * nout >= NV * VL && yrow[i] + nout == yrow[i + 1])) {  \
        UNROLL for (int v = 0; v < NV; v++) *(uvec *)(yrow[i] + v * VL) = acc[i][v];                   \
      } else { /* element stores: a memcpy call per row costs more than a short K's products */      \
        float tmp[NV * VL];                                                                            \
        UNROLL for (int v = 0; v < NV; v++) *(uvec *)(tmp + v * VL) = acc[i][v];                       \
        UNROLL for (int j = 0; j < NV * VL; j++) if (j < nout) yrow[i][j] = tmp[j];                    \
      }                                                                                                \
    }                                                                                                  \
  }

/* dw[krow[j] * NV * VL + l] += sum_r base[r][koff[j]] * dyrow[r][l] for j < KB, all NV * VL
 * lanes (dy rows readable that far). */
#define DEF_BWF(ISA, TGT, VL, NV, KB)                                                                  \
  TGT static void bwf_##ISA##_##NV##_##KB(const float *const *base, const float *const *dyrow,         \
                                          int64_t nrows, const ptrdiff_t *koff, const int32_t *krow,   \
                                          float *dw) {                                                 \
    typedef float vec __attribute__((vector_size(VL * 4)));                                            \
    typedef float uvec __attribute__((vector_size(VL * 4), aligned(4)));                               \
    vec acc[KB][NV];                                                                                   \
    ptrdiff_t o[KB];                                                                                   \
    UNROLL for (int j = 0; j < KB; j++) {                                                              \
      o[j] = koff[j];                                                                                  \
      UNROLL for (int v = 0; v < NV; v++) acc[j][v] = *(const vec *)(dw + ((int64_t)krow[j] * NV + v) * VL); \
    }                                                                                                  \
    for (int64_t r = 0; r < nrows; r++) {                                                              \
      const float *p = base[r];                                                                        \
      vec d[NV];                                                                                       \
      UNROLL for (int v = 0; v < NV; v++) d[v] = *(const uvec *)(dyrow[r] + v * VL);                   \
      UNROLL for (int j = 0; j < KB; j++) {                                                            \
        const float a = p[o[j]];                                                                       \
        UNROLL for (int v = 0; v < NV; v++) acc[j][v] += a * d[v];                                     \
      }                                                                                                \
    }                                                                                                  \
    UNROLL for (int j = 0; j < KB; j++) UNROLL for (int v = 0; v < NV; v++)                            \
        *(vec *)(dw + ((int64_t)krow[j] * NV + v) * VL) = acc[j][v];                                   \
  }

#define KB4(M, ISA, TGT, VL, NV) M(ISA, TGT, VL, NV, 1) M(ISA, TGT, VL, NV, 2) M(ISA, TGT, VL, NV, 3) M(ISA, TGT, VL, NV, 4)
#define KB8(M, ISA, TGT, VL, NV) KB4(M, ISA, TGT, VL, NV) M(ISA, TGT, VL, NV, 5) M(ISA, TGT, VL, NV, 6) \
  M(ISA, TGT, VL, NV, 7) M(ISA, TGT, VL, NV, 8)
#define KB12(M, ISA, TGT, VL, NV) KB8(M, ISA, TGT, VL, NV) M(ISA, TGT, VL, NV, 9) M(ISA, TGT, VL, NV, 10) \
  M(ISA, TGT, VL, NV, 11) M(ISA, TGT, VL, NV, 12)
#define REF(ISA, TGT, VL, NV, KB) bwf_##ISA##_##NV##_##KB,
#define MAXNV 4
#define MAXKB 12

typedef struct isa {
  int vl;                          /* floats per vector */
  int rr[MAXNV + 1];               /* forward: pixels per call, by vectors per row */
  int kbmax[MAXNV + 1];            /* backprop filter: filter rows per call */
  fwd_fn fwd[MAXNV + 1];
  fwd_fn fwdc[MAXNV + 1];          /* for products whose filter rows are 0..K-1 */
  bwf_fn bwf[MAXNV + 1][MAXKB + 1];
} isa;

#if defined(__x86_64__) || defined(__i386__)
#define T512 __attribute__((target("avx512f,fma")))
#define T256 __attribute__((target("avx2,fma")))

DEF_FWD(avx512, T512, 16, 1, 12)
DEF_FWD(avx512, T512, 16, 2, 8)
DEF_FWD(avx512, T512, 16, 3, 8)
DEF_FWD(avx512, T512, 16, 4, 6)
KB12(DEF_BWF, avx512, T512, 16, 1)
KB12(DEF_BWF, avx512, T512, 16, 2)
KB8(DEF_BWF, avx512, T512, 16, 3)
KB4(DEF_BWF, avx512, T512, 16, 4) DEF_BWF(avx512, T512, 16, 4, 5) DEF_BWF(avx512, T512, 16, 4, 6)

/* 16 registers: GCC keeps 12 accumulators and the filter row in them; clang spills unless
 * left a few spare. */
#if defined(__clang__)
#define RR2 5
#define RR3 3
#define RR4 2
#else
#define RR2 6
#define RR3 4
#define RR4 3
#endif
DEF_FWD(avx2, T256, 8, 1, 8)
DEF_FWD(avx2, T256, 8, 2, RR2)
DEF_FWD(avx2, T256, 8, 3, RR3)
DEF_FWD(avx2, T256, 8, 4, RR4)
KB8(DEF_BWF, avx2, T256, 8, 1)
DEF_BWF(avx2, T256, 8, 2, 1) DEF_BWF(avx2, T256, 8, 2, 2) DEF_BWF(avx2, T256, 8, 2, 3)
DEF_BWF(avx2, T256, 8, 2, 4) DEF_BWF(avx2, T256, 8, 2, 5) DEF_BWF(avx2, T256, 8, 2, 6)
DEF_BWF(avx2, T256, 8, 3, 1) DEF_BWF(avx2, T256, 8, 3, 2) DEF_BWF(avx2, T256, 8, 3, 3) DEF_BWF(avx2, T256, 8, 3, 4)
DEF_BWF(avx2, T256, 8, 4, 1) DEF_BWF(avx2, T256, 8, 4, 2) DEF_BWF(avx2, T256, 8, 4, 3)

static const isa isa_avx512 = {
    .vl = 16,
    .rr = {0, 12, 8, 8, 6},
    .kbmax = {0, 12, 12, 8, 6},
    .fwd = {NULL, fwd_avx512_1, fwd_avx512_2, fwd_avx512_3, fwd_avx512_4},
    .fwdc = {NULL, fwdc_avx512_1, fwdc_avx512_2, fwdc_avx512_3, fwdc_avx512_4},
    .bwf = {{NULL},
            {NULL, KB12(REF, avx512, , , 1)},
            {NULL, KB12(REF, avx512, , , 2)},
            {NULL, KB8(REF, avx512, , , 3)},
            {NULL, KB4(REF, avx512, , , 4) bwf_avx512_4_5, bwf_avx512_4_6}},
};

static const isa isa_avx2 = {
    .vl = 8,
    .rr = {0, 8, RR2, RR3, RR4},
    .kbmax = {0, 8, 6, 4, 3},
    .fwd = {NULL, fwd_avx2_1, fwd_avx2_2, fwd_avx2_3, fwd_avx2_4},
    .fwdc = {NULL, fwdc_avx2_1, fwdc_avx2_2, fwdc_avx2_3, fwdc_avx2_4},
    .bwf = {{NULL},
            {NULL, KB8(REF, avx2, , , 1)},
            {NULL, bwf_avx2_2_1, bwf_avx2_2_2, bwf_avx2_2_3, bwf_avx2_2_4, bwf_avx2_2_5, bwf_avx2_2_6},
            {NULL, bwf_avx2_3_1, bwf_avx2_3_2, bwf_avx2_3_3, bwf_avx2_3_4},
            {NULL, bwf_avx2_4_1, bwf_avx2_4_2, bwf_avx2_4_3}},
};

static bool has_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

static bool has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
static bool has_avx512(void) { return false; }
static bool has_avx2(void) { return false; }
#endif

/* NULL: auto (the widest the CPU has); else the kernels rill__conv_direct_select chose. */
static const isa *_Atomic forced;
static const isa none_isa; /* "none": no kernels, conv.c uses GEMM */

/* The kernels for a convolution with `width` output channels per group. At most 8 outputs
 * (half a 16-lane vector) go to the 8-lane kernels: the same work per useful lane where 512-bit
 * units are native, half of it where they are two 256-bit halves (AMD Zen 4). */
static const isa *isa_for(int64_t width) {
  const isa *f = forced;
  if (f) return f == &none_isa ? NULL : f;
#if defined(__x86_64__) || defined(__i386__)
  if (has_avx512() && !(width <= 8 && has_avx2())) return &isa_avx512;
  if (has_avx2()) return &isa_avx2;
#endif
  (void)width;
  return NULL;
}

bool rill__conv_direct_select(const char *name) {
  if (!strcmp(name, "auto")) {
    forced = NULL;
  } else if (!strcmp(name, "none")) {
    forced = &none_isa;
#if defined(__x86_64__) || defined(__i386__)
  } else if (!strcmp(name, "avx512") && has_avx512()) {
    forced = &isa_avx512;
  } else if (!strcmp(name, "avx2") && has_avx2()) {
    forced = &isa_avx2;
#endif
  } else {
    return false;
  }
  return true;
}

/* ---- plans ---- */

/* Largest filter rows x padded channels a kernel streams per call, in floats: beyond about
 * 1 MiB (L2) BLAS's blocking wins. */
#define MAX_B_FLOATS (256 * 1024)
/* Multiply-adds per forward task, and per backprop-filter part. */
#define TASK_MACS (2 << 20)
#define PART_MACS (4 << 20)
#define MAX_PARTS 16
/* Pixels per backprop-filter pass (their pointers are staged per pass). */
#define BWF_ROWS 256
/* dy rows that may need staging: those starting fewer than MAXNV * 16 floats before its end. */
#define STAGE_ROWS (MAXNV * 16 + 1)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* A run of output channels a kernel computes together. */
typedef struct slice {
  int64_t cin0;   /* first input channel of its group */
  int64_t col0;   /* first output channel */
  int64_t nout;   /* channels, at most nv * vl */
  int nv;
  float *B;       /* forward: packed filter [K][nv * vl]; backprop filter: partial sums */
} slice;

/* Output pixels whose windows meet the input in the same taps: rows whose windows' valid rows
 * are taps [a0, a1), times columns with taps [b0, b1). Taps over the zero border are skipped,
 * not multiplied: for 5x5 SAME windows on 14x14 images they are 16% of the products. */
typedef struct pclass {
  int64_t a0, b0;           /* first valid tap row and column */
  int64_t nr, nc;           /* output rows and columns in the class */
  const int64_t *rows, *cols;
  const ptrdiff_t *xcol;    /* [nc]: input offset of each column's first valid tap */
  const ptrdiff_t *ycol;    /* [nc]: output offset of each column */
  int64_t npix;             /* images * nr * nc */
  int64_t K;                /* valid products per output */
  const ptrdiff_t *koff;    /* [K]: input offsets from the first valid tap */
  const int32_t *krow;      /* [K]: their filter rows */
  bool rows_seq;            /* krow[j] == j: the whole window */
  int64_t first;            /* index of its first pixel in class order */
  int64_t rows_per_task, first_task;
} pclass;

/* A forward-shaped problem: out[n, oh, ow, o] = sum over the taps inside `in` [n, h, w, c] of
 * in[n, oh * sh - pt + a * dh, ow * sw - pl + b * dw, group's channel] * filter row. Pads may
 * be negative (backprop input's view of dy). */
typedef struct dconv {
  const isa *is;
  const float *in;
  int64_t n, h, w, c;
  int64_t oh, ow, sh, sw, dh, dw, pt, pl, kh, kw;
  int64_t cin;            /* input channels per group */
  int64_t o;              /* output channels (row length of out and dy) */
  int nslices;
  slice *slices;
  int ncls;
  pclass *cls;
  int64_t npix, ntasks;
  float *out;
  /* backprop filter */
  const float *dy;
  int64_t K;              /* filter rows per group: kh * kw * cin */
  int64_t parts, part_rows, part_floats;
  float *partials;        /* [parts][part_floats] */
  int failed;
  int64_t *dims;          /* the classes' row and column lists */
} dconv;

/* The taps [lo, hi) of a window starting at i0 (step d, k taps) that fall inside [0, size). */
static void valid_taps(int64_t i0, int64_t d, int64_t k, int64_t size, int64_t *lo, int64_t *hi) {
  int64_t a = 0, b = k;
  while (a < k && i0 + a * d < 0) a++;
  while (b > a && i0 + (b - 1) * d >= size) b--;
  *lo = a;
  *hi = b;
}

/* The caller-side buffers (classes, offsets, slices, packed filters or partial sums) are carved
 * from one per-thread scratch allocation. */
typedef struct carve {
  char *p;
  size_t used;
} carve;

static size_t rounded(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

static void *take(carve *c, size_t bytes) {
  void *p = c->p + c->used;
  c->used += rounded(bytes);
  return p;
}

/* Groups the output indices [0, out) of one dimension by their valid taps: fills idx (out
 * entries, grouped), lo/hi/count per group; returns the number of groups. */
static int64_t dim_classes(int64_t out, int64_t s, int64_t pad, int64_t d, int64_t k, int64_t size, int64_t *idx,
                           int64_t *lo, int64_t *hi, int64_t *count) {
  int64_t ng = 0;
  for (int64_t i = 0; i < out; i++) {
    int64_t a, b, gi;
    valid_taps(i * s - pad, d, k, size, &a, &b);
    for (gi = 0; gi < ng && !(lo[gi] == a && hi[gi] == b); gi++) continue;
    if (gi == ng) {
      lo[ng] = a;
      hi[ng] = b;
      count[ng++] = 0;
    }
    count[gi]++;
  }
  /* idx grouped in group order, each group ascending */
  int64_t at = 0;
  for (int64_t gi = 0; gi < ng; gi++)
    for (int64_t i = 0; i < out; i++) {
      int64_t a, b;
      valid_taps(i * s - pad, d, k, size, &a, &b);
      if (a == lo[gi] && b == hi[gi]) idx[at++] = i;
    }
  return ng;
}

/* Sets up d's slices (output channels [g * og, (g + 1) * og) for each group) and pixel classes,
 * carving `extra` more bytes for the caller. The row and column lists live in d->dims (freed
 * by done()). */
static bool setup(dconv *d, carve *c, int64_t groups, int64_t og, size_t extra) {
  const isa *is = d->is;
  const int64_t oh = d->oh, ow = d->ow;
  int64_t *m = d->dims = malloc((size_t)(4 * (oh + ow)) * sizeof(int64_t));
  if (!m) return false;
  int64_t *ridx = m, *rlo = m + oh, *rhi = m + 2 * oh, *rcnt = m + 3 * oh;
  int64_t *cidx = m + 4 * oh, *clo = cidx + ow, *chi = cidx + 2 * ow, *ccnt = cidx + 3 * ow;
  const int64_t nrg = dim_classes(oh, d->sh, d->pt, d->dh, d->kh, d->h, ridx, rlo, rhi, rcnt);
  const int64_t ncg = dim_classes(ow, d->sw, d->pl, d->dw, d->kw, d->w, cidx, clo, chi, ccnt);
  const int nsl = (int)(groups * ceil_div(og, MAXNV * is->vl));
  size_t need = rounded((size_t)nsl * sizeof(slice)) + rounded((size_t)(nrg * ncg) * sizeof(pclass)) + extra;
  for (int64_t r = 0; r < nrg; r++)
    for (int64_t q = 0; q < ncg; q++) {
      const size_t K = (size_t)((rhi[r] - rlo[r]) * (chi[q] - clo[q]) * d->cin);
      need += rounded(K * sizeof(ptrdiff_t)) + rounded(K * sizeof(int32_t)) +
              2 * rounded((size_t)ccnt[q] * sizeof(ptrdiff_t));
    }
  *c = (carve){rill__conv_scratch(1, need), 0};
  if (!c->p) return false;
  d->slices = take(c, (size_t)nsl * sizeof(slice));
  d->nslices = 0;
  for (int64_t gi = 0; gi < groups; gi++)
    for (int64_t j = 0; j < og; j += MAXNV * is->vl) {
      int64_t wd = min64(og - j, MAXNV * is->vl);
      d->slices[d->nslices++] =
          (slice){.cin0 = gi * d->cin, .col0 = gi * og + j, .nout = wd, .nv = (int)ceil_div(wd, is->vl)};
    }
  d->cls = take(c, (size_t)(nrg * ncg) * sizeof(pclass));
  d->ncls = 0;
  d->npix = 0;
  d->ntasks = 0;
  const int64_t *rp = ridx;
  for (int64_t r = 0; r < nrg; rp += rcnt[r], r++) {
    const int64_t *cp = cidx;
    for (int64_t q = 0; q < ncg; cp += ccnt[q], q++) {
      pclass *k = &d->cls[d->ncls++];
      *k = (pclass){.a0 = rlo[r], .b0 = clo[q], .nr = rcnt[r], .nc = ccnt[q], .rows = rp, .cols = cp};
      k->npix = d->n * k->nr * k->nc;
      k->K = (rhi[r] - rlo[r]) * (chi[q] - clo[q]) * d->cin;
      ptrdiff_t *koff = take(c, (size_t)k->K * sizeof(ptrdiff_t));
      int32_t *krow = take(c, (size_t)k->K * sizeof(int32_t));
      int64_t j = 0;
      for (int64_t a = rlo[r]; a < rhi[r]; a++)
        for (int64_t b = clo[q]; b < chi[q]; b++)
          for (int64_t ci = 0; ci < d->cin; ci++, j++) {
            koff[j] = ((a - rlo[r]) * d->dh * d->w + (b - clo[q]) * d->dw) * d->c + ci;
            krow[j] = (int32_t)((a * d->kw + b) * d->cin + ci);
          }
      k->koff = koff;
      k->krow = krow;
      k->rows_seq = k->K == d->kh * d->kw * d->cin;
      ptrdiff_t *xcol = take(c, (size_t)k->nc * sizeof(ptrdiff_t));
      ptrdiff_t *ycol = take(c, (size_t)k->nc * sizeof(ptrdiff_t));
      for (int64_t i = 0; i < k->nc; i++) {
        xcol[i] = k->K ? (cp[i] * d->sw - d->pl + k->b0 * d->dw) * d->c : 0;
        ycol[i] = cp[i] * d->o;
      }
      k->xcol = xcol;
      k->ycol = ycol;
      k->first = d->npix;
      d->npix += k->npix;
      k->rows_per_task = max64(16, TASK_MACS / max64(1, k->K * d->o));
      k->first_task = d->ntasks;
      d->ntasks += ceil_div(k->npix, k->rows_per_task);
    }
  }
  return true;
}

/* Frees what setup allocated outside the scratch, and large scratch. */
static void done(dconv *d) {
  free(d->dims);
  d->dims = NULL;
  rill__conv_scratch_release(1, RILL_CONV_SCRATCH_KEEP);
}

/* Walks a class's pixels from its pixel p: for each, the input offset of its first valid tap
 * (of channel 0) and the output offset of its channel 0. */
typedef struct walker {
  int64_t n, ri, ci;
  ptrdiff_t xrow, yrow; /* offsets of the current image row */
} walker;

static inline void walk_row(const dconv *d, const pclass *k, walker *w) {
  const int64_t oh = k->rows[w->ri];
  w->xrow = k->K ? (w->n * d->h + oh * d->sh - d->pt + k->a0 * d->dh) * d->w * d->c : 0;
  w->yrow = (w->n * d->oh + oh) * d->ow * d->o;
}

static walker walk_from(const dconv *d, const pclass *k, int64_t p) {
  const int64_t per = k->nr * k->nc;
  walker w = {p / per, p % per / k->nc, p % k->nc, 0, 0};
  walk_row(d, k, &w);
  return w;
}

static inline void walk_next(const dconv *d, const pclass *k, walker *w, ptrdiff_t *x, ptrdiff_t *y) {
  *x = w->xrow + k->xcol[w->ci];
  *y = w->yrow + k->ycol[w->ci];
  if (++w->ci == k->nc) {
    w->ci = 0;
    if (++w->ri == k->nr) {
      w->ri = 0;
      w->n++;
    }
    if (w->n < d->n) walk_row(d, k, w);
  }
}

/* ---- forward (and backprop input) ---- */

static void fwd_task(void *arg, int64_t b, int64_t e) {
  dconv *d = arg;
  for (int64_t t = b; t < e; t++) {
    int ki = 0;
    while (ki + 1 < d->ncls && d->cls[ki + 1].first_task <= t) ki++;
    const pclass *k = &d->cls[ki];
    const int64_t p0 = (t - k->first_task) * k->rows_per_task, p1 = min64(p0 + k->rows_per_task, k->npix);
    for (int si = 0; si < d->nslices; si++) {
      const slice *s = &d->slices[si];
      const int rr = d->is->rr[s->nv];
      const float *base[16];
      float *yrow[16];
      walker w = walk_from(d, k, p0);
      const float *in = d->in + (k->K ? s->cin0 : 0);
      float *out = d->out + s->col0;
      for (int64_t p = p0; p < p1; p += rr) {
        const int64_t nr = min64(rr, p1 - p);
        for (int64_t i = 0; i < nr; i++) {
          ptrdiff_t xo, yo;
          walk_next(d, k, &w, &xo, &yo);
          base[i] = in + xo;
          yrow[i] = out + yo;
        }
        for (int64_t i = nr; i < rr; i++) {
          base[i] = base[0];
          yrow[i] = yrow[0];
        }
        (k->rows_seq ? d->is->fwdc : d->is->fwd)[s->nv](base, yrow, k->koff, k->krow, k->K, s->B, s->nout, nr);
      }
    }
  }
}

/* ---- entry points ---- */

bool rill__conv_direct_usable(const rill_conv_geom *g, rill_dtype t, int pass) {
  if (t != RILL_FLOAT || g->groups < 1 || g->c % g->groups || g->o % g->groups) return false;
  int64_t cg = g->c / g->groups, og = g->o / g->groups, K = g->kh * g->kw * cg;
  const isa *is = isa_for(pass == 1 ? cg : og);
  if (!is) return false;
  if (pass == 1) {
    /* backprop input: stride 1, enough input channels to fill vectors, and windows that meet
     * dy in a third of their taps on average (LeNet's 1x1 -> 5x5 C5 layer, at 1/25, runs at 62
     * GFLOP/s here and 95 through GEMM + col2im) */
    if (g->sh != 1 || g->sw != 1 || cg < is->vl / 2 || 3 * g->oh * g->ow < g->h * g->w) return false;
    K = g->kh * g->kw * og;
  }
  return K > 0 && K * MAXNV * is->vl <= MAX_B_FLOATS && K <= INT32_MAX;
}

bool rill__conv_direct_forward(const rill_conv_geom *g, const float *x, const float *f, float *y,
                               const rill_conv_exec *ex) {
  const int64_t cg = g->c / g->groups, og = g->o / g->groups, K = g->kh * g->kw * cg;
  const isa *is = isa_for(og);
  if (g->n * g->oh * g->ow == 0 || g->o == 0) return true;
  dconv d = {.is = is, .in = x, .n = g->n, .h = g->h, .w = g->w, .c = g->c, .oh = g->oh, .ow = g->ow, .sh = g->sh,
             .sw = g->sw, .dh = g->dh, .dw = g->dw, .pt = g->pt, .pl = g->pl, .kh = g->kh, .kw = g->kw, .cin = cg,
             .o = g->o, .out = y};
  const int64_t nsl = g->groups * ceil_div(og, MAXNV * is->vl);
  carve c;
  if (!setup(&d, &c, g->groups, og, (size_t)nsl * rounded((size_t)(K * MAXNV * is->vl) * sizeof(float)))) {
    done(&d);
    return false;
  }
  for (int si = 0; si < d.nslices; si++) { /* B[k][j] = f[k][col0 + j], zero past nout */
    slice *s = &d.slices[si];
    const int64_t w = s->nv * is->vl;
    s->B = take(&c, (size_t)(K * w) * sizeof(float));
    for (int64_t k = 0; k < K; k++) {
      memcpy(s->B + k * w, f + k * g->o + s->col0, (size_t)s->nout * sizeof(float));
      memset(s->B + k * w + s->nout, 0, (size_t)(w - s->nout) * sizeof(float));
    }
  }
  rill__conv_run(ex, d.ntasks, fwd_task, &d);
  done(&d);
  return true;
}

/* dx[ih] = sum over taps of dy[ih + pt - kh * dh] * f[kh]: with a = kh_max - kh that is a
 * forward convolution at stride 1 of dy seen from (kh - 1) * dh - pt rows above (and likewise
 * columns left), over the filter turned 180 degrees with its channel axes swapped. */
bool rill__conv_direct_backprop_input(const rill_conv_geom *g, const float *dy, const float *f, float *dx,
                                      const rill_conv_exec *ex) {
  const int64_t cg = g->c / g->groups, og = g->o / g->groups, K = g->kh * g->kw * og;
  const isa *is = isa_for(cg);
  if (g->n * g->h * g->w == 0 || g->c == 0) return true;
  dconv d = {.is = is, .in = dy, .n = g->n, .h = g->oh, .w = g->ow, .c = g->o, .oh = g->h, .ow = g->w, .sh = 1,
             .sw = 1, .dh = g->dh, .dw = g->dw, .pt = (g->kh - 1) * g->dh - g->pt,
             .pl = (g->kw - 1) * g->dw - g->pl, .kh = g->kh, .kw = g->kw, .cin = og, .o = g->c, .out = dx};
  const int64_t nsl = g->groups * ceil_div(cg, MAXNV * is->vl);
  carve c;
  if (!setup(&d, &c, g->groups, cg, (size_t)nsl * rounded((size_t)(K * MAXNV * is->vl) * sizeof(float)))) {
    done(&d);
    return false;
  }
  for (int si = 0; si < d.nslices; si++) {
    slice *s = &d.slices[si];
    const int64_t w = s->nv * is->vl, gi = s->col0 / cg, c0 = s->col0 - gi * cg;
    s->B = take(&c, (size_t)(K * w) * sizeof(float));
    /* B[(a, b, o)][j] = f[kh - 1 - a][kw - 1 - b][c0 + j][gi * og + o] */
    for (int64_t a = 0; a < g->kh; a++)
      for (int64_t b = 0; b < g->kw; b++)
        for (int64_t oi = 0; oi < og; oi++) {
          float *row = s->B + ((a * g->kw + b) * og + oi) * w;
          const float *src = f + (((g->kh - 1 - a) * g->kw + (g->kw - 1 - b)) * cg + c0) * g->o + gi * og + oi;
          for (int64_t j = 0; j < s->nout; j++) row[j] = src[j * g->o];
          memset(row + s->nout, 0, (size_t)(w - s->nout) * sizeof(float));
        }
  }
  rill__conv_run(ex, d.ntasks, fwd_task, &d);
  done(&d);
  return true;
}

/* ---- backprop filter ---- */

/* Part p sums the pixels [p * part_rows, ...) of the class-ordered sequence into its own
 * filter-shaped partials (one [K][nv * vl] block per slice). */
static void bwf_task(void *arg, int64_t b, int64_t e) {
  dconv *d = arg;
  const isa *is = d->is;
  const float *dy_end = d->dy + d->n * d->oh * d->ow * d->o;
  for (int64_t part = b; part < e; part++) {
    float *acc = d->partials + part * d->part_floats;
    memset(acc, 0, (size_t)d->part_floats * sizeof(float));
    const int64_t lo = part * d->part_rows, hi = min64(lo + d->part_rows, d->npix);
    /* per pass: base and dy pointers without and with the slice's offsets, and a staged dy row */
    const float **ptr = rill__conv_scratch(0, 4 * BWF_ROWS * sizeof(float *) + STAGE_ROWS * MAXNV * 16 * sizeof(float));
    if (!ptr) {
      __atomic_store_n(&d->failed, 1, __ATOMIC_RELAXED);
      return;
    }
    const float **base0 = ptr, **dy0 = ptr + BWF_ROWS, **base = ptr + 2 * BWF_ROWS, **dyr = ptr + 3 * BWF_ROWS;
    float *stage = (float *)(ptr + 4 * BWF_ROWS);
    for (int ki = 0; ki < d->ncls; ki++) {
      const pclass *k = &d->cls[ki];
      const int64_t s0 = max64(lo, k->first), s1 = min64(hi, k->first + k->npix);
      if (s1 <= s0 || k->K == 0) continue;
      walker w = walk_from(d, k, s0 - k->first);
      for (int64_t p0 = s0; p0 < s1; p0 += BWF_ROWS) {
        const int64_t nr = min64(BWF_ROWS, s1 - p0);
        for (int64_t i = 0; i < nr; i++) {
          ptrdiff_t xo, yo;
          walk_next(d, k, &w, &xo, &yo);
          base0[i] = d->in + xo;
          dy0[i] = d->dy + yo;
        }
        float *sacc = acc;
        for (int si = 0; si < d->nslices; si++) {
          const slice *s = &d->slices[si];
          const int64_t wd = s->nv * is->vl;
          for (int64_t i = 0; i < nr; i++) {
            base[i] = base0[i] + s->cin0;
            dyr[i] = dy0[i] + s->col0;
            /* dy rows are read wd lanes wide: lanes past nout see the next rows' values and feed
             * partial sums that are never read, but rows within wd of dy's end are staged (at most
             * wd of them: STAGE_ROWS) */
            if (dyr[i] + wd > dy_end) {
              float *st = stage + (dy_end - dyr[i]) * MAXNV * 16;
              memcpy(st, dyr[i], (size_t)s->nout * sizeof(float));
              memset(st + s->nout, 0, (size_t)(wd - s->nout) * sizeof(float));
              dyr[i] = st;
            }
          }
          const int kbmax = is->kbmax[s->nv];
          const int64_t kb = ceil_div(k->K, ceil_div(k->K, kbmax));
          for (int64_t k0 = 0; k0 < k->K; k0 += kb) {
            const int64_t nk = min64(kb, k->K - k0);
            is->bwf[s->nv][nk](base, dyr, nr, k->koff + k0, k->krow + k0, sacc);
          }
          sacc += d->K * wd;
        }
      }
    }
  }
}

typedef struct sum_job {
  dconv *d;
  float *df;
  int64_t chunk;
} sum_job;

/* df[k][col0 + j] = the slices' partial sums added in part order. */
static void sum_task(void *arg, int64_t b, int64_t e) {
  sum_job *j = arg;
  dconv *d = j->d;
  int64_t off = 0;
  for (int si = 0; si < d->nslices; si++) {
    const slice *s = &d->slices[si];
    const int64_t w = s->nv * d->is->vl;
    for (int64_t k = b * j->chunk; k < min64(e * j->chunk, d->K); k++) {
      float *dst = j->df + k * d->o + s->col0;
      const float *p0 = d->partials + off + k * w;
      for (int64_t l = 0; l < s->nout; l++) dst[l] = p0[l];
      for (int64_t p = 1; p < d->parts; p++) {
        const float *pp = p0 + p * d->part_floats;
        for (int64_t l = 0; l < s->nout; l++) dst[l] += pp[l];
      }
    }
    off += d->K * w;
  }
}

bool rill__conv_direct_backprop_filter(const rill_conv_geom *g, const float *x, const float *dy, float *df,
                                       const rill_conv_exec *ex) {
  const int64_t cg = g->c / g->groups, og = g->o / g->groups, K = g->kh * g->kw * cg;
  const isa *is = isa_for(og);
  const int64_t rows = g->n * g->oh * g->ow;
  if (K * g->o == 0) return true;
  if (rows == 0) {
    memset(df, 0, (size_t)(K * g->o) * sizeof(float));
    return true;
  }
  const int64_t opad = g->groups * ceil_div(og, is->vl) * is->vl; /* channels with every slice's padding */
  int64_t parts = ceil_div(rows * K * g->o, PART_MACS);
  parts = max64(1, min64(min64(parts, MAX_PARTS), rows));
  const int64_t part_rows = ceil_div(rows, parts);
  parts = ceil_div(rows, part_rows);
  dconv d = {.is = is, .in = x, .n = g->n, .h = g->h, .w = g->w, .c = g->c, .oh = g->oh, .ow = g->ow, .sh = g->sh,
             .sw = g->sw, .dh = g->dh, .dw = g->dw, .pt = g->pt, .pl = g->pl, .kh = g->kh, .kw = g->kw, .cin = cg,
             .o = g->o, .dy = dy, .K = K, .parts = parts, .part_rows = part_rows, .part_floats = K * opad};
  carve c;
  if (!setup(&d, &c, g->groups, og, rounded((size_t)(parts * K * opad) * sizeof(float)))) {
    done(&d);
    return false;
  }
  d.partials = take(&c, (size_t)(parts * K * opad) * sizeof(float));
  rill__conv_run(ex, parts, bwf_task, &d);
  if (!d.failed) {
    sum_job sj = {.d = &d, .df = df, .chunk = max64(1, 16384 / opad)};
    const int64_t chunks = ceil_div(K, sj.chunk);
    if (ex && ex->parallel && ex->threads > 1 && chunks > 1)
      ex->parallel(ex->ctx, chunks, sum_task, &sj);
    else
      sum_task(&sj, 0, chunks);
  }
  done(&d);
  return !d.failed;
}
