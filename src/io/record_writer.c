/* TFRecord writer, uncompressed or through one zlib/gzip stream, as TF's RecordWriter. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "io/crc32c.h"
#include "io/io_util.h"
#include "io/record.h"

/* TF's zlib output buffer size; also a good size for batching small records into one write. */
#define BUF_CAP (256u << 10)

struct rill_record_writer {
  int fd;
  char *path;
  rill_compression comp;
  uint8_t *buf; /* uncompressed: whole framed records; compressed: deflate output */
  size_t len;
  z_stream z;
  bool z_init;
  uint64_t durable;  /* uncompressed: bytes of complete records already in the file */
  rill_status *err;  /* sticky failure */
};

void rill__record_frame_header(uint8_t out[RILL_RECORD_HEADER], uint64_t len) {
  rill__put_le64(out, len);
  rill__put_le32(out + 8, rill_crc32c_mask(rill_crc32c(out, 8)));
}

void rill__record_frame_footer(uint8_t out[RILL_RECORD_FOOTER], const void *data, size_t len) {
  rill__put_le32(out, rill_crc32c_mask(rill_crc32c(data, len)));
}

bool rill_compression_parse(const char *name, rill_compression *out, rill_status *status) {
  if (!name || !*name) {
    *out = RILL_COMPRESSION_NONE;
  } else if (!strcmp(name, "ZLIB")) {
    *out = RILL_COMPRESSION_ZLIB;
  } else if (!strcmp(name, "GZIP")) {
    *out = RILL_COMPRESSION_GZIP;
  } else {
    rill_status_set(status, RILL_INVALID_ARGUMENT,
                    "Unsupported compression type: %s (supported: \"\", \"ZLIB\", \"GZIP\")", name);
    return false;
  }
  return true;
}

const char *rill_compression_name(rill_compression c) {
  return c == RILL_COMPRESSION_ZLIB ? "ZLIB" : c == RILL_COMPRESSION_GZIP ? "GZIP" : "";
}

static void writer_free(rill_record_writer *w) {
  if (w->fd >= 0) close(w->fd);
  if (w->z_init) deflateEnd(&w->z);
  free(w->buf);
  free(w->path);
  rill_status_delete(w->err);
  free(w);
}

rill_record_writer *rill_record_writer_new(const char *path, rill_compression compression, rill_status *status) {
  if (!path) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "record writer: path is NULL");
    return NULL;
  }
  if (compression != RILL_COMPRESSION_NONE && compression != RILL_COMPRESSION_ZLIB &&
      compression != RILL_COMPRESSION_GZIP) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Unknown compression type %d for %s", (int)compression, path);
    return NULL;
  }
  rill_record_writer *w = calloc(1, sizeof *w);
  size_t plen = strlen(path);
  if (w) {
    w->fd = -1;
    w->path = malloc(plen + 1);
    w->buf = malloc(BUF_CAP);
    w->err = rill_status_new();
  }
  if (!w || !w->path || !w->buf || !w->err) goto oom;
  memcpy(w->path, path, plen + 1);
  w->comp = compression;
  if (compression != RILL_COMPRESSION_NONE) {
    int bits = compression == RILL_COMPRESSION_GZIP ? 15 + 16 : 15;
    if (deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) goto oom;
    w->z_init = true;
  }
  w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    rill__set_errno_status(status, errno, path);
    writer_free(w);
    return NULL;
  }
  return w;
oom:
  if (w) writer_free(w);
  rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory creating record writer for %s", path);
  return NULL;
}

/* Records the failure, and cuts an uncompressed file back to its last complete record so no
 * reader ever meets a torn one. (A compressed stream has no such cut point: it is unreadable past
 * the failure either way.) */
static bool fail_io(rill_record_writer *w, int err, rill_status *status) {
  rill__set_errno_status(w->err, err, w->path);
  if (w->comp == RILL_COMPRESSION_NONE && ftruncate(w->fd, (off_t)w->durable) == 0)
    lseek(w->fd, (off_t)w->durable, SEEK_SET);
  rill_status_copy(status, w->err);
  return false;
}

static bool check_usable(rill_record_writer *w, rill_status *status) {
  if (rill_status_code(w->err) == RILL_OK) return true;
  rill_status_set(status, RILL_FAILED_PRECONDITION, "Record writer for %s failed earlier: %s", w->path,
                  rill_status_message(w->err));
  return false;
}

