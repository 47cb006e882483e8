/* TFRecord writer and reader: framing bytes, the three compressions, big records across buffer
 * boundaries, and damage of every kind — each corrupted or truncated byte position gives
 * DATA_LOSS naming the file and the record's offset (or a clean OUT_OF_RANGE exactly at a
 * record boundary), never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "rill/rill.h"
#include "io/record.h"

static const rill_compression ALL[3] = {RILL_COMPRESSION_NONE, RILL_COMPRESSION_ZLIB, RILL_COMPRESSION_GZIP};

static char dir[64];

static int setup(void **state) {
  (void)state;
  strcpy(dir, "/tmp/rill_record_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void path_of(const char *name, char *out, size_t cap) { snprintf(out, cap, "%s/%s", dir, name); }

/* A record set with sizes chosen around the writer's 256 KiB and the reader's 1 MiB buffers. */
typedef struct recs {
  size_t n;
  uint8_t **data;
  size_t *len;
} recs;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static recs make_recs(const size_t *sizes, size_t n) {
  recs r = {n, calloc(n, sizeof(uint8_t *)), calloc(n, sizeof(size_t))};
  for (size_t i = 0; i < n; i++) {
    r.len[i] = sizes[i];
    r.data[i] = malloc(sizes[i] ? sizes[i] : 1);
    for (size_t k = 0; k < sizes[i]; k++) r.data[i][k] = (uint8_t)(rnd() >> 24);
  }
  return r;
}

static void free_recs(recs *r) {
  for (size_t i = 0; i < r->n; i++) free(r->data[i]);
  free(r->data);
  free(r->len);
}

static void write_recs(const char *path, rill_compression c, const recs *r) {
  rill_status *st = rill_status_new();
  rill_record_writer *w = rill_record_writer_new(path, c, st);
  assert_non_null(w);
  for (size_t i = 0; i < r->n; i++) assert_true(rill_record_writer_write(w, r->data[i], r->len[i], st));
  assert_true(rill_record_writer_close(w, st));
  rill_status_delete(st);
}

/* Reads everything and checks it equals r, then a clean OUT_OF_RANGE (twice: it is repeatable). */
static void check_reader(rill_record_reader *rd, const recs *r) {
  rill_status *st = rill_status_new();
  const uint8_t *d;
  size_t len;
  uint64_t off = 0;
  for (size_t i = 0; i < r->n; i++) {
    assert_int_equal(rill_record_reader_offset(rd), off);
    if (!rill_record_reader_next(rd, &d, &len, st)) fail_msg("record %zu: %s", i, rill_status_message(st));
    assert_int_equal(len, r->len[i]);
    if (len) assert_memory_equal(d, r->data[i], len);
    off += len + 16;
  }
  for (int k = 0; k < 2; k++) {
    assert_false(rill_record_reader_next(rd, &d, &len, st));
    assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  }
  rill_status_delete(st);
}

