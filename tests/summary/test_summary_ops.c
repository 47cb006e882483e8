/* Summary ops against real TensorFlow: the serialized Summary bytes of ScalarSummary,
 * HistogramSummary, AudioSummaryV2 and TensorSummaryV2 equal TF's byte for byte, and the
 * pixels of ImageSummary's PNGs equal TF's (fixtures from make_summary_fixtures.py). Also the
 * names and tags under name scopes and families, collections, merge, and TF's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include <float.h>
#include "summary/summary_internal.h"
#include "summary_test_util.h"
#include "summary_tf.h"

typedef struct fixture {
  rill_graph *g;
  rill_session *s;
  rill_status *st;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->g = rill_graph_new();
  f->st = rill_status_new();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  rill_session_delete(f->s);
  rill_graph_delete(f->g);
  rill_status_delete(f->st);
  free(f);
  return 0;
}

static rill_session *session(fixture *f) {
  if (rill_graph_code(f->g) != RILL_OK) fail_msg("build error: %s", rill_status_message(rill_graph_status(f->g)));
  if (!f->s) f->s = rill_session_new(f->g, NULL, f->st);
  assert_non_null(f->s);
  return f->s;
}

/* Runs a summary op and compares its bytes with TF's. */
static void expect_tf_bytes(fixture *f, rill_output o, const uint8_t *want, size_t want_len, const char *what) {
  size_t len = 0;
  uint8_t *got = run_summary(session(f), o, &len, f->st);
  if (!got) fail_msg("%s: %s", what, rill_status_message(f->st));
  bool eq = bytes_equal(got, len, want, want_len, what);
  free(got);
  assert_true(eq);
}

static void expect_run_error(fixture *f, rill_output o, rill_code code, const char *msg_part) {
  rill_tensor *t = rill_session_eval(session(f), o, f->st);
  assert_null(t);
  assert_int_equal(rill_status_code(f->st), code);
  if (!strstr(rill_status_message(f->st), msg_part))
    fail_msg("message '%s' lacks '%s'", rill_status_message(f->st), msg_part);
  rill_status_clear(f->st);
}

static rill_output strings(rill_graph *g, rill_shape shape, const char *const *s) {
  rill_tensor *t = rill_tensor_strings(shape, s, NULL, NULL);
  rill_output o = rill_constant(g, t, NULL);
  rill_tensor_unref(t);
  return o;
}

static void test_scalar_names_and_bytes(void **state) {
  fixture *f = *state;
  rill_name_scope_push(f->g, "outer");
  rill_output s = rill_summary_scalar(f->g, "cross entropy", rill_scalar_float(f->g, 0.0f, NULL), NULL, NULL);
  rill_output s2 = rill_summary_scalar(f->g, "cross entropy", rill_scalar_float(f->g, 1.0f, NULL), NULL, NULL);
  rill_output i64 = rill_summary_scalar(f->g, "steps", rill_scalar_int64(f->g, 123456789012LL, NULL), NULL, NULL);
  rill_name_scope_pop(f->g);
  rill_output fam = rill_summary_scalar(f->g, "a", rill_scalar_float(f->g, 2.5f, NULL), NULL, "fam");
  rill_output fam2 = rill_summary_scalar(f->g, "a", rill_scalar_float(f->g, -1.0f, NULL), NULL, "fam");
  session(f);
  /* TF: the op is named like its scope; the tag constant sits inside it. */
  assert_string_equal(rill_op_name(s.op), "outer/cross_entropy");
  assert_string_equal(rill_op_type(s.op), "ScalarSummary");
  assert_string_equal(rill_op_name(rill_op_input(s.op, 0).op), "outer/cross_entropy/tags");
  assert_string_equal(rill_op_name(s2.op), "outer/cross_entropy_1");
  assert_string_equal(rill_op_name(fam.op), "fam/a");
  assert_string_equal(rill_op_name(fam2.op), "fam/a_1");
  assert_int_equal(rill_op_attr_type(s.op, "T", RILL_DT_INVALID), RILL_FLOAT);
  assert_int_equal(rill_output_dtype(s), RILL_STRING);
  assert_int_equal(rill_output_shape(s).rank, 0);
  expect_tf_bytes(f, s, tf_scalar, sizeof tf_scalar, "scalar");
  expect_tf_bytes(f, i64, tf_scalar_i64, sizeof tf_scalar_i64, "int64 scalar");
  expect_tf_bytes(f, fam, tf_family, sizeof tf_family, "family");
  expect_tf_bytes(f, fam2, tf_family2, sizeof tf_family2, "family _1");
  /* All five joined the summaries collection, in order. */
  assert_int_equal(rill_collection_size(f->g, RILL_SUMMARIES), 5);
  assert_ptr_equal(rill_collection_output(f->g, RILL_SUMMARIES, 0).op, s.op);
  assert_ptr_equal(rill_collection_output(f->g, RILL_SUMMARIES, 4).op, fam2.op);
}

