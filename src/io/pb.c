/* Protobuf wire codec: the encoder's growable buffer and the bounds-checked reader (pb.h). */
#include <stdlib.h>
#include "io/pb.h"

/* ---- encoding ---- */

void rill__pb_buf_init(rill__pb_buf *b) { *b = (rill__pb_buf){0}; }

void rill__pb_buf_free(rill__pb_buf *b) {
  free(b->data);
  *b = (rill__pb_buf){0};
}

void rill__pb_buf_reset(rill__pb_buf *b) {
  b->len = 0;
  b->failed = false;
}

bool rill__pb_buf_reserve(rill__pb_buf *b, size_t n) {
  if (b->failed) return false;
  if (n <= b->cap - b->len) return true;
  if (n > SIZE_MAX / 2 - b->len) {
    b->failed = true;
    return false;
  }
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len < n) cap *= 2;
  uint8_t *d = realloc(b->data, cap);
  if (!d) {
    b->failed = true;
    return false;
  }
  b->data = d;
  b->cap = cap;
  return true;
}

uint8_t *rill__pb_buf_release(rill__pb_buf *b, size_t *len) {
  if (b->failed) {
    rill__pb_buf_free(b);
    if (len) *len = 0;
    return NULL;
  }
  if (!b->data && !rill__pb_buf_reserve(b, 1)) return NULL;
  uint8_t *d = b->data;
  if (len) *len = b->len;
  *b = (rill__pb_buf){0};
  return d;
}

void rill__pb_put_raw(rill__pb_buf *b, const void *data, size_t n) {
  if (!n || !rill__pb_buf_reserve(b, n)) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
}

/* Writes v at p (room for 10 bytes assumed); returns the bytes written. */
static size_t encode_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t)v;
  return n;
}

void rill__pb_put_varint(rill__pb_buf *b, uint64_t v) {
  if (!rill__pb_buf_reserve(b, 10)) return;
  b->len += encode_varint(b->data + b->len, v);
}

void rill__pb_put_fixed32(rill__pb_buf *b, uint32_t v) {
  uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  rill__pb_put_raw(b, t, 4);
}

void rill__pb_put_fixed64(rill__pb_buf *b, uint64_t v) {
  rill__pb_put_fixed32(b, (uint32_t)v);
  rill__pb_put_fixed32(b, (uint32_t)(v >> 32));
}

