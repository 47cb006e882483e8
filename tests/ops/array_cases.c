/* Gradient-check cases for the array ops (src/ops/array_*.c).
 *
 * Each differentiable op is checked with statically known shapes and, where its gradient has a
 * separate run-time form, with shapes hidden behind placeholder_with_default (so the gradient
 * is built from Shape, ConcatOffset, computed paddings, ...). StridedSliceGrad and
 * UnsortedSegmentSum, which are themselves gradients, get direct cases. */
#include "support/gradcheck.h"
#include "ops/array_internal.h"

#define D RILL_DOUBLE
/* A static shape initializer (RILL_SHAPE calls a function). */
#define S(...) {.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dims = {__VA_ARGS__}}
#define B(name) static rill_output name(rill_graph *g, const rill_output *x)
#define I64(...) ((const int64_t[]){__VA_ARGS__})

/* x with its static shape forgotten entirely, or down to a pattern of unknown dims. */
static rill_output loose(rill_graph *g, rill_output x) {
  return rill_placeholder_with_default(g, x, rill_shape_unknown(), NULL);
}
static rill_output loose_as(rill_graph *g, rill_output x, rill_shape pattern) {
  return rill_placeholder_with_default(g, x, pattern, NULL);
}

static rill_output ids(rill_graph *g, const int32_t *v, int64_t n, rill_shape s) {
  return rill_const_int32(g, v, n, s, "ids");
}

