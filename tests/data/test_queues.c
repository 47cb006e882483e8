/* Queues, coordinators and queue runners: the notes' FIFOQueue example (0 10 1 11 2), TF's
 * blocking and close rules across threads, the session timeout, dequeue_many/up_to,
 * RandomShuffleQueue determinism, PaddingFIFOQueue padding, coordinator error propagation and
 * queue-runner shutdown. Every wait is bounded by operation_timeout_in_ms or a join grace
 * period, so a regression fails instead of hanging. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "rill/rill.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static rill_session *open_session(rill_graph *g, int64_t timeout_ms) {
  rill_session_options o = rill_session_options_default();
  o.intra_op_threads = 1;
  o.operation_timeout_in_ms = timeout_ms;
  rill_session *s = rill_session_new(g, &o, NULL);
  assert_non_null(s);
  return s;
}

static rill_output const_i32(rill_graph *g, int32_t v) { return rill_const_int32(g, &v, 1, rill_shape_scalar(), NULL); }

static void run_ok(rill_session *s, rill_op *op) {
  rill_status *st = rill_status_new();
  rill_session_run_op(s, op, st);
  if (rill_status_code(st) != RILL_OK) fail_msg("%s", rill_status_message(st));
  rill_status_delete(st);
}

/* Runs op and returns its error code, checking that the message contains `want`. */
static rill_code run_err(rill_session *s, rill_output fetch, rill_op *target, const char *want) {
  rill_status *st = rill_status_new();
  rill_tensor *v = NULL;
  rill_session_run(s, NULL, NULL, 0, fetch.op ? &fetch : NULL, &v, fetch.op ? 1 : 0, target ? &target : NULL,
                   target ? 1 : 0, st);
  rill_code c = rill_status_code(st);
  if (want && !strstr(rill_status_message(st), want)) fail_msg("message '%s' lacks '%s'", rill_status_message(st), want);
  rill_tensor_unref(v);
  rill_status_delete(st);
  return c;
}

static int32_t eval_i32(rill_session *s, rill_output o) {
  rill_status *st = rill_status_new();
  rill_tensor *t = rill_session_eval(s, o, st);
  if (!t) fail_msg("%s", rill_status_message(st));
  int32_t v = rill_tensor_int32(t)[0];
  rill_tensor_unref(t);
  rill_status_delete(st);
  return v;
}

