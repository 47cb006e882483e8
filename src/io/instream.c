/* Input byte streams: plain or zlib/gzip-compressed, from a file descriptor or from memory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "io/instream.h"
#include "io/io_util.h"

/* TF reads compressed records through 256 KiB input buffers; the same size works well here. */
#define ZIN_CAP (256u * 1024u)

struct rill__instream {
  char *name;
  int fd; /* -1 for memory */
  const uint8_t *mem;
  size_t mem_len, mem_pos;
  rill_compression comp;
  z_stream z;
  bool z_init;
  bool z_done;        /* inflate reached the end of a compressed stream (gzip: of a member) */
  uint8_t *zin;
  uint64_t raw_total; /* compressed bytes read from the source so far */
  rill_status *err;   /* sticky failure */
};

static bool set_oom(rill_status *status, const char *what) {
  rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory %s", what);
  return false;
}

static int window_bits(rill_compression c) { return c == RILL_COMPRESSION_GZIP ? 15 + 16 : 15; }

static rill__instream *stream_new(const char *name, rill_compression c, rill_status *status) {
  if (c != RILL_COMPRESSION_NONE && c != RILL_COMPRESSION_ZLIB && c != RILL_COMPRESSION_GZIP) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Unknown compression type %d for %s", (int)c, name);
    return NULL;
  }
  rill__instream *in = calloc(1, sizeof *in);
  size_t nlen = strlen(name);
  if (in) in->name = malloc(nlen + 1);
  if (in) in->err = rill_status_new();
  if (!in || !in->name || !in->err) goto oom;
  memcpy(in->name, name, nlen + 1);
  in->fd = -1;
  in->comp = c;
  if (c != RILL_COMPRESSION_NONE) {
    in->zin = malloc(ZIN_CAP);
    if (!in->zin) goto oom;
    if (inflateInit2(&in->z, window_bits(c)) != Z_OK) goto oom;
    in->z_init = true;
  }
  return in;
oom:
  rill__instream_close(in);
  set_oom(status, "opening a record stream");
  return NULL;
}

rill__instream *rill__instream_open_file(const char *path, rill_compression c, rill_status *status) {
  rill__instream *in = stream_new(path, c, status);
  if (!in) return NULL;
  in->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (in->fd < 0) {
    rill__set_errno_status(status, errno, path);
    rill__instream_close(in);
    return NULL;
  }
  return in;
}

rill__instream *rill__instream_open_mem(const void *data, size_t len, const char *name, rill_compression c,
                                        rill_status *status) {
  rill__instream *in = stream_new(name ? name : "<memory>", c, status);
  if (!in) return NULL;
  in->mem = data;
  in->mem_len = data ? len : 0;
  return in;
}

void rill__instream_close(rill__instream *in) {
  if (!in) return;
  if (in->fd >= 0) close(in->fd);
  if (in->z_init) inflateEnd(&in->z);
  free(in->zin);
  free(in->name);
  rill_status_delete(in->err);
  free(in);
}

static ssize_t raw_read(rill__instream *in, void *dst, size_t n, rill_status *status) {
  if (in->fd < 0) {
    size_t k = in->mem_len - in->mem_pos;
    if (k > n) k = n;
    if (k) memcpy(dst, in->mem + in->mem_pos, k);
    in->mem_pos += k;
    return (ssize_t)k;
  }
  if (n > (size_t)SSIZE_MAX) n = (size_t)SSIZE_MAX;
  ssize_t got = rill__read_some(in->fd, dst, n);
  if (got < 0) {
    rill__set_errno_status(in->err, errno, in->name);
    rill_status_copy(status, in->err);
  }
  return got;
}

