/* The queue data structure with TF's blocking rules (queue_base.cc, fifo_queue.cc,
 * random_shuffle_queue_op.cc): enqueue and dequeue attempts are each served in arrival order,
 * the one at the head makes progress element by element as room or elements appear, a close
 * without cancel waits its turn behind earlier enqueues, and a dequeue that cannot be
 * satisfied after close puts back what it took. Elements are stored as ncomp tensors each in a
 * ring buffer; a random-shuffle dequeue swaps a random element to the head first. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "core/internal.h"
#include "data/queue_internal.h"

static atomic_int resource_counter;

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

rq_queue *rill__rq_new(rq_kind kind, const char *op_name, int ncomp, const rill_dtype *dtypes,
                       const rill_shape *shapes, int64_t capacity, int64_t min_after_dequeue, uint64_t seed,
                       uint64_t seed2) {
  rq_queue *q = calloc(1, sizeof *q);
  if (!q) return NULL;
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->cv, &ca);
  pthread_condattr_destroy(&ca);
  int id = atomic_fetch_add(&resource_counter, 1);
  size_t len = strlen(op_name) + 16;
  q->name = malloc(len);
  q->dtypes = malloc((size_t)ncomp * sizeof *q->dtypes);
  if (shapes) q->shapes = malloc((size_t)ncomp * sizeof *q->shapes);
  if (!q->name || !q->dtypes || (shapes && !q->shapes)) {
    rill__rq_free(q);
    return NULL;
  }
  snprintf(q->name, len, "_%d_%s", id, op_name);
  memcpy(q->dtypes, dtypes, (size_t)ncomp * sizeof *dtypes);
  if (shapes) memcpy(q->shapes, shapes, (size_t)ncomp * sizeof *shapes);
  q->kind = kind;
  q->ncomp = ncomp;
  q->capacity = capacity < 0 ? INT64_MAX : capacity;
  q->min_after_dequeue = min_after_dequeue;
  if (seed == 0 && seed2 == 0) {
    if (getrandom(&q->rng, sizeof q->rng, 0) != (ssize_t)sizeof q->rng) q->rng = (uint64_t)time(NULL) ^ (uint64_t)id;
  } else {
    q->rng = seed * 0x9E3779B97F4A7C15ull ^ seed2;
  }
  return q;
}

void rill__rq_free(void *p) {
  rq_queue *q = p;
  if (!q) return;
  for (int64_t i = 0; i < q->count; i++) {
    rill_tensor **e = &q->ring[((q->head + i) % q->alloc) * q->ncomp];
    for (int c = 0; c < q->ncomp; c++) rill_tensor_unref(e[c]);
  }
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
  free(q->ring);
  free(q->name);
  free(q->dtypes);
  free(q->shapes);
  free(q);
}

const char *rill__rq_type_name(const rq_queue *q) {
  return q->kind == RQ_SHUFFLE ? "RandomShuffleQueue" : "FIFOQueue";
}

int64_t rill__rq_size(rq_queue *q) {
  pthread_mutex_lock(&q->mu);
  int64_t n = q->count;
  pthread_mutex_unlock(&q->mu);
  return n;
}

/* ---- waiting ---- */

static void list_append(rq_waiter **l, rq_waiter *w) {
  while (*l) l = &(*l)->next;
  w->next = NULL;
  *l = w;
}

static void list_remove(rq_waiter **l, rq_waiter *w) {
  for (; *l; l = &(*l)->next)
    if (*l == w) {
      *l = w->next;
      return;
    }
}

static bool make_deadline(int64_t timeout_ms, struct timespec *dl) {
  if (timeout_ms <= 0) return false;
  clock_gettime(CLOCK_MONOTONIC, dl);
  dl->tv_sec += (time_t)(timeout_ms / 1000);
  dl->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (dl->tv_nsec >= 1000000000L) {
    dl->tv_sec++;
    dl->tv_nsec -= 1000000000L;
  }
  return true;
}

/* Waits for a change; false once the deadline has passed. */
static bool wait_change(rq_queue *q, bool has_dl, const struct timespec *dl) {
  if (!has_dl) {
    pthread_cond_wait(&q->cv, &q->mu);
    return true;
  }
  return pthread_cond_timedwait(&q->cv, &q->mu, dl) != ETIMEDOUT;
}

