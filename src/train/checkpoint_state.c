/* The `checkpoint` state file: TF's CheckpointState proto in text format
 * (tensorflow/python/checkpoint/checkpoint_management.py), and latest_checkpoint.
 * Only fields 1 and 2 are written, since older readers reject unknown fields; any other field
 * is skipped when reading (formats.md §5.4). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/internal.h"
#include "io/atomic_file.h"
#include "train/saver_internal.h"

#define STATE_FILE "checkpoint"
#define MAX_STATE_BYTES ((size_t)64 << 20)

void rill_checkpoint_state_delete(rill_checkpoint_state *s) {
  if (!s) return;
  free(s->model_checkpoint_path);
  for (int i = 0; i < s->n_all; i++) free(s->all_model_checkpoint_paths[i]);
  free(s->all_model_checkpoint_paths);
  free(s);
}

/* os.path.join(dir, p) for one component. */
char *rill__path_join(const char *dir, const char *p) {
  if (p[0] == '/' || !dir[0]) return rill__strdup(p);
  size_t n = strlen(dir);
  return rill__strfmt("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", p);
}

/* ---- text-format tokenizer ---- */

typedef struct lexer {
  const char *p, *end;
} lexer;

static void skip_space(lexer *lx) {
  while (lx->p < lx->end) {
    if (isspace((unsigned char)*lx->p)) {
      lx->p++;
    } else if (*lx->p == '#') {
      while (lx->p < lx->end && *lx->p != '\n') lx->p++;
    } else {
      break;
    }
  }
}