void rill__pb_put_tag(rill__pb_buf *b, uint32_t field, rill__pb_wire wire) {
  rill__pb_put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

void rill__pb_write_varint(rill__pb_buf *b, uint32_t field, uint64_t v) {
  rill__pb_put_tag(b, field, RILL_PB_VARINT);
  rill__pb_put_varint(b, v);
}

void rill__pb_write_int64(rill__pb_buf *b, uint32_t field, int64_t v) { rill__pb_write_varint(b, field, (uint64_t)v); }

void rill__pb_write_sint64(rill__pb_buf *b, uint32_t field, int64_t v) {
  rill__pb_write_varint(b, field, rill__pb_zigzag64(v));
}

void rill__pb_write_bool(rill__pb_buf *b, uint32_t field, bool v) { rill__pb_write_varint(b, field, v ? 1 : 0); }

void rill__pb_write_fixed32(rill__pb_buf *b, uint32_t field, uint32_t v) {
  rill__pb_put_tag(b, field, RILL_PB_FIXED32);
  rill__pb_put_fixed32(b, v);
}

void rill__pb_write_fixed64(rill__pb_buf *b, uint32_t field, uint64_t v) {
  rill__pb_put_tag(b, field, RILL_PB_FIXED64);
  rill__pb_put_fixed64(b, v);
}

void rill__pb_write_float(rill__pb_buf *b, uint32_t field, float v) {
  rill__pb_write_fixed32(b, field, rill__pb_float_bits(v));
}

void rill__pb_write_double(rill__pb_buf *b, uint32_t field, double v) {
  rill__pb_write_fixed64(b, field, rill__pb_double_bits(v));
}

void rill__pb_write_len_prefix(rill__pb_buf *b, uint32_t field, size_t n) {
  rill__pb_put_tag(b, field, RILL_PB_LEN);
  rill__pb_put_varint(b, n);
}

void rill__pb_write_bytes(rill__pb_buf *b, uint32_t field, const void *data, size_t n) {
  rill__pb_write_len_prefix(b, field, n);
  rill__pb_put_raw(b, data, n);
}

void rill__pb_write_string(rill__pb_buf *b, uint32_t field, const char *s) {
  rill__pb_write_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void rill__pb_write_packed_int64(rill__pb_buf *b, uint32_t field, const int64_t *v, size_t n) {
  if (!n) return;
  size_t body = 0;
  for (size_t i = 0; i < n; i++) body += rill__pb_varint_size((uint64_t)v[i]);
  rill__pb_write_len_prefix(b, field, body);
  if (!rill__pb_buf_reserve(b, body)) return;
  uint8_t *p = b->data + b->len;
  for (size_t i = 0; i < n; i++) p += encode_varint(p, (uint64_t)v[i]);
  b->len += body;
}

void rill__pb_write_packed_int32(rill__pb_buf *b, uint32_t field, const int32_t *v, size_t n) {
  if (!n) return;
  size_t body = 0;
  for (size_t i = 0; i < n; i++) body += rill__pb_varint_size((uint64_t)(int64_t)v[i]);
  rill__pb_write_len_prefix(b, field, body);
  if (!rill__pb_buf_reserve(b, body)) return;
  uint8_t *p = b->data + b->len;
  for (size_t i = 0; i < n; i++) p += encode_varint(p, (uint64_t)(int64_t)v[i]);
  b->len += body;
}

void rill__pb_write_packed_float(rill__pb_buf *b, uint32_t field, const float *v, size_t n) {
  if (!n) return;
  if (n > SIZE_MAX / 4) {
    b->failed = true;
    return;
  }
  rill__pb_write_len_prefix(b, field, n * 4);
  if (!rill__pb_buf_reserve(b, n * 4)) return;
  uint8_t *p = b->data + b->len;
  for (size_t i = 0; i < n; i++) {
    uint32_t u = rill__pb_float_bits(v[i]);
    p[4 * i] = (uint8_t)u;
    p[4 * i + 1] = (uint8_t)(u >> 8);
    p[4 * i + 2] = (uint8_t)(u >> 16);
    p[4 * i + 3] = (uint8_t)(u >> 24);
  }
  b->len += n * 4;
}

void rill__pb_write_packed_double(rill__pb_buf *b, uint32_t field, const double *v, size_t n) {
  if (!n) return;
  if (n > SIZE_MAX / 8) {
    b->failed = true;
    return;
  }
  rill__pb_write_len_prefix(b, field, n * 8);
  for (size_t i = 0; i < n; i++) rill__pb_put_fixed64(b, rill__pb_double_bits(v[i]));
}

/* The marker is the offset of the one byte reserved for the length; most nested messages are
 * shorter than 128 bytes, so the body usually stays where it is. */
size_t rill__pb_begin(rill__pb_buf *b, uint32_t field) {
  rill__pb_put_tag(b, field, RILL_PB_LEN);
  rill__pb_put_raw(b, "", 1);
  return b->len - 1;
}

void rill__pb_end(rill__pb_buf *b, size_t marker) {
  if (b->failed || marker >= b->len) return;
  size_t body = b->len - marker - 1;
  size_t extra = rill__pb_varint_size(body) - 1;
  if (extra) {
    if (!rill__pb_buf_reserve(b, extra)) return;
    memmove(b->data + marker + 1 + extra, b->data + marker + 1, body);
    b->len += extra;
  }
  encode_varint(b->data + marker, body);
}

/* ---- decoding ---- */

void rill__pb_reader_init(rill__pb_reader *r, const void *data, size_t len) {
  r->p = data;
  r->end = data ? r->p + len : r->p;
  r->base = r->p;
}

void rill__pb_reader_sub(rill__pb_reader *sub, const rill__pb_reader *parent, const rill__pb_field *f) {
  sub->p = f->data;
  sub->end = f->data + f->len;
  sub->base = parent->base;
}

static int malformed(const rill__pb_reader *r, const uint8_t *at, rill_status *status, const char *what) {
  rill_status_set(status, RILL_INVALID_ARGUMENT, "malformed protobuf: %s at byte %zu", what, (size_t)(at - r->base));
  return -1;
}

int rill__pb_read_varint(rill__pb_reader *r, uint64_t *v, rill_status *status) {
  const uint8_t *p = r->p;
  if (p >= r->end) return 0;
  size_t avail = (size_t)(r->end - p);
  uint64_t x = 0;
  for (size_t i = 0; i < 10; i++) {
    if (i >= avail) return malformed(r, r->p, status, "truncated varint");
    uint8_t c = p[i];
    x |= (uint64_t)(c & 0x7f) << (7 * i);
    if (!(c & 0x80)) {
      r->p = p + i + 1;
      *v = x;
      return 1;
    }
  }
  return malformed(r, r->p, status, "varint longer than 10 bytes");
}

int rill__pb_read_fixed32(rill__pb_reader *r, uint32_t *v, rill_status *status) {
  if (r->p >= r->end) return 0;
  if (r->end - r->p < 4) return malformed(r, r->p, status, "truncated fixed32");
  const uint8_t *p = r->p;
  *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  r->p += 4;
  return 1;
}

int rill__pb_read_fixed64(rill__pb_reader *r, uint64_t *v, rill_status *status) {
  if (r->p >= r->end) return 0;
  if (r->end - r->p < 8) return malformed(r, r->p, status, "truncated fixed64");
  uint32_t lo, hi;
  rill__pb_read_fixed32(r, &lo, status);
  rill__pb_read_fixed32(r, &hi, status);
  *v = (uint64_t)hi << 32 | lo;
  return 1;
}

int rill__pb_next(rill__pb_reader *r, rill__pb_field *f, rill_status *status) {
  const uint8_t *start = r->p;
  uint64_t tag;
  int rc = rill__pb_read_varint(r, &tag, status);
  if (rc <= 0) return rc;
  uint64_t number = tag >> 3;
  unsigned wire = (unsigned)(tag & 7);
  if (number == 0) return malformed(r, start, status, "field number 0");
  if (number > RILL_PB_MAX_FIELD) return malformed(r, start, status, "field number out of range");
  f->number = (uint32_t)number;
  f->wire = (rill__pb_wire)wire;
  f->u = 0;
  f->data = NULL;
  f->len = 0;
  switch (wire) {
    case RILL_PB_VARINT:
      rc = rill__pb_read_varint(r, &f->u, status);
      return rc == 0 ? malformed(r, start, status, "truncated varint") : rc;
    case RILL_PB_FIXED64:
      if (r->end - r->p < 8) return malformed(r, start, status, "truncated fixed64");
      rill__pb_read_fixed64(r, &f->u, status);
      return 1;
    case RILL_PB_FIXED32: {
      uint32_t v;
      if (r->end - r->p < 4) return malformed(r, start, status, "truncated fixed32");
      rill__pb_read_fixed32(r, &v, status);
      f->u = v;
      return 1;
    }
    case RILL_PB_LEN: {
      uint64_t n;
      const uint8_t *len_at = r->p;
      rc = rill__pb_read_varint(r, &n, status);
      if (rc == 0) return malformed(r, start, status, "truncated length");
      if (rc < 0) return -1;
      if (n > (uint64_t)(r->end - r->p)) return malformed(r, len_at, status, "length past the end of the message");
      f->data = r->p;
      f->len = (size_t)n;
      r->p += n;
      return 1;
    }
    case 3:
    case 4:
      return malformed(r, start, status, "group wire type (unsupported)");
    default:
      return malformed(r, start, status, "invalid wire type");
  }
}

int64_t rill__pb_packed_fixed_count(const rill__pb_reader *r, const rill__pb_field *f, size_t width,
                                    rill_status *status) {
  if (f->len % width) {
    rill_status_set(status, RILL_INVALID_ARGUMENT,
                    "malformed protobuf: packed field of %zu bytes is not a multiple of %zu at byte %zu", f->len,
                    width, (size_t)(f->data - r->base));
    return -1;
  }
  return (int64_t)(f->len / width);
}

size_t rill__pb_packed_varint_count(const rill__pb_field *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->len; i++) n += !(f->data[i] & 0x80);
  return n;
}