static bool flush_buf(rill_record_writer *w, rill_status *status) {
  if (!w->len) return true;
  if (!rill__write_all(w->fd, w->buf, w->len)) return fail_io(w, errno, status);
  w->durable += w->len;
  w->len = 0;
  return true;
}

/* Runs deflate over n input bytes with the given flush mode, writing the output buffer out
 * whenever it fills. With Z_SYNC_FLUSH / Z_FINISH it keeps going until zlib has nothing left. */
static bool deflate_feed(rill_record_writer *w, const void *data, size_t n, int flush, rill_status *status) {
  z_stream *z = &w->z;
  const uint8_t *p = data;
  for (;;) {
    uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
    z->next_in = (Bytef *)(uintptr_t)p;
    z->avail_in = chunk;
    int mode = n > chunk ? Z_NO_FLUSH : flush;
    for (;;) {
      if (w->len == BUF_CAP && !flush_buf(w, status)) return false;
      z->next_out = w->buf + w->len;
      z->avail_out = (uInt)(BUF_CAP - w->len);
      int rc = deflate(z, mode);
      w->len = BUF_CAP - z->avail_out;
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        rill_status_set(w->err, RILL_INTERNAL, "deflate failed for %s: %s", w->path, z->msg ? z->msg : zError(rc));
        rill_status_copy(status, w->err);
        return false;
      }
      /* Done once the input is consumed and zlib did not fill the output (nothing pending);
       * Z_FINISH is only done at Z_STREAM_END. */
      if (mode != Z_FINISH && z->avail_in == 0 && z->avail_out > 0) break;
    }
    if (n == chunk) return true;
    p += chunk;
    n -= chunk;
  }
}

bool rill_record_writer_write(rill_record_writer *w, const void *data, size_t len, rill_status *status) {
  if (!check_usable(w, status)) return false;
  if (len && !data) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Record writer for %s: data is NULL", w->path);
    return false;
  }
  if (len > SIZE_MAX - RILL_RECORD_HEADER - RILL_RECORD_FOOTER) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Record of %zu bytes is too large", len);
    return false;
  }
  uint8_t head[RILL_RECORD_HEADER], foot[RILL_RECORD_FOOTER];
  rill__record_frame_header(head, len);
  rill__record_frame_footer(foot, data, len);
  if (w->comp != RILL_COMPRESSION_NONE)
    return deflate_feed(w, head, sizeof head, Z_NO_FLUSH, status) &&
           deflate_feed(w, data, len, Z_NO_FLUSH, status) && deflate_feed(w, foot, sizeof foot, Z_NO_FLUSH, status);

  size_t total = len + RILL_RECORD_HEADER + RILL_RECORD_FOOTER;
  if (total > BUF_CAP - w->len && !flush_buf(w, status)) return false;
  if (total <= BUF_CAP - w->len) {
    uint8_t *p = w->buf + w->len;
    memcpy(p, head, sizeof head);
    if (len) memcpy(p + sizeof head, data, len);
    memcpy(p + sizeof head + len, foot, sizeof foot);
    w->len += total;
    return true;
  }
  /* Bigger than the buffer: straight to the file, without a copy. */
  struct iovec iov[3] = {{head, sizeof head}, {(void *)(uintptr_t)data, len}, {foot, sizeof foot}};
  if (!rill__writev_all(w->fd, iov, 3)) return fail_io(w, errno, status);
  w->durable += total;
  return true;
}

bool rill_record_writer_flush(rill_record_writer *w, rill_status *status) {
  if (!check_usable(w, status)) return false;
  if (w->comp != RILL_COMPRESSION_NONE && !deflate_feed(w, NULL, 0, Z_SYNC_FLUSH, status)) return false;
  return flush_buf(w, status);
}

bool rill_record_writer_close(rill_record_writer *w, rill_status *status) {
  if (!w) return true;
  bool ok = check_usable(w, status);
  if (ok && w->comp != RILL_COMPRESSION_NONE) ok = deflate_feed(w, NULL, 0, Z_FINISH, status);
  if (ok) ok = flush_buf(w, status);
  int fd = w->fd;
  w->fd = -1;
  if (close(fd) != 0 && ok) {
    rill__set_errno_status(status, errno, w->path);
    ok = false;
  }
  writer_free(w);
  return ok;
}
