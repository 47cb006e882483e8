/* libFuzzer target: the TFRecord reader (src/io/record_reader.c, instream.c) and writer.
 *
 * The first input byte picks the compression (none, ZLIB, GZIP), the rest is the file. Every
 * record read is written again through a writer (to /dev/null), offsets seen are sought back to
 * and re-read, and for an uncompressed file that reads cleanly to its end, framing the records
 * again must reproduce the input exactly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "io/record.h"
#include "rill/rill.h"

#define MAX_RECORDS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  rill_compression c = (rill_compression)(data[0] % 3);
  data++;
  size--;
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill__record_reader_new_mem(data, size, "fuzz", c, st);
  if (!rd) __builtin_trap();
  rill_record_writer *w = rill_record_writer_new("/dev/null", c, NULL);
  static uint64_t offs[MAX_RECORDS];
  static size_t lens[MAX_RECORDS];
  uint8_t *copy = c == RILL_COMPRESSION_NONE ? malloc(size + 1) : NULL;
  size_t n = 0, at = 0;
  const uint8_t *d;
  size_t len;
  while (n < MAX_RECORDS) {
    uint64_t off = rill_record_reader_offset(rd);
    if (!rill_record_reader_next(rd, &d, &len, st)) break;
    offs[n] = off;
    lens[n++] = len;
    if (w) rill_record_writer_write(w, d, len, NULL);
    if (copy) {
      if (at + len + 16 > size) __builtin_trap();
      rill__record_frame_header(copy + at, len);
      memcpy(copy + at + 12, d, len);
      rill__record_frame_footer(copy + at + 12 + len, d, len);
      at += len + 16;
    }
  }
  rill_code end = rill_status_code(st);
  if (n < MAX_RECORDS && end != RILL_OUT_OF_RANGE && end != RILL_DATA_LOSS && end != RILL_RESOURCE_EXHAUSTED)
    __builtin_trap();
  if (copy && end == RILL_OUT_OF_RANGE && (at != size || memcmp(copy, data, size))) __builtin_trap();
  /* Every record read once reads again, identically sized, after seeking back to it. */
  for (size_t i = n; i-- > 0;) {
    if (!rill_record_reader_seek(rd, offs[i], st)) __builtin_trap();
    if (!rill_record_reader_next(rd, &d, &len, st) || len != lens[i]) __builtin_trap();
  }
  rill_record_writer_close(w, NULL);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
  free(copy);
  return 0;
}
