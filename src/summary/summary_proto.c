/* Walking the Values of a serialized Summary (MergeSummary, the FileWriter's metadata pass). */
#include "summary/summary_internal.h"

int rill__summary_for_each_value(const uint8_t *data, size_t len,
                                 bool (*fn)(const uint8_t *value, size_t value_len, const uint8_t *tag,
                                            size_t tag_len, void *arg),
                                 void *arg, rill_status *status) {
  rill__pb_reader r;
  rill__pb_reader_init(&r, data, len);
  rill__pb_field f;
  int rc;
  while ((rc = rill__pb_next(&r, &f, status)) > 0) {
    if (f.number != RILL_SUMMARY_VALUE || f.wire != RILL_PB_LEN) continue;
    rill__pb_reader v;
    rill__pb_reader_sub(&v, &r, &f);
    rill__pb_field vf;
    const uint8_t *tag = (const uint8_t *)"";
    size_t tag_len = 0;
    int vrc;
    while ((vrc = rill__pb_next(&v, &vf, status)) > 0)
      if (vf.number == RILL_VALUE_TAG && vf.wire == RILL_PB_LEN) {
        tag = vf.data;
        tag_len = vf.len;
      }
    if (vrc < 0) return -1;
    if (fn && !fn(f.data, f.len, tag, tag_len, arg)) return 0;
  }
  return rc < 0 ? -1 : 1;
}
