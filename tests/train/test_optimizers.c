/* Optimizers: each rule's first steps against its update formula computed here in doubles,
 * TF's slot and op names, global_step, var_list, unconnected variables and errors.
 *
 * The problem: loss = sum((w - t)^2) + 3 b^2, so dloss/dw = 2 (w - t) and dloss/db = 6 b. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <rill/rill.h>

static rill_status *st;

static int setup(void **state) {
  (void)state;
  st = rill_status_new();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  rill_status_delete(st);
  return 0;
}

static void expect_ok(rill_graph *g) {
  if (rill_graph_code(g) != RILL_OK) print_error("graph: %s\n", rill_status_message(rill_graph_status(g)));
  assert_int_equal(rill_graph_code(g), RILL_OK);
}

/* Relative tolerance, measured against at least 0.1 so values passing near zero do not turn
 * float32 rounding into large relative errors. */
static void expect_close(double got, double want, double rel) {
  if (fabs(got - want) > rel * fmax(fabs(want), 0.1)) {
    print_error("got %.12g, want %.12g\n", got, want);
    fail();
  }
}

#define N 3
static const double W0[N] = {1.0, -2.0, 3.0}, T[N] = {0.5, 0.5, -1.0}, B0 = 0.5;

typedef struct problem {
  rill_graph *g;
  rill_variable *w, *b, *step;
  rill_output loss;
  rill_session *s;
} problem;

static problem make_problem(rill_dtype dt) {
  problem p = {0};
  p.g = rill_graph_new();
  rill_output w0 = dt == RILL_FLOAT ? rill_const_float(p.g, (float[]){1, -2, 3}, N, RILL_SHAPE(N), NULL)
                                    : rill_const_double(p.g, W0, N, RILL_SHAPE(N), NULL);
  rill_output t = dt == RILL_FLOAT ? rill_const_float(p.g, (float[]){0.5f, 0.5f, -1}, N, RILL_SHAPE(N), NULL)
                                   : rill_const_double(p.g, T, N, RILL_SHAPE(N), NULL);
  p.w = rill_variable_new(p.g, w0, "w", 0);
  p.b = rill_variable_new(p.g, rill_scalar_of(p.g, dt, B0, NULL), "b", 0);
  p.step = rill_get_or_create_global_step(p.g);
  rill_output sq = rill_reduce_sum(p.g, rill_square(p.g, rill_sub(p.g, rill_variable_value(p.w), t, NULL), NULL),
                                   NULL, 0, false, NULL);
  rill_output b2 = rill_square(p.g, rill_variable_value(p.b), NULL);
  p.loss = rill_add(p.g, sq, rill_mul(p.g, rill_scalar_of(p.g, dt, 3, NULL), b2, NULL), NULL);
  return p;
}

