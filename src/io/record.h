/* TFRecord internals shared by the writer, the reader, their tests and the fuzz target. */
#ifndef RILL_IO_RECORD_H
#define RILL_IO_RECORD_H

#include "rill/io.h"

/* uint64 length + uint32 masked CRC of the length, before the data; uint32 masked CRC after. */
#define RILL_RECORD_HEADER 12
#define RILL_RECORD_FOOTER 4

/* A reader over len bytes at data (not copied; they must outlive the reader). name stands in
 * for the file name in messages. Same behaviour as a reader of a file with those bytes. */
rill_record_reader *rill__record_reader_new_mem(const void *data, size_t len, const char *name,
                                                rill_compression compression, rill_status *status);

/* Frames one record into out (room for len + 16 bytes): header, data, footer. */
void rill__record_frame_header(uint8_t out[RILL_RECORD_HEADER], uint64_t len);
void rill__record_frame_footer(uint8_t out[RILL_RECORD_FOOTER], const void *data, size_t len);

#endif
