/* Helpers shared by the checkpoint tests: scratch directories and whole-file I/O. */
#ifndef RILL_TESTS_CKPT_TEST_UTIL_H
#define RILL_TESTS_CKPT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* A fresh empty directory under $TMPDIR (or /tmp); the returned path is malloc'd. */
char *ckpt_tmpdir(const char *tag);
/* Removes a directory tree (test scratch only). */
void ckpt_rmtree(const char *path);
/* Whole-file helpers; slurp returns malloc'd bytes (NULL when the file is missing). */
uint8_t *ckpt_slurp(const char *path, size_t *len);
void ckpt_spit(const char *path, const void *data, size_t len);
bool ckpt_exists(const char *path);
/* malloc'd printf. */
char *ckpt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
