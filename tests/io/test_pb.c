/* Protobuf wire codec: canonical encodings (checked against bytes Python's protobuf produces),
 * nested messages with back-patched lengths, and a decoder that turns every malformed input
 * into a status, never into a read outside its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rill/rill.h"
#include "io/pb.h"

static void assert_bytes(const rill__pb_buf *b, const uint8_t *want, size_t n) {
  assert_true(rill__pb_buf_ok(b));
  assert_int_equal(b->len, n);
  assert_memory_equal(b->data, want, n);
}

static void test_varints(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  static const struct {
    uint64_t v;
    uint8_t bytes[10];
    size_t n;
  } cases[] = {
      {0, {0}, 1},
      {1, {1}, 1},
      {127, {0x7f}, 1},
      {128, {0x80, 0x01}, 2},
      {300, {0xac, 0x02}, 2},
      {16383, {0xff, 0x7f}, 2},
      {16384, {0x80, 0x80, 0x01}, 3},
      {UINT64_C(1) << 63, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 10},
      {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rill__pb_buf_reset(&b);
    rill__pb_put_varint(&b, cases[i].v);
    assert_bytes(&b, cases[i].bytes, cases[i].n);
    assert_int_equal(rill__pb_varint_size(cases[i].v), cases[i].n);
    rill__pb_reader r;
    rill__pb_reader_init(&r, b.data, b.len);
    uint64_t v = 0;
    assert_int_equal(rill__pb_read_varint(&r, &v, NULL), 1);
    assert_true(v == cases[i].v);
    assert_true(rill__pb_at_end(&r));
    assert_int_equal(rill__pb_read_varint(&r, &v, NULL), 0);
  }
  assert_true(rill__pb_zigzag64(0) == 0 && rill__pb_zigzag64(-1) == 1 && rill__pb_zigzag64(1) == 2);
  assert_true(rill__pb_zigzag64(INT64_MIN) == UINT64_MAX && rill__pb_zigzag64(INT64_MAX) == UINT64_MAX - 1);
  for (int64_t v = -1000; v <= 1000; v += 7) assert_true(rill__pb_unzigzag64(rill__pb_zigzag64(v)) == v);
  assert_true(rill__pb_unzigzag64(rill__pb_zigzag64(INT64_MIN)) == INT64_MIN);
  rill__pb_buf_free(&b);
}

static void test_scalar_fields(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  rill__pb_write_int64(&b, 1, -1);
  rill__pb_write_sint64(&b, 2, -2);
  rill__pb_write_bool(&b, 3, true);
  rill__pb_write_fixed32(&b, 4, 0xdeadbeefu);
  rill__pb_write_fixed64(&b, 5, 0x0102030405060708ull);
  rill__pb_write_float(&b, 6, 1.0f);
  rill__pb_write_double(&b, 7, -2.5);
  rill__pb_write_string(&b, 16, "hi");
  rill__pb_write_string(&b, 17, NULL);
  rill__pb_write_varint(&b, RILL_PB_MAX_FIELD, 5);
  const uint8_t want[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,  // int64 -1
                          0x10, 0x03,                                                        // sint64 -2
                          0x18, 0x01,                                                        // bool
                          0x25, 0xef, 0xbe, 0xad, 0xde,                                      // fixed32
                          0x29, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,              // fixed64
                          0x35, 0x00, 0x00, 0x80, 0x3f,                                      // float 1
                          0x39, 0, 0, 0, 0, 0, 0, 0x04, 0xc0,                                // double -2.5
                          0x82, 0x01, 0x02, 'h', 'i',                                        // field 16
                          0x8a, 0x01, 0x00,                                                  // field 17 ""
                          0xf8, 0xff, 0xff, 0xff, 0x0f, 0x05};                               // max field
  assert_bytes(&b, want, sizeof want);

  rill__pb_reader r;
  rill__pb_reader_init(&r, b.data, b.len);
  rill__pb_field f;
  rill_status *st = rill_status_new();
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 1 && f.wire == RILL_PB_VARINT && rill__pb_as_int64(&f) == -1 && rill__pb_as_int32(&f) == -1);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 2 && rill__pb_unzigzag64(f.u) == -2);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 3 && rill__pb_as_bool(&f));
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 4 && f.wire == RILL_PB_FIXED32 && f.u == 0xdeadbeefu);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 5 && f.wire == RILL_PB_FIXED64 && f.u == 0x0102030405060708ull);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 6 && rill__pb_as_float(&f) == 1.0f);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 7 && rill__pb_as_double(&f) == -2.5);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 16 && f.wire == RILL_PB_LEN && f.len == 2 && !memcmp(f.data, "hi", 2));
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == 17 && f.wire == RILL_PB_LEN && f.len == 0);
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_true(f.number == RILL_PB_MAX_FIELD && f.u == 5);
  assert_int_equal(rill__pb_next(&r, &f, st), 0);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_status_delete(st);
  rill__pb_buf_free(&b);
}

static void test_packed(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  const int64_t i64[] = {7, 300, -1, 0};
  const int32_t i32[] = {-2, 1};
  const float f32[] = {1.0f, -0.5f};
  const double f64[] = {3.0};
  rill__pb_write_packed_int64(&b, 1, i64, 4);
  rill__pb_write_packed_int32(&b, 2, i32, 2);
  rill__pb_write_packed_float(&b, 3, f32, 2);
  rill__pb_write_packed_double(&b, 4, f64, 1);
  rill__pb_write_packed_int64(&b, 5, i64, 0); /* nothing */
  const uint8_t want[] = {0x0a, 14, 0x07, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00,
                          0x12, 11, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01,
                          0x1a, 8,  0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xbf,
                          0x22, 8,  0, 0, 0, 0, 0, 0, 0x08, 0x40};
  assert_bytes(&b, want, sizeof want);

  rill__pb_reader r, sub;
  rill__pb_reader_init(&r, b.data, b.len);
  rill__pb_field f;
  assert_int_equal(rill__pb_next(&r, &f, NULL), 1);
  assert_int_equal(rill__pb_packed_varint_count(&f), 4);
  rill__pb_reader_sub(&sub, &r, &f);
  uint64_t v;
  for (int k = 0; k < 4; k++) {
    assert_int_equal(rill__pb_read_varint(&sub, &v, NULL), 1);
    assert_true((int64_t)v == i64[k]);
  }
  assert_int_equal(rill__pb_read_varint(&sub, &v, NULL), 0);
  assert_int_equal(rill__pb_next(&r, &f, NULL), 1);
  assert_int_equal(rill__pb_next(&r, &f, NULL), 1);
  assert_int_equal(rill__pb_packed_fixed_count(&r, &f, 4, NULL), 2);
  rill__pb_reader_sub(&sub, &r, &f);
  uint32_t u32;
  assert_int_equal(rill__pb_read_fixed32(&sub, &u32, NULL), 1);
  assert_true(rill__pb_bits_float(u32) == 1.0f);
  assert_int_equal(rill__pb_read_fixed32(&sub, &u32, NULL), 1);
  assert_true(rill__pb_bits_float(u32) == -0.5f);
  assert_int_equal(rill__pb_read_fixed32(&sub, &u32, NULL), 0);
  rill_status *st = rill_status_new();
  assert_int_equal(rill__pb_packed_fixed_count(&r, &f, 8, st), 1);
  f.len = 7;
  assert_int_equal(rill__pb_packed_fixed_count(&r, &f, 4, st), -1);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_delete(st);
  rill__pb_buf_free(&b);
}

