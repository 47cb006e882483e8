/* Helpers shared by the summary tests: running a summary op, walking Summary and Event protos,
 * decoding PNGs. */
#ifndef RILL_TEST_SUMMARY_UTIL_H
#define RILL_TEST_SUMMARY_UTIL_H

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include "io/pb.h"
#include "rill/rill.h"

/* Runs `out` (a summary op) and returns its serialized Summary (malloc'd copy, *len set), or
 * NULL with the run's status in st. */
static inline uint8_t *run_summary(rill_session *s, rill_output out, size_t *len, rill_status *st) {
  rill_tensor *t = rill_session_eval(s, out, st);
  if (!t) return NULL;
  const rill_string *str = rill_tensor_string(t);
  uint8_t *copy = malloc(str->len + 1);
  memcpy(copy, str->data, str->len);
  *len = str->len;
  rill_tensor_unref(t);
  return copy;
}

/* One Summary.Value, as views into the serialized bytes. */
typedef struct sum_value {
  const uint8_t *tag;
  size_t tag_len;
  bool has_simple;
  float simple;
  const uint8_t *image, *audio, *histo, *tensor, *metadata;
  size_t image_len, audio_len, histo_len, tensor_len, metadata_len;
  bool has_metadata;
} sum_value;

/* Parses up to max values; returns their count, or -1 when malformed. */
static inline int parse_summary(const uint8_t *data, size_t len, sum_value *vals, int max) {
  rill__pb_reader r;
  rill__pb_reader_init(&r, data, len);
  rill__pb_field f;
  int n = 0, rc;
  while ((rc = rill__pb_next(&r, &f, NULL)) > 0) {
    if (f.number != 1 || f.wire != RILL_PB_LEN || n >= max) continue;
    sum_value *v = &vals[n++];
    memset(v, 0, sizeof *v);
    rill__pb_reader vr;
    rill__pb_reader_sub(&vr, &r, &f);
    rill__pb_field vf;
    while ((rc = rill__pb_next(&vr, &vf, NULL)) > 0) {
      switch (vf.number) {
        case 1: v->tag = vf.data; v->tag_len = vf.len; break;
        case 2: v->has_simple = true; v->simple = rill__pb_as_float(&vf); break;
        case 4: v->image = vf.data; v->image_len = vf.len; break;
        case 5: v->histo = vf.data; v->histo_len = vf.len; break;
        case 6: v->audio = vf.data; v->audio_len = vf.len; break;
        case 8: v->tensor = vf.data; v->tensor_len = vf.len; break;
        case 9: v->has_metadata = true; v->metadata = vf.data; v->metadata_len = vf.len; break;
        default: break;
      }
    }
    if (rc < 0) return -1;
  }
  return rc < 0 ? -1 : n;
}

static inline bool tag_is(const sum_value *v, const char *tag) {
  return v->tag_len == strlen(tag) && !memcmp(v->tag, tag, v->tag_len);
}

/* Summary.Image fields. */
typedef struct sum_image {
  int64_t height, width, colorspace;
  const uint8_t *png;
  size_t png_len;
} sum_image;

static inline void parse_image(const uint8_t *data, size_t len, sum_image *im) {
  memset(im, 0, sizeof *im);
  rill__pb_reader r;
  rill__pb_reader_init(&r, data, len);
  rill__pb_field f;
  while (rill__pb_next(&r, &f, NULL) > 0) {
    if (f.number == 1) im->height = rill__pb_as_int64(&f);
    else if (f.number == 2) im->width = rill__pb_as_int64(&f);
    else if (f.number == 3) im->colorspace = rill__pb_as_int64(&f);
    else if (f.number == 4) {
      im->png = f.data;
      im->png_len = f.len;
    }
  }
}

/* Decodes a PNG into 8-bit samples with its own channel count; malloc'd, NULL on error. */
static inline uint8_t *decode_png(const uint8_t *png, size_t len, int *w, int *h, int *channels) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, png, len)) return NULL;
  int ch = PNG_IMAGE_SAMPLE_CHANNELS(img.format);
  img.format = ch == 1 ? PNG_FORMAT_GRAY : ch == 2 ? PNG_FORMAT_GA : ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
  if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
    free(buf);
    png_image_free(&img);
    return NULL;
  }
  *w = (int)img.width;
  *h = (int)img.height;
  *channels = ch;
  return buf;
}

/* Prints the first difference of two byte strings (for failing assertions). */
static inline bool bytes_equal(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, const char *what) {
  if (na == nb && !memcmp(a, b, na)) return true;
  size_t i = 0;
  while (i < na && i < nb && a[i] == b[i]) i++;
  print_message("%s: lengths %zu vs %zu, first difference at byte %zu\n", what, na, nb, i);
  return false;
}

#endif
