/* A small protobuf wire-format codec: every .proto Rill reads or writes (Example, Event,
 * GraphDef, checkpoint bundle entries) is hand-coded on top of it.
 *
 * Encoding appends to a growable buffer. Writers never fail individually: an allocation failure
 * makes the buffer "failed" (sticky), later writes do nothing, and rill__pb_buf_ok reports it
 * once at the end. Nested messages: rill__pb_begin writes the tag and leaves room for the
 * length, rill__pb_end patches it in (moving the body when the length needs more than one byte),
 * so output is the canonical minimal encoding C++ protobuf produces.
 *
 *   rill__pb_buf b; rill__pb_buf_init(&b);
 *   size_t m = rill__pb_begin(&b, 1);        // Example.features
 *   rill__pb_write_string(&b, 1, "key");
 *   rill__pb_end(&b, m);
 *   if (!rill__pb_buf_ok(&b)) ...out of memory...
 *
 * Decoding walks a bounds-checked byte range; nothing it reads can make it touch memory outside
 * that range. Malformed input is reported through the status as INVALID_ARGUMENT with the
 * offending byte offset (callers that read files usually re-report it as DATA_LOSS naming the
 * file):
 *
 *   rill__pb_reader r; rill__pb_reader_init(&r, data, len);
 *   rill__pb_field f; int rc;
 *   while ((rc = rill__pb_next(&r, &f, status)) > 0) {
 *     if (f.number == 1 && f.wire == RILL_PB_LEN) ... f.data, f.len ...
 *     else if (f.number == 2 && f.wire == RILL_PB_VARINT) ... f.u ...
 *     // anything else is an unknown field: already skipped
 *   }
 *   if (rc < 0) ...status is set...
 *
 * A known field arriving with an unexpected wire type is treated as unknown (protobuf's own
 * rule), except that repeated numeric fields accept both packed and unpacked forms. */
#ifndef RILL_IO_PB_H
#define RILL_IO_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rill/status.h"

typedef enum rill__pb_wire {
  RILL_PB_VARINT = 0,
  RILL_PB_FIXED64 = 1,
  RILL_PB_LEN = 2,
  RILL_PB_FIXED32 = 5
} rill__pb_wire;

/* Largest field number protobuf allows (2^29 - 1). */
#define RILL_PB_MAX_FIELD 536870911u

/* ---- encoding ---- */

typedef struct rill__pb_buf {
  uint8_t *data;
  size_t len, cap;
  bool failed; /* an allocation failed; contents are incomplete */
} rill__pb_buf;

void rill__pb_buf_init(rill__pb_buf *b);
/* Frees the contents; the buffer is empty and usable again afterwards. */
void rill__pb_buf_free(rill__pb_buf *b);
/* Empties the buffer but keeps its memory, for encoding many messages in a row. */
void rill__pb_buf_reset(rill__pb_buf *b);
/* False when any write since init/reset ran out of memory. */
static inline bool rill__pb_buf_ok(const rill__pb_buf *b) { return !b->failed; }
/* Makes room for n more bytes; false (and failed set) when memory runs out. */
bool rill__pb_buf_reserve(rill__pb_buf *b, size_t n);
/* Hands the bytes to the caller (free() them; never NULL for a non-failed buffer, even when
 * empty) and leaves b empty. Returns NULL when the buffer failed. */
uint8_t *rill__pb_buf_release(rill__pb_buf *b, size_t *len);

void rill__pb_put_raw(rill__pb_buf *b, const void *data, size_t n);
void rill__pb_put_varint(rill__pb_buf *b, uint64_t v);
void rill__pb_put_fixed32(rill__pb_buf *b, uint32_t v);
void rill__pb_put_fixed64(rill__pb_buf *b, uint64_t v);
void rill__pb_put_tag(rill__pb_buf *b, uint32_t field, rill__pb_wire wire);

/* Number of bytes the varint encoding of v takes (1..10). */
static inline size_t rill__pb_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}
static inline uint64_t rill__pb_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t rill__pb_unzigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline uint32_t rill__pb_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float rill__pb_bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint64_t rill__pb_double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static inline double rill__pb_bits_double(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* Tag plus value. These always emit, even zero values: proto3's "omit defaults" is the
 * caller's decision (most callers skip zero scalars to match TF's bytes). */
