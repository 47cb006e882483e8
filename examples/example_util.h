/* Helpers the example programs share: numeric flags and the MNIST start-up every MNIST
 * example does. Header-only, since each example is a single-file program. */
#ifndef RILL_EXAMPLE_UTIL_H
#define RILL_EXAMPLE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <rill/rill.h>

/* Parses a whole decimal string >= min into *out; false otherwise. */
static inline bool example_parse_long(const char *s, long min, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < min) return false;
  *out = v;
  return true;
}

/* Creates the status and graph and reads MNIST from data_dir (NULL: the default directory).
 * On failure prints "<prog>: ..." to stderr, frees what it made and returns NULL; on success
 * the caller owns *st, *g and the returned data set. */
static inline rill_mnist *example_open_mnist(const char *prog, const char *data_dir, bool one_hot, long seed,
                                             rill_status **st, rill_graph **g) {
  *st = rill_status_new();
  *g = rill_graph_new();
  rill_mnist *m = NULL;
  if (!*st || !*g)
    fprintf(stderr, "%s: out of memory\n", prog);
  else if (!(m = rill_mnist_read(data_dir, one_hot, 5000, (uint64_t)seed, *st)))
    fprintf(stderr, "%s: reading MNIST: %s\n", prog, rill_status_message(*st));
  if (!m) {
    rill_status_delete(*st);
    rill_graph_delete(*g);
    *st = NULL;
    *g = NULL;
  }
  return m;
}

#endif