/* The notes' queue_operate.py: prints 0 10 1 11 2. */
static void test_notes_example(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_output q = rill_fifo_queue(g, 2, &dt, 1, NULL, NULL);
  int32_t init_v[2] = {0, 10};
  rill_output iv = rill_const_int32(g, init_v, 2, RILL_SHAPE(2), NULL);
  rill_op *init = rill_queue_enqueue_many(g, q, &iv, NULL);
  rill_output x;
  assert_true(rill_queue_dequeue(g, q, &x, NULL));
  rill_output y = rill_add(g, x, const_i32(g, 1), NULL);
  rill_op *inc = rill_queue_enqueue(g, q, &y, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_op_name(q.op), "fifo_queue");
  assert_string_equal(rill_op_type(q.op), "FIFOQueueV2");
  assert_string_equal(rill_op_name(init), "fifo_queue_EnqueueMany");
  assert_string_equal(rill_op_name(x.op), "fifo_queue_Dequeue");
  assert_string_equal(rill_op_name(inc), "fifo_queue_enqueue");

  rill_session *s = open_session(g, 5000);
  run_ok(s, init);
  int32_t want[5] = {0, 10, 1, 11, 2};
  rill_status *st = rill_status_new();
  for (int i = 0; i < 5; i++) {
    rill_tensor *v = NULL;
    rill_session_run(s, NULL, NULL, 0, &x, &v, 1, &inc, 1, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    printf("%d%s", rill_tensor_int32(v)[0], i < 4 ? " " : "\n");
    assert_int_equal(rill_tensor_int32(v)[0], want[i]);
    rill_tensor_unref(v);
  }
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Enqueue after close is CANCELLED, dequeues drain and then hit OUT_OF_RANGE with TF's
 * message, a second close is CANCELLED; types are checked when building. */
static void test_close_semantics(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = rill_shape_scalar();
  rill_output q = rill_fifo_queue(g, 10, &dt, 1, &sh, NULL);
  rill_output one = const_i32(g, 1);
  rill_op *enq = rill_queue_enqueue(g, q, &one, NULL);
  rill_output x;
  rill_queue_dequeue(g, q, &x, NULL);
  rill_op *close = rill_queue_close(g, q, false, NULL);
  rill_output size = rill_queue_size(g, q, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_op_name(close), "fifo_queue_Close");
  assert_string_equal(rill_op_name(size.op), "fifo_queue_Size");

  rill_session *s = open_session(g, 5000);
  run_ok(s, enq);
  run_ok(s, enq);
  assert_int_equal(eval_i32(s, size), 2);
  run_ok(s, close);
  assert_int_equal(run_err(s, RILL_NO_OUTPUT, enq, "_fifo_queue' is closed."), RILL_CANCELLED);
  assert_int_equal(eval_i32(s, x), 1);
  assert_int_equal(eval_i32(s, x), 1);
  assert_int_equal(run_err(s, x, NULL, "_fifo_queue' is closed and has insufficient elements (requested 1, current size 0)"),
                   RILL_OUT_OF_RANGE);
  assert_int_equal(run_err(s, x, NULL, "[[{{node fifo_queue_Dequeue}}]]"), RILL_OUT_OF_RANGE);
  assert_int_equal(run_err(s, RILL_NO_OUTPUT, close, "is already closed."), RILL_CANCELLED);
  rill_session_delete(s);

  /* A new session has its own, open queue. */
  s = open_session(g, 5000);
  run_ok(s, enq);
  assert_int_equal(eval_i32(s, size), 1);
  rill_session_delete(s);

  float f = 1.0f;
  rill_output fv = rill_const_float(g, &f, 1, rill_shape_scalar(), NULL);
  assert_null(rill_queue_enqueue(g, q, &fv, NULL));
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(rill_graph_status(g)), "Type mismatch in tuple component 0"));
  rill_graph_clear_error(g);
  int32_t two[2] = {1, 2};
  rill_output v2 = rill_const_int32(g, two, 2, RILL_SHAPE(2), NULL);
  assert_null(rill_queue_enqueue(g, q, &v2, NULL));
  assert_non_null(strstr(rill_status_message(rill_graph_status(g)), "Shapes (2,) and () are incompatible"));
  rill_graph_delete(g);
}

/* ---- threads ---- */

typedef struct worker {
  pthread_t tid;
  rill_session *s;
  rill_output fetch;
  rill_op *target;
  rill_code code;
  char msg[512];
  int32_t value;
  atomic_bool done;
} worker;

static void *worker_main(void *p) {
  worker *w = p;
  rill_status *st = rill_status_new();
  rill_tensor *v = NULL;
  rill_session_run(w->s, NULL, NULL, 0, w->fetch.op ? &w->fetch : NULL, &v, w->fetch.op ? 1 : 0,
                   w->target ? &w->target : NULL, w->target ? 1 : 0, st);
  w->code = rill_status_code(st);
  snprintf(w->msg, sizeof w->msg, "%s", rill_status_message(st));
  if (v) w->value = rill_tensor_int32(v)[0];
  rill_tensor_unref(v);
  rill_status_delete(st);
  atomic_store(&w->done, true);
  return NULL;
}

static void start_worker(worker *w, rill_session *s, rill_output fetch, rill_op *target) {
  memset(w, 0, sizeof *w);
  w->s = s;
  w->fetch = fetch;
  w->target = target;
  assert_int_equal(pthread_create(&w->tid, NULL, worker_main, w), 0);
}

/* Blocks until w is done (at most 5 s: the session timeout ends any stuck wait sooner). */
static void finish_worker(worker *w) { pthread_join(w->tid, NULL); }

