/* FileWriter: file naming (never overwriting), the first record, event encoding and order,
 * the queue and flushing, metadata stripping, the GraphDef event, and errors (bad log dir,
 * a file-size limit standing in for a full disk) reported through the status. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "summary_test_util.h"

#define MAX_EVENTS 4096

typedef struct event {
  double wall_time;
  int64_t step;
  uint32_t what; /* the Event.what field number present, 0 for none */
  uint8_t *payload;
  size_t len;
} event;

typedef struct events {
  int n;
  event ev[MAX_EVENTS];
  rill_code end; /* the reader's status after the last record */
} events;

static void events_free(events *e) {
  for (int i = 0; i < e->n; i++) free(e->ev[i].payload);
  free(e);
}

/* Reads every record of an event file. */
static events *read_events(const char *path) {
  events *e = calloc(1, sizeof *e);
  rill_status *st = rill_status_new();
  rill_record_reader *r = rill_record_reader_new(path, RILL_COMPRESSION_NONE, st);
  assert_non_null(r);
  const uint8_t *data;
  size_t len;
  while (e->n < MAX_EVENTS && rill_record_reader_next(r, &data, &len, st)) {
    event *ev = &e->ev[e->n++];
    rill__pb_reader pr;
    rill__pb_reader_init(&pr, data, len);
    rill__pb_field f;
    while (rill__pb_next(&pr, &f, NULL) > 0) {
      if (f.number == 1) ev->wall_time = rill__pb_as_double(&f);
      else if (f.number == 2) ev->step = rill__pb_as_int64(&f);
      else if (f.wire == RILL_PB_LEN) {
        ev->what = f.number;
        ev->payload = malloc(f.len + 1);
        memcpy(ev->payload, f.data, f.len);
        ev->len = f.len;
      }
    }
  }
  e->end = rill_status_code(st);
  rill_record_reader_delete(r);
  rill_status_delete(st);
  return e;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *temp_dir(void) {
  char tmpl[] = "/tmp/rill_fw_XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

static void remove_tree(const char *path) {
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

/* A Summary with one simple_value. */
static size_t scalar_summary(uint8_t *buf, const char *tag, float v) {
  rill__pb_buf b;
  rill__pb_buf_init(&b);
  size_t m = rill__pb_begin(&b, 1);
  rill__pb_write_string(&b, 1, tag);
  rill__pb_write_float(&b, 2, v);
  rill__pb_end(&b, m);
  memcpy(buf, b.data, b.len);
  size_t n = b.len;
  rill__pb_buf_free(&b);
  return n;
}

static void test_first_record_and_name(void **state) {
  (void)state;
  char *dir = temp_dir();
  char logdir[512];
  snprintf(logdir, sizeof logdir, "%s/a/b/", dir);
  rill_status *st = rill_status_new();
  double t0 = now();
  rill_file_writer *w = rill_file_writer_new(logdir, NULL, 0, 0, st);
  assert_non_null(w);
  double t1 = now();
  char *path = strdup(rill_file_writer_path(w)); /* the writer's copy goes with it */
  char host[256] = "";
  gethostname(host, sizeof host);
  char prefix[600];
  snprintf(prefix, sizeof prefix, "%s/a/b/events.out.tfevents.", dir);
  assert_true(!strncmp(path, prefix, strlen(prefix)));
  const char *stamp = path + strlen(prefix);
  for (int i = 0; i < 10; i++) assert_true(stamp[i] >= '0' && stamp[i] <= '9');
  assert_int_equal(stamp[10], '.');
  assert_string_equal(stamp + 11, host);
  long long secs = atoll(stamp);
  assert_true(secs >= (long long)t0 && secs <= (long long)t1);
  /* The first record is on disk before anything else is written. */
  events *e = read_events(path);
  assert_int_equal(e->n, 1);
  events_free(e);
  assert_true(rill_file_writer_close(w, st));
  e = read_events(path);
  assert_int_equal(e->n, 1);
  assert_int_equal(e->end, RILL_OUT_OF_RANGE); /* a clean end of file */
  assert_int_equal(e->ev[0].what, 3);
  assert_int_equal(e->ev[0].len, 13);
  assert_memory_equal(e->ev[0].payload, "brain.Event:2", 13);
  assert_true(e->ev[0].wall_time >= t0 - 1e-3 && e->ev[0].wall_time <= t1 + 1e-3);
  assert_int_equal(e->ev[0].step, 0);
  events_free(e);
  free(path);
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

static void test_never_overwrites(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  char host[256] = "", taken[700];
  gethostname(host, sizeof host);
  /* A file with the name a writer made this second would pick. */
  snprintf(taken, sizeof taken, "%s/events.out.tfevents.%010lld.%s", dir, (long long)time(NULL), host);
  FILE *fp = fopen(taken, "w");
  assert_non_null(fp);
  fputs("keep me", fp);
  fclose(fp);
  rill_file_writer *a = rill_file_writer_new(dir, NULL, 0, 0, st);
  rill_file_writer *b = rill_file_writer_new(dir, NULL, 0, 0, st);
  assert_non_null(a);
  assert_non_null(b);
  assert_string_not_equal(rill_file_writer_path(a), rill_file_writer_path(b));
  assert_string_not_equal(rill_file_writer_path(a), taken);
  assert_string_not_equal(rill_file_writer_path(b), taken);
  assert_true(rill_file_writer_close(a, st));
  assert_true(rill_file_writer_close(b, st));
  char buf[32] = "";
  fp = fopen(taken, "r");
  assert_non_null(fgets(buf, sizeof buf, fp));
  fclose(fp);
  assert_string_equal(buf, "keep me");
  /* Three files, each a run's file TensorBoard reads in name order. */
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *de; (de = readdir(d));)
    if (strstr(de->d_name, "tfevents")) n++;
  closedir(d);
  assert_int_equal(n, 3);
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

/* The path of the only event file in dir (malloc'd). */
static char *only_event_file(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  char *found = NULL;
  for (struct dirent *de; (de = readdir(d));) {
    if (!strstr(de->d_name, "tfevents")) continue;
    assert_null(found);
    found = malloc(strlen(dir) + strlen(de->d_name) + 2);
    sprintf(found, "%s/%s", dir, de->d_name);
  }
  closedir(d);
  assert_non_null(found);
  return found;
}

static void test_events_in_order(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  rill_file_writer *w = rill_file_writer_new(dir, NULL, 3, 0, st);
  assert_non_null(w);
  uint8_t buf[256];
  double t0 = now();
  for (int i = 1; i <= 200; i++) {
    size_t n = scalar_summary(buf, "loss", (float)i * 0.5f);
    assert_true(rill_file_writer_add_summary(w, buf, n, i, st));
  }
  assert_true(rill_file_writer_add_session_log(w, RILL_SESSION_LOG_CHECKPOINT, "/tmp/model.ckpt-200", "saved", 200,
                                               st));
  assert_true(rill_file_writer_add_session_log(w, RILL_SESSION_LOG_STOP, NULL, NULL, 201, st));
  /* A raw Event (TF's add_event) goes in unchanged. */
  static const uint8_t raw[] = {0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x10, 0x07, 0x1a, 0x01, 'x'};
  assert_true(rill_file_writer_add_event(w, raw, sizeof raw, st));
  assert_true(rill_file_writer_close(w, st));
  double t1 = now();
  char *path = only_event_file(dir);
  events *e = read_events(path);
  assert_int_equal(e->end, RILL_OUT_OF_RANGE);
  assert_int_equal(e->n, 1 + 200 + 3);
  double last = 0;
  for (int i = 1; i <= 200; i++) {
    event *ev = &e->ev[i];
    assert_int_equal(ev->what, 5);
    assert_int_equal(ev->step, i);
    assert_true(ev->wall_time >= t0 - 1e-3 && ev->wall_time <= t1 + 1e-3 && ev->wall_time >= last);
    last = ev->wall_time;
    size_t n = scalar_summary(buf, "loss", (float)i * 0.5f);
    assert_true(bytes_equal(ev->payload, ev->len, buf, n, "summary payload"));
  }
  /* SessionLog {status CHECKPOINT(3), checkpoint_path, msg} */
  event *cp = &e->ev[201];
  assert_int_equal(cp->what, 7);
  assert_int_equal(cp->step, 200);
  static const char want_cp[] = "\x08\x03\x12\x13/tmp/model.ckpt-200\x1a\x05saved";
  assert_true(bytes_equal(cp->payload, cp->len, (const uint8_t *)want_cp, sizeof want_cp - 1, "session log"));
  event *stop = &e->ev[202];
  assert_int_equal(stop->what, 7);
  assert_int_equal(stop->step, 201);
  assert_true(bytes_equal(stop->payload, stop->len, (const uint8_t *)"\x08\x02", 2, "stop"));
  event *rawev = &e->ev[203];
  assert_int_equal(rawev->step, 7);
  assert_true(rawev->wall_time == 1.5);
  assert_int_equal(rawev->what, 3);
  events_free(e);
  free(path);
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

/* A text summary's metadata is written with the first value of its tag only (TF 1.x). */
static void test_metadata_kept_once_per_tag(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  rill_graph *g = rill_graph_new();
  rill_tensor *hello = rill_tensor_strings(RILL_SHAPE(), (const char *[]){"hello"}, NULL, st);
  rill_output t1 = rill_summary_text(g, "notes", rill_constant(g, hello, NULL), NULL);
  rill_summary_text(g, "other", rill_constant(g, hello, NULL), NULL);
  rill_summary_scalar(g, "s", rill_scalar_float(g, 1, NULL), NULL, NULL);
  rill_output merged = rill_summary_merge_all(g, NULL, NULL);
  rill_tensor_unref(hello);
  assert_int_equal(rill_graph_code(g), RILL_OK);
  rill_session *s = rill_session_new(g, NULL, st);
  rill_file_writer *w = rill_file_writer_new(dir, g, 0, 0, st);
  assert_non_null(w);
  rill_tensor *v = rill_session_eval(s, t1, st);
  assert_true(rill_file_writer_add_summary_tensor(w, v, 1, st));
  assert_true(rill_file_writer_add_summary_tensor(w, v, 2, st));
  rill_tensor_unref(v);
  v = rill_session_eval(s, merged, st);
  assert_true(rill_file_writer_add_summary_tensor(w, v, 3, st));
  rill_tensor_unref(v);
  /* A non-summary tensor is refused. */
  rill_tensor *f = rill_tensor_scalar_float(1);
  assert_false(rill_file_writer_add_summary_tensor(w, f, 4, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_tensor_unref(f);
  assert_false(rill_file_writer_add_summary(w, "\x0a\x05xx", 4, 4, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  rill_status_clear(st);
  assert_true(rill_file_writer_close(w, st));
  char *path = only_event_file(dir);
  events *e = read_events(path);
  assert_int_equal(e->n, 5); /* file_version, graph, three summaries */
  assert_int_equal(e->ev[1].what, 4);
  sum_value vals[4];
  assert_int_equal(parse_summary(e->ev[2].payload, e->ev[2].len, vals, 4), 1);
  assert_true(tag_is(&vals[0], "notes"));
  assert_true(vals[0].has_metadata);
  assert_int_equal(parse_summary(e->ev[3].payload, e->ev[3].len, vals, 4), 1);
  assert_true(tag_is(&vals[0], "notes"));
  assert_false(vals[0].has_metadata);
  assert_non_null(vals[0].tensor);
  assert_int_equal(parse_summary(e->ev[4].payload, e->ev[4].len, vals, 4), 3);
  assert_true(tag_is(&vals[0], "notes"));
  assert_false(vals[0].has_metadata);
  assert_true(tag_is(&vals[1], "other"));
  assert_true(vals[1].has_metadata);
  assert_true(tag_is(&vals[2], "s"));
  assert_true(vals[2].has_simple && vals[2].simple == 1.0f);
  events_free(e);
  free(path);
  rill_session_delete(s);
  rill_graph_delete(g);
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

static void test_flush_and_periodic_flush(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  uint8_t buf[64];
  size_t n = scalar_summary(buf, "x", 1);
  /* flush() makes events visible to a reader at once. */
  rill_file_writer *w = rill_file_writer_new(dir, NULL, 0, 1000, st);
  assert_true(rill_file_writer_add_summary(w, buf, n, 1, st));
  assert_true(rill_file_writer_flush(w, st));
  events *e = read_events(rill_file_writer_path(w));
  assert_int_equal(e->n, 2);
  events_free(e);
  /* Without flush() nothing reaches the file while the buffer has room ... */
  assert_true(rill_file_writer_add_summary(w, buf, n, 2, st));
  usleep(300000);
  e = read_events(rill_file_writer_path(w));
  assert_int_equal(e->n, 2);
  events_free(e);
  assert_true(rill_file_writer_close(w, st));
  /* ... until flush_secs pass, with no further call. */
  w = rill_file_writer_new(dir, NULL, 0, 0.2, st);
  assert_true(rill_file_writer_add_summary(w, buf, n, 1, st));
  bool seen = false;
  for (int i = 0; i < 50 && !seen; i++) {
    usleep(100000);
    e = read_events(rill_file_writer_path(w));
    seen = e->n == 2;
    events_free(e);
  }
  assert_true(seen);
  assert_true(rill_file_writer_close(w, st));
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

typedef struct thread_arg {
  rill_file_writer *w;
  int id;
  bool ok;
} thread_arg;

static void *adder(void *p) {
  thread_arg *a = p;
  rill_status *st = rill_status_new();
  uint8_t buf[64];
  char tag[16];
  snprintf(tag, sizeof tag, "t%d", a->id);
  a->ok = true;
  for (int i = 0; i < 500; i++) {
    size_t n = scalar_summary(buf, tag, (float)i);
    a->ok = a->ok && rill_file_writer_add_summary(a->w, buf, n, i, st);
  }
  rill_status_delete(st);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  rill_file_writer *w = rill_file_writer_new(dir, NULL, 4, 0, st);
  pthread_t th[4];
  thread_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (thread_arg){w, i, false};
    pthread_create(&th[i], NULL, adder, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_true(args[i].ok);
  }
  assert_true(rill_file_writer_close(w, st));
  char *path = only_event_file(dir);
  events *e = read_events(path);
  assert_int_equal(e->n, 1 + 4 * 500);
  int next[4] = {0};
  for (int i = 1; i < e->n; i++) { /* each thread's events in its own order */
    sum_value v;
    assert_int_equal(parse_summary(e->ev[i].payload, e->ev[i].len, &v, 1), 1);
    int id = v.tag[1] - '0';
    assert_int_equal(e->ev[i].step, next[id]);
    assert_true(v.simple == (float)next[id]);
    next[id]++;
  }
  events_free(e);
  free(path);
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

static void test_bad_logdir(void **state) {
  (void)state;
  char *dir = temp_dir();
  rill_status *st = rill_status_new();
  char file[600], under[700];
  snprintf(file, sizeof file, "%s/plain", dir);
  FILE *fp = fopen(file, "w");
  fclose(fp);
  snprintf(under, sizeof under, "%s/logs", file);
  assert_null(rill_file_writer_new(under, NULL, 0, 0, st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  assert_null(rill_file_writer_new(file, NULL, 0, 0, st));
  assert_int_equal(rill_status_code(st), RILL_FAILED_PRECONDITION);
  assert_null(rill_file_writer_new("", NULL, 0, 0, st));
  assert_int_equal(rill_status_code(st), RILL_INVALID_ARGUMENT);
  if (geteuid() != 0) { /* root writes anywhere */
    char ro[600];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    mkdir(ro, 0500);
    assert_null(rill_file_writer_new(ro, NULL, 0, 0, st));
    assert_int_equal(rill_status_code(st), RILL_PERMISSION_DENIED);
  }
  rill_status_delete(st);
  remove_tree(dir);
  free(dir);
}

/* A file-size limit makes writes fail like a full disk: every call reports it, nothing
 * crashes, and the file keeps only whole records. Runs in a child so the limit stays there. */
static void test_write_error(void **state) {
  (void)state;
  char *dir = temp_dir();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {3000, 3000};
    setrlimit(RLIMIT_FSIZE, &rl);
    rill_status *st = rill_status_new();
    rill_file_writer *w = rill_file_writer_new(dir, NULL, 2, 0, st);
    if (!w) _exit(10);
    uint8_t buf[600];
    memset(buf, 0, sizeof buf);
    rill__pb_buf b;
    rill__pb_buf_init(&b);
    size_t m = rill__pb_begin(&b, 1);
    rill__pb_write_string(&b, 1, "big");
    rill__pb_write_bytes(&b, 3, buf, 500); /* an obsolete histogram field: any bytes */
    rill__pb_end(&b, m);
    bool failed_add = false;
    for (int i = 0; i < 20 && !failed_add; i++) failed_add = !rill_file_writer_add_summary(w, b.data, b.len, i, st);
    bool flush_ok = rill_file_writer_flush(w, st);
    rill_code code = rill_status_code(st);
    bool later = rill_file_writer_add_summary(w, b.data, b.len, 99, st);
    bool close_ok = rill_file_writer_close(w, st);
    rill__pb_buf_free(&b);
    _exit(flush_ok || code == RILL_OK || later || close_ok ? 11 : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  char *path = only_event_file(dir);
  events *e = read_events(path);
  assert_int_equal(e->end, RILL_OUT_OF_RANGE); /* whole records only: no torn tail */
  assert_true(e->n >= 1 && e->n < 10);
  events_free(e);
  free(path);
  remove_tree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_record_and_name),
      cmocka_unit_test(test_never_overwrites),
      cmocka_unit_test(test_events_in_order),
      cmocka_unit_test(test_metadata_kept_once_per_tag),
      cmocka_unit_test(test_flush_and_periodic_flush),
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_bad_logdir),
      cmocka_unit_test(test_write_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