static void test_scalar_shape_error(void **state) {
  fixture *f = *state;
  float v[2] = {1, 2};
  rill_output s = rill_summary_scalar(f->g, "loss", rill_const_float(f->g, v, 2, RILL_SHAPE(2), NULL), NULL, NULL);
  expect_run_error(f, s, RILL_INVALID_ARGUMENT, "tags and values not the same shape: [] != [2] (tag 'loss')");
  /* A string value is not a real number: a build error. */
  rill_summary_scalar(f->g, "bad", strings(f->g, RILL_SHAPE(), (const char *[]){"x"}), NULL, NULL);
  assert_int_equal(rill_graph_code(f->g), RILL_INVALID_ARGUMENT);
}

static void test_histogram_bytes(void **state) {
  fixture *f = *state;
  float small[6] = {0.0f, 1.0f, -2.5f, 1e-13f, 3.3f, 3.3f};
  rill_name_scope_push(f->g, "outer");
  rill_output h = rill_summary_histogram(f->g, "h", rill_const_float(f->g, small, 6, RILL_SHAPE(6), NULL), NULL, NULL);
  rill_output big = rill_summary_histogram(
      f->g, "big", rill_const_double(f->g, in_hist_big, IN_HIST_BIG_N, RILL_SHAPE(IN_HIST_BIG_N), NULL), NULL, NULL);
  rill_output empty = rill_summary_histogram(f->g, "empty", rill_const_float(f->g, NULL, 0, RILL_SHAPE(0), NULL),
                                             NULL, NULL);
  rill_name_scope_pop(f->g);
  session(f);
  assert_string_equal(rill_op_type(h.op), "HistogramSummary");
  assert_string_equal(rill_op_name(rill_op_input(h.op, 0).op), "outer/h/tag");
  expect_tf_bytes(f, h, tf_hist_small, sizeof tf_hist_small, "histogram");
  expect_tf_bytes(f, big, tf_hist_big, sizeof tf_hist_big, "histogram of 211 doubles");
  expect_tf_bytes(f, empty, tf_hist_empty, sizeof tf_hist_empty, "empty histogram");
}

/* The fast bucket lookup agrees with TF's upper_bound everywhere: at every limit and its
 * neighbours, and at values spread over the whole double range. */
static void test_histogram_buckets(void **state) {
  (void)state;
  size_t n;
  const double *lim = rill__histogram_limits(&n);
  assert_int_equal(n, 2 * 775 + 1);
  assert_true(lim[0] == -DBL_MAX && lim[n - 1] == DBL_MAX && lim[n / 2] == 0.0 && lim[n / 2 + 1] == 1e-12);
  for (size_t i = 0; i < n; i++) {
    double probes[3] = {lim[i], nextafter(lim[i], -INFINITY), nextafter(lim[i], INFINITY)};
    for (int k = 0; k < 3; k++)
      if (isfinite(probes[k]))
        assert_int_equal(rill__histogram_bucket(probes[k]), rill__histogram_bucket_reference(probes[k]));
  }
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double v;
    memcpy(&v, &x, sizeof v);
    if (!isfinite(v)) continue;
    assert_int_equal(rill__histogram_bucket(v), rill__histogram_bucket_reference(v));
  }
  assert_int_equal(rill__histogram_bucket(-0.0), n / 2 + 1);
}

static void test_histogram_nonfinite(void **state) {
  fixture *f = *state;
  float nan_v[3] = {1.0f, NAN, 2.0f}, inf_v[2] = {-INFINITY, 0};
  rill_output a = rill_summary_histogram(f->g, "n", rill_const_float(f->g, nan_v, 3, RILL_SHAPE(3), NULL), NULL, NULL);
  rill_output b = rill_summary_histogram(f->g, "i", rill_const_float(f->g, inf_v, 2, RILL_SHAPE(2), NULL), NULL, NULL);
  expect_run_error(f, a, RILL_INVALID_ARGUMENT, "Nan in summary histogram for: n");
  expect_run_error(f, b, RILL_INVALID_ARGUMENT, "Infinity in summary histogram for: i");
}

