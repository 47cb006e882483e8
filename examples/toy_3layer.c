/* The notes' first network (seed-001 §4): 2 inputs, 3 hidden nodes, 1 output, no activation,
 * weights from random_normal(stddev 1), a zero bias on the hidden layer, the sum of squared
 * differences as the loss, and 1000 steps of gradient descent at 0.01 over the notes' four
 * samples. The notes print the loss before (13.379801 for their random start) and after
 * training (0.03600077), the trained w1, w2 and b, and the fitted outputs.
 *
 * Usage: toy_3layer [--steps N] [--seed N]   (the seed is the graph-level seed, default 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rill/rill.h>

static int usage(void) {
  fprintf(stderr, "usage: toy_3layer [--steps N] [--seed N]\n");
  return 2;
}

static void print_tensor(const char *label, rill_tensor *t) {
  char buf[1024];
  printf("%s %s\n", label, rill_tensor_str(t, buf, sizeof buf));
}

int main(int argc, char **argv) {
  long steps = 1000, seed = 1;
  for (int i = 1; i < argc; i++) {
    char *end = NULL;
    if (!strcmp(argv[i], "--steps") && i + 1 < argc)
      steps = strtol(argv[++i], &end, 10);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtol(argv[++i], &end, 10);
    else
      return usage();
    if (!end || *end || steps < 0) return usage();
  }

  /* train_X and train_y = [[0 if x1 + x2 < 0.6 else 1]] as in the notes */
  const float train_x[8] = {0.7f, 0.9f, 0.1f, 0.4f, 0.5f, 0.8f, 0.2f, 0.3f};
  float train_y[4];
  for (int i = 0; i < 4; i++) train_y[i] = train_x[2 * i] + train_x[2 * i + 1] < 0.6f ? 0.0f : 1.0f;

  rill_graph *g = rill_graph_new();
  if (!g) return 1;
  rill_graph_set_random_seed(g, seed);
  rill_output X = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), "input");
  rill_output y = rill_placeholder(g, RILL_FLOAT, rill_shape_unknown(), NULL);
  rill_variable *w1 = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(2, 3), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL),
                                        NULL, 0);
  rill_variable *w2 = rill_variable_new(g, rill_random_normal(g, RILL_SHAPE(3, 1), 0, 1, RILL_FLOAT, RILL_NO_SEED, NULL),
                                        NULL, 0);
  rill_variable *b = rill_variable_new(g, rill_const_float(g, (float[]){0, 0, 0}, 3, RILL_SHAPE(3), NULL), NULL, 0);
  rill_output a = rill_add(g, rill_matmul(g, X, rill_variable_value(w1), false, false, NULL), rill_variable_value(b), "add");
  rill_output linear_model = rill_matmul(g, a, rill_variable_value(w2), false, false, NULL);
  rill_output loss = rill_reduce_sum(g, rill_square(g, rill_sub(g, linear_model, y, "sub"), NULL), NULL, 0, false, NULL);
  rill_op *train = rill_optimizer_minimize(rill_gradient_descent_optimizer(g, rill_scalar_float(g, 0.01f, NULL)), loss,
                                           NULL, NULL, 0, NULL);
  rill_op *init = rill_global_variables_initializer(g);
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "toy_3layer: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    rill_graph_delete(g);
    return 1;
  }

  int rc = 1;
  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, NULL, st);
  rill_tensor *feeds[2] = {rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(4, 2), train_x, sizeof train_x, st),
                           rill_tensor_from_data(RILL_FLOAT, RILL_SHAPE(4, 1), train_y, sizeof train_y, st)};
  rill_output feed_at[2] = {X, y};
  rill_tensor *out[3] = {0};
  if (!s || !feeds[0] || !feeds[1]) goto done;
  rill_session_run_op(s, init, st);
  if (rill_status_code(st) != RILL_OK) goto done;

  rill_session_run(s, feed_at, feeds, 2, &loss, out, 1, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) goto done;
  printf("loss before training: %g\n", rill_tensor_float(out[0])[0]);
  rill_tensor_unref(out[0]);
  out[0] = NULL;
  for (long i = 0; i < steps && rill_status_code(st) == RILL_OK; i++)
    rill_session_run(s, feed_at, feeds, 2, NULL, NULL, 0, &train, 1, st);
  if (rill_status_code(st) != RILL_OK) goto done;

  rill_output params[3] = {rill_variable_value(w1), rill_variable_value(w2), rill_variable_value(b)};
  rill_session_run(s, NULL, NULL, 0, params, out, 3, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) goto done;
  print_tensor("w1", out[0]);
  print_tensor("w2", out[1]);
  print_tensor("b", out[2]);
  for (int i = 0; i < 3; i++) {
    rill_tensor_unref(out[i]);
    out[i] = NULL;
  }
  rill_output results[2] = {loss, linear_model};
  rill_session_run(s, feed_at, feeds, 2, results, out, 2, NULL, 0, st);
  if (rill_status_code(st) != RILL_OK) goto done;
  printf("loss after %ld steps: %g\n", steps, rill_tensor_float(out[0])[0]);
  print_tensor("linear_model", out[1]);
  rc = 0;
done:
  if (rc) fprintf(stderr, "toy_3layer: %s: %s\n", rill_code_name(rill_status_code(st)), rill_status_message(st));
  for (int i = 0; i < 3; i++) rill_tensor_unref(out[i]);
  rill_tensor_unref(feeds[0]);
  rill_tensor_unref(feeds[1]);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
