/* TFRecord and tf.train.Example interop with real TensorFlow, both ways:
 *  - Rill reads the files TensorFlow wrote (tests/io/fixtures/, made by make_tfrecord_fixtures.py)
 *    and checks every record, every value and every framing byte; needs no Python.
 *  - TensorFlow reads files Rill writes (plain, ZLIB, GZIP) through tf.data.TFRecordDataset,
 *    tf.io.parse_single_example and tf.train.Example.FromString (tf_read_records.py), and its
 *    dump must equal the one computed here. Skipped when the TensorFlow venv
 *    (build/venv, or $RILL_TF_PYTHON) is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "rill/rill.h"

#define FIXTURES RILL_SOURCE_DIR "/tests/io/fixtures"

/* ---- a growable string ---- */

typedef struct str {
  char *s;
  size_t len, cap;
} str;

static void str_add(str *b, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    b->cap = (b->len + (size_t)n + 1) * 2;
    b->s = realloc(b->s, b->cap);
    assert_non_null(b->s);
  }
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->len += (size_t)n;
}

static void str_hex(str *b, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) str_add(b, "%02x", p[i]);
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return b;
}

/* ---- TensorFlow's fixtures ---- */

/* The records make_tfrecord_fixtures.py writes, rebuilt here: an Example (returned) or raw
 * bytes (*raw, malloc'd). */
static rill_example *fixture_record(int i, uint8_t **raw, size_t *raw_len) {
  rill_status *st = rill_status_new();
  rill_example *e = NULL;
  *raw = NULL;
  *raw_len = 0;
  if (i < 4) {
    e = rill_example_new();
    uint8_t img[40];
    for (int k = 0; k < 40; k++) img[k] = (uint8_t)((7 * k + i) % 256);
    assert_true(rill_example_set_bytes_value(e, "image_raw", img, 40, st));
    const int64_t label[3] = {i, -(int64_t)i * 1000000007, (INT64_C(1) << 62) + i};
    assert_true(rill_example_set_int64s(e, "label", label, 3, st));
    const float pixels[4] = {(float)(i / 3.0), (float)-1.25e-3, (float)3e38, (float)(i * 0.5)};
    assert_true(rill_example_set_floats(e, "pixels", pixels, 4, st));
    char name[16];
    snprintf(name, sizeof name, "rec%d", i);
    rill_bytes names[2] = {{(const uint8_t *)"", 0}, {(const uint8_t *)name, strlen(name)}};
    assert_true(rill_example_set_bytes(e, "names", names, 2, st));
  } else if (i == 4) {
    e = rill_example_new();
    const float one = 1.0f;
    assert_true(rill_example_set_floats(e, "x", &one, 1, st));
  } else if (i == 5) {
    e = rill_example_new();
    const int64_t l[2] = {7, 300};
    assert_true(rill_example_set_int64s(e, "label", l, 2, st));
  } else if (i == 6) {
    e = rill_example_new();
    assert_true(rill_example_set_bytes_value(e, "s", "ab", 2, st));
  } else if (i == 7) {
    static const char r[] = "raw record \x00\x01\xff";
    *raw_len = sizeof r - 1;
    *raw = malloc(*raw_len);
    memcpy(*raw, r, *raw_len);
  } else if (i == 8) {
    *raw = malloc(1);
  } else {
    *raw_len = 3000;
    *raw = malloc(3000);
    for (int k = 0; k < 3000; k++) (*raw)[k] = (uint8_t)((31 * k + 5) % 251);
  }
  rill_status_delete(st);
  return e;
}

