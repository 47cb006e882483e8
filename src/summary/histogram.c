/* TF's histogram with its default exponential buckets (tensorflow/core/lib/histogram). Values
 * are binned exactly as TF's std::upper_bound over the limits does, but through a table keyed
 * by a double's sign, exponent and top three mantissa bits: each key's range spans a factor of
 * at most 1.125 and limits grow by 1.1, so the search from the table's start takes at most two
 * steps. Histograms of a whole weight matrix every training step stay cheap that way. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "summary/summary_internal.h"

/* 1e-12 * 1.1^k < 1e20 holds for k < 774; both halves, 0 and the two DBL_MAX edges fit. */
#define MAX_LIMITS 1600
#define KEY_SHIFT 49 /* 64 bits - sign - 11 exponent bits - 3 mantissa bits */
#define N_KEYS (1u << (64 - KEY_SHIFT))

static double limits[MAX_LIMITS + 1]; /* plus an infinite sentinel that stops every scan */
static size_t n_limits;
static uint16_t start_of_key[N_KEYS];
static pthread_once_t limits_once = PTHREAD_ONCE_INIT;

static size_t upper_bound(double v) {
  size_t lo = 0, hi = n_limits;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (limits[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static double from_bits(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* Built by repeated multiplication, not pow(), so every limit is bit-identical to TF's. */
static void build_limits(void) {
  double pos[MAX_LIMITS / 2];
  size_t np = 0;
  for (double v = 1.0e-12; v < 1.0e20 && np < MAX_LIMITS / 2 - 1; v *= 1.1) pos[np++] = v;
  pos[np++] = DBL_MAX;
  size_t k = 0;
  for (size_t i = np; i-- > 0;) limits[k++] = -pos[i];
  limits[k++] = 0.0;
  for (size_t i = 0; i < np; i++) limits[k++] = pos[i];
  n_limits = k;
  limits[k] = INFINITY;
  /* Each key's start is upper_bound of the smallest value with that key: its lowest magnitude
   * for positive keys, minus the next key's lowest magnitude for negative ones. */
  const uint32_t half = N_KEYS / 2;
  for (uint32_t key = 0; key < half; key++) {
    double lo = from_bits((uint64_t)key << KEY_SHIFT);
    double hi = key + 1 < half ? from_bits((uint64_t)(key + 1) << KEY_SHIFT) : INFINITY;
    start_of_key[key] = isnan(lo) ? 0 : (uint16_t)upper_bound(lo);
    start_of_key[key + half] = isnan(hi) ? 0 : (uint16_t)upper_bound(-hi);
  }
}

const double *rill__histogram_limits(size_t *n) {
  pthread_once(&limits_once, build_limits);
  *n = n_limits;
  return limits;
}

bool rill__histogram_init(rill__histogram *h) {
  size_t n;
  rill__histogram_limits(&n);
  h->min = DBL_MAX;
  h->max = -DBL_MAX;
  h->num = h->sum = h->sum_squares = 0;
  h->counts = calloc(n, sizeof *h->counts);
  return h->counts != NULL;
}

void rill__histogram_free(rill__histogram *h) {
  free(h->counts);
  h->counts = NULL;
}

/* The first limit above v (TF's upper_bound); n_limits for DBL_MAX. At most two limits lie
 * between a key's start and any value with that key (a factor of 1.1^2 = 1.21 does not fit in
 * 1.125), so two branch-free steps finish the search: normally distributed weights would
 * mispredict a loop's exit every other value. */
static inline size_t bucket_of(double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  size_t i = start_of_key[bits >> KEY_SHIFT];
  i += limits[i] <= v;
  i += limits[i] <= v;
  return i;
}

size_t rill__histogram_bucket(double v) {
  pthread_once(&limits_once, build_limits);
  return bucket_of(v);
}

size_t rill__histogram_bucket_reference(double v) {
  pthread_once(&limits_once, build_limits);
  return upper_bound(v);
}

/* TF's Histogram::Add for each value, in order (the sums are bit-identical to TF's); stops at
 * the first non-finite value. */
#define ADD_VALUES(NAME, T)                                                   \
  int64_t NAME(rill__histogram *h, const T *vals, int64_t n) {               \
    double mn = h->min, mx = h->max, sum = h->sum, sq = h->sum_squares;     \
    uint64_t *counts = h->counts;                                           \
    const size_t last = n_limits - 1;                                       \
    int64_t i = 0;                                                          \
    for (; i < n; i++) {                                                    \
      double v = (double)vals[i];                                           \
      if (!isfinite(v)) break;                                              \
      size_t b = bucket_of(v);                                              \
      counts[b < last ? b : last]++; /* DBL_MAX: the last bucket */        \
      mn = v < mn ? v : mn;                                                 \
      mx = v > mx ? v : mx;                                                 \
      sum += v;                                                             \
      sq += v * v;                                                          \
    }                                                                       \
    h->min = mn;                                                            \
    h->max = mx;                                                            \
    h->sum = sum;                                                           \
    h->sum_squares = sq;                                                    \
    h->num += (double)i;                                                    \
    return i;                                                               \
  }
ADD_VALUES(rill__histogram_add_f32, float)
ADD_VALUES(rill__histogram_add_f64, double)

void rill__histogram_add(rill__histogram *h, double v) { rill__histogram_add_f64(h, &v, 1); }

/* proto3 leaves out a double only when its bits are zero (-0.0 is written). */
static void put_double(rill__pb_buf *b, uint32_t field, double v) {
  if (rill__pb_double_bits(v) != 0) rill__pb_write_double(b, field, v);
}

void rill__histogram_encode(const rill__histogram *h, rill__pb_buf *b, uint32_t field) {
  double *lim = malloc(sizeof *lim * n_limits), *cnt = malloc(sizeof *cnt * n_limits);
  if (!lim || !cnt) {
    free(lim);
    free(cnt);
    b->failed = true;
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < n_limits;) {
    double end = limits[i], count = (double)h->counts[i];
    i++;
    if (count <= 0.0) { /* a run of empty buckets becomes one, ending at the run's last limit */
      while (i < n_limits && h->counts[i] == 0) {
        end = limits[i];
        i++;
      }
    }
    lim[k] = end;
    cnt[k] = count;
    k++;
  }
  if (k == 0) {
    lim[0] = DBL_MAX;
    cnt[0] = 0.0;
    k = 1;
  }
  size_t m = rill__pb_begin(b, field);
  put_double(b, 1, h->min);
  put_double(b, 2, h->max);
  put_double(b, 3, h->num);
  put_double(b, 4, h->sum);
  put_double(b, 5, h->sum_squares);
  rill__pb_write_packed_double(b, 6, lim, k);
  rill__pb_write_packed_double(b, 7, cnt, k);
  rill__pb_end(b, m);
  free(lim);
  free(cnt);
}
