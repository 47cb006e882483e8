/* 16-bit PCM WAV encoding for audio summaries (TF's tensorflow/core/lib/wav/wav_io.cc). */
#include <math.h>
#include <string.h>
#include "io/crc32c.h"
#include "summary/summary_internal.h"

#define WAV_HEADER 44

/* NaN passes TF's min/max clamp and its int16 conversion yields 0 on x86; 0 here too. */
static int16_t to_int16(float v) {
  float r = roundf(v * 32768.0f);
  if (isnan(r)) return 0;
  if (r < -32768.0f) return -32768;
  if (r > 32767.0f) return 32767;
  return (int16_t)r;
}

const char *rill__wav_encode(const float *samples, uint64_t sample_rate, uint64_t channels, uint64_t frames,
                             rill__pb_buf *out) {
  if (sample_rate == 0 || sample_rate > UINT32_MAX) return "sample_rate must be in (0, 2^32)";
  if (channels == 0 || channels > UINT16_MAX) return "num_channels must be in (0, 2^16)";
  if (frames > (UINT32_MAX - (WAV_HEADER - 8)) / 2 / channels)
    return "Provided channels and frames cannot be encoded as a WAV.";
  uint64_t data_size = frames * channels * 2;
  if (sample_rate * channels * 2 > UINT32_MAX) return "Provided channels and frames cannot be encoded as a WAV.";
  if (!rill__pb_buf_reserve(out, WAV_HEADER + (size_t)data_size)) return "out of memory";
  uint8_t *p = out->data + out->len;
  memcpy(p, "RIFF", 4);
  rill__put_le32(p + 4, (uint32_t)(WAV_HEADER - 8 + data_size));
  memcpy(p + 8, "WAVEfmt ", 8);
  rill__put_le32(p + 16, 16);                /* fmt chunk size */
  p[20] = 1;                                 /* PCM */
  p[21] = 0;
  p[22] = (uint8_t)channels;
  p[23] = (uint8_t)(channels >> 8);
  rill__put_le32(p + 24, (uint32_t)sample_rate);
  rill__put_le32(p + 28, (uint32_t)(sample_rate * channels * 2)); /* bytes per second */
  p[32] = (uint8_t)(channels * 2);           /* bytes per frame */
  p[33] = (uint8_t)((channels * 2) >> 8);
  p[34] = 16;                                /* bits per sample */
  p[35] = 0;
  memcpy(p + 36, "data", 4);
  rill__put_le32(p + 40, (uint32_t)data_size);
  p += WAV_HEADER;
  uint64_t n = frames * channels;
  for (uint64_t i = 0; i < n; i++) {
    uint16_t s = (uint16_t)to_int16(samples[i]);
    p[2 * i] = (uint8_t)s;
    p[2 * i + 1] = (uint8_t)(s >> 8);
  }
  out->len += WAV_HEADER + (size_t)data_size;
  return NULL;
}