static void timeout_error(rq_queue *q, const char *what, int64_t timeout_ms, rill_status *st) {
  rill_status_set(st, RILL_DEADLINE_EXCEEDED,
                  "Timed out waiting for notification: %s on %s '%s' waited %lld ms (operation_timeout_in_ms); "
                  "were the queue runners started?",
                  what, rill__rq_type_name(q), q->name, (long long)timeout_ms);
}

/* ---- storage ---- */

static bool ensure_room(rq_queue *q) {
  if (q->count < q->alloc) return true;
  int64_t na = q->alloc ? q->alloc * 2 : 16;
  rill_tensor **r = malloc((size_t)na * (size_t)q->ncomp * sizeof *r);
  if (!r) return false;
  for (int64_t i = 0; i < q->count; i++)
    memcpy(&r[i * q->ncomp], &q->ring[((q->head + i) % q->alloc) * q->ncomp], (size_t)q->ncomp * sizeof *r);
  free(q->ring);
  q->ring = r;
  q->alloc = na;
  q->head = 0;
  return true;
}

static rill_tensor **slot(rq_queue *q, int64_t i) { return &q->ring[((q->head + i) % q->alloc) * q->ncomp]; }

/* Element i of a batched component: a new tensor holding row i. */
static rill_tensor *slice_row(const rill_tensor *t, int64_t i, rill_status *st) {
  rill_shape es;
  es.rank = t->shape.rank - 1;
  for (int d = 1; d < t->shape.rank; d++) es.dims[d - 1] = t->shape.dims[d];
  rill_tensor *e = rill_tensor_new(t->dtype, es, st);
  if (!e) return NULL;
  if (t->dtype == RILL_STRING) {
    const rill_string *src = (const rill_string *)t->data + i * e->n;
    for (int64_t j = 0; j < e->n; j++)
      if (!rill_tensor_set_string(e, j, src[j].data, src[j].len)) {
        rill_tensor_unref(e);
        rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory enqueueing a string");
        return NULL;
      }
  } else if (e->nbytes) {
    memcpy(e->data, (const char *)t->data + (size_t)i * e->nbytes, e->nbytes);
  }
  return e;
}

static bool push_back(rq_queue *q, rill_tensor *const *comps, int64_t i, bool many, rill_status *st) {
  if (!ensure_room(q)) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory growing queue '%s'", q->name);
    return false;
  }
  rill_tensor **e = &q->ring[((q->head + q->count) % q->alloc) * q->ncomp];
  for (int c = 0; c < q->ncomp; c++) {
    e[c] = many ? slice_row(comps[c], i, st) : rill_tensor_ref(comps[c]);
    if (!e[c]) {
      while (c-- > 0) rill_tensor_unref(e[c]);
      return false;
    }
  }
  q->count++;
  return true;
}

static void pop_front(rq_queue *q, rill_tensor **out) {
  if (q->kind == RQ_SHUFFLE && q->count > 1) {
    int64_t r = (int64_t)(splitmix(&q->rng) % (uint64_t)q->count);
    rill_tensor **a = slot(q, 0), **b = slot(q, r);
    for (int c = 0; c < q->ncomp; c++) {
      rill_tensor *t = a[c];
      a[c] = b[c];
      b[c] = t;
    }
  }
  memcpy(out, slot(q, 0), (size_t)q->ncomp * sizeof *out);
  q->head = (q->head + 1) % q->alloc;
  q->count--;
}

/* Puts taken elements back at the front in their original order (room was theirs). */
static void push_front_all(rq_queue *q, rill_tensor **elems, int64_t n) {
  for (int64_t i = n - 1; i >= 0; i--) {
    if (!ensure_room(q)) { /* cannot happen for elements that were just removed unless the
                              ring grew full meanwhile and allocation fails: drop them */
      for (int64_t j = 0; j <= i; j++)
        for (int c = 0; c < q->ncomp; c++) rill_tensor_unref(elems[j * q->ncomp + c]);
      return;
    }
    q->head = (q->head - 1 + q->alloc) % q->alloc;
    memcpy(slot(q, 0), &elems[i * q->ncomp], (size_t)q->ncomp * sizeof *elems);
    q->count++;
  }
}

static bool can_take(const rq_queue *q) {
  if (q->count == 0) return false;
  return q->kind != RQ_SHUFFLE || q->closed || q->count > q->min_after_dequeue;
}

