/* The notes' custom loss (seed-001 §6.1): predicting sales where selling too few costs 10 per
 * unit (loss_less) and too many costs 1 (loss_more), so the fitted weights end a little above
 * 1. One linear unit y = X w1, w1 from random_normal(stddev 1, seed 1), Adam(0.001), 5000 steps
 * of 8 random rows from 128 points x1, x2 ~ RandomState(1).rand() with target
 * x1 + x2 + U(-0.05, 0.05).
 *
 * The notes draw batches with an unseeded np.random.permutation; here they come from
 * RandomState(--seed) (default 1), so runs repeat. The notes end with
 *   w1 = [[1.0193471], [1.0428091]]
 * and the same program in TF with RandomState(1) batches gives [[1.020029], [1.0490419]].
 *
 * Usage: custom_loss [--steps N] [--seed N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>
#include "example_util.h"
#include "numpy_random.h"

#define DATA_SIZE 128
#define BATCH_SIZE 8

static int usage(void) {
  fprintf(stderr, "usage: custom_loss [--steps N] [--seed N]\n");
  return 2;
}

static bool print_loss(rill_session *sess, const rill_output *feeds, rill_tensor *const *vals, rill_output loss,
                       long step, rill_status *st) {
  rill_tensor *v = NULL;
  rill_session_run(sess, feeds, vals, 2, &loss, &v, 1, NULL, 0, st);
  if (!v) return false;
  printf("After %ld training step(s), loss on all data is %g\n", step, rill_tensor_get(v, 0));
  rill_tensor_unref(v);
  return true;
}

int main(int argc, char **argv) {
  long steps = 5000, seed = 1;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--steps")) {
      if (!example_parse_long(argv[++i], 1, &steps)) return usage();
    } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
      if (!example_parse_long(argv[++i], 0, &seed) || seed > 0xffffffffL) return usage();
    } else {
      return usage();
    }
  }

  /* rdm = RandomState(1); train_X = rdm.rand(128, 2);
   * train_y = [[x1 + x2 + rdm.rand() / 10.0 - 0.05] for x1, x2 in train_X] */
  float X[DATA_SIZE * 2], Y[DATA_SIZE];
  np_random rdm;
  np_random_seed(&rdm, 1);
  double xd[DATA_SIZE * 2];
  for (int i = 0; i < DATA_SIZE * 2; i++) xd[i] = np_random_rand(&rdm);
  for (int i = 0; i < DATA_SIZE; i++) {
    X[2 * i] = (float)xd[2 * i];
    X[2 * i + 1] = (float)xd[2 * i + 1];
    Y[i] = (float)(xd[2 * i] + xd[2 * i + 1] + np_random_rand(&rdm) / 10.0 - 0.05);
  }

  rill_graph *g = rill_graph_new();
  rill_status *st = rill_status_new();
  if (!g || !st) {
    fprintf(stderr, "custom_loss: out of memory\n");
    rill_graph_delete(g);
    rill_status_delete(st);
    return 1;
  }
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 2), "Input-X");
  rill_output y_ = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), "Input-y");
  rill_variable *w1 = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(2, 1), 0, 1, RILL_FLOAT, 1, NULL), NULL, 0);
  rill_output y = rill_matmul(g, x, rill_variable_value(w1), false, false, NULL);
  /* loss = reduce_mean(where(greater(y, y_), (y - y_) * loss_more, (y_ - y) * loss_less)) */
  rill_output more = rill_mul(g, rill_sub(g, y, y_, NULL), rill_scalar_float(g, 1.0f, NULL), NULL);
  rill_output less = rill_mul(g, rill_sub(g, y_, y, NULL), rill_scalar_float(g, 10.0f, NULL), NULL);
  rill_output loss =
      rill_reduce_mean(g, rill_where(g, rill_greater(g, y, y_, NULL), more, less, NULL), NULL, 0, false, NULL);
  rill_optimizer *adam = rill_adam_optimizer(g, rill_scalar_float(g, 0.001f, NULL), 0.9, 0.999, 1e-8);
  rill_op *train_step = rill_optimizer_minimize(adam, loss, NULL, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "custom_loss: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    rill_graph_delete(g);
    rill_status_delete(st);
    return 1;
  }

  int rc = 1;
  rill_session *sess = rill_session_new(g, NULL, st);
  rill_tensor *all_x = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(DATA_SIZE, 2), X, sizeof X, st);
  rill_tensor *all_y = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(DATA_SIZE, 1), Y, sizeof Y, st);
  rill_tensor *bx = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(BATCH_SIZE, 2), st);
  rill_tensor *by = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(BATCH_SIZE, 1), st);
  if (!sess || !all_x || !all_y || !bx || !by) goto done;
  rill_session_run_op(sess, init, st);
  if (rill_status_code(st) != RILL_OK) goto done;

  rill_output feeds[2] = {x, y_};
  rill_tensor *all[2] = {all_x, all_y}, *batch[2] = {bx, by};
  np_random perm_rng;
  np_random_seed(&perm_rng, (uint32_t)seed);
  int64_t perm[DATA_SIZE];
  for (long i = 0; i < steps; i++) {
    if (i % 1000 == 0 && !print_loss(sess, feeds, all, loss, i, st)) goto done;
    /* batch = permutation(128)[:8] */
    np_random_permutation(&perm_rng, perm, DATA_SIZE);
    float *px = rill_tensor_float(bx), *py = rill_tensor_float(by);
    for (int r = 0; r < BATCH_SIZE; r++) {
      px[2 * r] = X[2 * perm[r]];
      px[2 * r + 1] = X[2 * perm[r] + 1];
      py[r] = Y[perm[r]];
    }
    rill_session_run(sess, feeds, batch, 2, NULL, NULL, 0, &train_step, 1, st);
    if (rill_status_code(st) != RILL_OK) goto done;
  }
  if (!print_loss(sess, feeds, all, loss, steps, st)) goto done;
  rill_tensor *w = rill_session_eval(sess, rill_variable_value(w1), st);
  if (!w) goto done;
  char buf[256];
  printf("w1 = %s\n", rill_tensor_str(w, buf, sizeof buf));
  rill_tensor_unref(w);
  rc = 0;
done:
  if (rc != 0)
    fprintf(stderr, "custom_loss: %s: %s\n", rill_code_name(rill_status_code(st)),
            rill_status_message(st));
  rill_tensor_unref(all_x);
  rill_tensor_unref(all_y);
  rill_tensor_unref(bx);
  rill_tensor_unref(by);
  rill_session_delete(sess);
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