static void test_blocking_with_threads(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = rill_shape_scalar();
  rill_output q = rill_fifo_queue(g, 1, &dt, 1, &sh, NULL);
  rill_output seven = const_i32(g, 7);
  rill_op *enq = rill_queue_enqueue(g, q, &seven, NULL);
  rill_output x;
  rill_queue_dequeue(g, q, &x, NULL);
  rill_op *close = rill_queue_close(g, q, false, NULL);
  rill_op *cancel = rill_queue_close(g, q, true, NULL);
  rill_output size = rill_queue_size(g, q, NULL);
  rill_session *s = open_session(g, 5000);

  /* A dequeue on the empty open queue waits for an enqueue from another thread. */
  worker w;
  start_worker(&w, s, x, NULL);
  usleep(100000);
  assert_false(atomic_load(&w.done));
  run_ok(s, enq);
  finish_worker(&w);
  assert_int_equal(w.code, RILL_OK);
  assert_int_equal(w.value, 7);

  /* An enqueue on the full queue waits for room. */
  run_ok(s, enq);
  start_worker(&w, s, RILL_NO_OUTPUT, enq);
  usleep(100000);
  assert_false(atomic_load(&w.done));
  assert_int_equal(eval_i32(s, x), 7);
  finish_worker(&w);
  assert_int_equal(w.code, RILL_OK);
  assert_int_equal(eval_i32(s, size), 1);

  /* close() without cancel waits behind the pending enqueue, which completes first. */
  worker we, wc;
  start_worker(&we, s, RILL_NO_OUTPUT, enq);
  usleep(200000); /* the enqueue must be waiting before close arrives */
  start_worker(&wc, s, RILL_NO_OUTPUT, close);
  usleep(50000);
  assert_false(atomic_load(&we.done));
  assert_false(atomic_load(&wc.done));
  assert_int_equal(eval_i32(s, x), 7);
  finish_worker(&we);
  finish_worker(&wc);
  assert_int_equal(we.code, RILL_OK);
  assert_int_equal(wc.code, RILL_OK);
  assert_int_equal(eval_i32(s, x), 7);
  /* A dequeue waiting on the empty queue when it is closed fails at once. */
  assert_int_equal(run_err(s, x, NULL, "is closed and has insufficient elements"), RILL_OUT_OF_RANGE);
  rill_session_delete(s);

  /* close(cancel_pending_enqueues) releases blocked enqueues with CANCELLED, and a blocked
   * dequeue on a queue closed meanwhile gets OUT_OF_RANGE. */
  s = open_session(g, 5000);
  run_ok(s, enq);
  start_worker(&we, s, RILL_NO_OUTPUT, enq);
  usleep(200000); /* the enqueue must be waiting before the cancel arrives */
  assert_false(atomic_load(&we.done));
  run_ok(s, cancel);
  finish_worker(&we);
  assert_int_equal(we.code, RILL_CANCELLED);
  assert_string_equal(we.msg, "Enqueue operation was cancelled\n\t [[{{node fifo_queue_enqueue}}]]");
  assert_int_equal(eval_i32(s, x), 7);
  rill_session_delete(s);

  s = open_session(g, 5000);
  start_worker(&w, s, x, NULL);
  usleep(50000);
  assert_false(atomic_load(&w.done));
  run_ok(s, close);
  finish_worker(&w);
  assert_int_equal(w.code, RILL_OUT_OF_RANGE);
  rill_session_delete(s);
  rill_graph_delete(g);
}

/* Without runners a dequeue would block forever, as in TF; operation_timeout_in_ms turns it
 * into DEADLINE_EXCEEDED, and the same for an enqueue on a full queue. */