static void check_file(const char *path, rill_compression c, const recs *r) {
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(path, c, st);
  assert_non_null(rd);
  check_reader(rd, r);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

static void spill(const char *path, const void *data, size_t len, const char *mode) {
  FILE *f = fopen(path, mode);
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

/* The framing built independently of the writer: length, masked CRCs, data. */
static uint8_t *frame_all(const recs *r, size_t *out_len) {
  size_t total = 0;
  for (size_t i = 0; i < r->n; i++) total += r->len[i] + 16;
  uint8_t *b = malloc(total + 1), *p = b;
  for (size_t i = 0; i < r->n; i++) {
    uint64_t n = r->len[i];
    for (int k = 0; k < 8; k++) p[k] = (uint8_t)(n >> (8 * k));
    uint32_t c = rill_crc32c_mask(rill_crc32c(p, 8));
    for (int k = 0; k < 4; k++) p[8 + k] = (uint8_t)(c >> (8 * k));
    memcpy(p + 12, r->data[i], r->len[i]);
    c = rill_crc32c_mask(rill_crc32c(r->data[i], r->len[i]));
    for (int k = 0; k < 4; k++) p[12 + r->len[i] + k] = (uint8_t)(c >> (8 * k));
    p += r->len[i] + 16;
  }
  *out_len = total;
  return b;
}

/* ---- round trips ---- */

static void test_roundtrip_sizes(void **state) {
  (void)state;
  const size_t sizes[] = {0, 1, 100, 0, 300000, 7, 1500000, 262128, 262129, 5};
  recs r = make_recs(sizes, sizeof sizes / sizeof sizes[0]);
  for (int c = 0; c < 3; c++) {
    char p[128];
    path_of(c == 0 ? "sizes.tfrecord" : c == 1 ? "sizes.zlib" : "sizes.gz", p, sizeof p);
    write_recs(p, ALL[c], &r);
    check_file(p, ALL[c], &r);
  }
  free_recs(&r);
}

static void test_roundtrip_many_small(void **state) {
  (void)state;
  size_t sizes[20000];
  for (size_t i = 0; i < 20000; i++) sizes[i] = rnd() % 1200;
  recs r = make_recs(sizes, 20000);
  for (int c = 0; c < 3; c++) {
    char p[128];
    path_of("many.tfrecord", p, sizeof p);
    write_recs(p, ALL[c], &r);
    check_file(p, ALL[c], &r);
  }
  free_recs(&r);
}

/* formats.md §1: a real event record (TensorBoard's tf_record.rs doc test), byte for byte. */
static void test_golden_event_record(void **state) {
  (void)state;
  const uint8_t event[24] = {0x09, 0x00, 0x00, 0x80, 0x38, 0x99, 0xd6, 0xd7, 0x41, 0x1a, 0x0d, 'b',
                             'r',  'a',  'i',  'n',  '.',  'E',  'v',  'e',  'n',  't',  ':',  '2'};
  const uint8_t head[12] = {0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22};
  const uint8_t foot[4] = {0x12, 0x4b, 0x36, 0xab};
  char p[128];
  path_of("events.out.tfevents.1.host", p, sizeof p);
  rill_status *st = rill_status_new();
  rill_record_writer *w = rill_record_writer_new(p, RILL_COMPRESSION_NONE, st);
  assert_non_null(w);
  assert_true(rill_record_writer_write(w, event, sizeof event, st));
  assert_true(rill_record_writer_close(w, st));
  size_t len;
  uint8_t *b = slurp(p, &len);
  assert_int_equal(len, 40);
  assert_memory_equal(b, head, 12);
  assert_memory_equal(b + 12, event, 24);
  assert_memory_equal(b + 36, foot, 4);
  free(b);
  rill_status_delete(st);
}

/* Compressed files are one ordinary zlib / gzip stream around the plain framing. */
static void test_compressed_streams_are_standard(void **state) {
  (void)state;
  const size_t sizes[] = {10, 0, 5000, 123};
  recs r = make_recs(sizes, 4);
  size_t plain_len;
  uint8_t *plain = frame_all(&r, &plain_len);
  char p[128];

  path_of("std.tfrecord", p, sizeof p);
  write_recs(p, RILL_COMPRESSION_NONE, &r);
  size_t len;
  uint8_t *b = slurp(p, &len);
  assert_int_equal(len, plain_len);
  assert_memory_equal(b, plain, len);
  free(b);

  path_of("std.zlib", p, sizeof p);
  write_recs(p, RILL_COMPRESSION_ZLIB, &r);
  b = slurp(p, &len);
  assert_int_equal(b[0], 0x78); /* zlib header, windowBits 15 */
  uLongf out_len = plain_len + 1;
  uint8_t *out = malloc(out_len);
  assert_int_equal(uncompress(out, &out_len, b, len), Z_OK);
  assert_int_equal(out_len, plain_len);
  assert_memory_equal(out, plain, plain_len);
  free(b);

  path_of("std.gz", p, sizeof p);
  write_recs(p, RILL_COMPRESSION_GZIP, &r);
  b = slurp(p, &len);
  assert_true(b[0] == 0x1f && b[1] == 0x8b);
  free(b);
  gzFile gz = gzopen(p, "rb");
  assert_non_null(gz);
  memset(out, 0, plain_len);
  assert_int_equal(gzread(gz, out, (unsigned)plain_len + 1), (int)plain_len);
  gzclose(gz);
  assert_memory_equal(out, plain, plain_len);

  /* And Rill reads gzip written by zlib's gzwrite, including a second concatenated member. */
  path_of("gzwrite.gz", p, sizeof p);
  for (int member = 0; member < 2; member++) {
    gz = gzopen(p, member ? "ab" : "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, plain, (unsigned)plain_len), (int)plain_len);
    gzclose(gz);
  }
  recs twice = {8, calloc(8, sizeof(uint8_t *)), calloc(8, sizeof(size_t))};
  for (size_t i = 0; i < 8; i++) {
    twice.data[i] = r.data[i % 4];
    twice.len[i] = r.len[i % 4];
  }
  check_file(p, RILL_COMPRESSION_GZIP, &twice);
  free(twice.data);
  free(twice.len);
  free(out);
  free(plain);
  free_recs(&r);
}

/* ---- damage ---- */

static const size_t DAMAGE_SIZES[] = {0, 5, 40, 1};

/* Flipping any single byte of a plain file: the records before the damaged one read back, the
 * damaged one gives DATA_LOSS naming the file and its offset. Both a file reader and a memory
 * reader are checked. */
static void test_corruption_every_byte_plain(void **state) {
  (void)state;
  recs r = make_recs(DAMAGE_SIZES, 4);
  size_t len;
  uint8_t *plain = frame_all(&r, &len);
  size_t starts[5] = {0};
  for (size_t i = 0; i < 4; i++) starts[i + 1] = starts[i] + r.len[i] + 16;
  char p[128], want[256];
  path_of("damaged.tfrecord", p, sizeof p);
  rill_status *st = rill_status_new();
  for (size_t pos = 0; pos < len; pos++) {
    for (int flip = 0; flip < 2; flip++) {
      uint8_t *b = malloc(len);
      memcpy(b, plain, len);
      b[pos] ^= flip ? 0xff : 0x01;
      size_t victim = 0;
      while (pos >= starts[victim + 1]) victim++;
      spill(p, b, len, "wb");
      for (int via_file = 0; via_file < 2; via_file++) {
        rill_record_reader *rd = via_file ? rill_record_reader_new(p, RILL_COMPRESSION_NONE, st)
                                          : rill__record_reader_new_mem(b, len, p, RILL_COMPRESSION_NONE, st);
        assert_non_null(rd);
        const uint8_t *d;
        size_t n;
        for (size_t i = 0; i < victim; i++) {
          assert_true(rill_record_reader_next(rd, &d, &n, st));
          assert_int_equal(n, r.len[i]);
        }
        assert_false(rill_record_reader_next(rd, &d, &n, st));
        assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
        snprintf(want, sizeof want, "corrupted record at %zu in file %s", starts[victim], p);
        if (!strstr(rill_status_message(st), want))
          fail_msg("byte %zu: '%s' lacks '%s'", pos, rill_status_message(st), want);
        /* A damaged length field cannot be skipped; damaged data can, and the rest reads. */
        bool in_header = pos - starts[victim] < 12;
        if (in_header) {
          assert_false(rill_record_reader_next(rd, &d, &n, st));
          assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
          assert_int_equal(rill_record_reader_offset(rd), starts[victim]);
        } else {
          for (size_t i = victim + 1; i < 4; i++) {
            assert_true(rill_record_reader_next(rd, &d, &n, st));
            assert_int_equal(n, r.len[i]);
          }
          assert_false(rill_record_reader_next(rd, &d, &n, st));
          assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
        }
        rill_record_reader_delete(rd);
      }
      free(b);
    }
  }
  /* At offset 0 TF asks whether this is a TFRecord file at all. */
  rill_record_reader *rd = rill__record_reader_new_mem("not a tfrecord file", 19, "x", RILL_COMPRESSION_NONE, st);
  const uint8_t *d;
  size_t n;
  assert_false(rill_record_reader_next(rd, &d, &n, st));
  assert_non_null(strstr(rill_status_message(st), "Is this even a TFRecord file?"));
  rill_record_reader_delete(rd);
  rill_status_delete(st);
  free(plain);
  free_recs(&r);
}

/* Cutting a plain file at every length: OUT_OF_RANGE exactly at record boundaries, otherwise
 * DATA_LOSS "truncated record at <start of the cut record>". */
static void test_truncation_every_length_plain(void **state) {
  (void)state;
  recs r = make_recs(DAMAGE_SIZES, 4);
  size_t len;
  uint8_t *plain = frame_all(&r, &len);
  size_t starts[5] = {0};
  for (size_t i = 0; i < 4; i++) starts[i + 1] = starts[i] + r.len[i] + 16;
  char p[128], want[256];
  path_of("cut.tfrecord", p, sizeof p);
  rill_status *st = rill_status_new();
  for (size_t cut = 0; cut <= len; cut++) {
    spill(p, plain, cut, "wb");
    rill_record_reader *rd = rill_record_reader_new(p, RILL_COMPRESSION_NONE, st);
    assert_non_null(rd);
    const uint8_t *d;
    size_t n, got = 0;
    while (rill_record_reader_next(rd, &d, &n, st)) {
      assert_int_equal(n, r.len[got]);
      got++;
    }
    size_t whole = 0;
    while (whole < 4 && starts[whole + 1] <= cut) whole++;
    assert_int_equal(got, whole);
    if (cut == starts[whole]) {
      assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
    } else {
      assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
      snprintf(want, sizeof want, "truncated record at %zu in file %s", starts[whole], p);
      if (!strstr(rill_status_message(st), want)) fail_msg("cut %zu: '%s'", cut, rill_status_message(st));
    }
    rill_record_reader_delete(rd);
  }
  rill_status_delete(st);
  free(plain);
  free_recs(&r);
}

/* Compressed files: any flipped byte gives DATA_LOSS or (for bytes zlib does not check, such as
 * the gzip header's timestamp) the original records; any cut gives DATA_LOSS. */
static void test_damage_every_byte_compressed(void **state) {
  (void)state;
  recs r = make_recs(DAMAGE_SIZES, 4);
  rill_status *st = rill_status_new();
  for (int c = 1; c < 3; c++) {
    char p[128];
    path_of("damaged.z", p, sizeof p);
    write_recs(p, ALL[c], &r);
    size_t len;
    uint8_t *good = slurp(p, &len);
    size_t losses = 0;
    for (size_t pos = 0; pos <= len; pos++) {
      for (int kind = 0; kind < 2; kind++) {
        bool cut = kind == 1;
        if (!cut && pos == len) continue;
        size_t blen = cut ? pos : len;
        uint8_t *b = malloc(blen ? blen : 1);
        memcpy(b, good, blen);
        if (!cut) b[pos] ^= 0x55;
        rill_record_reader *rd = rill__record_reader_new_mem(b, blen, p, ALL[c], st);
        assert_non_null(rd);
        const uint8_t *d;
        size_t n, got = 0;
        bool same = true;
        while (rill_record_reader_next(rd, &d, &n, st)) {
          if (got >= 4 || n != r.len[got] || (n && memcmp(d, r.data[got], n))) same = false;
          got++;
        }
        rill_code code = rill_status_code(st);
        if (cut && pos == len) {
          assert_int_equal(code, RILL_OUT_OF_RANGE);
        } else if (cut) {
          assert_int_equal(code, RILL_DATA_LOSS);
          assert_true(same);
        } else if (code == RILL_DATA_LOSS) {
          losses++;
          assert_non_null(strstr(rill_status_message(st), p));
          assert_non_null(strstr(rill_status_message(st), "record at "));
        } else {
          assert_int_equal(code, RILL_OUT_OF_RANGE);
          assert_true(same && got == 4);
        }
        rill_record_reader_delete(rd);
        free(b);
      }
    }
    /* All but a handful of header bytes are covered by some check. */
    assert_true(losses + 12 >= len);
    free(good);
  }
  rill_status_delete(st);
  free_recs(&r);
}

/* A length with a valid CRC that claims far more than the file holds is a truncation, found
 * without allocating the claimed size. */
static void test_huge_length(void **state) {
  (void)state;
  uint8_t b[40] = {0};
  uint64_t n = UINT64_C(1) << 62;
  for (int k = 0; k < 8; k++) b[k] = (uint8_t)(n >> (8 * k));
  uint32_t c = rill_crc32c_mask(rill_crc32c(b, 8));
  for (int k = 0; k < 4; k++) b[8 + k] = (uint8_t)(c >> (8 * k));
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill__record_reader_new_mem(b, sizeof b, "huge", RILL_COMPRESSION_NONE, st);
  const uint8_t *d;
  size_t len;
  assert_false(rill_record_reader_next(rd, &d, &len, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), "truncated record at 0 in file huge"));
  rill_record_reader_delete(rd);
  rill_status_delete(st);
}

/* ---- positioning ---- */

/* A reader at the end of a growing file picks up what is appended, including a record that was
 * only half written when it was first seen. */
static void test_tailing_growing_file(void **state) {
  (void)state;
  const size_t sizes[] = {30, 50, 70};
  recs r = make_recs(sizes, 3);
  size_t len;
  uint8_t *plain = frame_all(&r, &len);
  char p[128];
  path_of("growing.tfrecord", p, sizeof p);
  spill(p, plain, 46 + 20, "wb"); /* record 0 and 20 bytes of record 1 */
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(p, RILL_COMPRESSION_NONE, st);
  const uint8_t *d;
  size_t n;
  assert_true(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(n, 30);
  assert_false(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), "truncated record at 46"));
  assert_int_equal(rill_record_reader_offset(rd), 46);
  spill(p, plain + 66, 112 - 66, "ab"); /* rest of record 1, exactly */
  assert_true(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(n, 50);
  assert_memory_equal(d, r.data[1], 50);
  assert_false(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  spill(p, plain + 112, len - 112, "ab");
  assert_true(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(n, 70);
  assert_memory_equal(d, r.data[2], 70);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
  free(plain);
  free_recs(&r);
}

static void test_seek(void **state) {
  (void)state;
  const size_t sizes[] = {10, 2000000, 3, 0, 400000, 9};
  recs r = make_recs(sizes, 6);
  rill_status *st = rill_status_new();
  for (int c = 0; c < 3; c++) {
    char p[128];
    path_of("seek.tfrecord", p, sizeof p);
    write_recs(p, ALL[c], &r);
    rill_record_reader *rd = rill_record_reader_new(p, ALL[c], st);
    uint64_t offs[7];
    const uint8_t *d;
    size_t n;
    for (int i = 0; i < 6; i++) {
      offs[i] = rill_record_reader_offset(rd);
      assert_true(rill_record_reader_next(rd, &d, &n, st));
    }
    offs[6] = rill_record_reader_offset(rd);
    const int order[] = {3, 0, 5, 1, 4, 2, 6, 0};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
      int i = order[k];
      if (!rill_record_reader_seek(rd, offs[i], st))
        fail_msg("compression %d, seek to %llu: %s", c, (unsigned long long)offs[i], rill_status_message(st));
      assert_int_equal(rill_record_reader_offset(rd), offs[i]);
      if (i == 6) {
        assert_false(rill_record_reader_next(rd, &d, &n, st));
        assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
        continue;
      }
      assert_true(rill_record_reader_next(rd, &d, &n, st));
      assert_int_equal(n, r.len[i]);
      if (n) assert_memory_equal(d, r.data[i], n);
    }
    if (c != 0) {
      assert_false(rill_record_reader_seek(rd, offs[6] + 1, st));
      assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
    }
    rill_record_reader_delete(rd);
  }
  rill_status_delete(st);
  free_recs(&r);
}

/* ---- errors ---- */

static void test_open_errors(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  char p[128];
  path_of("no/such/dir/x.tfrecord", p, sizeof p);
  assert_null(rill_record_writer_new(p, RILL_COMPRESSION_NONE, st));
  assert_int_equal(rill_status_code(st), RILL_NOT_FOUND);
  assert_non_null(strstr(rill_status_message(st), "; No such file or directory"));
  assert_non_null(strstr(rill_status_message(st), p));
  assert_null(rill_record_reader_new(p, RILL_COMPRESSION_NONE, st));
  assert_int_equal(rill_status_code(st), RILL_NOT_FOUND);
  assert_null(rill_record_writer_new(dir, RILL_COMPRESSION_NONE, st)); /* a directory */
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  path_of("bad.tfrecord", p, sizeof p);
  assert_null(rill_record_writer_new(p, (rill_compression)7, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_null(rill_record_reader_new(p, (rill_compression)7, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  /* A directory opens for reading but fails on the first read, as a status. */
  rill_record_reader *rd = rill_record_reader_new(dir, RILL_COMPRESSION_NONE, st);
  assert_non_null(rd);
  const uint8_t *d;
  size_t n;
  assert_false(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  rill_record_reader_delete(rd);

  rill_compression c;
  assert_true(rill_compression_parse("", &c, st) && c == RILL_COMPRESSION_NONE);
  assert_true(rill_compression_parse(NULL, &c, st) && c == RILL_COMPRESSION_NONE);
  assert_true(rill_compression_parse("ZLIB", &c, st) && c == RILL_COMPRESSION_ZLIB);
  assert_true(rill_compression_parse("GZIP", &c, st) && c == RILL_COMPRESSION_GZIP);
  assert_false(rill_compression_parse("SNAPPY", &c, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_compression_name(RILL_COMPRESSION_GZIP), "GZIP");
  assert_string_equal(rill_compression_name(RILL_COMPRESSION_NONE), "");
  assert_true(rill_record_writer_close(NULL, st));
  rill_record_reader_delete(NULL);
  rill_status_delete(st);
}

/* A full disk: the failing call reports RESOURCE_EXHAUSTED, later writes FAILED_PRECONDITION. */
static void test_disk_full(void **state) {
  (void)state;
  struct stat sb;
  if (stat("/dev/full", &sb) != 0) skip();
  rill_status *st = rill_status_new();
  for (int c = 0; c < 3; c++) {
    rill_record_writer *w = rill_record_writer_new("/dev/full", ALL[c], st);
    if (!w) skip();
    const size_t sizes[] = {600000};
    recs r = make_recs(sizes, 1);
    bool ok = rill_record_writer_write(w, r.data[0], r.len[0], st) && rill_record_writer_flush(w, st);
    assert_false(ok);
    assert_int_equal(rill_status_code(st), RILL_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(rill_status_message(st), "No space left on device"));
    assert_false(rill_record_writer_write(w, "x", 1, st));
    assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
    assert_false(rill_record_writer_close(w, st));
    free_recs(&r);
  }
  /* Small records fail at flush or close, never silently. */
  rill_record_writer *w = rill_record_writer_new("/dev/full", RILL_COMPRESSION_NONE, st);
  assert_true(rill_record_writer_write(w, "abc", 3, st));
  assert_false(rill_record_writer_close(w, st));
  assert_int_equal(rill_status_code(st), RILL_RESOURCE_EXHAUSTED);
  rill_status_delete(st);
}

/* A file-size limit hit in the middle of a record: the writer cuts the file back so it holds only
 * whole records. Runs in a child process so the limit stays there. */
static void test_no_torn_record_on_failure(void **state) {
  (void)state;
  char p[128];
  path_of("limited.tfrecord", p, sizeof p);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {100000, 100000};
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(3);
    rill_status *st = rill_status_new();
    rill_record_writer *w = rill_record_writer_new(p, RILL_COMPRESSION_NONE, st);
    if (!w) _exit(4);
    uint8_t rec[7000];
    memset(rec, 0xab, sizeof rec);
    int i = 0;
    bool ok = true;
    for (; ok && i < 100; i++) ok = rill_record_writer_write(w, rec, sizeof rec, st) && rill_record_writer_flush(w, st);
    rill_record_writer_close(w, NULL);
    _exit(ok ? 5 : rill_status_code(st) == RILL_OUT_OF_RANGE ? 0 : 6); /* EFBIG maps to OUT_OF_RANGE */
  }
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst));
  assert_int_equal(WEXITSTATUS(wst), 0);
  size_t len;
  uint8_t *b = slurp(p, &len);
  free(b);
  assert_int_equal(len % 7016, 0);
  assert_int_equal(len / 7016, 100000 / 7016);
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(p, RILL_COMPRESSION_NONE, st);
  const uint8_t *d;
  size_t n, got = 0;
  while (rill_record_reader_next(rd, &d, &n, st)) got++;
  assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  assert_int_equal(got, 100000 / 7016);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
}

/* ---- tf_record_iterator ---- */

typedef struct collected {
  size_t n, stop_after;
  size_t total;
} collected;

static bool collect(const uint8_t *data, size_t len, void *arg) {
  collected *c = arg;
  (void)data;
  c->n++;
  c->total += len;
  return c->n != c->stop_after;
}

static void test_tf_record_iterator(void **state) {
  (void)state;
  const size_t sizes[] = {3, 4, 5, 6};
  recs r = make_recs(sizes, 4);
  char p[128];
  path_of("iter.tfrecord.gz", p, sizeof p);
  write_recs(p, RILL_COMPRESSION_GZIP, &r);
  rill_status *st = rill_status_new();
  collected c = {0, 0, 0};
  assert_true(rill_tf_record_iterator(p, RILL_COMPRESSION_GZIP, collect, &c, st));
  assert_int_equal(rill_status_code(st), RILL_OK);
  assert_true(c.n == 4 && c.total == 18);
  c = (collected){0, 2, 0};
  assert_true(rill_tf_record_iterator(p, RILL_COMPRESSION_GZIP, collect, &c, NULL));
  assert_int_equal(c.n, 2);
  /* The wrong compression is an error, as is a missing file. */
  c = (collected){0, 0, 0};
  assert_false(rill_tf_record_iterator(p, RILL_COMPRESSION_NONE, collect, &c, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_false(rill_tf_record_iterator(p, RILL_COMPRESSION_ZLIB, collect, &c, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_false(rill_tf_record_iterator("/nonexistent/x", RILL_COMPRESSION_NONE, collect, &c, NULL));
  assert_int_equal(c.n, 0);
  rill_status_delete(st);
  free_recs(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_sizes),
      cmocka_unit_test(test_roundtrip_many_small),
      cmocka_unit_test(test_golden_event_record),
      cmocka_unit_test(test_compressed_streams_are_standard),
      cmocka_unit_test(test_corruption_every_byte_plain),
      cmocka_unit_test(test_truncation_every_length_plain),
      cmocka_unit_test(test_damage_every_byte_compressed),
      cmocka_unit_test(test_huge_length),
      cmocka_unit_test(test_tailing_growing_file),
      cmocka_unit_test(test_seek),
      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_disk_full),
      cmocka_unit_test(test_no_torn_record_on_failure),
      cmocka_unit_test(test_tf_record_iterator),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
