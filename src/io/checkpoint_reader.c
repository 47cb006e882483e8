/* tf.train.NewCheckpointReader / load_checkpoint over a V2 bundle (bundle.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/internal.h"
#include "io/bundle.h"

struct rill_checkpoint_reader {
  rill__bundle_reader *b;
};

rill_checkpoint_reader *rill_checkpoint_reader_new(const char *prefix, rill_status *st) {
  rill_status_clear(st);
  if (!prefix) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "checkpoint path is NULL");
    return NULL;
  }
  struct stat sb;
  char *latest = NULL;
  if (stat(prefix, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    /* load_checkpoint(dir) reads the directory's latest checkpoint. */
    latest = rill_latest_checkpoint(prefix);
    if (!latest) {
      rill_status_set(st, RILL_NOT_FOUND,
                      "Unsuccessful TensorSliceReader constructor: Failed to find any matching files for %s", prefix);
      return NULL;
    }
  }
  rill_checkpoint_reader *r = calloc(1, sizeof *r);
  if (!r) {
    free(latest);
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  r->b = rill__bundle_reader_open(latest ? latest : prefix, st);
  free(latest);
  if (!r->b) {
    free(r);
    return NULL;
  }
  return r;
}

void rill_checkpoint_reader_delete(rill_checkpoint_reader *r) {
  if (!r) return;
  rill__bundle_reader_close(r->b);
  free(r);
}

const char *rill_checkpoint_reader_prefix(const rill_checkpoint_reader *r) { return rill__bundle_reader_prefix(r->b); }
int rill_checkpoint_reader_size(const rill_checkpoint_reader *r) { return (int)rill__bundle_reader_size(r->b); }

static const rill__bundle_entry *entry(const rill_checkpoint_reader *r, int i) {
  return i >= 0 ? rill__bundle_reader_entry(r->b, (size_t)i) : NULL;
}

const char *rill_checkpoint_reader_name(const rill_checkpoint_reader *r, int i) {
  const rill__bundle_entry *e = entry(r, i);
  return e ? e->name : NULL;
}

rill_dtype rill_checkpoint_reader_dtype(const rill_checkpoint_reader *r, int i) {
  const rill__bundle_entry *e = entry(r, i);
  return e ? (rill_dtype)e->dtype : RILL_DT_INVALID;
}

rill_shape rill_checkpoint_reader_shape(const rill_checkpoint_reader *r, int i) {
  const rill__bundle_entry *e = entry(r, i);
  return e ? e->shape : rill_shape_unknown();
}

int rill_checkpoint_reader_find(const rill_checkpoint_reader *r, const char *name) {
  return name ? (int)rill__bundle_reader_find(r->b, name) : -1;
}

rill_tensor *rill_checkpoint_reader_get_tensor(rill_checkpoint_reader *r, const char *name, rill_status *st) {
  rill_status_clear(st);
  long i = name ? rill__bundle_reader_find(r->b, name) : -1;
  if (i < 0) {
    rill_status_set(st, RILL_NOT_FOUND, "Key %s not found in checkpoint", name ? name : "(null)");
    return NULL;
  }
  return rill__bundle_reader_read(r->b, (size_t)i, st);
}

const char *rill_checkpoint_dtype_name(int dtype) {
  char buf[32];
  const char *n = rill__tf_dtype_name(dtype, buf, sizeof buf);
  return n == buf ? "invalid" : n;
}
