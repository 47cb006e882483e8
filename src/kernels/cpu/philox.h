/* Philox4x32-10, the counter-based generator behind TensorFlow's random ops, and the
 * distributions TF draws from it (random_distributions.h), bit for bit.
 *
 * A generator is a 64-bit key and a 128-bit counter; every call returns four uint32 words
 * and advances the counter by one, so any position of the stream can be reached with a skip.
 * That is what makes the kernels parallel and thread-count independent: output group i of
 * a fill always uses counter base + i (base + i * 256 / 4 * group for truncated normal). */
#ifndef RILL_PHILOX_H
#define RILL_PHILOX_H
#include <stdint.h>

typedef struct rill_philox {
  uint32_t key[2];
  uint32_t counter[4];
} rill_philox;

/* TF's PhiloxRandom(seed_lo, seed_hi): the key from seed, the upper counter half from seed2. */
rill_philox rill__philox_init(uint64_t seed, uint64_t seed2);
/* Advances the counter by count 128-bit blocks. */
void rill__philox_skip(rill_philox *p, uint64_t count);
/* Four fresh words; advances the counter by one. */
void rill__philox_next(rill_philox *p, uint32_t out[4]);

/* TF's Uint32ToFloat / Uint64ToDouble: uniform in [0, 1) from mantissa bits. */
float rill__philox_u32_to_float(uint32_t x);
double rill__philox_u64_to_double(uint32_t hi, uint32_t lo);

/* Fills of n values starting at output group `first_group` of a stream whose base generator
 * is `base` (the generator is skipped to the group itself). Groups are 4 values for float
 * and 2 for double, as in TF. n counts values from the group's start. */
void rill__philox_uniform_float(rill_philox base, int64_t first_group, float *out, int64_t n);
void rill__philox_uniform_double(rill_philox base, int64_t first_group, double *out, int64_t n);
void rill__philox_normal_float(rill_philox base, int64_t first_group, float *out, int64_t n);
void rill__philox_normal_double(rill_philox base, int64_t first_group, double *out, int64_t n);
/* Standard normal values redrawn until |v| < 2 (TF's TruncatedNormalDistribution). */
void rill__philox_truncated_float(rill_philox base, int64_t first_group, float *out, int64_t n);
void rill__philox_truncated_double(rill_philox base, int64_t first_group, double *out, int64_t n);

/* One uint32 at a time from a generator (TF's SingleSampleAdapter). */
typedef struct rill_philox_single {
  rill_philox *gen;
  uint32_t buf[4];
  int used;
} rill_philox_single;
static inline rill_philox_single rill__philox_single(rill_philox *gen) {
  rill_philox_single s = {.gen = gen, .used = 4};
  return s;
}
uint32_t rill__philox_single_next(rill_philox_single *s);

#endif