static bool enqueues_pending(const rq_queue *q) {
  for (const rq_waiter *w = q->enq; w; w = w->next)
    if (!w->is_close && !w->cancelled) return true;
  return false;
}

/* ---- operations ---- */

bool rill__rq_enqueue(rq_queue *q, rill_tensor *const *comps, int64_t n, bool many, int64_t timeout_ms,
                      rill_status *st) {
  struct timespec dl;
  bool has_dl = make_deadline(timeout_ms, &dl), ok = true;
  rq_waiter w = {0};
  int64_t done = 0;
  pthread_mutex_lock(&q->mu);
  list_append(&q->enq, &w);
  for (;;) {
    if (w.cancelled) {
      rill_status_set(st, RILL_CANCELLED, "Enqueue operation was cancelled");
      ok = false;
      break;
    }
    if (q->enq == &w) {
      if (q->closed) {
        rill_status_set(st, RILL_CANCELLED, "%s '%s' is closed.", rill__rq_type_name(q), q->name);
        ok = false;
        break;
      }
      bool progressed = false;
      while (done < n && q->count < q->capacity) {
        if (!push_back(q, comps, done, many, st)) {
          ok = false;
          break;
        }
        done++;
        progressed = true;
      }
      if (progressed) pthread_cond_broadcast(&q->cv);
      if (!ok || done == n) break;
    }
    if (!wait_change(q, has_dl, &dl)) {
      timeout_error(q, "enqueue", timeout_ms, st);
      ok = false;
      break;
    }
  }
  list_remove(&q->enq, &w);
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  return ok;
}

bool rill__rq_dequeue(rq_queue *q, int64_t n, bool allow_small, int64_t timeout_ms, rill_tensor **elems,
                      int64_t *got, rill_status *st) {
  struct timespec dl;
  bool has_dl = make_deadline(timeout_ms, &dl), ok = true;
  rq_waiter w = {0};
  int64_t taken = 0, want = n;
  pthread_mutex_lock(&q->mu);
  list_append(&q->deq, &w);
  for (;;) {
    if (q->deq == &w) {
      if (q->closed && q->count < want - taken) {
        if (allow_small && q->count + taken > 0) {
          want = taken + q->count;
        } else if (!(allow_small && enqueues_pending(q))) {
          rill_status_set(st, RILL_OUT_OF_RANGE,
                          "%s '%s' is closed and has insufficient elements (requested %lld, current size %lld)",
                          rill__rq_type_name(q), q->name, (long long)n, (long long)q->count);
          push_front_all(q, elems, taken);
          taken = 0;
          ok = false;
          break;
        }
      }
      bool progressed = false;
      while (taken < want && can_take(q)) {
        pop_front(q, &elems[taken * q->ncomp]);
        taken++;
        progressed = true;
      }
      if (progressed) pthread_cond_broadcast(&q->cv);
      if (taken == want) break;
    }
    if (!wait_change(q, has_dl, &dl)) {
      timeout_error(q, "dequeue", timeout_ms, st);
      push_front_all(q, elems, taken);
      taken = 0;
      ok = false;
      break;
    }
  }
  list_remove(&q->deq, &w);
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  *got = taken;
  return ok;
}

bool rill__rq_close(rq_queue *q, bool cancel_pending, int64_t timeout_ms, rill_status *st) {
  pthread_mutex_lock(&q->mu);
  if (cancel_pending) {
    q->closed = true;
    for (rq_waiter *w = q->enq; w; w = w->next) w->cancelled = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return true;
  }
  struct timespec dl;
  bool has_dl = make_deadline(timeout_ms, &dl), ok = true;
  rq_waiter w = {.is_close = true};
  list_append(&q->enq, &w);
  for (;;) {
    if (w.cancelled) break; /* a cancelling close overtook this one: the queue is closed */
    if (q->enq == &w) {
      if (q->closed) {
        rill_status_set(st, RILL_CANCELLED, "Queue '%s' is already closed.", q->name);
        ok = false;
      }
      q->closed = true;
      break;
    }
    if (!wait_change(q, has_dl, &dl)) {
      timeout_error(q, "close", timeout_ms, st);
      ok = false;
      break;
    }
  }
  list_remove(&q->enq, &w);
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  return ok;
}