/* Nested messages whose bodies straddle the 1-, 2- and 3-byte length encodings, three deep, must
 * come out exactly as if each length had been known in advance. */
static void test_nested_lengths(void **state) {
  (void)state;
  const size_t sizes[] = {0, 1, 125, 126, 127, 128, 300, 16380, 16381, 16383, 16384, 70000};
  uint8_t *payload = malloc(70000);
  assert_non_null(payload);
  for (size_t i = 0; i < 70000; i++) payload[i] = (uint8_t)(i * 31 + 7);
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s];
    rill__pb_buf a, e;
    rill__pb_buf_init(&a);
    rill__pb_buf_init(&e);
    size_t m1 = rill__pb_begin(&a, 1);
    rill__pb_write_varint(&a, 2, 9);
    size_t m2 = rill__pb_begin(&a, 3);
    size_t m3 = rill__pb_begin(&a, 4);
    rill__pb_put_raw(&a, payload, n);
    rill__pb_end(&a, m3);
    rill__pb_write_string(&a, 5, "x");
    rill__pb_end(&a, m2);
    rill__pb_end(&a, m1);

    /* The same message with lengths computed up front. */
    size_t l3 = n, l2 = 1 + rill__pb_varint_size(l3) + l3 + 3;
    size_t l1 = 2 + 1 + rill__pb_varint_size(l2) + l2;
    rill__pb_write_len_prefix(&e, 1, l1);
    rill__pb_write_varint(&e, 2, 9);
    rill__pb_write_len_prefix(&e, 3, l2);
    rill__pb_write_bytes(&e, 4, payload, n);
    rill__pb_write_string(&e, 5, "x");
    assert_true(rill__pb_buf_ok(&a) && rill__pb_buf_ok(&e));
    assert_int_equal(a.len, e.len);
    assert_memory_equal(a.data, e.data, a.len);

    rill__pb_reader r, r2, r3;
    rill__pb_field f;
    rill__pb_reader_init(&r, a.data, a.len);
    assert_int_equal(rill__pb_next(&r, &f, NULL), 1);
    assert_true(f.number == 1 && f.len == l1);
    rill__pb_reader_sub(&r2, &r, &f);
    assert_int_equal(rill__pb_next(&r2, &f, NULL), 1);
    assert_int_equal(rill__pb_next(&r2, &f, NULL), 1);
    assert_true(f.number == 3 && f.len == l2);
    rill__pb_reader_sub(&r3, &r2, &f);
    assert_int_equal(rill__pb_next(&r3, &f, NULL), 1);
    assert_true(f.number == 4 && f.len == n && (n == 0 || !memcmp(f.data, payload, n)));
    assert_int_equal(rill__pb_offset(&r3), a.len - 3);
    rill__pb_buf_free(&a);
    rill__pb_buf_free(&e);
  }
  free(payload);
}

