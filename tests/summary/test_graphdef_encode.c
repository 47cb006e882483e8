/* GraphDef encoding: the bytes of a Const node as TF serializes it (formats.md §4, attributes
 * in sorted-key order as TF's deterministic serialization writes them), and the input, device
 * and attribute forms of a bigger graph read back field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>
#include "io/graphdef.h"
#include "summary_test_util.h"

static uint8_t *encode(rill_graph *g, bool shapes, size_t *len) {
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  assert_true(rill__graphdef_encode(g, shapes, &b));
  return rill__pb_buf_release(&b, len);
}

static void test_const_bytes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  float v[2] = {1, 2};
  rill_const_float(g, v, 2, RILL_SHAPE(2), "Const");
  size_t len;
  uint8_t *got = encode(g, false, &len);
  static const uint8_t want[] = {
      0x0a, 0x3a, 0x0a, 0x05, 'C', 'o', 'n', 's', 't', 0x12, 0x05, 'C', 'o', 'n', 's', 't',
      0x2a, 0x0b, 0x0a, 0x05, 'd', 't', 'y', 'p', 'e', 0x12, 0x02, 0x30, 0x01,
      0x2a, 0x1d, 0x0a, 0x05, 'v', 'a', 'l', 'u', 'e', 0x12, 0x14, 0x42, 0x12, 0x08, 0x01, 0x12, 0x04, 0x12, 0x02,
      0x08, 0x02, 0x22, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40,
      0x22, 0x03, 0x08, 0x86, 0x01}; /* versions {producer: 134} */
  assert_true(bytes_equal(got, len, want, sizeof want, "Const GraphDef"));
  free(got);
  /* With shapes: "_output_shapes" {list {shape {dim {size: 2}}}} sorts first. */
  got = encode(g, true, &len);
  static const uint8_t entry[] = {0x2a, 0x1a, 0x0a, 0x0e, '_', 'o', 'u', 't', 'p', 'u', 't', '_', 's', 'h',
                                  'a', 'p', 'e', 's', 0x12, 0x08, 0x0a, 0x06, 0x3a, 0x04, 0x12, 0x02, 0x08, 0x02};
  assert_int_equal(len, sizeof want + sizeof entry);
  assert_int_equal(got[1], 0x3a + sizeof entry);
  assert_memory_equal(got + 16, entry, 28);
  free(got);
  rill_graph_delete(g);
}

/* NodeDef fields of node `name` in a serialized GraphDef. */
typedef struct node {
  char name[128], op[64], device[128];
  char inputs[8][128];
  int n_inputs;
  char attrs[16][64];
  const uint8_t *attr_val[16];
  size_t attr_len[16];
  int n_attrs;
} node;

static void copy_str(char *dst, size_t cap, const rill__pb_field *f) {
  size_t n = f->len < cap - 1 ? f->len : cap - 1;
  memcpy(dst, f->data, n);
  dst[n] = 0;
}

static bool find_node(const uint8_t *gd, size_t len, const char *name, node *out) {
  rill__pb_reader r;
  rill__pb_reader_init(&r, gd, len);
  rill__pb_field f;
  while (rill__pb_next(&r, &f, NULL) > 0) {
    if (f.number != 1) continue;
    memset(out, 0, sizeof *out);
    rill__pb_reader nr;
    rill__pb_reader_sub(&nr, &r, &f);
    rill__pb_field nf;
    while (rill__pb_next(&nr, &nf, NULL) > 0) {
      if (nf.number == 1) copy_str(out->name, sizeof out->name, &nf);
      else if (nf.number == 2) copy_str(out->op, sizeof out->op, &nf);
      else if (nf.number == 3 && out->n_inputs < 8) copy_str(out->inputs[out->n_inputs++], 128, &nf);
      else if (nf.number == 4) copy_str(out->device, sizeof out->device, &nf);
      else if (nf.number == 5 && out->n_attrs < 16) {
        rill__pb_reader er;
        rill__pb_reader_sub(&er, &nr, &nf);
        rill__pb_field ef;
        while (rill__pb_next(&er, &ef, NULL) > 0) {
          if (ef.number == 1) copy_str(out->attrs[out->n_attrs], 64, &ef);
          if (ef.number == 2) {
            out->attr_val[out->n_attrs] = ef.data;
            out->attr_len[out->n_attrs] = ef.len;
          }
        }
        out->n_attrs++;
      }
    }
    if (!strcmp(out->name, name)) return true;
  }
  return false;
}

static void test_inputs_devices_attrs(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 4), "x");
  rill_output parts[2];
  rill_split(g, x, 2, 1, parts, "split");
  rill_op *noop = rill_no_op(g, "first");
  rill_control_dependencies_push(g, &noop, 1);
  rill_device_push(g, "/cpu:0");
  rill_name_scope_push(g, "scope");
  rill_matmul(g, parts[1], rill_transpose(g, parts[0], (const int[]){1, 0}, NULL), false, true, "mm");
  rill_name_scope_pop(g);
  rill_device_pop(g);
  rill_control_dependencies_pop(g);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  size_t len;
  uint8_t *gd = encode(g, true, &len);
  node n;
  assert_true(find_node(gd, len, "scope/mm", &n));
  assert_string_equal(n.op, "MatMul");
  assert_string_equal(n.device, "/device:CPU:0"); /* TF's canonical form of "/cpu:0" */
  assert_int_equal(n.n_inputs, 3);
  assert_string_equal(n.inputs[0], "split:1"); /* output 1 */
  assert_string_equal(n.inputs[2], "^first");  /* the control input comes last */
  /* Attributes sorted by key, "_output_shapes" among them. */
  for (int i = 1; i < n.n_attrs; i++) assert_true(strcmp(n.attrs[i - 1], n.attrs[i]) < 0);
  bool saw_shapes = false, saw_tb = false;
  for (int i = 0; i < n.n_attrs; i++) {
    if (!strcmp(n.attrs[i], "_output_shapes")) {
      saw_shapes = true;
      /* list {shape {dim {size: -1} dim {size: 2}}} : size -1 as a ten-byte varint */
      static const uint8_t want[] = {0x0a, 0x13, 0x3a, 0x11, 0x12, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x02, 0x08, 0x02};
      assert_true(bytes_equal(n.attr_val[i], n.attr_len[i], want, sizeof want, "_output_shapes"));
    }
    if (!strcmp(n.attrs[i], "transpose_b")) {
      saw_tb = true;
      assert_int_equal(n.attr_len[i], 2); /* b: true */
      assert_int_equal(n.attr_val[i][0], 0x28);
      assert_int_equal(n.attr_val[i][1], 1);
    }
    if (!strcmp(n.attrs[i], "transpose_a")) { /* false is written too: AttrValue is a oneof */
      assert_int_equal(n.attr_len[i], 2);
      assert_int_equal(n.attr_val[i][1], 0);
    }
  }
  assert_true(saw_shapes && saw_tb);
  /* A NoOp has no outputs and so no "_output_shapes". */
  assert_true(find_node(gd, len, "first", &n));
  assert_int_equal(n.n_attrs, 0);
  assert_true(find_node(gd, len, "x", &n));
  for (int i = 0; i < n.n_attrs; i++)
    if (!strcmp(n.attrs[i], "shape")) {
      /* shape {dim {size: -1} dim {size: 4}} */
      static const uint8_t want[] = {0x3a, 0x11, 0x12, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x02, 0x08, 0x04};
      assert_true(bytes_equal(n.attr_val[i], n.attr_len[i], want, sizeof want, "shape"));
    }
  free(gd);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_const_bytes),
      cmocka_unit_test(test_inputs_devices_attrs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