static void start(problem *p) {
  rill_op *init = rill_global_variables_initializer(p->g);
  expect_ok(p->g);
  p->s = rill_session_new(p->g, NULL, st);
  assert_non_null(p->s);
  rill_session_run_op(p->s, init, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
}

static void run(problem *p, rill_op *op) {
  rill_session_run_op(p->s, op, st);
  if (rill_status_code(st) != RILL_OK) print_error("run: %s\n", rill_status_message(st));
  assert_int_equal(rill_status_code(st), RILL_OK);
}

/* Values of a variable as doubles. */
static void read_var(problem *p, rill_variable *v, double *out, int n) {
  rill_tensor *t = rill_session_eval(p->s, rill_variable_value(v), st);
  assert_non_null(t);
  assert_int_equal(rill_tensor_num_elements(t), n);
  for (int i = 0; i < n; i++) out[i] = rill_tensor_get(t, i);
  rill_tensor_unref(t);
}

static int64_t read_step(problem *p) {
  double s;
  read_var(p, p->step, &s, 1);
  return (int64_t)s;
}

static void finish(problem *p) {
  rill_session_delete(p->s);
  rill_graph_delete(p->g);
}

/* The reference: state of w (N values) and b (1 value) as one vector of N + 1. */
typedef struct ref_state {
  double x[N + 1];
  double s1[N + 1], s2[N + 1], s3[N + 1];
  int t;
} ref_state;

static void ref_init(ref_state *r, double s1, double s2, double s3) {
  for (int i = 0; i < N; i++) r->x[i] = W0[i];
  r->x[N] = B0;
  for (int i = 0; i <= N; i++) {
    r->s1[i] = s1;
    r->s2[i] = s2;
    r->s3[i] = s3;
  }
  r->t = 0;
}

static double ref_grad(const ref_state *r, int i) { return i < N ? 2 * (r->x[i] - T[i]) : 6 * r->x[N]; }

typedef enum { GD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, RMSPROP_CENTERED, ADAM } rule;

/* One step of each rule as the textbook (and TF's kernels) state it. h: lr, then the rule's
 * hyperparameters. */
static void ref_step(ref_state *r, rule kind, const double *h) {
  double g[N + 1];
  for (int i = 0; i <= N; i++) g[i] = ref_grad(r, i);
  r->t++;
  for (int i = 0; i <= N; i++) {
    double lr = h[0];
    switch (kind) {
      case GD: r->x[i] -= lr * g[i]; break;
      case MOMENTUM:
        r->s1[i] = h[1] * r->s1[i] + g[i];
        r->x[i] -= lr * r->s1[i];
        break;
      case NESTEROV:
        r->s1[i] = h[1] * r->s1[i] + g[i];
        r->x[i] -= lr * g[i] + lr * h[1] * r->s1[i];
        break;
      case ADAGRAD:
        r->s1[i] += g[i] * g[i];
        r->x[i] -= lr * g[i] / sqrt(r->s1[i]);
        break;
      case RMSPROP: /* h: lr, decay, momentum, epsilon; s1 = ms, s2 = mom */
        r->s1[i] = h[1] * r->s1[i] + (1 - h[1]) * g[i] * g[i];
        r->s2[i] = h[2] * r->s2[i] + lr * g[i] / sqrt(r->s1[i] + h[3]);
        r->x[i] -= r->s2[i];
        break;
      case RMSPROP_CENTERED: /* s3 = mg */
        r->s1[i] = h[1] * r->s1[i] + (1 - h[1]) * g[i] * g[i];
        r->s3[i] = h[1] * r->s3[i] + (1 - h[1]) * g[i];
        r->s2[i] = h[2] * r->s2[i] + lr * g[i] / sqrt(r->s1[i] - r->s3[i] * r->s3[i] + h[3]);
        r->x[i] -= r->s2[i];
        break;
      case ADAM: { /* h: lr, beta1, beta2, epsilon; s1 = m, s2 = v */
        double b1 = h[1], b2 = h[2];
        /* beta1^t and beta2^t live in float32 variables, multiplied once per step */
        float p1 = (float)b1, p2 = (float)b2;
        for (int j = 1; j < r->t; j++) {
          p1 *= (float)b1;
          p2 *= (float)b2;
        }
        r->s1[i] = b1 * r->s1[i] + (1 - b1) * g[i];
        r->s2[i] = b2 * r->s2[i] + (1 - b2) * g[i] * g[i];
        double alpha = lr * sqrt(1 - (double)p2) / (1 - (double)p1);
        r->x[i] -= alpha * r->s1[i] / (sqrt(r->s2[i]) + h[3]);
        break;
      }
    }
  }
}

static void expect_matches(problem *p, const ref_state *r, double rel) {
  double w[N], b;
  read_var(p, p->w, w, N);
  read_var(p, p->b, &b, 1);
  for (int i = 0; i < N; i++) expect_close(w[i], r->x[i], rel);
  expect_close(b, r->x[N], rel);
}

static rill_optimizer *make_opt(rill_graph *g, rule kind, const double *h, rill_dtype lr_dtype) {
  rill_output lr = lr_dtype == RILL_FLOAT ? rill_scalar_float(g, (float)h[0], "lr") : rill_scalar_double(g, h[0], "lr");
  switch (kind) {
    case GD: return rill_gradient_descent_optimizer(g, lr);
    case MOMENTUM: return rill_momentum_optimizer(g, lr, h[1], false);
    case NESTEROV: return rill_momentum_optimizer(g, lr, h[1], true);
    case ADAGRAD: return rill_adagrad_optimizer(g, lr, h[1]);
    case RMSPROP: return rill_rmsprop_optimizer(g, lr, h[1], h[2], h[3], false);
    case RMSPROP_CENTERED: return rill_rmsprop_optimizer(g, lr, h[1], h[2], h[3], true);
    case ADAM: return rill_adam_optimizer(g, lr, h[1], h[2], h[3]);
  }
  return NULL;
}

/* Runs `steps` steps of a rule on float32 variables and compares with the reference. */
static void check_rule(rule kind, const double *h, double s1, double s2, double s3) {
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = make_opt(p.g, kind, h, RILL_FLOAT);
  rill_op *train = rill_optimizer_minimize(opt, p.loss, p.step, NULL, 0, NULL);
  start(&p);
  ref_state r;
  ref_init(&r, s1, s2, s3);
  for (int k = 0; k < 5; k++) {
    run(&p, train);
    ref_step(&r, kind, h);
    expect_matches(&p, &r, 2e-6);
    assert_int_equal(read_step(&p), k + 1);
  }
  finish(&p);
}

static void test_gradient_descent(void **state) {
  (void)state;
  check_rule(GD, (double[]){0.1}, 0, 0, 0);
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_gradient_descent_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL));
  rill_op *train = rill_optimizer_minimize(opt, p.loss, p.step, NULL, 0, NULL);
  expect_ok(p.g);
  assert_string_equal(rill_optimizer_name(opt), "GradientDescent");
  /* TF's layout: updates grouped in "GradientDescent/update", then the step's AssignAdd named
   * after the optimizer depends on it */
  assert_string_equal(rill_op_name(train), "GradientDescent");
  assert_string_equal(rill_op_type(train), "AssignAdd");
  rill_op *upd = rill_graph_op_by_name(p.g, "GradientDescent/update_w/ApplyGradientDescent");
  assert_non_null(upd);
  assert_string_equal(rill_op_type(upd), "ApplyGradientDescent");
  assert_ptr_equal(rill_op_input(upd, 0).op, rill_variable_op(p.w));
  assert_non_null(rill_graph_op_by_name(p.g, "GradientDescent/update_b/ApplyGradientDescent"));
  rill_op *group = rill_graph_op_by_name(p.g, "GradientDescent/update");
  assert_non_null(group);
  assert_string_equal(rill_op_type(group), "NoOp");
  assert_int_equal(rill_op_num_control_inputs(group), 2);
  assert_int_equal(rill_collection_size(p.g, RILL_TRAIN_OP), 1);
  assert_ptr_equal(rill_collection_op(p.g, RILL_TRAIN_OP, 0), train);
  /* no slots for plain descent */
  assert_int_equal(rill_collection_size(p.g, RILL_GLOBAL_VARIABLES), 3);
  rill_graph_delete(p.g);
}

