/* The strided copy engine behind the data-movement kernels (Slice, StridedSlice, Pad,
 * Concat, Split, Pack, Unpack, Tile, Transpose, Gather): one loop nest that every kernel
 * describes as shape + strides on both sides.
 *
 * Dimensions of size 1 are dropped and neighbours that are contiguous on both sides merged,
 * so most copies become a few long memcpy runs. When the destination's innermost dimension
 * reads the source with a stride (a transpose) and some other dimension is contiguous in the
 * source, that pair is copied in square tiles so that both sides stay in cache. Work is split
 * over the outer rows; a copy has no arithmetic, so results never depend on the split. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

#define TILE_BUF 16384 /* bytes of one transposing tile */

/* element moves through these types may touch any dtype's storage */
typedef uint8_t __attribute__((may_alias)) u8a;
typedef uint32_t __attribute__((may_alias)) u32a;
typedef uint64_t __attribute__((may_alias)) u64a;

typedef struct plan {
  int n_outer;
  int64_t oshape[RILL__COPY_MAX_RANK], odst[RILL__COPY_MAX_RANK], osrc[RILL__COPY_MAX_RANK];
  int64_t inner, idst, isrc; /* the innermost loop */
  int64_t tn, tdst, tb;      /* tiled partner dimension (tn 0: none; its source stride is 1), tile edge */
  int64_t doff, soff;
  size_t esz;
  bool str;
  rill_tensor *dst;
  const rill_tensor *src;
  atomic_bool failed;
} plan;

void rill__strides(rill_shape s, int64_t *strides) {
  int64_t acc = 1;
  for (int i = s.rank - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= s.dims[i];
  }
}

static inline void cp1(char *d, const char *s, size_t esz) {
  switch (esz) {
    case 1: *d = *s; break;
    case 2: memcpy(d, s, 2); break;
    case 4: memcpy(d, s, 4); break;
    case 8: memcpy(d, s, 8); break;
    default: memcpy(d, s, esz); break;
  }
}

static bool cp_str(plan *p, int64_t di, int64_t si) {
  const rill_string *s = (const rill_string *)p->src->data + si;
  if (rill_tensor_set_string(p->dst, di, s->data ? s->data : "", s->len)) return true;
  atomic_store(&p->failed, true);
  return false;
}

/* Copies n elements along one dimension with the given strides. */
static void run_line(plan *p, int64_t d, int64_t s, int64_t n, int64_t ds, int64_t ss) {
  if (p->str) {
    for (int64_t t = 0; t < n; t++)
      if (!cp_str(p, d + t * ds, s + t * ss)) return;
    return;
  }
  size_t esz = p->esz;
  char *db = (char *)p->dst->data;
  const char *sb = (const char *)p->src->data;
  if (ds == 1 && ss == 1) {
    memcpy(db + (size_t)d * esz, sb + (size_t)s * esz, (size_t)n * esz);
    return;
  }
  /* typed loops so the compiler emits plain moves */
  switch (esz) {
    case 4: {
      u32a *dd = (u32a *)(void *)db + d;
      const u32a *sp = (const u32a *)(const void *)sb + s;
      for (int64_t t = 0; t < n; t++) dd[t * ds] = sp[t * ss];
      break;
    }
    case 8: {
      u64a *dd = (u64a *)(void *)db + d;
      const u64a *sp = (const u64a *)(const void *)sb + s;
      for (int64_t t = 0; t < n; t++) dd[t * ds] = sp[t * ss];
      break;
    }
    case 1: {
      u8a *dd = (u8a *)db + d;
      const u8a *sp = (const u8a *)sb + s;
      for (int64_t t = 0; t < n; t++) dd[t * ds] = sp[t * ss];
      break;
    }
    default:
      for (int64_t t = 0; t < n; t++) cp1(db + (size_t)(d + t * ds) * esz, sb + (size_t)(s + t * ss) * esz, esz);
  }
}

/* Destination and source offsets of outer row o. */
static void outer_offsets(const plan *p, int64_t o, int64_t *d, int64_t *s) {
  *d = p->doff;
  *s = p->soff;
  for (int i = p->n_outer - 1; i >= 0; i--) {
    int64_t x = o % p->oshape[i];
    o /= p->oshape[i];
    *d += x * p->odst[i];
    *s += x * p->osrc[i];
  }
}

/* One tile: element (j, t) is src[s + j + t*isrc] and dst[d + j*tdst + t]. Source rows go
 * whole into a small buffer, destination rows come out of it whole, so each cache line on
 * either side is touched once however badly the strides alias. */