static ssize_t fail_zlib(rill__instream *in, int rc, rill_status *status) {
  uint64_t at = in->raw_total - in->z.avail_in;
  if (rc == Z_MEM_ERROR)
    rill_status_set(in->err, RILL_RESOURCE_EXHAUSTED, "Out of memory inflating %s", in->name);
  else
    rill_status_set(in->err, RILL_DATA_LOSS, "corrupted %s stream in file %s at compressed byte %llu: %s",
                    in->comp == RILL_COMPRESSION_GZIP ? "GZIP" : "ZLIB", in->name, (unsigned long long)at,
                    in->z.msg ? in->z.msg : zError(rc));
  rill_status_copy(status, in->err);
  return -1;
}

static ssize_t inflate_read(rill__instream *in, uint8_t *dst, size_t n, rill_status *status) {
  z_stream *z = &in->z;
  /* avail_out is a uInt; larger requests are simply filled partly. */
  uInt want = n > 0x40000000u ? 0x40000000u : (uInt)n;
  z->next_out = dst;
  z->avail_out = want;
  while (z->avail_out > 0) {
    if (z->avail_in == 0) {
      ssize_t got = raw_read(in, in->zin, ZIN_CAP, status);
      if (got < 0) return -1;
      if (got == 0) break;
      in->raw_total += (uint64_t)got;
      z->next_in = in->zin;
      z->avail_in = (uInt)got;
    }
    if (in->z_done) {
      /* More input after the end of a stream: gzip allows further members (as `gzip -d`
       * does); a zlib stream has exactly one. */
      if (in->comp != RILL_COMPRESSION_GZIP) {
        rill_status_set(in->err, RILL_DATA_LOSS,
                        "corrupted ZLIB stream in file %s: data after the end of the stream at compressed byte %llu",
                        in->name, (unsigned long long)(in->raw_total - z->avail_in));
        rill_status_copy(status, in->err);
        return -1;
      }
      if (inflateReset(z) != Z_OK) return fail_zlib(in, Z_STREAM_ERROR, status);
      in->z_done = false;
    }
    int rc = inflate(z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      in->z_done = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return fail_zlib(in, rc, status);
    }
  }
  return (ssize_t)(want - z->avail_out);
}

ssize_t rill__instream_read(rill__instream *in, void *dst, size_t n, rill_status *status) {
  if (rill_status_code(in->err) != RILL_OK) {
    rill_status_copy(status, in->err);
    return -1;
  }
  if (n == 0) return 0;
  if (in->comp == RILL_COMPRESSION_NONE) return raw_read(in, dst, n, status);
  return inflate_read(in, dst, n, status);
}

bool rill__instream_complete(const rill__instream *in) {
  return in->comp == RILL_COMPRESSION_NONE || (in->z_done && in->z.avail_in == 0);
}

bool rill__instream_rewind(rill__instream *in, rill_status *status) {
  if (in->fd >= 0 && lseek(in->fd, 0, SEEK_SET) < 0) {
    rill__set_errno_status(status, errno, in->name);
    return false;
  }
  in->mem_pos = 0;
  rill_status_clear(in->err);
  if (in->z_init) {
    if (inflateReset(&in->z) != Z_OK) {
      rill_status_set(status, RILL_INTERNAL, "inflateReset failed for %s", in->name);
      return false;
    }
    in->z.avail_in = 0;
    in->z_done = false;
    in->raw_total = 0;
  }
  return true;
}

bool rill__instream_seek_raw(rill__instream *in, uint64_t offset, rill_status *status) {
  if (in->comp != RILL_COMPRESSION_NONE) return false;
  if (in->fd < 0) {
    in->mem_pos = offset < in->mem_len ? (size_t)offset : in->mem_len;
    return true;
  }
  if (offset > (uint64_t)INT64_MAX || lseek(in->fd, (off_t)offset, SEEK_SET) < 0) {
    rill__set_errno_status(status, offset > (uint64_t)INT64_MAX ? EINVAL : errno, in->name);
    return false;
  }
  return true;
}

bool rill__instream_compressed(const rill__instream *in) { return in->comp != RILL_COMPRESSION_NONE; }

const char *rill__instream_name(const rill__instream *in) { return in->name; }
