/* TensorProto and TensorShapeProto encoders (tensorflow/core/framework/tensor.proto,
 * tensor_shape.proto), shared by GraphDef export, summaries and checkpoints. */
#ifndef RILL_IO_TENSOR_PROTO_H
#define RILL_IO_TENSOR_PROTO_H

#include "io/pb.h"
#include "rill/tensor.h"

/* Where a tensor's values go in a TensorProto; the three ways TF itself writes them. */
typedef enum rill__tp_layout {
  /* Python's make_tensor_proto (Const values in a GraphDef): numbers with more than one element
   * as raw tensor_content, single values in the typed *_val field; bool and string always in
   * bool_val / string_val. */
  RILL_TP_MAKE_TENSOR_PROTO,
  /* C++ Tensor::AsProtoField: every value in the typed *_val field. */
  RILL_TP_FIELD,
  /* C++ Tensor::AsProtoTensorContent: numbers as tensor_content (strings still use string_val,
   * as TF's summary kernels do). */
  RILL_TP_CONTENT
} rill__tp_layout;

/* Writes shape as a TensorShapeProto message in field `field`: one Dim {size} per dimension
 * (size -1 for unknown), unknown_rank for rank -1. A scalar is an empty message. */
void rill__pb_write_shape_proto(rill__pb_buf *b, uint32_t field, rill_shape shape);
/* The body of a TensorShapeProto (no tag), for repeated shape lists. */
void rill__pb_put_shape_body(rill__pb_buf *b, rill_shape shape);
/* Writes t as a TensorProto message in field `field`: dtype, tensor_shape (always present, as
 * TF writes it), values laid out as `layout` says. Host byte order is little-endian on every
 * platform Rill builds for, so tensor_content is the raw buffer. */
void rill__pb_write_tensor_proto(rill__pb_buf *b, uint32_t field, const rill_tensor *t, rill__tp_layout layout);

#endif
