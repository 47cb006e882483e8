/* tf.summary builders: TF 1.x's summary_scope naming (the op is named like its scope, the tag
 * is the scope without its trailing '/'), the constants TF's generated wrappers create inside
 * that scope ("tags", "tag", "sample_rate", "serialized_summary_metadata"), and the
 * collections the op joins. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "rill/summary.h"

/* TF's clean_tag: every character outside [-/A-Za-z0-9_.] becomes '_' (bytes of multi-byte
 * UTF-8 characters are kept, since Python's \w matches letters of any script), then leading
 * '/' are dropped. Caller frees. */
static char *clean_tag(const char *name) {
  while (*name == '/') name++;
  char *s = rill__strdup(name);
  if (!s) return NULL;
  for (char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    bool ok = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '/' || c == '.';
    if (!ok) *p = '_';
  }
  /* Replacing leaves no new leading '/', so stripping first is the same as TF's order. */
  return s;
}

static rill_output string_const(rill_graph *g, const char *s, size_t len, const char *name) {
  rill_status *st = rill_status_new();
  const char *strs[1] = {s};
  rill_tensor *t = st ? rill_tensor_strings(rill_shape_scalar(), strs, &len, st) : NULL;
  if (!t) rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building a summary");
  rill_status_delete(st);
  rill_output o = t ? rill_constant(g, t, name) : RILL_NO_OUTPUT;
  rill_tensor_unref(t);
  return o;
}

static void collect(rill_graph *g, rill_output o, const char *const *collections, const char *dflt) {
  if (!rill_output_ok(o)) return;
  if (!collections) {
    if (dflt) rill_add_to_collection(g, dflt, o);
    return;
  }
  for (int i = 0; collections[i]; i++) rill_add_to_collection(g, collections[i], o);
}

/* An open summary scope: TF's summary_op_util.summary_scope. */
typedef struct summary_scope {
  char *op_name; /* "outer/name/" (exact, so the op gets the scope's name) */
  char *tag;     /* "outer/name", or "family/outer/family/name" with a family */
} summary_scope;

static void scope_pop(rill_graph *g, summary_scope *sc) {
  rill_name_scope_pop(g);
  free(sc->op_name);
  free(sc->tag);
}

static bool scope_push(rill_graph *g, const char *name, const char *family, summary_scope *sc) {
  sc->op_name = sc->tag = NULL;
  if (rill__graph_failed(g)) return false;
  if (!name) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "summary name is NULL");
    return false;
  }
  char *n = clean_tag(name), *f = family ? clean_tag(family) : NULL, *base = NULL;
  if (n && (!family || f)) base = f ? rill__strfmt("%s/%s", f, n) : rill__strdup(n);
  free(n);
  if (!base || !*base) {
    if (base) rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "summary name '%s' is empty once cleaned", name);
    else rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building a summary");
    free(base);
    free(f);
    return false;
  }
  rill_name_scope_push(g, base);
  free(base);
  const char *scope = rill_name_scope(g); /* "outer/name/", made unique like TF's */
  int sl = (int)strlen(scope) - 1;
  sc->op_name = rill__strdup(scope);
  if (sl > 0) sc->tag = f ? rill__strfmt("%s/%.*s", f, sl, scope) : rill__strfmt("%.*s", sl, scope);
  free(f);
  if (!sc->op_name || !sc->tag) {
    scope_pop(g, sc);
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building a summary");
    return false;
  }
  return true;
}

/* ScalarSummary / HistogramSummary: (tag constant, values) with attr T. */
static rill_output tag_values_summary(rill_graph *g, const char *type, const char *tag_arg, const char *name,
                                      rill_output values, const char *const *collections, const char *family) {
  summary_scope sc;
  if (!scope_push(g, name, family, &sc)) return RILL_NO_OUTPUT;
  rill_output tag = string_const(g, sc.tag, strlen(sc.tag), tag_arg);
  rill_op_builder *b = rill_op_builder_new(g, type, sc.op_name);
  rill_op_builder_add_input(b, tag);
  rill_op_builder_add_input(b, values);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(values));
  rill_output o = rill_op_output(rill_op_builder_finish(b), 0);
  scope_pop(g, &sc);
  collect(g, o, collections, RILL_SUMMARIES);
  return o;
}

rill_output rill_summary_scalar(rill_graph *g, const char *name, rill_output tensor, const char *const *collections,
                                const char *family) {
  return tag_values_summary(g, "ScalarSummary", "tags", name, tensor, collections, family);
}

rill_output rill_summary_histogram(rill_graph *g, const char *name, rill_output values,
                                   const char *const *collections, const char *family) {
  return tag_values_summary(g, "HistogramSummary", "tag", name, values, collections, family);
}

