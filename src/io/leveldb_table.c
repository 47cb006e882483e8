/* LevelDB-format tables (leveldb_table.h): TF's BlockBuilder/TableBuilder and Table/Block
 * readers, for checkpoint .index files. The writer's bytes equal libleveldb's TableBuilder with
 * {kNoCompression, block_size 262144, restart_interval 16} (formats.md §5.3). */
#include <stdlib.h>
#include <string.h>
#include "io/crc32c.h"
#include "io/leveldb_table.h"
#include "io/snappy.h"

#define BLOCK_TRAILER 5
#define MAX_HANDLE_LEN 20 /* two varint64s */

/* ---- block builder ---- */

static void block_init(rill__block_builder *b, int interval) {
  memset(b, 0, sizeof *b);
  b->interval = interval;
}

static void block_free(rill__block_builder *b) {
  rill__pb_buf_free(&b->buf);
  rill__pb_buf_free(&b->last_key);
  free(b->restarts);
  memset(b, 0, sizeof *b);
}

static void push_restart(rill__block_builder *b, uint32_t off) {
  if (b->n_restarts == b->cap_restarts) {
    size_t cap = b->cap_restarts ? b->cap_restarts * 2 : 16;
    uint32_t *r = realloc(b->restarts, cap * sizeof *r);
    if (!r) {
      b->failed = true;
      return;
    }
    b->restarts = r;
    b->cap_restarts = cap;
  }
  b->restarts[b->n_restarts++] = off;
}

/* Empties the block for reuse; the first restart point is always offset 0. */
static void block_reset(rill__block_builder *b) {
  rill__pb_buf_reset(&b->buf);
  rill__pb_buf_reset(&b->last_key);
  b->n_restarts = 0;
  b->counter = 0;
  push_restart(b, 0);
}

static bool block_empty(const rill__block_builder *b) { return b->buf.len == 0; }

static size_t block_size_estimate(const rill__block_builder *b) { return b->buf.len + b->n_restarts * 4 + 4; }

static void block_add(rill__block_builder *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen) {
  size_t shared = 0;
  if (b->counter < b->interval) {
    size_t m = klen < b->last_key.len ? klen : b->last_key.len;
    while (shared < m && b->last_key.data[shared] == key[shared]) shared++;
  } else {
    push_restart(b, (uint32_t)b->buf.len);
    b->counter = 0;
  }
  rill__pb_put_varint(&b->buf, shared);
  rill__pb_put_varint(&b->buf, klen - shared);
  rill__pb_put_varint(&b->buf, vlen);
  rill__pb_put_raw(&b->buf, key + shared, klen - shared);
  rill__pb_put_raw(&b->buf, value, vlen);
  rill__pb_buf_reset(&b->last_key);
  rill__pb_put_raw(&b->last_key, key, klen);
  b->counter++;
}

/* Appends the restart array and its length: the block's final contents are b->buf. */
static void block_finish(rill__block_builder *b) {
  for (size_t i = 0; i < b->n_restarts; i++) rill__pb_put_fixed32(&b->buf, b->restarts[i]);
  rill__pb_put_fixed32(&b->buf, (uint32_t)b->n_restarts);
}

static bool block_failed(const rill__block_builder *b) {
  return b->failed || !rill__pb_buf_ok(&b->buf) || !rill__pb_buf_ok(&b->last_key);
}

/* ---- comparator helpers ---- */

void rill__table_shortest_separator(uint8_t *start, size_t *len, const uint8_t *limit, size_t limit_len) {
  size_t m = *len < limit_len ? *len : limit_len, i = 0;
  while (i < m && start[i] == limit[i]) i++;
  if (i >= m) return; /* one is a prefix of the other */
  uint8_t d = start[i];
  if (d < 0xff && (unsigned)d + 1 < limit[i]) {
    start[i]++;
    *len = i + 1;
  }
}

void rill__table_short_successor(uint8_t *key, size_t *len) {
  for (size_t i = 0; i < *len; i++)
    if (key[i] != 0xff) {
      key[i]++;
      *len = i + 1;
      return;
    }
}

/* ---- table builder ---- */

void rill__table_builder_init(rill__table_builder *b) {
  memset(b, 0, sizeof *b);
  block_init(&b->data, RILL_TABLE_RESTART_INTERVAL);
  block_init(&b->index, 1);
  block_reset(&b->data);
  block_reset(&b->index);
  b->block_size = RILL_TABLE_BLOCK_SIZE;
}

void rill__table_builder_free(rill__table_builder *b) {
  rill__pb_buf_free(&b->file);
  rill__pb_buf_free(&b->last_key);
  block_free(&b->data);
  block_free(&b->index);
  memset(b, 0, sizeof *b);
}