B(reshape) { return rill_reshape(g, x[0], I64(4, -1), 2, NULL); }
B(reshape_dynamic) { return rill_reshape(g, loose(g, x[0]), I64(-1, 6), 2, NULL); }
B(reshape_to) { return rill_reshape_to(g, x[0], rill_shape_of(g, x[1], RILL_INT64, NULL), NULL); }
B(squeeze_axis) { return rill_squeeze(g, x[0], (const int[]){1}, 1, NULL); }
B(squeeze_all) { return rill_squeeze(g, loose(g, x[0]), NULL, 0, NULL); }
B(expand_dims) { return rill_expand_dims(g, x[0], -2, NULL); }
B(expand_dims_dynamic) { return rill_expand_dims(g, loose(g, x[0]), 0, NULL); }
B(transpose) { return rill_transpose(g, x[0], (const int[]){2, 0, 1}, NULL); }
B(transpose_dynamic) { return rill_transpose(g, loose_as(g, x[0], RILL_SHAPE(-1, -1)), NULL, NULL); }
/* a perm only known when run: the gradient inverts it with InvertPermutation */
B(transpose_runtime_perm) {
  static const int32_t p[3] = {1, 2, 0};
  rill_output perm = rill_identity(g, rill_const_int32(g, p, 3, RILL_SHAPE(3), "p"), NULL);
  return rill__transpose_t(g, x[0], perm, NULL);
}
B(slice) { return rill_slice(g, x[0], I64(1, 2), I64(2, -1), NULL); }
B(slice_dynamic) { return rill_slice(g, loose_as(g, x[0], RILL_SHAPE(-1, -1)), I64(1, 0), I64(-1, 3), NULL); }
B(strided_slice) { return rill_strided_slice(g, x[0], I64(1, -1), I64(3, 0), I64(1, -2), 2, 0, 0, 0, 0, 0, NULL); }
B(strided_slice_masks) {
  /* x[..., newaxis, ::-1, 2] */
  return rill_strided_slice(g, x[0], I64(0, 0, 0, 2), I64(0, 0, 0, 3), I64(1, 1, -1, 1), 4, 0, 1 << 2, 1 << 0, 1 << 1,
                            1 << 3, NULL);
}
B(strided_slice_dynamic) {
  return rill_strided_slice(g, loose(g, x[0]), I64(-1, 1), I64(0, 5), I64(1, 2), 2, 0, 0, 0, 0, 1, NULL);
}
/* StridedSliceGrad as a function of its dy (x1): the gradient of a strided slice of x0 */
B(strided_slice_grad) {
  rill_output y = rill_strided_slice(g, x[0], I64(1, 0), I64(4, 5), I64(2, 2), 2, 0, 0, 0, 0, 0, NULL), dx;
  if (!rill_gradients(g, &y, 1, &x[0], 1, &x[1], &dx)) return RILL_NO_OUTPUT;
  return dx;
}
B(pad) { return rill_pad(g, x[0], I64(1, 0, 2, 1), NULL); }
B(pad_dynamic) { return rill_pad(g, loose_as(g, x[0], RILL_SHAPE(-1, -1)), I64(0, 2, 1, 1), NULL); }
B(concat) { return rill_concat(g, x, 3, 1, NULL); }
B(concat_dynamic) {
  rill_output l[3] = {loose(g, x[0]), loose(g, x[1]), loose(g, x[2])};
  return rill_concat(g, l, 3, -1, NULL);
}
/* the middle split's gradient is absent: it becomes zeros */
B(split) {
  rill_output o[3];
  rill_split(g, x[0], 3, 1, o, NULL);
  return rill_concat(g, (rill_output[]){o[2], o[0]}, 2, 0, NULL);
}
B(stack) { return rill_stack(g, x, 3, 1, NULL); }
B(unstack) {
  rill_output o[4];
  rill_unstack(g, x[0], 4, -1, o, NULL);
  return rill_stack(g, (rill_output[]){o[3], o[0]}, 2, 0, NULL);
}
B(tile) { return rill_tile(g, x[0], I64(2, 1, 3), NULL); }
B(tile_size_one_dims) { return rill_tile(g, x[0], I64(3, 2), NULL); }
B(tile_dynamic) { return rill_tile(g, loose_as(g, x[0], RILL_SHAPE(-1, -1)), I64(2, 2), NULL); }
B(gather) {
  static const int32_t v[4] = {4, 0, 4, 2};
  return rill_gather(g, x[0], ids(g, v, 4, RILL_SHAPE(4)), 0, NULL);
}
B(gather_axis) {
  static const int32_t v[4] = {2, 0, 2, 1};
  return rill_gather(g, x[0], ids(g, v, 4, RILL_SHAPE(2, 2)), 1, NULL);
}
B(gather_dynamic) {
  static const int32_t v[3] = {1, 1, 0};
  return rill_gather(g, loose_as(g, x[0], RILL_SHAPE(-1, -1, -1)), ids(g, v, 3, RILL_SHAPE(3)), -1, NULL);
}
/* negative ids are dropped, so their rows get no gradient */
B(unsorted_segment_sum) {
  static const int32_t v[4] = {0, 2, -1, 0};
  return rill__unsorted_segment_sum(g, x[0], ids(g, v, 4, RILL_SHAPE(4)), rill_scalar_int32(g, 3, "n"), NULL);
}
B(unsorted_segment_sum_2d_ids) {
  static const int32_t v[4] = {1, -1, 1, 0};
  return rill__unsorted_segment_sum(g, x[0], ids(g, v, 4, RILL_SHAPE(2, 2)), rill_scalar_int64(g, 2, "n"), NULL);
}
B(fill) { return rill_fill(g, I64(2, 3), 2, x[0], NULL); }
B(tensordot) { return rill_tensordot(g, x[0], x[1], (const int[]){-1}, (const int[]){0}, 1, NULL); }
B(tensordot_unknown_dims) {
  return rill_tensordot(g, loose_as(g, x[0], RILL_SHAPE(-1, -1, -1)), x[1], (const int[]){1, 2}, (const int[]){0, 1}, 2,
                        NULL);
}
B(tensordot_unknown_free) {
  return rill_tensordot(g, x[0], loose_as(g, x[1], RILL_SHAPE(4, -1)), (const int[]){2}, (const int[]){0}, 1, NULL);
}
B(tensordot_dynamic) {
  return rill_tensordot(g, rill_reshape(g, loose(g, x[0]), I64(-1, 2, 4), 3, NULL), x[1], (const int[]){0, 2},
                        (const int[]){1, 0}, 2, NULL);
}

