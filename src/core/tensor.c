/* dtypes, shapes and reference-counted tensors. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

size_t rill_dtype_size(rill_dtype t) {
  switch (t) {
    case RILL_FLOAT: return 4;
    case RILL_DOUBLE: return 8;
    case RILL_INT32: return 4;
    case RILL_UINT8: return 1;
    case RILL_STRING: return sizeof(rill_string);
    case RILL_INT64: return 8;
    case RILL_BOOL: return 1;
    default: return 0;
  }
}

const char *rill_dtype_name(rill_dtype t) {
  switch (t) {
    case RILL_FLOAT: return "float32";
    case RILL_DOUBLE: return "float64";
    case RILL_INT32: return "int32";
    case RILL_UINT8: return "uint8";
    case RILL_STRING: return "string";
    case RILL_INT64: return "int64";
    case RILL_BOOL: return "bool";
    default: return "invalid";
  }
}

const char *rill__dtype_proto_name(rill_dtype t) {
  switch (t) {
    case RILL_FLOAT: return "float";
    case RILL_DOUBLE: return "double";
    default: return rill_dtype_name(t);
  }
}

bool rill_dtype_is_float(rill_dtype t) { return t == RILL_FLOAT || t == RILL_DOUBLE; }
bool rill_dtype_is_integer(rill_dtype t) { return t == RILL_INT32 || t == RILL_INT64 || t == RILL_UINT8; }

rill_shape rill_shape_make(const int64_t *dims, int rank) {
  rill_shape s;
  memset(&s, 0, sizeof s);
  if (rank < 0 || rank > RILL_MAX_RANK) {
    s.rank = -1;
    return s;
  }
  s.rank = rank;
  for (int i = 0; i < rank; i++) s.dims[i] = dims[i] < 0 ? -1 : dims[i];
  return s;
}

rill_shape rill_shape_scalar(void) { return rill_shape_make(NULL, 0); }

rill_shape rill_shape_unknown(void) {
  rill_shape s;
  memset(&s, 0, sizeof s);
  s.rank = -1;
  return s;
}

int64_t rill_shape_num_elements(rill_shape s) {
  if (s.rank < 0) return -1;
  int64_t n = 1;
  for (int i = 0; i < s.rank; i++) {
    if (s.dims[i] < 0) return -1;
    n *= s.dims[i];
  }
  return n;
}

bool rill_shape_is_fully_defined(rill_shape s) { return rill_shape_num_elements(s) >= 0; }

bool rill_shape_equal(rill_shape a, rill_shape b) {
  if (a.rank != b.rank) return false;
  for (int i = 0; i < a.rank; i++)
    if (a.dims[i] != b.dims[i]) return false;
  return true;
}

bool rill_shape_compatible(rill_shape p, rill_shape a) {
  if (p.rank < 0 || a.rank < 0) return true;
  if (p.rank != a.rank) return false;
  for (int i = 0; i < p.rank; i++)
    if (p.dims[i] >= 0 && a.dims[i] >= 0 && p.dims[i] != a.dims[i]) return false;
  return true;
}

static char *shape_fmt(rill_shape s, char *buf, size_t cap, const char *open, const char *sep,
                       const char *close, const char *unknown_dim, bool trailing_comma) {
  if (!cap) return buf;
  if (s.rank < 0) {
    snprintf(buf, cap, "%s", trailing_comma ? "<unknown>" : "?");
    return buf;
  }
  size_t used = (size_t)snprintf(buf, cap, "%s", open);
  for (int i = 0; i < s.rank && used < cap; i++) {
    if (s.dims[i] < 0)
      used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? sep : "", unknown_dim);
    else
      used += (size_t)snprintf(buf + used, cap - used, "%s%" PRId64, i ? sep : "", s.dims[i]);
  }
  if (used < cap) snprintf(buf + used, cap - used, "%s%s", (trailing_comma && s.rank == 1) ? "," : "", close);
  return buf;
}

char *rill_shape_str(rill_shape s, char *buf, size_t cap) { return shape_fmt(s, buf, cap, "(", ", ", ")", "?", true); }
char *rill_shape_dbg(rill_shape s, char *buf, size_t cap) { return shape_fmt(s, buf, cap, "[", ",", "]", "?", false); }

void *rill__aligned_alloc(size_t nbytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, nbytes ? nbytes : 64)) return NULL;
  return p;
}

void rill__aligned_free(void *p) { free(p); }

static bool check_shape(rill_dtype t, rill_shape shape, rill_status *st) {
  if (!rill_dtype_size(t)) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "invalid dtype %d", (int)t);
    return false;
  }
  if (shape.rank < 0 || shape.rank > RILL_MAX_RANK || !rill_shape_is_fully_defined(shape)) {
    char b[128];
    rill_status_set(st, RILL_INVALID_ARGUMENT, "a tensor needs a fully defined shape of rank <= %d, got %s",
                    RILL_MAX_RANK, rill_shape_dbg(shape, b, sizeof b));
    return false;
  }
  return true;
}

static void free_owned(void *data, size_t nbytes, void *arg) {
  (void)nbytes;
  (void)arg;
  rill__aligned_free(data);
}

rill_tensor *rill_tensor_new(rill_dtype t, rill_shape shape, rill_status *st) {
  rill_tensor *x = rill__tensor_new_uninit(t, shape, st);
  if (x) memset(x->data, 0, x->nbytes);
  return x;
}

rill_tensor *rill__tensor_new_uninit(rill_dtype t, rill_shape shape, rill_status *st) {
  if (!check_shape(t, shape, st)) return NULL;
  rill_tensor *x = malloc(sizeof *x);
  int64_t n = rill_shape_num_elements(shape);
  size_t nbytes = (size_t)n * rill_dtype_size(t);
  void *data = x ? rill__aligned_alloc(nbytes) : NULL;
  if (!data) {
    free(x);
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory allocating a %s tensor of %zu bytes",
                    rill_dtype_name(t), nbytes);
    return NULL;
  }
  if (t == RILL_STRING) memset(data, 0, nbytes); /* string elements own pointers */
  atomic_init(&x->refs, 1);
  x->dtype = t;
  x->shape = shape;
  x->n = n;
  x->nbytes = nbytes;
  x->data = data;
  x->dealloc = free_owned;
  x->dealloc_arg = NULL;
  x->base = NULL;
  return x;
}

