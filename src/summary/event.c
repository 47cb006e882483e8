/* Event records (tensorflow/core/util/event.proto) and TF 1.x's per-writer metadata stripping. */
#include <stdlib.h>
#include <string.h>
#include "summary/event.h"

void rill__event_encode(rill__pb_buf *b, double wall_time, int64_t step, uint32_t field, const void *payload,
                        size_t len) {
  if (rill__pb_double_bits(wall_time) != 0) rill__pb_write_double(b, RILL_EVENT_WALL_TIME, wall_time);
  if (step != 0) rill__pb_write_int64(b, RILL_EVENT_STEP, step);
  /* Event.what is a oneof: the field is written even when the payload is empty. */
  rill__pb_write_bytes(b, field, payload, len);
}

void rill__session_log_encode(rill__pb_buf *b, int status, const char *checkpoint_path, const char *msg) {
  if (status != 0) rill__pb_write_int64(b, 1, status);
  if (checkpoint_path && *checkpoint_path) rill__pb_write_string(b, 2, checkpoint_path);
  if (msg && *msg) rill__pb_write_string(b, 3, msg);
}

/* ---- the set of tags seen by one writer ---- */

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static bool grow(rill__tag_set *s) {
  size_t cap = s->cap ? 2 * s->cap : 64;
  rill__tag_set t = {calloc(cap, sizeof *t.tags), calloc(cap, sizeof *t.lens), cap, 0};
  if (!t.tags || !t.lens) {
    free(t.tags);
    free(t.lens);
    return false;
  }
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->tags[i]) continue;
    size_t j = (size_t)hash_bytes((const uint8_t *)s->tags[i], s->lens[i]) & (cap - 1);
    while (t.tags[j]) j = (j + 1) & (cap - 1);
    t.tags[j] = s->tags[i];
    t.lens[j] = s->lens[i];
    t.n++;
  }
  free(s->tags);
  free(s->lens);
  *s = t;
  return true;
}

/* 1 when the tag was new (and is now remembered), 0 when seen before, -1 when out of memory. */
static int tag_set_insert(rill__tag_set *s, const uint8_t *tag, size_t len) {
  if (2 * (s->n + 1) > s->cap && !grow(s)) return -1;
  size_t i = (size_t)hash_bytes(tag, len) & (s->cap - 1);
  for (; s->tags[i]; i = (i + 1) & (s->cap - 1))
    if (s->lens[i] == len && !memcmp(s->tags[i], tag, len)) return 0;
  char *copy = malloc(len + 1);
  if (!copy) return -1;
  memcpy(copy, tag, len);
  copy[len] = 0;
  s->tags[i] = copy;
  s->lens[i] = len;
  s->n++;
  return 1;
}

void rill__tag_set_free(rill__tag_set *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->tags[i]);
  free(s->tags);
  free(s->lens);
  memset(s, 0, sizeof *s);
}

/* Copies a Value's fields except metadata (9) to out as a Summary.value entry. */
static void put_value_without_metadata(rill__pb_buf *out, const uint8_t *v, size_t len) {
  size_t m = rill__pb_begin(out, RILL_SUMMARY_VALUE);
  rill__pb_reader r;
  rill__pb_reader_init(&r, v, len);
  rill__pb_field f;
  for (;;) {
    const uint8_t *start = r.p;
    if (rill__pb_next(&r, &f, NULL) <= 0) break;
    if (f.number != RILL_VALUE_METADATA) rill__pb_put_raw(out, start, (size_t)(r.p - start));
  }
  rill__pb_end(out, m);
}

static bool has_metadata(const uint8_t *v, size_t len) {
  rill__pb_reader r;
  rill__pb_reader_init(&r, v, len);
  rill__pb_field f;
  while (rill__pb_next(&r, &f, NULL) > 0)
    if (f.number == RILL_VALUE_METADATA) return true;
  return false;
}

typedef struct strip_ctx {
  rill__tag_set *seen;
  rill__pb_buf *out;
  bool oom;
} strip_ctx;

static bool strip_value(const uint8_t *v, size_t len, const uint8_t *tag, size_t tag_len, void *arg) {
  strip_ctx *c = arg;
  int seen_before = 0;
  if (has_metadata(v, len)) {
    int r = tag_set_insert(c->seen, tag, tag_len);
    if (r < 0) {
      c->oom = true;
      return false;
    }
    seen_before = r == 0;
  }
  if (seen_before) put_value_without_metadata(c->out, v, len);
  else rill__pb_write_bytes(c->out, RILL_SUMMARY_VALUE, v, len);
  return true;
}

bool rill__event_put_summary(rill__pb_buf *b, const uint8_t *summary, size_t len, rill__tag_set *seen) {
  size_t m = rill__pb_begin(b, RILL_EVENT_SUMMARY);
  strip_ctx c = {seen, b, false};
  int rc = rill__summary_for_each_value(summary, len, strip_value, &c, NULL);
  rill__pb_end(b, m);
  return rc > 0 && !c.oom && rill__pb_buf_ok(b);
}
