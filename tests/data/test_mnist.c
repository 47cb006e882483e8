/* MNIST reader: Debian's Fashion-MNIST split like TF's read_data_sets, next_batch's epoch
 * semantics, and the errors for missing, corrupt and truncated IDX files (written here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "rill/rill.h"

#define PIXELS 784

static const char *const NAMES[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                     "t10k-labels-idx1-ubyte"};

/* ---- writing synthetic IDX files ---- */

typedef struct tmpdir {
  char path[64];
} tmpdir;

static void tmpdir_make(tmpdir *d) {
  strcpy(d->path, "/tmp/rill_mnist_XXXXXX");
  assert_non_null(mkdtemp(d->path));
}

static void file_path(const tmpdir *d, const char *name, bool gz, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s%s", d->path, name, gz ? ".gz" : "");
}

static void tmpdir_remove(tmpdir *d) {
  char p[256];
  for (int i = 0; i < 4; i++) {
    file_path(d, NAMES[i], false, p, sizeof p);
    unlink(p);
    file_path(d, NAMES[i], true, p, sizeof p);
    unlink(p);
  }
  assert_int_equal(rmdir(d->path), 0);
}

static void put_be32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

/* Writes header (magic + dims) and `len` payload bytes, plain or gzip. */
static void write_idx(const tmpdir *d, const char *name, bool gz, uint32_t magic, const uint32_t *dims, int n_dims,
                      const uint8_t *payload, size_t len) {
  uint8_t head[16];
  put_be32(head, magic);
  for (int i = 0; i < n_dims; i++) put_be32(head + 4 * (i + 1), dims[i]);
  size_t head_len = 4 * (size_t)(n_dims + 1);
  char p[256];
  file_path(d, name, !gz, p, sizeof p);
  unlink(p); /* NAME would shadow NAME.gz */
  file_path(d, name, gz, p, sizeof p);
  if (gz) {
    gzFile f = gzopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, head, (unsigned)head_len), (int)head_len);
    if (len) assert_int_equal(gzwrite(f, payload, (unsigned)len), (int)len);
    assert_int_equal(gzclose(f), Z_OK);
  } else {
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(head, 1, head_len, f), head_len);
    if (len) assert_int_equal(fwrite(payload, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
  }
}

/* Image i encodes its own index in pixels 0 and 1, so batches can be traced back. */
static uint8_t synth_pixel(uint32_t i, int p) {
  if (p == 0) return (uint8_t)(i & 255);
  if (p == 1) return (uint8_t)(i >> 8);
  return (uint8_t)((i * 7 + (uint32_t)p) % 256);
}

static void write_images(const tmpdir *d, const char *name, bool gz, uint32_t n, size_t payload_len) {
  uint8_t *px = malloc((size_t)n * PIXELS + 1);
  assert_non_null(px);
  for (uint32_t i = 0; i < n; i++)
    for (int p = 0; p < PIXELS; p++) px[(size_t)i * PIXELS + p] = synth_pixel(i, p);
  uint32_t dims[3] = {n, 28, 28};
  write_idx(d, name, gz, 2051, dims, 3, px, payload_len);
  free(px);
}

static void write_labels(const tmpdir *d, const char *name, bool gz, uint32_t n, size_t payload_len) {
  uint8_t *lb = malloc((size_t)n + 1);
  assert_non_null(lb);
  for (uint32_t i = 0; i < n; i++) lb[i] = (uint8_t)(i % 10);
  write_idx(d, name, gz, 2049, &n, 1, lb, payload_len);
  free(lb);
}

/* A complete small data set; `gz_mask` bit i compresses NAMES[i]. */
static void write_dataset(const tmpdir *d, uint32_t n_train, uint32_t n_test, unsigned gz_mask) {
  write_images(d, NAMES[0], gz_mask & 1, n_train, (size_t)n_train * PIXELS);
  write_labels(d, NAMES[1], gz_mask & 2, n_train, n_train);
  write_images(d, NAMES[2], gz_mask & 4, n_test, (size_t)n_test * PIXELS);
  write_labels(d, NAMES[3], gz_mask & 8, n_test, n_test);
}