/* formats.md §2: {x: float_list [1.0]} as Python's protobuf serialises it. */
static void test_golden_example_bytes(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  size_t ex = rill__pb_begin(&b, 1), entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "x");
  size_t feat = rill__pb_begin(&b, 2), list = rill__pb_begin(&b, 2);
  const float one = 1.0f;
  rill__pb_write_packed_float(&b, 1, &one, 1);
  rill__pb_end(&b, list);
  rill__pb_end(&b, feat);
  rill__pb_end(&b, entry);
  rill__pb_end(&b, ex);
  const uint8_t want[] = {0x0a, 0x0f, 0x0a, 0x0d, 0x0a, 0x01, 0x78, 0x12, 0x08,
                          0x12, 0x06, 0x0a, 0x04, 0x00, 0x00, 0x80, 0x3f};
  assert_bytes(&b, want, sizeof want);
  size_t len = 0;
  uint8_t *out = rill__pb_buf_release(&b, &len);
  assert_non_null(out);
  assert_int_equal(len, sizeof want);
  assert_null(b.data);
  free(out);
  /* An empty buffer still releases a (freeable) pointer. */
  out = rill__pb_buf_release(&b, &len);
  assert_non_null(out);
  assert_int_equal(len, 0);
  free(out);
}

static void test_buffer_failure_is_sticky(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  rill__pb_write_varint(&b, 1, 1);
  assert_false(rill__pb_buf_reserve(&b, SIZE_MAX - 4));
  assert_false(rill__pb_buf_ok(&b));
  size_t before = b.len;
  rill__pb_write_string(&b, 2, "ignored");
  assert_int_equal(b.len, before);
  size_t len = 99;
  assert_null(rill__pb_buf_release(&b, &len));
  assert_int_equal(len, 0);
  /* Reset makes it usable again. */
  rill__pb_buf_reset(&b);
  rill__pb_write_varint(&b, 1, 1);
  assert_true(rill__pb_buf_ok(&b));
  rill__pb_buf_free(&b);
}

/* Decodes `len` bytes from a heap copy of exactly that size (so ASan sees any over-read) and
 * expects an error whose message contains `what`. */
static void expect_malformed(const uint8_t *bytes, size_t len, const char *what) {
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, bytes, len);
  rill__pb_reader r;
  rill__pb_reader_init(&r, copy, len);
  rill__pb_field f;
  rill_status *st = rill_status_new();
  int rc;
  while ((rc = rill__pb_next(&r, &f, st)) > 0) {
  }
  assert_int_equal(rc, -1);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  if (!strstr(rill_status_message(st), what)) fail_msg("message '%s' lacks '%s'", rill_status_message(st), what);
  assert_non_null(strstr(rill_status_message(st), "at byte"));
  rill_status_delete(st);
  free(copy);
}

