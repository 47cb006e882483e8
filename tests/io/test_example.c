/* tf.train.Example: the bytes Python's protobuf produces, round trips of every value kind,
 * protobuf's parsing rules (packed and unpacked, merges, oneof, last key wins, unknown fields),
 * and malformed input of every kind reported as INVALID_ARGUMENT. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rill/rill.h"
#include "io/pb.h"

static void assert_serializes_to(const rill_example *e, const uint8_t *want, size_t n) {
  uint8_t *out = NULL;
  size_t len = 0;
  assert_true(rill_example_serialize(e, &out, &len, NULL));
  assert_int_equal(len, n);
  assert_memory_equal(out, want, n);
  free(out);
}

/* formats.md §2, verified with Python's protobuf. */
static void test_golden_bytes(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_new();
  const float one = 1.0f;
  assert_true(rill_example_set_floats(e, "x", &one, 1, st));
  const uint8_t x[] = {0x0a, 0x0f, 0x0a, 0x0d, 0x0a, 0x01, 0x78, 0x12, 0x08, 0x12, 0x06, 0x0a, 0x04, 0x00, 0x00, 0x80, 0x3f};
  assert_serializes_to(e, x, sizeof x);

  rill_example_clear(e);
  const int64_t label[] = {7, 300};
  assert_true(rill_example_set_int64s(e, "label", label, 2, st));
  const uint8_t l[] = {0x0a, 0x12, 0x0a, 0x10, 0x0a, 0x05, 'l', 'a', 'b', 'e', 'l', 0x12,
                       0x07, 0x1a, 0x05, 0x0a, 0x03, 0x07, 0xac, 0x02};
  assert_serializes_to(e, l, sizeof l);

  rill_example_clear(e);
  assert_true(rill_example_set_bytes_value(e, "s", "ab", 2, st));
  const uint8_t s[] = {0x0a, 0x0d, 0x0a, 0x0b, 0x0a, 0x01, 0x73, 0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x61, 0x62};
  assert_serializes_to(e, s, sizeof s);

  /* Empty lists keep their (empty) oneof member; an unset oneof is an empty Feature; an example
   * without features is empty. */
  rill_example_clear(e);
  assert_true(rill_example_set_floats(e, "f", NULL, 0, st));
  const uint8_t f[] = {0x0a, 0x09, 0x0a, 0x07, 0x0a, 0x01, 'f', 0x12, 0x02, 0x12, 0x00};
  assert_serializes_to(e, f, sizeof f);
  rill_example_clear(e);
  rill_feature none = {.key = "n", .key_len = 1, .kind = RILL_FEATURE_NONE};
  assert_true(rill_example_set_feature(e, &none, st));
  const uint8_t n[] = {0x0a, 0x07, 0x0a, 0x05, 0x0a, 0x01, 'n', 0x12, 0x00};
  assert_serializes_to(e, n, sizeof n);
  rill_example_clear(e);
  assert_serializes_to(e, NULL, 0);
  rill_example_delete(e);
  rill_status_delete(st);
}

static rill_example *build_rich(void) {
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_new();
  uint8_t img[784];
  for (int i = 0; i < 784; i++) img[i] = (uint8_t)(i * 13);
  assert_true(rill_example_set_bytes_value(e, "image_raw", img, sizeof img, st));
  const int64_t ints[] = {0, -1, INT64_MIN, INT64_MAX, 1, 300, -300};
  assert_true(rill_example_set_int64s(e, "label", ints, 7, st));
  const float fl[] = {0.0f, -0.0f, 1.5f, -3.25e-20f, INFINITY, -INFINITY, NAN, 3.4028235e38f};
  assert_true(rill_example_set_floats(e, "floats", fl, 8, st));
  rill_bytes strs[] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"a\0b", 3}, {(const uint8_t *)"hello", 5}};
  assert_true(rill_example_set_bytes(e, "strings", strs, 3, st));
  assert_true(rill_example_set_int64s(e, "empty_ints", NULL, 0, st));
  assert_true(rill_example_set_bytes(e, "empty_bytes", NULL, 0, st));
  rill_feature nul_key = {.key = "k\0ey", .key_len = 4, .kind = RILL_FEATURE_NONE};
  assert_true(rill_example_set_feature(e, &nul_key, st));
  assert_true(rill_example_set_bytes_value(e, "", "v", 1, st));
  rill_status_delete(st);
  return e;
}

