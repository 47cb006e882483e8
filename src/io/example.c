/* tf.train.Example container: an ordered key → feature map with a hash index. */
#include <stdlib.h>
#include <string.h>
#include "io/example_internal.h"

/* Non-NULL targets for empty value arrays, as the header promises. */
static const float no_floats[1];
static const int64_t no_int64s[1];
static const rill_bytes no_bytes[1];
static const uint8_t no_blob[1];

static bool grow(void **p, size_t *cap, size_t need, size_t esz) {
  if (need <= *cap) return true;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) {
      ncap = need;
      break;
    }
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / esz) return false;
  void *np = realloc(*p, ncap * esz);
  if (!np) return false;
  *p = np;
  *cap = ncap;
  return true;
}

static void feat_free(rill__feat *f) {
  free(f->key);
  free(f->f);
  free(f->i);
  free(f->blob);
  free(f->ends);
  free(f->views);
}

rill_example *rill_example_new(void) { return calloc(1, sizeof(rill_example)); }

void rill_example_delete(rill_example *e) {
  if (!e) return;
  for (size_t k = 0; k < e->cap; k++) feat_free(&e->feats[k]);
  free(e->feats);
  free(e->slots);
  free(e);
}

void rill_example_clear(rill_example *e) {
  if (!e) return;
  e->n = 0;
  if (e->slots) memset(e->slots, 0, e->nslots * sizeof *e->slots);
}

void rill__feat_reset(rill__feat *f, rill_feature_kind kind) {
  f->pub.kind = kind;
  f->pub.count = 0;
  f->blob_len = 0;
}

bool rill__feat_reserve(rill__feat *f, size_t more) {
  size_t need = f->pub.count + more;
  if (need < more) return false;
  switch (f->pub.kind) {
    case RILL_FEATURE_FLOAT: return grow((void **)&f->f, &f->f_cap, need, sizeof *f->f);
    case RILL_FEATURE_INT64: return grow((void **)&f->i, &f->i_cap, need, sizeof *f->i);
    case RILL_FEATURE_BYTES: return grow((void **)&f->ends, &f->ends_cap, need, sizeof *f->ends);
    default: return true;
  }
}

bool rill__feat_push_bytes(rill__feat *f, const void *data, size_t len) {
  if (len > SIZE_MAX - f->blob_len) return false;
  if (!rill__feat_reserve(f, 1) || !grow((void **)&f->blob, &f->blob_cap, f->blob_len + len, 1)) return false;
  if (len) memcpy(f->blob + f->blob_len, data, len);
  f->blob_len += len;
  f->ends[f->pub.count++] = f->blob_len;
  return true;
}

bool rill__feat_finish(rill__feat *f) {
  rill_feature *p = &f->pub;
  p->key = f->key;
  p->bytes = NULL;
  p->floats = NULL;
  p->int64s = NULL;
  switch (p->kind) {
    case RILL_FEATURE_FLOAT:
      p->floats = p->count ? f->f : no_floats;
      break;
    case RILL_FEATURE_INT64:
      p->int64s = p->count ? f->i : no_int64s;
      break;
    case RILL_FEATURE_BYTES: {
      if (!p->count) {
        p->bytes = no_bytes;
        break;
      }
      if (!grow((void **)&f->views, &f->views_cap, p->count, sizeof *f->views)) return false;
      const uint8_t *blob = f->blob ? f->blob : no_blob;
      size_t start = 0;
      for (size_t k = 0; k < p->count; k++) {
        f->views[k] = (rill_bytes){blob + start, f->ends[k] - start};
        start = f->ends[k];
      }
      p->bytes = f->views;
      break;
    }
    default:
      break;
  }
  return true;
}

/* ---- key index ---- */

static size_t key_hash(const char *key, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t k = 0; k < len; k++) h = (h ^ (uint8_t)key[k]) * 1099511628211ull;
  return (size_t)(h ^ (h >> 29));
}