/* Appends one quoted string (C escapes as protobuf's text format writes them) to out. */
static bool read_quoted(lexer *lx, rill__strbuf *out) {
  char q = *lx->p++;
  while (lx->p < lx->end && *lx->p != q) {
    char c = *lx->p++;
    if (c == '\n') return false;
    if (c != '\\') {
      rill__strbuf_addc(out, c);
      continue;
    }
    if (lx->p >= lx->end) return false;
    c = *lx->p++;
    switch (c) {
      case 'n': rill__strbuf_addc(out, '\n'); break;
      case 'r': rill__strbuf_addc(out, '\r'); break;
      case 't': rill__strbuf_addc(out, '\t'); break;
      case 'a': rill__strbuf_addc(out, '\a'); break;
      case 'b': rill__strbuf_addc(out, '\b'); break;
      case 'f': rill__strbuf_addc(out, '\f'); break;
      case 'v': rill__strbuf_addc(out, '\v'); break;
      case 'x': case 'X': {
        int v = 0, k = 0;
        while (k < 2 && lx->p < lx->end && isxdigit((unsigned char)*lx->p)) {
          char h = *lx->p++;
          v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
          k++;
        }
        if (!k) return false;
        rill__strbuf_addc(out, (char)v);
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0', k = 1;
          while (k < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7') v = v * 8 + (*lx->p++ - '0'), k++;
          rill__strbuf_addc(out, (char)v);
        } else {
          rill__strbuf_addc(out, c); /* \\ \' \" \? */
        }
    }
  }
  if (lx->p >= lx->end) return false;
  lx->p++;
  return true;
}

/* Skips one value that is not a string: a number, an identifier, or a {...} / <...> message. */
static bool skip_value(lexer *lx) {
  skip_space(lx);
  if (lx->p >= lx->end) return false;
  char c = *lx->p;
  if (c == '{' || c == '<') {
    int depth = 0;
    while (lx->p < lx->end) {
      c = *lx->p;
      if (c == '"' || c == '\'') {
        rill__strbuf tmp = {0};
        bool ok = read_quoted(lx, &tmp);
        free(tmp.s);
        if (!ok) return false;
        continue;
      }
      lx->p++;
      if (c == '{' || c == '<') depth++;
      if ((c == '}' || c == '>') && --depth == 0) return true;
    }
    return false;
  }
  if (c == '"' || c == '\'') {
    rill__strbuf tmp = {0};
    bool ok = true;
    while (ok && lx->p < lx->end && (*lx->p == '"' || *lx->p == '\'')) {
      ok = read_quoted(lx, &tmp);
      skip_space(lx);
    }
    free(tmp.s);
    return ok;
  }
  const char *start = lx->p;
  while (lx->p < lx->end && (isalnum((unsigned char)*lx->p) || strchr("+-._", *lx->p))) lx->p++;
  return lx->p > start;
}

static bool push_path(rill_checkpoint_state *s, char *p) {
  char **a = realloc(s->all_model_checkpoint_paths, ((size_t)s->n_all + 1) * sizeof *a);
  if (!a) return false;
  s->all_model_checkpoint_paths = a;
  a[s->n_all++] = p;
  return true;
}

/* Parses the text; on failure returns NULL with *why set. */
static rill_checkpoint_state *parse_state(const char *text, size_t len, const char **why) {
  rill_checkpoint_state *s = calloc(1, sizeof *s);
  if (!s) {
    *why = "out of memory";
    return NULL;
  }
  lexer lx = {text, text + len};
  for (;;) {
    skip_space(&lx);
    if (lx.p >= lx.end) break;
    const char *id = lx.p;
    while (lx.p < lx.end && (isalnum((unsigned char)*lx.p) || *lx.p == '_')) lx.p++;
    size_t idn = (size_t)(lx.p - id);
    if (!idn) goto syntax;
    skip_space(&lx);
    bool colon = lx.p < lx.end && *lx.p == ':';
    if (colon) lx.p++;
    skip_space(&lx);
    bool is_model = idn == 21 && !memcmp(id, "model_checkpoint_path", 21);
    bool is_all = idn == 26 && !memcmp(id, "all_model_checkpoint_paths", 26);
    if ((is_model || is_all) && colon && lx.p < lx.end && (*lx.p == '"' || *lx.p == '\'')) {
      rill__strbuf v = {0};
      bool ok = true;
      while (ok && lx.p < lx.end && (*lx.p == '"' || *lx.p == '\'')) { /* adjacent strings concatenate */
        ok = read_quoted(&lx, &v);
        skip_space(&lx);
      }
      char *str = ok ? rill__strbuf_take(&v) : NULL;
      free(v.s);
      if (!ok) goto syntax;
      if (!str) goto oom;
      if (is_model) {
        free(s->model_checkpoint_path);
        s->model_checkpoint_path = str;
      } else if (!push_path(s, str)) {
        free(str);
        goto oom;
      }
    } else if (!skip_value(&lx)) {
      goto syntax;
    }
    skip_space(&lx);
    if (lx.p < lx.end && (*lx.p == ',' || *lx.p == ';')) lx.p++;
  }
  return s;
syntax:
  *why = "syntax error";
  rill_checkpoint_state_delete(s);
  return NULL;
oom:
  *why = "out of memory";
  rill_checkpoint_state_delete(s);
  return NULL;
}

rill_checkpoint_state *rill_get_checkpoint_state(const char *dir, rill_status *st) {
  rill_status_clear(st);
  if (!dir) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "checkpoint directory is NULL");
    return NULL;
  }
  char *path = rill__path_join(dir, STATE_FILE);
  if (!path) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
  }
  rill_checkpoint_state *s = NULL;
  size_t len;
  rill_status *sub = rill_status_new();
  uint8_t *text = rill__read_file(path, MAX_STATE_BYTES, &len, sub);
  if (!text) {
    /* No state file simply means no checkpoint yet. */
    if (rill_status_code(sub) != RILL_NOT_FOUND) rill_status_copy(st, sub);
    goto out;
  }
  const char *why = NULL;
  s = parse_state((const char *)text, len, &why);
  free(text);
  if (!s) {
    rill_status_set(st, RILL_DATA_LOSS, "%s: cannot parse the checkpoint state: %s", path, why);
    goto out;
  }
  if (!s->model_checkpoint_path || !*s->model_checkpoint_path) {
    rill_status_set(st, RILL_DATA_LOSS, "Invalid checkpoint state loaded from %s", dir);
    rill_checkpoint_state_delete(s);
    s = NULL;
    goto out;
  }
  /* Relative paths are relative to the directory, as TF's get_checkpoint_state resolves them. */
  char *j = rill__path_join(dir, s->model_checkpoint_path);
  bool ok = j != NULL;
  free(s->model_checkpoint_path);
  s->model_checkpoint_path = j;
  for (int i = 0; ok && i < s->n_all; i++) {
    j = rill__path_join(dir, s->all_model_checkpoint_paths[i]);
    ok = j != NULL;
    if (ok) {
      free(s->all_model_checkpoint_paths[i]);
      s->all_model_checkpoint_paths[i] = j;
    }
  }
  if (!ok) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
    rill_checkpoint_state_delete(s);
    s = NULL;
  }
out:
  rill_status_delete(sub);
  free(path);
  return s;
}

/* ---- writing ---- */

/* Protobuf's CEscape (text_format with as_utf8=False), as TF's MessageToString writes strings. */
static void add_escaped(rill__strbuf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '\n': rill__strbuf_add(b, "\\n"); break;
      case '\r': rill__strbuf_add(b, "\\r"); break;
      case '\t': rill__strbuf_add(b, "\\t"); break;
      case '"': rill__strbuf_add(b, "\\\""); break;
      case '\'': rill__strbuf_add(b, "\\'"); break;
      case '\\': rill__strbuf_add(b, "\\\\"); break;
      default:
        if (*p < 0x20 || *p >= 0x7f) {
          char o[8];
          snprintf(o, sizeof o, "\\%03o", *p);
          rill__strbuf_add(b, o);
        } else {
          rill__strbuf_addc(b, (char)*p);
        }
    }
  }
}

