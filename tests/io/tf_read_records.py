#!/usr/bin/env python3
"""Reads TFRecord files with real TensorFlow and prints a canonical dump that
tests/io/test_tfrecord_interop.c compares with what Rill wrote.

usage: tf_read_records.py FILE:COMPRESSION:PARSED:PROTO ...
  COMPRESSION is NONE, ZLIB or GZIP. PARSED and PROTO are comma-separated record indices (either
  may be empty): PARSED records are Examples with the features image_raw, label, pixels and names,
  parsed with tf.io.parse_single_example; PROTO records are Examples dumped through
  tf.train.Example.FromString.
Prints, per file, "file N" and then per record
  "record I len L crc32 C"  (zlib's CRC-32 of the bytes tf.data.TFRecordDataset returned)
then the PARSED dump (dense and sparse features) and the PROTO dump (every feature of the proto,
sorted by key), in that order.
Exits 77 when TensorFlow cannot be imported.
"""
import os
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
try:
    import numpy as np
    import tensorflow as tf
except Exception as e:  # pragma: no cover - environment problem, reported as a skip
    print("SKIP: cannot import tensorflow: %s" % e)
    sys.exit(77)


def f32(x):
    return "%.9g" % float(np.float32(x))


def dump_proto(raw):
    ex = tf.train.Example.FromString(raw)
    for key in sorted(ex.features.feature):
        f = ex.features.feature[key]
        kind = f.WhichOneof("kind")
        if kind == "bytes_list":
            vals = ",".join(v.hex() for v in f.bytes_list.value)
        elif kind == "float_list":
            vals = ",".join(f32(v) for v in f.float_list.value)
        elif kind == "int64_list":
            vals = ",".join(str(v) for v in f.int64_list.value)
        else:
            vals = ""
        print("  proto %s %s [%s]" % (key.encode().hex(), kind, vals))


SPEC = {
    "image_raw": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([3], tf.int64),
    "pixels": tf.io.FixedLenFeature([4], tf.float32),
    "names": tf.io.VarLenFeature(tf.string),
}


def dump_parsed(raw):
    p = tf.io.parse_single_example(raw, SPEC)
    print("  image_raw %s" % p["image_raw"].numpy().hex())
    print("  label %s" % " ".join(str(v) for v in p["label"].numpy()))
    print("  pixels %s" % " ".join(f32(v) for v in p["pixels"].numpy()))
    names = p["names"]
    print("  names shape %s values %s" % (
        ",".join(str(v) for v in names.dense_shape.numpy()),
        ",".join(v.hex() for v in names.values.numpy())))


def main():
    for n, arg in enumerate(sys.argv[1:]):
        parts = arg.split(":")
        path, comp = parts[0], parts[1]
        parsed = set(int(x) for x in parts[2].split(",") if x)
        protos = set(int(x) for x in parts[3].split(",") if x)
        print("file %d" % n)
        ds = tf.data.TFRecordDataset(path, compression_type="" if comp == "NONE" else comp)
        for i, rec in enumerate(ds):
            raw = rec.numpy()
            print("record %d len %d crc32 %08x" % (i, len(raw), zlib.crc32(raw) & 0xffffffff))
            if i in parsed:
                dump_parsed(raw)
            if i in protos:
                dump_proto(raw)
    print("end")


if __name__ == "__main__":
    main()