const rill_gradcase rill_gradcases_array[] = {
    {"reshape", 1, D, {S(2, 3, 4)}, reshape, 0, 0, 0},
    {"reshape_dynamic", 1, D, {S(2, 3, 2)}, reshape_dynamic, 0, 0, 0},
    {"reshape_to", 2, D, {S(2, 6), S(3, 4)}, reshape_to, 0, 0, 0},
    {"squeeze_axis", 1, D, {S(2, 1, 3, 1)}, squeeze_axis, 0, 0, 0},
    {"squeeze_all", 1, D, {S(2, 1, 3, 1)}, squeeze_all, 0, 0, 0},
    {"expand_dims", 1, D, {S(2, 3)}, expand_dims, 0, 0, 0},
    {"expand_dims_dynamic", 1, D, {S(2, 3)}, expand_dims_dynamic, 0, 0, 0},
    {"transpose", 1, D, {S(2, 3, 4)}, transpose, 0, 0, 0},
    {"transpose_dynamic", 1, D, {S(3, 5)}, transpose_dynamic, 0, 0, 0},
    {"transpose_runtime_perm", 1, D, {S(2, 3, 4)}, transpose_runtime_perm, 0, 0, 0},
    {"slice", 1, D, {S(4, 5)}, slice, 0, 0, 0},
    {"slice_dynamic", 1, D, {S(4, 5)}, slice_dynamic, 0, 0, 0},
    {"strided_slice", 1, D, {S(4, 5)}, strided_slice, 0, 0, 0},
    {"strided_slice_masks", 1, D, {S(2, 3, 4, 5)}, strided_slice_masks, 0, 0, 0},
    {"strided_slice_dynamic", 1, D, {S(3, 6)}, strided_slice_dynamic, 0, 0, 0},
    {"strided_slice_grad", 2, D, {S(5, 6), S(2, 3)}, strided_slice_grad, 0, 0, 0},
    {"pad", 1, D, {S(2, 3)}, pad, 0, 0, 0},
    {"pad_dynamic", 1, D, {S(2, 3)}, pad_dynamic, 0, 0, 0},
    {"concat", 3, D, {S(2, 1), S(2, 3), S(2, 2)}, concat, 0, 0, 0},
    {"concat_dynamic", 3, D, {S(2, 1), S(2, 3), S(2, 2)}, concat_dynamic, 0, 0, 0},
    {"split", 1, D, {S(2, 6)}, split, 0, 0, 0},
    {"stack", 3, D, {S(2, 3), S(2, 3), S(2, 3)}, stack, 0, 0, 0},
    {"unstack", 1, D, {S(3, 4)}, unstack, 0, 0, 0},
    {"tile", 1, D, {S(2, 3, 1)}, tile, 0, 0, 0},
    {"tile_size_one_dims", 1, D, {S(1, 3)}, tile_size_one_dims, 0, 0, 0},
    {"tile_dynamic", 1, D, {S(2, 3)}, tile_dynamic, 0, 0, 0},
    {"gather", 1, D, {S(5, 3)}, gather, 0, 0, 0},
    {"gather_axis", 1, D, {S(2, 3, 2)}, gather_axis, 0, 0, 0},
    {"gather_dynamic", 1, D, {S(2, 2, 3)}, gather_dynamic, 0, 0, 0},
    {"unsorted_segment_sum", 1, D, {S(4, 3)}, unsorted_segment_sum, 0, 0, 0},
    {"unsorted_segment_sum_2d_ids", 1, D, {S(2, 2, 3)}, unsorted_segment_sum_2d_ids, 0, 0, 0},
    {"fill", 1, D, {{.rank = 0}}, fill, 0, 0, 0},
    {"tensordot", 2, D, {S(3, 2, 4), S(4, 5)}, tensordot, 0, 0, 0},
    {"tensordot_unknown_dims", 2, D, {S(2, 3, 4), S(3, 4, 5)}, tensordot_unknown_dims, 0, 0, 0},
    {"tensordot_unknown_free", 2, D, {S(3, 2, 4), S(4, 5)}, tensordot_unknown_free, 0, 0, 0},
    {"tensordot_dynamic", 2, D, {S(24), S(4, 3)}, tensordot_dynamic, 0, 0, 0},
};
const int rill_gradcases_array_n = (int)(sizeof rill_gradcases_array / sizeof rill_gradcases_array[0]);
