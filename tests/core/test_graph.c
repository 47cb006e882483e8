/* Graphs: TF's default and unique names, tensor names and printing, name and variable scopes,
 * get_variable's reuse rules, collections, control dependencies, devices, and the first-error
 * record. Expected names and messages are what TensorFlow 1.x (tf.compat.v1) produces. */
#include "core/core_util.h"

static void test_default_names_and_printing(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* seed-001 §2.2: print(a, b) for two float constants */
  rill_output a = rill_scalar_float(g, 3.0f, NULL);
  rill_output b = rill_scalar_float(g, 4.0f, NULL);
  assert_graph_ok(g);
  char buf[256];
  assert_string_equal(rill_output_str(a, buf, sizeof buf), "Tensor(\"Const:0\", shape=(), dtype=float32)");
  assert_string_equal(rill_output_str(b, buf, sizeof buf), "Tensor(\"Const_1:0\", shape=(), dtype=float32)");
  assert_string_equal(rill_op_name(a.op), "Const");
  assert_string_equal(rill_op_type(a.op), "Const");

  const float v[2] = {1, 2};
  rill_output c = rill_const_float(g, v, 2, RILL_SHAPE(2), NULL);
  assert_string_equal(rill_output_str(c, buf, sizeof buf), "Tensor(\"Const_2:0\", shape=(2,), dtype=float32)");
  rill_output x = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1, 784), "x-input");
  assert_string_equal(rill_output_str(x, buf, sizeof buf),
                      "Tensor(\"x-input:0\", shape=(?, 784), dtype=float32)");
  rill_output p = rill_placeholder(g, RILL_INT64, rill_shape_unknown(), NULL);
  assert_string_equal(rill_output_str(p, buf, sizeof buf),
                      "Tensor(\"Placeholder:0\", shape=<unknown>, dtype=int64)");
  assert_string_equal(rill_output_str(RILL_NO_OUTPUT, buf, sizeof buf), "Tensor(<none>)");

  /* the integer default dtype of tf.constant([1, 2]) is int32 */
  const int32_t iv[2] = {1, 2};
  rill_output ic = rill_const_int32(g, iv, 2, RILL_SHAPE(2), "c");
  assert_int_equal(rill_output_dtype(ic), RILL_INT32);
  assert_string_equal(out_name(ic), "c:0");
  assert_true(rill_shape_equal(rill_output_shape(ic), RILL_SHAPE(2)));

  /* the value and dtype attributes of a Const */
  const rill_tensor *val = rill_op_attr_tensor(c.op, "value");
  assert_non_null(val);
  assert_true(rill_tensor_float(val)[1] == 2.0f);
  assert_int_equal(rill_op_attr_type(c.op, "dtype", RILL_DT_INVALID), RILL_FLOAT);
  assert_int_equal(rill_op_attr_int(c.op, "missing", 17), 17);
  assert_null(rill_op_attr_string(c.op, "missing"));

  assert_int_equal(rill_graph_num_ops(g), 6);
  assert_ptr_equal(rill_graph_op(g, 0), a.op);
  assert_null(rill_graph_op(g, 6));
  assert_ptr_equal(rill_op_graph(a.op), g);
  rill_graph_delete(g);
  rill_graph_delete(NULL);
}

static const char *const_name(rill_graph *g, const char *name) {
  rill_output o = rill_scalar_float(g, 1, name);
  assert_graph_ok(g);
  return rill_op_name(o.op);
}

static void test_unique_names(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* seed-001 §2.1: repeated name='add' gives add_1, add_2 */
  assert_string_equal(const_name(g, "add"), "add");
  assert_string_equal(const_name(g, "add"), "add_1");
  assert_string_equal(const_name(g, "add"), "add_2");
  /* names are unique regardless of case, as in TF's Graph.unique_name */
  assert_string_equal(const_name(g, "a"), "a");
  assert_string_equal(const_name(g, "A"), "A_1");
  assert_string_equal(const_name(g, "a_1"), "a_1_1");
  assert_string_equal(const_name(g, "a"), "a_2");
  /* an explicit name that looks like a suffix is skipped over */
  assert_string_equal(const_name(g, "b_1"), "b_1");
  assert_string_equal(const_name(g, "b"), "b");
  assert_string_equal(const_name(g, "b"), "b_2");
  /* a name ending in '/' is taken exactly; a second use is an error */
  rill_op *exact = rill_op_builder_finish(rill_op_builder_new(g, "NoOp", "exact/"));
  assert_non_null(exact);
  assert_string_equal(rill_op_name(exact), "exact");
  assert_null(rill_op_builder_finish(rill_op_builder_new(g, "NoOp", "exact/")));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)), "Duplicate node name in graph: 'exact'");
  rill_graph_delete(g);
}

