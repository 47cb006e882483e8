/* ImageSummary and AudioSummaryV2 (TF's summary_image_op.cc, summary_audio_op.cc): images
 * become PNGs and clips 16-bit WAVs inside Summary values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/math_internal.h"
#include "ops/summary_internal.h"
#include "summary/summary_internal.h"

/* ---- ImageSummary ---- */

static bool image_infer(rill_op *op) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (rill_op_input_dtype(op, 0) != RILL_STRING) return rill_op_shape_error(op, "tag must be a string");
  if (!rill__check_dtype(op, rill_op_input_dtype(op, 1), (1u << RILL__U8) | RILL__FLOATS, "T")) return false;
  int64_t max_images = rill_op_attr_int(op, "max_images", 3);
  if (max_images < 1)
    return rill_op_shape_error(op, "Value for attr 'max_images' of %lld must be at least minimum 1",
                               (long long)max_images);
  const rill_tensor *bad = rill_op_attr_tensor(op, "bad_color");
  if (bad && (bad->dtype != RILL_UINT8 || bad->shape.rank != 1))
    return rill_op_shape_error(op, "bad_color must be a 1-D uint8 tensor");
  return rill__summary_infer(op);
}

/* TF's NormalizeFloatImage for one image of hw pixels: finite pixels scaled by 255/max when
 * nothing is negative, else by 127/max|v| around 128 (min and max over finite pixels, in
 * float), then truncated; a pixel with any non-finite channel gets bad_color. The arithmetic is
 * in T (float or double), with the scale computed in float, as TF's templates do. */
#define NORMALIZE(T, NAME)                                                                        \
  static void NAME(const T *v, int64_t hw, int depth, const uint8_t *bad, uint8_t *out) {        \
    float lo = INFINITY, hi = -INFINITY;                                                         \
    for (int64_t i = 0; i < hw; i++) {                                                           \
      const T *p = v + i * depth;                                                                \
      bool finite = true;                                                                        \
      for (int j = 0; j < depth; j++) finite = finite && isfinite(p[j]);                         \
      if (!finite) continue;                                                                     \
      for (int j = 0; j < depth; j++) {                                                          \
        float x = (float)p[j];                                                                   \
        lo = x < lo ? x : lo;                                                                    \
        hi = hi < x ? x : hi;                                                                    \
      }                                                                                          \
    }                                                                                            \
    const float zero = 1e-6f;                                                                    \
    T scale, offset;                                                                             \
    if (lo < 0) {                                                                                \
      float m = fabsf(lo) > fabsf(hi) ? fabsf(lo) : fabsf(hi);                                   \
      scale = (T)(m < zero ? 0.0f : 127.0f / m);                                                 \
      offset = (T)128.0f;                                                                        \
    } else {                                                                                     \
      scale = (T)(hi < zero ? 0.0f : 255.0f / hi);                                               \
      offset = (T)0.0f;                                                                          \
    }                                                                                            \
    for (int64_t i = 0; i < hw; i++) {                                                           \
      const T *p = v + i * depth;                                                                \
      uint8_t *o = out + i * depth;                                                              \
      bool finite = true;                                                                        \
      for (int j = 0; j < depth; j++) finite = finite && isfinite(p[j]);                         \
      for (int j = 0; j < depth; j++) o[j] = finite ? (uint8_t)(p[j] * scale + offset) : bad[j]; \
    }                                                                                            \
  }
NORMALIZE(float, normalize_f32)
NORMALIZE(double, normalize_f64)

static bool image_kernel(rill_kctx *k) {
  const rill_string *tag = rill__summary_scalar_string(k, 0, "Tags must be a scalar");
  if (!tag) return false;
  rill_tensor *t = rill_k_in(k, 1);
  char s[160];
  const int64_t *d = t->shape.dims;
  if (t->shape.rank != 4 || (d[3] != 1 && d[3] != 3 && d[3] != 4))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Tensor must be 4-D with last dim 1, 3, or 4, not %s",
                       rill_shape_dbg(t->shape, s, sizeof s));
  if (d[0] >= (1ll << 31) || d[1] >= (1ll << 31) || d[2] >= (1ll << 31) || d[1] * d[2] >= (1ll << 29))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Tensor too large for summary %s",
                       rill_shape_dbg(t->shape, s, sizeof s));
  int batch = (int)d[0], h = (int)d[1], w = (int)d[2], depth = (int)d[3];
  int64_t hw = (int64_t)h * w;
  if (hw <= 0)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "input tensor must have non-zero dims. Found: [%d, %d, %d, %d].",
                       batch, h, w, depth);
  rill_op *op = rill_k_op(k);
  int64_t max_images = rill_op_attr_int(op, "max_images", 3);
  static const uint8_t red[4] = {255, 0, 0, 255};
  const uint8_t *bad = red;
  uint8_t *scratch = NULL;
  if (t->dtype != RILL_UINT8) {
    const rill_tensor *bc = rill_op_attr_tensor(op, "bad_color");
    if (bc) {
      if (bc->n < depth)
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "expected depth <= bad_color.size, got depth = %d, "
                           "bad_color.size = %lld", depth, (long long)bc->n);
      bad = bc->data;
    }
    scratch = malloc((size_t)(hw * depth));
    if (!scratch) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory for an image summary");
  }
  int n = max_images < batch ? (int)max_images : batch;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  bool ok = true;
  for (int i = 0; ok && i < n; i++) {
    const uint8_t *pixels;
    int64_t off = (int64_t)i * hw * depth;
    if (t->dtype == RILL_UINT8) {
      pixels = (const uint8_t *)t->data + off;
    } else {
      if (t->dtype == RILL_FLOAT) normalize_f32((const float *)t->data + off, hw, depth, bad, scratch);
      else normalize_f64((const double *)t->data + off, hw, depth, bad, scratch);
      pixels = scratch;
    }
    size_t value = rill__pb_begin(&b, RILL_SUMMARY_VALUE);
    rill__summary_put_indexed_tag(&b, tag, "image", max_images, i);
    size_t image = rill__pb_begin(&b, RILL_VALUE_IMAGE);
    rill__pb_write_int64(&b, 1, h);
    rill__pb_write_int64(&b, 2, w);
    rill__pb_write_int64(&b, 3, depth); /* colorspace: 1 gray, 3 RGB, 4 RGBA */
    /* The PNG's length is known only afterwards: encode into its own buffer. */
    rill__pb_buf png;
    rill__pb_buf_init(&png);
    ok = rill__png_encode(pixels, w, h, depth, &png);
    if (ok) rill__pb_write_bytes(&b, 4, png.data, png.len);
    rill__pb_buf_free(&png);
    rill__pb_end(&b, image);
    rill__pb_end(&b, value);
  }
  free(scratch);
  if (!ok) {
    rill__pb_buf_free(&b);
    return rill_k_fail(k, RILL_INTERNAL, "PNG encoding failed");
  }
  return rill__summary_output(k, &b);
}

