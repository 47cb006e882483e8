/* MNIST in TF's read_data_sets form: IDX files (plain or gzip), the validation split, and
 * DataSet.next_batch's epoch/shuffle semantics.
 *
 * Files are read through zlib's gz* calls, which also read uncompressed files transparently,
 * so NAME and NAME.gz take the same path. Buffers grow with the data actually read, so a
 * corrupt header claiming billions of images costs nothing before the truncation is found. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include "rill/data.h"

#define MNIST_PIXELS 784
#define MNIST_CLASSES 10
#define IMAGES_MAGIC 2051
#define LABELS_MAGIC 2049

/* ---- reading IDX files ---- */

typedef struct idx_reader {
  gzFile gz;
  char *path; /* the file actually opened, for messages */
} idx_reader;

static char *join_path(const char *dir, const char *name, const char *suffix) {
  size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s%s", dir, name, suffix);
  return p;
}

static bool is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Opens DIR/NAME, or DIR/NAME.gz when NAME is absent. */
static bool idx_open(idx_reader *r, const char *dir, const char *name, rill_status *status) {
  r->gz = NULL;
  r->path = NULL;
  char *plain = join_path(dir, name, "");
  char *gz = join_path(dir, name, ".gz");
  if (!plain || !gz) {
    free(plain);
    free(gz);
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory opening MNIST file %s", name);
    return false;
  }
  if (is_regular_file(plain)) {
    r->path = plain;
    free(gz);
  } else if (is_regular_file(gz)) {
    r->path = gz;
    free(plain);
  } else {
    rill_status_set(status, RILL_NOT_FOUND, "MNIST file not found: %s (nor %s)", plain, gz);
    free(plain);
    free(gz);
    return false;
  }
  errno = 0;
  r->gz = gzopen(r->path, "rb");
  if (!r->gz) {
    int e = errno;
    rill_status_set(status, e == EACCES ? RILL_PERMISSION_DENIED : e == 0 ? RILL_RESOURCE_EXHAUSTED : RILL_UNKNOWN,
                    "Could not open MNIST file %s: %s", r->path, e ? strerror(e) : "out of memory");
    free(r->path);
    r->path = NULL;
    return false;
  }
  return true;
}

static void idx_close(idx_reader *r) {
  if (r->gz) gzclose(r->gz);
  free(r->path);
  r->gz = NULL;
  r->path = NULL;
}

/* Reads up to n bytes; returns the count read, or -1 after setting DATA_LOSS on a stream error
 * (corrupt gzip data, CRC mismatch). */
static int64_t idx_read(idx_reader *r, void *buf, int64_t n, rill_status *status) {
  int64_t got = 0;
  while (got < n) {
    int64_t want = n - got;
    if (want > (1 << 24)) want = 1 << 24;
    int k = gzread(r->gz, (char *)buf + got, (unsigned)want);
    if (k < 0) {
      int zerr;
      const char *msg = gzerror(r->gz, &zerr);
      rill_status_set(status, RILL_DATA_LOSS, "Corrupt MNIST file %s: %s", r->path, msg ? msg : "read error");
      return -1;
    }
    if (k == 0) break;
    got += k;
  }
  return got;
}

/* The header: magic then `n_dims` big-endian uint32 dimensions. */
static bool idx_header(idx_reader *r, uint32_t magic, const char *kind, uint32_t *dims, int n_dims,
                       rill_status *status) {
  uint8_t raw[16];
  int64_t want = 4 * (int64_t)(n_dims + 1);
  int64_t got = idx_read(r, raw, want, status);
  if (got < 0) return false;
  if (got < want) {
    rill_status_set(status, RILL_DATA_LOSS, "Truncated MNIST %s file %s: header has %lld of %lld bytes", kind,
                    r->path, (long long)got, (long long)want);
    return false;
  }
  for (int i = 0; i <= n_dims; i++) {
    const uint8_t *b = raw + 4 * i;
    uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (i == 0 && v != magic) {
      rill_status_set(status, RILL_DATA_LOSS, "Invalid magic number %u in MNIST %s file: %s (expected %u)", v, kind,
                      r->path, magic);
      return false;
    }
    if (i > 0) dims[i - 1] = v;
  }
  return true;
}

