/* The LevelDB-format table under checkpoint .index files, and the bundle writer's bytes:
 *  - formats.md 5.3's 148-byte index (byte-identical to libleveldb's TableBuilder) is what the
 *    table builder and the bundle writer produce, and the reader parses it back;
 *  - tables spanning many 256 KiB blocks round-trip, and every key is found;
 *  - LevelDB's separator and successor rules;
 *  - snappy blocks (which TF's reader accepts) decode, and bad ones are DATA_LOSS;
 *  - every truncation and every single-byte change of an index is either read correctly or
 *    rejected with DATA_LOSS naming the file, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ckpt_test_util.h"
#include "io/bundle.h"
#include "io/crc32c.h"
#include "io/leveldb_table.h"
#include "io/snappy.h"
#include "rill/rill.h"

/* formats.md 5.3: "w" = float32 [2] {1,2} at offset 0, "global_step" = int64 5 at offset 8. */
static const uint8_t spec_index[148] = {
    0x00, 0x00, 0x06, 0x08, 0x01, 0x1a, 0x02, 0x08, 0x01, 0x00, 0x0b, 0x0d, 0x67, 0x6c, 0x6f, 0x62, 0x61,
    0x6c, 0x5f, 0x73, 0x74, 0x65, 0x70, 0x08, 0x09, 0x12, 0x00, 0x20, 0x08, 0x28, 0x08, 0x35, 0xea, 0xb2,
    0x04, 0x3e, 0x00, 0x01, 0x0f, 0x77, 0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x02, 0x28, 0x08, 0x35,
    0x59, 0x3c, 0xe5, 0x35, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x35, 0x80, 0x3b, 0x65,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xf2, 0xa1, 0xb0, 0x00, 0x01, 0x02, 0x78,
    0x00, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x4d, 0x77, 0xf5, 0x44, 0x08,
    0x51, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
static const uint8_t spec_data[16] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 5, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t spec_header[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};
static const uint8_t spec_gs[] = {0x08, 0x09, 0x12, 0x00, 0x20, 0x08, 0x28, 0x08, 0x35, 0xea, 0xb2, 0x04, 0x3e};
static const uint8_t spec_w[] = {0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x02, 0x28, 0x08, 0x35, 0x59, 0x3c, 0xe5, 0x35};

static void test_builder_matches_spec(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill__table_builder b;
  rill__table_builder_init(&b);
  assert_true(rill__table_builder_add(&b, "", 0, spec_header, sizeof spec_header, st));
  assert_true(rill__table_builder_add(&b, "global_step", 11, spec_gs, sizeof spec_gs, st));
  assert_true(rill__table_builder_add(&b, "w", 1, spec_w, sizeof spec_w, st));
  /* out of order and repeated keys are refused */
  assert_false(rill__table_builder_add(&b, "w", 1, "", 0, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_false(rill__table_builder_add(&b, "a", 1, "", 0, st));
  size_t len;
  uint8_t *img = rill__table_builder_finish(&b, &len, st);
  assert_non_null(img);
  assert_int_equal(len, sizeof spec_index);
  assert_memory_equal(img, spec_index, len);

  rill__table t;
  assert_true(rill__table_open(&t, img, len, "spec.index", st));
  assert_int_equal(t.n, 3);
  assert_int_equal(t.kv[0].klen, 0);
  assert_int_equal(t.kv[1].klen, 11);
  assert_memory_equal(t.kv[1].key, "global_step", 11);
  assert_memory_equal(t.kv[1].value, spec_gs, sizeof spec_gs);
  assert_int_equal(rill__table_find(&t, "w", 1), 2);
  assert_int_equal(rill__table_find(&t, "", 0), 0);
  assert_int_equal(rill__table_find(&t, "v", 1), -1);
  assert_int_equal(rill__table_find(&t, "global_ste", 10), -1);
  rill__table_free(&t);
  rill_status_delete(st);
}

/* The bundle writer, given the same tensors, writes exactly formats.md's index and data. */
static void test_bundle_writer_matches_spec(void **state) {
  (void)state;
  char *dir = ckpt_tmpdir("table");
  char *prefix = ckpt_fmt("%s/model.ckpt-1", dir);
  rill_status *st = rill_status_new();
  rill__bundle_writer *w = rill__bundle_writer_new(prefix, st);
  assert_non_null(w);
  const float wv[2] = {1, 2};
  rill_tensor *tw = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), wv, sizeof wv, st);
  rill_tensor *gs = rill_tensor_scalar_int64(5);
  assert_true(rill__bundle_writer_add(w, "w", tw, st));
  assert_true(rill__bundle_writer_add(w, "global_step", gs, st));
  assert_true(rill__bundle_writer_finish(w, st));
  size_t n;
  char *ip = ckpt_fmt("%s.index", prefix), *dp = ckpt_fmt("%s.data-00000-of-00001", prefix);
  uint8_t *idx = ckpt_slurp(ip, &n);
  assert_non_null(idx);
  assert_int_equal(n, sizeof spec_index);
  assert_memory_equal(idx, spec_index, n);
  uint8_t *data = ckpt_slurp(dp, &n);
  assert_int_equal(n, sizeof spec_data);
  assert_memory_equal(data, spec_data, n);
  free(idx);
  free(data);
  free(ip);
  free(dp);
  rill_tensor_unref(tw);
  rill_tensor_unref(gs);
  rill_status_delete(st);
  ckpt_rmtree(dir);
  free(prefix);
  free(dir);
}

static void test_separator_successor(void **state) {
  (void)state;
  struct {
    const char *start, *limit, *want;
  } sep[] = {
      {"abcd", "abzz", "abd"},   /* first differing byte can be incremented below limit */
      {"abcd", "abd", "abcd"},   /* 'c'+1 == 'd': not below the limit byte, unchanged */
      {"abc", "abcdef", "abc"},  /* prefix: unchanged */
      {"helloworld", "hellz", "hellp"},
      {"a\xff", "b", "a\xff"},   /* 'a'+1 == 'b' */
  };
  for (size_t i = 0; i < sizeof sep / sizeof sep[0]; i++) {
    uint8_t buf[32];
    size_t len = strlen(sep[i].start);
    memcpy(buf, sep[i].start, len);
    rill__table_shortest_separator(buf, &len, (const uint8_t *)sep[i].limit, strlen(sep[i].limit));
    assert_int_equal(len, strlen(sep[i].want));
    assert_memory_equal(buf, sep[i].want, len);
  }
  uint8_t k1[] = {'w'};
  size_t l1 = 1;
  rill__table_short_successor(k1, &l1);
  assert_int_equal(l1, 1);
  assert_int_equal(k1[0], 'x');
  uint8_t k2[] = {0xff, 0xff, 0x10, 0x20};
  size_t l2 = 4;
  rill__table_short_successor(k2, &l2);
  assert_int_equal(l2, 3);
  assert_int_equal(k2[2], 0x11);
  uint8_t k3[] = {0xff, 0xff};
  size_t l3 = 2;
  rill__table_short_successor(k3, &l3);
  assert_int_equal(l3, 2);
}

/* Enough entries for many data blocks: keys share long prefixes (exercising prefix
 * compression and restarts), values vary in length. */
static void test_many_blocks_round_trip(void **state) {
  (void)state;
  enum { N = 30000 };
  rill_status *st = rill_status_new();
  rill__table_builder b;
  rill__table_builder_init(&b);
  char key[96], val[64];
  for (int i = 0; i < N; i++) {
    snprintf(key, sizeof key, "layer_%03d/some/long/shared/prefix/kernel_%06d", i / 100, i);
    int vl = 1 + (i * 7) % 40;
    for (int j = 0; j < vl; j++) val[j] = (char)(i + j);
    assert_true(rill__table_builder_add(&b, key, strlen(key), val, (size_t)vl, st));
  }
  size_t len;
  uint8_t *img = rill__table_builder_finish(&b, &len, st);
  assert_non_null(img);
  assert_true(len > 3 * RILL_TABLE_BLOCK_SIZE / 2); /* several blocks */
  rill__table t;
  assert_true(rill__table_open(&t, img, len, "big.index", st));
  assert_int_equal(t.n, N);
  for (int i = 0; i < N; i += 7) {
    snprintf(key, sizeof key, "layer_%03d/some/long/shared/prefix/kernel_%06d", i / 100, i);
    long at = rill__table_find(&t, key, strlen(key));
    assert_int_equal(at, i);
    int vl = 1 + (i * 7) % 40;
    assert_int_equal(t.kv[at].vlen, vl);
    for (int j = 0; j < vl; j++) assert_int_equal((uint8_t)t.kv[at].value[j], (uint8_t)(char)(i + j));
  }
  rill__table_free(&t);
  rill_status_delete(st);
}

static void expect_table_error(const uint8_t *img, size_t len, const char *needle) {
  rill_status *st = rill_status_new();
  uint8_t *copy = malloc(len ? len : 1);
  if (len) memcpy(copy, img, len);
  rill__table t;
  assert_false(rill__table_open(&t, copy, len, "x.index", st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  if (!strstr(rill_status_message(st), needle)) fail_msg("message '%s' lacks '%s'", rill_status_message(st), needle);
  assert_non_null(strstr(rill_status_message(st), "x.index"));
  rill__table_free(&t);
  rill_status_delete(st);
}

static void test_corrupt_tables(void **state) {
  (void)state;
  uint8_t img[sizeof spec_index];
  expect_table_error(spec_index, 47, "too short");
  memcpy(img, spec_index, sizeof img);
  img[sizeof img - 1] ^= 1;
  expect_table_error(img, sizeof img, "bad magic");
  memcpy(img, spec_index, sizeof img);
  img[20] ^= 0x40; /* inside the data block */
  expect_table_error(img, sizeof img, "checksum mismatch");
  memcpy(img, spec_index, sizeof img);
  img[103] = 0x7f; /* the index block's size (footer byte 3) runs past the file */
  expect_table_error(img, sizeof img, "outside the file");
  /* a block type that is neither none nor snappy, with a matching CRC */
  memcpy(img, spec_index, sizeof img);
  img[63] = 7;
  rill__put_le32(img + 64, rill_crc32c_mask(rill_crc32c_extend(rill_crc32c(img, 63), img + 63, 1)));
  expect_table_error(img, sizeof img, "bad block type");
}

/* Every prefix and every single-byte change of a valid index: parsed or DATA_LOSS, no crash
 * (run under ASan/UBSan in the sanitizer build). */
static void test_every_truncation_and_flip(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  for (size_t len = 0; len < sizeof spec_index; len++) {
    uint8_t *c = malloc(len + 1);
    memcpy(c, spec_index, len);
    rill__table t;
    bool ok = rill__table_open(&t, c, len, "t.index", st);
    /* A prefix keeps no valid footer (the magic is the last 8 bytes). */
    assert_false(ok);
    assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
    rill__table_free(&t);
  }
  int accepted = 0;
  for (size_t i = 0; i < sizeof spec_index; i++)
    for (int bit = 0; bit < 8; bit++) {
      uint8_t *c = malloc(sizeof spec_index);
      memcpy(c, spec_index, sizeof spec_index);
      c[i] ^= (uint8_t)(1u << bit);
      rill_status_clear(st);
      rill__table t;
      if (rill__table_open(&t, c, sizeof spec_index, "t.index", st)) {
        accepted++;
        /* only bytes no reader looks at may change: the metaindex block and footer padding */
        assert_true((i >= 68 && i < 81) || (i >= 100 && i < 140));
        assert_int_equal(t.n, 3);
      } else {
        assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
      }
      rill__table_free(&t);
    }
  assert_true(accepted > 0);
  rill_status_delete(st);
}

/* ---- snappy ---- */

static void test_snappy(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  size_t n;
  /* "abcabcabc": literal "abc", then a 1-byte-offset copy of length 6 at offset 3 (overlapping) */
  const uint8_t v1[] = {0x09, 0x08, 'a', 'b', 'c', 0x09, 0x03};
  uint8_t *o = rill__snappy_uncompress(v1, sizeof v1, 1 << 20, &n, st);
  assert_non_null(o);
  assert_int_equal(n, 9);
  assert_memory_equal(o, "abcabcabc", 9);
  free(o);
  /* 2-byte-offset copy (tag 10): "xy" then 64 copies of offset 2 */
  const uint8_t v2[] = {66, 0x04, 'x', 'y', (63 << 2) | 2, 0x02, 0x00};
  o = rill__snappy_uncompress(v2, sizeof v2, 1 << 20, &n, st);
  assert_non_null(o);
  assert_int_equal(n, 66);
  for (size_t i = 0; i < n; i++) assert_int_equal(o[i], i % 2 ? 'y' : 'x');
  free(o);
  /* a 61-byte literal uses the 1-extra-byte length form (tag 60 << 2) */
  uint8_t v3[64] = {61, 60 << 2, 60};
  for (int i = 0; i < 61; i++) v3[3 + i] = (uint8_t)i;
  o = rill__snappy_uncompress(v3, sizeof v3, 1 << 20, &n, st);
  assert_non_null(o);
  assert_int_equal(n, 61);
  assert_int_equal(o[60], 60);
  free(o);
  /* malformed: copy before the start, length mismatch, cut-off literal, over the limit */
  const uint8_t bad1[] = {0x04, 0x09, 0x03};
  const uint8_t bad2[] = {0x05, 0x08, 'a', 'b', 'c'};
  const uint8_t bad3[] = {0x09, 0x20, 'a'};
  assert_null(rill__snappy_uncompress(bad1, sizeof bad1, 1 << 20, &n, st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_null(rill__snappy_uncompress(bad2, sizeof bad2, 1 << 20, &n, st));
  assert_null(rill__snappy_uncompress(bad3, sizeof bad3, 1 << 20, &n, st));
  assert_null(rill__snappy_uncompress(v1, sizeof v1, 8, &n, st));
  assert_int_equal(rill_status_code(st), RILL_RESOURCE_EXHAUSTED);
  rill_status_delete(st);
}

/* A table whose data block is snappy-compressed (as literals), with its trailer's type byte 1:
 * the reader decompresses it and finds the same entries. */
static void test_snappy_block_table(void **state) {
  (void)state;
  /* spec_index: data block [0, 63), trailer at 63; metaindex at 68 (8 bytes); index at 81. */
  const size_t dlen = 63;
  uint8_t comp[80];
  size_t cn = 0;
  comp[cn++] = (uint8_t)dlen;          /* varint uncompressed length */
  comp[cn++] = (uint8_t)((dlen - 1) << 2) & 0xfc; /* literal, length-1 = 62 > 59: extra byte form */
  comp[cn - 1] = 60 << 2;
  comp[cn++] = (uint8_t)(dlen - 1);
  memcpy(comp + cn, spec_index, dlen);
  cn += dlen;
  rill__table_builder b; /* rebuild the file around the compressed block by hand */
  (void)b;
  uint8_t img[256];
  size_t at = 0;
  memcpy(img, comp, cn);
  at = cn;
  img[at] = 1;
  rill__put_le32(img + at + 1, rill_crc32c_mask(rill_crc32c_extend(rill_crc32c(comp, cn), img + at, 1)));
  at += 5;
  size_t meta_off = at;
  memcpy(img + at, spec_index + 68, 13); /* metaindex block and trailer, unchanged */
  at += 13;
  /* index block: one entry "x" -> handle (0, cn) */
  uint8_t idx[] = {0x00, 0x01, 0x02, 'x', 0x00, (uint8_t)cn, 0, 0, 0, 0, 1, 0, 0, 0};
  size_t index_off = at;
  memcpy(img + at, idx, sizeof idx);
  at += sizeof idx;
  img[at] = 0;
  rill__put_le32(img + at + 1, rill_crc32c_mask(rill_crc32c_extend(rill_crc32c(idx, sizeof idx), img + at, 1)));
  at += 5;
  uint8_t footer[48] = {(uint8_t)meta_off, 8, (uint8_t)index_off, (uint8_t)sizeof idx};
  memcpy(footer + 40, spec_index + 140, 8);
  memcpy(img + at, footer, 48);
  at += 48;
  rill_status *st = rill_status_new();
  uint8_t *copy = malloc(at);
  memcpy(copy, img, at);
  rill__table t;
  if (!rill__table_open(&t, copy, at, "snappy.index", st)) fail_msg("%s", rill_status_message(st));
  assert_int_equal(t.n, 3);
  long i = rill__table_find(&t, "w", 1);
  assert_int_equal(i, 2);
  assert_memory_equal(t.kv[i].value, spec_w, sizeof spec_w);
  rill__table_free(&t);
  /* a corrupt compressed payload (length header too long) with a valid CRC is DATA_LOSS */
  img[0] = (uint8_t)(dlen + 1);
  rill__put_le32(img + cn + 1, rill_crc32c_mask(rill_crc32c_extend(rill_crc32c(img, cn), img + cn, 1)));
  copy = malloc(at);
  memcpy(copy, img, at);
  assert_false(rill__table_open(&t, copy, at, "snappy.index", st));
  assert_int_equal(rill_status_code(st), RILL_DATA_LOSS);
  assert_non_null(strstr(rill_status_message(st), "snappy.index"));
  rill_status_delete(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builder_matches_spec),
      cmocka_unit_test(test_bundle_writer_matches_spec),
      cmocka_unit_test(test_separator_successor),
      cmocka_unit_test(test_many_blocks_round_trip),
      cmocka_unit_test(test_corrupt_tables),
      cmocka_unit_test(test_every_truncation_and_flip),
      cmocka_unit_test(test_snappy),
      cmocka_unit_test(test_snappy_block_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
