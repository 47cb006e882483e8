/* TFRecord reader: big buffered reads, both CRCs verified, records handed out in place.
 *
 * The buffer only grows when it is full of bytes actually read, so a corrupt length field that
 * claims exabytes costs no more memory than the file holds before the truncation is reported. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "io/crc32c.h"
#include "io/instream.h"
#include "io/record.h"

/* Large reads keep system calls and CRC setup negligible next to the bytes themselves. */
#define FILE_BUF_CAP (1u << 20)
#define MEM_BUF_CAP (64u << 10)

struct rill_record_reader {
  rill__instream *in;
  uint8_t *buf;
  size_t cap, pos, end; /* buf[pos..end) holds stream bytes not yet consumed */
  uint64_t offset;      /* stream offset of buf[pos]: the next record */
};

static rill_record_reader *reader_wrap(rill__instream *in, size_t cap, rill_status *status) {
  if (!in) return NULL;
  rill_record_reader *r = calloc(1, sizeof *r);
  if (r) r->buf = malloc(cap);
  if (!r || !r->buf) {
    free(r);
    rill__instream_close(in);
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory opening record reader");
    return NULL;
  }
  r->in = in;
  r->cap = cap;
  return r;
}

rill_record_reader *rill_record_reader_new(const char *path, rill_compression compression, rill_status *status) {
  if (!path) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "record reader: path is NULL");
    return NULL;
  }
  return reader_wrap(rill__instream_open_file(path, compression, status), FILE_BUF_CAP, status);
}

rill_record_reader *rill__record_reader_new_mem(const void *data, size_t len, const char *name,
                                                rill_compression compression, rill_status *status) {
  return reader_wrap(rill__instream_open_mem(data, len, name, compression, status), MEM_BUF_CAP, status);
}

void rill_record_reader_delete(rill_record_reader *r) {
  if (!r) return;
  rill__instream_close(r->in);
  free(r->buf);
  free(r);
}

uint64_t rill_record_reader_offset(const rill_record_reader *r) { return r->offset; }

/* Makes need bytes available at buf[pos]. 1: done; 0: the stream has no more bytes now;
 * -1: error (status set). */
static int fill(rill_record_reader *r, size_t need, rill_status *status) {
  while (r->end - r->pos < need) {
    if (r->end == r->cap) {
      if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
      } else {
        /* Full of one unfinished record: grow, at most doubling, never past the need. */
        size_t ncap = r->cap <= SIZE_MAX / 2 ? r->cap * 2 : SIZE_MAX;
        if (ncap > need) ncap = need;
        uint8_t *nb = realloc(r->buf, ncap);
        if (!nb) {
          rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory reading a record of %zu bytes from %s",
                          need - RILL_RECORD_HEADER - RILL_RECORD_FOOTER, rill__instream_name(r->in));
          return -1;
        }
        r->buf = nb;
        r->cap = ncap;
      }
    }
    ssize_t got = rill__instream_read(r->in, r->buf + r->end, r->cap - r->end, status);
    if (got < 0) return -1;
    if (got == 0) return 0;
    r->end += (size_t)got;
  }
  return 1;
}

static bool truncated(rill_record_reader *r, rill_status *status) {
  rill_status_set(status, RILL_DATA_LOSS, "truncated record at %llu in file %s", (unsigned long long)r->offset,
                  rill__instream_name(r->in));
  return false;
}

/* A failure below the framing (corrupt compressed data, an I/O error): say which record it hit. */
static bool stream_failed(rill_record_reader *r, rill_status *status) {
  if (rill_status_code(status) == RILL_DATA_LOSS)
    rill_status_set(status, RILL_DATA_LOSS, "%s (reading the record at %llu)", rill_status_message(status),
                    (unsigned long long)r->offset);
  return false;
}

