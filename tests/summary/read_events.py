#!/usr/bin/env python3
"""Reads a TensorBoard log directory with TensorBoard's own loaders and prints what it found,
one tab-separated record per line, for tests/summary/test_tensorboard_interop.c to compare
with what Rill wrote.

Usage: read_events.py LOGDIR

Both of TensorBoard's Python ingestion paths are used: the classic EventAccumulator (scalars,
histograms, distributions, images, audio, tensors, the graph) and the PluginEventMultiplexer
that the dashboards read from (every value converted to the plugins' tensor form). Floats are
printed with repr(), which round-trips, and bytes as hex.

Lines:
  RUN run file_version
  SCALAR run tag step value
  HISTO run tag step min max num sum sum_squares limits(comma) counts(comma)
  DIST run tag step bp:value,...            (compressed histogram, the DISTRIBUTIONS tab)
  IMAGE run tag step width height png_hex
  AUDIO run tag step sample_rate length_frames content_type channels rate sampwidth samples(comma)
  TEXT run tag step plugin_name shape(comma) values_hex(comma)
  NODE run name op device|- inputs(comma)
  ATTR run node key kind value...
  PLUGIN plugin run tag                     (the multiplexer's tags per dashboard plugin)
  PSCALAR run tag step value                (the scalars plugin's converted tensor)
  PHISTO run tag step rows count_sum        (the histograms plugin's [k,3] tensor)
"""
import io
import os
import sys
import wave

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem  # noqa: E402
from tensorboard.compat.proto import types_pb2  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402


def out(*fields):
    print("\t".join(str(f) for f in fields))


def shape_str(shape):
    if shape.unknown_rank:
        return "?"
    return "[" + ",".join(str(d.size) for d in shape.dim) + "]"


def attr_line(run, node, key, v):
    kind = v.WhichOneof("value")
    if kind == "type":
        out("ATTR", run, node, key, "type", v.type)
    elif kind == "i":
        out("ATTR", run, node, key, "i", v.i)
    elif kind == "f":
        out("ATTR", run, node, key, "f", repr(v.f))
    elif kind == "b":
        out("ATTR", run, node, key, "b", int(v.b))
    elif kind == "s":
        out("ATTR", run, node, key, "s", v.s.hex() or "-")
    elif kind == "shape":
        out("ATTR", run, node, key, "shape", shape_str(v.shape))
    elif kind == "list":
        lst = v.list
        out("ATTR", run, node, key, "list",
            "i=" + ",".join(str(x) for x in lst.i),
            "f=" + ",".join(repr(x) for x in lst.f),
            "shape=" + ";".join(shape_str(s) for s in lst.shape),
            "type=" + ",".join(str(t) for t in lst.type))
    elif kind == "tensor":
        t = v.tensor
        arr = tensor_util.make_ndarray(t)
        if t.dtype == types_pb2.DT_STRING:
            vals = ",".join(x.hex() for x in arr.ravel().tolist())
        else:
            vals = ",".join(repr(float(x)) for x in arr.ravel().tolist())
        out("ATTR", run, node, key, "tensor", t.dtype, shape_str(t.tensor_shape), vals or "-")
    else:
        out("ATTR", run, node, key, "none")


def classic(logdir, run):
    acc = ea.EventAccumulator(os.path.join(logdir, run), size_guidance=ea.STORE_EVERYTHING_SIZE_GUIDANCE)
    acc.Reload()
    out("RUN", run, acc.file_version)
    tags = acc.Tags()
    for tag in tags[ea.SCALARS]:
        for e in acc.Scalars(tag):
            out("SCALAR", run, tag, e.step, repr(e.value))
    for tag in tags[ea.HISTOGRAMS]:
        for e in acc.Histograms(tag):
            h = e.histogram_value
            out("HISTO", run, tag, e.step, repr(h.min), repr(h.max), repr(h.num), repr(h.sum),
                repr(h.sum_squares), ",".join(repr(x) for x in h.bucket_limit),
                ",".join(repr(x) for x in h.bucket))
    for tag in tags[ea.COMPRESSED_HISTOGRAMS]:
        for e in acc.CompressedHistograms(tag):
            out("DIST", run, tag, e.step,
                ",".join("%d:%r" % (bp, float(value)) for bp, value in e.compressed_histogram_values))
    for tag in tags[ea.IMAGES]:
        for e in acc.Images(tag):
            out("IMAGE", run, tag, e.step, e.width, e.height, e.encoded_image_string.hex())
    for tag in tags[ea.AUDIO]:
        for e in acc.Audio(tag):
            with wave.open(io.BytesIO(e.encoded_audio_string), "rb") as w:
                frames = w.readframes(w.getnframes())
                width = w.getsampwidth()
                samples = [int.from_bytes(frames[i:i + width], "little", signed=True)
                           for i in range(0, len(frames), width)]
                out("AUDIO", run, tag, e.step, repr(e.sample_rate), e.length_frames, e.content_type,
                    w.getnchannels(), w.getframerate(), width, ",".join(str(s) for s in samples))
    for tag in tags[ea.TENSORS]:
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name
        for e in acc.Tensors(tag):
            arr = tensor_util.make_ndarray(e.tensor_proto)
            vals = arr.ravel().tolist()
            out("TEXT", run, tag, e.step, plugin or "-", ",".join(str(d) for d in arr.shape) or "-",
                ",".join(v.hex() if isinstance(v, bytes) else repr(v) for v in vals) or "-")
    if tags[ea.GRAPH]:
        g = acc.Graph()
        for n in g.node:
            out("NODE", run, n.name, n.op, n.device or "-", ",".join(n.input) or "-")
            for key in sorted(n.attr):
                attr_line(run, n.name, key, n.attr[key])


def plugins(logdir):
    mux = pem.EventMultiplexer(size_guidance={"scalars": 0, "histograms": 0, "images": 0, "audio": 0,
                                              "tensors": 0})
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    for plugin in ("scalars", "histograms", "images", "audio", "text", "graphs"):
        for run, tags in sorted(mux.PluginRunToTagToContent(plugin).items()):
            for tag in sorted(tags):
                out("PLUGIN", plugin, run, tag)
    for run, tags in sorted(mux.PluginRunToTagToContent("scalars").items()):
        for tag in sorted(tags):
            for e in mux.Tensors(run, tag):
                out("PSCALAR", run, tag, e.step, repr(float(tensor_util.make_ndarray(e.tensor_proto).item())))
    for run, tags in sorted(mux.PluginRunToTagToContent("histograms").items()):
        for tag in sorted(tags):
            for e in mux.Tensors(run, tag):
                arr = tensor_util.make_ndarray(e.tensor_proto)
                out("PHISTO", run, tag, e.step, arr.shape[0], repr(float(arr[:, 2].sum())))


def main():
    logdir = sys.argv[1]
    runs = sorted(d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d)))
    for run in runs:
        classic(logdir, run)
    plugins(logdir)


if __name__ == "__main__":
    main()
