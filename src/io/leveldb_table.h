/* LevelDB-format SSTables, as TF's tensorflow/core/lib/io/table_builder.cc and table.cc write
 * and read them: the container of a checkpoint's .index file.
 *
 * Layout (formats.md §5.1): data blocks of prefix-compressed entries with restart points, an
 * empty metaindex block, an index block (restart interval 1) mapping a separator key to each
 * data block's handle, then a 48-byte footer (two block handles zero-padded to 40 bytes, and
 * the magic 0xdb4775248b80fb57). Each block is followed by a type byte and the masked CRC32C of
 * the block and that byte.
 *
 * The builder assembles the whole file in memory (index files are small); the reader parses a
 * whole file image into a sorted array of entries. Both are single-threaded objects. */
#ifndef RILL_IO_LEVELDB_TABLE_H
#define RILL_IO_LEVELDB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "io/pb.h"
#include "rill/status.h"

/* TF's table options for bundles: 256 KiB blocks (not LevelDB's 4 KiB), a restart point every
 * 16 entries, no compression. */
#define RILL_TABLE_BLOCK_SIZE 262144
#define RILL_TABLE_RESTART_INTERVAL 16
#define RILL_TABLE_FOOTER_LEN 48
#define RILL_TABLE_MAGIC UINT64_C(0xdb4775248b80fb57)

/* One block under construction (LevelDB's BlockBuilder). */
typedef struct rill__block_builder {
  rill__pb_buf buf;
  uint32_t *restarts;
  size_t n_restarts, cap_restarts;
  int counter, interval;
  rill__pb_buf last_key;
  bool failed;
} rill__block_builder;

typedef struct rill__table_builder {
  rill__pb_buf file;           /* every finished block, with trailers */
  rill__block_builder data, index;
  rill__pb_buf last_key;
  bool pending_index;          /* a data block was flushed and awaits its index entry */
  uint64_t pending_off, pending_size;
  size_t block_size;
  uint64_t n_entries;
  bool failed;
} rill__table_builder;

/* Starts a table with TF's bundle options. Never fails (allocation happens on add). */
void rill__table_builder_init(rill__table_builder *b);
/* Adds an entry. Keys must arrive in strictly increasing bytewise order; returns false (with
 * status INVALID_ARGUMENT, or RESOURCE_EXHAUSTED when memory ran out) otherwise. */
bool rill__table_builder_add(rill__table_builder *b, const void *key, size_t klen, const void *value, size_t vlen,
                             rill_status *status);
/* Writes the last data block, the metaindex and index blocks and the footer, and hands the
 * file image to the caller (malloc'd, *len bytes). NULL with status when memory ran out. The
 * builder is freed either way. */
uint8_t *rill__table_builder_finish(rill__table_builder *b, size_t *len, rill_status *status);
/* Frees a builder that will not be finished. */
void rill__table_builder_free(rill__table_builder *b);

/* A parsed table: entries sorted by key. Keys live in an arena owned by the table; values
 * point into the file image (or into decompressed blocks) that the table also owns. */
typedef struct rill__table_kv {
  const uint8_t *key, *value;
  size_t klen, vlen;
} rill__table_kv;

typedef struct rill__table {
  rill__table_kv *kv;
  size_t n;
  uint8_t *file;               /* the file image */
  size_t file_len;
  uint8_t **blocks;            /* decompressed (snappy) blocks */
  size_t n_blocks;
  uint8_t *keys;               /* key arena */
} rill__table;

/* Parses a file image, taking ownership of `file` (malloc'd; freed by rill__table_free, or
 * right away on failure). `fname` names the file in error messages. Fails with DATA_LOSS
 * "<fname>: ..." for anything malformed: too short, bad magic, a handle outside the file, a
 * block checksum mismatch, a bad block type, a corrupt block or snappy payload, keys out of
 * order. Never reads outside the image. On failure *t is left empty (safe to free). */
bool rill__table_open(rill__table *t, uint8_t *file, size_t len, const char *fname, rill_status *status);
void rill__table_free(rill__table *t);
/* Index of the entry with exactly this key, or -1 (binary search). */
long rill__table_find(const rill__table *t, const void *key, size_t klen);

/* LevelDB's bytewise comparator helpers (exposed for tests): shortens *start (a key of *len
 * bytes) to a short key in [start, limit), and *key to a short key >= key. */
void rill__table_shortest_separator(uint8_t *start, size_t *len, const uint8_t *limit, size_t limit_len);
void rill__table_short_successor(uint8_t *key, size_t *len);

#endif