static void assert_same_examples(const rill_example *a, const rill_example *b) {
  assert_int_equal(rill_example_num_features(a), rill_example_num_features(b));
  for (size_t i = 0; i < rill_example_num_features(a); i++) {
    const rill_feature *x = rill_example_feature(a, i), *y = rill_example_feature(b, i);
    assert_int_equal(x->key_len, y->key_len);
    assert_memory_equal(x->key, y->key, x->key_len);
    assert_int_equal(x->key[x->key_len], '\0');
    assert_int_equal(x->kind, y->kind);
    assert_int_equal(x->count, y->count);
    switch (x->kind) {
      case RILL_FEATURE_FLOAT:
        assert_non_null(y->floats);
        if (x->count) assert_memory_equal(x->floats, y->floats, x->count * sizeof(float)); /* bits, NaN too */
        assert_null(y->int64s);
        assert_null(y->bytes);
        break;
      case RILL_FEATURE_INT64:
        assert_non_null(y->int64s);
        if (x->count) assert_memory_equal(x->int64s, y->int64s, x->count * sizeof(int64_t));
        assert_null(y->floats);
        break;
      case RILL_FEATURE_BYTES:
        assert_non_null(y->bytes);
        for (size_t k = 0; k < x->count; k++) {
          assert_int_equal(x->bytes[k].len, y->bytes[k].len);
          if (x->bytes[k].len) assert_memory_equal(x->bytes[k].data, y->bytes[k].data, x->bytes[k].len);
        }
        break;
      default:
        assert_null(y->floats);
        assert_null(y->int64s);
        assert_null(y->bytes);
        break;
    }
  }
}

static void test_roundtrip(void **state) {
  (void)state;
  rill_example *e = build_rich();
  uint8_t *out;
  size_t len;
  assert_true(rill_example_serialize(e, &out, &len, NULL));
  rill_status *st = rill_status_new();
  rill_example *p = rill_example_parse(out, len, st);
  assert_non_null(p);
  assert_same_examples(e, p);
  /* Serialisation is deterministic and stable under a round trip. */
  uint8_t *again;
  size_t len2;
  assert_true(rill_example_serialize(p, &again, &len2, st));
  assert_int_equal(len, len2);
  assert_memory_equal(out, again, len);
  /* Lookups. */
  const rill_feature *f = rill_example_find(p, "label");
  assert_non_null(f);
  assert_true(f->kind == RILL_FEATURE_INT64 && f->count == 7 && f->int64s[2] == INT64_MIN);
  assert_non_null(rill_example_find_n(p, "k\0ey", 4));
  assert_null(rill_example_find(p, "k"));
  assert_null(rill_example_find(p, "missing"));
  assert_non_null(rill_example_find(p, ""));
  assert_int_equal(rill_example_find(p, "image_raw")->bytes[0].len, 784);
  assert_null(rill_example_feature(p, 8));
  assert_true(isnan(rill_example_find(p, "floats")->floats[6]));
  assert_true(signbit(rill_example_find(p, "floats")->floats[1]));
  free(out);
  free(again);
  rill_example_delete(p);
  rill_example_delete(e);
  rill_status_delete(st);
}

