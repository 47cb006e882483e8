/* File formats shared by records, event files and checkpoints: CRC-32C and TFRecord files.
 *
 * TFRecord framing is TF's (tensorflow/core/lib/io/record_writer.cc): each record is
 *   uint64 length (LE) | uint32 masked_crc32c(length bytes) | data | uint32 masked_crc32c(data)
 * with no file header, so TF reads Rill's files and Rill reads TF's. With ZLIB or GZIP
 * compression the whole framed stream is one zlib (windowBits 15) or gzip (windowBits 31)
 * stream, as TF writes it; records are not compressed one by one.
 *
 * Ownership: writers and readers are caller-owned (close / delete them). Thread-safety: one
 * writer or reader must not be used from two threads at once; distinct ones are independent.
 * The CRC functions are thread-safe. */
#ifndef RILL_IO_H
#define RILL_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rill/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CRC-32C (Castagnoli) ---- */

/* crc32c of n bytes: rill_crc32c("123456789", 9) == 0xE3069283. Uses the SSE4.2 crc32
 * instruction when the CPU has it, a table-driven loop otherwise; results are identical. */
uint32_t rill_crc32c(const void *data, size_t n);
/* The crc32c of A followed by data, given crc = rill_crc32c(A) (crc 0 for empty A), as TF's
 * crc32c::Extend. */
uint32_t rill_crc32c_extend(uint32_t crc, const void *data, size_t n);
/* TF's masked CRC stored in files: rotate right by 15 bits, then add 0xa282ead8. Masking keeps
 * the CRC of a string that itself contains CRCs well-behaved. unmask(mask(c)) == c. */
uint32_t rill_crc32c_mask(uint32_t crc);
uint32_t rill_crc32c_unmask(uint32_t masked);

/* ---- TFRecord files ---- */

/* TF's TFRecordCompressionType / compression_type strings "", "ZLIB", "GZIP". */
typedef enum rill_compression {
  RILL_COMPRESSION_NONE = 0,
  RILL_COMPRESSION_ZLIB = 1,
  RILL_COMPRESSION_GZIP = 2
} rill_compression;

/* Parses TF's compression_type string: "" (or NULL) → NONE, "ZLIB", "GZIP". Anything else
 * (including "SNAPPY", which Rill does not implement) is INVALID_ARGUMENT. */
bool rill_compression_parse(const char *name, rill_compression *out, rill_status *status);
/* "", "ZLIB" or "GZIP". */
const char *rill_compression_name(rill_compression c);

typedef struct rill_record_writer rill_record_writer;

/* tf.io.TFRecordWriter(path, options): creates or truncates path (in place, as TF does).
 * Returns NULL with status NOT_FOUND (no such directory), PERMISSION_DENIED, INVALID_ARGUMENT
 * (bad compression) and so on. Output is buffered; compressed output uses TF's zlib settings
 * (level Z_DEFAULT_COMPRESSION, memLevel 9, default strategy). */
rill_record_writer *rill_record_writer_new(const char *path, rill_compression compression, rill_status *status);
/* Appends one record of len bytes (len 0 is a valid, empty record). Records are framed whole
 * in memory before they reach the file, and when the file system fails part-way (disk full,
 * file too large, I/O error) an uncompressed file is cut back to its last complete record, so a
 * reader never sees a torn record from this writer; records still buffered at that moment are
 * lost with the failing call. After a failure the writer refuses further writes
 * (FAILED_PRECONDITION) and only rill_record_writer_close remains useful. Returns false with
 * status RESOURCE_EXHAUSTED (disk full), OUT_OF_RANGE (file size limit), UNKNOWN (other I/O
 * errors) — TF's errno mapping, message "<path>; <strerror>". */
bool rill_record_writer_write(rill_record_writer *w, const void *data, size_t len, rill_status *status);
/* Hands everything written so far to the operating system (compressed streams are
 * sync-flushed, so a reader of the file sees every complete record). Does not fsync. */
bool rill_record_writer_flush(rill_record_writer *w, rill_status *status);
/* Flushes, ends the compressed stream, closes the file and frees w (always, even on failure).
 * Returns false with status on an I/O error. Accepts NULL (then returns true). */
bool rill_record_writer_close(rill_record_writer *w, rill_status *status);

typedef struct rill_record_reader rill_record_reader;

/* Opens path for reading records. Returns NULL with status NOT_FOUND, PERMISSION_DENIED,
 * INVALID_ARGUMENT (bad compression) and so on. Reads go through a large buffer and verify both
 * CRCs of every record. */
rill_record_reader *rill_record_reader_new(const char *path, rill_compression compression, rill_status *status);
/* Reads the next record: *data points at its len bytes, valid until the next call on r or its
 * deletion. Returns true on success. Returns false with status
 *  - OUT_OF_RANGE at a clean end of file (exactly at a record boundary);
 *  - DATA_LOSS naming the file and the record's byte offset (in the uncompressed stream) when
 *    the length CRC or the data CRC is wrong ("corrupted record at N"), the file ends inside a
 *    record ("truncated record at N"), or a compressed stream is corrupt or cut short.
 * Positioning after an error, which readers that tail a growing file rely on: at the end of
 * file and on a truncated record the reader stays at that record, so calling again once the
 * file has grown reads it; after a bad data CRC it moves past the record (its length was
 * intact), so the next call reads the following one; after a bad length CRC it stays, since
 * nothing after it can be located. */
bool rill_record_reader_next(rill_record_reader *r, const uint8_t **data, size_t *len, rill_status *status);
/* Byte offset of the next record to read, in the uncompressed stream (TF's record offsets). */
uint64_t rill_record_reader_offset(const rill_record_reader *r);
/* Moves to the record starting at offset (a value rill_record_reader_offset returned), within
 * the buffer when possible. An uncompressed file seeks directly and accepts any offset (the next
 * read reports what it finds there: OUT_OF_RANGE past the end, DATA_LOSS inside a record); a
 * compressed stream is inflated again from its start when offset lies behind, and returns false
 * with status OUT_OF_RANGE when it ends before offset (or with the stream's own error). */
bool rill_record_reader_seek(rill_record_reader *r, uint64_t offset, rill_status *status);
/* Closes the file and frees r. Accepts NULL. */
void rill_record_reader_delete(rill_record_reader *r);

/* tf.compat.v1.io.tf_record_iterator(path, options): calls fn(data, len, arg) for each record in
 * file order (data valid only during the call); fn returns false to stop early. Returns true
 * when the file was read to its clean end or fn stopped, false with the reader's status
 * (DATA_LOSS, NOT_FOUND, ...) otherwise; records before an error have been delivered. */
bool rill_tf_record_iterator(const char *path, rill_compression compression,
                             bool (*fn)(const uint8_t *data, size_t len, void *arg), void *arg,
                             rill_status *status);

#ifdef __cplusplus
}
#endif
#endif
