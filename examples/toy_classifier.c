/* The book's three-layer classifier that the notes' linear example (toy_3layer.c) grows into:
 * 2 inputs, 3 hidden nodes, 1 output, weights from random_normal(stddev 1, seed 1), a sigmoid output with the
 * clipped cross entropy, Adam(0.001), 128 points from RandomState(1) labelled x1 + x2 < 1, and
 * 5000 steps over consecutive batches of 8.
 *
 * The data are numpy's own numbers (numpy_random.h), so with TF's random ops the run prints
 * what the Python program prints:
 *   After 0 training step(s), cross entropy on all data is 1.89805
 *   ...
 *   After 4000 training step(s), cross entropy on all data is 0.610309
 *
 * Usage: toy_classifier [--steps N] [--batch N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>
#include "numpy_random.h"

#define DATASET_SIZE 128

static bool parse_count(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v <= 0) return false;
  *out = v;
  return true;
}

static int usage(void) {
  fprintf(stderr, "usage: toy_classifier [--steps N] [--batch N]\n");
  return 2;
}

/* Prints a variable's current value under a heading. */
static bool print_value(rill_session *sess, rill_variable *v, const char *heading, rill_status *st) {
  rill_tensor *t = rill_session_eval(sess, rill_variable_value(v), st);
  if (!t) return false;
  char buf[512];
  printf("%s:\n%s\n", heading, rill_tensor_str(t, buf, sizeof buf));
  rill_tensor_unref(t);
  return true;
}

int main(int argc, char **argv) {
  long steps = 5000, batch_size = 8;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--steps")) {
      if (!parse_count(argv[++i], &steps)) return usage();
    } else if (i + 1 < argc && !strcmp(argv[i], "--batch")) {
      if (!parse_count(argv[++i], &batch_size) || batch_size > DATASET_SIZE) return usage();
    } else {
      return usage();
    }
  }

  /* rdm = RandomState(1); X = rdm.rand(128, 2); Y = [[int(x1 + x2 < 1)] for (x1, x2) in X] */
  float X[DATASET_SIZE * 2], Y[DATASET_SIZE];
  np_random rdm;
  np_random_seed(&rdm, 1);
  for (int i = 0; i < DATASET_SIZE; i++) {
    double x1 = np_random_rand(&rdm), x2 = np_random_rand(&rdm);
    X[2 * i] = (float)x1;
    X[2 * i + 1] = (float)x2;
    Y[i] = x1 + x2 < 1 ? 1.0f : 0.0f;
  }

  rill_graph *g = rill_graph_new();
  rill_status *st = rill_status_new();
  if (!g || !st) {
    fprintf(stderr, "toy_classifier: out of memory\n");
    rill_graph_delete(g);
    rill_status_delete(st);
    return 1;
  }
  rill_variable *w1 = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(2, 3), 0, 1, RILL_FLOAT, 1, NULL), NULL, 0);
  rill_variable *w2 = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(3, 1), 0, 1, RILL_FLOAT, 1, NULL), NULL, 0);
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 2), "x-input");
  rill_output y_ = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 1), "y-input");
  rill_output a = rill_matmul(g, x, rill_variable_value(w1), false, false, NULL);
  rill_output y = rill_sigmoid(g, rill_matmul(g, a, rill_variable_value(w2), false, false, NULL), NULL);
  /* -mean(y_ * log(clip(y)) + (1 - y_) * log(clip(1 - y))) */
  rill_output one = rill_scalar_float(g, 1.0f, NULL);
  rill_output pos = rill_mul(g, y_, rill_log(g, rill_clip_by_value(g, y, 1e-10, 1.0, NULL), NULL), NULL);
  rill_output neg = rill_mul(g, rill_sub(g, one, y_, NULL),
                             rill_log(g, rill_clip_by_value(g, rill_sub(g, one, y, NULL), 1e-10, 1.0, NULL), NULL), NULL);
  rill_output cross_entropy = rill_neg(g, rill_reduce_mean(g, rill_add(g, pos, neg, NULL), NULL, 0, false, NULL), NULL);
  rill_optimizer *adam = rill_adam_optimizer(g, rill_scalar_float(g, 0.001f, NULL), 0.9, 0.999, 1e-8);
  rill_op *train_step = rill_optimizer_minimize(adam, cross_entropy, NULL, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "toy_classifier: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    rill_graph_delete(g);
    rill_status_delete(st);
    return 1;
  }

  int rc = 1;
  rill_session *sess = rill_session_new(g, NULL, st);
  rill_tensor *all_x = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(DATASET_SIZE, 2), X, sizeof X, st);
  rill_tensor *all_y = rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(DATASET_SIZE, 1), Y, sizeof Y, st);
  if (!sess || !all_x || !all_y) goto done;
  rill_session_run_op(sess, init, st);
  if (rill_status_code(st) != RILL_OK) goto done;
  if (!print_value(sess, w1, "w1 before training", st) || !print_value(sess, w2, "w2 before training", st)) goto done;

  rill_output feeds[2] = {x, y_};
  for (long i = 0; i < steps; i++) {
    /* Consecutive windows over the data: X[start:end] with end capped at the data set. */
    long start = (i * batch_size) % DATASET_SIZE;
    long end = start + batch_size < DATASET_SIZE ? start + batch_size : DATASET_SIZE;
    rill_tensor *bx = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(end - start, 2), X + 2 * start,
                                       (size_t)(end - start) * 2 * sizeof(float), NULL, NULL, st);
    rill_tensor *by = rill_tensor_wrap(RILL_FLOAT, RILL_SHAPE(end - start, 1), Y + start,
                                       (size_t)(end - start) * sizeof(float), NULL, NULL, st);
    if (bx && by) {
      rill_tensor *vals[2] = {bx, by};
      rill_session_run(sess, feeds, vals, 2, NULL, NULL, 0, &train_step, 1, st);
    }
    rill_tensor_unref(bx);
    rill_tensor_unref(by);
    if (rill_status_code(st) != RILL_OK) goto done;
    if (i % 1000 == 0) {
      rill_tensor *vals[2] = {all_x, all_y}, *loss = NULL;
      rill_session_run(sess, feeds, vals, 2, &cross_entropy, &loss, 1, NULL, 0, st);
      if (!loss) goto done;
      printf("After %ld training step(s), cross entropy on all data is %g\n", i, rill_tensor_get(loss, 0));
      rill_tensor_unref(loss);
    }
  }
  if (!print_value(sess, w1, "w1 after training", st) || !print_value(sess, w2, "w2 after training", st)) goto done;
  rc = 0;
done:
  if (rc != 0) fprintf(stderr, "toy_classifier: %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
  rill_tensor_unref(all_x);
  rill_tensor_unref(all_y);
  rill_session_delete(sess);
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