const rill_op_def rill__image_summary_def = {.type = "ImageSummary", .infer = image_infer, .kernel = image_kernel,
                                             .flags = RILL_OP_NOT_DIFFERENTIABLE};

/* ---- AudioSummaryV2 ---- */

static bool audio_infer(rill_op *op) {
  if (op->n_inputs != 3) return rill_op_shape_error(op, "Expected 3 inputs but got %d", op->n_inputs);
  static const char *const args[3] = {"tag", "tensor", "sample_rate"};
  static const rill_dtype want[3] = {RILL_STRING, RILL_FLOAT, RILL_FLOAT};
  for (int i = 0; i < 3; i++) {
    rill_dtype t = rill_op_input_dtype(op, i);
    if (t != want[i]) {
      rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT,
                           "Input '%s' of 'AudioSummaryV2' Op has type %s that does not match expected type of %s.",
                           args[i], rill_dtype_name(t), rill_dtype_name(want[i]));
      return false;
    }
  }
  int64_t max_outputs = rill_op_attr_int(op, "max_outputs", 3);
  if (max_outputs < 1)
    return rill_op_shape_error(op, "Value for attr 'max_outputs' of %lld must be at least minimum 1",
                               (long long)max_outputs);
  return rill__summary_infer(op);
}

static bool audio_kernel(rill_kctx *k) {
  const rill_string *tag = rill__summary_scalar_string(k, 0, "Tag must be a scalar");
  if (!tag) return false;
  rill_tensor *t = rill_k_in(k, 1), *rate_t = rill_k_in(k, 2);
  char s[160];
  if (t->shape.rank < 2 || t->shape.rank > 3)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Tensor must be 3-D or 2-D, got: %s",
                       rill_shape_dbg(t->shape, s, sizeof s));
  if (rate_t->n != 1)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "sample_rate must be rank-0 or contain a single value");
  float rate = ((const float *)rate_t->data)[0];
  if (!(rate > 0.0f)) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "sample_rate must be > 0");
  int64_t batch = t->shape.dims[0], frames = t->shape.dims[1];
  int64_t channels = t->shape.rank == 2 ? 1 : t->shape.dims[2];
  int64_t max_outputs = rill_op_attr_int(rill_k_op(k), "max_outputs", 3);
  long rounded = lrintf(rate);
  uint64_t wav_rate = rounded > 0 ? (uint64_t)rounded : 1;
  int64_t n = max_outputs < batch ? max_outputs : batch;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  for (int i = 0; i < n; i++) {
    size_t value = rill__pb_begin(&b, RILL_SUMMARY_VALUE);
    rill__summary_put_indexed_tag(&b, tag, "audio", max_outputs, i);
    size_t audio = rill__pb_begin(&b, RILL_VALUE_AUDIO);
    rill__pb_write_float(&b, 1, rate);
    if (channels) rill__pb_write_int64(&b, 2, channels);
    if (frames) rill__pb_write_int64(&b, 3, frames);
    rill__pb_buf wav;
    rill__pb_buf_init(&wav);
    const char *err = rill__wav_encode((const float *)t->data + (int64_t)i * frames * channels, wav_rate,
                                       (uint64_t)channels, (uint64_t)frames, &wav);
    if (err) {
      rill__pb_buf_free(&wav);
      rill__pb_buf_free(&b);
      if (!strcmp(err, "out of memory")) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory for a WAV");
      if (!strncmp(err, "num_channels", 12))
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s, got: %lld", err, (long long)channels);
      if (!strncmp(err, "sample_rate", 11))
        return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s, got: %llu", err, (unsigned long long)wav_rate);
      return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", err);
    }
    rill__pb_write_bytes(&b, 4, wav.data, wav.len);
    rill__pb_buf_free(&wav);
    rill__pb_write_string(&b, 5, "audio/wav");
    rill__pb_end(&b, audio);
    rill__pb_end(&b, value);
  }
  return rill__summary_output(k, &b);
}

const rill_op_def rill__audio_summary_def = {.type = "AudioSummaryV2", .infer = audio_infer, .kernel = audio_kernel,
                                             .flags = RILL_OP_NOT_DIFFERENTIABLE};