static int64_t image_id(const float *row) {
  return (int64_t)(row[0] * 255.0f + 0.5f) + 256 * (int64_t)(row[1] * 255.0f + 0.5f);
}

/* Reads d, expecting failure with `code` and a message containing `needle`. */
static void expect_error(const tmpdir *d, int64_t validation_size, rill_code code, const char *needle) {
  rill_status *st = rill_status_new();
  rill_mnist *m = rill_mnist_read(d->path, false, validation_size, 1, st);
  assert_null(m);
  if (rill_status_code(st) != code || !strstr(rill_status_message(st), needle))
    print_error("got %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
  assert_int_equal(rill_status_code(st), code);
  assert_non_null(strstr(rill_status_message(st), needle));
  rill_status_delete(st);
}

/* ---- the real data ---- */

static void test_fashion_mnist_splits(void **state) {
  (void)state;
  struct stat sb;
  if (stat(RILL_MNIST_DEFAULT_DIR, &sb) != 0) skip();
  rill_status *st = rill_status_new();
  rill_mnist *m = rill_mnist_read(NULL, false, 5000, 1, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  assert_non_null(m);
  assert_int_equal(m->train.num_examples, 55000);
  assert_int_equal(m->validation.num_examples, 5000);
  assert_int_equal(m->test.num_examples, 10000);

  const rill_dataset_split *splits[3] = {&m->train, &m->validation, &m->test};
  for (int s = 0; s < 3; s++) {
    float lo = 1, hi = 0;
    for (int64_t i = 0; i < splits[s]->num_examples * PIXELS; i++) {
      float v = splits[s]->images[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    assert_true(lo == 0.0f && hi == 1.0f);
    for (int64_t i = 0; i < splits[s]->num_examples; i++) assert_in_range(splits[s]->labels[i], 0, 9);
  }
  /* Validation is the file's first 5000 images; train starts at image 5000. Pixel sums of
   * those images (raw uint8) were computed with numpy from the same files. */
  double sum_v0 = 0, sum_t0 = 0;
  for (int p = 0; p < PIXELS; p++) {
    sum_v0 += m->validation.images[p];
    sum_t0 += m->train.images[p];
  }
  assert_float_equal(sum_v0, 76247.0 / 255.0, 1e-3);
  assert_float_equal(sum_t0, 94772.0 / 255.0, 1e-3);
  static const int hist[10] = {457, 556, 504, 501, 488, 493, 493, 512, 490, 506};
  int count[10] = {0};
  for (int i = 0; i < 5000; i++) count[m->validation.labels[i]]++;
  for (int c = 0; c < 10; c++) assert_int_equal(count[c], hist[c]);
  static const int test_first[5] = {9, 2, 1, 1, 6};
  for (int i = 0; i < 5; i++) assert_int_equal(m->test.labels[i], test_first[i]);

  rill_tensor *xi = rill_mnist_images_tensor(&m->test);
  rill_tensor *yi = rill_mnist_labels_tensor(&m->test, false);
  assert_non_null(xi);
  assert_non_null(yi);
  assert_int_equal(rill_tensor_dtype(xi), RILL_FLOAT);
  assert_true(rill_shape_equal(rill_tensor_shape(xi), RILL_SHAPE(10000, 784)));
  assert_int_equal(rill_tensor_dtype(yi), RILL_INT64);
  assert_true(rill_shape_equal(rill_tensor_shape(yi), RILL_SHAPE(10000)));
  assert_int_equal(rill_tensor_int64(yi)[0], 9);
  assert_memory_equal(rill_tensor_float(xi), m->test.images, 10000 * PIXELS * sizeof(float));
  rill_tensor_unref(xi);
  rill_tensor_unref(yi);
  rill_mnist_delete(m);
  rill_status_delete(st);
}

/* ---- synthetic data ---- */

static void test_pixels_plain_and_gzip(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 30, 12, 1 | 8); /* train images and test labels compressed */
  rill_status *st = rill_status_new();
  rill_mnist *m = rill_mnist_read(d.path, false, 7, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  assert_int_equal(m->train.num_examples, 23);
  assert_int_equal(m->validation.num_examples, 7);
  assert_int_equal(m->test.num_examples, 12);
  const float scale = (float)(1.0 / 255.0);
  for (uint32_t i = 0; i < 23; i++) {
    assert_int_equal(m->train.labels[i], (i + 7) % 10);
    for (int p = 0; p < PIXELS; p++)
      assert_true(m->train.images[i * PIXELS + p] == (float)synth_pixel(i + 7, p) * scale);
  }
  for (uint32_t i = 0; i < 7; i++) assert_int_equal(image_id(m->validation.images + i * PIXELS), i);
  for (uint32_t i = 0; i < 12; i++) assert_int_equal(m->test.labels[i], i % 10);
  rill_mnist_delete(m);

  /* validation_size 0 leaves an empty split that next_batch leaves alone. */
  m = rill_mnist_read(d.path, false, 0, 0, st);
  assert_non_null(m);
  assert_int_equal(m->validation.num_examples, 0);
  float img = -1;
  rill_mnist_next_batch(&m->validation, 1, false, &img, NULL);
  assert_true(img == -1);
  rill_tensor *t = rill_mnist_images_tensor(&m->validation);
  assert_int_equal(rill_tensor_num_elements(t), 0);
  rill_tensor_unref(t);
  rill_mnist_delete(m);
  rill_status_delete(st);
  tmpdir_remove(&d);
}

static void test_one_hot_rows(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 40, 10, 0);
  rill_status *st = rill_status_new();
  rill_mnist *m = rill_mnist_read(d.path, true, 5, 3, st);
  assert_non_null(m);
  assert_true(m->one_hot);
  float x[16 * PIXELS], y[16 * 10];
  for (int b = 0; b < 5; b++) {
    rill_mnist_next_batch(&m->train, 16, true, x, y);
    for (int r = 0; r < 16; r++) {
      int64_t id = image_id(x + r * PIXELS);
      int ones = 0;
      for (int c = 0; c < 10; c++) {
        assert_true(y[r * 10 + c] == 0.0f || y[r * 10 + c] == 1.0f);
        ones += y[r * 10 + c] == 1.0f;
      }
      assert_int_equal(ones, 1);
      assert_true(y[r * 10 + id % 10] == 1.0f);
    }
  }
  rill_tensor *t = rill_mnist_labels_tensor(&m->test, true);
  assert_true(rill_shape_equal(rill_tensor_shape(t), RILL_SHAPE(10, 10)));
  const float *v = rill_tensor_float(t);
  for (int r = 0; r < 10; r++)
    for (int c = 0; c < 10; c++) assert_true(v[r * 10 + c] == (c == r ? 1.0f : 0.0f));
  rill_tensor_unref(t);
  rill_mnist_delete(m);
  rill_status_delete(st);
  tmpdir_remove(&d);
}

/* Draws `batches` batches of `bs` ids from a fresh read with `seed`. */
static void draw_ids(const char *dir, uint64_t seed, int bs, int batches, int64_t *ids, rill_mnist **out) {
  rill_status *st = rill_status_new();
  rill_mnist *m = rill_mnist_read(dir, false, 5, seed, st);
  assert_non_null(m);
  float *x = malloc((size_t)bs * PIXELS * sizeof(float));
  int64_t *y = malloc((size_t)bs * sizeof(int64_t));
  for (int b = 0; b < batches; b++) {
    rill_mnist_next_batch(&m->train, bs, false, x, y);
    for (int r = 0; r < bs; r++) {
      ids[b * bs + r] = image_id(x + r * PIXELS) - 5; /* train starts at file image 5 */
      assert_int_equal(y[r], (ids[b * bs + r] + 5) % 10);
    }
  }
  free(x);
  free(y);
  rill_status_delete(st);
  *out = m;
}

/* Consecutive blocks of n ids must each be a permutation of [0, n): every example exactly
 * once per epoch, epochs joined inside batches. */
static void check_epochs(const int64_t *ids, int64_t total, int64_t n) {
  bool seen[64];
  for (int64_t e = 0; e + n <= total; e += n) {
    memset(seen, 0, sizeof seen);
    for (int64_t i = e; i < e + n; i++) {
      assert_in_range(ids[i], 0, n - 1);
      assert_false(seen[ids[i]]);
      seen[ids[i]] = true;
    }
  }
}

static void test_next_batch_epochs(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 28, 4, 0); /* 23 training examples */
  int64_t ids[30 * 5];
  rill_mnist *m;
  draw_ids(d.path, 42, 5, 30, ids, &m);
  check_epochs(ids, 150, 23);
  assert_int_equal(m->train.epochs_completed, 6);
  assert_int_equal(m->train.index_in_epoch, 150 - 6 * 23);
  /* The first epoch is shuffled too, and later epochs differ from it. */
  bool identity = true, same_as_first = true;
  for (int i = 0; i < 23; i++) {
    identity &= ids[i] == i;
    same_as_first &= ids[23 + i] == ids[i];
  }
  assert_false(identity);
  assert_false(same_as_first);
  rill_mnist_delete(m);

  /* A batch bigger than the split spans epochs and still sees each example once per epoch. */
  int64_t big[3 * 50];
  draw_ids(d.path, 42, 50, 3, big, &m);
  check_epochs(big, 150, 23);
  assert_int_equal(m->train.epochs_completed, 6);
  rill_mnist_delete(m);
  tmpdir_remove(&d);
}

static void test_next_batch_deterministic(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 28, 4, 0);
  int64_t a[40 * 3], b[40 * 3], c[40 * 3];
  rill_mnist *ma, *mb, *mc;
  draw_ids(d.path, 7, 3, 40, a, &ma);
  draw_ids(d.path, 7, 3, 40, b, &mb);
  draw_ids(d.path, 8, 3, 40, c, &mc);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  rill_mnist_delete(ma);
  rill_mnist_delete(mb);
  rill_mnist_delete(mc);
  tmpdir_remove(&d);
}

/* ---- errors ---- */

static void test_missing_files(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  expect_error(&d, 0, RILL_NOT_FOUND, "train-images-idx3-ubyte");
  write_dataset(&d, 10, 10, 0);
  char p[256];
  file_path(&d, NAMES[3], false, p, sizeof p);
  assert_int_equal(unlink(p), 0);
  expect_error(&d, 0, RILL_NOT_FOUND, "t10k-labels-idx1-ubyte");
  tmpdir_remove(&d);

  rill_status *st = rill_status_new();
  assert_null(rill_mnist_read("/nonexistent/rill/mnist", false, 0, 0, st));
  assert_int_equal(rill_status_code(st), RILL_NOT_FOUND);
  assert_non_null(strstr(rill_status_message(st), "/nonexistent/rill/mnist/train-images-idx3-ubyte"));
  rill_status_delete(st);
}

static void test_bad_magic(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 10, 10, 0);
  uint8_t px[PIXELS] = {0};
  uint32_t dims[3] = {1, 28, 28};
  write_idx(&d, NAMES[0], false, 2049, dims, 3, px, PIXELS);
  char p[256];
  file_path(&d, NAMES[0], false, p, sizeof p);
  expect_error(&d, 0, RILL_DATA_LOSS, p);
  expect_error(&d, 0, RILL_DATA_LOSS, "Invalid magic number 2049");

  write_dataset(&d, 10, 10, 0);
  uint32_t n = 10;
  uint8_t lb[10] = {0};
  write_idx(&d, NAMES[3], true, 2051, &n, 1, lb, 10); /* NAME absent, NAME.gz bad */
  file_path(&d, NAMES[3], true, p, sizeof p);
  expect_error(&d, 0, RILL_DATA_LOSS, p);
  expect_error(&d, 0, RILL_DATA_LOSS, "Invalid magic number 2051");

  /* 28x28 is the only geometry the 784-wide splits can hold. */
  write_dataset(&d, 10, 10, 0);
  uint32_t odd[3] = {1, 27, 29};
  write_idx(&d, NAMES[2], false, 2051, odd, 3, px, 27 * 29);
  expect_error(&d, 0, RILL_DATA_LOSS, "27x29");
  tmpdir_remove(&d);
}