static void test_malformed(void **state) {
  (void)state;
  expect_malformed((const uint8_t[]){0x08}, 1, "truncated varint");
  expect_malformed((const uint8_t[]){0x08, 0x80}, 2, "truncated varint");
  expect_malformed((const uint8_t[]){0x80}, 1, "truncated varint");
  expect_malformed((const uint8_t[]){0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 12,
                   "longer than 10 bytes");
  expect_malformed((const uint8_t[]){0x00}, 1, "field number 0");
  expect_malformed((const uint8_t[]){0x02, 0x00}, 2, "field number 0");
  expect_malformed((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x10, 0x00}, 6, "field number out of range");
  expect_malformed((const uint8_t[]){0x0b}, 1, "group");
  expect_malformed((const uint8_t[]){0x0c}, 1, "group");
  expect_malformed((const uint8_t[]){0x0e, 0x00}, 2, "invalid wire type");
  expect_malformed((const uint8_t[]){0x0f}, 1, "invalid wire type");
  expect_malformed((const uint8_t[]){0x0a, 0x03, 'a', 'b'}, 4, "length past the end");
  expect_malformed((const uint8_t[]){0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 11,
                   "length past the end");
  expect_malformed((const uint8_t[]){0x0a}, 1, "truncated length");
  expect_malformed((const uint8_t[]){0x0a, 0x80}, 2, "truncated varint");
  expect_malformed((const uint8_t[]){0x0d, 1, 2, 3}, 4, "truncated fixed32");
  expect_malformed((const uint8_t[]){0x09, 1, 2, 3, 4, 5, 6, 7}, 8, "truncated fixed64");
  /* The offset names the bad field, after a good one. */
  const uint8_t two[] = {0x08, 0x01, 0x0b};
  rill__pb_reader r;
  rill__pb_reader_init(&r, two, sizeof two);
  rill__pb_field f;
  rill_status *st = rill_status_new();
  assert_int_equal(rill__pb_next(&r, &f, st), 1);
  assert_int_equal(rill__pb_next(&r, &f, st), -1);
  assert_non_null(strstr(rill_status_message(st), "at byte 2"));
  rill_status_delete(st);
  /* Empty input is a valid, empty message; so is NULL with length 0. */
  rill__pb_reader_init(&r, NULL, 0);
  assert_int_equal(rill__pb_next(&r, &f, NULL), 0);
}

/* Every prefix of a valid message decodes cleanly up to the cut or fails with a status. */
static void test_every_truncation(void **state) {
  (void)state;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  rill__pb_write_int64(&b, 1, -5);
  rill__pb_write_double(&b, 2, 1.5);
  size_t m = rill__pb_begin(&b, 3);
  rill__pb_write_string(&b, 1, "nested");
  rill__pb_write_float(&b, 2, 2.0f);
  rill__pb_end(&b, m);
  rill__pb_write_fixed32(&b, 4, 7);
  const int64_t v[] = {1, 1000000, -3};
  rill__pb_write_packed_int64(&b, 5, v, 3);
  assert_true(rill__pb_buf_ok(&b));
  for (size_t cut = 0; cut <= b.len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, b.data, cut);
    rill__pb_reader r;
    rill__pb_reader_init(&r, copy, cut);
    rill__pb_field f;
    rill_status *st = rill_status_new();
    int rc, fields = 0;
    while ((rc = rill__pb_next(&r, &f, st)) > 0) {
      fields++;
      if (f.wire == RILL_PB_LEN) assert_true(f.data >= copy && f.data + f.len <= copy + cut);
    }
    if (cut == b.len) {
      assert_int_equal(rc, 0);
      assert_int_equal(fields, 5);
    } else {
      /* Field boundaries are 0, 11, 20, 35, 40 (a clean end); everything else is an error. */
      bool boundary = cut == 0 || cut == 11 || cut == 20 || cut == 35 || cut == 40;
      assert_int_equal(rc, boundary ? 0 : -1);
      assert_int_equal(rill_status_code(st), boundary ? RILL_OK : RILL_INVALID_ARGUMENT);
    }
    rill_status_delete(st);
    free(copy);
  }
  rill__pb_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varints),          cmocka_unit_test(test_scalar_fields),
      cmocka_unit_test(test_packed),           cmocka_unit_test(test_nested_lengths),
      cmocka_unit_test(test_golden_example_bytes), cmocka_unit_test(test_buffer_failure_is_sticky),
      cmocka_unit_test(test_malformed),        cmocka_unit_test(test_every_truncation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