rill_tensor *rill_tensor_from_data(rill_dtype t, rill_shape shape, const void *data, size_t nbytes,
                                   rill_status *st) {
  if (t == RILL_STRING) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "rill_tensor_from_data cannot build string tensors");
    return NULL;
  }
  rill_tensor *x = rill_tensor_new(t, shape, st);
  if (!x) return NULL;
  if (nbytes != x->nbytes) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "tensor of %" PRId64 " %s elements needs %zu bytes, got %zu", x->n,
                    rill_dtype_name(t), x->nbytes, nbytes);
    rill_tensor_unref(x);
    return NULL;
  }
  if (nbytes) memcpy(x->data, data, nbytes);
  return x;
}

rill_tensor *rill_tensor_wrap(rill_dtype t, rill_shape shape, void *data, size_t nbytes,
                              void (*dealloc)(void *, size_t, void *), void *arg, rill_status *st) {
  if (t == RILL_STRING) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "rill_tensor_wrap cannot wrap string tensors");
    return NULL;
  }
  if (!check_shape(t, shape, st)) return NULL;
  int64_t n = rill_shape_num_elements(shape);
  if ((size_t)n * rill_dtype_size(t) != nbytes) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "tensor of %" PRId64 " %s elements needs %zu bytes, got %zu", n,
                    rill_dtype_name(t), (size_t)n * rill_dtype_size(t), nbytes);
    return NULL;
  }
  rill_tensor *x = malloc(sizeof *x);
  if (!x) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  atomic_init(&x->refs, 1);
  x->dtype = t;
  x->shape = shape;
  x->n = n;
  x->nbytes = nbytes;
  x->data = data;
  x->dealloc = dealloc;
  x->dealloc_arg = arg;
  x->base = NULL;
  return x;
}

rill_tensor *rill_tensor_scalar_float(float v) {
  return rill_tensor_from_data(RILL_FLOAT, rill_shape_scalar(), &v, sizeof v, NULL);
}
rill_tensor *rill_tensor_scalar_int32(int32_t v) {
  return rill_tensor_from_data(RILL_INT32, rill_shape_scalar(), &v, sizeof v, NULL);
}
rill_tensor *rill_tensor_scalar_int64(int64_t v) {
  return rill_tensor_from_data(RILL_INT64, rill_shape_scalar(), &v, sizeof v, NULL);
}

