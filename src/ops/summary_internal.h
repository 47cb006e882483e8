/* Shared by the summary op files: the op definitions registered in summary_ops.c and the
 * helpers their kernels use. Library-internal. */
#ifndef RILL_OPS_SUMMARY_INTERNAL_H
#define RILL_OPS_SUMMARY_INTERNAL_H

#include "core/internal.h"
#include "io/pb.h"

extern const rill_op_def rill__image_summary_def;
extern const rill_op_def rill__audio_summary_def;

/* Shape function of every summary op: one scalar string output. */
bool rill__summary_infer(rill_op *op);
/* Input i as a scalar string: its bytes, or NULL after failing the kernel with TF's message
 * `what` (e.g. "Tags must be a scalar"). */
const rill_string *rill__summary_scalar_string(rill_kctx *k, int i, const char *what);
/* Sets output 0 to the serialized Summary in b (which it frees); fails the kernel when b ran out
 * of memory. */
bool rill__summary_output(rill_kctx *k, rill__pb_buf *b);
/* Writes the Value tag "<base>/<kind>/<i>", or "<base>/<kind>" when max_outputs is 1: TF's
 * naming of the images and clips of one summary (kind "image" or "audio"). */
void rill__summary_put_indexed_tag(rill__pb_buf *b, const rill_string *base, const char *kind, int64_t max_outputs,
                                   int i);

#endif