static void test_set_replaces_in_place(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_new();
  const int64_t a = 1, b[] = {2, 3};
  assert_true(rill_example_set_int64s(e, "a", &a, 1, st));
  assert_true(rill_example_set_int64s(e, "b", &a, 1, st));
  assert_true(rill_example_set_floats(e, "a", NULL, 0, st));
  assert_true(rill_example_set_int64s(e, "b", b, 2, st));
  assert_int_equal(rill_example_num_features(e), 2);
  assert_string_equal(rill_example_feature(e, 0)->key, "a");
  assert_int_equal(rill_example_feature(e, 0)->kind, RILL_FEATURE_FLOAT);
  assert_int_equal(rill_example_feature(e, 1)->count, 2);
  assert_true(rill_example_feature(e, 1)->int64s[1] == 3);
  /* Many keys: the index finds each. */
  char key[32];
  for (int64_t i = 0; i < 3000; i++) {
    snprintf(key, sizeof key, "feature/%lld", (long long)i);
    assert_true(rill_example_set_int64s(e, key, &i, 1, st));
  }
  assert_int_equal(rill_example_num_features(e), 3002);
  for (int64_t i = 0; i < 3000; i++) {
    snprintf(key, sizeof key, "feature/%lld", (long long)i);
    const rill_feature *f = rill_example_find(e, key);
    assert_non_null(f);
    assert_true(f->int64s[0] == i);
    assert_ptr_equal(f, rill_example_feature(e, (size_t)i + 2));
  }
  /* Bad arguments. */
  assert_false(rill_example_set_int64s(e, NULL, &a, 1, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_false(rill_example_set_floats(e, "x", NULL, 3, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_bytes bad = {NULL, 4};
  assert_false(rill_example_set_bytes(e, "x", &bad, 1, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_feature weird = {.key = "w", .key_len = 1, .kind = (rill_feature_kind)9};
  assert_false(rill_example_set_feature(e, &weird, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_null(rill_example_find(e, "x"));
  rill_example_delete(e);
  rill_example_delete(NULL);
  rill_status_delete(st);
}

/* Hand-built wire bytes for the rules a serializer never produces but a parser must accept. */
static rill_example *parse_buf(rill__pb_buf *b, rill_status *st) {
  assert_true(rill__pb_buf_ok(b));
  rill_example *e = rill_example_parse(b->data, b->len, st);
  if (!e) fail_msg("parse: %s", rill_status_message(st));
  return e;
}

static void test_protobuf_rules(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  /* Unpacked floats and int64s, mixed with packed chunks, the key after the value, unknown
   * fields at every level. */
  size_t ex = rill__pb_begin(&b, 1);
  size_t entry = rill__pb_begin(&b, 1);
  size_t value = rill__pb_begin(&b, 2);
  size_t list = rill__pb_begin(&b, 2);
  rill__pb_write_float(&b, 1, 1.5f);
  const float packed[] = {2.5f, 3.5f};
  rill__pb_write_packed_float(&b, 1, packed, 2);
  rill__pb_write_float(&b, 1, 4.5f);
  rill__pb_write_varint(&b, 9, 1); /* unknown */
  rill__pb_end(&b, list);
  rill__pb_write_string(&b, 7, "unknown in Feature");
  rill__pb_end(&b, value);
  rill__pb_write_string(&b, 1, "f");
  rill__pb_write_fixed64(&b, 3, 0); /* unknown in the entry */
  rill__pb_end(&b, entry);
  entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "i");
  value = rill__pb_begin(&b, 2);
  list = rill__pb_begin(&b, 3);
  rill__pb_write_int64(&b, 1, -7);
  const int64_t ip[] = {8, 9};
  rill__pb_write_packed_int64(&b, 1, ip, 2);
  rill__pb_write_int64(&b, 1, 10);
  rill__pb_write_fixed32(&b, 1, 5); /* wrong wire type for int64: unknown, skipped */
  rill__pb_end(&b, list);
  rill__pb_end(&b, value);
  rill__pb_end(&b, entry);
  rill__pb_write_varint(&b, 1, 5); /* wrong wire type for Features.feature: skipped */
  rill__pb_end(&b, ex);
  rill__pb_write_string(&b, 2, "unknown in Example");
  rill_example *e = parse_buf(&b, st);
  const rill_feature *f = rill_example_find(e, "f");
  assert_non_null(f);
  assert_int_equal(f->count, 4);
  assert_true(f->floats[0] == 1.5f && f->floats[1] == 2.5f && f->floats[2] == 3.5f && f->floats[3] == 4.5f);
  f = rill_example_find(e, "i");
  assert_int_equal(f->count, 4);
  assert_true(f->int64s[0] == -7 && f->int64s[1] == 8 && f->int64s[2] == 9 && f->int64s[3] == 10);
  rill_example_delete(e);

  /* A repeated key keeps its last value at its first position; a Feature split over two value
   * fields merges; a oneof member of another kind replaces the earlier one; an entry without
   * key or value is key "" with an unset Feature; Example.features twice merges. */
  rill__pb_buf_reset(&b);
  ex = rill__pb_begin(&b, 1);
  const int64_t one = 1, two = 2, three = 3;
  entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "dup");
  value = rill__pb_begin(&b, 2);
  list = rill__pb_begin(&b, 3);
  rill__pb_write_packed_int64(&b, 1, &one, 1);
  rill__pb_end(&b, list);
  rill__pb_end(&b, value);
  rill__pb_end(&b, entry);
  entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "merge");
  for (int k = 0; k < 2; k++) {
    value = rill__pb_begin(&b, 2);
    list = rill__pb_begin(&b, 3);
    rill__pb_write_packed_int64(&b, 1, k ? &three : &two, 1);
    rill__pb_end(&b, list);
    rill__pb_end(&b, value);
  }
  rill__pb_end(&b, entry);
  entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "switch");
  value = rill__pb_begin(&b, 2);
  list = rill__pb_begin(&b, 3);
  rill__pb_write_packed_int64(&b, 1, &one, 1);
  rill__pb_end(&b, list);
  list = rill__pb_begin(&b, 1);
  rill__pb_write_bytes(&b, 1, "xy", 2);
  rill__pb_end(&b, list);
  rill__pb_end(&b, value);
  rill__pb_end(&b, entry);
  entry = rill__pb_begin(&b, 1);
  rill__pb_end(&b, entry);
  rill__pb_end(&b, ex);
  ex = rill__pb_begin(&b, 1);
  entry = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, "dup");
  rill__pb_write_string(&b, 1, "ignored key");
  rill__pb_write_string(&b, 1, "dup"); /* the last key field counts */
  value = rill__pb_begin(&b, 2);
  list = rill__pb_begin(&b, 2);
  const float half = 0.5f;
  rill__pb_write_packed_float(&b, 1, &half, 1);
  rill__pb_end(&b, list);
  rill__pb_end(&b, value);
  rill__pb_end(&b, entry);
  rill__pb_end(&b, ex);
  e = parse_buf(&b, st);
  assert_int_equal(rill_example_num_features(e), 4);
  f = rill_example_feature(e, 0);
  assert_string_equal(f->key, "dup");
  assert_true(f->kind == RILL_FEATURE_FLOAT && f->count == 1 && f->floats[0] == 0.5f);
  f = rill_example_feature(e, 1);
  assert_true(f->kind == RILL_FEATURE_INT64 && f->count == 2 && f->int64s[0] == 2 && f->int64s[1] == 3);
  f = rill_example_feature(e, 2);
  assert_true(f->kind == RILL_FEATURE_BYTES && f->count == 1 && f->bytes[0].len == 2);
  f = rill_example_feature(e, 3);
  assert_true(f->key_len == 0 && f->kind == RILL_FEATURE_NONE && f->count == 0);
  rill_example_delete(e);
  rill__pb_buf_free(&b);
  rill_status_delete(st);
}

static void expect_parse_error(const uint8_t *bytes, size_t len, const char *what) {
  rill_status *st = rill_status_new();
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, bytes, len);
  assert_null(rill_example_parse(copy, len, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st), "Could not parse example input"));
  if (!strstr(rill_status_message(st), what)) fail_msg("'%s' lacks '%s'", rill_status_message(st), what);
  free(copy);
  rill_status_delete(st);
}

static void test_malformed(void **state) {
  (void)state;
  /* float_list packed with 3 bytes */
  expect_parse_error((const uint8_t[]){0x0a, 0x0c, 0x0a, 0x0a, 0x0a, 0x01, 'x', 0x12, 0x05, 0x12, 0x03, 0x0a, 0x01, 0x00},
                     14, "not a multiple of 4");
  /* packed int64 with a cut-off varint */
  expect_parse_error((const uint8_t[]){0x0a, 0x0c, 0x0a, 0x0a, 0x0a, 0x01, 'x', 0x12, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x80},
                     14, "truncated varint");
  /* a nested length past its parent */
  expect_parse_error((const uint8_t[]){0x0a, 0x04, 0x0a, 0x09, 0x0a, 0x01}, 6, "length past the end");
  expect_parse_error((const uint8_t[]){0x0a, 0x02, 0x0a}, 3, "length past the end");
  expect_parse_error((const uint8_t[]){0x0b}, 1, "group");
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_parse(NULL, 0, st);
  assert_non_null(e);
  assert_int_equal(rill_example_num_features(e), 0);
  assert_false(rill_example_parse_into(e, NULL, 5, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_example_delete(e);
  rill_status_delete(st);
}

/* Every truncation and every flipped byte of a real example: an error or a consistent example,
 * and whatever parses re-serialises to something that parses to the same thing. */
static void test_every_byte_damage(void **state) {
  (void)state;
  rill_example *src = build_rich();
  uint8_t *good;
  size_t len;
  assert_true(rill_example_serialize(src, &good, &len, NULL));
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_new(), *e2 = rill_example_new();
  size_t parsed = 0;
  for (size_t pos = 0; pos <= len; pos++) {
    for (int kind = 0; kind < 3; kind++) {
      bool cut = kind == 0;
      if (!cut && pos == len) continue;
      size_t blen = cut ? pos : len;
      uint8_t *b = malloc(blen ? blen : 1);
      memcpy(b, good, blen);
      if (!cut) b[pos] ^= kind == 1 ? 0x80 : 0x3c;
      bool ok = rill_example_parse_into(e, b, blen, st);
      if (cut && pos > 0 && pos < len) assert_false(ok); /* one top-level field spans it all */
      if (ok) {
        parsed++;
        uint8_t *re;
        size_t rlen;
        assert_true(rill_example_serialize(e, &re, &rlen, st));
        assert_true(rill_example_parse_into(e2, re, rlen, st));
        assert_same_examples(e, e2);
        free(re);
      } else {
        assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
        assert_int_equal(rill_example_num_features(e), 0);
      }
      free(b);
    }
  }
  assert_true(parsed > 0);
  rill_example_delete(e);
  rill_example_delete(e2);
  rill_example_delete(src);
  free(good);
  rill_status_delete(st);
}

/* Parsing record after record into one example reuses it correctly. */
static void test_parse_into_reuse(void **state) {
  (void)state;
  rill_status *st = rill_status_new();
  rill_example *src = rill_example_new(), *e = rill_example_new();
  for (int i = 0; i < 200; i++) {
    rill_example_clear(src);
    size_t n = (size_t)(i * 37 % 900);
    uint8_t *img = malloc(n + 1);
    for (size_t k = 0; k < n; k++) img[k] = (uint8_t)(k + i);
    assert_true(rill_example_set_bytes_value(src, i % 2 ? "image_raw" : "img", img, n, st));
    int64_t label = i % 10;
    assert_true(rill_example_set_int64s(src, "label", &label, 1, st));
    if (i % 3 == 0) {
      float f[3] = {(float)i, 0.5f, -1.0f};
      assert_true(rill_example_set_floats(src, "f", f, 3, st));
    }
    uint8_t *buf;
    size_t len;
    assert_true(rill_example_serialize(src, &buf, &len, st));
    assert_true(rill_example_parse_into(e, buf, len, st));
    assert_same_examples(src, e);
    free(buf);
    free(img);
  }
  rill_example_delete(src);
  rill_example_delete(e);
  rill_status_delete(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_bytes),      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_set_replaces_in_place), cmocka_unit_test(test_protobuf_rules),
      cmocka_unit_test(test_malformed),         cmocka_unit_test(test_every_byte_damage),
      cmocka_unit_test(test_parse_into_reuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
