/* Queues, coordinators and queue runners: TF 1.x's tf.FIFOQueue, tf.RandomShuffleQueue,
 * tf.PaddingFIFOQueue, tf.train.Coordinator, tf.train.QueueRunner and start_queue_runners.
 *
 * A queue is a graph op (FIFOQueueV2, RandomShuffleQueueV2, PaddingFIFOQueueV2) whose value
 * lives in each session separately, created the first time a run needs it. Its output is the
 * queue handle (a scalar string naming the queue, e.g. "_0_fifo_queue": "_<process-wide
 * resource counter>_<op name>" like TF's); the other queue ops take it as input 0 and act on
 * the queue of the session that runs them. Builders record errors in the graph (see graph.h)
 * and return the empty output / NULL then.
 *
 * Blocking follows TF: an enqueue on a full queue and a dequeue on a queue with too few
 * elements wait inside rill_session_run until another run (another thread) makes room or adds
 * elements, or the queue is closed. Enqueues are served in arrival order, as are dequeues.
 * After close, dequeues drain what is left and then fail with OUT_OF_RANGE "FIFOQueue
 * '_0_fifo_queue' is closed and has insufficient elements (requested 1, current size 0)";
 * enqueues fail with CANCELLED "FIFOQueue '_0_fifo_queue' is closed.". A session's
 * operation_timeout_in_ms (session.h) bounds every wait with DEADLINE_EXCEEDED: the way to
 * make a pipeline whose runners were never started fail instead of hanging. Sessions must not
 * be deleted while a run is blocked in a queue (stop and join the runners first). */
#ifndef RILL_QUEUE_H
#define RILL_QUEUE_H

#include "rill/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- queues ----
 * capacity: the most elements held (< 0: unbounded). dtypes: n component types. shapes: n
 * element shapes, or NULL for unknown shapes (then dequeue_many/up_to fail at run time like
 * TF). Stored attributes: component_types, shapes (a flat int list: rank then dims per
 * component; absent when shapes is NULL), capacity, container, shared_name. name NULL gives
 * TF's default ("fifo_queue", "random_shuffle_queue", "padding_fifo_queue"). */
rill_output rill_fifo_queue(rill_graph *g, int64_t capacity, const rill_dtype *dtypes, int n, const rill_shape *shapes,
                            const char *name);
/* tf.RandomShuffleQueue(capacity, min_after_dequeue, dtypes, shapes, seed): dequeues take a
 * uniformly random element and wait while fewer than min_after_dequeue + n would remain
 * (unless the queue is closed). seed (RILL_NO_SEED: none) combines with the graph seed like
 * the random ops into attrs seed/seed2; equal seeds give equal orders for equal inputs. */
rill_output rill_random_shuffle_queue(rill_graph *g, int64_t capacity, int64_t min_after_dequeue,
                                      const rill_dtype *dtypes, int n, const rill_shape *shapes, int64_t seed,
                                      const char *name);
/* tf.PaddingFIFOQueue: shapes are required and may hold -1 dims; dequeue_many/up_to pad each
 * component to the batch's largest size in those dims with zeros (empty strings). */
rill_output rill_padding_fifo_queue(rill_graph *g, int64_t capacity, const rill_dtype *dtypes, int n,
                                    const rill_shape *shapes, const char *name);

/* Number of components of a queue handle and their types (from the queue op's attributes). */
int rill_queue_num_components(rill_output queue);
rill_dtype rill_queue_component_type(rill_output queue, int i);

/* q.enqueue(vals) (QueueEnqueueV2, default name "<queue>_enqueue"): one element of
 * rill_queue_num_components values. */
rill_op *rill_queue_enqueue(rill_graph *g, rill_output queue, const rill_output *vals, const char *name);
/* q.enqueue_many(vals) (QueueEnqueueManyV2, "<queue>_EnqueueMany"): each value's first dim
 * indexes the elements; all must agree. */
rill_op *rill_queue_enqueue_many(rill_graph *g, rill_output queue, const rill_output *vals, const char *name);
/* q.dequeue() (QueueDequeueV2, "<queue>_Dequeue"): writes the element's components to out[]. */
bool rill_queue_dequeue(rill_graph *g, rill_output queue, rill_output *out, const char *name);
/* q.dequeue_many(n) (QueueDequeueManyV2, "<queue>_DequeueMany"): components stacked along a new
 * first dim of size n. n is an int32 scalar tensor (e.g. rill_const_int32). */
bool rill_queue_dequeue_many(rill_graph *g, rill_output queue, rill_output n, rill_output *out, const char *name);
/* q.dequeue_up_to(n) (QueueDequeueUpToV2, "<queue>_DequeueUpTo"): like dequeue_many, but after
 * close returns the remaining 1..n-1 elements instead of failing. */
