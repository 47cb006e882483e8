/* Gradient-check cases for src/ops/array_ops.c. */
#include "support/gradcheck.h"

const rill_gradcase rill_gradcases_array[] = {{0}};
const int rill_gradcases_array_n = 0;
