/* GraphDef encoding (tensorflow/core/framework/graph.proto, node_def.proto, attr_value.proto):
 * the graph as TF's Graph.as_graph_def() writes it, for event files (TensorBoard's graph view)
 * and GraphDef export. */
#ifndef RILL_IO_GRAPHDEF_H
#define RILL_IO_GRAPHDEF_H

#include <stdbool.h>
#include "io/pb.h"
#include "rill/graph.h"

/* versions.producer written into GraphDefs: a TF 1.x-era GraphDef version (formats.md §4), so
 * TF 1.x and 2.x consumers both accept the graph. */
#define RILL_GRAPH_DEF_PRODUCER 134

/* Appends the serialized GraphDef of every op of g, in creation order, to out: per node its
 * name, op type, inputs ("x" for output 0, "x:k" otherwise, then "^ctl" for control inputs),
 * device when placed, and attributes sorted by key (TF's deterministic order). With add_shapes,
 * each node with outputs also gets "_output_shapes" (list of the outputs' inferred shapes), as
 * as_graph_def(add_shapes=True) does. Then versions {producer}. Returns false when out of
 * memory (out is failed then). */
bool rill__graphdef_encode(const rill_graph *g, bool add_shapes, rill__pb_buf *out);

#endif
