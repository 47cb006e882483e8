/* float32 exp and tanh written so that loops calling them vectorize (libm's expf/tanhf are
 * calls, one element at a time). They are Eigen's algorithms, which TF's CPU kernels use:
 * exp is Cephes' (range reduction by ln 2, degree-6 polynomial; about 1 ulp) and tanh is
 * Eigen's 13/6 rational approximation clamped at +-7.9 (a few ulp). NaN gives NaN, +-inf the
 * limits. */
#ifndef RILL_KERNELS_CPU_VMATH_H
#define RILL_KERNELS_CPU_VMATH_H

#include <stdint.h>
#include <math.h>
#include <string.h>

static inline float rill__bits_to_float(int32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static inline float rill_vexpf(float x) {
  const float hi = 88.7228394f, lo = -104.0f;
  float c = x > hi ? hi : x;
  c = c < lo ? lo : c;
  c = c != c ? 0.0f : c; /* NaN: any in-range value; the result is replaced below */
  /* m = round(c / ln 2), floor taken through a truncating conversion (vectorizes on SSE2) */
  float t = c * 1.44269504088896341f + 0.5f;
  int32_t mi = (int32_t)t;
  mi -= (float)mi > t;
  float m = (float)mi;
  float r = c - m * 0.693359375f;
  r = r - m * -2.12194440e-4f;
  float r2 = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r2 + r + 1.0f;
  /* 2^m in two normal factors, so results down to the denormals come out right */
  int32_t e1 = mi >> 1, e2 = mi - e1;
  y = y * rill__bits_to_float((e1 + 127) << 23) * rill__bits_to_float((e2 + 127) << 23);
  y = x > hi ? HUGE_VALF : y; /* overflow, +inf included */
  return x != x ? x : y;
}

static inline float rill_vtanhf(float x) {
  const float clamp = 7.90531110763549805f;
  float c = x > clamp ? clamp : x;
  c = c < -clamp ? -clamp : c;
  float x2 = c * c;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * c;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  float y = p / q;
  y = (x < 0.0004f && x > -0.0004f) ? x : y; /* tanh(x) = x to float precision */
  return x != x ? x : y;
}

#endif
