/* libFuzzer target: the protobuf wire decoder (src/io/pb.c).
 *
 * Walks the input as a message, descending into every length-delimited field that itself
 * parses as a message (as a schema-driven decoder would), and reads packed bodies of every width.
 * Then checks the encoder against the decoder: the top-level fields re-encoded and decoded again
 * give the same fields. Any mismatch traps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "io/pb.h"

#define MAX_DEPTH 12
#define MAX_FIELDS 4096

static void walk(rill__pb_reader *r, int depth) {
  rill__pb_field f;
  while (rill__pb_next(r, &f, NULL) > 0) {
    if (f.wire != RILL_PB_LEN) continue;
    if (f.data < r->base || f.data + f.len > r->end) __builtin_trap();
    rill__pb_reader sub;
    rill__pb_reader_sub(&sub, r, &f);
    uint64_t v;
    while (rill__pb_read_varint(&sub, &v, NULL) > 0) {
    }
    rill__pb_reader_sub(&sub, r, &f);
    uint32_t u32;
    if (rill__pb_packed_fixed_count(r, &f, 4, NULL) >= 0)
      while (rill__pb_read_fixed32(&sub, &u32, NULL) > 0) {
      }
    (void)rill__pb_packed_varint_count(&f);
    if (depth < MAX_DEPTH) {
      rill__pb_reader_sub(&sub, r, &f);
      walk(&sub, depth + 1);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rill__pb_reader r;
  rill__pb_reader_init(&r, data, size);
  walk(&r, 0);

  static rill__pb_field fields[MAX_FIELDS];
  size_t n = 0;
  rill__pb_reader_init(&r, data, size);
  int rc;
  while (n < MAX_FIELDS && (rc = rill__pb_next(&r, &fields[n], NULL)) > 0) n++;
  if (n == MAX_FIELDS || rc < 0) return 0;

  rill__pb_buf b;
  rill__pb_buf_init(&b);
  for (size_t i = 0; i < n; i++) {
    const rill__pb_field *f = &fields[i];
    switch (f->wire) {
      case RILL_PB_VARINT: rill__pb_write_varint(&b, f->number, f->u); break;
      case RILL_PB_FIXED32: rill__pb_write_fixed32(&b, f->number, (uint32_t)f->u); break;
      case RILL_PB_FIXED64: rill__pb_write_fixed64(&b, f->number, f->u); break;
      case RILL_PB_LEN: {
        /* Half the time through begin/end, to exercise the length back-patching. */
        if (i & 1) {
          size_t m = rill__pb_begin(&b, f->number);
          rill__pb_put_raw(&b, f->data, f->len);
          rill__pb_end(&b, m);
        } else {
          rill__pb_write_bytes(&b, f->number, f->data, f->len);
        }
        break;
      }
    }
  }
  if (!rill__pb_buf_ok(&b)) __builtin_trap();
  rill__pb_reader_init(&r, b.data, b.len);
  rill__pb_field g;
  for (size_t i = 0; i < n; i++) {
    if (rill__pb_next(&r, &g, NULL) != 1) __builtin_trap();
    const rill__pb_field *f = &fields[i];
    if (g.number != f->number || g.wire != f->wire || g.u != f->u || g.len != f->len) __builtin_trap();
    if (g.len && memcmp(g.data, f->data, g.len)) __builtin_trap();
  }
  if (rill__pb_next(&r, &g, NULL) != 0) __builtin_trap();
  rill__pb_buf_free(&b);
  return 0;
}