static void test_timeout(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_output q = rill_fifo_queue(g, 1, &dt, 1, NULL, NULL);
  rill_output x;
  rill_queue_dequeue(g, q, &x, NULL);
  rill_output five = const_i32(g, 5);
  rill_op *enq = rill_queue_enqueue(g, q, &five, NULL);
  rill_session *s = open_session(g, 150);
  double t0 = now_s();
  assert_int_equal(run_err(s, x, NULL, "Timed out waiting for notification"), RILL_DEADLINE_EXCEEDED);
  double dt_s = now_s() - t0;
  assert_true(dt_s >= 0.14 && dt_s < 3.0);
  run_ok(s, enq);
  assert_int_equal(run_err(s, RILL_NO_OUTPUT, enq, "operation_timeout_in_ms"), RILL_DEADLINE_EXCEEDED);
  /* The timed-out attempts left the queue usable. */
  assert_int_equal(eval_i32(s, x), 5);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void check_floats(const rill_tensor *t, rill_shape shape, const float *want) {
  assert_true(rill_shape_equal(rill_tensor_shape(t), shape));
  const float *v = rill_tensor_data(t);
  for (int64_t i = 0; i < rill_shape_num_elements(shape); i++) assert_float_equal(v[i], want[i], 0);
}

static void test_dequeue_many_and_up_to(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dts[2] = {RILL_FLOAT, RILL_INT32};
  rill_shape shs[2] = {RILL_SHAPE(2), rill_shape_scalar()};
  rill_output q = rill_fifo_queue(g, 10, dts, 2, shs, NULL);
  float fv[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  int32_t iv[5] = {10, 11, 12, 13, 14};
  rill_output vals[2] = {rill_const_float(g, fv, 10, RILL_SHAPE(5, 2), NULL), rill_const_int32(g, iv, 5, RILL_SHAPE(5), NULL)};
  rill_op *enq = rill_queue_enqueue_many(g, q, vals, NULL);
  rill_output two = const_i32(g, 2), many[2], upto[2];
  assert_true(rill_queue_dequeue_many(g, q, two, many, NULL));
  assert_true(rill_queue_dequeue_up_to(g, q, two, upto, NULL));
  rill_op *close = rill_queue_close(g, q, false, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_int_equal(rill_output_shape(many[0]).dims[0], 2);
  assert_int_equal(rill_output_shape(many[0]).dims[1], 2);
  assert_int_equal(rill_output_shape(upto[0]).dims[0], -1);
  assert_string_equal(rill_op_name(many[0].op), "fifo_queue_DequeueMany");
  assert_string_equal(rill_op_name(upto[0].op), "fifo_queue_DequeueUpTo");

  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  run_ok(s, enq);
  rill_tensor *out[2];
  rill_session_run(s, NULL, NULL, 0, many, out, 2, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  check_floats(out[0], RILL_SHAPE(2, 2), (float[]){0, 1, 2, 3});
  assert_int_equal(rill_tensor_int32(out[1])[1], 11);
  rill_tensor_unref(out[0]);
  rill_tensor_unref(out[1]);
  run_ok(s, close);
  rill_session_run(s, NULL, NULL, 0, many, out, 2, NULL, 0, st);
  check_floats(out[0], RILL_SHAPE(2, 2), (float[]){4, 5, 6, 7});
  rill_tensor_unref(out[0]);
  rill_tensor_unref(out[1]);
  /* One left: dequeue_many(2) fails and keeps it; dequeue_up_to(2) returns it. */
  assert_int_equal(run_err(s, many[0], NULL, "insufficient elements (requested 2, current size 1)"), RILL_OUT_OF_RANGE);
  rill_session_run(s, NULL, NULL, 0, upto, out, 2, NULL, 0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  check_floats(out[0], RILL_SHAPE(1, 2), (float[]){8, 9});
  assert_int_equal(rill_tensor_int32(out[1])[0], 14);
  rill_tensor_unref(out[0]);
  rill_tensor_unref(out[1]);
  assert_int_equal(run_err(s, upto[0], NULL, "(requested 2, current size 0)"), RILL_OUT_OF_RANGE);
  rill_session_delete(s);

  /* A queue without shapes cannot batch. */
  rill_output q2 = rill_fifo_queue(g, 10, dts, 1, NULL, "unshaped");
  rill_output m2;
  rill_queue_dequeue_many(g, q2, two, &m2, NULL);
  s = open_session(g, 5000);
  assert_int_equal(run_err(s, m2, NULL, "FIFOQueue's DequeueMany and DequeueUpTo require the components to have specified shapes."),
                   RILL_INVALID_ARGUMENT);
  rill_session_delete(s);
  rill_status_delete(st);
  rill_graph_delete(g);
}

/* Dequeues all 20 elements of a RandomShuffleQueue(min_after_dequeue=5) seeded with `seed`. */
static void shuffle_order(int64_t seed, int32_t *order) {
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = rill_shape_scalar();
  rill_output q = rill_random_shuffle_queue(g, 100, 5, &dt, 1, &sh, seed, NULL);
  int32_t v[20];
  for (int i = 0; i < 20; i++) v[i] = i;
  rill_output vals = rill_const_int32(g, v, 20, RILL_SHAPE(20), NULL);
  rill_op *enq = rill_queue_enqueue_many(g, q, &vals, NULL);
  rill_output x;
  rill_queue_dequeue(g, q, &x, NULL);
  rill_op *close = rill_queue_close(g, q, false, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_op_name(q.op), "random_shuffle_queue");
  assert_true(rill_op_attr_int(q.op, "seed2", 0) == seed);
  rill_session *s = open_session(g, 150);
  run_ok(s, enq);
  for (int i = 0; i < 15; i++) order[i] = eval_i32(s, x);
  /* Only min_after_dequeue elements are left: the next dequeue waits (until the timeout). */
  assert_int_equal(run_err(s, x, NULL, "RandomShuffleQueue '_"), RILL_DEADLINE_EXCEEDED);
  run_ok(s, close);
  for (int i = 15; i < 20; i++) order[i] = eval_i32(s, x);
  assert_int_equal(run_err(s, x, NULL, "RandomShuffleQueue '_"), RILL_OUT_OF_RANGE);
  rill_session_delete(s);
  rill_graph_delete(g);
}

static void test_random_shuffle_queue(void **state) {
  (void)state;
  int32_t a[20], b[20], c[20];
  shuffle_order(42, a);
  shuffle_order(42, b);
  shuffle_order(7, c);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  int seen[20] = {0}, in_place = 0;
  for (int i = 0; i < 20; i++) {
    assert_true(a[i] >= 0 && a[i] < 20);
    seen[a[i]]++;
    in_place += a[i] == i;
  }
  for (int i = 0; i < 20; i++) assert_int_equal(seen[i], 1);
  assert_true(in_place < 20);
  /* The first dequeue chooses among the 20 elements, not only the first 6. */
  printf("RandomShuffleQueue(seed=42) order:");
  for (int i = 0; i < 20; i++) printf(" %d", a[i]);
  printf("\n");
}

static void test_padding_fifo_queue(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = RILL_SHAPE(-1);
  rill_output q = rill_padding_fifo_queue(g, 10, &dt, 1, &sh, NULL);
  rill_output p = rill_placeholder(g, RILL_INT32, RILL_SHAPE(-1), "p");
  rill_op *enq = rill_queue_enqueue(g, q, &p, NULL);
  rill_output three = const_i32(g, 3), batch, one;
  rill_queue_dequeue_many(g, q, three, &batch, NULL);
  rill_queue_dequeue(g, q, &one, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_string_equal(rill_op_name(q.op), "padding_fifo_queue");
  assert_int_equal(rill_output_shape(batch).rank, 2);
  assert_int_equal(rill_output_shape(batch).dims[0], 3);
  assert_int_equal(rill_output_shape(batch).dims[1], -1);

  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  int32_t rows[3][3] = {{1, 2}, {3}, {4, 5, 6}};
  int lens[4] = {2, 1, 3, 2};
  for (int i = 0; i < 4; i++) {
    rill_tensor *t = rill_tensor_from_data(RILL_INT32, RILL_SHAPE(lens[i]), rows[i % 3], (size_t)lens[i] * 4, st);
    rill_session_run(s, &p, &t, 1, NULL, NULL, 0, &enq, 1, st);
    assert_int_equal(rill_status_code(st), RILL_OK);
    rill_tensor_unref(t);
  }
  rill_tensor *b = rill_session_eval(s, batch, st);
  assert_non_null(b);
  assert_true(rill_shape_equal(rill_tensor_shape(b), RILL_SHAPE(3, 3)));
  int32_t want[9] = {1, 2, 0, 3, 0, 0, 4, 5, 6};
  assert_memory_equal(rill_tensor_int32(b), want, sizeof want);
  rill_tensor_unref(b);
  /* A single dequeue keeps the element's own shape. */
  rill_tensor *o = rill_session_eval(s, one, st);
  assert_true(rill_shape_equal(rill_tensor_shape(o), RILL_SHAPE(2)));
  rill_tensor_unref(o);
  /* A rank-2 value does not fit shape [?]. */
  rill_tensor *bad = rill_tensor_from_data(RILL_INT32, RILL_SHAPE(1, 1), want, 4, st);
  rill_output pf = rill_placeholder(g, RILL_INT32, rill_shape_unknown(), "pf");
  rill_op *enq2 = rill_queue_enqueue(g, q, &pf, NULL);
  rill_session_run(s, &pf, &bad, 1, NULL, NULL, 0, &enq2, 1, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st), "Shape mismatch in tuple component 0. Expected [?], got [1,1]"));
  rill_tensor_unref(bad);
  rill_status_delete(st);
  rill_session_delete(s);

  rill_padding_fifo_queue(g, 10, &dt, 1, NULL, NULL);
  assert_int_equal(rill_graph_code(g), RILL_INVALID_ARGUMENT);
  rill_graph_delete(g);
}

/* ---- coordinator ---- */

typedef struct loop_arg {
  int id;
  int fail_after_ms;   /* > 0: report an error after this long */
  rill_code fail_code;
  int ignore_stop_ms;  /* > 0: keep running this long regardless of stop */
  atomic_int *iterations;
} loop_arg;

static void my_loop(rill_coordinator *c, void *p, rill_status *st) {
  loop_arg *a = p;
  double t0 = now_s();
  if (a->ignore_stop_ms > 0) {
    usleep((useconds_t)a->ignore_stop_ms * 1000);
    return;
  }
  while (!rill_coordinator_should_stop(c)) {
    atomic_fetch_add(a->iterations, 1);
    if (a->fail_after_ms > 0 && (now_s() - t0) * 1000 >= a->fail_after_ms) {
      rill_status_set(st, a->fail_code, "boom from id: %d", a->id);
      return;
    }
    usleep(1000);
  }
}

static void test_coordinator(void **state) {
  (void)state;
  atomic_int iters = 0;
  rill_status *st = rill_status_new();

  /* An error in one thread stops the others and comes back from join. */
  rill_coordinator *c = rill_coordinator_new();
  loop_arg args[5];
  for (int i = 0; i < 5; i++) {
    args[i] = (loop_arg){.id = i, .iterations = &iters};
    if (i == 3) {
      args[i].fail_after_ms = 30;
      args[i].fail_code = RILL_INVALID_ARGUMENT;
    }
    assert_true(rill_coordinator_start_thread(c, my_loop, &args[i], st));
  }
  double t0 = now_s();
  rill_coordinator_join(c, 5.0, st);
  assert_true(now_s() - t0 < 4.0);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_string_equal(rill_status_message(st), "boom from id: 3");
  assert_true(rill_coordinator_should_stop(c));
  assert_true(atomic_load(&iters) > 5);
  rill_coordinator_delete(c);

  /* OUT_OF_RANGE is a clean stop: join returns OK. */
  c = rill_coordinator_new();
  loop_arg oor = {.id = 0, .fail_after_ms = 5, .fail_code = RILL_OUT_OF_RANGE, .iterations = &iters};
  loop_arg plain = {.id = 1, .iterations = &iters};
  assert_true(rill_coordinator_start_thread(c, my_loop, &oor, st));
  assert_true(rill_coordinator_start_thread(c, my_loop, &plain, st));
  rill_coordinator_join(c, 5.0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_coordinator_delete(c);

  /* request_stop from outside; a thread ignoring it outlives the grace period. */
  c = rill_coordinator_new();
  assert_false(rill_coordinator_should_stop(c));
  assert_false(rill_coordinator_wait_for_stop(c, 0.01));
  loop_arg slow = {.id = 2, .ignore_stop_ms = 400, .iterations = &iters};
  assert_true(rill_coordinator_start_thread(c, my_loop, &slow, st));
  rill_coordinator_request_stop(c, NULL);
  rill_coordinator_join(c, 0.05, st);
  assert_int_equal(rill_status_code(st), RILL_DEADLINE_EXCEEDED);
  assert_string_equal(rill_status_message(st), "Coordinator stopped with threads still running: 1");
  rill_coordinator_delete(c); /* waits for the slow thread */
  rill_status_delete(st);
}

/* queuerunner_test1.py: 5 threads enqueue random normals into FIFOQueue(100); three dequeues;
 * request_stop and join end every thread (the watcher cancels enqueues blocked on the full
 * queue). */
static void test_queue_runner(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_FLOAT;
  rill_output q = rill_fifo_queue(g, 100, &dt, 1, NULL, NULL);
  rill_output r = rill_random_normal(g, RILL_SHAPE(1), 0.0, 1.0, RILL_FLOAT, RILL_NO_SEED, NULL);
  rill_op *enq = rill_queue_enqueue(g, q, &r, NULL);
  rill_op *ops[5] = {enq, enq, enq, enq, enq};
  rill_queue_runner *qr = rill_queue_runner_new(g, q, ops, 5, NULL, NULL);
  assert_non_null(qr);
  rill_add_queue_runner(g, qr);
  rill_output out;
  rill_queue_dequeue(g, q, &out, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  assert_int_equal(rill_collection_size(g, RILL_QUEUE_RUNNERS), 1);

  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  rill_coordinator *c = rill_coordinator_new();
  assert_int_equal(rill_start_queue_runners(s, c, st), 6);
  assert_int_equal(rill_status_code(st), RILL_OK);
  for (int i = 0; i < 3; i++) {
    rill_tensor *t = rill_session_eval(s, out, st);
    assert_non_null(t);
    assert_int_equal(rill_tensor_shape(t).dims[0], 1);
    printf("%g\n", (double)((float *)rill_tensor_data(t))[0]);
    rill_tensor_unref(t);
  }
  usleep(20000); /* let the runners fill the queue and block on it */
  rill_coordinator_request_stop(c, NULL);
  double t0 = now_s();
  rill_coordinator_join(c, 5.0, st);
  assert_true(now_s() - t0 < 4.0);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_coordinator_delete(c);
  rill_session_delete(s);
  rill_queue_runner_delete(qr);
  rill_status_delete(st);
  rill_graph_delete(g);
}

/* A runner moving elements from a finite, closed source queue into a target: when the source
 * runs out the last runner thread closes the target, so the consumer sees every element and
 * then OUT_OF_RANGE; join then returns OK. */
static void test_queue_runner_closes_queue(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = rill_shape_scalar();
  rill_output src = rill_fifo_queue(g, 100, &dt, 1, &sh, "source");
  rill_output dst = rill_fifo_queue(g, 3, &dt, 1, &sh, "target");
  int32_t v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  rill_output vals = rill_const_int32(g, v, 10, RILL_SHAPE(10), NULL);
  rill_op *fill = rill_queue_enqueue_many(g, src, &vals, NULL);
  rill_op *close_src = rill_queue_close(g, src, false, NULL);
  rill_output moved;
  rill_queue_dequeue(g, src, &moved, NULL);
  rill_op *enq = rill_queue_enqueue(g, dst, &moved, NULL);
  rill_op *ops[2] = {enq, enq};
  rill_queue_runner *qr = rill_queue_runner_new(g, dst, ops, 2, NULL, NULL);
  rill_add_queue_runner(g, qr);
  rill_output x;
  rill_queue_dequeue(g, dst, &x, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);

  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  run_ok(s, fill);
  run_ok(s, close_src);
  rill_coordinator *c = rill_coordinator_new();
  assert_int_equal(rill_start_queue_runners(s, c, st), 3);
  int count = 0, sum = 0;
  for (;;) {
    rill_tensor *t = rill_session_eval(s, x, st);
    if (!t) break;
    sum += rill_tensor_int32(t)[0];
    count++;
    rill_tensor_unref(t);
  }
  assert_int_equal(rill_status_code(st), RILL_OUT_OF_RANGE);
  assert_non_null(strstr(rill_status_message(st), "_target' is closed and has insufficient elements"));
  assert_int_equal(count, 10);
  assert_int_equal(sum, 45);
  rill_coordinator_request_stop(c, st); /* OUT_OF_RANGE: a clean stop */
  rill_coordinator_join(c, 5.0, st);
  assert_int_equal(rill_status_code(st), RILL_OK);
  rill_coordinator_delete(c);
  rill_session_delete(s);
  rill_queue_runner_delete(qr);
  rill_status_delete(st);
  rill_graph_delete(g);
}

/* A runner whose enqueue fails with a real error stops the coordinator with it. */
static void test_queue_runner_error(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_FLOAT;
  rill_shape sh = rill_shape_scalar();
  rill_output q = rill_fifo_queue(g, 10, &dt, 1, &sh, NULL);
  rill_output p = rill_placeholder(g, RILL_FLOAT, rill_shape_scalar(), "unfed");
  rill_op *enq = rill_queue_enqueue(g, q, &p, NULL);
  rill_queue_runner *qr = rill_queue_runner_new(g, q, &enq, 1, NULL, NULL);
  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  rill_coordinator *c = rill_coordinator_new();
  assert_int_equal(rill_queue_runner_start(qr, s, c, st), 2);
  rill_coordinator_join(c, 5.0, st);
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  assert_non_null(strstr(rill_status_message(st), "You must feed a value for placeholder tensor 'unfed'"));
  rill_coordinator_delete(c);
  rill_session_delete(s);
  rill_queue_runner_delete(qr);
  rill_status_delete(st);
  rill_graph_delete(g);
}

/* Printed, not asserted: small-element throughput through single-element runs and through
 * enqueue_many/dequeue_many. */
static void test_throughput(void **state) {
  (void)state;
  rill_graph *g = rill_graph_new();
  rill_dtype dt = RILL_INT32;
  rill_shape sh = rill_shape_scalar();
  rill_output q = rill_fifo_queue(g, -1, &dt, 1, &sh, NULL);
  rill_output one = const_i32(g, 1);
  rill_op *enq = rill_queue_enqueue(g, q, &one, NULL);
  rill_output x;
  rill_queue_dequeue(g, q, &x, NULL);
  enum { BIG = 1000000 };
  int32_t *v = calloc(BIG, sizeof *v);
  rill_output vals = rill_const_int32(g, v, BIG, RILL_SHAPE(BIG), NULL);
  free(v);
  rill_op *enq_many = rill_queue_enqueue_many(g, q, &vals, NULL);
  rill_output big = const_i32(g, BIG), batch;
  rill_queue_dequeue_many(g, q, big, &batch, NULL);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_session *s = open_session(g, 5000);
  rill_status *st = rill_status_new();
  const int n = 100000;
  double t0 = now_s();
  for (int i = 0; i < n; i++) rill_session_run_op(s, enq, st);
  double t1 = now_s();
  rill_tensor *t = NULL;
  for (int i = 0; i < n; i++) {
    rill_session_run(s, NULL, NULL, 0, &x, &t, 1, NULL, 0, st);
    rill_tensor_unref(t);
  }
  double t2 = now_s();
  assert_int_equal(rill_status_code(st), RILL_OK);
  run_ok(s, enq_many);
  double t3 = now_s();
  t = rill_session_eval(s, batch, st);
  double t4 = now_s();
  assert_non_null(t);
  rill_tensor_unref(t);
  printf("queue throughput: enqueue %.0f/s, dequeue %.0f/s (one element per run); enqueue_many %.0f/s, "
         "dequeue_many %.0f/s (1M int32 scalars)\n",
         n / (t1 - t0), n / (t2 - t1), BIG / (t3 - t2), BIG / (t4 - t3));
  rill_status_delete(st);
  rill_session_delete(s);
  rill_graph_delete(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_notes_example),
      cmocka_unit_test(test_close_semantics),
      cmocka_unit_test(test_blocking_with_threads),
      cmocka_unit_test(test_timeout),
      cmocka_unit_test(test_dequeue_many_and_up_to),
      cmocka_unit_test(test_random_shuffle_queue),
      cmocka_unit_test(test_padding_fifo_queue),
      cmocka_unit_test(test_coordinator),
      cmocka_unit_test(test_queue_runner),
      cmocka_unit_test(test_queue_runner_closes_queue),
      cmocka_unit_test(test_queue_runner_error),
      cmocka_unit_test(test_throughput),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