static void truncate_file(const tmpdir *d, const char *name, bool gz, long keep) {
  char p[256];
  file_path(d, name, gz, p, sizeof p);
  assert_int_equal(truncate(p, keep), 0);
}

static void test_truncated_and_corrupt(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  char p[256];

  /* Pixels cut short in a plain file. */
  write_dataset(&d, 10, 10, 0);
  write_images(&d, NAMES[0], false, 10, 9 * PIXELS + 100);
  file_path(&d, NAMES[0], false, p, sizeof p);
  expect_error(&d, 0, RILL_DATA_LOSS, p);
  expect_error(&d, 0, RILL_DATA_LOSS, "Truncated");

  /* Header cut short. */
  write_dataset(&d, 10, 10, 0);
  truncate_file(&d, NAMES[1], false, 6);
  expect_error(&d, 0, RILL_DATA_LOSS, "header");

  /* A header claiming far more images than the file holds. */
  write_dataset(&d, 10, 10, 0);
  write_images(&d, NAMES[2], false, 10, 10 * PIXELS);
  uint32_t huge[3] = {4000000000u, 28, 28};
  uint8_t px[PIXELS] = {0};
  write_idx(&d, NAMES[2], false, 2051, huge, 3, px, PIXELS);
  expect_error(&d, 0, RILL_DATA_LOSS, "Truncated");

  /* A gzip stream cut in half. */
  write_dataset(&d, 200, 10, 1);
  file_path(&d, NAMES[0], true, p, sizeof p);
  struct stat sb;
  assert_int_equal(stat(p, &sb), 0);
  truncate_file(&d, NAMES[0], true, (long)sb.st_size / 2);
  expect_error(&d, 0, RILL_DATA_LOSS, p);

  /* Flipped bytes inside a gzip stream: inflate or the CRC check must notice. */
  write_dataset(&d, 200, 10, 1);
  FILE *f = fopen(p, "r+b");
  assert_non_null(f);
  assert_int_equal(fseek(f, (long)sb.st_size / 2, SEEK_SET), 0);
  uint8_t junk[64];
  for (int i = 0; i < 64; i++) junk[i] = (uint8_t)(i * 37 + 11);
  assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
  assert_int_equal(fclose(f), 0);
  expect_error(&d, 0, RILL_DATA_LOSS, p);

  /* A gzip trailer with the wrong CRC. */
  write_dataset(&d, 10, 10, 8);
  file_path(&d, NAMES[3], true, p, sizeof p);
  assert_int_equal(stat(p, &sb), 0);
  f = fopen(p, "r+b");
  assert_non_null(f);
  assert_int_equal(fseek(f, (long)sb.st_size - 8, SEEK_SET), 0);
  uint8_t bad_crc[4] = {1, 2, 3, 4};
  assert_int_equal(fwrite(bad_crc, 1, 4, f), 4);
  assert_int_equal(fclose(f), 0);
  expect_error(&d, 0, RILL_DATA_LOSS, p);
  tmpdir_remove(&d);
}