/* Reads exactly n payload bytes into a buffer it grows as data arrives. Caller frees *out. */
static bool idx_payload(idx_reader *r, const char *kind, int64_t n, uint8_t **out, rill_status *status) {
  *out = NULL;
  int64_t cap = 0, got = 0;
  uint8_t *buf = NULL;
  while (got < n) {
    if (got == cap) {
      int64_t ncap = cap ? cap * 2 : (int64_t)1 << 20;
      if (ncap > n) ncap = n;
      uint8_t *nb = realloc(buf, (size_t)ncap);
      if (!nb) {
        free(buf);
        rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory reading MNIST file %s", r->path);
        return false;
      }
      buf = nb;
      cap = ncap;
    }
    int64_t k = idx_read(r, buf + got, cap - got, status);
    if (k < 0) {
      free(buf);
      return false;
    }
    if (k == 0) break;
    got += k;
  }
  if (got < n) {
    free(buf);
    rill_status_set(status, RILL_DATA_LOSS, "Truncated MNIST %s file %s: expected %lld bytes of data, got %lld", kind,
                    r->path, (long long)n, (long long)got);
    return false;
  }
  /* Reading past the end makes zlib verify the gzip trailer (CRC and length). */
  uint8_t extra;
  if (idx_read(r, &extra, 1, status) < 0) {
    free(buf);
    return false;
  }
  *out = buf;
  return true;
}

/* extract_images: uint8 pixels of count 28x28 images. */
static bool read_images(const char *dir, const char *name, uint8_t **pixels, int64_t *count, rill_status *status) {
  idx_reader r;
  if (!idx_open(&r, dir, name, status)) return false;
  uint32_t dims[3];
  bool ok = idx_header(&r, IMAGES_MAGIC, "image", dims, 3, status);
  if (ok && (uint64_t)dims[1] * dims[2] != MNIST_PIXELS) {
    rill_status_set(status, RILL_DATA_LOSS, "MNIST image file %s holds %ux%u images; expected 28x28", r.path, dims[1],
                    dims[2]);
    ok = false;
  }
  if (ok) {
    *count = dims[0];
    ok = idx_payload(&r, "image", *count * MNIST_PIXELS, pixels, status);
  }
  idx_close(&r);
  return ok;
}

/* extract_labels: count class ids, each checked to be < 10. */
static bool read_labels(const char *dir, const char *name, uint8_t **labels, int64_t *count, rill_status *status) {
  idx_reader r;
  if (!idx_open(&r, dir, name, status)) return false;
  uint32_t dims[1];
  bool ok = idx_header(&r, LABELS_MAGIC, "label", dims, 1, status);
  if (ok) {
    *count = dims[0];
    ok = idx_payload(&r, "label", *count, labels, status);
  }
  for (int64_t i = 0; ok && i < *count; i++) {
    if ((*labels)[i] >= MNIST_CLASSES) {
      rill_status_set(status, RILL_DATA_LOSS, "MNIST label file %s: label %u at index %lld is not in [0, %d)", r.path,
                      (*labels)[i], (long long)i, MNIST_CLASSES);
      free(*labels);
      *labels = NULL;
      ok = false;
    }
  }
  idx_close(&r);
  return ok;
}

/* ---- splits ---- */

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias. */
static uint64_t rand_below(uint64_t *state, uint64_t bound) {
  uint64_t threshold = -bound % bound;
  for (;;) {
    uint64_t r = splitmix64(state);
    if (r >= threshold) return r % bound;
  }
}