static void test_momentum(void **state) {
  (void)state;
  check_rule(MOMENTUM, (double[]){0.05, 0.9}, 0, 0, 0);
  check_rule(NESTEROV, (double[]){0.05, 0.9}, 0, 0, 0);
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_momentum_optimizer(p.g, rill_scalar_float(p.g, 0.05f, NULL), 0.9, true);
  rill_op *train = rill_optimizer_minimize(opt, p.loss, NULL, NULL, 0, NULL);
  expect_ok(p.g);
  rill_variable *slot = rill_optimizer_get_slot(opt, p.w, "momentum");
  assert_non_null(slot);
  assert_string_equal(rill_variable_name(slot), "w/Momentum");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(opt, p.b, "momentum")), "b/Momentum");
  assert_false(rill_variable_trainable(slot));
  assert_null(rill_optimizer_get_slot(opt, p.w, "m"));
  /* without a global step the group itself carries the name */
  assert_string_equal(rill_op_name(train), "Momentum");
  assert_string_equal(rill_op_type(train), "NoOp");
  rill_op *upd = rill_graph_op_by_name(p.g, "Momentum/update_w/ApplyMomentum");
  assert_non_null(upd);
  assert_true(rill_op_attr_bool(upd, "use_nesterov", false));
  assert_ptr_equal(rill_op_input(upd, 1).op, rill_variable_op(slot));
  assert_non_null(rill_graph_op_by_name(p.g, "Momentum/momentum"));
  rill_graph_delete(p.g);
}