static void test_lookup_by_name(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output c = rill_scalar_float(g, 1, "v1");
  rill_output i = rill_identity(g, c, NULL);
  assert_graph_ok(g);
  assert_string_equal(out_name(i), "Identity:0");
  assert_ptr_equal(rill_graph_op_by_name(g, "v1"), c.op);
  assert_null(rill_graph_op_by_name(g, "V1")); /* lookups are exact */
  assert_null(rill_graph_op_by_name(g, "nope"));

  rill_status *st = rill_status_new();
  rill_output o = rill_graph_tensor_by_name(g, "Identity:0", st);
  assert_status_ok(st);
  assert_ptr_equal(o.op, i.op);
  assert_int_equal(o.index, 0);
  o = rill_graph_tensor_by_name(g, "v1", st);
  assert_false(rill_output_ok(o));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st),
                      "The name 'v1' refers to an Operation, not a Tensor. Tensor names must be of the form "
                      "\"<op_name>:<output_index>\".");
  o = rill_graph_tensor_by_name(g, "v1:1", st);
  assert_false(rill_output_ok(o));
  assert_int_equal(rill_status_code(st), RILL_NOT_FOUND);
  assert_string_equal(rill_status_message(st), "The name 'v1:1' refers to a Tensor which does not exist.");
  assert_false(rill_output_ok(rill_graph_tensor_by_name(g, "x:0", NULL)));

  /* inputs and outputs of the Identity */
  assert_int_equal(rill_op_num_inputs(i.op), 1);
  assert_ptr_equal(rill_op_input(i.op, 0).op, c.op);
  assert_false(rill_output_ok(rill_op_input(i.op, 1)));
  assert_int_equal(rill_op_num_outputs(i.op), 1);
  assert_false(rill_output_ok(rill_op_output(i.op, 1)));
  rill_status_delete(st);
  rill_graph_delete(g);
}

static void test_name_scopes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  assert_string_equal(rill_name_scope(g), "");
  rill_name_scope_push(g, "s");
  assert_string_equal(rill_name_scope(g), "s/");
  assert_string_equal(const_name(g, NULL), "s/Const");
  rill_name_scope_push(g, "t");
  assert_string_equal(rill_name_scope(g), "s/t/");
  assert_string_equal(const_name(g, NULL), "s/t/Const");
  /* a trailing '/' re-enters that exact scope */
  rill_name_scope_push(g, "s/");
  assert_string_equal(const_name(g, NULL), "s/Const_1");
  rill_name_scope_pop(g);
  /* "" resets to the root */
  rill_name_scope_push(g, "");
  assert_string_equal(rill_name_scope(g), "");
  assert_string_equal(const_name(g, NULL), "Const");
  rill_name_scope_pop(g);
  assert_string_equal(rill_name_scope(g), "s/t/");
  rill_name_scope_pop(g);
  rill_name_scope_pop(g);
  /* a scope name already used becomes s_1; ops and scopes share the name space */
  rill_name_scope_push(g, "s");
  assert_string_equal(rill_name_scope(g), "s_1/");
  rill_name_scope_pop(g);
  rill_name_scope_push(g, "Const");
  assert_string_equal(rill_name_scope(g), "Const_1/");
  rill_name_scope_pop(g);
  assert_string_equal(rill_name_scope(g), "");
  rill_name_scope_pop(g); /* an extra pop at the root is harmless */
  assert_string_equal(const_name(g, NULL), "Const_2");
  rill_graph_delete(g);
}

static rill_variable *get_var(rill_graph *g, const char *name) {
  return rill_get_variable(g, name, RILL_FLOAT, RILL_SHAPE(1), rill_constant_initializer(1.0), 0);
}