static void shuffle(rill_dataset_split *s) {
  for (int64_t i = s->num_examples - 1; i > 0; i--) {
    int64_t j = (int64_t)rand_below(&s->rng, (uint64_t)i + 1);
    int64_t t = s->perm[i];
    s->perm[i] = s->perm[j];
    s->perm[j] = t;
  }
}

static void split_free(rill_dataset_split *s) {
  free(s->images);
  free(s->labels);
  free(s->perm);
  memset(s, 0, sizeof *s);
}

/* Fills a split from rows [first, first + n) of the uint8 arrays, scaling pixels like TF's
 * DataSet: float32(pixel) * float32(1/255). */
static bool split_init(rill_dataset_split *s, const uint8_t *pixels, const uint8_t *labels, int64_t first, int64_t n,
                       uint64_t rng, rill_status *status) {
  memset(s, 0, sizeof *s);
  s->num_examples = n;
  s->rng = rng;
  size_t rows = n > 0 ? (size_t)n : 1;
  s->images = malloc(rows * MNIST_PIXELS * sizeof(float));
  s->labels = malloc(rows);
  s->perm = malloc(rows * sizeof(int64_t));
  if (!s->images || !s->labels || !s->perm) {
    split_free(s);
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory for %lld MNIST images", (long long)n);
    return false;
  }
  const float scale = (float)(1.0 / 255.0);
  const uint8_t *src = pixels + first * MNIST_PIXELS;
  for (int64_t i = 0; i < n * MNIST_PIXELS; i++) s->images[i] = (float)src[i] * scale;
  if (n > 0) memcpy(s->labels, labels + first, (size_t)n);
  for (int64_t i = 0; i < n; i++) s->perm[i] = i;
  return true;
}

static const char *const TRAIN_IMAGES = "train-images-idx3-ubyte";
static const char *const TRAIN_LABELS = "train-labels-idx1-ubyte";
static const char *const TEST_IMAGES = "t10k-images-idx3-ubyte";
static const char *const TEST_LABELS = "t10k-labels-idx1-ubyte";

/* Reads one images/labels pair and checks that the counts agree. */
static bool read_pair(const char *dir, const char *images_name, const char *labels_name, uint8_t **pixels,
                      uint8_t **labels, int64_t *count, rill_status *status) {
  int64_t n_images = 0, n_labels = 0;
  *pixels = *labels = NULL;
  if (!read_images(dir, images_name, pixels, &n_images, status)) return false;
  if (!read_labels(dir, labels_name, labels, &n_labels, status)) {
    free(*pixels);
    *pixels = NULL;
    return false;
  }
  if (n_images != n_labels) {
    rill_status_set(status, RILL_DATA_LOSS, "MNIST files disagree: %s/%s has %lld images but %s/%s has %lld labels",
                    dir, images_name, (long long)n_images, dir, labels_name, (long long)n_labels);
    free(*pixels);
    free(*labels);
    *pixels = *labels = NULL;
    return false;
  }
  *count = n_images;
  return true;
}

rill_mnist *rill_mnist_read(const char *dir, bool one_hot, int64_t validation_size, uint64_t seed,
                            rill_status *status) {
  if (!dir) dir = RILL_MNIST_DEFAULT_DIR;
  rill_status_clear(status);
  uint8_t *train_px = NULL, *train_lb = NULL, *test_px = NULL, *test_lb = NULL;
  int64_t n_train = 0, n_test = 0;
  rill_mnist *m = NULL;
  if (!read_pair(dir, TRAIN_IMAGES, TRAIN_LABELS, &train_px, &train_lb, &n_train, status)) goto done;
  if (!read_pair(dir, TEST_IMAGES, TEST_LABELS, &test_px, &test_lb, &n_test, status)) goto done;
  if (validation_size < 0 || validation_size > n_train) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Validation size should be between 0 and %lld. Received: %lld.",
                    (long long)n_train, (long long)validation_size);
    goto done;
  }
  m = calloc(1, sizeof *m);
  if (!m) {
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory for the MNIST data set");
    goto done;
  }
  m->one_hot = one_hot;
  /* Each split shuffles with its own stream, so batches of one do not depend on another's. */
  uint64_t base = seed ? seed : 0x5EED0F0A11DA7A5Eull;
  uint64_t streams[3];
  for (int i = 0; i < 3; i++) {
    uint64_t st = base + (uint64_t)i * 0xD1B54A32D192ED03ull;
    streams[i] = splitmix64(&st);
  }
  if (!split_init(&m->train, train_px, train_lb, validation_size, n_train - validation_size, streams[0], status) ||
      !split_init(&m->validation, train_px, train_lb, 0, validation_size, streams[1], status) ||
      !split_init(&m->test, test_px, test_lb, 0, n_test, streams[2], status)) {
    rill_mnist_delete(m);
    m = NULL;
  }
