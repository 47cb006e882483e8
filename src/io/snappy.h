/* Snappy block decompression, for LevelDB-format tables written by other tools with snappy
 * blocks (TF's own checkpoint writer never compresses, but table::Options defaults to snappy,
 * so a reader should accept it). Decoding only: Rill writes uncompressed blocks. */
#ifndef RILL_IO_SNAPPY_H
#define RILL_IO_SNAPPY_H

#include <stddef.h>
#include <stdint.h>
#include "rill/status.h"

/* Decompresses one raw snappy block (varint uncompressed length, then literal and copy
 * elements). On success returns a malloc'd buffer (caller frees) of *out_len bytes. Returns
 * NULL with status DATA_LOSS on malformed input (a copy reaching before the start, an element
 * running past either end, a length that disagrees with the header), RESOURCE_EXHAUSTED when
 * the declared length exceeds max_len or memory runs out. Never reads or writes out of bounds. */
uint8_t *rill__snappy_uncompress(const uint8_t *in, size_t n, size_t max_len, size_t *out_len, rill_status *status);

#endif
