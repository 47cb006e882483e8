/* tf.train.Example: building, serialising and parsing, byte-compatible with TensorFlow.
 *
 *   message Example  { Features features = 1; }
 *   message Features { map<string, Feature> feature = 1; }
 *   message Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2;
 *                                   Int64List int64_list = 3; } }
 *
 * A rill_example is an ordered map from key to feature. This is the data layer; the graph
 * ops (parse_single_example, parse_example) are built on it.
 *
 * Parsing follows protobuf's rules, as Python's tf.train.Example.FromString: packed and unpacked
 * FloatList/Int64List values are both accepted; a key that appears twice keeps its last value
 * (at the position where it first appeared); a Feature message split over several fields is
 * merged; when its oneof changes kind, the earlier values are dropped; unknown fields are
 * skipped. Serialising writes keys in the example's order, packed lists and canonical lengths,
 * which for a one-feature example is exactly the bytes Python's protobuf produces.
 *
 * Ownership: the caller owns a rill_example (rill_example_delete). The rill_feature pointers
 * and the arrays they point to belong to the example and stay valid until it is next changed
 * (set, parse, clear) or deleted. Not thread-safe; distinct examples are independent. */
#ifndef RILL_EXAMPLE_H
#define RILL_EXAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rill/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rill_feature_kind {
  RILL_FEATURE_NONE = 0,  /* oneof unset: TF treats the feature as missing */
  RILL_FEATURE_BYTES = 1, /* bytes_list: DT_STRING */
  RILL_FEATURE_FLOAT = 2, /* float_list: DT_FLOAT */
  RILL_FEATURE_INT64 = 3  /* int64_list: DT_INT64 */
} rill_feature_kind;

/* A byte string that is not NUL-terminated. */
typedef struct rill_bytes {
  const uint8_t *data;
  size_t len;
} rill_bytes;

/* One feature. Exactly the array of its kind is set (count values; non-NULL even when count
 * is 0); the others are NULL. */
typedef struct rill_feature {
  const char *key; /* NUL-terminated copy; key_len bytes (a key may itself contain NUL bytes) */
  size_t key_len;
  rill_feature_kind kind;
  size_t count;
  const rill_bytes *bytes;
  const float *floats;
  const int64_t *int64s;
} rill_feature;

typedef struct rill_example rill_example;

/* An empty example; NULL when out of memory. */
rill_example *rill_example_new(void);
/* Accepts NULL. */
void rill_example_delete(rill_example *e);
/* Removes every feature, keeping the memory for reuse. Accepts NULL. */
void rill_example_clear(rill_example *e);

/* Set a feature from copies of the values, replacing any feature with the same key (which keeps
 * its position; new keys go last). key is NUL-terminated. Values may be NULL when n is 0.
 * Returns false with status RESOURCE_EXHAUSTED when out of memory, INVALID_ARGUMENT for a NULL
 * key or NULL values with n > 0. */
bool rill_example_set_bytes(rill_example *e, const char *key, const rill_bytes *values, size_t n,
                            rill_status *status);
/* A bytes_list with one value (an encoded image, a raw pixel buffer, ...). */
bool rill_example_set_bytes_value(rill_example *e, const char *key, const void *data, size_t len,
                                  rill_status *status);
bool rill_example_set_floats(rill_example *e, const char *key, const float *values, size_t n, rill_status *status);
bool rill_example_set_int64s(rill_example *e, const char *key, const int64_t *values, size_t n,
                             rill_status *status);
/* Copies any feature, key_len and kind included (RILL_FEATURE_NONE gives a Feature with its
 * oneof unset). f must not point into e itself. */
bool rill_example_set_feature(rill_example *e, const rill_feature *f, rill_status *status);

size_t rill_example_num_features(const rill_example *e);
/* The i-th feature in order, NULL when i is out of range. */
const rill_feature *rill_example_feature(const rill_example *e, size_t i);
/* The feature with this NUL-terminated key, NULL when absent. */
const rill_feature *rill_example_find(const rill_example *e, const char *key);
/* The same for a key of key_len bytes. */
const rill_feature *rill_example_find_n(const rill_example *e, const char *key, size_t key_len);

/* Serialises e (Example.SerializeToString). *out is malloc'd (free() it; non-NULL even for an
 * empty example, which serialises to 0 bytes). Returns false with status RESOURCE_EXHAUSTED when
 * out of memory. */
bool rill_example_serialize(const rill_example *e, uint8_t **out, size_t *len, rill_status *status);

/* Parses a serialised Example into a new rill_example. Returns NULL with status
 * INVALID_ARGUMENT ("Could not parse example input: ...", with the byte offset) on malformed
 * input, RESOURCE_EXHAUSTED when out of memory. */
rill_example *rill_example_parse(const void *data, size_t len, rill_status *status);
/* The same into an existing example, reusing its memory (no allocation in steady state when
 * parsing many similar records). On failure e is left empty. */
bool rill_example_parse_into(rill_example *e, const void *data, size_t len, rill_status *status);

#ifdef __cplusplus
}
#endif
#endif
