/* Summary ops (TF's logging_ops): ScalarSummary, HistogramSummary, TensorSummaryV2 and
 * MergeSummary here; ImageSummary and AudioSummaryV2 in summary_media.c. Each outputs a scalar
 * string holding a serialized Summary, byte for byte what TF's kernels produce. None is
 * differentiable (TF registers them NotDifferentiable). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/math_internal.h"
#include "io/tensor_proto.h"
#include "ops/summary_internal.h"
#include "summary/summary_internal.h"

bool rill__summary_infer(rill_op *op) {
  rill_op_set_output(op, RILL_STRING, rill_shape_scalar());
  return true;
}

static bool check_string_input(rill_op *op, int i, const char *arg) {
  rill_dtype t = rill_op_input_dtype(op, i);
  if (t == RILL_STRING) return true;
  rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT,
                       "Input '%s' of '%s' Op has type %s that does not match expected type of string.", arg,
                       op->def->type, rill_dtype_name(t));
  return false;
}

const rill_string *rill__summary_scalar_string(rill_kctx *k, int i, const char *what) {
  rill_tensor *t = rill_k_in(k, i);
  if (t->dtype != RILL_STRING || t->shape.rank != 0) {
    rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s", what);
    return NULL;
  }
  return rill_tensor_string(t);
}

bool rill__summary_output(rill_kctx *k, rill__pb_buf *b) {
  if (!rill__pb_buf_ok(b)) {
    rill__pb_buf_free(b);
    return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory encoding a summary");
  }
  rill_tensor *out = rill_k_alloc(k, 0, RILL_STRING, rill_shape_scalar());
  bool ok = out && rill_tensor_set_string(out, 0, (const char *)b->data, b->len);
  rill__pb_buf_free(b);
  if (out && !ok) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory encoding a summary");
  return out != NULL;
}

void rill__summary_put_indexed_tag(rill__pb_buf *b, const rill_string *base, const char *kind, int64_t max_outputs,
                                   int i) {
  char suffix[64];
  if (max_outputs > 1) snprintf(suffix, sizeof suffix, "/%s/%d", kind, i);
  else snprintf(suffix, sizeof suffix, "/%s", kind);
  size_t sl = strlen(suffix);
  rill__pb_write_len_prefix(b, RILL_VALUE_TAG, base->len + sl);
  rill__pb_put_raw(b, base->data, base->len);
  rill__pb_put_raw(b, suffix, sl);
}

/* ---- ScalarSummary ---- */

/* Inputs (tag or tags, values of a real number type). */
static bool tags_values_infer(rill_op *op, const char *tag_arg) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (!check_string_input(op, 0, tag_arg)) return false;
  if (!rill__check_dtype(op, rill_op_input_dtype(op, 1), RILL__REAL, "T")) return false;
  return rill__summary_infer(op);
}

static bool scalar_summary_infer(rill_op *op) { return tags_values_infer(op, "tags"); }

static double value_at(const rill_tensor *t, int64_t i) {
  switch (t->dtype) {
    case RILL_FLOAT: return ((const float *)t->data)[i];
    case RILL_DOUBLE: return ((const double *)t->data)[i];
    case RILL_INT32: return ((const int32_t *)t->data)[i];
    case RILL_INT64: return (double)((const int64_t *)t->data)[i];
    case RILL_UINT8: return ((const uint8_t *)t->data)[i];
    default: return rill_tensor_get(t, i);
  }
}

/* float(v) for the simple_value: int64 converts straight to float, as C++ does. */
static float value_as_float(const rill_tensor *t, int64_t i) {
  if (t->dtype == RILL_INT64) return (float)((const int64_t *)t->data)[i];
  if (t->dtype == RILL_FLOAT) return ((const float *)t->data)[i];
  return (float)value_at(t, i);
}