static void test_text_bytes(void **state) {
  fixture *f = *state;
  rill_name_scope_push(f->g, "outer");
  rill_output t = rill_summary_text(f->g, "txt", strings(f->g, RILL_SHAPE(), (const char *[]){"hello"}), NULL);
  rill_output table =
      rill_summary_text(f->g, "table", strings(f->g, RILL_SHAPE(2, 2), (const char *[]){"a", "b", "**c**", ""}), NULL);
  rill_name_scope_pop(f->g);
  session(f);
  assert_string_equal(rill_op_type(t.op), "TensorSummaryV2");
  assert_string_equal(rill_op_name(rill_op_input(t.op, 2).op), "outer/txt/serialized_summary_metadata");
  expect_tf_bytes(f, t, tf_text, sizeof tf_text, "text");
  expect_tf_bytes(f, table, tf_text_table, sizeof tf_text_table, "text table");
  rill_summary_text(f->g, "num", rill_scalar_float(f->g, 1, NULL), NULL);
  assert_int_equal(rill_graph_code(f->g), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(rill_graph_status(f->g)), "to have dtype string, got float32"));
}

static void test_audio_bytes(void **state) {
  fixture *f = *state;
  rill_output clips = rill_const_float(f->g, in_audio, 200, RILL_SHAPE(2, 50, 2), NULL);
  rill_output a = rill_summary_audio(f->g, "snd", clips, 8000.0f, 3, NULL, NULL);
  /* The mono clips: channel 0 of each. */
  float mono[100];
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < 50; i++) mono[b * 50 + i] = in_audio[(b * 50 + i) * 2];
  rill_output one = rill_summary_audio(f->g, "one", rill_const_float(f->g, mono, 100, RILL_SHAPE(2, 50), NULL),
                                       22050.4f, 1, NULL, NULL);
  session(f);
  assert_string_equal(rill_op_type(a.op), "AudioSummaryV2");
  assert_string_equal(rill_op_name(rill_op_input(a.op, 2).op), "snd/sample_rate");
  assert_int_equal(rill_op_attr_int(a.op, "max_outputs", 0), 3);
  expect_tf_bytes(f, a, tf_audio, sizeof tf_audio, "stereo audio");
  expect_tf_bytes(f, one, tf_audio_one, sizeof tf_audio_one, "mono audio, max_outputs 1");
}

static void test_audio_errors(void **state) {
  fixture *f = *state;
  float v[4] = {0};
  rill_output bad_rank = rill_summary_audio(f->g, "r", rill_const_float(f->g, v, 4, RILL_SHAPE(4), NULL), 8000, 3,
                                            NULL, NULL);
  rill_output bad_rate = rill_summary_audio(f->g, "z", rill_const_float(f->g, v, 4, RILL_SHAPE(1, 4), NULL), 0, 3,
                                            NULL, NULL);
  expect_run_error(f, bad_rank, RILL_INVALID_ARGUMENT, "Tensor must be 3-D or 2-D, got: [4]");
  expect_run_error(f, bad_rate, RILL_INVALID_ARGUMENT, "sample_rate must be > 0");
}

/* Each image value: TF's tag, size, colorspace and decoded pixels. */
static void expect_tf_images(fixture *f, rill_output o, const char *const *tags, int n, const uint8_t *const *px,
                             const int64_t *dims) {
  size_t len = 0;
  uint8_t *got = run_summary(session(f), o, &len, f->st);
  if (!got) fail_msg("%s", rill_status_message(f->st));
  sum_value vals[8];
  assert_int_equal(parse_summary(got, len, vals, 8), n);
  for (int i = 0; i < n; i++) {
    if (!tag_is(&vals[i], tags[i])) fail_msg("value %d: tag %.*s, want %s", i, (int)vals[i].tag_len, vals[i].tag, tags[i]);
    sum_image im;
    parse_image(vals[i].image, vals[i].image_len, &im);
    assert_int_equal(im.height, dims[1]);
    assert_int_equal(im.width, dims[2]);
    assert_int_equal(im.colorspace, dims[3]);
    int w = 0, h = 0, c = 0;
    uint8_t *pix = decode_png(im.png, im.png_len, &w, &h, &c);
    assert_non_null(pix);
    assert_int_equal(w, dims[2]);
    assert_int_equal(h, dims[1]);
    assert_int_equal(c, dims[3]);
    size_t np = (size_t)(w * h * c);
    for (size_t k = 0; k < np; k++)
      if (pix[k] != px[i][k]) fail_msg("%s: sample %zu is %d, TF has %d", tags[i], k, pix[k], px[i][k]);
    free(pix);
  }
  free(got);
}

