/* Gradient-check cases for the math ops (src/ops/math_*.c): every differentiable math op, with
 * broadcasting in both directions, statically unknown dims (through
 * placeholder_with_default, which forgets the static shape) and each transpose combination. */
#include "support/gradcheck.h"

/* An op of a registered type with attribute T (and any bool attributes given). */
static rill_output op_t(rill_graph *g, const char *type, const rill_output *in, int n, const char *battr1, bool v1,
                        const char *battr2, bool v2) {
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_inputs(b, in, n);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(in[0]));
  if (battr1) rill_op_builder_attr_bool(b, battr1, v1);
  if (battr2) rill_op_builder_attr_bool(b, battr2, v2);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
#define OP2(g, type, a, b) op_t((g), (type), (rill_output[]){(a), (b)}, 2, NULL, false, NULL, false)

/* x with its static shape forgotten down to `pattern` (-1 dims unknown). */
static rill_output loose(rill_graph *g, rill_output x, rill_shape pattern) {
  return rill_placeholder_with_default(g, x, pattern, NULL);
}

#define B(name) static rill_output name(rill_graph *g, const rill_output *x)

/* ---- binary arithmetic ---- */
B(b_add) { return rill_add(g, x[0], x[1], NULL); }
B(b_add_v1) { return OP2(g, "Add", x[0], x[1]); }
B(b_sub) { return rill_sub(g, x[0], x[1], NULL); }
B(b_mul) { return rill_mul(g, x[0], x[1], NULL); }
B(b_realdiv) { return rill_div(g, x[0], x[1], NULL); }
B(b_div_v1) { return OP2(g, "Div", x[0], x[1]); }
B(b_div_no_nan) { return OP2(g, "DivNoNan", x[0], x[1]); }
B(b_mod) { return rill_mod(g, x[0], x[1], NULL); }
B(b_maximum) { return rill_maximum(g, x[0], x[1], NULL); }
B(b_minimum) { return rill_minimum(g, x[0], x[1], NULL); }
B(b_pow) { return rill_pow(g, x[0], x[1], NULL); }
B(b_sqdiff) { return rill_squared_difference(g, x[0], x[1], NULL); }
B(b_add_n) { return rill_add_n(g, x, 3, NULL); }
/* run-time broadcasting: BroadcastGradientArgs, Sum over computed axes, Reshape */
B(b_add_dynamic) { return rill_add(g, loose(g, x[0], RILL_SHAPE(-1, 3)), loose(g, x[1], RILL_SHAPE(-1, 3)), NULL); }
B(b_mul_dynamic) { return rill_mul(g, loose(g, x[0], RILL_SHAPE(-1, 3)), loose(g, x[1], RILL_SHAPE(-1, -1)), NULL); }
/* the MLP's bias add: [?, K] + [K], decided statically */
B(b_bias_add_partial) { return rill_add(g, loose(g, x[0], RILL_SHAPE(-1, 3)), x[1], NULL); }
B(b_sub_unknown_rank) { return rill_sub(g, loose(g, x[0], rill_shape_unknown()), x[1], NULL); }

/* ---- unary ---- */
B(b_neg) { return rill_neg(g, x[0], NULL); }
B(b_abs_) { return rill_abs(g, x[0], NULL); }
B(b_sign) { return rill_mul(g, rill_sign(g, x[0], NULL), x[0], NULL); }
B(b_square) { return rill_square(g, x[0], NULL); }
B(b_sqrt_) { return rill_sqrt(g, x[0], NULL); }
B(b_rsqrt) { return rill_rsqrt(g, x[0], NULL); }
B(b_exp_) { return rill_exp(g, x[0], NULL); }
B(b_log_) { return rill_log(g, x[0], NULL); }
B(b_log1p_) { return rill_log1p(g, x[0], NULL); }
B(b_reciprocal) { return rill_reciprocal(g, x[0], NULL); }
B(b_sigmoid) { return rill_sigmoid(g, x[0], NULL); }
B(b_tanh_) { return rill_tanh(g, x[0], NULL); }
/* the fused derivative ops, checked as functions of both inputs (their own gradients) */
B(b_sigmoid_grad) { return OP2(g, "SigmoidGrad", x[0], x[1]); }
B(b_tanh_grad) { return OP2(g, "TanhGrad", x[0], x[1]); }
B(b_sqrt_grad) { return OP2(g, "SqrtGrad", x[0], x[1]); }
B(b_rsqrt_grad) { return OP2(g, "RsqrtGrad", x[0], x[1]); }
B(b_reciprocal_grad) { return OP2(g, "ReciprocalGrad", x[0], x[1]); }
B(b_cast_round_trip) { return rill_cast(g, rill_square(g, rill_cast(g, x[0], RILL_DOUBLE, NULL), NULL), RILL_FLOAT, NULL); }

