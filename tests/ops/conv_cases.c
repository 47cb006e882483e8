/* Gradient-check cases for the convolution family (src/ops/conv_*.c).
 *
 * The backprop ops appear as forward ops too (conv2d_transpose is Conv2DBackpropInput, and the
 * filter backprops are built directly), so their own gradients are checked; grouped
 * convolutions, which TF's CPU kernels cannot differentiate (no golden values), are checked
 * here only. */
#include "support/gradcheck.h"

#define D RILL_DOUBLE
#define S(...) {.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dims = {__VA_ARGS__}}

static const int64_t S1[4] = {1, 1, 1, 1}, S2[4] = {1, 2, 2, 1}, DIL2[4] = {1, 2, 2, 1};

static rill_output sizes(rill_graph *g, int64_t a, int64_t b, int64_t c, int64_t d) {
  const int32_t v[4] = {(int32_t)a, (int32_t)b, (int32_t)c, (int32_t)d};
  return rill_const_int32(g, v, 4, RILL_SHAPE(4), "sizes");
}

static rill_output same_s1(rill_graph *g, const rill_output *x) {
  return rill_conv2d(g, x[0], x[1], S1, "SAME", NULL, NULL);
}
static rill_output valid_s2(rill_graph *g, const rill_output *x) {
  return rill_conv2d(g, x[0], x[1], S2, "VALID", NULL, NULL);
}
static rill_output same_dilated(rill_graph *g, const rill_output *x) {
  return rill_conv2d(g, x[0], x[1], S1, "SAME", DIL2, NULL);
}
static rill_output transpose_s2(rill_graph *g, const rill_output *x) {
  const int64_t out[4] = {1, 6, 6, 2};
  return rill_conv2d_transpose(g, x[0], x[1], out, S2, "SAME", NULL);
}
static rill_output bwi_grouped(rill_graph *g, const rill_output *x) {
  return rill_conv2d_backprop_input(g, sizes(g, 1, 5, 5, 4), x[0], x[1], S1, "SAME", NULL, NULL);
}
static rill_output bwf_valid(rill_graph *g, const rill_output *x) {
  return rill_conv2d_backprop_filter(g, x[0], sizes(g, 3, 3, 2, 2), x[1], S1, "VALID", NULL, NULL);
}
static rill_output bwf_same_s2_dilated(rill_graph *g, const rill_output *x) {
  static const int64_t st[4] = {1, 2, 1, 1};
  return rill_conv2d_backprop_filter(g, x[0], sizes(g, 2, 3, 2, 3), x[1], st, "SAME", DIL2, NULL);
}
static rill_output dw_same(rill_graph *g, const rill_output *x) {
  return rill_depthwise_conv2d(g, x[0], x[1], S1, "SAME", NULL, NULL);
}
static rill_output dw_valid_s2(rill_graph *g, const rill_output *x) {
  return rill_depthwise_conv2d(g, x[0], x[1], S2, "VALID", NULL, NULL);
}
static rill_output dw_rate2(rill_graph *g, const rill_output *x) {
  static const int64_t rate[2] = {2, 2};
  return rill_depthwise_conv2d(g, x[0], x[1], S1, "SAME", rate, NULL);
}
static rill_output dw_bwi(rill_graph *g, const rill_output *x) {
  return rill_depthwise_conv2d_native_backprop_input(g, sizes(g, 1, 5, 5, 2), x[0], x[1], S1, "SAME", NULL, NULL);
}
static rill_output dw_bwf(rill_graph *g, const rill_output *x) {
  return rill_depthwise_conv2d_native_backprop_filter(g, x[0], sizes(g, 3, 3, 2, 2), x[1], S2, "SAME", NULL, NULL);
}

const rill_gradcase rill_gradcases_conv[] = {
    {"conv2d_same_s1", 2, D, {S(2, 5, 5, 3), S(3, 3, 3, 2)}, same_s1, 0, 0, 0},
    {"conv2d_valid_s2", 2, D, {S(1, 7, 6, 2), S(3, 3, 2, 3)}, valid_s2, 0, 0, 0},
    {"conv2d_same_dilated", 2, D, {S(1, 7, 7, 2), S(3, 3, 2, 2)}, same_dilated, 0, 0, 0},
    {"conv2d_grouped", 2, D, {S(1, 5, 5, 4), S(3, 3, 2, 4)}, same_s1, 0, 0, 0},
    {"conv2d_1x1", 2, D, {S(2, 3, 3, 4), S(1, 1, 4, 3)}, same_s1, 0, 0, 0},
    {"conv2d_whole_input", 2, D, {S(3, 3, 3, 2), S(3, 3, 2, 2)}, valid_s2, 0, 0, 0},
    {"conv2d_f32_same_s1", 2, RILL_FLOAT, {S(1, 4, 4, 2), S(3, 3, 2, 2)}, same_s1, 0, 0, 0},
    {"conv2d_transpose_s2", 2, D, {S(1, 3, 3, 2), S(3, 3, 2, 2)}, transpose_s2, 0, 0, 0},
    {"conv2d_backprop_input_grouped", 2, D, {S(3, 3, 2, 6), S(1, 5, 5, 6)}, bwi_grouped, 0, 0, 0},
    {"conv2d_backprop_filter_valid", 2, D, {S(1, 5, 5, 2), S(1, 3, 3, 2)}, bwf_valid, 0, 0, 0},
    {"conv2d_backprop_filter_same_s2_dilated", 2, D, {S(1, 6, 5, 2), S(1, 3, 5, 3)}, bwf_same_s2_dilated, 0, 0, 0},
    {"depthwise_same", 2, D, {S(2, 5, 5, 3), S(3, 3, 3, 2)}, dw_same, 0, 0, 0},
    {"depthwise_valid_s2", 2, D, {S(1, 7, 7, 2), S(3, 3, 2, 1)}, dw_valid_s2, 0, 0, 0},
    {"depthwise_rate2", 2, D, {S(1, 7, 7, 2), S(3, 3, 2, 2)}, dw_rate2, 0, 0, 0},
    {"depthwise_backprop_input", 2, D, {S(3, 3, 2, 2), S(1, 5, 5, 4)}, dw_bwi, 0, 0, 0},
    {"depthwise_backprop_filter_same_s2", 2, D, {S(1, 5, 5, 2), S(1, 3, 3, 4)}, dw_bwf, 0, 0, 0},
};
const int rill_gradcases_conv_n = (int)(sizeof rill_gradcases_conv / sizeof rill_gradcases_conv[0]);