static void test_adagrad(void **state) {
  (void)state;
  check_rule(ADAGRAD, (double[]){0.1, 0.1}, 0.1, 0, 0);
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_adagrad_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL), 0.25);
  rill_optimizer_minimize(opt, p.loss, p.step, NULL, 0, NULL);
  rill_variable *acc = rill_optimizer_get_slot(opt, p.w, "accumulator");
  assert_non_null(acc);
  assert_string_equal(rill_variable_name(acc), "w/Adagrad");
  start(&p);
  double a[N];
  read_var(&p, acc, a, N);
  for (int i = 0; i < N; i++) assert_true(a[i] == 0.25);
  finish(&p);

  rill_graph *g = rill_graph_new();
  assert_null(rill_adagrad_optimizer(g, rill_scalar_float(g, 0.1f, NULL), 0));
  assert_string_equal(rill_status_message(rill_graph_status(g)), "initial_accumulator_value must be positive: 0");
  rill_graph_delete(g);
}

static void test_rmsprop(void **state) {
  (void)state;
  check_rule(RMSPROP, (double[]){0.01, 0.9, 0.0, 1e-10}, 1, 0, 0);
  check_rule(RMSPROP, (double[]){0.01, 0.8, 0.5, 1e-6}, 1, 0, 0);
  check_rule(RMSPROP_CENTERED, (double[]){0.01, 0.9, 0.5, 1e-6}, 1, 0, 0);

  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *plain = rill_rmsprop_optimizer(p.g, rill_scalar_float(p.g, 0.01f, NULL), 0.9, 0, 1e-10, false);
  rill_optimizer_minimize(plain, p.loss, NULL, (rill_variable *[]){p.w}, 1, NULL);
  expect_ok(p.g);
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(plain, p.w, "rms")), "w/RMSProp");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(plain, p.w, "momentum")), "w/RMSProp_1");
  assert_null(rill_optimizer_get_slot(plain, p.w, "mg"));
  assert_non_null(rill_graph_op_by_name(p.g, "RMSProp/update_w/ApplyRMSProp"));
  rill_graph_delete(p.g);

  p = make_problem(RILL_FLOAT);
  rill_optimizer *cen = rill_rmsprop_optimizer(p.g, rill_scalar_float(p.g, 0.01f, NULL), 0.9, 0.5, 1e-6, true);
  rill_optimizer_minimize(cen, p.loss, NULL, (rill_variable *[]){p.w}, 1, NULL);
  expect_ok(p.g);
  /* TF's creation order: rms, mg, momentum */
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(cen, p.w, "rms")), "w/RMSProp");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(cen, p.w, "mg")), "w/RMSProp_1");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(cen, p.w, "momentum")), "w/RMSProp_2");
  rill_op *upd = rill_graph_op_by_name(p.g, "RMSProp/update_w/ApplyCenteredRMSProp");
  assert_non_null(upd);
  assert_ptr_equal(rill_op_input(upd, 1).op, rill_variable_op(rill_optimizer_get_slot(cen, p.w, "mg")));
  assert_ptr_equal(rill_op_input(upd, 2).op, rill_variable_op(rill_optimizer_get_slot(cen, p.w, "rms")));
  rill_graph_delete(p.g);
}

