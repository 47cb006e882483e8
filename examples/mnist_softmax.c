/* MNIST softmax regression (seed-001 §6.3, TF's "MNIST for beginners"): y = softmax(xW + b)
 * with W and b zero, gradient descent at 0.5 for 1000 steps of 100 examples, then the accuracy
 * on the 10000 test images (the notes print 0.9077 on MNIST).
 *
 * Like the notes' program, the cross entropy is given the softmax output as its logits, so
 * softmax is applied twice; it still trains, a little more slowly than with the raw logits.
 *
 * Usage: mnist_softmax [--data-dir DIR] [--steps N] [--seed N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>
#include "example_util.h"

#define BATCH_SIZE 100

static int usage(void) {
  fprintf(stderr, "usage: mnist_softmax [--data-dir DIR] [--steps N] [--seed N]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *data_dir = NULL;
  long steps = 1000, seed = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--data-dir")) {
      data_dir = argv[++i];
    } else if (i + 1 < argc && !strcmp(argv[i], "--steps")) {
      if (!example_parse_long(argv[++i], 0, &steps)) return usage();
    } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
      if (!example_parse_long(argv[++i], 0, &seed)) return usage();
    } else {
      return usage();
    }
  }

  rill_status *st;
  rill_graph *g;
  rill_mnist *mnist = example_open_mnist("mnist_softmax", data_dir, true, seed, &st, &g);
  if (!mnist) return 1;

  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 784), NULL);
  rill_output y_ = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 10), NULL);
  rill_variable *W = rill_variable_new(g, rill_zeros(g, RILL_SHAPE(784, 10), RILL_FLOAT, NULL), NULL, 0);
  rill_variable *b = rill_variable_new(g, rill_zeros(g, RILL_SHAPE(10), RILL_FLOAT, NULL), NULL, 0);
  rill_output y = rill_softmax(
      g, rill_add(g, rill_matmul(g, x, rill_variable_value(W), false, false, NULL), rill_variable_value(b), NULL), NULL);
  rill_output cross_entropy =
      rill_reduce_mean(g, rill_softmax_cross_entropy_with_logits(g, y_, y, NULL), NULL, 0, false, NULL);
  rill_optimizer *sgd = rill_gradient_descent_optimizer(g, rill_scalar_float(g, 0.5f, NULL));
  rill_op *train_step = rill_optimizer_minimize(sgd, cross_entropy, NULL, NULL, 0, NULL);
  rill_output correct = rill_equal(g, rill_argmax(g, y, 1, NULL), rill_argmax(g, y_, 1, NULL), NULL);
  rill_output accuracy = rill_reduce_mean(g, rill_cast(g, correct, RILL_FLOAT, NULL), NULL, 0, false, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "mnist_softmax: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    rill_mnist_delete(mnist);
    rill_status_delete(st);
    rill_graph_delete(g);
    return 1;
  }

  int rc = 1;
  rill_session *sess = rill_session_new(g, NULL, st);
  rill_tensor *bx = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(BATCH_SIZE, 784), st);
  rill_tensor *by = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(BATCH_SIZE, 10), st);
  rill_tensor *test_x = rill_mnist_images_tensor(&mnist->test);
  rill_tensor *test_y = rill_mnist_labels_tensor(&mnist->test, true);
  if (!sess || !bx || !by) goto done;
  if (!test_x || !test_y) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory for the test set");
    goto done;
  }
  rill_session_run_op(sess, init, st);
  if (rill_status_code(st) != RILL_OK) goto done;

  rill_output feeds[2] = {x, y_};
  rill_tensor *batch[2] = {bx, by};
  for (long i = 0; i < steps; i++) {
    rill_mnist_next_batch(&mnist->train, BATCH_SIZE, true, rill_tensor_float(bx), rill_tensor_float(by));
    rill_session_run(sess, feeds, batch, 2, NULL, NULL, 0, &train_step, 1, st);
    if (rill_status_code(st) != RILL_OK) goto done;
  }
  rill_tensor *test[2] = {test_x, test_y}, *acc = NULL;
  rill_session_run(sess, feeds, test, 2, &accuracy, &acc, 1, NULL, 0, st);
  if (!acc) goto done;
  printf("%g\n", rill_tensor_get(acc, 0));
  rill_tensor_unref(acc);
  rc = 0;
done:
  if (rc != 0) fprintf(stderr, "mnist_softmax: %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
  rill_tensor_unref(bx);
  rill_tensor_unref(by);
  rill_tensor_unref(test_x);
  rill_tensor_unref(test_y);
  rill_session_delete(sess);
  rill_mnist_delete(mnist);
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