static void test_inconsistent_data(void **state) {
  (void)state;
  tmpdir d;
  tmpdir_make(&d);
  write_dataset(&d, 10, 10, 0);
  write_labels(&d, NAMES[1], false, 9, 9);
  expect_error(&d, 0, RILL_DATA_LOSS, "10 images but");

  write_dataset(&d, 10, 10, 0);
  uint32_t n = 3;
  uint8_t lb[3] = {1, 10, 2};
  write_idx(&d, NAMES[3], false, 2049, &n, 1, lb, 3);
  write_images(&d, NAMES[2], false, 3, 3 * PIXELS);
  expect_error(&d, 0, RILL_DATA_LOSS, "label 10 at index 1");

  write_dataset(&d, 10, 10, 0);
  expect_error(&d, 11, RILL_INVALID_ARGUMENT, "Validation size should be between 0 and 10. Received: 11.");
  expect_error(&d, -1, RILL_INVALID_ARGUMENT, "Received: -1.");
  tmpdir_remove(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fashion_mnist_splits),   cmocka_unit_test(test_pixels_plain_and_gzip),
      cmocka_unit_test(test_one_hot_rows),           cmocka_unit_test(test_next_batch_epochs),
      cmocka_unit_test(test_next_batch_deterministic), cmocka_unit_test(test_missing_files),
      cmocka_unit_test(test_bad_magic),              cmocka_unit_test(test_truncated_and_corrupt),
      cmocka_unit_test(test_inconsistent_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