rill_tensor *rill_tensor_strings(rill_shape shape, const char *const *strs, const size_t *lens, rill_status *st) {
  rill_tensor *x = rill_tensor_new(RILL_STRING, shape, st);
  if (!x) return NULL;
  for (int64_t i = 0; i < x->n; i++) {
    size_t len = lens ? lens[i] : strlen(strs[i]);
    if (!rill_tensor_set_string(x, i, strs[i], len)) {
      rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
      rill_tensor_unref(x);
      return NULL;
    }
  }
  return x;
}

rill_tensor *rill_tensor_ref(rill_tensor *t) {
  if (t) atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
  return t;
}

void rill_tensor_unref(rill_tensor *t) {
  if (!t) return;
  if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  if (t->base) {
    /* a view: the owner frees the buffer (and the strings in it) */
    rill_tensor_unref(t->base);
    free(t);
    return;
  }
  if (t->dtype == RILL_STRING && t->data) {
    rill_string *s = t->data;
    for (int64_t i = 0; i < t->n; i++) free(s[i].data);
  }
  if (t->dealloc) t->dealloc(t->data, t->nbytes, t->dealloc_arg);
  free(t);
}

rill_tensor *rill__tensor_view(rill_tensor *src, rill_shape shape) {
  rill_tensor *x = malloc(sizeof *x);
  if (!x) return NULL;
  rill_tensor *owner = src->base ? src->base : src;
  atomic_init(&x->refs, 1);
  x->dtype = src->dtype;
  x->shape = shape;
  x->n = src->n;
  x->nbytes = src->nbytes;
  x->data = src->data;
  x->dealloc = NULL;
  x->dealloc_arg = NULL;
  x->base = rill_tensor_ref(owner);
  return x;
}

bool rill__tensor_exclusive(const rill_tensor *t) {
  if (atomic_load_explicit(&((rill_tensor *)t)->refs, memory_order_acquire) != 1) return false;
  if (!t->base) return t->dealloc != NULL;
  return atomic_load_explicit(&t->base->refs, memory_order_acquire) == 1 && t->base->dealloc != NULL;
}

rill_tensor *rill_tensor_copy(const rill_tensor *t, rill_status *st) {
  rill_tensor *c = rill_tensor_new(t->dtype, t->shape, st);
  if (!c) return NULL;
  if (t->dtype == RILL_STRING) {
    const rill_string *s = t->data;
    for (int64_t i = 0; i < t->n; i++) {
      if (!rill_tensor_set_string(c, i, s[i].data, s[i].len)) {
        rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
        rill_tensor_unref(c);
        return NULL;
      }
    }
  } else if (t->nbytes) {
    memcpy(c->data, t->data, t->nbytes);
  }
  return c;
}

rill_dtype rill_tensor_dtype(const rill_tensor *t) { return t->dtype; }
rill_shape rill_tensor_shape(const rill_tensor *t) { return t->shape; }
int rill_tensor_rank(const rill_tensor *t) { return t->shape.rank; }
int64_t rill_tensor_dim(const rill_tensor *t, int i) {
  return (i >= 0 && i < t->shape.rank) ? t->shape.dims[i] : -1;
}
int64_t rill_tensor_num_elements(const rill_tensor *t) { return t->n; }
size_t rill_tensor_nbytes(const rill_tensor *t) { return t->nbytes; }
void *rill_tensor_data(const rill_tensor *t) { return t->data; }
float *rill_tensor_float(const rill_tensor *t) { return t && t->dtype == RILL_FLOAT ? t->data : NULL; }
double *rill_tensor_double(const rill_tensor *t) { return t && t->dtype == RILL_DOUBLE ? t->data : NULL; }
int32_t *rill_tensor_int32(const rill_tensor *t) { return t && t->dtype == RILL_INT32 ? t->data : NULL; }
int64_t *rill_tensor_int64(const rill_tensor *t) { return t && t->dtype == RILL_INT64 ? t->data : NULL; }
uint8_t *rill_tensor_uint8(const rill_tensor *t) { return t && t->dtype == RILL_UINT8 ? t->data : NULL; }
bool *rill_tensor_bool(const rill_tensor *t) { return t && t->dtype == RILL_BOOL ? t->data : NULL; }
rill_string *rill_tensor_string(const rill_tensor *t) { return t && t->dtype == RILL_STRING ? t->data : NULL; }

