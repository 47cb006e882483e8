/* A program built against an installed Rill (install_test.sh): a constant through an Identity,
 * run in a session, with the value, names and version checked. Exit status 0 means it worked. */
#include <stdio.h>
#include <string.h>
#include <rill/rill.h>

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "consumer: check failed: %s (line %d)\n", #cond, __LINE__); \
      return 1;                                                       \
    }                                                                 \
  } while (0)

int main(int argc, char **argv) {
  if (argc > 1) CHECK(strcmp(argv[1], RILL_VERSION) == 0); /* header and package agree */
  rill_graph *g = rill_graph_new();
  CHECK(g != NULL);
  const float v[3] = {1.5f, -2.0f, 42.0f};
  rill_output c = rill_const_float(g, v, 3, RILL_SHAPE(3), NULL);
  rill_output y = rill_identity(g, c, "y");
  CHECK(rill_graph_code(g) == RILL_OK);
  char buf[128];
  CHECK(strcmp(rill_output_name(c, buf, sizeof buf), "Const:0") == 0);
  CHECK(strcmp(rill_op_type(y.op), "Identity") == 0);

  rill_status *st = rill_status_new();
  rill_session *s = rill_session_new(g, NULL, st);
  CHECK(s != NULL);
  rill_tensor *out = rill_session_eval(s, y, st);
  CHECK(rill_status_code(st) == RILL_OK);
  CHECK(out != NULL && rill_tensor_dtype(out) == RILL_FLOAT && rill_tensor_num_elements(out) == 3);
  CHECK(memcmp(rill_tensor_float(out), v, sizeof v) == 0);
  rill_tensor_unref(out);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
  printf("consumer: ok\n");
  return 0;
}