void rill__pb_write_varint(rill__pb_buf *b, uint32_t field, uint64_t v); /* uint32/uint64 */
/* int32/int64/enum: negative values take ten bytes (sign-extended to 64 bits), as protobuf. */
void rill__pb_write_int64(rill__pb_buf *b, uint32_t field, int64_t v);
void rill__pb_write_sint64(rill__pb_buf *b, uint32_t field, int64_t v); /* zigzag */
void rill__pb_write_bool(rill__pb_buf *b, uint32_t field, bool v);
void rill__pb_write_fixed32(rill__pb_buf *b, uint32_t field, uint32_t v);
void rill__pb_write_fixed64(rill__pb_buf *b, uint32_t field, uint64_t v);
void rill__pb_write_float(rill__pb_buf *b, uint32_t field, float v);
void rill__pb_write_double(rill__pb_buf *b, uint32_t field, double v);
void rill__pb_write_bytes(rill__pb_buf *b, uint32_t field, const void *data, size_t n);
void rill__pb_write_string(rill__pb_buf *b, uint32_t field, const char *s); /* NULL = "" */
/* Tag and length of a length-delimited field whose n body bytes the caller appends next
 * (rill__pb_put_raw or several puts), for large bodies whose size is known in advance. */
void rill__pb_write_len_prefix(rill__pb_buf *b, uint32_t field, size_t n);
/* Packed repeated fields (one tag, the values concatenated). n == 0 writes nothing. */
void rill__pb_write_packed_int64(rill__pb_buf *b, uint32_t field, const int64_t *v, size_t n);
void rill__pb_write_packed_int32(rill__pb_buf *b, uint32_t field, const int32_t *v, size_t n);
void rill__pb_write_packed_float(rill__pb_buf *b, uint32_t field, const float *v, size_t n);
void rill__pb_write_packed_double(rill__pb_buf *b, uint32_t field, const double *v, size_t n);

/* Opens a nested message (or any length-delimited field built piecewise): writes the tag and
 * returns a marker for rill__pb_end, which writes the body's length. Markers nest like
 * brackets. */
size_t rill__pb_begin(rill__pb_buf *b, uint32_t field);
void rill__pb_end(rill__pb_buf *b, size_t marker);

/* ---- decoding ---- */

typedef struct rill__pb_reader {
  const uint8_t *p, *end;
  const uint8_t *base; /* start of the outermost message, for offsets in messages */
} rill__pb_reader;

/* One field. For RILL_PB_VARINT, u is the raw 64-bit value; for FIXED32/FIXED64, u holds the
 * little-endian value; for RILL_PB_LEN, data/len is the body (inside the reader's range). */
typedef struct rill__pb_field {
  uint32_t number;
  rill__pb_wire wire;
  uint64_t u;
  const uint8_t *data;
  size_t len;
} rill__pb_field;

void rill__pb_reader_init(rill__pb_reader *r, const void *data, size_t len);
/* A reader over a LEN field's body (a nested message or packed values). Error offsets stay
 * relative to the outermost message. */
void rill__pb_reader_sub(rill__pb_reader *sub, const rill__pb_reader *parent, const rill__pb_field *f);
static inline bool rill__pb_at_end(const rill__pb_reader *r) { return r->p >= r->end; }
/* Byte offset of the next unread byte from the start of the outermost message. */
static inline size_t rill__pb_offset(const rill__pb_reader *r) { return (size_t)(r->p - r->base); }

/* Reads the next field. Returns 1 with *f filled, 0 at the clean end of the range, -1 with
 * status INVALID_ARGUMENT on malformed input: a varint longer than 10 bytes or cut off, a
 * field number of 0 or above 2^29-1, a length past the end of the range, a fixed value cut
 * off, wire types 3/4 (groups, unsupported) and 6/7 (undefined). */
int rill__pb_next(rill__pb_reader *r, rill__pb_field *f, rill_status *status);

/* Raw values from the current position, for packed bodies: 1 on success, 0 at the clean end,
 * -1 with status on a cut-off or over-long value. */
int rill__pb_read_varint(rill__pb_reader *r, uint64_t *v, rill_status *status);
int rill__pb_read_fixed32(rill__pb_reader *r, uint32_t *v, rill_status *status);
int rill__pb_read_fixed64(rill__pb_reader *r, uint64_t *v, rill_status *status);

/* Value conversions as protobuf does them: int32 keeps the low 32 bits of the varint. */
static inline int32_t rill__pb_as_int32(const rill__pb_field *f) { return (int32_t)(uint32_t)f->u; }
static inline int64_t rill__pb_as_int64(const rill__pb_field *f) { return (int64_t)f->u; }
static inline bool rill__pb_as_bool(const rill__pb_field *f) { return f->u != 0; }
static inline float rill__pb_as_float(const rill__pb_field *f) { return rill__pb_bits_float((uint32_t)f->u); }
static inline double rill__pb_as_double(const rill__pb_field *f) { return rill__pb_bits_double(f->u); }

/* Number of elements in a packed body of fixed-width (4 or 8 byte) values, or -1 with status
 * INVALID_ARGUMENT when len is not a multiple of the width. */
int64_t rill__pb_packed_fixed_count(const rill__pb_reader *r, const rill__pb_field *f, size_t width,
                                    rill_status *status);
/* Number of varints in a packed body (counts bytes without the continuation bit), for sizing
 * an array before decoding it with rill__pb_read_varint. */
size_t rill__pb_packed_varint_count(const rill__pb_field *f);

#endif