bool rill_record_reader_next(rill_record_reader *r, const uint8_t **data, size_t *len, rill_status *status) {
  int rc = fill(r, RILL_RECORD_HEADER, status);
  if (rc < 0) return stream_failed(r, status);
  if (rc == 0) {
    if (r->end > r->pos) return truncated(r, status);
    if (!rill__instream_complete(r->in)) {
      rill_status_set(status, RILL_DATA_LOSS,
                      "truncated record at %llu in file %s: the compressed stream ends before its end marker",
                      (unsigned long long)r->offset, rill__instream_name(r->in));
      return false;
    }
    rill_status_set(status, RILL_OUT_OF_RANGE, "End of file %s", rill__instream_name(r->in));
    return false;
  }
  const uint8_t *h = r->buf + r->pos;
  uint64_t n = rill__get_le64(h);
  if (rill_crc32c_unmask(rill__get_le32(h + 8)) != rill_crc32c(h, 8)) {
    rill_status_set(status, RILL_DATA_LOSS, "corrupted record at %llu in file %s: length checksum mismatch%s",
                    (unsigned long long)r->offset, rill__instream_name(r->in),
                    r->offset == 0 ? " (Is this even a TFRecord file?)" : "");
    return false;
  }
  if (n > SIZE_MAX - RILL_RECORD_HEADER - RILL_RECORD_FOOTER) {
    rill_status_set(status, RILL_DATA_LOSS, "corrupted record at %llu in file %s: record size %llu too large",
                    (unsigned long long)r->offset, rill__instream_name(r->in), (unsigned long long)n);
    return false;
  }
  size_t total = (size_t)n + RILL_RECORD_HEADER + RILL_RECORD_FOOTER;
  rc = fill(r, total, status);
  if (rc < 0) return stream_failed(r, status);
  if (rc == 0) return truncated(r, status);
  h = r->buf + r->pos;
  const uint8_t *body = h + RILL_RECORD_HEADER;
  uint64_t at = r->offset;
  r->pos += total;
  r->offset += total;
  if (rill_crc32c_unmask(rill__get_le32(body + n)) != rill_crc32c(body, (size_t)n)) {
    rill_status_set(status, RILL_DATA_LOSS, "corrupted record at %llu in file %s: data checksum mismatch",
                    (unsigned long long)at, rill__instream_name(r->in));
    return false;
  }
  *data = body;
  *len = (size_t)n;
  return true;
}

bool rill_record_reader_seek(rill_record_reader *r, uint64_t offset, rill_status *status) {
  uint64_t buf0 = r->offset - r->pos;
  if (offset >= buf0 && offset - buf0 <= r->end) {
    r->pos = (size_t)(offset - buf0);
    r->offset = offset;
    return true;
  }
  uint64_t buf_end = buf0 + r->end; /* stream offset just past the buffered bytes */
  r->pos = r->end = 0;
  if (!rill__instream_compressed(r->in)) {
    if (!rill__instream_seek_raw(r->in, offset, status)) return false;
    r->offset = offset;
    return true;
  }
  /* A compressed stream cannot jump: restart it if the target lies behind, then inflate and
   * drop bytes up to the target. */
  if (offset < buf0) {
    if (!rill__instream_rewind(r->in, status)) return false;
    r->offset = 0;
  } else {
    r->offset = buf_end;
  }
  while (r->offset < offset) {
    uint64_t want = offset - r->offset;
    ssize_t got = rill__instream_read(r->in, r->buf, want < r->cap ? (size_t)want : r->cap, status);
    if (got < 0) return false;
    if (got == 0) {
      rill_status_set(status, RILL_OUT_OF_RANGE, "Cannot seek to offset %llu in %s: the stream ends at %llu",
                      (unsigned long long)offset, rill__instream_name(r->in), (unsigned long long)r->offset);
      return false;
    }
    r->offset += (uint64_t)got;
  }
  return true;
}

bool rill_tf_record_iterator(const char *path, rill_compression compression,
                             bool (*fn)(const uint8_t *data, size_t len, void *arg), void *arg,
                             rill_status *status) {
  rill_status local = {RILL_OK, NULL}; /* the end of file must be told from errors even without one */
  rill_status *st = status ? status : &local;
  rill_record_reader *r = rill_record_reader_new(path, compression, st);
  bool ok = r != NULL;
  const uint8_t *data;
  size_t len;
  while (r) {
    if (!rill_record_reader_next(r, &data, &len, st)) {
      ok = rill_status_code(st) == RILL_OUT_OF_RANGE;
      if (ok) rill_status_clear(st);
      break;
    }
    if (!fn(data, len, arg)) break;
  }
  rill_record_reader_delete(r);
  free(local.msg);
  return ok;
}