static void test_images_match_tf(void **state) {
  fixture *f = *state;
  rill_output gray = rill_summary_image(
      f->g, "gray", rill_const_float(f->g, in_img_gray, 8, RILL_SHAPE(2, 2, 2, 1), NULL), 3, NULL, NULL);
  rill_output rgb = rill_summary_image(
      f->g, "rgb", rill_const_float(f->g, in_img_rgb, 72, RILL_SHAPE(2, 3, 4, 3), NULL), 1, NULL, NULL);
  rill_output rgba = rill_summary_image(
      f->g, "rgba", rill_const_double(f->g, in_img_rgba, 24, RILL_SHAPE(1, 2, 3, 4), NULL), 3, NULL, NULL);
  rill_tensor *u8t = rill_tensor_from_data(RILL_UINT8, RILL_SHAPE(3, 2, 2, 3), in_img_u8, sizeof in_img_u8, NULL);
  rill_output u8 = rill_summary_image(f->g, "u8", rill_constant(f->g, u8t, NULL), 2, NULL, NULL);
  rill_tensor_unref(u8t);
  session(f);
  assert_string_equal(rill_op_type(gray.op), "ImageSummary");
  assert_int_equal(rill_op_attr_int(gray.op, "max_images", 0), 3);
  const rill_tensor *bad = rill_op_attr_tensor(gray.op, "bad_color");
  assert_non_null(bad);
  assert_int_equal(rill_tensor_num_elements(bad), 4);
  assert_int_equal(rill_tensor_uint8(bad)[0], 255);
  expect_tf_images(f, gray, tf_img_gray_tags, TF_IMG_GRAY_N, (const uint8_t *const[]){tf_img_gray_px0, tf_img_gray_px1},
                   (const int64_t[]){2, 2, 2, 1});
  expect_tf_images(f, rgb, tf_img_rgb_tags, TF_IMG_RGB_N, (const uint8_t *const[]){tf_img_rgb_px0},
                   (const int64_t[]){2, 3, 4, 3});
  expect_tf_images(f, rgba, tf_img_rgba_tags, TF_IMG_RGBA_N, (const uint8_t *const[]){tf_img_rgba_px0},
                   (const int64_t[]){1, 2, 3, 4});
  expect_tf_images(f, u8, tf_img_u8_tags, TF_IMG_U8_N, (const uint8_t *const[]){tf_img_u8_px0, tf_img_u8_px1},
                   (const int64_t[]){3, 2, 2, 3});
}