static void test_adam(void **state) {
  (void)state;
  check_rule(ADAM, (double[]){0.01, 0.9, 0.999, 1e-8}, 0, 0, 0);
  check_rule(ADAM, (double[]){0.1, 0.5, 0.75, 1e-3}, 0, 0, 0);

  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_adam_optimizer(p.g, rill_scalar_float(p.g, 0.01f, NULL), 0.9, 0.999, 1e-8);
  rill_op *train = rill_optimizer_minimize(opt, p.loss, NULL, NULL, 0, NULL);
  expect_ok(p.g);
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(opt, p.w, "m")), "w/Adam");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(opt, p.w, "v")), "w/Adam_1");
  assert_string_equal(rill_variable_name(rill_optimizer_get_slot(opt, p.b, "m")), "b/Adam");
  rill_op *b1p_op = rill_graph_op_by_name(p.g, "beta1_power");
  rill_op *b2p_op = rill_graph_op_by_name(p.g, "beta2_power");
  assert_non_null(b1p_op);
  assert_non_null(b2p_op);
  rill_variable *b1p = rill_graph_variable_for_op(p.g, b1p_op), *b2p = rill_graph_variable_for_op(p.g, b2p_op);
  assert_false(rill_variable_trainable(b1p));
  /* the powers' Assigns come after the updates, all grouped in "Adam" */
  assert_string_equal(rill_op_name(train), "Adam");
  assert_int_equal(rill_op_num_control_inputs(train), 4);
  rill_op *assign = rill_graph_op_by_name(p.g, "Adam/Assign");
  assert_non_null(assign);
  assert_ptr_equal(rill_op_input(assign, 0).op, b1p_op);
  rill_op *mul = rill_graph_op_by_name(p.g, "Adam/mul");
  assert_non_null(mul);
  assert_true(rill_op_num_control_inputs(mul) >= 2);
  start(&p);
  for (int k = 0; k < 3; k++) run(&p, train);
  double v1, v2;
  read_var(&p, b1p, &v1, 1);
  read_var(&p, b2p, &v2, 1);
  assert_true((float)v1 == 0.9f * 0.9f * 0.9f * 0.9f);
  assert_true((float)v2 == 0.999f * 0.999f * 0.999f * 0.999f);
  finish(&p);

  /* a second Adam in the graph gets its own powers */
  rill_graph *g = rill_graph_new();
  rill_variable *x = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "x", 0);
  rill_output l = rill_square(g, rill_variable_value(x), NULL);
  for (int i = 0; i < 2; i++)
    rill_optimizer_minimize(rill_adam_optimizer(g, rill_scalar_float(g, 0.1f, NULL), 0.9, 0.999, 1e-8), l, NULL, NULL,
                            0, NULL);
  expect_ok(g);
  assert_non_null(rill_graph_op_by_name(g, "beta1_power_1"));
  assert_non_null(rill_graph_op_by_name(g, "x/Adam_2"));
  assert_non_null(rill_graph_op_by_name(g, "Adam_1"));
  rill_graph_delete(g);
}

/* float64 variables: the float32 hyperparameters are cast to float64 (TF's math_ops.cast), so
 * the reference uses the float32-rounded values and agrees to double precision. */
static void test_float64_variables(void **state) {
  (void)state;
  const rule kinds[] = {GD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, RMSPROP_CENTERED, ADAM};
  const double hs[][4] = {{0.1}, {0.05, 0.9}, {0.05, 0.9}, {0.1, 0.1}, {0.01, 0.9, 0.3, 1e-10},
                          {0.01, 0.9, 0.5, 1e-6}, {0.01, 0.9, 0.999, 1e-8}};
  const double s1[] = {0, 0, 0, 0.1, 1, 1, 0};
  for (int k = 0; k < 7; k++) {
    problem p = make_problem(RILL_DOUBLE);
    rill_optimizer *opt = make_opt(p.g, kinds[k], hs[k], RILL_FLOAT);
    rill_op *train = rill_optimizer_minimize(opt, p.loss, p.step, NULL, 0, NULL);
    start(&p);
    ref_state r;
    ref_init(&r, s1[k], 0, 0);
    double h[4];
    for (int i = 0; i < 4; i++) h[i] = (double)(float)hs[k][i];
    for (int step = 0; step < 4; step++) {
      run(&p, train);
      ref_step(&r, kinds[k], h);
      expect_matches(&p, &r, 1e-12);
    }
    finish(&p);
  }
}

static void test_var_list(void **state) {
  (void)state;
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_momentum_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL), 0.9, false);
  rill_op *train = rill_optimizer_minimize(opt, p.loss, p.step, (rill_variable *[]){p.w}, 1, "train");
  expect_ok(p.g);
  assert_string_equal(rill_op_name(train), "train");
  assert_non_null(rill_graph_op_by_name(p.g, "train/update_w/ApplyMomentum"));
  assert_null(rill_graph_op_by_name(p.g, "train/update_b/ApplyMomentum"));
  assert_null(rill_optimizer_get_slot(opt, p.b, "momentum"));
  start(&p);
  run(&p, train);
  double b, w[N];
  read_var(&p, p.b, &b, 1);
  read_var(&p, p.w, w, N);
  assert_true(b == B0);
  expect_close(w[0], W0[0] - 0.1 * 2 * (W0[0] - T[0]), 1e-6);
  assert_int_equal(read_step(&p), 1);
  finish(&p);
}

