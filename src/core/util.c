/* Small string and array helpers used across the library. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

char *rill__strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

char *rill__strfmt(const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *m = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (m) vsnprintf(m, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return m;
}

bool rill__grow(void **arr, int *cap, int need, size_t esz) {
  if (need <= *cap) return true;
  int nc = *cap ? *cap : 8;
  while (nc < need) nc *= 2;
  void *p = realloc(*arr, (size_t)nc * esz);
  if (!p) return false;
  memset((char *)p + (size_t)*cap * esz, 0, (size_t)(nc - *cap) * esz);
  *arr = p;
  *cap = nc;
  return true;
}
