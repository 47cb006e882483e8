/* libFuzzer target: the checkpoint readers (src/io/leveldb_table.c, snappy.c, bundle_reader.c,
 * checkpoint_reader.c and the `checkpoint` state-file parser in src/train/checkpoint_state.c).
 *
 * Input: byte 0 picks the target. Bit 0 clear: a bundle, as a 4-byte little-endian index length L,
 * then L bytes of `.index` file, then the `.data-00000-of-00001` file; the table is parsed
 * from memory, then both files are written to a scratch directory and opened with the public
 * checkpoint reader, which lists every tensor and reads each one (checking values cannot be
 * done here, but every failure must be a status, never a crash or a leak). With bit 1 set, the
 * harness first rewrites the CRCs of the index block and of the data blocks it points at, so
 * that mutations get past the checksums into the block and entry parsers. Bit 0 set: the rest
 * is a `checkpoint` state file, parsed by rill_get_checkpoint_state.
 *
 * Seeds (fuzz/corpus/bundle/) are TensorFlow's checkpoints from tests/checkpoint/fixtures/ in
 * this framing, and state files, made by fuzz/make_bundle_corpus.py. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io/crc32c.h"
#include "io/leveldb_table.h"
#include "rill/rill.h"

static char dir[64], prefix[96], index_path[128], data_path[160], state_path[96];

static void put(const char *path, const uint8_t *d, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) __builtin_trap();
  if (n && fwrite(d, 1, n, f) != n) __builtin_trap();
  fclose(f);
}

static void cleanup(void) {
  unlink(index_path);
  unlink(data_path);
  unlink(state_path);
  rmdir(dir);
}

static void setup(void) {
  if (dir[0]) return;
  snprintf(dir, sizeof dir, "/tmp/rill-fuzz-bundle-XXXXXX");
  if (!mkdtemp(dir)) __builtin_trap();
  snprintf(prefix, sizeof prefix, "%s/model.ckpt-1", dir);
  snprintf(index_path, sizeof index_path, "%s.index", prefix);
  snprintf(data_path, sizeof data_path, "%s.data-00000-of-00001", prefix);
  snprintf(state_path, sizeof state_path, "%s/checkpoint", dir);
  atexit(cleanup);
}

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int i = 0; i < 10 && *p < end; i++) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* Rewrites the trailer CRC of the block at (off, size) when it lies inside img[0, n). */
static bool fix_block(uint8_t *img, size_t n, uint64_t off, uint64_t size) {
  if (off > n || size > n - off || 5 > n - off - size) return false;
  uint32_t crc = rill_crc32c_extend(rill_crc32c(img + off, (size_t)size), img + off + size, 1);
  rill__put_le32(img + off + size + 1, rill_crc32c_mask(crc));
  return true;
}

/* Follows the footer to the index block and each data-block handle in it, fixing CRCs. */
static void fix_checksums(uint8_t *img, size_t n) {
  if (n < RILL_TABLE_FOOTER_LEN) return;
  const uint8_t *f = img + n - RILL_TABLE_FOOTER_LEN, *p = f;
  uint64_t mo, ms, io, is;
  if (!varint(&p, f + 40, &mo) || !varint(&p, f + 40, &ms) || !varint(&p, f + 40, &io) || !varint(&p, f + 40, &is))
    return;
  if (!fix_block(img, n, io, is) || is < 4) return;
  const uint8_t *blk = img + io;
  uint32_t nr = rill__get_le32(blk + is - 4);
  if (nr > (is - 4) / 4) return;
  const uint8_t *q = blk, *limit = blk + is - 4 * ((size_t)nr + 1);
  while (q < limit) {
    uint64_t shared, unshared, vlen, off, size;
    if (!varint(&q, limit, &shared) || !varint(&q, limit, &unshared) || !varint(&q, limit, &vlen)) return;
    if (unshared > (uint64_t)(limit - q) || vlen > (uint64_t)(limit - q) - unshared) return;
    q += unshared;
    const uint8_t *h = q;
    if (varint(&h, q + vlen, &off) && varint(&h, q + vlen, &size) && !(off == io && size == is))
      fix_block(img, n, off, size);
    q += vlen;
  }
}

static void fuzz_bundle(const uint8_t *d, size_t n, bool fix, rill_status *st) {
  if (n < 4) return;
  uint32_t il = rill__get_le32(d);
  d += 4;
  n -= 4;
  if (il > n) il = (uint32_t)n;
  uint8_t *index = malloc(il ? il : 1);
  if (il) memcpy(index, d, il);
  if (fix) fix_checksums(index, il);
  uint8_t *copy = malloc(il ? il : 1);
  if (il) memcpy(copy, index, il);
  rill__table t;
  if (rill__table_open(&t, copy, il, "fuzz.index", st)) {
    for (size_t i = 1; i < t.n; i++) /* sorted, and every key is found */
      if (rill__table_find(&t, t.kv[i].key, t.kv[i].klen) != (long)i) __builtin_trap();
  } else if (rill_status_code(st) != RILL_DATA_LOSS && rill_status_code(st) != RILL_RESOURCE_EXHAUSTED) {
    __builtin_trap();
  }
  rill__table_free(&t);

  put(index_path, index, il);
  free(index);
  put(data_path, d + il, n - il);
  rill_checkpoint_reader *r = rill_checkpoint_reader_new(prefix, st);
  if (!r) return;
  for (int i = 0; i < rill_checkpoint_reader_size(r); i++) {
    const char *name = rill_checkpoint_reader_name(r, i);
    if (rill_checkpoint_reader_find(r, name) != i) __builtin_trap();
    rill_tensor *x = rill_checkpoint_reader_get_tensor(r, name, st);
    if (x) {
      if (rill_tensor_dtype(x) != rill_checkpoint_reader_dtype(r, i) ||
          !rill_shape_equal(rill_tensor_shape(x), rill_checkpoint_reader_shape(r, i)))
        __builtin_trap();
      rill_tensor_unref(x);
    } else if (rill_status_code(st) == RILL_OK) {
      __builtin_trap();
    }
  }
  rill_checkpoint_reader_delete(r);
}

static void fuzz_state(const uint8_t *d, size_t n, rill_status *st) {
  put(state_path, d, n);
  rill_checkpoint_state *s = rill_get_checkpoint_state(dir, st);
  if (s) {
    if (!s->model_checkpoint_path) __builtin_trap();
    for (int i = 0; i < s->n_all; i++)
      if (!s->all_model_checkpoint_paths[i]) __builtin_trap();
  } else if (rill_status_code(st) != RILL_DATA_LOSS) {
    __builtin_trap();
  }
  rill_checkpoint_state_delete(s);
  free(rill_latest_checkpoint(dir));
  unlink(state_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  setup();
  rill_status *st = rill_status_new();
  if (data[0] & 1)
    fuzz_state(data + 1, size - 1, st);
  else
    fuzz_bundle(data + 1, size - 1, (data[0] & 2) != 0, st);
  rill_status_delete(st);
  return 0;
}