static size_t find_index(const rill_example *e, const char *key, size_t len) {
  if (!e->nslots) return SIZE_MAX;
  size_t mask = e->nslots - 1;
  for (size_t s = key_hash(key, len) & mask;; s = (s + 1) & mask) {
    uint32_t v = e->slots[s];
    if (!v) return SIZE_MAX;
    const rill_feature *f = &e->feats[v - 1].pub;
    if (f->key_len == len && !memcmp(e->feats[v - 1].key, key, len)) return v - 1;
  }
}

static void index_insert(rill_example *e, size_t idx) {
  size_t mask = e->nslots - 1;
  const rill__feat *f = &e->feats[idx];
  size_t s = key_hash(f->key, f->pub.key_len) & mask;
  while (e->slots[s]) s = (s + 1) & mask;
  e->slots[s] = (uint32_t)(idx + 1);
}

static bool index_grow(rill_example *e, size_t n) {
  if (n > UINT32_MAX - 1) return false;
  if (n * 2 <= e->nslots) return true;
  size_t ns = e->nslots ? e->nslots * 2 : 16;
  while (ns < n * 2) ns *= 2;
  uint32_t *slots = calloc(ns, sizeof *slots);
  if (!slots) return false;
  free(e->slots);
  e->slots = slots;
  e->nslots = ns;
  for (size_t k = 0; k < e->n; k++) index_insert(e, k);
  return true;
}

rill__feat *rill__example_slot(rill_example *e, const char *key, size_t key_len, rill_status *status) {
  size_t idx = find_index(e, key, key_len);
  if (idx != SIZE_MAX) {
    rill__feat_reset(&e->feats[idx], RILL_FEATURE_NONE);
    return &e->feats[idx];
  }
  if (key_len == SIZE_MAX || !index_grow(e, e->n + 1)) goto oom;
  if (e->n == e->cap) {
    size_t cap = e->cap;
    if (!grow((void **)&e->feats, &cap, e->n + 1, sizeof *e->feats)) goto oom;
    memset(e->feats + e->cap, 0, (cap - e->cap) * sizeof *e->feats);
    e->cap = cap;
  }
  rill__feat *f = &e->feats[e->n];
  if (!grow((void **)&f->key, &f->key_cap, key_len + 1, 1)) goto oom;
  if (key_len) memcpy(f->key, key, key_len);
  f->key[key_len] = '\0';
  f->pub.key = f->key;
  f->pub.key_len = key_len;
  rill__feat_reset(f, RILL_FEATURE_NONE);
  rill__feat_finish(f);
  index_insert(e, e->n);
  e->n++;
  return f;
oom:
  rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory adding feature to an Example");
  return NULL;
}

/* ---- public accessors and setters ---- */

size_t rill_example_num_features(const rill_example *e) { return e ? e->n : 0; }

const rill_feature *rill_example_feature(const rill_example *e, size_t i) {
  return e && i < e->n ? &e->feats[i].pub : NULL;
}

const rill_feature *rill_example_find_n(const rill_example *e, const char *key, size_t key_len) {
  if (!e || (!key && key_len)) return NULL;
  size_t idx = find_index(e, key ? key : "", key_len);
  return idx == SIZE_MAX ? NULL : &e->feats[idx].pub;
}

const rill_feature *rill_example_find(const rill_example *e, const char *key) {
  return key ? rill_example_find_n(e, key, strlen(key)) : NULL;
}

/* A failed set leaves the feature in place with its oneof unset. */
static bool set_failed(rill__feat *f, rill_status *status) {
  rill__feat_reset(f, RILL_FEATURE_NONE);
  rill__feat_finish(f);
  rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory setting Example feature '%s'", f->key);
  return false;
}

