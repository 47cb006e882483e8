#!/usr/bin/env python3
"""Starts the real `tensorboard` server on a log directory and prints what its HTTP API serves,
one tab-separated record per line, for tests/summary/test_tensorboard_interop.c.

Usage: query_server.py LOGDIR RUNS

The server runs with --load_fast=true: the Rust data server ("RustBoard") that TensorBoard 2.x
uses by default, which is stricter about event contents than the Python loaders read by
read_events.py. RUNS is how many runs to wait for; the script then waits until the served
data stops changing, prints it, and stops the server.

Lines:
  HTTP_RUNS runs(comma)
  HTTP_SCALAR run tag step value
  HTTP_HISTO run tag step rows count_sum
  HTTP_IMAGE run tag step png_hex
  HTTP_AUDIO run tag step content_type wav_hex
  HTTP_TEXT run tag step html_hex
  HTTP_GRAPH run node_count
"""
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

TIMEOUT = 120


def out(*fields):
    print("\t".join(str(f) for f in fields))


def get(base, path, **query):
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def get_json(base, path, **query):
    return json.loads(get(base, path, **query))


def snapshot(base):
    """Everything the dashboards would show, as lines."""
    lines = []
    runs = get_json(base, "/data/runs")
    lines.append(("HTTP_RUNS", ",".join(sorted(runs))))
    for run, tags in sorted(get_json(base, "/data/plugin/scalars/tags").items()):
        for tag in sorted(tags):
            for wall, step, value in get_json(base, "/data/plugin/scalars/scalars", run=run, tag=tag):
                lines.append(("HTTP_SCALAR", run, tag, step, repr(float(value))))
    for run, tags in sorted(get_json(base, "/data/plugin/histograms/tags").items()):
        for tag in sorted(tags):
            for wall, step, rows in get_json(base, "/data/plugin/histograms/histograms", run=run, tag=tag):
                lines.append(("HTTP_HISTO", run, tag, step, len(rows), repr(float(sum(r[2] for r in rows)))))
    for run, tags in sorted(get_json(base, "/data/plugin/images/tags").items()):
        for tag in sorted(tags):
            for e in get_json(base, "/data/plugin/images/images", run=run, tag=tag, sample=0):
                png = get(base, "/data/plugin/images/individualImage?" + e["query"])
                lines.append(("HTTP_IMAGE", run, tag, e["step"], png.hex()))
    for run, tags in sorted(get_json(base, "/data/plugin/audio/tags").items()):
        for tag in sorted(tags):
            for e in get_json(base, "/data/plugin/audio/audio", run=run, tag=tag, sample=0):
                wav = get(base, "/data/plugin/audio/individualAudio?" + e["query"])
                lines.append(("HTTP_AUDIO", run, tag, e["step"], e["contentType"], wav.hex()))
    for run, tags in sorted(get_json(base, "/data/plugin/text/tags").items()):
        for tag in sorted(tags):
            for e in get_json(base, "/data/plugin/text/text", run=run, tag=tag):
                lines.append(("HTTP_TEXT", run, tag, e["step"], e["text"].encode().hex()))
    for run in sorted(get_json(base, "/data/plugin/graphs/info")):
        try:
            pbtxt = get(base, "/data/plugin/graphs/graph", run=run).decode()
        except Exception:  # a run without a graph
            continue
        lines.append(("HTTP_GRAPH", run, pbtxt.count("\nnode {") + pbtxt.startswith("node {")))
    return lines


def main():
    logdir, n_runs = sys.argv[1], int(sys.argv[2])
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1", "--port", "0",
         "--load_fast=true", "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + TIMEOUT
        base = None
        while base is None:
            line = server.stderr.readline()
            if not line:
                sys.exit("tensorboard exited before serving")
            if "http://" in line:
                base = line[line.index("http://"):].split()[0].rstrip("/")
            if time.time() > deadline:
                sys.exit("tensorboard did not start")
        previous = None
        while True:
            try:
                runs = get_json(base, "/data/runs")
                current = snapshot(base) if len(runs) >= n_runs else None
            except OSError:
                current = None
            if current is not None and current == previous:
                break
            previous = current
            if time.time() > deadline:
                sys.exit("tensorboard's data did not settle")
            time.sleep(1.5)
        for fields in current:
            out(*fields)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
