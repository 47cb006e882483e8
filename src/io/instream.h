/* A byte stream read from a file or from memory, optionally through zlib/gzip inflate: the
 * layer under the record reader (and any later reader of framed, possibly compressed files).
 *
 * End of input is not final: a file that grows after rill__instream_read returned 0 yields
 * more bytes on the next call, and an inflater that ran out of input resumes where it stopped.
 * That is what lets readers tail files that are still being written. */
#ifndef RILL_IO_INSTREAM_H
#define RILL_IO_INSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "rill/io.h"

typedef struct rill__instream rill__instream;

/* Opens path. NULL with status (NOT_FOUND etc., "<path>; <strerror>" as TF words it). */
rill__instream *rill__instream_open_file(const char *path, rill_compression c, rill_status *status);
/* Reads len bytes at data (not copied: they must outlive the stream); name is used in messages. */
rill__instream *rill__instream_open_mem(const void *data, size_t len, const char *name, rill_compression c,
                                        rill_status *status);
void rill__instream_close(rill__instream *in);

/* Reads up to n uncompressed bytes into dst. Returns the count, 0 when no more input is
 * available now, -1 with status on an I/O error or corrupt compressed data (DATA_LOSS naming the
 * file and the compressed byte offset). A stream that has failed keeps failing. */
ssize_t rill__instream_read(rill__instream *in, void *dst, size_t n, rill_status *status);
/* True when the stream may end here: always for uncompressed input; for compressed input only
 * after the compressed stream's own end (so a cut-off .gz is told from a complete one). */
bool rill__instream_complete(const rill__instream *in);
/* Restarts from the first byte. */
bool rill__instream_rewind(rill__instream *in, rill_status *status);
/* Uncompressed streams only: continues reading at byte offset. False (no status) when the
 * stream is compressed; with status on an I/O error. */
bool rill__instream_seek_raw(rill__instream *in, uint64_t offset, rill_status *status);
bool rill__instream_compressed(const rill__instream *in);
const char *rill__instream_name(const rill__instream *in);

#endif
