/* Device specifications in TF's syntax: "/cpu:0", "/gpu:1", "/device:GPU:0",
 * "/job:worker/replica:0/task:1/device:CPU:0". The canonical form keeps the given parts in
 * TF's order, e.g. "/job:worker/task:1/device:GPU:0". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

static bool parse_int(const char *s, size_t n, int *out) {
  if (!n || n > 9) return false;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

char *rill__device_canonical(const char *spec, char *type, size_t type_cap, int *index) {
  char job[64] = "", dtype[16] = "";
  int replica = -1, task = -1, id = -1;
  /* Like TF's DeviceSpec, the parts are what lies between slashes: the leading slash may be
   * left out ("cpu:0") and empty parts ("/cpu:0/") are skipped. */
  for (const char *p = spec; *p;) {
    if (*p == '/') {
      p++;
      continue;
    }
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *colon = memchr(p, ':', len);
    if (!colon) return NULL;
    size_t klen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = len - klen - 1;
    if (klen == 3 && !strncmp(p, "job", 3)) {
      if (!vlen || vlen >= sizeof job) return NULL;
      memcpy(job, v, vlen);
      job[vlen] = 0;
    } else if (klen == 7 && !strncmp(p, "replica", 7)) {
      if (!parse_int(v, vlen, &replica)) return NULL;
    } else if (klen == 4 && !strncmp(p, "task", 4)) {
      if (!parse_int(v, vlen, &task)) return NULL;
    } else if (klen == 6 && !strncmp(p, "device", 6)) {
      const char *c2 = memchr(v, ':', vlen);
      size_t tlen = c2 ? (size_t)(c2 - v) : vlen;
      if (!tlen || tlen >= sizeof dtype) return NULL;
      for (size_t i = 0; i < tlen; i++) dtype[i] = (char)toupper((unsigned char)v[i]);
      dtype[tlen] = 0;
      if (c2 && !(vlen - tlen - 1 == 1 && v[tlen + 1] == '*') && !parse_int(c2 + 1, vlen - tlen - 1, &id)) return NULL;
    } else if ((klen == 3 && !strncasecmp(p, "cpu", 3)) || (klen == 3 && !strncasecmp(p, "gpu", 3))) {
      for (size_t i = 0; i < 3; i++) dtype[i] = (char)toupper((unsigned char)p[i]);
      dtype[3] = 0;
      if (!(vlen == 1 && v[0] == '*') && !parse_int(v, vlen, &id)) return NULL;
    } else {
      return NULL;
    }
    p += len;
  }
  for (char *c = dtype; *c; c++)
    if (!isalnum((unsigned char)*c) && *c != '_') return NULL;
  char out[256] = "";
  size_t used = 0;
  if (*job) used += (size_t)snprintf(out + used, sizeof out - used, "/job:%s", job);
  if (replica >= 0) used += (size_t)snprintf(out + used, sizeof out - used, "/replica:%d", replica);
  if (task >= 0) used += (size_t)snprintf(out + used, sizeof out - used, "/task:%d", task);
  if (*dtype) {
    if (id >= 0)
      snprintf(out + used, sizeof out - used, "/device:%s:%d", dtype, id);
    else
      snprintf(out + used, sizeof out - used, "/device:%s:*", dtype);
  }
  if (type) snprintf(type, type_cap, "%s", dtype);
  if (index) *index = id;
  return rill__strdup(out);
}
