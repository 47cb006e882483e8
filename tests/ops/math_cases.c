/* Gradient-check cases for src/ops/math_ops.c. */
#include "support/gradcheck.h"

const rill_gradcase rill_gradcases_math[] = {{0}};
const int rill_gradcases_math_n = 0;
