/* Tile, and its gradient: dy reshaped so that every tiled dim splits in (multiple, dim), then
 * summed over the multiples. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "ops/array_internal.h"

static bool tile_infer(rill_op *op) {
  rill_shape in = rill_op_input_shape(op, 0), ms = rill_op_input_shape(op, 1);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__is_index_dtype(rill_op_input_dtype(op, 1)))
    return rill_op_shape_error(op, "Tile's multiples must be int32 or int64, not %s",
                               rill_dtype_name(rill_op_input_dtype(op, 1)));
  /* multiples read as a partial shape: a negative multiple is unknown here, an error when run */
  rill_shape m;
  if (!rill__input_as_shape(op, 1, &m, NULL)) return false;
  if (ms.rank >= 0 && ms.rank != 1) return rill_op_shape_error(op, "Shape must be rank 1 but is rank %d", ms.rank);
  if (in.rank >= 0) {
    if (m.rank >= 0 && m.rank != in.rank)
      return rill_op_shape_error(op, "Shape must be rank %d but is rank %d", m.rank, in.rank);
    if (ms.rank == 1 && ms.dims[0] >= 0 && ms.dims[0] != in.rank)
      return rill_op_shape_error(op, "Dimension 0 in both shapes must be equal, but are %" PRId64 " and %d", ms.dims[0],
                                 in.rank);
    if (m.rank < 0) {
      m.rank = in.rank;
      for (int i = 0; i < in.rank; i++) m.dims[i] = -1;
    }
  }
  if (m.rank < 0) {
    rill_op_set_output(op, t, rill_shape_unknown());
    return true;
  }
  rill_shape out = m;
  for (int i = 0; i < m.rank; i++) out.dims[i] = rill__dim_mul(in.rank >= 0 ? in.dims[i] : -1, m.dims[i]);
  rill_op_set_output(op, t, out);
  return true;
}

static bool tile_kernel(rill_kctx *k) {
  rill_tensor *x = rill_k_in(k, 0), *mt = rill_k_in(k, 1);
  int rank = x->shape.rank;
  if (mt->shape.rank != 1 || mt->n != rank)
    return rill_k_fail(k, RILL_INVALID_ARGUMENT,
                       "Expected multiples argument to be a vector of length %d but got length %" PRId64, rank,
                       mt->shape.rank == 1 ? mt->n : (int64_t)mt->shape.rank);
  rill_shape os = x->shape;
  bool ones = true;
  for (int i = 0; i < rank; i++) {
    int64_t m = rill__ival(mt, i);
    if (m < 0) return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Expected multiples[%d] >= 0, but got %" PRId64, i, m);
    os.dims[i] *= m;
    ones &= m == 1;
  }
  if (ones) {
    rill_k_set_out(k, 0, rill_tensor_ref(x));
    return true;
  }
  rill_tensor *o = rill_k_alloc(k, 0, x->dtype, os);
  if (!o) return false;
  /* output dim i = (tile t, position j): destination strides d*ostride and ostride, source 0
   * and xstride */
  int64_t xs[RILL_MAX_RANK], ostr[RILL_MAX_RANK];
  rill__strides(x->shape, xs);
  rill__strides(os, ostr);
  rill__copy c = {.rank = 2 * rank};
  for (int i = 0; i < rank; i++) {
    c.shape[2 * i] = rill__ival(mt, i);
    c.dstride[2 * i] = x->shape.dims[i] * ostr[i];
    c.sstride[2 * i] = 0;
    c.shape[2 * i + 1] = x->shape.dims[i];
    c.dstride[2 * i + 1] = ostr[i];
    c.sstride[2 * i + 1] = xs[i];
  }
  return rill__copy_run(k, o, x, &c);
}