/* Appends finished block contents plus the uncompressed trailer; returns its handle. */
static void write_raw_block(rill__table_builder *t, const uint8_t *data, size_t n, uint64_t *off, uint64_t *size) {
  *off = t->file.len;
  *size = n;
  rill__pb_put_raw(&t->file, data, n);
  uint8_t trailer[BLOCK_TRAILER] = {0};
  uint32_t crc = rill_crc32c_extend(rill_crc32c(data, n), trailer, 1);
  rill__put_le32(trailer + 1, rill_crc32c_mask(crc));
  rill__pb_put_raw(&t->file, trailer, BLOCK_TRAILER);
}

static void write_block(rill__table_builder *t, rill__block_builder *b, uint64_t *off, uint64_t *size) {
  block_finish(b);
  if (block_failed(b)) {
    t->failed = true;
    return;
  }
  write_raw_block(t, b->buf.data, b->buf.len, off, size);
  block_reset(b);
}

static size_t encode_handle(uint8_t *out, uint64_t off, uint64_t size) {
  size_t k = 0;
  for (int i = 0; i < 2; i++) {
    uint64_t v = i ? size : off;
    while (v >= 0x80) {
      out[k++] = (uint8_t)(v | 0x80);
      v >>= 7;
    }
    out[k++] = (uint8_t)v;
  }
  return k;
}

static void add_index_entry(rill__table_builder *t, const uint8_t *key, size_t klen) {
  uint8_t h[MAX_HANDLE_LEN];
  size_t hn = encode_handle(h, t->pending_off, t->pending_size);
  block_add(&t->index, key, klen, h, hn);
  t->pending_index = false;
}

static void flush(rill__table_builder *t) {
  if (block_empty(&t->data)) return;
  write_block(t, &t->data, &t->pending_off, &t->pending_size);
  t->pending_index = true;
}

static bool builder_ok(const rill__table_builder *t) {
  return !t->failed && !block_failed(&t->data) && !block_failed(&t->index) && rill__pb_buf_ok(&t->last_key) &&
         rill__pb_buf_ok(&t->file);
}

bool rill__table_builder_add(rill__table_builder *t, const void *key, size_t klen, const void *value, size_t vlen,
                             rill_status *st) {
  const uint8_t *k = key;
  if (t->n_entries > 0) {
    size_t m = klen < t->last_key.len ? klen : t->last_key.len;
    int c = m ? memcmp(k, t->last_key.data, m) : 0;
    if (c < 0 || (c == 0 && klen <= t->last_key.len)) {
      rill_status_set(st, RILL_INVALID_ARGUMENT, "table keys must be added in strictly increasing order");
      return false;
    }
  }
  if (t->pending_index) {
    /* The separator only needs to sort between the two blocks: shorten the last key. */
    size_t sep_len = t->last_key.len;
    rill__table_shortest_separator(t->last_key.data, &sep_len, k, klen);
    add_index_entry(t, t->last_key.data, sep_len);
  }
  rill__pb_buf_reset(&t->last_key);
  rill__pb_put_raw(&t->last_key, k, klen);
  t->n_entries++;
  block_add(&t->data, k, klen, value, vlen);
  if (block_size_estimate(&t->data) >= t->block_size) flush(t);
  if (!builder_ok(t)) {
    rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory building a table");
    return false;
  }
  return true;
}

uint8_t *rill__table_builder_finish(rill__table_builder *t, size_t *len, rill_status *st) {
  flush(t);
  /* No filter block; the metaindex block is empty but present, as LevelDB writes it. */
  rill__block_builder meta;
  block_init(&meta, RILL_TABLE_RESTART_INTERVAL);
  block_reset(&meta);
  uint64_t meta_off = 0, meta_size = 0, index_off = 0, index_size = 0;
  write_block(t, &meta, &meta_off, &meta_size);
  block_free(&meta);
  if (t->pending_index) {
    size_t succ_len = t->last_key.len;
    if (succ_len) rill__table_short_successor(t->last_key.data, &succ_len);
    add_index_entry(t, t->last_key.data, succ_len);
  }
  write_block(t, &t->index, &index_off, &index_size);
  uint8_t footer[RILL_TABLE_FOOTER_LEN] = {0};
  size_t n1 = encode_handle(footer, meta_off, meta_size);
  encode_handle(footer + n1, index_off, index_size);
  rill__put_le32(footer + 40, (uint32_t)RILL_TABLE_MAGIC);
  rill__put_le32(footer + 44, (uint32_t)(RILL_TABLE_MAGIC >> 32));
  rill__pb_put_raw(&t->file, footer, sizeof footer);
  uint8_t *out = NULL;
  if (builder_ok(t)) out = rill__pb_buf_release(&t->file, len);
  if (!out) rill_status_set(st, RILL_RESOURCE_EXHAUSTED, "out of memory building a table");
  rill__table_builder_free(t);
  return out;
}