static void test_image_errors(void **state) {
  fixture *f = *state;
  float v[8] = {0};
  rill_output two = rill_summary_image(f->g, "c2", rill_const_float(f->g, v, 8, RILL_SHAPE(1, 2, 2, 2), NULL), 3,
                                       NULL, NULL);
  rill_output flat = rill_summary_image(f->g, "r3", rill_const_float(f->g, v, 8, RILL_SHAPE(2, 4, 1), NULL), 3, NULL,
                                        NULL);
  expect_run_error(f, two, RILL_INVALID_ARGUMENT, "Tensor must be 4-D with last dim 1, 3, or 4, not [1,2,2,2]");
  expect_run_error(f, flat, RILL_INVALID_ARGUMENT, "Tensor must be 4-D with last dim 1, 3, or 4, not [2,4,1]");
  rill_summary_image(f->g, "i32", rill_scalar_int32(f->g, 1, NULL), 3, NULL, NULL);
  assert_int_equal(rill_graph_code(f->g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(f->g);
  rill_summary_image(f->g, "zero", rill_const_float(f->g, v, 8, RILL_SHAPE(2, 4, 1, 1), NULL), 0, NULL, NULL);
  assert_int_equal(rill_graph_code(f->g), RILL_INVALID_ARGUMENT);
}

static void test_merge(void **state) {
  fixture *f = *state;
  rill_output a = rill_summary_scalar(f->g, "a", rill_scalar_float(f->g, 1.5f, NULL), NULL, NULL);
  rill_output t = rill_summary_text(f->g, "t", strings(f->g, RILL_SHAPE(), (const char *[]){"hi"}), NULL);
  rill_output other = rill_summary_scalar(f->g, "o", rill_scalar_float(f->g, 3, NULL),
                                          (const char *[]){"test", NULL}, NULL);
  rill_output none = rill_summary_scalar(f->g, "n", rill_scalar_float(f->g, 4, NULL), (const char *[]){NULL}, NULL);
  rill_output all = rill_summary_merge_all(f->g, NULL, NULL);
  rill_output test = rill_summary_merge_all(f->g, "test", "test_merge");
  rill_output dup = rill_summary_merge(f->g, (rill_output[]){a, a}, 2, NULL, NULL);
  assert_false(rill_output_ok(rill_summary_merge_all(f->g, "no such key", NULL)));
  session(f);
  assert_string_equal(rill_op_name(all.op), "Merge/MergeSummary");
  assert_string_equal(rill_op_type(all.op), "MergeSummary");
  assert_int_equal(rill_op_num_inputs(all.op), 2); /* a and t: "o" and "n" are elsewhere */
  assert_int_equal(rill_op_attr_int(all.op, "N", 0), 2);
  assert_string_equal(rill_op_name(test.op), "test_merge/test_merge");
  assert_string_equal(rill_op_name(dup.op), "Merge_1/MergeSummary");
  assert_int_equal(rill_collection_size(f->g, "test"), 1);
  assert_ptr_equal(rill_collection_output(f->g, "test", 0).op, other.op);
  assert_true(rill_output_ok(none));
  assert_int_equal(rill_collection_size(f->g, RILL_SUMMARIES), 2);

  /* The merged bytes are the inputs' values, concatenated in order. */
  size_t la = 0, lt = 0, lm = 0;
  uint8_t *ba = run_summary(session(f), a, &la, f->st), *bt = run_summary(session(f), t, &lt, f->st);
  uint8_t *bm = run_summary(session(f), all, &lm, f->st);
  assert_non_null(bm);
  uint8_t *cat = malloc(la + lt);
  memcpy(cat, ba, la);
  memcpy(cat + la, bt, lt);
  assert_true(bytes_equal(bm, lm, cat, la + lt, "merge_all"));
  free(cat);
  free(ba);
  free(bt);
  free(bm);
  expect_run_error(f, dup, RILL_INVALID_ARGUMENT, "Duplicate tag a found in summary inputs");
}

static void test_merge_bad_input(void **state) {
  fixture *f = *state;
  rill_output junk = strings(f->g, RILL_SHAPE(), (const char *[]){"\x0a\x05xx"});
  rill_output m = rill_summary_merge(f->g, &junk, 1, NULL, "m");
  expect_run_error(f, m, RILL_INVALID_ARGUMENT, "Could not parse one of the summary inputs");
  rill_summary_merge(f->g, (rill_output[]){rill_scalar_float(f->g, 1, NULL)}, 1, NULL, NULL);
  assert_int_equal(rill_graph_code(f->g), RILL_INVALID_ARGUMENT);
}

/* Summaries run only when fetched: a training step does not evaluate them. */
static void test_summary_runs_only_when_fetched(void **state) {
  fixture *f = *state;
  float nan_v[1] = {NAN};
  rill_output x = rill_const_float(f->g, nan_v, 1, RILL_SHAPE(1), NULL);
  rill_summary_histogram(f->g, "would_fail", x, NULL, NULL);
  rill_output y = rill_mul(f->g, x, x, NULL);
  rill_tensor *v = rill_session_eval(session(f), y, f->st);
  assert_non_null(v);
  rill_tensor_unref(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_scalar_names_and_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scalar_shape_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_histogram_bytes, setup, teardown),
      cmocka_unit_test(test_histogram_buckets),
      cmocka_unit_test_setup_teardown(test_histogram_nonfinite, setup, teardown),
      cmocka_unit_test_setup_teardown(test_text_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audio_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audio_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_images_match_tf, setup, teardown),
      cmocka_unit_test_setup_teardown(test_image_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_bad_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_summary_runs_only_when_fetched, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
