#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora under fuzz/corpus/ from the TFRecord fixtures TensorFlow
wrote (tests/io/fixtures/) plus a few hand-made inputs. Standard library only:
    python3 fuzz/make_corpus.py
"""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "io", "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def records(buf):
    out, pos = [], 0
    while pos < len(buf):
        (n,) = struct.unpack_from("<Q", buf, pos)
        out.append(buf[pos + 12:pos + 12 + n])
        pos += 16 + n
    return out


def varint(v):
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7F) | 0x80)
        v >>= 7
    b.append(v)
    return bytes(b)


def field(num, wire, payload):
    if wire == 2:
        return varint(num << 3 | 2) + varint(len(payload)) + payload
    return varint(num << 3 | wire) + payload


def write(kind, name, data):
    d = os.path.join(OUT, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    def read(name):
        with open(os.path.join(FIX, name), "rb") as f:
            return f.read()

    plain = read("tf_plain.tfrecord")
    for i, (name, prefix) in enumerate((("tf_plain.tfrecord", 0), ("tf_zlib.tfrecord", 1), ("tf_gzip.tfrecord", 2))):
        write("record", "tf_%d" % i, bytes([prefix]) + read(name))
    event = bytes.fromhex("090000803899d6d7411a0d") + b"brain.Event:2"
    write("record", "event", b"\x00" + bytes.fromhex("1800000000000000a37f4b22") + event + bytes.fromhex("124b36ab"))
    write("record", "empty", b"\x00")

    recs = records(plain)
    for i, r in enumerate(recs[:7]):
        write("example", "tf_%d" % i, r)
        write("pb", "example_%d" % i, r)
    # An Example with unpacked float and int64 values, written by hand.
    flist = field(1, 5, struct.pack("<f", 1.5)) + field(1, 5, struct.pack("<f", -2.0))
    ilist = field(1, 0, varint(7)) + field(1, 0, varint((1 << 64) - 1))
    entry_f = field(1, 2, b"f") + field(2, 2, field(2, 2, flist))
    entry_i = field(1, 2, b"i") + field(2, 2, field(3, 2, ilist))
    write("example", "unpacked", field(1, 2, field(1, 2, entry_f) + field(1, 2, entry_i)))
    write("pb", "event", event)
    every = (field(1, 0, varint(150)) + field(2, 1, struct.pack("<d", 2.5)) + field(3, 2, b"nested" + field(1, 0, b"\x01"))
             + field(4, 5, struct.pack("<I", 7)) + field(536870911, 0, varint(1)))
    write("pb", "all_wire_types", every)


if __name__ == "__main__":
    main()
