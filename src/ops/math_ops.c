/* The math op family: registration, and the machinery its files share (dtype checks, the
 * elementwise kernel drivers, op-name scopes). The ops themselves live in math_binary.c,
 * math_unary.c, math_compare.c, math_reduce.c, math_scan.c and math_matmul.c; gradient helpers in
 * math_grad_util.c; builders that only compose other ops (clipping) in math_clip.c. */
#include <stdio.h>
#include <stdlib.h>
#include "ops/math_internal.h"

void rill_register_math_ops(void) {
  rill__register_math_binary();
  rill__register_math_unary();
  rill__register_math_compare();
  rill__register_math_reduce();
  rill__register_math_scan();
  rill__register_math_grad_util();
  rill__register_math_matmul();
}

int rill__dt_slot(rill_dtype t) {
  switch (t) {
    case RILL_FLOAT: return RILL__F32;
    case RILL_DOUBLE: return RILL__F64;
    case RILL_INT32: return RILL__I32;
    case RILL_INT64: return RILL__I64;
    case RILL_UINT8: return RILL__U8;
    case RILL_BOOL: return RILL__BOOL;
    default: return -1;
  }
}

static const rill_dtype slot_dtype[RILL__NDT] = {RILL_FLOAT, RILL_DOUBLE, RILL_INT32, RILL_INT64, RILL_UINT8, RILL_BOOL};

bool rill__check_dtype(rill_op *op, rill_dtype t, unsigned allowed, const char *attr) {
  int s = rill__dt_slot(t);
  if (s >= 0 && (allowed & (1u << s))) return true;
  char list[128] = "";
  size_t used = 0;
  for (int i = 0; i < RILL__NDT && used < sizeof list; i++)
    if (allowed & (1u << i))
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                               rill__dtype_proto_name(slot_dtype[i]));
  rill_graph_set_error(op->graph, RILL_INVALID_ARGUMENT,
                       "Value for attr '%s' of %s is not in the list of allowed values: %s\n\t; NodeDef: {{node %s}}",
                       attr, rill__dtype_proto_name(t), list, op->name ? op->name : op->def->type);
  return false;
}

/* ---- binary ---- */

bool rill__binary_infer(rill_op *op, unsigned allowed, bool bool_out) {
  if (op->n_inputs != 2) return rill_op_shape_error(op, "Expected 2 inputs but got %d", op->n_inputs);
  if (!rill_op_check_same_dtype(op, 0, 2)) return false;
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__check_dtype(op, t, allowed, "T")) return false;
  rill_shape a = rill_op_input_shape(op, 0), b = rill_op_input_shape(op, 1), o;
  if (!rill_broadcast_shapes(a, b, &o)) {
    /* TF reports the first mismatch from the right */
    for (int i = 1; i <= a.rank && i <= b.rank; i++) {
      int64_t da = a.dims[a.rank - i], db = b.dims[b.rank - i];
      if (da > 1 && db > 1 && da != db)
        return rill_op_shape_error(op, "Dimensions must be equal, but are %lld and %lld", (long long)da,
                                   (long long)db);
    }
    return rill_op_shape_error(op, "Incompatible shapes");
  }
  rill_op_set_output(op, bool_out ? RILL_BOOL : t, o);
  return true;
}

typedef struct ew_job {
  const rill_bcast *p;
  const char *x, *y;
  char *z;
  size_t ex, ey, ez;
  rill_bcast_run_fn fn;
} ew_job;

static void bin_rows(void *arg, int64_t b, int64_t e) {
  const ew_job *j = arg;
  rill_bcast_rows(j->p, j->x, j->ex, j->y, j->ey, j->z, j->ez, b, e, j->fn);
}

/* One long run (same shapes, or an operand that is a single element) split by elements. */
static void bin_flat(void *arg, int64_t b, int64_t e) {
  const ew_job *j = arg;
  int xs = j->p->xs[0] != 0, ys = j->p->ys[0] != 0;
  j->fn(j->x + (size_t)(b * xs) * j->ex, j->y + (size_t)(b * ys) * j->ey, j->z + (size_t)b * j->ez, e - b, xs, ys);
}

static bool has_zero(const rill_tensor *t) {
  for (int64_t i = 0; i < t->n; i++) {
    if (t->dtype == RILL_INT32 && ((const int32_t *)t->data)[i] == 0) return true;
    if (t->dtype == RILL_INT64 && ((const int64_t *)t->data)[i] == 0) return true;
    if (t->dtype == RILL_UINT8 && ((const uint8_t *)t->data)[i] == 0) return true;
  }
  return false;
}

