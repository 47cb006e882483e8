/* Rill: TensorFlow 1.x's programming model in C. Include this one header. */
#ifndef RILL_H
#define RILL_H
#include "rill/status.h"
#include "rill/tensor.h"
#include "rill/graph.h"
#include "rill/session.h"
#include "rill/ops.h"
#include "rill/nn_conv.h"
#include "rill/nn_pool.h"
#include "rill/train.h"
#include "rill/checkpoint.h"
#include "rill/data.h"
#include "rill/io.h"
#include "rill/example.h"
#include "rill/queue.h"
#include "rill/summary.h"
#define RILL_VERSION "0.1.0"
#endif