static void run_tile(const plan *p, int64_t d, int64_t s, int64_t jn, int64_t tn) {
  _Alignas(64) unsigned char buf[TILE_BUF];
  size_t esz = p->esz, tb = (size_t)p->tb;
  char *db = (char *)p->dst->data;
  const char *sb = (const char *)p->src->data;
  for (int64_t t = 0; t < tn; t++) memcpy(buf + (size_t)t * tb * esz, sb + (size_t)(s + t * p->isrc) * esz, (size_t)jn * esz);
  for (int64_t j = 0; j < jn; j++) {
    char *row = db + (size_t)(d + j * p->tdst) * esz;
    switch (esz) {
      case 4:
        for (int64_t t = 0; t < tn; t++) ((u32a *)(void *)row)[t] = ((const u32a *)(const void *)buf)[(size_t)t * tb + j];
        break;
      case 8:
        for (int64_t t = 0; t < tn; t++) ((u64a *)(void *)row)[t] = ((const u64a *)(const void *)buf)[(size_t)t * tb + j];
        break;
      case 1:
        for (int64_t t = 0; t < tn; t++) ((u8a *)row)[t] = buf[(size_t)t * tb + j];
        break;
      default:
        for (int64_t t = 0; t < tn; t++) cp1(row + (size_t)t * esz, (const char *)buf + ((size_t)t * tb + j) * esz, esz);
    }
  }
}

/* Work items [b, e) of a tiled copy: (outer row, block of TSPAN inner indices, band of tb
 * partner indices), bands fastest, so consecutive items reread the same source pages while
 * the TLB still maps them. */
#define TSPAN 256
static void run_tiled(void *arg, int64_t b, int64_t e) {
  plan *p = arg;
  int64_t bands = (p->tn + p->tb - 1) / p->tb, spans = (p->inner + TSPAN - 1) / TSPAN;
  for (int64_t r = b; r < e; r++) {
    int64_t band = r % bands, span = (r / bands) % spans, o = r / bands / spans;
    int64_t d, s, j0 = band * p->tb, jn = p->tn - j0 < p->tb ? p->tn - j0 : p->tb;
    int64_t t_end = (span + 1) * TSPAN < p->inner ? (span + 1) * TSPAN : p->inner;
    outer_offsets(p, o, &d, &s);
    d += j0 * p->tdst;
    s += j0;
    for (int64_t t0 = span * TSPAN; t0 < t_end; t0 += p->tb)
      run_tile(p, d + t0, s + t0 * p->isrc, jn, t_end - t0 < p->tb ? t_end - t0 : p->tb);
  }
}

static void run_rows(void *arg, int64_t b, int64_t e) {
  plan *p = arg;
  int64_t idx[RILL__COPY_MAX_RANK], rem = b, d, s;
  outer_offsets(p, b, &d, &s);
  for (int i = p->n_outer - 1; i >= 0; i--) {
    idx[i] = rem % p->oshape[i];
    rem /= p->oshape[i];
  }
  for (int64_t r = b; r < e && !atomic_load_explicit(&p->failed, memory_order_relaxed); r++) {
    run_line(p, d, s, p->inner, p->idst, p->isrc);
    /* odometer step */
    for (int i = p->n_outer - 1; i >= 0; i--) {
      d += p->odst[i];
      s += p->osrc[i];
      if (++idx[i] < p->oshape[i]) break;
      d -= p->odst[i] * p->oshape[i];
      s -= p->osrc[i] * p->oshape[i];
      idx[i] = 0;
    }
  }
}

