/* Broadcast planning and the run iterator (see bcast.h). */
#include "kernels/cpu/bcast.h"

bool rill_bcast_plan(rill_shape a, rill_shape b, rill_shape *out, rill_bcast *p) {
  int r = a.rank > b.rank ? a.rank : b.rank;
  int64_t od[RILL_MAX_RANK], ox[RILL_MAX_RANK], oy[RILL_MAX_RANK];
  int64_t sa = 1, sb = 1;
  rill_shape o = rill_shape_make(NULL, 0);
  o.rank = r;
  /* innermost first, so that each operand's own strides accumulate as we go */
  for (int i = r - 1; i >= 0; i--) {
    int ia = i - (r - a.rank), ib = i - (r - b.rank);
    int64_t da = ia >= 0 ? a.dims[ia] : 1, db = ib >= 0 ? b.dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return false;
    od[i] = da == 1 ? db : da;
    ox[i] = da == 1 ? 0 : sa;
    oy[i] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
    o.dims[i] = od[i];
  }
  *out = o;
  p->n = rill_shape_num_elements(o);
  p->rank = 0;
  /* collapse from the inside out; size-1 output dims carry nothing */
  int64_t cd[RILL_MAX_RANK], cx[RILL_MAX_RANK], cy[RILL_MAX_RANK];
  int n = 0;
  for (int i = r - 1; i >= 0; i--) {
    if (od[i] == 1) continue;
    if (n > 0) {
      int j = n - 1;
      bool mx = (ox[i] == 0 && cx[j] == 0) || (cx[j] != 0 && ox[i] == cx[j] * cd[j]);
      bool my = (oy[i] == 0 && cy[j] == 0) || (cy[j] != 0 && oy[i] == cy[j] * cd[j]);
      if (mx && my) {
        cd[j] *= od[i];
        continue;
      }
    }
    cd[n] = od[i];
    cx[n] = ox[i];
    cy[n] = oy[i];
    n++;
  }
  if (n == 0) { /* a single element */
    cd[0] = 1;
    cx[0] = 0;
    cy[0] = 0;
    n = 1;
  }
  p->rank = n;
  for (int i = 0; i < n; i++) { /* back to outermost-first */
    p->dims[i] = cd[n - 1 - i];
    p->xs[i] = cx[n - 1 - i];
    p->ys[i] = cy[n - 1 - i];
  }
  p->inner = p->dims[n - 1];
  p->rows = p->inner ? p->n / p->inner : 0;
  return true;
}

void rill_bcast_rows(const rill_bcast *p, const void *x, size_t ex, const void *y, size_t ey, void *z, size_t ez,
                     int64_t row_b, int64_t row_e, rill_bcast_run_fn fn) {
  const int outer = p->rank - 1;
  const int64_t inner = p->inner;
  const int ixs = p->xs[outer] != 0, iys = p->ys[outer] != 0;
  int64_t idx[RILL_MAX_RANK] = {0};
  int64_t offx = 0, offy = 0, rem = row_b;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = rem % p->dims[d];
    rem /= p->dims[d];
    offx += idx[d] * p->xs[d];
    offy += idx[d] * p->ys[d];
  }
  const char *xb = x, *yb = y;
  char *zb = z;
  for (int64_t row = row_b; row < row_e; row++) {
    fn(xb + (size_t)offx * ex, yb ? yb + (size_t)offy * ey : NULL, zb + (size_t)(row * inner) * ez, inner, ixs, iys);
    for (int d = outer - 1; d >= 0; d--) { /* odometer step */
      offx += p->xs[d];
      offy += p->ys[d];
      if (++idx[d] < p->dims[d]) break;
      offx -= p->xs[d] * p->dims[d];
      offy -= p->ys[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}