static void assert_feature_equal(const rill_feature *want, const rill_feature *got) {
  assert_non_null(got);
  assert_int_equal(got->kind, want->kind);
  assert_int_equal(got->count, want->count);
  for (size_t k = 0; k < want->count; k++) {
    if (want->kind == RILL_FEATURE_FLOAT) assert_memory_equal(&got->floats[k], &want->floats[k], sizeof(float));
    if (want->kind == RILL_FEATURE_INT64) assert_true(got->int64s[k] == want->int64s[k]);
    if (want->kind == RILL_FEATURE_BYTES) {
      assert_int_equal(got->bytes[k].len, want->bytes[k].len);
      if (want->bytes[k].len) assert_memory_equal(got->bytes[k].data, want->bytes[k].data, want->bytes[k].len);
    }
  }
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_fixture(const char *name, rill_compression c, const uint8_t *plain, size_t plain_len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(path, c, st);
  if (!rd) fail_msg("%s", rill_status_message(st));
  const uint8_t *d;
  size_t n, pos = 0;
  for (int i = 0; i < 10; i++) {
    if (!rill_record_reader_next(rd, &d, &n, st)) fail_msg("%s record %d: %s", name, i, rill_status_message(st));
    uint8_t *raw;
    size_t raw_len;
    rill_example *want = fixture_record(i, &raw, &raw_len);
    /* Every framing byte: the uncompressed stream is exactly the plain fixture. */
    assert_true(pos + 16 + n <= plain_len);
    uint64_t flen = 0;
    for (int k = 0; k < 8; k++) flen |= (uint64_t)plain[pos + k] << (8 * k);
    assert_true(flen == n);
    assert_memory_equal(plain + pos + 12, d, n);
    assert_int_equal(le32(plain + pos + 8), rill_crc32c_mask(rill_crc32c(plain + pos, 8)));
    assert_int_equal(le32(plain + pos + 12 + n), rill_crc32c_mask(rill_crc32c(d, n)));
    pos += 16 + n;
    if (want) {
      rill_example *got = rill_example_parse(d, n, st);
      if (!got) fail_msg("%s record %d: %s", name, i, rill_status_message(st));
      assert_int_equal(rill_example_num_features(got), rill_example_num_features(want));
      for (size_t k = 0; k < rill_example_num_features(want); k++) {
        const rill_feature *wf = rill_example_feature(want, k);
        assert_feature_equal(wf, rill_example_find(got, wf->key));
      }
      if (i >= 4) { /* one feature: Rill's serialisation is TensorFlow's, byte for byte */
        uint8_t *mine;
        size_t mine_len;
        assert_true(rill_example_serialize(want, &mine, &mine_len, st));
        assert_int_equal(mine_len, n);
        assert_memory_equal(mine, d, n);
        free(mine);
      }
      rill_example_delete(got);
      rill_example_delete(want);
    } else {
      assert_int_equal(n, raw_len);
      if (n) assert_memory_equal(d, raw, n);
    }
    free(raw);
  }
  assert_false(rill_record_reader_next(rd, &d, &n, st));
  assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  assert_int_equal(pos, plain_len);
  rill_record_reader_delete(rd);
  rill_status_delete(st);
}

static void test_reads_tf_fixtures(void **state) {
  (void)state;
  size_t plain_len;
  uint8_t *plain = slurp(FIXTURES "/tf_plain.tfrecord", &plain_len);
  check_fixture("tf_plain.tfrecord", RILL_COMPRESSION_NONE, plain, plain_len);
  check_fixture("tf_zlib.tfrecord", RILL_COMPRESSION_ZLIB, plain, plain_len);
  check_fixture("tf_gzip.tfrecord", RILL_COMPRESSION_GZIP, plain, plain_len);
  /* And Rill's writer frames TF's records into exactly TF's plain file. */
  char path[] = "/tmp/rill_interop_reframe_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  rill_status *st = rill_status_new();
  rill_record_reader *rd = rill_record_reader_new(FIXTURES "/tf_plain.tfrecord", RILL_COMPRESSION_NONE, st);
  rill_record_writer *w = rill_record_writer_new(path, RILL_COMPRESSION_NONE, st);
  const uint8_t *d;
  size_t n;
  while (rill_record_reader_next(rd, &d, &n, st)) assert_true(rill_record_writer_write(w, d, n, st));
  assert_true(rill_record_writer_close(w, st));
  rill_record_reader_delete(rd);
  size_t len;
  uint8_t *again = slurp(path, &len);
  assert_int_equal(len, plain_len);
  assert_memory_equal(again, plain, len);
  unlink(path);
  free(again);
  free(plain);
  rill_status_delete(st);
}

/* ---- TensorFlow reads Rill's files ---- */

#define N_RILL_RECORDS 8

/* Records 0..3 are Examples with the keys tf_read_records.py's parse spec expects; 4..6 raw;
 * 7 an Example with an unset Feature and an empty list (checked through the proto only). */
static rill_example *rill_record(int i, uint8_t **raw, size_t *raw_len) {
  rill_status *st = rill_status_new();
  rill_example *e = NULL;
  *raw = NULL;
  *raw_len = 0;
  if (i < 4) {
    e = rill_example_new();
    uint8_t img[784];
    for (int k = 0; k < 784; k++) img[k] = (uint8_t)(k * (i + 3) + 7);
    assert_true(rill_example_set_bytes_value(e, "image_raw", img, 784, st));
    const int64_t label[3] = {i, -(int64_t)i * 1000000007, (INT64_C(1) << 62) + i};
    assert_true(rill_example_set_int64s(e, "label", label, 3, st));
    const float pixels[4] = {(float)(i / 3.0), (float)-1.25e-3, (float)3e38, (float)(i * 0.5)};
    assert_true(rill_example_set_floats(e, "pixels", pixels, 4, st));
    char name[16];
    snprintf(name, sizeof name, "rec%d", i);
    rill_bytes names[2] = {{(const uint8_t *)"", 0}, {(const uint8_t *)name, strlen(name)}};
    assert_true(rill_example_set_bytes(e, "names", names, i == 3 ? 0 : 2, st));
  } else if (i == 4) {
    static const char r[] = "hello\0world";
    *raw_len = sizeof r - 1;
    *raw = malloc(*raw_len);
    memcpy(*raw, r, *raw_len);
  } else if (i == 5) {
    *raw = malloc(1);
  } else if (i == 6) {
    *raw_len = 300000;
    *raw = malloc(*raw_len);
    for (size_t k = 0; k < *raw_len; k++) (*raw)[k] = (uint8_t)(k * 2654435761u >> 13);
  } else {
    e = rill_example_new();
    rill_feature none = {.key = "unset", .key_len = 5, .kind = RILL_FEATURE_NONE};
    assert_true(rill_example_set_feature(e, &none, st));
    assert_true(rill_example_set_floats(e, "empty", NULL, 0, st));
    const int64_t neg = INT64_MIN;
    assert_true(rill_example_set_int64s(e, "min", &neg, 1, st));
  }
  rill_status_delete(st);
  return e;
}

static int cmp_features(const void *a, const void *b) {
  const rill_feature *x = *(const rill_feature *const *)a, *y = *(const rill_feature *const *)b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(x->key, y->key, n);
  return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* What tf_read_records.py prints for an Example, computed from Rill's values. */
static void expect_parsed(str *out, const rill_example *e) {
  const rill_feature *img = rill_example_find(e, "image_raw"), *label = rill_example_find(e, "label"),
                     *pix = rill_example_find(e, "pixels"), *names = rill_example_find(e, "names");
  str_add(out, "  image_raw ");
  str_hex(out, img->bytes[0].data, img->bytes[0].len);
  str_add(out, "\n  label %lld %lld %lld\n  pixels", (long long)label->int64s[0], (long long)label->int64s[1],
          (long long)label->int64s[2]);
  for (int k = 0; k < 4; k++) str_add(out, "%s%.9g", k ? " " : " ", (double)pix->floats[k]);
  str_add(out, "\n  names shape %zu values ", names->count);
  for (size_t k = 0; k < names->count; k++) {
    if (k) str_add(out, ",");
    str_hex(out, names->bytes[k].data, names->bytes[k].len);
  }
  str_add(out, "\n");
}

static void expect_proto(str *out, const rill_example *e) {
  size_t n = rill_example_num_features(e);
  const rill_feature **sorted = malloc((n + 1) * sizeof *sorted);
  for (size_t k = 0; k < n; k++) sorted[k] = rill_example_feature(e, k);
  qsort(sorted, n, sizeof *sorted, cmp_features);
  for (size_t k = 0; k < n; k++) {
    const rill_feature *f = sorted[k];
    static const char *kinds[] = {"None", "bytes_list", "float_list", "int64_list"};
    str_add(out, "  proto ");
    str_hex(out, (const uint8_t *)f->key, f->key_len);
    str_add(out, " %s [", kinds[f->kind]);
    for (size_t v = 0; v < f->count; v++) {
      if (v) str_add(out, ",");
      if (f->kind == RILL_FEATURE_BYTES) str_hex(out, f->bytes[v].data, f->bytes[v].len);
      if (f->kind == RILL_FEATURE_FLOAT) str_add(out, "%.9g", (double)f->floats[v]);
      if (f->kind == RILL_FEATURE_INT64) str_add(out, "%lld", (long long)f->int64s[v]);
    }
    str_add(out, "]\n");
  }
  free(sorted);
}

static const char *tf_python(void) {
  const char *p = getenv("RILL_TF_PYTHON");
  return p && *p ? p : RILL_SOURCE_DIR "/build/venv/bin/python";
}

static void test_tf_reads_rill_files(void **state) {
  (void)state;
  const char *py = tf_python();
  if (access(py, X_OK) != 0) {
    print_message("SKIP: no TensorFlow venv at %s\n", py);
    skip();
  }
  char dir[] = "/tmp/rill_interop_XXXXXX";
  assert_non_null(mkdtemp(dir));
  static const rill_compression comps[3] = {RILL_COMPRESSION_NONE, RILL_COMPRESSION_ZLIB, RILL_COMPRESSION_GZIP};
  static const char *names[3] = {"NONE", "ZLIB", "GZIP"};
  str cmd = {0}, want = {0};
  str_add(&cmd, "'%s' '%s/tests/io/tf_read_records.py'", py, RILL_SOURCE_DIR);
  rill_status *st = rill_status_new();
  for (int c = 0; c < 3; c++) {
    char path[128];
    snprintf(path, sizeof path, "%s/rill_%s.tfrecord", dir, names[c]);
    rill_record_writer *w = rill_record_writer_new(path, comps[c], st);
    assert_non_null(w);
    str_add(&want, "file %d\n", c);
    for (int i = 0; i < N_RILL_RECORDS; i++) {
      uint8_t *raw, *bytes;
      size_t raw_len, len;
      rill_example *e = rill_record(i, &raw, &raw_len);
      if (e) {
        assert_true(rill_example_serialize(e, &bytes, &len, st));
      } else {
        bytes = raw;
        len = raw_len;
        raw = NULL;
      }
      assert_true(rill_record_writer_write(w, bytes, len, st));
      if (i == 2) assert_true(rill_record_writer_flush(w, st));
      str_add(&want, "record %d len %zu crc32 %08lx\n", i, len, crc32(0, bytes, (uInt)len));
      if (e && i < 4) expect_parsed(&want, e);
      if (e) expect_proto(&want, e);
      free(bytes);
      free(raw);
      rill_example_delete(e);
    }
    assert_true(rill_record_writer_close(w, st));
    str_add(&cmd, " '%s:%s:0,1,2,3:0,1,2,3,7'", path, names[c]);
  }
  str_add(&want, "end\n");
  str_add(&cmd, " 2>'%s/tf_stderr.txt'", dir);
  FILE *p = popen(cmd.s, "r");
  assert_non_null(p);
  str got = {0};
  char line[8192];
  while (fgets(line, sizeof line, p)) str_add(&got, "%s", line);
  int rc = pclose(p);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
    print_message("%s", got.s ? got.s : "SKIP: TensorFlow unavailable\n");
    skip();
  }
  if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    char errpath[128];
    snprintf(errpath, sizeof errpath, "%s/tf_stderr.txt", dir);
    size_t elen;
    uint8_t *err = slurp(errpath, &elen);
    fail_msg("tf_read_records.py failed (status %d):\n%.*s", rc, (int)(elen > 4000 ? 4000 : elen),
             (const char *)err + (elen > 4000 ? elen - 4000 : 0));
  }
  assert_non_null(got.s);
  if (strcmp(got.s, want.s) != 0) {
    size_t i = 0;
    while (got.s[i] && got.s[i] == want.s[i]) i++;
    size_t line_start = i;
    while (line_start > 0 && want.s[line_start - 1] != '\n') line_start--;
    fail_msg("TensorFlow's dump differs at byte %zu:\n want: %.200s\n  got: %.200s", i, want.s + line_start,
             got.s + line_start);
  }
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
  assert_int_equal(system(rm), 0);
  free(cmd.s);
  free(want.s);
  free(got.s);
  rill_status_delete(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_tf_fixtures),
      cmocka_unit_test(test_tf_reads_rill_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
