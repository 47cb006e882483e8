/* Internal entry points of the CRC-32C implementation, for tests and benchmarks that compare the
 * two code paths. Everything else calls rill_crc32c / rill_crc32c_extend (rill/io.h). */
#ifndef RILL_IO_CRC32C_H
#define RILL_IO_CRC32C_H

#include <stdbool.h>
#include "rill/io.h"

/* The portable slicing-by-8 path, same contract as rill_crc32c_extend. */
uint32_t rill__crc32c_extend_sw(uint32_t crc, const void *data, size_t n);
/* The SSE4.2 path; falls back to the software path where the CPU lacks the instruction. */
uint32_t rill__crc32c_extend_hw(uint32_t crc, const void *data, size_t n);
/* Whether the SSE4.2 path is usable on this CPU. */
bool rill__crc32c_hw_available(void);

/* Little-endian fixed-width helpers used by every framed format. */
static inline void rill__put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void rill__put_le64(uint8_t *p, uint64_t v) {
  rill__put_le32(p, (uint32_t)v);
  rill__put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t rill__get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rill__get_le64(const uint8_t *p) {
  return (uint64_t)rill__get_le32(p) | (uint64_t)rill__get_le32(p + 4) << 32;
}

#endif
