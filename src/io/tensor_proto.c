/* TensorProto / TensorShapeProto encoding. Field numbers are tensor.proto's: dtype 1,
 * tensor_shape 2, tensor_content 4, float_val 5, double_val 6, int_val 7, string_val 8,
 * int64_val 10, bool_val 11; TensorShapeProto dim 2 (Dim.size 1), unknown_rank 3. */
#include <stdlib.h>
#include "core/internal.h"
#include "io/tensor_proto.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tensor_content is written in host byte order");

void rill__pb_put_shape_body(rill__pb_buf *b, rill_shape shape) {
  if (shape.rank < 0) {
    rill__pb_write_bool(b, 3, true);
    return;
  }
  for (int i = 0; i < shape.rank; i++) {
    size_t m = rill__pb_begin(b, 2);
    if (shape.dims[i] != 0) rill__pb_write_int64(b, 1, shape.dims[i]);
    rill__pb_end(b, m);
  }
}

void rill__pb_write_shape_proto(rill__pb_buf *b, uint32_t field, rill_shape shape) {
  size_t m = rill__pb_begin(b, field);
  rill__pb_put_shape_body(b, shape);
  rill__pb_end(b, m);
}

/* int_val holds int32 and the narrower integer types. */
static void put_int_val(rill__pb_buf *b, const rill_tensor *t) {
  int64_t n = t->n;
  if (t->dtype == RILL_INT32) {
    rill__pb_write_packed_int32(b, 7, t->data, (size_t)n);
    return;
  }
  int32_t *tmp = malloc(sizeof *tmp * (size_t)(n ? n : 1));
  if (!tmp) {
    b->failed = true;
    return;
  }
  const uint8_t *u = t->data;
  for (int64_t i = 0; i < n; i++) tmp[i] = u[i];
  rill__pb_write_packed_int32(b, 7, tmp, (size_t)n);
  free(tmp);
}

static void put_bool_val(rill__pb_buf *b, const rill_tensor *t) {
  if (!t->n) return;
  const bool *v = t->data;
  rill__pb_write_len_prefix(b, 11, (size_t)t->n);
  if (!rill__pb_buf_reserve(b, (size_t)t->n)) return;
  for (int64_t i = 0; i < t->n; i++) b->data[b->len++] = v[i] ? 1 : 0;
}

static void put_typed_vals(rill__pb_buf *b, const rill_tensor *t) {
  size_t n = (size_t)t->n;
  switch (t->dtype) {
    case RILL_FLOAT: rill__pb_write_packed_float(b, 5, t->data, n); break;
    case RILL_DOUBLE: rill__pb_write_packed_double(b, 6, t->data, n); break;
    case RILL_INT32:
    case RILL_UINT8: put_int_val(b, t); break;
    case RILL_INT64: rill__pb_write_packed_int64(b, 10, t->data, n); break;
    case RILL_BOOL: put_bool_val(b, t); break;
    case RILL_STRING: {
      const rill_string *s = t->data;
      for (size_t i = 0; i < n; i++) rill__pb_write_bytes(b, 8, s[i].data, s[i].len);
      break;
    }
    default: b->failed = true; break;
  }
}

void rill__pb_write_tensor_proto(rill__pb_buf *b, uint32_t field, const rill_tensor *t, rill__tp_layout layout) {
  size_t m = rill__pb_begin(b, field);
  rill__pb_write_varint(b, 1, (uint64_t)t->dtype);
  rill__pb_write_shape_proto(b, 2, t->shape);
  bool numeric = t->dtype != RILL_STRING && t->dtype != RILL_BOOL;
  bool content = false;
  if (layout == RILL_TP_CONTENT) content = t->dtype != RILL_STRING;
  else if (layout == RILL_TP_MAKE_TENSOR_PROTO) content = numeric && t->n > 1;
  if (content) {
    if (t->nbytes) rill__pb_write_bytes(b, 4, t->data, t->nbytes);
  } else {
    put_typed_vals(b, t);
  }
  rill__pb_end(b, m);
}