static bool scalar_summary_kernel(rill_kctx *k) {
  rill_tensor *tags = rill_k_in(k, 0), *values = rill_k_in(k, 1);
  bool same = rill_shape_equal(tags->shape, values->shape);
  if (!same) {
    char a[160], b[160], single[512] = "";
    if (tags->n == 1) {
      const rill_string *s = rill_tensor_string(tags);
      snprintf(single, sizeof single, " (tag '%.*s')", (int)(s->len > 400 ? 400 : s->len), s->data);
    }
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "tags and values not the same shape: %s != %s%s",
                       rill_shape_dbg(tags->shape, a, sizeof a), rill_shape_dbg(values->shape, b, sizeof b), single);
  }
  const rill_string *t = rill_tensor_string(tags);
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  for (int64_t i = 0; i < tags->n; i++) {
    size_t m = rill__pb_begin(&b, RILL_SUMMARY_VALUE);
    rill__pb_write_bytes(&b, RILL_VALUE_TAG, t[i].data, t[i].len);
    rill__pb_write_float(&b, RILL_VALUE_SIMPLE, value_as_float(values, i));
    rill__pb_end(&b, m);
  }
  return rill__summary_output(k, &b);
}

/* ---- HistogramSummary ---- */

static bool histogram_summary_infer(rill_op *op) { return tags_values_infer(op, "tag"); }

static bool histogram_summary_kernel(rill_kctx *k) {
  const rill_string *tag = rill__summary_scalar_string(k, 0, "tags must be scalar");
  if (!tag) return false;
  rill_tensor *values = rill_k_in(k, 1);
  rill__histogram h;
  if (!rill__histogram_init(&h)) return rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory for a histogram");
  int64_t n = values->n, done;
  if (values->dtype == RILL_FLOAT) {
    done = rill__histogram_add_f32(&h, values->data, n);
  } else if (values->dtype == RILL_DOUBLE) {
    done = rill__histogram_add_f64(&h, values->data, n);
  } else { /* integers are always finite */
    for (done = 0; done < n; done++) rill__histogram_add(&h, value_at(values, done));
  }
  if (done < n) {
    double v = value_at(values, done);
    rill__histogram_free(&h);
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "%s in summary histogram for: %s", isnan(v) ? "Nan" : "Infinity",
                       rill_op_name(rill_k_op(k)));
  }
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  size_t m = rill__pb_begin(&b, RILL_SUMMARY_VALUE);
  rill__pb_write_bytes(&b, RILL_VALUE_TAG, tag->data, tag->len);
  rill__histogram_encode(&h, &b, RILL_VALUE_HISTO);
  rill__pb_end(&b, m);
  rill__histogram_free(&h);
  return rill__summary_output(k, &b);
}

/* ---- TensorSummaryV2 ---- */

static bool tensor_summary_infer(rill_op *op) {
  if (op->n_inputs != 3) return rill_op_shape_error(op, "Expected 3 inputs but got %d", op->n_inputs);
  if (!check_string_input(op, 0, "tag") || !check_string_input(op, 2, "serialized_summary_metadata")) return false;
  return rill__summary_infer(op);
}

static bool tensor_summary_kernel(rill_kctx *k) {
  const rill_string *tag = rill__summary_scalar_string(k, 0, "tag must be a scalar");
  const rill_string *meta =
      tag ? rill__summary_scalar_string(k, 2, "serialized_summary_metadata must be a scalar") : NULL;
  if (!meta) return false;
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  size_t m = rill__pb_begin(&b, RILL_SUMMARY_VALUE);
  rill__pb_write_bytes(&b, RILL_VALUE_TAG, tag->data, tag->len);
  rill__pb_write_tensor_proto(&b, RILL_VALUE_TENSOR, rill_k_in(k, 1), RILL_TP_CONTENT);
  rill__pb_write_bytes(&b, RILL_VALUE_METADATA, meta->data, meta->len);
  rill__pb_end(&b, m);
  return rill__summary_output(k, &b);
}

/* ---- MergeSummary ---- */

static bool merge_infer(rill_op *op) {
  for (int i = 0; i < op->n_inputs; i++)
    if (!check_string_input(op, i, "inputs")) return false;
  return rill__summary_infer(op);
}