/* compute_gradients gives no gradient for a variable the loss does not use; apply skips it
 * (no slot, no update), and with no gradient at all both calls fail like TF. */
static void test_unconnected_variable(void **state) {
  (void)state;
  problem p = make_problem(RILL_FLOAT);
  rill_variable *u = rill_variable_new(p.g, rill_scalar_float(p.g, 4, NULL), "u", 0);
  rill_optimizer *opt = rill_momentum_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL), 0.9, false);
  rill_grad_var gv[4];
  int n = rill_optimizer_compute_gradients(opt, p.loss, NULL, 0, gv, 4);
  assert_int_equal(n, 3); /* w, b, u: every trainable variable */
  assert_ptr_equal(gv[0].var, p.w);
  assert_ptr_equal(gv[2].var, u);
  assert_non_null(gv[0].grad.op);
  assert_non_null(gv[1].grad.op);
  assert_null(gv[2].grad.op);
  rill_op *train = rill_optimizer_apply_gradients(opt, gv, n, NULL, NULL);
  expect_ok(p.g);
  assert_null(rill_optimizer_get_slot(opt, u, "momentum"));
  assert_non_null(rill_optimizer_get_slot(opt, p.w, "momentum"));
  start(&p);
  run(&p, train);
  double uv;
  read_var(&p, u, &uv, 1);
  assert_true(uv == 4.0);
  /* the gradient is dloss/dw = 2 (w - t), evaluated at the updated w */
  double w[N];
  read_var(&p, p.w, w, N);
  rill_tensor *gw = rill_session_eval(p.s, gv[0].grad, st);
  assert_non_null(gw);
  for (int i = 0; i < N; i++) expect_close(rill_tensor_float(gw)[i], 2 * (w[i] - T[i]), 1e-6);
  rill_tensor_unref(gw);
  finish(&p);

  p = make_problem(RILL_FLOAT);
  u = rill_variable_new(p.g, rill_scalar_float(p.g, 4, NULL), "u", 0);
  opt = rill_gradient_descent_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL));
  assert_null(rill_optimizer_minimize(opt, p.loss, NULL, &u, 1, NULL));
  assert_int_equal(rill_graph_code(p.g), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(rill_graph_status(p.g)),
                         "No gradients provided for any variable, check your graph for ops that do not support "
                         "gradients, between variables [<tf.Variable 'u:0' shape=() dtype=float32_ref>] and loss "
                         "Tensor(\""));
  rill_graph_clear_error(p.g);
  rill_grad_var none = {RILL_NO_OUTPUT, u};
  assert_null(rill_optimizer_apply_gradients(opt, &none, 1, NULL, NULL));
  assert_string_equal(rill_status_message(rill_graph_status(p.g)),
                      "No gradients provided for any variable: [<tf.Variable 'u:0' shape=() dtype=float32_ref>].");
  rill_graph_delete(p.g);
}

/* Slots are made once per variable; a second apply_gradients reuses them and its ops get a
 * unique scope. */