/* ---- reader ---- */

typedef struct parse_ctx {
  rill__table *t;
  const char *fname;
  rill_status *st;
  size_t cap_kv;
  size_t keys_len, keys_cap, keys_limit;
  rill__pb_buf data_key; /* scratch for rebuilding data-block keys */
} parse_ctx;

static bool corrupt(parse_ctx *c, const char *what) {
  rill_status_set(c->st, RILL_DATA_LOSS, "%s: %s", c->fname, what);
  return false;
}

static bool oom(parse_ctx *c) {
  rill_status_set(c->st, RILL_RESOURCE_EXHAUSTED, "%s: out of memory", c->fname);
  return false;
}

/* Varint decoding bounded by end; false when cut off or longer than max_bytes. */
static bool get_varint(const uint8_t **p, const uint8_t *end, int max_bytes, uint64_t *v) {
  uint64_t x = 0;
  for (int i = 0; i < max_bytes; i++) {
    if (*p >= end) return false;
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

static bool decode_handle(const uint8_t **p, const uint8_t *end, uint64_t *off, uint64_t *size) {
  return get_varint(p, end, 10, off) && get_varint(p, end, 10, size);
}

/* Reads and checks the block at handle (off, size): *data and *n receive its contents. */
static bool read_block(parse_ctx *c, uint64_t off, uint64_t size, const uint8_t **data, size_t *n) {
  rill__table *t = c->t;
  if (off > t->file_len || size > t->file_len - off || BLOCK_TRAILER > t->file_len - off - size)
    return corrupt(c, "truncated block read (block handle points outside the file)");
  const uint8_t *b = t->file + off;
  uint8_t type = b[size];
  uint32_t crc = rill_crc32c_extend(rill_crc32c(b, (size_t)size), &type, 1);
  if (rill_crc32c_unmask(rill__get_le32(b + size + 1)) != crc) return corrupt(c, "block checksum mismatch");
  if (type == 0) {
    *data = b;
    *n = (size_t)size;
    return true;
  }
  if (type != 1) return corrupt(c, "bad block type");
  uint8_t **blocks = realloc(t->blocks, (t->n_blocks + 1) * sizeof *blocks);
  if (!blocks) return oom(c);
  t->blocks = blocks;
  /* Snappy expands at most 64 bytes per 3-byte copy element: a larger claimed length is
   * corrupt, and refusing it up front avoids allocating for it. */
  size_t max_out = (size_t)size < ((size_t)1 << 28) / 22 ? (size_t)size * 22 + 64 : (size_t)1 << 28;
  size_t out_len;
  uint8_t *u = rill__snappy_uncompress(b, (size_t)size, max_out, &out_len, c->st);
  if (!u) return rill_status_code(c->st) == RILL_DATA_LOSS ? corrupt(c, "corrupted compressed block contents") : false;
  t->blocks[t->n_blocks++] = u;
  *data = u;
  *n = out_len;
  return true;
}

typedef bool (*entry_fn)(parse_ctx *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

/* Iterates a block's entries, rebuilding each key into `key` (a scratch buffer), and calls fn. */
static bool walk_block(parse_ctx *c, const uint8_t *data, size_t n, rill__pb_buf *key, entry_fn fn) {
  if (n < 4) return corrupt(c, "bad block contents (too short)");
  uint32_t n_restarts = rill__get_le32(data + n - 4);
  if (n_restarts > (n - 4) / 4) return corrupt(c, "bad block contents (restart array)");
  if (n_restarts == 0) return true; /* LevelDB reads such a block as empty */
  const uint8_t *p = data, *limit = data + n - 4 * ((size_t)n_restarts + 1);
  rill__pb_buf_reset(key);
  while (p < limit) {
    uint64_t shared, unshared, vlen;
    if (!get_varint(&p, limit, 5, &shared) || !get_varint(&p, limit, 5, &unshared) ||
        !get_varint(&p, limit, 5, &vlen) || unshared > (uint64_t)(limit - p) ||
        vlen > (uint64_t)(limit - p) - unshared || shared > key->len)
      return corrupt(c, "bad entry in block");
    key->len = (size_t)shared;
    rill__pb_put_raw(key, p, (size_t)unshared);
    if (!rill__pb_buf_ok(key)) return oom(c);
    p += unshared;
    if (!fn(c, key->data, key->len, p, (size_t)vlen)) return false;
    p += vlen;
  }
  return true;
}

/* Appends a data entry. While parsing, kv[].key holds an offset into the key arena (which may
 * move as it grows); rill__table_open turns offsets into pointers at the end. */
static bool add_kv(parse_ctx *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  rill__table *t = c->t;
  if (t->n > 0) {
    const rill__table_kv *prev = &t->kv[t->n - 1];
    size_t m = kl < prev->klen ? kl : prev->klen;
    int cmp = m ? memcmp(k, t->keys + (uintptr_t)prev->key, m) : 0;
    if (cmp < 0 || (cmp == 0 && kl <= prev->klen)) return corrupt(c, "keys out of order");
  }
  /* A legitimate table's keys are a small multiple of its size (restart points store whole
   * keys); the limit keeps hostile prefix sharing from exhausting memory. */
  if (kl > c->keys_limit - c->keys_len) return corrupt(c, "keys larger than the file can hold");
  if (t->n == c->cap_kv) {
    size_t cap = c->cap_kv ? c->cap_kv * 2 : 64;
    rill__table_kv *kv = realloc(t->kv, cap * sizeof *kv);
    if (!kv) return oom(c);
    t->kv = kv;
    c->cap_kv = cap;
  }
  if (kl > c->keys_cap - c->keys_len) {
    size_t cap = c->keys_cap ? c->keys_cap : 4096;
    while (cap - c->keys_len < kl) cap *= 2;
    uint8_t *a = realloc(t->keys, cap);
    if (!a) return oom(c);
    t->keys = a;
    c->keys_cap = cap;
  }
  if (kl) memcpy(t->keys + c->keys_len, k, kl);
  t->kv[t->n] = (rill__table_kv){.key = (const uint8_t *)(uintptr_t)c->keys_len, .klen = kl, .value = v, .vlen = vl};
  t->n++;
  c->keys_len += kl;
  return true;
}

/* An index entry: its value is the handle of a data block, whose entries are added in turn. */
static bool visit_data_block(parse_ctx *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  (void)k;
  (void)kl;
  const uint8_t *p = v;
  uint64_t off, size;
  if (!decode_handle(&p, v + vl, &off, &size)) return corrupt(c, "bad block handle in index");
  const uint8_t *data;
  size_t n;
  if (!read_block(c, off, size, &data, &n)) return false;
  return walk_block(c, data, n, &c->data_key, add_kv);
}

void rill__table_free(rill__table *t) {
  if (!t) return;
  free(t->kv);
  free(t->file);
  for (size_t i = 0; i < t->n_blocks; i++) free(t->blocks[i]);
  free(t->blocks);
  free(t->keys);
  memset(t, 0, sizeof *t);
}

bool rill__table_open(rill__table *t, uint8_t *file, size_t len, const char *fname, rill_status *st) {
  memset(t, 0, sizeof *t);
  t->file = file;
  t->file_len = len;
  parse_ctx c = {.t = t, .fname = fname, .st = st, .keys_limit = len * 64 + ((size_t)1 << 20)};
  rill__pb_buf_init(&c.data_key);
  rill__pb_buf idx_key;
  rill__pb_buf_init(&idx_key);
  bool ok = false;
  if (len < RILL_TABLE_FOOTER_LEN) {
    corrupt(&c, "file is too short to be an sstable");
    goto out;
  }
  const uint8_t *f = file + len - RILL_TABLE_FOOTER_LEN;
  if (rill__get_le64(f + 40) != RILL_TABLE_MAGIC) {
    corrupt(&c, "not an sstable (bad magic number)");
    goto out;
  }
  const uint8_t *p = f;
  uint64_t meta_off, meta_size, index_off, index_size;
  if (!decode_handle(&p, f + 40, &meta_off, &meta_size) || !decode_handle(&p, f + 40, &index_off, &index_size)) {
    corrupt(&c, "bad block handle in footer");
    goto out;
  }
  const uint8_t *idx;
  size_t idx_n;
  /* Like TF's Table::Open, only the index is needed; the metaindex is ignored. */
  if (!read_block(&c, index_off, index_size, &idx, &idx_n)) goto out;
  ok = walk_block(&c, idx, idx_n, &idx_key, visit_data_block);
out:
  rill__pb_buf_free(&c.data_key);
  rill__pb_buf_free(&idx_key);
  if (!ok) {
    rill__table_free(t);
    return false;
  }
  static const uint8_t no_keys[1];
  for (size_t i = 0; i < t->n; i++) t->kv[i].key = t->keys ? t->keys + (uintptr_t)t->kv[i].key : no_keys;
  return true;
}

long rill__table_find(const rill__table *t, const void *key, size_t klen) {
  size_t lo = 0, hi = t->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const rill__table_kv *e = &t->kv[mid];
    size_t m = klen < e->klen ? klen : e->klen;
    int c = m ? memcmp(e->key, key, m) : 0;
    if (c == 0) c = e->klen < klen ? -1 : e->klen > klen ? 1 : 0;
    if (c == 0) return (long)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}