done:
  free(train_px);
  free(train_lb);
  free(test_px);
  free(test_lb);
  return m;
}

void rill_mnist_delete(rill_mnist *m) {
  if (!m) return;
  split_free(&m->train);
  split_free(&m->validation);
  split_free(&m->test);
  free(m);
}

static void copy_rows(const rill_dataset_split *s, int64_t from, int64_t count, int64_t out_row, bool one_hot,
                      float *images, void *labels) {
  for (int64_t i = 0; i < count; i++) {
    int64_t src = s->perm[from + i], dst = out_row + i;
    if (images) memcpy(images + dst * MNIST_PIXELS, s->images + src * MNIST_PIXELS, MNIST_PIXELS * sizeof(float));
    if (!labels) continue;
    if (one_hot) {
      float *row = (float *)labels + dst * MNIST_CLASSES;
      memset(row, 0, MNIST_CLASSES * sizeof(float));
      row[s->labels[src]] = 1.0f;
    } else {
      ((int64_t *)labels)[dst] = s->labels[src];
    }
  }
}

/* TF's DataSet.next_batch(n, shuffle=True). A batch larger than the split spans as many
 * epochs as it needs (TF would return a short batch there). */
void rill_mnist_next_batch(rill_dataset_split *s, int64_t n, bool one_hot, float *images, void *labels) {
  if (!s || n <= 0 || s->num_examples <= 0) return;
  if (s->epochs_completed == 0 && s->index_in_epoch == 0) shuffle(s);
  int64_t done = 0;
  while (done < n) {
    int64_t start = s->index_in_epoch, want = n - done;
    if (start + want > s->num_examples) {
      int64_t rest = s->num_examples - start;
      copy_rows(s, start, rest, done, one_hot, images, labels);
      done += rest;
      s->epochs_completed++;
      shuffle(s);
      s->index_in_epoch = 0;
    } else {
      copy_rows(s, start, want, done, one_hot, images, labels);
      s->index_in_epoch += want;
      done = n;
    }
  }
}

rill_tensor *rill_mnist_images_tensor(const rill_dataset_split *s) {
  if (!s) return NULL;
  return rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(s->num_examples, MNIST_PIXELS), s->images,
                               (size_t)s->num_examples * MNIST_PIXELS * sizeof(float), NULL);
}

rill_tensor *rill_mnist_labels_tensor(const rill_dataset_split *s, bool one_hot) {
  if (!s) return NULL;
  if (one_hot) {
    rill_tensor *t = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(s->num_examples, MNIST_CLASSES), NULL);
    if (!t) return NULL;
    float *v = rill_tensor_float(t);
    for (int64_t i = 0; i < s->num_examples; i++) v[i * MNIST_CLASSES + s->labels[i]] = 1.0f;
    return t;
  }
  rill_tensor *t = rill_tensor_new(RILL_INT64, RILL_SHAPE(s->num_examples), NULL);
  if (!t) return NULL;
  int64_t *v = rill_tensor_int64(t);
  for (int64_t i = 0; i < s->num_examples; i++) v[i] = s->labels[i];
  return t;
}
