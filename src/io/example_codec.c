/* tf.train.Example wire encoding and decoding (field numbers from feature.proto / example.proto). */
#include <stdlib.h>
#include "core/internal.h"
#include "io/crc32c.h"
#include "io/example_internal.h"
#include "io/pb.h"

/* Feature's oneof field numbers equal the rill_feature_kind values: bytes_list 1, float_list 2,
 * int64_list 3. */
#define EXAMPLE_FEATURES 1
#define FEATURES_FEATURE 1
#define ENTRY_KEY 1
#define ENTRY_VALUE 2
#define LIST_VALUE 1

static void encode_feature(rill__pb_buf *b, const rill_feature *f) {
  size_t entry = rill__pb_begin(b, FEATURES_FEATURE);
  rill__pb_write_bytes(b, ENTRY_KEY, f->key, f->key_len);
  size_t value = rill__pb_begin(b, ENTRY_VALUE);
  if (f->kind == RILL_FEATURE_BYTES || f->kind == RILL_FEATURE_FLOAT || f->kind == RILL_FEATURE_INT64) {
    size_t list = rill__pb_begin(b, (uint32_t)f->kind);
    if (f->kind == RILL_FEATURE_BYTES)
      for (size_t k = 0; k < f->count; k++) rill__pb_write_bytes(b, LIST_VALUE, f->bytes[k].data, f->bytes[k].len);
    else if (f->kind == RILL_FEATURE_FLOAT)
      rill__pb_write_packed_float(b, LIST_VALUE, f->floats, f->count);
    else
      rill__pb_write_packed_int64(b, LIST_VALUE, f->int64s, f->count);
    rill__pb_end(b, list);
  }
  rill__pb_end(b, value);
  rill__pb_end(b, entry);
}

bool rill_example_serialize(const rill_example *e, uint8_t **out, size_t *len, rill_status *status) {
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  if (e && e->n) {
    size_t features = rill__pb_begin(&b, EXAMPLE_FEATURES);
    for (size_t k = 0; k < e->n; k++) encode_feature(&b, &e->feats[k].pub);
    rill__pb_end(&b, features);
  }
  *out = rill__pb_buf_release(&b, len);
  if (!*out) {
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory serializing an Example");
    return false;
  }
  return true;
}

/* ---- parsing ---- */

static bool oom(rill_status *status) {
  rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "Out of memory parsing an Example");
  return false;
}

static bool append_bytes(rill__feat *ft, rill__pb_reader *r, rill_status *status) {
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(r, &f, status)) > 0)
    if (f.number == LIST_VALUE && f.wire == RILL_PB_LEN && !rill__feat_push_bytes(ft, f.data, f.len))
      return oom(status);
  return rc == 0;
}

static bool append_floats(rill__feat *ft, rill__pb_reader *r, rill_status *status) {
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(r, &f, status)) > 0) {
    if (f.number != LIST_VALUE) continue;
    if (f.wire == RILL_PB_FIXED32) {
      if (!rill__feat_reserve(ft, 1)) return oom(status);
      ft->f[ft->pub.count++] = rill__pb_as_float(&f);
    } else if (f.wire == RILL_PB_LEN) {
      int64_t n = rill__pb_packed_fixed_count(r, &f, 4, status);
      if (n <= 0) {
        if (n < 0) return false;
        continue;
      }
      if (!rill__feat_reserve(ft, (size_t)n)) return oom(status);
      float *dst = ft->f + ft->pub.count;
      for (int64_t k = 0; k < n; k++) dst[k] = rill__pb_bits_float(rill__get_le32(f.data + 4 * k));
      ft->pub.count += (size_t)n;
    }
  }
  return rc == 0;
}

static bool append_int64s(rill__feat *ft, rill__pb_reader *r, rill_status *status) {
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(r, &f, status)) > 0) {
    if (f.number != LIST_VALUE) continue;
    if (f.wire == RILL_PB_VARINT) {
      if (!rill__feat_reserve(ft, 1)) return oom(status);
      ft->i[ft->pub.count++] = rill__pb_as_int64(&f);
    } else if (f.wire == RILL_PB_LEN) {
      /* Each varint ends in exactly one byte without the continuation bit, so this count is
       * exact for well-formed input and an upper bound otherwise. */
      size_t n = rill__pb_packed_varint_count(&f);
      if (!rill__feat_reserve(ft, n)) return oom(status);
      rill__pb_reader packed;
      rill__pb_reader_sub(&packed, r, &f);
      uint64_t v;
      for (size_t k = 0; k < n && rill__pb_read_varint(&packed, &v, status) > 0; k++)
        ft->i[ft->pub.count++] = (int64_t)v;
      /* Bytes left over can only be a varint without its last byte: have the reader say so. */
      if (rill_status_code(status) == RILL_OK && !rill__pb_at_end(&packed))
        rill__pb_read_varint(&packed, &v, status);
      if (rill_status_code(status) != RILL_OK) return false;
    }
  }
  return rc == 0;
}