bool rill__copy_run(rill_kctx *k, rill_tensor *dst, const rill_tensor *src, const rill__copy *c) {
  /* drop size-1 dimensions, stop at empty copies */
  int64_t sh[RILL__COPY_MAX_RANK], ds[RILL__COPY_MAX_RANK], ss[RILL__COPY_MAX_RANK];
  int r = 0;
  for (int i = 0; i < c->rank; i++) {
    if (c->shape[i] == 0) return true;
    if (c->shape[i] == 1) continue;
    sh[r] = c->shape[i];
    ds[r] = c->dstride[i];
    ss[r] = c->sstride[i];
    r++;
  }
  /* merge neighbours contiguous on both sides */
  int m = 0;
  for (int i = 0; i < r; i++) {
    if (m > 0 && ds[m - 1] == ds[i] * sh[i] && ss[m - 1] == ss[i] * sh[i]) {
      sh[m - 1] *= sh[i];
      ds[m - 1] = ds[i];
      ss[m - 1] = ss[i];
      continue;
    }
    sh[m] = sh[i];
    ds[m] = ds[i];
    ss[m] = ss[i];
    m++;
  }
  plan p;
  memset(&p, 0, sizeof p);
  p.esz = rill_dtype_size(src->dtype);
  p.str = src->dtype == RILL_STRING;
  p.dst = dst;
  p.src = src;
  p.doff = c->doff;
  p.soff = c->soff;
  atomic_init(&p.failed, false);
  if (m == 0) {
    p.inner = 1;
    p.idst = p.isrc = 1;
    run_rows(&p, 0, 1);
  } else {
    p.inner = sh[m - 1];
    p.idst = ds[m - 1];
    p.isrc = ss[m - 1];
    int partner = -1;
    if (!p.str && p.idst == 1 && p.isrc != 1 && p.inner >= 8 && p.esz <= 16)
      for (int i = 0; i < m - 1; i++)
        if (ss[i] == 1 && sh[i] >= 8) partner = i;
    if (partner >= 0) {
      p.tn = sh[partner];
      p.tdst = ds[partner];
      /* tiles of up to four cache lines per row, within a 16 KiB buffer */
      p.tb = (int64_t)(256 / p.esz);
      while (p.tb > 1 && (size_t)(p.tb * p.tb) * p.esz > TILE_BUF) p.tb /= 2;
    }
    for (int i = 0; i < m - 1; i++) {
      if (i == partner) continue;
      p.oshape[p.n_outer] = sh[i];
      p.odst[p.n_outer] = ds[i];
      p.osrc[p.n_outer] = ss[i];
      p.n_outer++;
    }
    int64_t rows = 1;
    for (int i = 0; i < p.n_outer; i++) rows *= p.oshape[i];
    if (p.tn) {
      int64_t spans = (p.inner + TSPAN - 1) / TSPAN, items = rows * spans * ((p.tn + p.tb - 1) / p.tb);
      int64_t per = p.tb * (p.inner < TSPAN ? p.inner : TSPAN);
      int64_t grain = per >= 16384 ? 1 : 16384 / per;
      if (k && items > grain)
        rill_k_parallel_for(k, items, grain, run_tiled, &p);
      else
        run_tiled(&p, 0, items);
    } else {
      int64_t grain = p.inner >= 16384 ? 1 : 16384 / p.inner;
      if (k && rows > grain)
        rill_k_parallel_for(k, rows, grain, run_rows, &p);
      else
        run_rows(&p, 0, rows);
    }
  }
  if (atomic_load(&p.failed)) {
    if (k) rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory copying strings");
    return false;
  }
  return true;
}

bool rill__copy_elems(rill_tensor *dst, int64_t doff, const rill_tensor *src, int64_t soff, int64_t n) {
  if (n <= 0) return true;
  if (src->dtype != RILL_STRING) {
    size_t esz = rill_dtype_size(src->dtype);
    memcpy((char *)dst->data + (size_t)doff * esz, (const char *)src->data + (size_t)soff * esz, (size_t)n * esz);
    return true;
  }
  const rill_string *s = (const rill_string *)src->data + soff;
  for (int64_t i = 0; i < n; i++)
    if (!rill_tensor_set_string(dst, doff + i, s[i].data ? s[i].data : "", s[i].len)) return false;
  return true;
}

void rill__fill_value(rill_tensor *t, double v) {
  switch (t->dtype) {
    case RILL_FLOAT: {
      float *d = t->data, f = (float)v;
      for (int64_t i = 0; i < t->n; i++) d[i] = f;
      break;
    }
    case RILL_DOUBLE: {
      double *d = t->data;
      for (int64_t i = 0; i < t->n; i++) d[i] = v;
      break;
    }
    case RILL_INT32: {
      int32_t *d = t->data, f = (int32_t)v;
      for (int64_t i = 0; i < t->n; i++) d[i] = f;
      break;
    }
    case RILL_INT64: {
      int64_t *d = t->data, f = (int64_t)v;
      for (int64_t i = 0; i < t->n; i++) d[i] = f;
      break;
    }
    case RILL_UINT8: memset(t->data, (uint8_t)v, (size_t)t->n); break;
    case RILL_BOOL: memset(t->data, v != 0, (size_t)t->n); break;
    default: break;
  }
}

char *rill__index_str(rill_shape s, int64_t i, char *buf, size_t cap) {
  int64_t idx[RILL_MAX_RANK];
  for (int d = s.rank - 1; d >= 0; d--) {
    idx[d] = s.dims[d] ? i % s.dims[d] : 0;
    i = s.dims[d] ? i / s.dims[d] : 0;
  }
  size_t used = (size_t)snprintf(buf, cap, "[");
  for (int d = 0; d < s.rank && used < cap; d++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", d ? "," : "", (long long)idx[d]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
  return buf;
}
