/* Data types, shapes and tensors (values).
 *
 * dtype numbers are TensorFlow's DataType enum values, so GraphDef and checkpoint files
 * can use them unchanged. Tensors are row-major and reference-counted; a tensor may wrap
 * a caller's buffer without copying (rill_tensor_wrap). Thread-safety: reference counting
 * is atomic; the data itself is not synchronised. */
#ifndef RILL_TENSOR_H
#define RILL_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "rill/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rill_dtype {
  RILL_DT_INVALID = 0,
  RILL_FLOAT = 1,
  RILL_DOUBLE = 2,
  RILL_INT32 = 3,
  RILL_UINT8 = 4,
  RILL_STRING = 7,
  RILL_INT64 = 9,
  RILL_BOOL = 10
} rill_dtype;

/* Bytes per element (for RILL_STRING: sizeof(rill_string)); 0 for an unknown dtype. */
size_t rill_dtype_size(rill_dtype t);
/* TF's spelling: "float32", "int64", ...; "invalid" for unknown values. */
const char *rill_dtype_name(rill_dtype t);
bool rill_dtype_is_float(rill_dtype t);
bool rill_dtype_is_integer(rill_dtype t);

#define RILL_MAX_RANK 8

/* A shape. rank -1 means unknown rank; a dimension of -1 is unknown (graph shapes only:
 * tensors always have fully known shapes). Plain value type. */
typedef struct rill_shape {
  int rank;
  int64_t dims[RILL_MAX_RANK];
} rill_shape;

/* Builds a shape from its dimensions: RILL_SHAPE(2, 3), RILL_SHAPE(-1, 784), RILL_SHAPE() is a scalar. */
#define RILL_SHAPE(...) rill_shape_make((int64_t[]){0, ##__VA_ARGS__} + 1, \
    (int)(sizeof((int64_t[]){0, ##__VA_ARGS__}) / sizeof(int64_t)) - 1)
rill_shape rill_shape_make(const int64_t *dims, int rank);
rill_shape rill_shape_scalar(void);
rill_shape rill_shape_unknown(void);
/* Number of elements; -1 when any dimension or the rank is unknown. */
int64_t rill_shape_num_elements(rill_shape s);
bool rill_shape_is_fully_defined(rill_shape s);
bool rill_shape_equal(rill_shape a, rill_shape b);
/* True when a tensor of shape `actual` (fully known) fits graph shape `pattern`. */
bool rill_shape_compatible(rill_shape pattern, rill_shape actual);
/* Writes TF's text form: "(2, 3)", "(?, 784)", "<unknown>"; returns buf. */
char *rill_shape_str(rill_shape s, char *buf, size_t cap);
/* Bracket form used in TF's error messages: "[?,784]", "[2,3]", "?" for unknown rank. */
char *rill_shape_dbg(rill_shape s, char *buf, size_t cap);

/* Element of a RILL_STRING tensor: owned by the tensor. */
typedef struct rill_string {
  char *data;
  size_t len;
} rill_string;

typedef struct rill_tensor rill_tensor;

/* Allocates a tensor with 64-byte aligned, zero-filled storage. Returns NULL (and sets
 * *status when given) on a bad shape, bad dtype or out of memory. Caller owns the result:
 * release with rill_tensor_unref. */
rill_tensor *rill_tensor_new(rill_dtype t, rill_shape shape, rill_status *status);
/* Like rill_tensor_new, copying nbytes from data (nbytes must equal the tensor's size;
 * not for RILL_STRING). */
rill_tensor *rill_tensor_from_data(rill_dtype t, rill_shape shape, const void *data, size_t nbytes,
                                   rill_status *status);
/* Wraps the caller's buffer without copying. When the last reference goes, dealloc(data,
 * nbytes, arg) is called (dealloc may be NULL when the caller keeps ownership and outlives
 * the tensor). Not for RILL_STRING. */
rill_tensor *rill_tensor_wrap(rill_dtype t, rill_shape shape, void *data, size_t nbytes,
                              void (*dealloc)(void *data, size_t nbytes, void *arg), void *arg,
                              rill_status *status);
/* Scalars, for convenience. Caller owns. */
rill_tensor *rill_tensor_scalar_float(float v);
rill_tensor *rill_tensor_scalar_int32(int32_t v);
rill_tensor *rill_tensor_scalar_int64(int64_t v);
/* A RILL_STRING tensor of n elements copied from strs (lens may be NULL for NUL-terminated). */
rill_tensor *rill_tensor_strings(rill_shape shape, const char *const *strs, const size_t *lens,
                                 rill_status *status);

/* Adds a reference; returns t. Accepts NULL. */
rill_tensor *rill_tensor_ref(rill_tensor *t);
/* Drops a reference; frees at zero. Accepts NULL. */
void rill_tensor_unref(rill_tensor *t);
/* Deep copy. Caller owns. */
rill_tensor *rill_tensor_copy(const rill_tensor *t, rill_status *status);

rill_dtype rill_tensor_dtype(const rill_tensor *t);
rill_shape rill_tensor_shape(const rill_tensor *t);
int rill_tensor_rank(const rill_tensor *t);
int64_t rill_tensor_dim(const rill_tensor *t, int i);
int64_t rill_tensor_num_elements(const rill_tensor *t);
size_t rill_tensor_nbytes(const rill_tensor *t);
/* Pointer to the elements (rill_string* for strings). Valid while a reference is held. */
void *rill_tensor_data(const rill_tensor *t);
/* Typed accessors: NULL when the dtype differs. */
float *rill_tensor_float(const rill_tensor *t);
double *rill_tensor_double(const rill_tensor *t);
int32_t *rill_tensor_int32(const rill_tensor *t);
int64_t *rill_tensor_int64(const rill_tensor *t);
uint8_t *rill_tensor_uint8(const rill_tensor *t);
bool *rill_tensor_bool(const rill_tensor *t);
rill_string *rill_tensor_string(const rill_tensor *t);
/* Sets string element i to a copy of (data, len). */
bool rill_tensor_set_string(rill_tensor *t, int64_t i, const char *data, size_t len);
/* Element i converted to double (any numeric dtype or bool); 0 for strings. */
double rill_tensor_get(const rill_tensor *t, int64_t i);
/* Prints like numpy: "[[1. 2.]\n [3. 4.]]" to buf; returns buf. Long tensors are elided. */
char *rill_tensor_str(const rill_tensor *t, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