/* ---- selection ---- */
B(b_where_elementwise) { return rill_where(g, rill_greater(g, x[0], x[1], NULL), x[0], x[1], NULL); }
B(b_where_rows) {
  rill_output c = rill_greater(g, x[2], rill_scalar_double(g, 0, NULL), NULL);
  return rill_where(g, c, x[0], x[1], NULL);
}

/* ---- reductions ---- */
B(b_sum_axis1) { return rill_reduce_sum(g, x[0], (int[]){1}, 1, false, NULL); }
B(b_sum_neg_keep) { return rill_reduce_sum(g, x[0], (int[]){-1}, 1, true, NULL); }
B(b_sum_all) { return rill_reduce_sum(g, x[0], NULL, 0, false, NULL); }
B(b_sum_axes02) { return rill_reduce_sum(g, x[0], (int[]){0, 2}, 2, false, NULL); }
B(b_sum_partial) { return rill_reduce_sum(g, loose(g, x[0], RILL_SHAPE(-1, -1, 4)), (int[]){0, 2}, 2, false, NULL); }
B(b_sum_computed_axes) {
  int32_t z = 0;
  rill_output zero = rill_const_int32(g, &z, 1, RILL_SHAPE(1), NULL);
  rill_output axes = rill_add(g, zero, zero, NULL); /* not a Const: axes known only at run time */
  rill_op_builder *b = rill_op_builder_new(g, "Sum", NULL);
  rill_op_builder_add_input(b, x[0]);
  rill_op_builder_add_input(b, axes);
  rill_op_builder_attr_bool(b, "keep_dims", false);
  rill_op_builder_attr_type(b, "T", RILL_DOUBLE);
  rill_op_builder_attr_type(b, "Tidx", RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
B(b_sum_all_unknown_rank) { return rill_reduce_sum(g, loose(g, x[0], rill_shape_unknown()), NULL, 0, false, NULL); }
B(b_mean_unknown_rank) { return rill_reduce_mean(g, loose(g, x[0], rill_shape_unknown()), NULL, 0, true, NULL); }
B(b_mean_axis0) { return rill_reduce_mean(g, x[0], (int[]){0}, 1, false, NULL); }
B(b_mean_dynamic) { return rill_reduce_mean(g, loose(g, x[0], RILL_SHAPE(-1, 3)), NULL, 0, false, NULL); }
B(b_max_axis1) { return rill_reduce_max(g, x[0], (int[]){1}, 1, false, NULL); }
B(b_max_all_keep) { return rill_reduce_max(g, x[0], NULL, 0, true, NULL); }
B(b_max_partial) { return rill_reduce_max(g, loose(g, x[0], RILL_SHAPE(-1, -1, 4)), (int[]){2}, 1, false, NULL); }
B(b_min_axis0) { return rill_reduce_min(g, x[0], (int[]){0}, 1, false, NULL); }
/* ties: each column of x broadcast to two rows has its maximum twice; the gradient is split
 * evenly, so the two halves summed back by BroadcastTo's gradient give 1 */
B(b_max_ties) {
  int32_t s[] = {2, 3};
  rill_output two_rows = OP2(g, "BroadcastTo", x[0], rill_const_int32(g, s, 2, RILL_SHAPE(2), NULL));
  return rill_reduce_max(g, two_rows, (int[]){0}, 1, false, NULL);
}
B(b_prod_axis1) { return rill_reduce_prod(g, x[0], (int[]){1}, 1, false, NULL); }
B(b_prod_all) { return rill_reduce_prod(g, x[0], NULL, 0, false, NULL); }
B(b_prod_axes02) { return rill_reduce_prod(g, x[0], (int[]){0, 2}, 2, true, NULL); }
B(b_prod_partial) { return rill_reduce_prod(g, loose(g, x[0], RILL_SHAPE(-1, 3)), (int[]){1}, 1, false, NULL); }

/* ---- scans and BroadcastTo ---- */
static rill_output scan(rill_graph *g, const char *type, rill_output x, int axis, bool excl, bool rev) {
  rill_output a = rill_scalar_int32(g, axis, NULL);
  rill_op_builder *b = rill_op_builder_new(g, type, NULL);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, a);
  rill_op_builder_attr_bool(b, "exclusive", excl);
  rill_op_builder_attr_bool(b, "reverse", rev);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tidx", RILL_INT32);
  return rill_op_output(rill_op_builder_finish(b), 0);
}
B(b_cumsum) { return rill_add(g, scan(g, "Cumsum", x[0], 1, false, false), scan(g, "Cumsum", x[0], 0, true, true), NULL); }
B(b_cumprod) { return rill_add(g, scan(g, "Cumprod", x[0], 1, false, true), scan(g, "Cumprod", x[0], 0, true, false), NULL); }
B(b_broadcast_to) {
  int32_t s[] = {2, 3};
  return OP2(g, "BroadcastTo", x[0], rill_const_int32(g, s, 2, RILL_SHAPE(2), NULL));
}

/* ---- matmul ---- */
B(b_matmul_nn) { return rill_matmul(g, x[0], x[1], false, false, NULL); }
B(b_matmul_nt) { return rill_matmul(g, x[0], x[1], false, true, NULL); }
B(b_matmul_tn) { return rill_matmul(g, x[0], x[1], true, false, NULL); }
B(b_matmul_tt) { return rill_matmul(g, x[0], x[1], true, true, NULL); }
B(b_batch_matmul) { return rill_matmul(g, x[0], x[1], false, false, NULL); }
B(b_batch_matmul_adj) { return rill_matmul(g, x[0], x[1], true, true, NULL); }
B(b_batch_matmul_bcast) { return rill_matmul(g, x[0], x[1], false, true, NULL); }
B(b_batch_matmul_v1) { return op_t(g, "BatchMatMul", x, 2, "adj_x", true, "adj_y", false); }

/* ---- clipping ---- */
B(b_clip_by_value) { return rill_clip_by_value(g, x[0], -0.5, 0.5, NULL); }
B(b_clip_by_norm) { return rill_clip_by_norm(g, x[0], 0.7, NULL); }
B(b_clip_by_global_norm) {
  rill_output out[2];
  rill_clip_by_global_norm(g, x, 2, 0.9, out, NULL);
  return rill_add(g, rill_reduce_sum(g, out[0], NULL, 0, false, NULL), rill_reduce_sum(g, out[1], NULL, 0, false, NULL),
                  NULL);
}

#define D RILL_DOUBLE
/* A static shape initializer (RILL_SHAPE calls a function). */
#define S(...) {.rank = (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), .dims = {__VA_ARGS__}}
const rill_gradcase rill_gradcases_math[] = {
    {"add same shape", 2, D, {S(2, 3), S(2, 3)}, b_add, 0, 0, 0},
    {"add [2,3]+[3]", 2, D, {S(2, 3), S(3)}, b_add, 0, 0, 0},
    {"add [2,1]+[1,3]", 2, D, {S(2, 1), S(1, 3)}, b_add, 0, 0, 0},
    {"add scalar", 2, D, {S(2, 3), S()}, b_add, 0, 0, 0},
    {"Add (v1) [3]+[2,3]", 2, D, {S(3), S(2, 3)}, b_add_v1, 0, 0, 0},
    {"add dynamic [?,3]+[?,3]", 2, D, {S(2, 3), S(1, 3)}, b_add_dynamic, 0, 0, 0},
    {"mul dynamic [?,3]*[?,?]", 2, D, {S(2, 3), S(2, 1)}, b_mul_dynamic, 0, 0, 0},
    {"bias add [?,3]+[3]", 2, D, {S(4, 3), S(3)}, b_bias_add_partial, 0, 0, 0},
    {"sub unknown rank", 2, D, {S(2, 3), S(3)}, b_sub_unknown_rank, 0, 0, 0},
    {"sub [2,3]-[2,1]", 2, D, {S(2, 3), S(2, 1)}, b_sub, 0, 0, 0},
    {"mul [2,3]*[3]", 2, D, {S(2, 3), S(3)}, b_mul, 0, 0, 0},
    {"mul scalar", 2, D, {S(), S(2, 2)}, b_mul, 0, 0, 0},
    {"realdiv [2,3]/[3]", 2, D, {S(2, 3), S(3)}, b_realdiv, 0.5, 2, 0},
    {"Div (v1)", 2, D, {S(2, 3), S(2, 3)}, b_div_v1, 0.5, 2, 0},
    {"DivNoNan", 2, D, {S(2, 3), S(1, 3)}, b_div_no_nan, 0.5, 2, 0},
    {"mod", 2, D, {S(2, 3), S(3)}, b_mod, 0.5, 2, 0},
    {"maximum [2,3],[3]", 2, D, {S(2, 3), S(3)}, b_maximum, 0, 0, 0},
    {"minimum [2,1],[1,3]", 2, D, {S(2, 1), S(1, 3)}, b_minimum, 0, 0, 0},
    {"pow [2,3]^[3]", 2, D, {S(2, 3), S(3)}, b_pow, 0.5, 2, 0},
    {"squared_difference", 2, D, {S(2, 3), S(2, 1)}, b_sqdiff, 0, 0, 0},
    {"add_n", 3, D, {S(2, 3), S(2, 3), S(2, 3)}, b_add_n, 0, 0, 0},
    {"neg", 1, D, {S(2, 3)}, b_neg, 0, 0, 0},
    {"abs", 1, D, {S(2, 3)}, b_abs_, 0, 0, 0},
    {"sign", 1, D, {S(2, 3)}, b_sign, 0, 0, 0},
    {"square", 1, D, {S(2, 3)}, b_square, 0, 0, 0},
    {"sqrt", 1, D, {S(2, 3)}, b_sqrt_, 0.5, 2, 0},
    {"rsqrt", 1, D, {S(2, 3)}, b_rsqrt, 0.5, 2, 0},
    {"exp", 1, D, {S(2, 3)}, b_exp_, 0, 0, 0},
    {"log", 1, D, {S(2, 3)}, b_log_, 0.5, 2, 0},
    {"log1p", 1, D, {S(2, 3)}, b_log1p_, 0, 0, 0},
    {"reciprocal", 1, D, {S(2, 3)}, b_reciprocal, 0.5, 2, 0},
    {"sigmoid", 1, D, {S(2, 3)}, b_sigmoid, 0, 0, 0},
    {"tanh", 1, D, {S(2, 3)}, b_tanh_, 0, 0, 0},
    {"SigmoidGrad", 2, D, {S(2, 3), S(2, 3)}, b_sigmoid_grad, 0, 0, 0},
    {"TanhGrad", 2, D, {S(2, 3), S(2, 3)}, b_tanh_grad, 0, 0, 0},
    {"SqrtGrad", 2, D, {S(2, 3), S(2, 3)}, b_sqrt_grad, 0.5, 2, 0},
    {"RsqrtGrad", 2, D, {S(2, 3), S(2, 3)}, b_rsqrt_grad, 0.5, 2, 0},
    {"ReciprocalGrad", 2, D, {S(2, 3), S(2, 3)}, b_reciprocal_grad, 0.5, 2, 0},
    {"cast float<->double", 1, RILL_FLOAT, {S(2, 3)}, b_cast_round_trip, 0, 0, 0},
    {"where elementwise", 2, D, {S(2, 3), S(2, 3)}, b_where_elementwise, 0, 0, 0},
    {"where rows", 3, D, {S(2, 3), S(2, 3), S(2)}, b_where_rows, 0, 0, 0},
    {"sum axis 1", 1, D, {S(2, 3)}, b_sum_axis1, 0, 0, 0},
    {"sum axis -1 keepdims", 1, D, {S(2, 3)}, b_sum_neg_keep, 0, 0, 0},
    {"sum all", 1, D, {S(2, 3)}, b_sum_all, 0, 0, 0},
    {"sum axes 0,2", 1, D, {S(2, 3, 4)}, b_sum_axes02, 0, 0, 0},
    {"sum axes 0,2 of [?,?,4]", 1, D, {S(2, 3, 4)}, b_sum_partial, 0, 0, 0},
    {"sum computed axes", 1, D, {S(2, 3)}, b_sum_computed_axes, 0, 0, 0},
    {"sum all of unknown rank", 1, D, {S(2, 3)}, b_sum_all_unknown_rank, 0, 0, 0},
    {"mean all keepdims of unknown rank", 1, D, {S(2, 3)}, b_mean_unknown_rank, 0, 0, 0},
    {"mean axis 0", 1, D, {S(2, 3)}, b_mean_axis0, 0, 0, 0},
    {"mean of [?,3]", 1, D, {S(4, 3)}, b_mean_dynamic, 0, 0, 0},
    {"max axis 1", 1, D, {S(2, 3)}, b_max_axis1, 0, 0, 0},
    {"max all keepdims", 1, D, {S(2, 3)}, b_max_all_keep, 0, 0, 0},
    {"max axis 2 of [?,?,4]", 1, D, {S(2, 3, 4)}, b_max_partial, 0, 0, 0},
    {"max with ties", 1, D, {S(3)}, b_max_ties, 0, 0, 0},
    {"min axis 0", 1, D, {S(3, 2)}, b_min_axis0, 0, 0, 0},
    {"prod axis 1", 1, D, {S(2, 3)}, b_prod_axis1, 0.5, 1.5, 0},
    {"prod all", 1, D, {S(2, 3)}, b_prod_all, 0.5, 1.5, 0},
    {"prod axes 0,2 keepdims", 1, D, {S(2, 3, 2)}, b_prod_axes02, 0.5, 1.5, 0},
    {"prod of [?,3]", 1, D, {S(2, 3)}, b_prod_partial, 0.5, 1.5, 0},
    {"cumsum", 1, D, {S(2, 3)}, b_cumsum, 0, 0, 0},
    {"cumprod", 1, D, {S(2, 3)}, b_cumprod, 0.5, 1.5, 0},
    {"BroadcastTo [3]->[2,3]", 1, D, {S(3)}, b_broadcast_to, 0, 0, 0},
    {"matmul", 2, D, {S(2, 3), S(3, 4)}, b_matmul_nn, 0, 0, 0},
    {"matmul b^T", 2, D, {S(2, 3), S(4, 3)}, b_matmul_nt, 0, 0, 0},
    {"matmul a^T", 2, D, {S(3, 2), S(3, 4)}, b_matmul_tn, 0, 0, 0},
    {"matmul a^T b^T", 2, D, {S(3, 2), S(4, 3)}, b_matmul_tt, 0, 0, 0},
    {"batch matmul", 2, D, {S(2, 2, 3), S(2, 3, 4)}, b_batch_matmul, 0, 0, 0},
    {"batch matmul adjoints", 2, D, {S(2, 3, 2), S(2, 4, 3)}, b_batch_matmul_adj, 0, 0, 0},
    {"batch matmul broadcast", 2, D, {S(1, 2, 3), S(2, 4, 3)}, b_batch_matmul_bcast, 0, 0, 0},
    {"BatchMatMul (v1)", 2, D, {S(2, 3, 2), S(2, 3, 4)}, b_batch_matmul_v1, 0, 0, 0},
    {"clip_by_value", 1, D, {S(2, 3)}, b_clip_by_value, 0, 0, 0},
    {"clip_by_norm", 1, D, {S(2, 3)}, b_clip_by_norm, 0, 0, 0},
    {"clip_by_global_norm", 2, D, {S(2, 3), S(3)}, b_clip_by_global_norm, 0, 0, 0},
};
const int rill_gradcases_math_n = (int)(sizeof rill_gradcases_math / sizeof rill_gradcases_math[0]);
