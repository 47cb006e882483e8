/* Summary protocol buffers and the media encoders behind the summary ops and the FileWriter.
 *
 * Field numbers (tensorboard/compat/proto/summary.proto, histogram.proto, event.proto):
 *   Summary.value 1; Value tag 1, simple_value 2, image 4, histo 5, audio 6, tensor 8,
 *   metadata 9; Image height 1, width 2, colorspace 3, encoded_image_string 4; Audio
 *   sample_rate 1, num_channels 2, length_frames 3, encoded_audio_string 4, content_type 5;
 *   HistogramProto min 1, max 2, num 3, sum 4, sum_squares 5, bucket_limit 6, bucket 7;
 *   Event wall_time 1, step 2, file_version 3, graph_def 4, summary 5, session_log 7.
 * C++ protobuf writes fields in number order and leaves out proto3 zero values except inside
 * a oneof (simple_value 0 is written); these encoders do the same, so their bytes equal TF's. */
#ifndef RILL_SUMMARY_INTERNAL_H
#define RILL_SUMMARY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "io/pb.h"

enum {
  RILL_SUMMARY_VALUE = 1,
  RILL_VALUE_TAG = 1,
  RILL_VALUE_SIMPLE = 2,
  RILL_VALUE_IMAGE = 4,
  RILL_VALUE_HISTO = 5,
  RILL_VALUE_AUDIO = 6,
  RILL_VALUE_TENSOR = 8,
  RILL_VALUE_METADATA = 9,
  RILL_EVENT_WALL_TIME = 1,
  RILL_EVENT_STEP = 2,
  RILL_EVENT_FILE_VERSION = 3,
  RILL_EVENT_GRAPH_DEF = 4,
  RILL_EVENT_SUMMARY = 5,
  RILL_EVENT_SESSION_LOG = 7
};

/* ---- histograms: tensorflow/core/lib/histogram/histogram.cc ---- */

/* TF's default bucket limits, ascending: -DBL_MAX, -1e20-ish ... -1e-12, 0, 1e-12 ... , DBL_MAX
 * (the positive limits are 1e-12 multiplied by 1.1 repeatedly while below 1e20, in double).
 * Static storage, built once; *n receives the count. */
const double *rill__histogram_limits(size_t *n);

typedef struct rill__histogram {
  double min, max, num, sum, sum_squares;
  uint64_t *counts; /* one count per limit (TF keeps doubles; equal below 2^53) */
} rill__histogram;

/* An empty histogram over the default limits (min = DBL_MAX, max = -DBL_MAX). False when out
 * of memory. */
bool rill__histogram_init(rill__histogram *h);
void rill__histogram_free(rill__histogram *h);
/* Adds a finite value to the bucket whose limit is the first one above it (upper_bound). */
void rill__histogram_add(rill__histogram *h, double v);
/* Adds vals[0..n) in order and returns n, or stops at the first non-finite value and returns
 * its index (TF's kernel fails there). */
int64_t rill__histogram_add_f32(rill__histogram *h, const float *vals, int64_t n);
int64_t rill__histogram_add_f64(rill__histogram *h, const double *vals, int64_t n);
/* The bucket index of a finite value (the first limit above it), and the same by plain binary
 * search, for tests. */
size_t rill__histogram_bucket(double v);
size_t rill__histogram_bucket_reference(double v);
/* Writes the HistogramProto as field `field`, collapsing each run of empty buckets into one
 * entry that ends at the run's last limit. */
void rill__histogram_encode(const rill__histogram *h, rill__pb_buf *b, uint32_t field);

/* ---- media ---- */

/* PNG of a w x h image with `channels` 8-bit samples per pixel (1 gray, 2 gray+alpha, 3 RGB,
 * 4 RGBA), rows of w*channels bytes, zlib's default compression as TF's png::WriteImageToBuffer
 * uses. Appends the file to out. False (out unchanged or failed) on a libpng error or out of
 * memory. */
bool rill__png_encode(const uint8_t *pixels, int w, int h, int channels, rill__pb_buf *out);

/* A RIFF WAVE file of 16-bit little-endian PCM from float samples (frames x channels,
 * interleaved), each round(v * 32768) clamped to [-32768, 32767], as TF's
 * wav::EncodeAudioAsS16LEWav. Appends it to out. Returns NULL on success, else a static
 * error message in TF's words (channels out of range, too long for WAV's 32-bit sizes). */
const char *rill__wav_encode(const float *samples, uint64_t sample_rate, uint64_t channels, uint64_t frames,
                             rill__pb_buf *out);

/* ---- Summary values ---- */

/* Calls fn(value, value_len, tag, tag_len, arg) for each Summary.Value in a serialized
 * Summary (value points at the Value message body). fn returns false to stop; a NULL fn only
 * checks the bytes. Returns -1 with
 * status INVALID_ARGUMENT when the bytes are not a Summary, 0 when fn stopped, 1 otherwise. */
int rill__summary_for_each_value(const uint8_t *data, size_t len,
                                 bool (*fn)(const uint8_t *value, size_t value_len, const uint8_t *tag,
                                            size_t tag_len, void *arg),
                                 void *arg, rill_status *status);

#endif