bool rill_tensor_set_string(rill_tensor *t, int64_t i, const char *data, size_t len) {
  if (t->dtype != RILL_STRING || i < 0 || i >= t->n) return false;
  char *c = malloc(len + 1);
  if (!c) return false;
  if (len) memcpy(c, data, len);
  c[len] = 0;
  rill_string *s = t->data;
  free(s[i].data);
  s[i].data = c;
  s[i].len = len;
  return true;
}

double rill_tensor_get(const rill_tensor *t, int64_t i) {
  if (i < 0 || i >= t->n) return 0;
  switch (t->dtype) {
    case RILL_FLOAT: return ((float *)t->data)[i];
    case RILL_DOUBLE: return ((double *)t->data)[i];
    case RILL_INT32: return ((int32_t *)t->data)[i];
    case RILL_INT64: return (double)((int64_t *)t->data)[i];
    case RILL_UINT8: return ((uint8_t *)t->data)[i];
    case RILL_BOOL: return ((bool *)t->data)[i];
    default: return 0;
  }
}

static size_t put_elem(const rill_tensor *t, int64_t i, char *buf, size_t cap) {
  switch (t->dtype) {
    case RILL_FLOAT:
    case RILL_DOUBLE: {
      double v = rill_tensor_get(t, i);
      char tmp[64];
      snprintf(tmp, sizeof tmp, "%.*g", t->dtype == RILL_FLOAT ? 8 : 16, v);
      if (!strchr(tmp, '.') && !strchr(tmp, 'e') && !strchr(tmp, 'n') && !strchr(tmp, 'i')) strcat(tmp, ".");
      return (size_t)snprintf(buf, cap, "%s", tmp);
    }
    case RILL_BOOL: return (size_t)snprintf(buf, cap, "%s", ((bool *)t->data)[i] ? "True" : "False");
    case RILL_STRING: {
      /* Python's bytes repr: printable ASCII as is, everything else escaped (NULs included). */
      const rill_string *s = t->data;
      size_t n = (size_t)snprintf(buf, cap, "b'");
      for (size_t k = 0; k < s[i].len && k < 40; k++) {
        unsigned char c = (unsigned char)s[i].data[k];
        const char *esc = c == '\\' ? "\\\\" : c == '\'' ? "\\'" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
        if (esc)
          n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s", esc);
        else if (c < 0x20 || c >= 0x7f)
          n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "\\x%02x", c);
        else
          n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%c", c);
      }
      return n + (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "'");
    }
    case RILL_INT64: return (size_t)snprintf(buf, cap, "%lld", (long long)((const int64_t *)t->data)[i]);
    default: return (size_t)snprintf(buf, cap, "%.0f", rill_tensor_get(t, i));
  }
}

char *rill_tensor_str(const rill_tensor *t, char *buf, size_t cap) {
  if (!cap) return buf;
  buf[0] = 0;
  size_t used = 0;
  int rank = t->shape.rank;
  if (rank == 0) {
    put_elem(t, 0, buf, cap);
    return buf;
  }
  int64_t idx[RILL_MAX_RANK] = {0};
  int64_t i = 0;
  for (; i < t->n && used + 8 < cap; i++) {
    int opens = 0;
    for (int d = rank - 1; d >= 0 && idx[d] == 0; d--) opens++;
    if (i > 0) {
      /* numpy separates blocks of rank r with r - 1 blank lines */
      if (!opens) used += (size_t)snprintf(buf + used, cap - used, " ");
      for (int k = 0; k < opens && used < cap; k++) used += (size_t)snprintf(buf + used, cap - used, "\n");
      for (int k = 0; k < rank - opens && opens && used < cap; k++) used += (size_t)snprintf(buf + used, cap - used, " ");
    }
    for (int k = 0; k < opens && used < cap; k++) used += (size_t)snprintf(buf + used, cap - used, "[");
    if (used < cap) used += put_elem(t, i, buf + used, cap - used);
    int closes = 0;
    for (int d = rank - 1; d >= 0; d--) {
      if (++idx[d] < t->shape.dims[d]) break;
      idx[d] = 0;
      closes++;
    }
    for (int k = 0; k < closes && used < cap; k++) used += (size_t)snprintf(buf + used, cap - used, "]");
  }
  if (t->n == 0) snprintf(buf, cap, "[]");
  if ((used >= cap || i < t->n) && cap > 4) strcpy(buf + (used + 4 <= cap ? used : cap - 4), "...");
  return buf;
}
