/* The notes' best-practice MNIST network (seed-001 §6.4 and §8): 784-500-10 with ReLU,
 * weights from truncated_normal(stddev 0.1), biases 0.1, an L2 regularizer (1e-4) on the
 * weights through the "losses" collection, the learning rate exponential_decay(0.8,
 * global_step, 55000 / 100, 0.99), gradient descent on batches of 100, and an exponential
 * moving average (0.99, num_updates = global_step) of every trainable variable. The train op is
 * a no_op depending on the descent step and the average update. Accuracy is measured with the
 * averaged weights: on the validation set every 1000 steps, on the test set at the end.
 *
 * Prints, like the notes:
 *   Steps = 0, validate accuracy using average model = 0.1292
 *   Steps = 1000, validate accuracy using average model = 0.9768
 *   ...
 *   test accuracy: 0.9840
 * (those numbers are the notes' MNIST run; Fashion-MNIST, the default data, ends near 0.89.)
 *
 * Usage: mnist_mlp [--steps N] [--data-dir DIR] [--seed N] [--threads N]
 *   --seed seeds both the weight initialisation (graph seed) and the batch order; default 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>
#include "example_util.h"

#define INPUT_NODE 784
#define LAYER1_NODE 500
#define OUTPUT_NODE 10
#define BATCH_SIZE 100
#define LEARNING_RATE_BASE 0.8
#define LEARNING_RATE_DECAY 0.99
#define REGULARIZATION_RATE 0.0001
#define MOVING_AVERAGE_DECAY 0.99

static int usage(void) {
  fprintf(stderr, "usage: mnist_mlp [--steps N] [--data-dir DIR] [--seed N] [--threads N]\n");
  return 2;
}

/* One fully connected layer in variable scope `scope`: weights (regularized into "losses" when
 * `regularize`) and biases. With `ema` the layer reuses the variables and computes with their
 * moving averages instead. */
static rill_output fc_layer(rill_graph *g, const char *scope, rill_output in, int64_t n_in, int64_t n_out, bool relu,
                            bool regularize, rill_ema *ema) {
  rill_variable_scope_push(g, scope, ema ? RILL_REUSE_TRUE : RILL_REUSE_INHERIT);
  rill_variable *w = rill_get_variable(g, "weights", RILL_FLOAT, RILL_SHAPE(n_in, n_out),
                                       rill_truncated_normal_initializer(0.0, 0.1, RILL_NO_SEED), 0);
  rill_variable *b =
      rill_get_variable(g, "biases", RILL_FLOAT, RILL_SHAPE(n_out), rill_constant_initializer(0.1), 0);
  if (regularize)
    rill_add_to_collection(g, "losses", rill_l2_regularizer(g, REGULARIZATION_RATE, rill_variable_value(w), NULL));
  if (ema) {
    w = rill_ema_average(ema, w);
    b = rill_ema_average(ema, b);
  }
  rill_output out = rill_add(g, rill_matmul(g, in, rill_variable_value(w), false, false, NULL),
                             rill_variable_value(b), NULL);
  if (relu) out = rill_relu(g, out, NULL);
  rill_variable_scope_pop(g);
  return out;
}

/* Logits of the 784-500-10 network (no softmax: the loss applies it). */
static rill_output inference(rill_graph *g, rill_output x, bool regularize, rill_ema *ema) {
  rill_output layer1 = fc_layer(g, "layer1", x, INPUT_NODE, LAYER1_NODE, true, regularize, ema);
  return fc_layer(g, "layer2", layer1, LAYER1_NODE, OUTPUT_NODE, false, regularize, ema);
}

/* Accuracy of the averaged model on a whole split. */
static bool evaluate(rill_session *sess, rill_output accuracy, const rill_output *feeds, rill_tensor *images,
                     rill_tensor *labels, double *acc, rill_status *st) {
  rill_tensor *vals[2] = {images, labels}, *out = NULL;
  rill_session_run(sess, feeds, vals, 2, &accuracy, &out, 1, NULL, 0, st);
  if (!out) return false;
  *acc = rill_tensor_get(out, 0);
  rill_tensor_unref(out);
  return true;
}