/* Tags seen so far: open addressing over (pointer, length) views into the inputs. */
typedef struct tag_set {
  const uint8_t **p;
  size_t *len;
  size_t cap, n;
} tag_set;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* 1 when added, 0 when present, -1 when out of memory. */
static int tag_set_add(tag_set *s, const uint8_t *p, size_t len) {
  if (2 * (s->n + 1) > s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    tag_set t = {calloc(cap, sizeof *t.p), calloc(cap, sizeof *t.len), cap, 0};
    if (!t.p || !t.len) {
      free(t.p);
      free(t.len);
      return -1;
    }
    for (size_t i = 0; i < s->cap; i++)
      if (s->p[i]) tag_set_add(&t, s->p[i], s->len[i]);
    free(s->p);
    free(s->len);
    *s = t;
  }
  size_t i = (size_t)hash_bytes(p, len) & (s->cap - 1);
  for (; s->p[i]; i = (i + 1) & (s->cap - 1))
    if (s->len[i] == len && !memcmp(s->p[i], p, len)) return 0;
  s->p[i] = p;
  s->len[i] = len;
  s->n++;
  return 1;
}

typedef struct merge_ctx {
  rill__pb_buf *out;
  tag_set seen;
  const uint8_t *dup;
  size_t dup_len;
  bool oom;
} merge_ctx;

static bool merge_value(const uint8_t *value, size_t len, const uint8_t *tag, size_t tag_len, void *arg) {
  merge_ctx *c = arg;
  if (tag_len) { /* an empty tag is never a duplicate (TF: "unused by the Value with metadata") */
    int r = tag_set_add(&c->seen, tag, tag_len);
    if (r < 0) {
      c->oom = true;
      return false;
    }
    if (r == 0) {
      c->dup = tag;
      c->dup_len = tag_len;
      return false;
    }
  }
  rill__pb_write_bytes(c->out, RILL_SUMMARY_VALUE, value, len);
  return true;
}

static bool merge_kernel(rill_kctx *k) {
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  merge_ctx c = {.out = &b};
  bool ok = true;
  rill_status *st = rill_status_new();
  for (int i = 0; ok && i < rill_k_num_inputs(k); i++) {
    rill_tensor *in = rill_k_in(k, i);
    const rill_string *s = rill_tensor_string(in);
    for (int64_t j = 0; ok && j < in->n; j++) {
      int rc = rill__summary_for_each_value((const uint8_t *)s[j].data, s[j].len, merge_value, &c, st);
      if (rc < 0) ok = rill_k_fail(k, RILL_INVALID_ARGUMENT, "Could not parse one of the summary inputs");
      else if (c.oom) ok = rill_k_fail(k, RILL_RESOURCE_EXHAUSTED, "out of memory merging summaries");
      else if (c.dup)
        ok = rill_k_fail(k, RILL_INVALID_ARGUMENT, "Duplicate tag %.*s found in summary inputs ",
                         (int)(c.dup_len > 500 ? 500 : c.dup_len), (const char *)c.dup);
    }
  }
  rill_status_delete(st);
  free(c.seen.p);
  free(c.seen.len);
  if (!ok) {
    rill__pb_buf_free(&b);
    return false;
  }
  return rill__summary_output(k, &b);
}

static const rill_op_def scalar_summary_def = {.type = "ScalarSummary", .infer = scalar_summary_infer,
                                               .kernel = scalar_summary_kernel,
                                               .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def histogram_summary_def = {.type = "HistogramSummary", .infer = histogram_summary_infer,
                                                  .kernel = histogram_summary_kernel,
                                                  .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def tensor_summary_def = {.type = "TensorSummaryV2", .infer = tensor_summary_infer,
                                               .kernel = tensor_summary_kernel,
                                               .flags = RILL_OP_NOT_DIFFERENTIABLE};
static const rill_op_def merge_summary_def = {.type = "MergeSummary", .infer = merge_infer, .kernel = merge_kernel,
                                              .flags = RILL_OP_NOT_DIFFERENTIABLE};

void rill_register_summary_ops(void) {
  rill_register_op(&scalar_summary_def);
  rill_register_op(&histogram_summary_def);
  rill_register_op(&rill__image_summary_def);
  rill_register_op(&rill__audio_summary_def);
  rill_register_op(&tensor_summary_def);
  rill_register_op(&merge_summary_def);
}