bool rill__binary_kernel(rill_kctx *k, const rill__binop *b) {
  rill_tensor *x = rill_k_in(k, 0), *y = rill_k_in(k, 1);
  int s = rill__dt_slot(x->dtype);
  if (s < 0 || !b->run[s] || y->dtype != x->dtype)
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "No kernel for %s with operands of dtype %s and %s",
                       rill_k_op(k)->def->type, rill_dtype_name(x->dtype), rill_dtype_name(y->dtype));
  rill_bcast p;
  rill_shape os;
  if (!rill_bcast_plan(x->shape, y->shape, &os, &p)) {
    char a[160], c[160];
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Incompatible shapes: %s vs. %s", rill_shape_dbg(x->shape, a, sizeof a),
                       rill_shape_dbg(y->shape, c, sizeof c));
  }
  if (b->int_div && rill_dtype_is_integer(x->dtype) && has_zero(y))
    return rill_k_fail(k, RILL_INVALID_ARGUMENT, "Integer division by zero");
  rill_tensor *z = NULL;
  if (!b->bool_out) {
    if (rill_shape_equal(x->shape, os)) z = rill_k_forward_input(k, 0, 0);
    if (!z && rill_shape_equal(y->shape, os)) z = rill_k_forward_input(k, 1, 0);
  }
  if (!z && !(z = rill_k_alloc_uninit(k, 0, b->bool_out ? RILL_BOOL : x->dtype, os))) return false;
  ew_job j = {&p, x->data, y->data, z->data, rill_dtype_size(x->dtype), rill_dtype_size(y->dtype),
              rill_dtype_size(z->dtype), b->run[s]};
  if (p.n < RILL__PARALLEL_MIN)
    bin_rows(&j, 0, p.rows);
  else if (p.rows == 1)
    rill_k_parallel_for(k, p.n, RILL__GRAIN, bin_flat, &j);
  else
    rill_k_parallel_for(k, p.rows, RILL__GRAIN / p.inner > 0 ? RILL__GRAIN / p.inner : 1, bin_rows, &j);
  return true;
}

/* ---- unary ---- */

bool rill__unary_infer(rill_op *op, unsigned allowed) {
  if (op->n_inputs != 1) return rill_op_shape_error(op, "Expected 1 input but got %d", op->n_inputs);
  rill_dtype t = rill_op_input_dtype(op, 0);
  if (!rill__check_dtype(op, t, allowed, "T")) return false;
  rill_op_set_output(op, t, rill_op_input_shape(op, 0));
  return true;
}

typedef struct un_job {
  const char *x;
  char *y;
  size_t ex, ey;
  rill__unary_fn fn;
} un_job;

static void un_chunk(void *arg, int64_t b, int64_t e) {
  const un_job *j = arg;
  j->fn(j->x + (size_t)b * j->ex, j->y + (size_t)b * j->ey, e - b);
}

bool rill__unary_kernel(rill_kctx *k, const rill__unop *u) {
  rill_tensor *x = rill_k_in(k, 0);
  int s = rill__dt_slot(x->dtype);
  if (s < 0 || !u->run[s])
    return rill_k_fail(k, RILL_UNIMPLEMENTED, "No kernel for %s with dtype %s", rill_k_op(k)->def->type,
                       rill_dtype_name(x->dtype));
  rill_tensor *y = rill_k_forward_input(k, 0, 0);
  if (!y && !(y = rill_k_alloc_uninit(k, 0, x->dtype, x->shape))) return false;
  un_job j = {x->data, y->data, rill_dtype_size(x->dtype), rill_dtype_size(y->dtype), u->run[s]};
  if (x->n < RILL__PARALLEL_MIN)
    un_chunk(&j, 0, x->n);
  else
    rill_k_parallel_for(k, x->n, RILL__GRAIN, un_chunk, &j);
  return true;
}

/* ---- builders ---- */

rill_output rill__unary(rill_graph *g, const char *type, rill_output x, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

rill_output rill__binary(rill_graph *g, const char *type, rill_output x, rill_output y, const char *name) {
  rill_op_builder *b = rill_op_builder_new(g, type, name);
  rill_op_builder_add_input(b, x);
  rill_op_builder_add_input(b, y);
  rill_op_builder_attr_type(b, "T", rill_output_dtype(x));
  return rill_op_output(rill_op_builder_finish(b), 0);
}

char *rill__op_scope(rill_graph *g, const char *name, const char *dflt) {
  rill_name_scope_push(g, name ? name : dflt);
  return rill__strdup(rill_name_scope(g));
}

rill_output rill__const_ints(rill_graph *g, const int64_t *v, int n, const char *name) {
  int32_t buf[RILL_MAX_RANK * 2 + 1];
  int32_t *p = n <= (int)(sizeof buf / sizeof buf[0]) ? buf : malloc((size_t)n * sizeof *p);
  if (!p) {
    rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return RILL_NO_OUTPUT;
  }
  for (int i = 0; i < n; i++) p[i] = (int32_t)v[i];
  int64_t dim = n;
  rill_output o = rill_const_int32(g, p, n, rill_shape_make(&dim, 1), name);
  if (p != buf) free(p);
  return o;
}