/* Merges one serialized Feature into ft, with protobuf's oneof rule: a list of another kind
 * replaces the current one, a list of the same kind appends to it. */
static bool merge_feature(rill__feat *ft, rill__pb_reader *r, rill_status *status) {
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(r, &f, status)) > 0) {
    if (f.wire != RILL_PB_LEN || f.number < RILL_FEATURE_BYTES || f.number > RILL_FEATURE_INT64) continue;
    rill_feature_kind kind = (rill_feature_kind)f.number;
    if (ft->pub.kind != kind) rill__feat_reset(ft, kind);
    rill__pb_reader list;
    rill__pb_reader_sub(&list, r, &f);
    bool ok = kind == RILL_FEATURE_BYTES   ? append_bytes(ft, &list, status)
              : kind == RILL_FEATURE_FLOAT ? append_floats(ft, &list, status)
                                           : append_int64s(ft, &list, status);
    if (!ok) return false;
  }
  return rc == 0;
}

/* One map entry {key = 1, value = 2}. The key may follow the value on the wire, so it is found
 * first; a repeated key field keeps the last, repeated value fields merge. */
static bool parse_entry(rill_example *e, const rill__pb_reader *entry, rill_status *status) {
  rill__pb_reader r = *entry;
  rill__pb_field f;
  const char *key = "";
  size_t key_len = 0;
  int rc;
  while ((rc = rill__pb_next(&r, &f, status)) > 0)
    if (f.number == ENTRY_KEY && f.wire == RILL_PB_LEN) {
      key = (const char *)f.data;
      key_len = f.len;
    }
  if (rc < 0) return false;
  rill__feat *ft = rill__example_slot(e, key, key_len, status);
  if (!ft) return false;
  r = *entry;
  while (rill__pb_next(&r, &f, status) > 0) {
    if (f.number != ENTRY_VALUE || f.wire != RILL_PB_LEN) continue;
    rill__pb_reader value;
    rill__pb_reader_sub(&value, &r, &f);
    if (!merge_feature(ft, &value, status)) return false;
  }
  return true;
}

static bool parse_features(rill_example *e, rill__pb_reader *r, rill_status *status) {
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(r, &f, status)) > 0) {
    if (f.number != FEATURES_FEATURE || f.wire != RILL_PB_LEN) continue;
    rill__pb_reader entry;
    rill__pb_reader_sub(&entry, r, &f);
    if (!parse_entry(e, &entry, status)) return false;
  }
  return rc == 0;
}

bool rill_example_parse_into(rill_example *e, const void *data, size_t len, rill_status *status) {
  if (!e || (len && !data)) {
    rill_status_set(status, RILL_INVALID_ARGUMENT, "Could not parse example input: %s is NULL", e ? "data" : "example");
    if (e) rill_example_clear(e);
    return false;
  }
  /* A private status: the caller's may be NULL, and errors must be told apart from success. */
  rill_status local = {RILL_OK, NULL};
  rill_status *st = &local;
  rill_example_clear(e);
  rill__pb_reader r;
  rill__pb_reader_init(&r, data, len);
  rill__pb_field f;
  int rc = 0;
  bool ok = true;
  while (ok && (rc = rill__pb_next(&r, &f, st)) > 0) {
    if (f.number != EXAMPLE_FEATURES || f.wire != RILL_PB_LEN) continue;
    rill__pb_reader features;
    rill__pb_reader_sub(&features, &r, &f);
    ok = parse_features(e, &features, st);
  }
  if (ok && rc < 0) ok = false;
  for (size_t k = 0; ok && k < e->n; k++)
    if (!rill__feat_finish(&e->feats[k])) ok = oom(st);
  if (!ok) {
    rill_code code = rill_status_code(st);
    if (code == RILL_INVALID_ARGUMENT)
      rill_status_set(status, code, "Could not parse example input: %s", rill_status_message(st));
    else
      rill_status_copy(status, st);
    rill_example_clear(e);
  }
  free(local.msg);
  return ok;
}

rill_example *rill_example_parse(const void *data, size_t len, rill_status *status) {
  rill_example *e = rill_example_new();
  if (!e) {
    oom(status);
    return NULL;
  }
  if (!rill_example_parse_into(e, data, len, status)) {
    rill_example_delete(e);
    return NULL;
  }
  return e;
}
