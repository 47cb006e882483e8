/* libFuzzer target: the tf.train.Example parser (src/io/example_codec.c).
 *
 * Whatever parses must serialise, parse back to the same features, and serialise again to the
 * same bytes. Any mismatch traps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rill/rill.h"

static int same_feature(const rill_feature *a, const rill_feature *b) {
  if (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len) || a->kind != b->kind || a->count != b->count)
    return 0;
  for (size_t k = 0; k < a->count; k++) {
    if (a->kind == RILL_FEATURE_FLOAT && memcmp(&a->floats[k], &b->floats[k], sizeof(float))) return 0;
    if (a->kind == RILL_FEATURE_INT64 && a->int64s[k] != b->int64s[k]) return 0;
    if (a->kind == RILL_FEATURE_BYTES &&
        (a->bytes[k].len != b->bytes[k].len ||
         (a->bytes[k].len && memcmp(a->bytes[k].data, b->bytes[k].data, a->bytes[k].len))))
      return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rill_status *st = rill_status_new();
  rill_example *e = rill_example_parse(data, size, st);
  if (!e) {
    rill_code c = rill_status_code(st);
    if (c != RILL_INVALID_ARGUMENT && c != RILL_RESOURCE_EXHAUSTED) __builtin_trap();
    rill_status_delete(st);
    return 0;
  }
  for (size_t i = 0; i < rill_example_num_features(e); i++) {
    const rill_feature *f = rill_example_feature(e, i);
    if (rill_example_find_n(e, f->key, f->key_len) != f) __builtin_trap();
  }
  uint8_t *out, *out2;
  size_t len, len2;
  if (!rill_example_serialize(e, &out, &len, st)) __builtin_trap();
  rill_example *e2 = rill_example_parse(out, len, st);
  if (!e2 || rill_example_num_features(e2) != rill_example_num_features(e)) __builtin_trap();
  for (size_t i = 0; i < rill_example_num_features(e); i++)
    if (!same_feature(rill_example_feature(e, i), rill_example_feature(e2, i))) __builtin_trap();
  if (!rill_example_serialize(e2, &out2, &len2, st) || len2 != len || memcmp(out, out2, len)) __builtin_trap();
  free(out);
  free(out2);
  rill_example_delete(e);
  rill_example_delete(e2);
  rill_status_delete(st);
  return 0;
}
