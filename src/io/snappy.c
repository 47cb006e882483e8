/* Snappy decompression per the format description (github.com/google/snappy,
 * format_description.txt): a varint32 length, then elements tagged by the low two bits of their
 * first byte: 00 literal, 01 copy with 1-byte offset, 10 copy with 2-byte offset, 11 copy with
 * 4-byte offset. Every read and write is checked against its buffer's end. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "io/snappy.h"

static bool get_le(const uint8_t **p, const uint8_t *end, int nbytes, uint32_t *v) {
  if (end - *p < nbytes) return false;
  uint32_t x = 0;
  for (int i = 0; i < nbytes; i++) x |= (uint32_t)(*p)[i] << (8 * i);
  *p += nbytes;
  *v = x;
  return true;
}

uint8_t *rill__snappy_uncompress(const uint8_t *in, size_t n, size_t max_len, size_t *out_len, rill_status *st) {
  const uint8_t *p = in, *end = in + n;
  uint64_t want = 0;
  int shift = 0;
  for (;;) {
    if (p >= end || shift > 28) {
      rill_status_set(st, RILL_DATA_LOSS, "corrupted snappy block: bad length header");
      return NULL;
    }
    uint8_t b = *p++;
    want |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  if (want > max_len || want > UINT32_MAX) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "snappy block of %llu bytes exceeds the limit of %zu",
                    (unsigned long long)want, max_len);
    return NULL;
  }
  uint8_t *out = malloc(want ? (size_t)want : 1);
  if (!out) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory decompressing a snappy block");
    return NULL;
  }
  size_t o = 0;
  while (p < end) {
    uint8_t tag = *p++;
    uint32_t len, off;
    switch (tag & 3) {
      case 0: /* literal: length-1 in the upper 6 bits, or in 1..4 following bytes */
        len = tag >> 2;
        if (len >= 60) {
          if (!get_le(&p, end, (int)len - 59, &len)) goto bad;
        }
        if ((uint64_t)len + 1 > (uint64_t)(end - p) || (uint64_t)len + 1 > want - o) goto bad;
        memcpy(out + o, p, (size_t)len + 1);
        p += len + 1;
        o += (size_t)len + 1;
        continue;
      case 1: /* copy: 3-bit length-4, 11-bit offset */
        len = ((tag >> 2) & 7) + 4;
        if (p >= end) goto bad;
        off = (uint32_t)(tag >> 5) << 8 | *p++;
        break;
      case 2:
        len = (tag >> 2) + 1;
        if (!get_le(&p, end, 2, &off)) goto bad;
        break;
      default:
        len = (tag >> 2) + 1;
        if (!get_le(&p, end, 4, &off)) goto bad;
        break;
    }
    if (off == 0 || off > o || len > want - o) goto bad;
    /* Byte by byte: a copy may overlap its own output (run-length repeats). */
    for (uint32_t i = 0; i < len; i++, o++) out[o] = out[o - off];
  }
  if (o != want) goto bad;
  *out_len = o;
  return out;
bad:
  free(out);
  rill_status_set(st, RILL_DATA_LOSS, "corrupted snappy block");
  return NULL;
}