static void test_apply_twice(void **state) {
  (void)state;
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_momentum_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL), 0.9, false);
  rill_grad_var gv[2];
  int n = rill_optimizer_compute_gradients(opt, p.loss, NULL, 0, gv, 2);
  assert_int_equal(n, 2);
  rill_op *a = rill_optimizer_apply_gradients(opt, gv, n, p.step, NULL);
  rill_variable *slot = rill_optimizer_get_slot(opt, p.w, "momentum");
  rill_op *b = rill_optimizer_apply_gradients(opt, gv, n, p.step, NULL);
  expect_ok(p.g);
  assert_ptr_equal(rill_optimizer_get_slot(opt, p.w, "momentum"), slot);
  assert_string_equal(rill_op_name(a), "Momentum");
  assert_string_equal(rill_op_name(b), "Momentum_1");
  assert_int_equal(rill_collection_size(p.g, RILL_TRAIN_OP), 2);
  /* too little room for the pairs is an error */
  assert_int_equal(rill_optimizer_compute_gradients(opt, p.loss, NULL, 0, gv, 1), -1);
  assert_int_equal(rill_graph_code(p.g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(p.g);
}

static void test_errors(void **state) {
  (void)state;
  /* running the update before the initializer: TF's uninitialized-value error */
  problem p = make_problem(RILL_FLOAT);
  rill_optimizer *opt = rill_adam_optimizer(p.g, rill_scalar_float(p.g, 0.1f, NULL), 0.9, 0.999, 1e-8);
  rill_op *train = rill_optimizer_minimize(opt, p.loss, p.step, NULL, 0, NULL);
  expect_ok(p.g);
  p.s = rill_session_new(p.g, NULL, st);
  rill_session_run_op(p.s, train, st);
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  assert_non_null(strstr(rill_status_message(st), "Attempting to use uninitialized value"));
  rill_status_clear(st);
  finish(&p);

  /* a gradient whose shape is only known at run time */
  rill_graph *g = rill_graph_new();
  rill_variable *w = rill_variable_new(g, rill_const_float(g, (float[]){1, 2, 3}, 3, RILL_SHAPE(3), NULL), "w", 0);
  rill_output grad = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "grad");
  rill_optimizer *gd = rill_gradient_descent_optimizer(g, rill_scalar_float(g, 0.1f, NULL));
  rill_grad_var gv = {grad, w};
  rill_op *apply = rill_optimizer_apply_gradients(gd, &gv, 1, NULL, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  expect_ok(g);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_session_run_op(s, init, st);
  rill_tensor *bad = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(2), (float[]){1, 1}, 8, st);
  rill_session_run(s, &grad, &bad, 1, NULL, NULL, 0, &apply, 1, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st), "var and delta do not have the same shape[3] [2]"));
  rill_status_clear(st);
  rill_tensor_unref(bad);
  rill_session_delete(s);

  /* shapes known at build time: TF's shape-function error */
  rill_grad_var mismatch = {rill_const_float(g, (float[]){1, 1}, 2, RILL_SHAPE(2), NULL), w};
  assert_null(rill_optimizer_apply_gradients(gd, &mismatch, 1, NULL, NULL));
  assert_non_null(strstr(rill_status_message(rill_graph_status(g)),
                         "Dimension 0 in both shapes must be equal, but are 3 and 2"));
  rill_graph_clear_error(g);
  /* the same variable as var and slot (only reachable by building the op by hand) */
  rill_op_builder *b = rill_op_builder_new(g, "ApplyMomentum", NULL);
  rill_op_builder_add_input(b, rill_variable_ref(w));
  rill_op_builder_add_input(b, rill_variable_ref(w));
  rill_op_builder_add_input(b, rill_scalar_float(g, 0.1f, NULL));
  rill_op_builder_add_input(b, rill_const_float(g, (float[]){1, 1, 1}, 3, RILL_SHAPE(3), NULL));
  rill_op_builder_add_input(b, rill_scalar_float(g, 0.9f, NULL));
  rill_op_builder_attr_type(b, "T", RILL_FLOAT);
  rill_op *twice = rill_op_builder_finish(b);
  expect_ok(g);
  s = rill_session_new(g, NULL, st);
  rill_session_run_op(s, init, st);
  rill_session_run_op(s, twice, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st), "ApplyMomentum: accum is the same variable as another input"));
  rill_status_clear(st);
  rill_session_delete(s);
  /* an integer variable cannot be optimized */
  rill_variable *iv = rill_variable_new(g, rill_scalar_int32(g, 1, NULL), "iv", 0);
  rill_grad_var ig = {rill_scalar_int32(g, 1, NULL), iv};
  assert_null(rill_optimizer_apply_gradients(gd, &ig, 1, NULL, NULL));
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Invalid type int32 for iv, expected: [float32, float64].");
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gradient_descent), cmocka_unit_test(test_momentum),
      cmocka_unit_test(test_adagrad),          cmocka_unit_test(test_rmsprop),
      cmocka_unit_test(test_adam),             cmocka_unit_test(test_float64_variables),
      cmocka_unit_test(test_var_list),         cmocka_unit_test(test_unconnected_variable),
      cmocka_unit_test(test_apply_twice),      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