static void test_variable_scopes(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  /* seed-001 §5.8 */
  rill_variable_scope_push(g, "foo1", RILL_REUSE_INHERIT);
  rill_variable_scope_push(g, "foo2", RILL_REUSE_INHERIT);
  assert_string_equal(rill_variable_scope_name(g), "foo1/foo2");
  assert_string_equal(rill_name_scope(g), "foo1/foo2/");
  rill_variable *v = get_var(g, "v");
  assert_graph_ok(g);
  assert_string_equal(rill_variable_name(v), "foo1/foo2/v");
  assert_string_equal(out_name(rill_variable_ref(v)), "foo1/foo2/v:0");
  assert_string_equal(out_name(rill_variable_value(v)), "foo1/foo2/v/read:0");
  assert_string_equal(rill_op_name(rill_variable_initializer(v)), "foo1/foo2/v/Assign");
  assert_string_equal(rill_op_type(rill_variable_op(v)), "VariableV2");
  assert_int_equal(rill_variable_scope_reuse(g), RILL_REUSE_INHERIT);
  rill_variable_scope_pop(g);
  rill_variable_scope_pop(g);
  assert_string_equal(rill_variable_scope_name(g), "");
  assert_string_equal(rill_name_scope(g), "");

  /* reuse off: an existing name is an error */
  rill_variable_scope_push(g, "foo1/foo2", RILL_REUSE_INHERIT);
  assert_null(get_var(g, "v"));
  rill_variable_scope_pop(g);
  assert_int_equal(rill_graph_code(g), RILL_ALREADY_EXISTS);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Variable foo1/foo2/v already exists, disallowed. Did you mean to set reuse=True or "
                      "reuse=tf.AUTO_REUSE in VarScope?");
  rill_graph_clear_error(g);

  /* reuse on: an existing name is returned, a missing one is an error */
  rill_variable_scope_push(g, "foo1", RILL_REUSE_TRUE);
  assert_int_equal(rill_variable_scope_reuse(g), RILL_REUSE_TRUE);
  rill_variable_scope_push(g, "foo2", RILL_REUSE_INHERIT); /* inherits reuse */
  assert_int_equal(rill_variable_scope_reuse(g), RILL_REUSE_TRUE);
  assert_ptr_equal(get_var(g, "v"), v);
  assert_graph_ok(g);
  assert_null(get_var(g, "v1"));
  rill_variable_scope_pop(g);
  rill_variable_scope_pop(g);
  assert_int_equal(rill_graph_code(g), RILL_NOT_FOUND);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Variable foo1/foo2/v1 does not exist, or was not created with tf.get_variable(). Did you "
                      "mean to set reuse=tf.AUTO_REUSE in VarScope?");
  rill_graph_clear_error(g);

  /* the root scope with reuse fetches by full path */
  rill_variable_scope_push(g, "", RILL_REUSE_TRUE);
  assert_string_equal(rill_name_scope(g), "");
  assert_ptr_equal(get_var(g, "foo1/foo2/v"), v);
  rill_variable_scope_pop(g);
  assert_graph_ok(g);

  /* sharing with a different shape or dtype is refused */
  rill_variable_scope_push(g, "foo1/foo2", RILL_REUSE_TRUE);
  assert_null(rill_get_variable(g, "v", RILL_FLOAT, RILL_SHAPE(2), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)),
                      "Trying to share variable foo1/foo2/v, but specified shape (2,) and found shape (1,).");
  rill_graph_clear_error(g);
  assert_null(rill_get_variable(g, "v", RILL_DOUBLE, RILL_SHAPE(1), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(g);
  rill_variable_scope_pop(g);

  /* AUTO_REUSE creates once, then returns the same variable */
  rill_variable_scope_push(g, "auto", RILL_AUTO_REUSE);
  rill_variable *w1 = get_var(g, "w");
  rill_variable *w2 = get_var(g, "w");
  rill_variable_scope_pop(g);
  assert_graph_ok(g);
  assert_non_null(w1);
  assert_ptr_equal(w1, w2);
  assert_string_equal(rill_variable_name(w1), "auto/w");

  /* entering a variable scope again opens a fresh name scope for ops (foo_1/), while
   * variables keep the variable-scope prefix */
  rill_variable_scope_push(g, "foo", RILL_REUSE_INHERIT);
  assert_string_equal(const_name(g, NULL), "foo/Const");
  rill_variable_scope_pop(g);
  rill_variable_scope_push(g, "foo", RILL_REUSE_INHERIT);
  assert_string_equal(const_name(g, NULL), "foo_1/Const");
  assert_string_equal(rill_variable_name(get_var(g, "z")), "foo/z");
  rill_variable_scope_pop(g);

  /* get_variable ignores name scopes */
  rill_name_scope_push(g, "ns");
  assert_string_equal(rill_variable_name(get_var(g, "gv")), "gv");
  assert_string_equal(const_name(g, NULL), "ns/Const");
  rill_name_scope_pop(g);

  /* a name is required, and a new variable needs a fully defined shape */
  assert_null(rill_get_variable(g, "", RILL_FLOAT, RILL_SHAPE(1), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(g);
  assert_null(rill_get_variable(g, "partial", RILL_FLOAT, RILL_SHAPE(-1), rill_zeros_initializer(), 0));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

static void test_tf_variable_names(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  const float one = 1;
  /* seed-001 §5.8: the Variable's name is not taken from its initial value's name */
  rill_variable *v = rill_variable_new(g, rill_const_float(g, &one, 1, RILL_SHAPE(1), "v"), NULL, 0);
  rill_variable *v1 = rill_variable_new(g, rill_scalar_float(g, 1, NULL), NULL, 0);
  rill_variable *w = rill_variable_new(g, rill_scalar_float(g, 2, NULL), "w", 0);
  assert_graph_ok(g);
  assert_string_equal(out_name(rill_variable_ref(v)), "Variable:0");
  assert_string_equal(out_name(rill_variable_ref(v1)), "Variable_1:0");
  assert_string_equal(rill_variable_name(w), "w");
  assert_string_equal(out_name(rill_variable_value(w)), "w/read:0");
  assert_string_equal(rill_op_type(rill_variable_value(w).op), "Identity");
  assert_string_equal(rill_op_name(rill_variable_initializer(w)), "w/Assign");
  assert_string_equal(rill_op_type(rill_variable_initializer(w)), "Assign");
  assert_ptr_equal(rill_variable_initial_value(w).op, rill_op_input(rill_variable_initializer(w), 1).op);
  assert_int_equal(rill_variable_dtype(w), RILL_FLOAT);
  assert_true(rill_shape_equal(rill_variable_shape(v), RILL_SHAPE(1)));
  assert_true(rill_variable_trainable(w));
  assert_ptr_equal(rill_graph_variable_for_op(g, rill_variable_op(w)), w);
  assert_null(rill_graph_variable_for_op(g, rill_variable_value(w).op));
  /* VariableV2 carries TF's attributes */
  rill_shape s;
  assert_true(rill_op_attr_shape(rill_variable_op(v), "shape", &s));
  assert_true(rill_shape_equal(s, RILL_SHAPE(1)));
  assert_int_equal(rill_op_attr_type(rill_variable_op(v), "dtype", RILL_DT_INVALID), RILL_FLOAT);

  /* tf.Variable names follow name scopes */
  rill_name_scope_push(g, "ns");
  assert_string_equal(rill_variable_name(rill_variable_new(g, rill_scalar_float(g, 1, NULL), NULL, 0)),
                      "ns/Variable");
  rill_name_scope_pop(g);

  /* an initial value must have a fully defined shape */
  rill_output p = rill_placeholder(g, RILL_FLOAT, RILL_SHAPE(-1), NULL);
  assert_null(rill_variable_new(g, p, NULL, 0));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

static void test_collections(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_variable *a = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "a", 0);
  rill_variable *b = rill_variable_new(g, rill_scalar_float(g, 2, NULL), "b", RILL_VAR_NOT_TRAINABLE);
  rill_variable *c = rill_variable_new(g, rill_scalar_float(g, 3, NULL), "c", RILL_VAR_LOCAL);
  assert_graph_ok(g);
  assert_int_equal(rill_collection_size(g, RILL_GLOBAL_VARIABLES), 2);
  assert_ptr_equal(rill_collection_variable(g, RILL_GLOBAL_VARIABLES, 0), a);
  assert_ptr_equal(rill_collection_variable(g, RILL_GLOBAL_VARIABLES, 1), b);
  assert_int_equal(rill_collection_size(g, RILL_TRAINABLE_VARIABLES), 2);
  assert_ptr_equal(rill_collection_variable(g, RILL_TRAINABLE_VARIABLES, 0), a);
  assert_ptr_equal(rill_collection_variable(g, RILL_TRAINABLE_VARIABLES, 1), c);
  assert_int_equal(rill_collection_size(g, RILL_LOCAL_VARIABLES), 1);
  assert_ptr_equal(rill_collection_variable(g, RILL_LOCAL_VARIABLES, 0), c);
  assert_false(rill_variable_trainable(b));
  /* a variable item read as an output is its value */
  assert_ptr_equal(rill_collection_output(g, RILL_GLOBAL_VARIABLES, 0).op, rill_variable_value(a).op);

  /* seed-001 §6.2: a user collection "losses" */
  rill_output l1 = rill_scalar_float(g, 0.5f, "l1");
  rill_output l2 = rill_scalar_float(g, 0.25f, "l2");
  rill_add_to_collection(g, "losses", l1);
  rill_add_to_collection(g, "losses", l2);
  rill_add_to_collection(g, "losses", RILL_NO_OUTPUT); /* ignored */
  assert_int_equal(rill_collection_size(g, "losses"), 2);
  assert_int_equal(rill_collection_kind(g, "losses", 0), RILL_ITEM_OUTPUT);
  assert_ptr_equal(rill_collection_output(g, "losses", 1).op, l2.op);
  assert_ptr_equal(rill_collection_op(g, "losses", 0), l1.op);
  assert_null(rill_collection_variable(g, "losses", 0));
  assert_false(rill_output_ok(rill_collection_output(g, "losses", 2)));
  assert_int_equal(rill_collection_size(g, "nothing"), 0);

  rill_op *noop = rill_no_op(g, NULL);
  rill_add_op_to_collection(g, RILL_UPDATE_OPS, noop);
  assert_int_equal(rill_collection_kind(g, RILL_UPDATE_OPS, 0), RILL_ITEM_OP);
  assert_ptr_equal(rill_collection_op(g, RILL_UPDATE_OPS, 0), noop);
  assert_false(rill_output_ok(rill_collection_output(g, RILL_UPDATE_OPS, 0)));

  int cookie = 7;
  rill_add_pointer_to_collection(g, "mine", &cookie);
  assert_int_equal(rill_collection_kind(g, "mine", 0), RILL_ITEM_POINTER);
  assert_ptr_equal(rill_collection_pointer(g, "mine", 0), &cookie);
  assert_null(rill_collection_pointer(g, "losses", 0));

  rill_add_variable_to_collection(g, "mine", a);
  assert_int_equal(rill_collection_kind(g, "mine", 1), RILL_ITEM_VARIABLE);

  /* keys in first-use order */
  const char *keys[] = {RILL_GLOBAL_VARIABLES, RILL_TRAINABLE_VARIABLES, RILL_LOCAL_VARIABLES, "losses",
                        RILL_UPDATE_OPS, "mine"};
  assert_int_equal(rill_num_collections(g), 6);
  for (int i = 0; i < 6; i++) assert_string_equal(rill_collection_key(g, i), keys[i]);
  assert_null(rill_collection_key(g, 6));
  rill_graph_delete(g);
}

static void test_control_dependencies(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_scalar_float(g, 1, "ca");
  rill_output b = rill_scalar_float(g, 2, "cb");
  rill_control_dependencies_push(g, &a.op, 1);
  rill_control_dependencies_push(g, &b.op, 1);
  rill_output d = rill_scalar_float(g, 3, NULL);
  rill_control_dependencies_push(g, NULL, 0); /* control_dependencies(None) */
  rill_output e = rill_scalar_float(g, 4, NULL);
  rill_control_dependencies_pop(g);
  rill_control_dependencies_pop(g);
  rill_output f = rill_scalar_float(g, 5, NULL);
  rill_control_dependencies_pop(g);
  rill_output h = rill_scalar_float(g, 6, NULL);
  assert_graph_ok(g);
  assert_int_equal(rill_op_num_control_inputs(d.op), 2);
  assert_ptr_equal(rill_op_control_input(d.op, 0), a.op);
  assert_ptr_equal(rill_op_control_input(d.op, 1), b.op);
  assert_null(rill_op_control_input(d.op, 2));
  assert_int_equal(rill_op_num_control_inputs(e.op), 0);
  assert_int_equal(rill_op_num_control_inputs(f.op), 1);
  assert_int_equal(rill_op_num_control_inputs(h.op), 0);

  /* seed-001 §3.5: group and no_op */
  rill_op *ops[] = {a.op, b.op};
  rill_op *grp = rill_group(g, ops, 2, NULL);
  assert_string_equal(rill_op_name(grp), "group_deps");
  assert_string_equal(rill_op_type(grp), "NoOp");
  assert_int_equal(rill_op_num_outputs(grp), 0);
  assert_int_equal(rill_op_num_control_inputs(grp), 2);
  rill_control_dependencies_push(g, ops, 2);
  rill_op *train = rill_no_op(g, "train");
  rill_control_dependencies_pop(g);
  assert_string_equal(rill_op_name(train), "train");
  assert_int_equal(rill_op_num_control_inputs(train), 2);
  assert_string_equal(rill_op_name(rill_no_op(g, NULL)), "NoOp");
  /* the same op twice is one dependency */
  rill_op *twice[] = {a.op, a.op};
  assert_int_equal(rill_op_num_control_inputs(rill_group(g, twice, 2, "g2")), 1);
  assert_graph_ok(g);

  /* an op of another graph cannot be a dependency */
  rill_graph *other = rill_graph_new();
  rill_output o = rill_scalar_float(other, 1, NULL);
  rill_control_dependencies_push(g, &o.op, 1);
  rill_control_dependencies_pop(g);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(g);
  assert_null(rill_group(g, &o.op, 1, NULL));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(other);
  rill_graph_delete(g);
}

static const char *device_of(rill_graph *g, const char *spec) {
  rill_device_push(g, spec);
  rill_output o = rill_scalar_float(g, 1, NULL);
  rill_device_pop(g);
  assert_graph_ok(g);
  return rill_op_device(o.op);
}

static void test_devices(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  assert_string_equal(rill_op_device(rill_scalar_float(g, 1, NULL).op), "");
  assert_string_equal(device_of(g, "/cpu:0"), "/device:CPU:0");
  assert_string_equal(device_of(g, "/CPU:0"), "/device:CPU:0");
  assert_string_equal(device_of(g, "/gpu:1"), "/device:GPU:1");
  assert_string_equal(device_of(g, "/gpu:*"), "/device:GPU:*");
  assert_string_equal(device_of(g, "/device:GPU:1"), "/device:GPU:1");
  assert_string_equal(device_of(g, "/job:worker/task:1/gpu:0"), "/job:worker/task:1/device:GPU:0");
  assert_string_equal(device_of(g, "/job:ps/replica:0/task:2/device:cpu:3"), "/job:ps/replica:0/task:2/device:CPU:3");
  assert_string_equal(device_of(g, "/job:w"), "/job:w");
  /* as in TF's DeviceSpec, the leading slash is optional and empty parts are skipped */
  assert_string_equal(device_of(g, "cpu:0"), "/device:CPU:0");
  assert_string_equal(device_of(g, "/cpu:0/"), "/device:CPU:0");

  /* nesting: the innermost spec wins, "" clears it */
  rill_device_push(g, "/gpu:0");
  rill_device_push(g, "");
  rill_output cleared = rill_scalar_float(g, 1, NULL);
  rill_device_pop(g);
  rill_output inner = rill_scalar_float(g, 1, NULL);
  rill_device_pop(g);
  assert_string_equal(rill_op_device(cleared.op), "");
  assert_string_equal(rill_op_device(inner.op), "/device:GPU:0");

  /* the builder can set a device too */
  rill_op_builder *b = rill_op_builder_new(g, "NoOp", NULL);
  rill_op_builder_set_device(b, "/job:localhost/cpu:0");
  assert_string_equal(rill_op_device(rill_op_builder_finish(b)), "/job:localhost/device:CPU:0");
  assert_graph_ok(g);

  /* malformed specs are build errors */
  const char *bad[] = {"/foo:bar", "/gpu:x", "/task:a", "/nonsense", "/replica:-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    rill_device_push(g, bad[i]);
    rill_device_pop(g);
    if (rill_graph_code(g) != RILL_INVALID_ARGUMENT) fail_msg("device spec '%s' was accepted", bad[i]);
    assert_contains(rill_status_message(rill_graph_status(g)), bad[i]);
    rill_graph_clear_error(g);
  }
  b = rill_op_builder_new(g, "NoOp", NULL);
  rill_op_builder_set_device(b, "/nonsense");
  assert_null(rill_op_builder_finish(b));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

static void test_first_error_is_kept(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_output a = rill_scalar_float(g, 1, NULL);
  const float v[3] = {1, 2, 3};
  assert_false(rill_output_ok(rill_const_float(g, v, 3, RILL_SHAPE(2, 2), "bad")));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  char first[512];
  snprintf(first, sizeof first, "%s", rill_status_message(rill_graph_status(g)));
  assert_contains(first, "bad");
  int n = rill_graph_num_ops(g);

  /* later builders are no-ops that return empty outputs */
  assert_false(rill_output_ok(rill_scalar_float(g, 2, NULL)));
  assert_false(rill_output_ok(rill_identity(g, a, NULL)));
  assert_null(rill_no_op(g, NULL));
  assert_null(rill_variable_new(g, a, NULL, 0));
  assert_null(get_var(g, "v"));
  assert_null(rill_global_variables_initializer(g));
  assert_int_equal(rill_graph_num_ops(g), n);
  rill_graph_set_error(g, RILL_INTERNAL, "second");
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(rill_graph_status(g)), first);

  /* once cleared, building goes on and names continue where they were */
  rill_graph_clear_error(g);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_op_name(rill_identity(g, a, NULL).op), "Identity");

  /* an unregistered type, an empty input, an input of another graph */
  assert_null(rill_op_builder_finish(rill_op_builder_new(g, "Bogus", NULL)));
  assert_int_equal(rill_graph_code(g), RILL_NOT_FOUND);
  assert_string_equal(rill_status_message(rill_graph_status(g)), "Op type not registered 'Bogus'");
  rill_graph_clear_error(g);
  assert_false(rill_output_ok(rill_identity(g, RILL_NO_OUTPUT, NULL)));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_clear_error(g);
  rill_graph *other = rill_graph_new();
  rill_output o = rill_scalar_float(other, 1, NULL);
  assert_false(rill_output_ok(rill_identity(g, o, "mixed")));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)), "must be from the same graph");
  rill_graph_clear_error(g);

  /* dtypes are not mixed implicitly */
  rill_variable *w = rill_variable_new(g, rill_scalar_float(g, 1, NULL), "w", 0);
  assert_false(rill_output_ok(rill_assign(g, w, rill_scalar_int32(g, 1, NULL), NULL)));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)), "'Assign'");
  rill_graph_clear_error(g);
  /* shapes are checked at build time */
  const float two[2] = {1, 2};
  assert_false(rill_output_ok(rill_assign(g, w, rill_const_float(g, two, 2, RILL_SHAPE(2), NULL), NULL)));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_contains(rill_status_message(rill_graph_status(g)), "with input shapes: [], [2].");
  rill_graph_delete(other);
  rill_graph_delete(g);
}

static void test_default_graph(void **state) {
  (void)state;
  rill_graph *g = rill_default_graph();
  assert_non_null(g);
  assert_ptr_equal(rill_default_graph(), g);
  rill_scalar_float(g, 1, NULL);
  assert_int_equal(rill_graph_num_ops(g), 1);
  rill_reset_default_graph();
  g = rill_default_graph();
  assert_int_equal(rill_graph_num_ops(g), 0);
  assert_string_equal(const_name(g, NULL), "Const");
  rill_reset_default_graph();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_names_and_printing),
      cmocka_unit_test(test_unique_names),
      cmocka_unit_test(test_lookup_by_name),
      cmocka_unit_test(test_name_scopes),
      cmocka_unit_test(test_variable_scopes),
      cmocka_unit_test(test_tf_variable_names),
      cmocka_unit_test(test_collections),
      cmocka_unit_test(test_control_dependencies),
      cmocka_unit_test(test_devices),
      cmocka_unit_test(test_first_error_is_kept),
      cmocka_unit_test(test_default_graph),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