static rill__feat *begin_set(rill_example *e, const char *key, size_t key_len, rill_feature_kind kind,
                             const void *values, size_t n, rill_status *status) {
  if (!e || !key || (n && !values)) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Example feature: %s is NULL",
                    !e ? "example" : !key ? "key" : "values");
    return NULL;
  }
  rill__feat *f = rill__example_slot(e, key, key_len, status);
  if (!f) return NULL;
  rill__feat_reset(f, kind);
  if (!rill__feat_reserve(f, n)) {
    set_failed(f, status);
    return NULL;
  }
  return f;
}

static bool end_set(rill__feat *f, rill_status *status) { return rill__feat_finish(f) || set_failed(f, status); }

static bool set_bytes_n(rill_example *e, const char *key, size_t key_len, const rill_bytes *values, size_t n,
                        rill_status *status) {
  for (size_t k = 0; k < n; k++)
    if (values[k].len && !values[k].data) {
      rill_status_set(status, RILL_INVALID_ARGUMENT, "Example feature: bytes value %zu is NULL", k);
      return false;
    }
  rill__feat *f = begin_set(e, key, key_len, RILL_FEATURE_BYTES, values, n, status);
  if (!f) return false;
  for (size_t k = 0; k < n; k++)
    if (!rill__feat_push_bytes(f, values[k].data, values[k].len)) return set_failed(f, status);
  return end_set(f, status);
}

bool rill_example_set_bytes(rill_example *e, const char *key, const rill_bytes *values, size_t n,
                            rill_status *status) {
  return set_bytes_n(e, key, key ? strlen(key) : 0, values, n, status);
}

bool rill_example_set_bytes_value(rill_example *e, const char *key, const void *data, size_t len,
                                  rill_status *status) {
  rill_bytes v = {data, len};
  return rill_example_set_bytes(e, key, &v, 1, status);
}

bool rill_example_set_floats(rill_example *e, const char *key, const float *values, size_t n, rill_status *status) {
  rill__feat *f = begin_set(e, key, key ? strlen(key) : 0, RILL_FEATURE_FLOAT, values, n, status);
  if (!f) return false;
  if (n) memcpy(f->f, values, n * sizeof *values);
  f->pub.count = n;
  return end_set(f, status);
}

bool rill_example_set_int64s(rill_example *e, const char *key, const int64_t *values, size_t n,
                             rill_status *status) {
  rill__feat *f = begin_set(e, key, key ? strlen(key) : 0, RILL_FEATURE_INT64, values, n, status);
  if (!f) return false;
  if (n) memcpy(f->i, values, n * sizeof *values);
  f->pub.count = n;
  return end_set(f, status);
}

bool rill_example_set_feature(rill_example *e, const rill_feature *src, rill_status *status) {
  if (!src) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Example feature: feature is NULL");
    return false;
  }
  switch (src->kind) {
    case RILL_FEATURE_BYTES:
      return set_bytes_n(e, src->key, src->key_len, src->bytes, src->count, status);
    case RILL_FEATURE_FLOAT:
    case RILL_FEATURE_INT64: {
      const void *vals = src->kind == RILL_FEATURE_FLOAT ? (const void *)src->floats : (const void *)src->int64s;
      rill__feat *f = begin_set(e, src->key, src->key_len, src->kind, vals, src->count, status);
      if (!f) return false;
      if (src->count) {
        if (src->kind == RILL_FEATURE_FLOAT)
          memcpy(f->f, vals, src->count * sizeof(float));
        else
          memcpy(f->i, vals, src->count * sizeof(int64_t));
      }
      f->pub.count = src->count;
      return end_set(f, status);
    }
    case RILL_FEATURE_NONE: {
      rill__feat *f = begin_set(e, src->key, src->key_len, RILL_FEATURE_NONE, NULL, 0, status);
      return f && end_set(f, status);
    }
    default:
      rill_status_set(status, RILL_INVALID_ARGUMENT, "Example feature: unknown kind %d", (int)src->kind);
      return false;
  }
}