bool rill_queue_dequeue_up_to(rill_graph *g, rill_output queue, rill_output n, rill_output *out, const char *name);
/* q.close(cancel_pending_enqueues) (QueueCloseV2, "<queue>_Close"). Without cancel, enqueues
 * already waiting complete first; closing a closed queue that way is CANCELLED "Queue
 * '<name>' is already closed.". With cancel, waiting enqueues fail with CANCELLED "Enqueue
 * operation was cancelled". */
rill_op *rill_queue_close(rill_graph *g, rill_output queue, bool cancel_pending_enqueues, const char *name);
/* q.size() (QueueSizeV2, "<queue>_Size"): int32 scalar. */
rill_output rill_queue_size(rill_graph *g, rill_output queue, const char *name);

/* ---- tf.train.Coordinator ---- */
typedef struct rill_coordinator rill_coordinator;
/* A new coordinator (caller owns; free with rill_coordinator_delete after join). NULL when out
 * of memory. */
rill_coordinator *rill_coordinator_new(void);
/* Requests stop, waits for every thread started under it to end, then frees. Accepts NULL. */
void rill_coordinator_delete(rill_coordinator *c);
bool rill_coordinator_should_stop(rill_coordinator *c);
/* Asks every thread to stop. err (may be NULL or OK) is kept when it is the first error
 * reported; join returns it. */
void rill_coordinator_request_stop(rill_coordinator *c, const rill_status *err);
/* Blocks until stop is requested or seconds (< 0: forever) pass; returns should_stop. */
bool rill_coordinator_wait_for_stop(rill_coordinator *c, double seconds);
/* Starts a thread running fn(c, arg, status) under the coordinator. A non-OK status left by fn
 * requests stop with that error (TF's "an exception in one thread stops the others"). False
 * with status set when the thread cannot be created. */
bool rill_coordinator_start_thread(rill_coordinator *c, void (*fn)(rill_coordinator *c, void *arg, rill_status *st),
                                   void *arg, rill_status *status);
/* coord.join(threads, stop_grace_period_secs): waits until every started thread has ended or
 * stop is requested; then gives the threads grace_secs to end. Sets status to the first error
 * reported to request_stop; otherwise, when threads are still running after the grace period,
 * to DEADLINE_EXCEEDED "Coordinator stopped with threads still running: N" (those threads go on;
 * rill_coordinator_delete waits for them). OK otherwise. An OUT_OF_RANGE given to
 * request_stop is a clean stop, as in TF, and is not returned. */
void rill_coordinator_join(rill_coordinator *c, double grace_secs, rill_status *status);

/* ---- tf.train.QueueRunner ---- */
typedef struct rill_queue_runner rill_queue_runner;
/* QueueRunner(queue, enqueue_ops, close_op, cancel_op): one thread per entry of enqueue_ops (an
 * op may appear several times: [enqueue_op] * 5 is 5 threads), each running it until the queue
 * closes (OUT_OF_RANGE or CANCELLED: the last thread to finish runs close_op) or the
 * coordinator stops (a watcher then runs cancel_op to release blocked enqueues). Other errors
 * request stop with that status. close_op/cancel_op NULL build queue.close() and
 * queue.close(cancel_pending_enqueues=true). Caller owns; free with rill_queue_runner_delete
 * once no thread runs it. NULL after a graph error. */
rill_queue_runner *rill_queue_runner_new(rill_graph *g, rill_output queue, rill_op *const *enqueue_ops, int n,
                                         rill_op *close_op, rill_op *cancel_op);
void rill_queue_runner_delete(rill_queue_runner *qr);
/* tf.train.add_queue_runner: adds qr to the graph's RILL_QUEUE_RUNNERS collection (the caller
 * still owns it). */
void rill_add_queue_runner(rill_graph *g, rill_queue_runner *qr);
/* qr.create_threads(sess, coord, start=True): starts the enqueue threads and the watcher under
 * coord (not NULL) and returns how many were started (n + 1, as TF's list of threads). */
int rill_queue_runner_start(rill_queue_runner *qr, rill_session *s, rill_coordinator *coord, rill_status *status);
/* tf.train.start_queue_runners(sess, coord): starts every runner in the session graph's
 * RILL_QUEUE_RUNNERS collection; returns the number of threads (join them with
 * rill_coordinator_join). */
int rill_start_queue_runners(rill_session *s, rill_coordinator *coord, rill_status *status);

#ifdef __cplusplus
}
#endif
#endif
