#!/usr/bin/env python3
"""Writes the TFRecord fixtures that tests/io/test_tfrecord_interop.c reads: the same ten records
with real TensorFlow's tf.io.TFRecordWriter, uncompressed, ZLIB and GZIP.

Run from the repository root with the TensorFlow venv:
    build/venv/bin/python tests/io/make_tfrecord_fixtures.py
The C test rebuilds the same values independently, so any change here must be mirrored in
fixture_record() there.

Records:
  0..3  Example {image_raw: bytes[(7k + i) % 256 for k < 40],
                 label: int64 [i, -i*1000000007, 2**62 + i],
                 pixels: float [float32(i/3), -1.25e-3, 3e38, i*0.5],
                 names: bytes ["", "rec<i>"]}
  4     Example {x: float [1.0]}            (formats.md 2's byte-exact examples)
  5     Example {label: int64 [7, 300]}
  6     Example {s: bytes ["ab"]}
  7     raw bytes b"raw record \\x00\\x01\\xff"
  8     the empty record
  9     3000 raw bytes (31k + 5) % 251
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def feature(v):
    if isinstance(v, list) and v and isinstance(v[0], bytes):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
    if isinstance(v, list) and v and isinstance(v[0], float):
        return tf.train.Feature(float_list=tf.train.FloatList(value=v))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=v))


def example(d):
    return tf.train.Example(features=tf.train.Features(feature={k: feature(v) for k, v in d.items()})).SerializeToString()


def records():
    out = []
    for i in range(4):
        out.append(example({
            "image_raw": [bytes((7 * k + i) % 256 for k in range(40))],
            "label": [i, -i * 1000000007, 2**62 + i],
            "pixels": [float(np.float32(i / 3)), -1.25e-3, 3e38, i * 0.5],
            "names": [b"", b"rec%d" % i],
        }))
    out.append(example({"x": [1.0]}))
    out.append(example({"label": [7, 300]}))
    out.append(example({"s": [b"ab"]}))
    out.append(b"raw record \x00\x01\xff")
    out.append(b"")
    out.append(bytes((31 * k + 5) % 251 for k in range(3000)))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures")
    os.makedirs(outdir, exist_ok=True)
    recs = records()
    for name, comp in (("tf_plain.tfrecord", ""), ("tf_zlib.tfrecord", "ZLIB"), ("tf_gzip.tfrecord", "GZIP")):
        path = os.path.join(outdir, name)
        with tf.io.TFRecordWriter(path, options=tf.io.TFRecordOptions(compression_type=comp)) as w:
            for r in recs:
                w.write(r)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