int main(int argc, char **argv) {
  const char *data_dir = NULL;
  long steps = 30000, seed = 1, threads = 0;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--data-dir")) {
      data_dir = argv[++i];
    } else if (i + 1 < argc && !strcmp(argv[i], "--steps")) {
      if (!example_parse_long(argv[++i], 0, &steps)) return usage();
    } else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
      if (!example_parse_long(argv[++i], 1, &seed)) return usage();
    } else if (i + 1 < argc && !strcmp(argv[i], "--threads")) {
      if (!example_parse_long(argv[++i], 0, &threads)) return usage();
    } else {
      return usage();
    }
  }

  rill_status *st;
  rill_graph *g;
  rill_mnist *mnist = example_open_mnist("mnist_mlp", data_dir, false, seed, &st, &g);
  if (!mnist) return 1;

  rill_graph_set_random_seed(g, seed);
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, INPUT_NODE), "x-input");
  rill_output y_ = rill_placeholder(g, RILL_INT64, RILL_SHAPE(-1), "y-input");
  rill_output y = inference(g, x, true, NULL);
  rill_variable *global_step = rill_get_or_create_global_step(g);

  /* Averages of every trainable variable (global_step is not trainable). */
  rill_ema *averages = rill_ema_new(g, MOVING_AVERAGE_DECAY, global_step, NULL);
  int n_trainable = rill_collection_size(g, RILL_TRAINABLE_VARIABLES);
  int n_losses = rill_collection_size(g, "losses");
  rill_variable **trainable = malloc(sizeof *trainable * (size_t)(n_trainable + 1));
  rill_output *reg = malloc(sizeof *reg * (size_t)(n_losses + 1));
  if (!trainable || !reg) rill_graph_set_error(g, RILL_RESOURCE_EXHAUSTED, "out of memory");
  for (int i = 0; trainable && i < n_trainable; i++)
    trainable[i] = rill_collection_variable(g, RILL_TRAINABLE_VARIABLES, i);
  for (int i = 0; reg && i < n_losses; i++) reg[i] = rill_collection_output(g, "losses", i);
  rill_op *averages_op = trainable ? rill_ema_apply(averages, trainable, n_trainable) : NULL;
  rill_output average_y = inference(g, x, false, averages);

  rill_output cross_entropy_mean =
      rill_reduce_mean(g, rill_sparse_softmax_cross_entropy_with_logits(g, y_, y, NULL), NULL, 0, false, NULL);
  rill_output regularization = reg ? rill_add_n(g, reg, n_losses, NULL) : RILL_NO_OUTPUT;
  rill_output loss = rill_add(g, cross_entropy_mean, regularization, NULL);
  free(trainable);
  free(reg);
  rill_output learning_rate = rill_exponential_decay(g, LEARNING_RATE_BASE, global_step,
                                                     (double)mnist->train.num_examples / BATCH_SIZE,
                                                     LEARNING_RATE_DECAY, false, NULL);
  rill_op *train_step = rill_optimizer_minimize(rill_gradient_descent_optimizer(g, learning_rate), loss,
                                                global_step, NULL, 0, NULL);
  rill_op *deps[2] = {train_step, averages_op};
  rill_control_dependencies_push(g, deps, 2);
  rill_op *train_op = rill_no_op(g, "train");
  rill_control_dependencies_pop(g);

  rill_output correct = rill_equal(g, rill_argmax(g, average_y, 1, NULL), y_, NULL);
  rill_output accuracy = rill_reduce_mean(g, rill_cast(g, correct, RILL_FLOAT, NULL), NULL, 0, false, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "mnist_mlp: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    rill_mnist_delete(mnist);
    rill_status_delete(st);
    rill_graph_delete(g);
    return 1;
  }

  int rc = 1;
  rill_session_options opts = rill_session_options_default();
  opts.intra_op_threads = (int)threads;
  rill_session *sess = rill_session_new(g, &opts, st);
  rill_tensor *bx = rill_tensor_new(RILL_FLOAT, RILL_SHAPE(BATCH_SIZE, INPUT_NODE), st);
  rill_tensor *by = rill_tensor_new(RILL_INT64, RILL_SHAPE(BATCH_SIZE), st);
  rill_tensor *val_x = rill_mnist_images_tensor(&mnist->validation);
  rill_tensor *val_y = rill_mnist_labels_tensor(&mnist->validation, false);
  rill_tensor *test_x = rill_mnist_images_tensor(&mnist->test);
  rill_tensor *test_y = rill_mnist_labels_tensor(&mnist->test, false);
  if (!sess || !bx || !by) goto done;
  if (!val_x || !val_y || !test_x || !test_y) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory for the evaluation sets");
    goto done;
  }
  rill_session_run_op(sess, init, st);
  if (rill_status_code(st) != RILL_OK) goto done;

  rill_output feeds[2] = {x, y_};
  rill_tensor *batch[2] = {bx, by};
  double acc;
  for (long i = 0; i < steps; i++) {
    if (i % 1000 == 0) {
      if (!evaluate(sess, accuracy, feeds, val_x, val_y, &acc, st)) goto done;
      printf("Steps = %ld, validate accuracy using average model = %g\n", i, acc);
      fflush(stdout);
    }
    rill_mnist_next_batch(&mnist->train, BATCH_SIZE, false, rill_tensor_float(bx), rill_tensor_int64(by));
    rill_session_run(sess, feeds, batch, 2, NULL, NULL, 0, &train_op, 1, st);
    if (rill_status_code(st) != RILL_OK) goto done;
  }
  if (!evaluate(sess, accuracy, feeds, test_x, test_y, &acc, st)) goto done;
  printf("test accuracy: %.4f\n", acc);
  rc = 0;
done:
  if (rc != 0) fprintf(stderr, "mnist_mlp: %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
  rill_tensor_unref(bx);
  rill_tensor_unref(by);
  rill_tensor_unref(val_x);
  rill_tensor_unref(val_y);
  rill_tensor_unref(test_x);
  rill_tensor_unref(test_y);
  rill_session_delete(sess);
  rill_mnist_delete(mnist);
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
