/* Gradient-check cases for src/ops/nn_ops.c. */
#include "support/gradcheck.h"

const rill_gradcase rill_gradcases_nn[] = {{0}};
const int rill_gradcases_nn_n = 0;
