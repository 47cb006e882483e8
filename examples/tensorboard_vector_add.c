/* The notes' vector-add graph for TensorBoard (seed-000 §10.1–§10.2): two inputs in the name
 * scopes "input1" and "input2" and their sum, written to an event file with a FileWriter:
 *
 *   with tf.name_scope("input1"):
 *       input1 = tf.constant([1.0, 2.0, 3.0], name="input1")
 *   with tf.name_scope("input2"):
 *       input2 = tf.Variable(tf.random_uniform([3], name="input2"))
 *   output = tf.add_n([input1, input2], name="add")
 *   writer = tf.summary.FileWriter("./log", tf.get_default_graph())
 *   writer.close()
 *
 * In TensorBoard's GRAPHS tab the two scopes show as boxes next to "add"; input2 expands into
 * the variable "input2/Variable" with its Assign and read ops, and the random_uniform subgraph
 * "input2/input2".
 *
 * Usage: tensorboard_vector_add [--log-dir DIR]   (default ./log)
 * then:  tensorboard --logdir=DIR */
#include <stdio.h>
#include <string.h>
#include <rill/rill.h>

int main(int argc, char **argv) {
  const char *log_dir = "./log";
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--log-dir")) {
      log_dir = argv[++i];
    } else {
      fprintf(stderr, "usage: tensorboard_vector_add [--log-dir DIR]\n");
      return 2;
    }
  }
  rill_graph *g = rill_graph_new();
  rill_status *st = rill_status_new();
  if (!g || !st) {
    fprintf(stderr, "tensorboard_vector_add: out of memory\n");
    rill_graph_delete(g);
    rill_status_delete(st);
    return 1;
  }
  rill_name_scope_push(g, "input1");
  const float values[3] = {1.0f, 2.0f, 3.0f};
  rill_output input1 = rill_const_float(g, values, 3, RILL_SHAPE(3), "input1");
  rill_name_scope_pop(g);
  rill_name_scope_push(g, "input2");
  rill_variable *input2 = rill_variable_new(
      g, rill_random_uniform(g, RILL_SHAPE(3), 0.0, 1.0, RILL_FLOAT, RILL_NO_SEED, "input2"), NULL, 0);
  rill_name_scope_pop(g);
  rill_output inputs[2] = {input1, input2 ? rill_variable_value(input2) : RILL_NO_OUTPUT};
  rill_add_n(g, inputs, 2, "add");
  int rc = 1;
  if (rill_graph_code(g) != RILL_OK) {
    fprintf(stderr, "tensorboard_vector_add: building the graph: %s\n", rill_status_message(rill_graph_status(g)));
    goto done;
  }
  rill_file_writer *writer = rill_file_writer_new(log_dir, g, 0, 0, st);
  if (!writer) {
    fprintf(stderr, "tensorboard_vector_add: %s\n", rill_status_message(st));
    goto done;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s", rill_file_writer_path(writer));
  if (!rill_file_writer_close(writer, st)) {
    fprintf(stderr, "tensorboard_vector_add: %s\n", rill_status_message(st));
    goto done;
  }
  printf("wrote the graph (%d ops) to %s\n", rill_graph_num_ops(g), path);
  printf("view it with: tensorboard --logdir=%s\n", log_dir);
  rc = 0;
done:
  rill_status_delete(st);
  rill_graph_delete(g);
  return rc;
}