/* Splits an absolute path into normalised components (os.path.normpath): returns the count. */
static int split_norm(char *abs, char **comp, int cap) {
  int n = 0;
  for (char *tok = strtok(abs, "/"); tok; tok = strtok(NULL, "/")) {
    if (!strcmp(tok, ".")) continue;
    if (!strcmp(tok, "..")) {
      if (n) n--;
      continue;
    }
    if (n < cap) comp[n++] = tok;
  }
  return n;
}

static char *absolute(const char *p) {
  if (p[0] == '/') return rill__strdup(p);
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd)) return NULL;
  return rill__strfmt("%s/%s", cwd, p);
}

/* Python's os.path.relpath(p, start) for paths relative to the working directory. */
char *rill__relpath(const char *p, const char *start) {
  char *a = absolute(p), *b = absolute(start);
  char *res = NULL;
  enum { CAP = 512 };
  char **ca = malloc(2 * CAP * sizeof(char *));
  if (!a || !b || !ca) goto out;
  char **cb = ca + CAP;
  int na = split_norm(a, ca, CAP), nb = split_norm(b, cb, CAP), common = 0;
  while (common < na && common < nb && !strcmp(ca[common], cb[common])) common++;
  rill__strbuf r = {0};
  for (int i = common; i < nb; i++) rill__strbuf_add(&r, i > common ? "/.." : "..");
  for (int i = common; i < na; i++) {
    if (r.len) rill__strbuf_addc(&r, '/');
    rill__strbuf_add(&r, ca[i]);
  }
  if (!r.len) rill__strbuf_add(&r, ".");
  res = rill__strbuf_take(&r);
  free(r.s);
out:
  free(ca);
  free(a);
  free(b);
  return res;
}

/* TF writes paths relative to a relative save directory, absolute ones unchanged. */
static char *stored_path(const char *dir, const char *p) {
  if (dir[0] == '/' || p[0] == '/') return rill__strdup(p);
  return rill__relpath(p, dir);
}

bool rill_update_checkpoint_state(const char *dir, const char *model_checkpoint_path, const char *const *all, int n,
                                  rill_status *st) {
  if (!dir || !model_checkpoint_path || n < 0 || (n && !all)) {
    rill_status_set(st, RILL_INVALID_ARGUMENT, "update_checkpoint_state: bad arguments");
    return false;
  }
  char *state_path = rill__path_join(dir, STATE_FILE);
  rill__strbuf b = {0};
  bool ok = state_path != NULL;
  char *m = ok ? stored_path(dir, model_checkpoint_path) : NULL;
  ok = m != NULL;
  if (ok && !strcmp(state_path, model_checkpoint_path)) {
    rill_status_set(st, RILL_FAILED_PRECONDITION,
                    "Save path '%s' conflicts with path used for checkpoint state.  Please use a different save path.",
                    model_checkpoint_path);
    free(m);
    free(state_path);
    return false;
  }
  if (ok) {
    rill__strbuf_add(&b, "model_checkpoint_path: \"");
    add_escaped(&b, m);
    rill__strbuf_add(&b, "\"\n");
  }
  bool last_is_model = n > 0 && !strcmp(all[n - 1], model_checkpoint_path);
  for (int i = 0; ok && i < n + !last_is_model; i++) {
    char *q = i < n ? stored_path(dir, all[i]) : rill__strdup(m);
    ok = q != NULL;
    if (ok) {
      rill__strbuf_add(&b, "all_model_checkpoint_paths: \"");
      add_escaped(&b, q);
      rill__strbuf_add(&b, "\"\n");
    }
    free(q);
  }
  free(m);
  if (!ok || b.failed) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory");
    ok = false;
  } else {
    ok = rill__atomic_write_file(state_path, b.s, b.len, st);
  }
  free(b.s);
  free(state_path);
  return ok;
}

bool rill_checkpoint_exists(const char *prefix) {
  if (!prefix) return false;
  char *idx = rill__strfmt("%s.index", prefix);
  struct stat sb;
  bool ok = idx && stat(idx, &sb) == 0 && S_ISREG(sb.st_mode);
  free(idx);
  return ok;
}

char *rill_latest_checkpoint(const char *dir) {
  rill_status *st = rill_status_new();
  rill_checkpoint_state *s = rill_get_checkpoint_state(dir, st);
  rill_status_delete(st);
  char *res = NULL;
  if (s && rill_checkpoint_exists(s->model_checkpoint_path)) res = rill__strdup(s->model_checkpoint_path);
  rill_checkpoint_state_delete(s);
  return res;
}
