/* Shared by the array op files (src/ops/array_*.c): TF-style shape errors, reading constant
 * index inputs, partial evaluation of shape tensors, a strided copy engine for the data-movement
 * kernels, and builders that take run-time tensors where the public ones take C arrays. */
#ifndef RILL_ARRAY_INTERNAL_H
#define RILL_ARRAY_INTERNAL_H

#include "core/internal.h"

/* Registration, one function per file. */
void rill__register_array_reshape_ops(void);
void rill__register_array_transpose_ops(void);
void rill__register_array_slice_ops(void);
void rill__register_array_strided_slice_ops(void);
void rill__register_array_concat_ops(void);
void rill__register_array_tile_ops(void);
void rill__register_array_gather_ops(void);
void rill__register_array_fill_ops(void);

/* ---- shape functions ---- */

/* Records TF's shape error "<msg> for 'name' (op: 'Type') with input shapes: [a], [b]" followed,
 * like TF's shape refiner, by the values the check used: inputs whose bit is set in `tensors`
 * are printed as " and with computed input tensors: input[1] = <3>", those in `partial` as
 * " and with input tensors computed as partial shapes: input[1] = [?,5]". Returns false. */
bool rill__array_error(rill_op *op, unsigned tensors, unsigned partial, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Copies the values of an int32/int64 tensor into out (at most cap of them). Returns the
 * element count, or -1 when t is NULL or of another dtype. */
int64_t rill__int_values(const rill_tensor *t, int64_t *out, int64_t cap);
/* A build-time constant scalar integer input: true and *v set when input i is a Const int32/int64
 * scalar (or one-element vector). */
bool rill__const_int_input(const rill_op *op, int i, int64_t *v);

/* Input i read as a (partial) shape, like TF's MakeShapeFromShapeTensor: a Const gives its
 * values (-1 = unknown dim), Shape(x) gives x's static shape, and Pack, ConcatV2 and
 * GatherV2-of-Shape combine those; any other producer gives unknown dims (rank = the vector's
 * length when known). Returns false after recording TF's error for values below -1. When
 * `used` is given it is set to whether anything was learned from the value (for messages). */
bool rill__input_as_shape(rill_op *op, int i, rill_shape *out, bool *used);

/* Dimension arithmetic on graph dims (-1 unknown), as TF's InferenceContext does. */
int64_t rill__dim_mul(int64_t a, int64_t b);
int64_t rill__dim_add(int64_t a, int64_t b);

/* Integer attribute lists and the index dtype helpers. */
static inline int64_t rill__ival(const rill_tensor *t, int64_t i) {
  return t->dtype == RILL_INT32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}
static inline bool rill__is_index_dtype(rill_dtype t) { return t == RILL_INT32 || t == RILL_INT64; }

/* ---- kernels ---- */

/* A strided element copy: for every index i over shape[0..rank), dst[doff + i.dstride] =
 * src[soff + i.sstride] (offsets and strides in elements; strides may be negative). Strings
 * are deep-copied. Dimensions are merged where both sides are contiguous, contiguous runs use
 * memcpy, and transposing patterns are copied in cache-sized tiles. Big copies run on the
 * intra-op pool when k is given. Returns false (after rill_k_fail when k is given) only when
 * out of memory copying strings. */
#define RILL__COPY_MAX_RANK (2 * RILL_MAX_RANK)
typedef struct rill__copy {
  int rank; /* up to RILL__COPY_MAX_RANK (Tile splits each dim in two) */
  int64_t shape[RILL__COPY_MAX_RANK];
  int64_t dstride[RILL__COPY_MAX_RANK];
  int64_t sstride[RILL__COPY_MAX_RANK];
  int64_t doff, soff;
} rill__copy;
bool rill__copy_run(rill_kctx *k, rill_tensor *dst, const rill_tensor *src, const rill__copy *c);
/* Row-major strides of a tensor shape. */
void rill__strides(rill_shape s, int64_t *strides);
/* Copies n consecutive elements. */
bool rill__copy_elems(rill_tensor *dst, int64_t doff, const rill_tensor *src, int64_t soff, int64_t n);
/* Fills t with value v converted to t's dtype (numbers and bool). */
void rill__fill_value(rill_tensor *t, double v);
/* Writes the multi-index of flat element i of shape s as "[a,b]" (TF's SliceDebugString). */
char *rill__index_str(rill_shape s, int64_t i, char *buf, size_t cap);

/* ---- builders ---- */

/* An int32 Const (int64 when a value does not fit) holding n values: a vector of n, or a
 * scalar when scalar is set. */
rill_output rill__const_index(rill_graph *g, const int64_t *v, int n, bool scalar, const char *name);
/* Ops taking run-time tensors for what the public builders take as C arrays. */
rill_output rill__slice_t(rill_graph *g, rill_output x, rill_output begin, rill_output size, const char *name);
rill_output rill__transpose_t(rill_graph *g, rill_output x, rill_output perm, const char *name);
rill_output rill__concat_t(rill_graph *g, const rill_output *xs, int n, rill_output axis, const char *name);
rill_output rill__pad_t(rill_graph *g, rill_output x, rill_output paddings, const char *name);
rill_output rill__fill_t(rill_graph *g, rill_output dims, rill_output value, const char *name);
rill_output rill__strided_slice_t(rill_graph *g, rill_output x, rill_output begin, rill_output end,
                                  rill_output strides, const rill_op *masks_from, const char *name);
rill_output rill__strided_slice_grad(rill_graph *g, rill_output shape, rill_output begin, rill_output end,
                                     rill_output strides, rill_output dy, const rill_op *masks_from,
                                     const char *name);
rill_output rill__unsorted_segment_sum(rill_graph *g, rill_output data, rill_output ids, rill_output num_segments,
                                       const char *name);
/* TF's ConcatOffset(axis, shapes): the offset of each shape in the concatenation; writes n. */
void rill__concat_offset(rill_graph *g, rill_output axis, const rill_output *shapes, int n, rill_output *out);
/* A gradient that is absent (RILL_NO_OUTPUT) made explicit as zeros shaped like output o. */
rill_output rill__grad_or_zeros(rill_graph *g, rill_output dy, rill_output o);

#endif
