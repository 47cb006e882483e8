/* tf.train.Coordinator: a stop flag with the first error reported, and the threads started
 * under it. TF's clean-stop rule holds: an OUT_OF_RANGE error given to request_stop stops the
 * threads without being reported (an input pipeline that ran out is a normal end). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "core/internal.h"
#include "rill/queue.h"

typedef struct cthread {
  struct cthread *next;
  rill_coordinator *c;
  pthread_t tid;
  void (*fn)(rill_coordinator *c, void *arg, rill_status *st);
  void *arg;
  bool done, joined;
} cthread;

struct rill_coordinator {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* broadcast on stop and on a thread's end */
  bool stop;
  rill_status err;
  cthread *threads;
  int running;
};

rill_coordinator *rill_coordinator_new(void) {
  rill_coordinator *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cv, &ca);
  pthread_condattr_destroy(&ca);
  return c;
}

static void join_finished(rill_coordinator *c, bool all) {
  for (;;) {
    pthread_mutex_lock(&c->mu);
    cthread *t = c->threads;
    while (t && (t->joined || (!all && !t->done))) t = t->next;
    if (t) t->joined = true;
    pthread_mutex_unlock(&c->mu);
    if (!t) return;
    pthread_join(t->tid, NULL);
  }
}

void rill_coordinator_delete(rill_coordinator *c) {
  if (!c) return;
  rill_coordinator_request_stop(c, NULL); /* else threads waiting for stop would never end */
  join_finished(c, true);
  for (cthread *t = c->threads, *n; t; t = n) {
    n = t->next;
    free(t);
  }
  rill_status_clear(&c->err);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c);
}

bool rill_coordinator_should_stop(rill_coordinator *c) {
  pthread_mutex_lock(&c->mu);
  bool s = c->stop;
  pthread_mutex_unlock(&c->mu);
  return s;
}

void rill_coordinator_request_stop(rill_coordinator *c, const rill_status *err) {
  pthread_mutex_lock(&c->mu);
  if (!c->stop) {
    rill_code code = rill_status_code(err);
    if (code != RILL_OK && code != RILL_OUT_OF_RANGE) rill_status_copy(&c->err, err);
    c->stop = true;
    pthread_cond_broadcast(&c->cv);
  }
  pthread_mutex_unlock(&c->mu);
}

static void deadline_after(double seconds, struct timespec *dl) {
  clock_gettime(CLOCK_MONOTONIC, dl);
  double whole = (double)(time_t)seconds;
  dl->tv_sec += (time_t)seconds;
  dl->tv_nsec += (long)((seconds - whole) * 1e9);
  if (dl->tv_nsec >= 1000000000L) {
    dl->tv_sec++;
    dl->tv_nsec -= 1000000000L;
  }
}

bool rill_coordinator_wait_for_stop(rill_coordinator *c, double seconds) {
  struct timespec dl;
  if (seconds >= 0) deadline_after(seconds, &dl);
  pthread_mutex_lock(&c->mu);
  while (!c->stop) {
    if (seconds < 0) pthread_cond_wait(&c->cv, &c->mu);
    else if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT) break;
  }
  bool s = c->stop;
  pthread_mutex_unlock(&c->mu);
  return s;
}

static void *trampoline(void *p) {
  cthread *t = p;
  rill_status st = {0};
  t->fn(t->c, t->arg, &st);
  if (rill_status_code(&st) != RILL_OK) rill_coordinator_request_stop(t->c, &st);
  rill_status_clear(&st);
  pthread_mutex_lock(&t->c->mu);
  t->done = true;
  t->c->running--;
  pthread_cond_broadcast(&t->c->cv);
  pthread_mutex_unlock(&t->c->mu);
  return NULL;
}

bool rill_coordinator_start_thread(rill_coordinator *c, void (*fn)(rill_coordinator *c, void *arg, rill_status *st),
                                   void *arg, rill_status *status) {
  cthread *t = calloc(1, sizeof *t);
  if (!t) {
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "out of memory starting a thread");
    return false;
  }
  t->c = c;
  t->fn = fn;
  t->arg = arg;
  pthread_mutex_lock(&c->mu);
  int rc = pthread_create(&t->tid, NULL, trampoline, t);
  if (rc) {
    pthread_mutex_unlock(&c->mu);
    free(t);
    rill_status_set(status, RILL_RESOURCE_EXHAUSTED, "cannot create a thread (error %d)", rc);
    return false;
  }
  t->next = c->threads;
  c->threads = t;
  c->running++;
  pthread_mutex_unlock(&c->mu);
  return true;
}

void rill_coordinator_join(rill_coordinator *c, double grace_secs, rill_status *status) {
  pthread_mutex_lock(&c->mu);
  while (c->running > 0 && !c->stop) pthread_cond_wait(&c->cv, &c->mu);
  if (c->running > 0) {
    struct timespec dl;
    deadline_after(grace_secs > 0 ? grace_secs : 0, &dl);
    while (c->running > 0)
      if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT) break;
  }
  int left = c->running;
  if (!status) {
  } else if (rill_status_code(&c->err) != RILL_OK) {
    rill_status_copy(status, &c->err);
  } else if (left > 0) {
    rill_status_set(status, RILL_DEADLINE_EXCEEDED, "Coordinator stopped with threads still running: %d", left);
  } else {
    rill_status_clear(status);
  }
  pthread_mutex_unlock(&c->mu);
  join_finished(c, false);
}
