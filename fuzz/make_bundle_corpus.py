#!/usr/bin/env python3
"""Regenerates fuzz/corpus/bundle/, the seeds of fuzz_bundle, from the TensorFlow checkpoints in
tests/checkpoint/fixtures/ (framed as fuzz_bundle.c describes) plus a few state files.
Standard library only:
    python3 fuzz/make_bundle_corpus.py
"""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "checkpoint", "fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus", "bundle")


def read(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def main():
    os.makedirs(OUT, exist_ok=True)
    for prefix in ("test_model", "ema_test_model", "types-7"):
        index = read(prefix + ".index")
        data = read(prefix + ".data-00000-of-00001")
        for tag, mode in (("", b"\x00"), ("fixcrc_", b"\x02")):
            with open(os.path.join(OUT, "bundle_" + tag + prefix), "wb") as f:
                f.write(mode + struct.pack("<I", len(index)) + index + data)
    states = {
        "state_tf": read("checkpoint"),
        "state_escapes": b'model_checkpoint_path: "m\\101\\x42\\n" \'-1\'\n'
                         b'all_model_checkpoint_paths: "model.ckpt-1"\n'
                         b"all_model_checkpoint_timestamps: 1.5e9\n# comment\nx { y: 1 }\n",
    }
    for name, text in states.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(b"\x01" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