rill_output rill_summary_image(rill_graph *g, const char *name, rill_output tensor, int max_outputs,
                               const char *const *collections, const char *family) {
  summary_scope sc;
  if (!scope_push(g, name, family, &sc)) return RILL_NO_OUTPUT;
  rill_output tag = string_const(g, sc.tag, strlen(sc.tag), "tag");
  static const uint8_t red[4] = {255, 0, 0, 255};
  rill_tensor *bad = rill_tensor_from_data(RILL_UINT8, RILL_SHAPE(4), red, sizeof red, NULL);
  if (!bad) rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building a summary");
  rill_op_builder *b = rill_op_builder_new(g, "ImageSummary", sc.op_name);
  rill_op_builder_add_input(b, tag);
  rill_op_builder_add_input(b, tensor);
  rill_op_builder_attr_int(b, "max_images", max_outputs);
  if (bad) rill_op_builder_attr_tensor(b, "bad_color", bad);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(tensor));
  rill_output o = rill_op_output(rill_op_builder_finish(b), 0);
  rill_tensor_unref(bad);
  scope_pop(g, &sc);
  collect(g, o, collections, RILL_SUMMARIES);
  return o;
}

rill_output rill_summary_audio(rill_graph *g, const char *name, rill_output tensor, float sample_rate,
                               int max_outputs, const char *const *collections, const char *family) {
  summary_scope sc;
  if (!scope_push(g, name, family, &sc)) return RILL_NO_OUTPUT;
  rill_output rate = rill_scalar_float(g, sample_rate, "sample_rate");
  rill_output tag = string_const(g, sc.tag, strlen(sc.tag), "tag");
  rill_op_builder *b = rill_op_builder_new(g, "AudioSummaryV2", sc.op_name);
  rill_op_builder_add_input(b, tag);
  rill_op_builder_add_input(b, tensor);
  rill_op_builder_add_input(b, rate);
  rill_op_builder_attr_int(b, "max_outputs", max_outputs);
  rill_output o = rill_op_output(rill_op_builder_finish(b), 0);
  scope_pop(g, &sc);
  collect(g, o, collections, RILL_SUMMARIES);
  return o;
}

rill_output rill_summary_tensor(rill_graph *g, const char *name, rill_output tensor, const void *metadata,
                                size_t metadata_len, const char *const *collections, const char *family) {
  summary_scope sc;
  if (!scope_push(g, name, family, &sc)) return RILL_NO_OUTPUT;
  rill_output tag = string_const(g, sc.tag, strlen(sc.tag), "tag");
  rill_output meta = string_const(g, metadata ? metadata : "", metadata ? metadata_len : 0,
                                  "serialized_summary_metadata");
  rill_op_builder *b = rill_op_builder_new(g, "TensorSummaryV2", sc.op_name);
  rill_op_builder_add_input(b, tag);
  rill_op_builder_add_input(b, tensor);
  rill_op_builder_add_input(b, meta);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(tensor));
  rill_output o = rill_op_output(rill_op_builder_finish(b), 0);
  scope_pop(g, &sc);
  collect(g, o, collections, RILL_SUMMARIES);
  return o;
}

rill_output rill_summary_text(rill_graph *g, const char *name, rill_output tensor, const char *const *collections) {
  if (rill__graph_failed(g) || !rill__check_input(g, tensor, "text summary")) return RILL_NO_OUTPUT;
  if (rill_output_dtype(tensor) != RILL_STRING) {
    char buf[256];
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "Expected tensor %s to have dtype string, got %s",
                         rill_output_name(tensor, buf, sizeof buf), rill_dtype_name(rill_output_dtype(tensor)));
    return RILL_NO_OUTPUT;
  }
  /* SummaryMetadata {plugin_data {plugin_name: "text"}} */
  static const char text_metadata[] = {0x0a, 0x06, 0x0a, 0x04, 't', 'e', 'x', 't'};
  return rill_summary_tensor(g, name, tensor, text_metadata, sizeof text_metadata, collections, NULL);
}

rill_output rill_summary_merge(rill_graph *g, const rill_output *inputs, int n, const char *const *collections,
                               const char *name) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  if (n < 1 || !inputs) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "merge: needs at least one summary input, got %d", n);
    return RILL_NO_OUTPUT;
  }
  char *clean = name ? clean_tag(name) : NULL;
  if (name && !clean) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory building a summary");
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, clean ? clean : "Merge");
  rill_op_builder *b = rill_op_builder_new(g, "MergeSummary", clean ? clean : "MergeSummary");
  rill_op_builder_add_inputs(b, inputs, n);
  rill_op_builder_attr_int(b, "N", n);
  rill_output o = rill_op_output(rill_op_builder_finish(b), 0);
  rill_name_scope_pop(g);
  free(clean);
  collect(g, o, collections, NULL);
  return o;
}

rill_output rill_summary_merge_all(rill_graph *g, const char *key, const char *name) {
  if (rill__graph_failed(g)) return RILL_NO_OUTPUT;
  if (!key) key = RILL_SUMMARIES;
  int size = rill_collection_size(g, key), n = 0;
  rill_output *ins = malloc(sizeof *ins * (size_t)(size > 0 ? size : 1));
  if (!ins) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory in merge_all");
    return RILL_NO_OUTPUT;
  }
  for (int i = 0; i < size; i++)
    if (rill_collection_kind(g, key, i) == RILL_ITEM_OUTPUT) ins[n++] = rill_collection_output(g, key, i);
  rill_output o = n ? rill_summary_merge(g, ins, n, NULL, name) : RILL_NO_OUTPUT;
  free(ins);
  return o;
}
