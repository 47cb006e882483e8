/* numpy.random.RandomState (legacy MT19937) for the toy examples, so that their generated
 * data are the very numbers the notes' Python programs feed: RandomState(1).rand(128, 2) here
 * gives numpy's values bit for bit, and permutation(n) shuffles like numpy's.
 * Header-only; shared by toy_classifier.c and custom_loss.c. */
#ifndef RILL_EXAMPLES_NUMPY_RANDOM_H
#define RILL_EXAMPLES_NUMPY_RANDOM_H

#include <stdint.h>

#define NP_MT_N 624

typedef struct np_random {
  uint32_t key[NP_MT_N];
  int pos;
} np_random;

/* RandomState(seed): MT19937's init_genrand. */
static inline void np_random_seed(np_random *r, uint32_t seed) {
  for (int i = 0; i < NP_MT_N; i++) {
    r->key[i] = seed;
    seed = 1812433253u * (seed ^ (seed >> 30)) + (uint32_t)i + 1;
  }
  r->pos = NP_MT_N;
}

static inline uint32_t np_random_uint32(np_random *r) {
  if (r->pos == NP_MT_N) {
    for (int i = 0; i < NP_MT_N; i++) {
      uint32_t y = (r->key[i] & 0x80000000u) | (r->key[(i + 1) % NP_MT_N] & 0x7fffffffu);
      r->key[i] = r->key[(i + 397) % NP_MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    r->pos = 0;
  }
  uint32_t y = r->key[r->pos++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

/* rand(): a 53-bit double in [0, 1). */
static inline double np_random_rand(np_random *r) {
  uint32_t a = np_random_uint32(r) >> 5, b = np_random_uint32(r) >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

/* Uniform integer in [0, max] by masked rejection (numpy's random_interval, max < 2^32). */
static inline uint32_t np_random_interval(np_random *r, uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t v;
  while ((v = np_random_uint32(r) & mask) > max) {
  }
  return v;
}

/* permutation(n): out[0..n) = a shuffled arange(n), as numpy's legacy shuffle does it. */
static inline void np_random_permutation(np_random *r, int64_t *out, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) out[i] = i;
  for (uint32_t i = n; i-- > 1;) {
    uint32_t j = np_random_interval(r, i);
    int64_t t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

#endif
