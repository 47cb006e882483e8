/* Status codes and the status object every runtime call reports through.
 *
 * Codes and their numbers are TensorFlow's (tensorflow/core/protobuf/error_codes.proto),
 * so messages and codes read the same as TF's. A rill_status is caller-owned; the library
 * never aborts or exits on anything a caller can cause, it sets a status instead.
 * Thread-safety: a status object must not be shared between threads without locking. */
#ifndef RILL_STATUS_H
#define RILL_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rill_code {
  RILL_OK = 0,
  RILL_CANCELLED = 1,
  RILL_UNKNOWN = 2,
  RILL_INVALID_ARGUMENT = 3,
  RILL_DEADLINE_EXCEEDED = 4,
  RILL_NOT_FOUND = 5,
  RILL_ALREADY_EXISTS = 6,
  RILL_PERMISSION_DENIED = 7,
  RILL_RESOURCE_EXHAUSTED = 8,
  RILL_FAILED_PRECONDITION = 9,
  RILL_ABORTED = 10,
  RILL_OUT_OF_RANGE = 11,
  RILL_UNIMPLEMENTED = 12,
  RILL_INTERNAL = 13,
  RILL_UNAVAILABLE = 14,
  RILL_DATA_LOSS = 15
} rill_code;

typedef struct rill_status rill_status;

/* Returns a new status set to RILL_OK, or NULL when out of memory. Free with rill_status_delete. */
rill_status *rill_status_new(void);
/* Frees a status. Accepts NULL. */
void rill_status_delete(rill_status *s);
/* The code; RILL_OK for a NULL status. */
rill_code rill_status_code(const rill_status *s);
/* The message, "" when OK. The string is owned by the status and valid until it changes. */
const char *rill_status_message(const rill_status *s);
/* Sets code and a printf-formatted message. Accepts NULL (then does nothing). */
void rill_status_set(rill_status *s, rill_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Resets to RILL_OK with an empty message. */
void rill_status_clear(rill_status *s);
/* Copies code and message from src to dst. */
void rill_status_copy(rill_status *dst, const rill_status *src);
/* TF's name of a code, e.g. "INVALID_ARGUMENT". Static string. */
const char *rill_code_name(rill_code code);

#ifdef __cplusplus
}
#endif
#endif