/* Static shapes: split only the dims that really tile, merge neighbouring kept dims, sum. */
static bool tile_grad_static(rill_graph *g, rill_output dy, rill_shape xs, const int64_t *m, rill_output *dx) {
  int64_t split[2 * RILL_MAX_RANK];
  bool reduce[2 * RILL_MAX_RANK];
  int n = 0;
  bool merged = false;
  for (int i = 0; i < xs.rank; i++) {
    int64_t d = xs.dims[i];
    if (m[i] != 1) {
      split[n] = m[i];
      reduce[n++] = true;
    }
    if (m[i] == 1 || d != 1) {
      if (n > 0 && !reduce[n - 1]) {
        split[n - 1] *= d;
        merged = true;
      } else {
        split[n] = d;
        reduce[n++] = false;
      }
    } else {
      merged = true; /* a size-1 dim tiled: only its multiple remains */
    }
  }
  if (n > RILL_MAX_RANK) return false;
  int axes[RILL_MAX_RANK], na = 0;
  for (int i = 0; i < n; i++)
    if (reduce[i]) axes[na++] = i;
  if (!na) {
    *dx = dy; /* all multiples 1: Tile was the identity */
    return true;
  }
  rill_output r = rill_reshape(g, dy, split, n, NULL);
  rill_output s = rill_reduce_sum(g, r, axes, na, false, NULL);
  *dx = merged ? rill_reshape(g, s, xs.dims, xs.rank, NULL) : s;
  return true;
}

static void tile_grad(rill_graph *g, rill_op *op, const rill_output *dy, rill_output *dx) {
  if (!dy[0].op) return;
  rill_output x = op->inputs[0], mult = op->inputs[1];
  rill_shape xs = rill_output_shape(x);
  const rill_tensor *mt = rill_op_input_const(op, 1);
  if (mt && rill_shape_is_fully_defined(xs) && mt->n == xs.rank) {
    int64_t m[RILL_MAX_RANK];
    rill__int_values(mt, m, RILL_MAX_RANK);
    if (tile_grad_static(g, dy[0], xs, m, &dx[0])) return;
  }
  /* TF's form: split_shape = reshape(transpose(stack([multiples, shape(x)])), [-1]);
   * sum over the even axes of reshape(dy, split_shape) */
  int r = xs.rank >= 0 ? xs.rank : (mt ? (int)mt->n : -1);
  if (r < 0 || 2 * r > RILL_MAX_RANK) {
    rill_graph_set_error(g, RILL_UNIMPLEMENTED, "Gradient of Tile '%s' needs a known rank of at most %d", op->name,
                         RILL_MAX_RANK / 2);
    return;
  }
  rill_output pair[2] = {mult, rill_shape_of(g, x, rill_op_input_dtype(op, 1), NULL)};
  rill_output st = rill_transpose(g, rill_stack(g, pair, 2, 0, NULL), NULL, NULL);
  rill_output split = rill_reshape(g, st, (int64_t[]){-1}, 1, NULL);
  int axes[RILL_MAX_RANK];
  for (int i = 0; i < r; i++) axes[i] = 2 * i;
  rill_output s = rill_reduce_sum(g, rill_reshape_to(g, dy[0], split, NULL), axes, r, false, NULL);
  dx[0] = rill_reshape_to(g, s, rill_shape_of(g, x, RILL_INT32, NULL), NULL);
}

static const rill_op_def tile_def = {.type = "Tile", .infer = tile_infer, .kernel = tile_kernel, .grad = tile_grad};

void rill__register_array_tile_ops(void) { rill_register_op(&tile_def); }

rill_output rill_tile(rill_graph *g, rill_output x, const int64_t *multiples, const char *name) {
  if (rill__graph_failed(g) || !rill__check_input(g, x, "tf.tile")) return RILL_NO_OUTPUT;
  int r = rill_output_shape(x).rank;
  if (r < 0 || (r > 0 && !multiples)) {
    rill_graph_set_error(g, RILL_INVALID_ARGUMENT, "tf.tile: the input's rank must be known");
    return RILL_NO_OUTPUT;
  }
  rill_name_scope_push(g, name ? name : "Tile");
  rill_output m = rill__const_index(g, multiples, r, false, "multiples");
  rill_op_builder *b = rill_op_builder_new(g, "Tile", rill_name_scope(g));
  rill_name_scope_pop(g);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, m);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  rill_op_builder_attr_type(b, "Tmultiples", rill_output_dtype(m));
  return rill_op_output(rill_op_builder_finish(b), 0);
}
