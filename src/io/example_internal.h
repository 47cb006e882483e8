/* tf.train.Example internals shared by the container (example.c) and the codec
 * (example_codec.c). */
#ifndef RILL_IO_EXAMPLE_INTERNAL_H
#define RILL_IO_EXAMPLE_INTERNAL_H

#include "rill/example.h"

/* One feature's storage. Buffers survive clear/parse so that parsing record after record into
 * the same example stops allocating once it has seen the largest one. */
typedef struct rill__feat {
  rill_feature pub; /* the caller's view; pointers refreshed by rill__feat_finish */
  char *key;
  size_t key_cap;
  float *f;
  size_t f_cap;
  int64_t *i;
  size_t i_cap;
  uint8_t *blob; /* bytes values back to back */
  size_t blob_len, blob_cap;
  size_t *ends; /* ends[k]: end of value k in blob */
  size_t ends_cap;
  rill_bytes *views;
  size_t views_cap;
} rill__feat;

struct rill_example {
  rill__feat *feats;
  size_t n, cap;   /* feats[n..cap) are spare storage for reuse */
  uint32_t *slots; /* open-addressing key index: feature index + 1, 0 = empty */
  size_t nslots;   /* a power of two, at least twice n */
};

/* The feature for key (created last when absent), emptied: kind NONE, no values. NULL with
 * status when out of memory. */
rill__feat *rill__example_slot(rill_example *e, const char *key, size_t key_len, rill_status *status);
/* Empties a feature and sets its kind. */
void rill__feat_reset(rill__feat *f, rill_feature_kind kind);
/* Room for `more` further values of the feature's kind; false when out of memory. */
bool rill__feat_reserve(rill__feat *f, size_t more);
/* Appends one bytes value (kind BYTES); false when out of memory. */
bool rill__feat_push_bytes(rill__feat *f, const void *data, size_t len);
/* Makes pub's pointers valid after values changed; false when out of memory. */
bool rill__feat_finish(rill__feat *f);

#endif
