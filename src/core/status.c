/* rill_status: a code plus a heap message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

rill_status *rill_status_new(void) { return calloc(1, sizeof(rill_status)); }

void rill_status_delete(rill_status *s) {
  if (!s) return;
  free(s->msg);
  free(s);
}

rill_code rill_status_code(const rill_status *s) { return s ? s->code : RILL_OK; }

const char *rill_status_message(const rill_status *s) { return (s && s->msg) ? s->msg : ""; }

static void status_vset(rill_status *s, rill_code code, const char *fmt, va_list ap) {
  char *m = NULL;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n >= 0 && (m = malloc((size_t)n + 1))) vsnprintf(m, (size_t)n + 1, fmt, ap);
  free(s->msg);
  s->msg = m;
  s->code = code;
}

void rill_status_set(rill_status *s, rill_code code, const char *fmt, ...) {
  if (!s) return;
  va_list ap;
  va_start(ap, fmt);
  status_vset(s, code, fmt, ap);
  va_end(ap);
}

void rill__status_vset(rill_status *s, rill_code code, const char *fmt, va_list ap) {
  if (s) status_vset(s, code, fmt, ap);
}

void rill_status_clear(rill_status *s) {
  if (!s) return;
  free(s->msg);
  s->msg = NULL;
  s->code = RILL_OK;
}

void rill_status_copy(rill_status *dst, const rill_status *src) {
  if (!dst || dst == src) return;
  if (!src || src->code == RILL_OK) {
    rill_status_clear(dst);
    return;
  }
  rill_status_set(dst, src->code, "%s", rill_status_message(src));
}

const char *rill_code_name(rill_code c) {
  static const char *names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                "INTERNAL", "UNAVAILABLE", "DATA_LOSS"};
  return ((unsigned)c < sizeof names / sizeof names[0]) ? names[c] : "UNKNOWN";
}
