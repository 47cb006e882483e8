#!/usr/bin/env bash
# The install test: `cmake --install` of a build into a scratch prefix, then the consumer
# program built against the installed copy three ways and run each time:
#   1. pkg-config --cflags --libs rill            (shared library)
#   2. pkg-config --static --libs rill            (static archive; no librill.so needed)
#   3. a CMake project with find_package(rill)    (rill::rill and rill::rill_static)
# The build was configured for another prefix, so this also checks that rill.pc and the CMake
# package find their files relative to where they were installed.
# Usage: install_test.sh BUILD_DIR WORK_DIR C_COMPILER [EXTRA_FLAGS]
#   EXTRA_FLAGS: compile and link flags for the consumers (the sanitizer flags of an ASan build)
# shellcheck disable=SC2129  # every step appends to the one log on its own
set -euo pipefail
build=$1 work=$2 cc=$3 extra=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
log="$work/log.txt"
rm -rf "$work"
mkdir -p "$work"
on_exit() {
  local rc=$?
  [ "$rc" = 0 ] || { echo "install_test: FAILED; log:"; cat "$log"; }
}
trap on_exit EXIT

step() { echo "install_test: $*"; echo "== $*" >>"$log"; }

prefix="$work/prefix"
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >>"$log" 2>&1
pc=$(find "$prefix" -name rill.pc -print -quit)
[ -n "$pc" ] || { echo "rill.pc was not installed" >>"$log"; exit 1; }
[ -f "$prefix/include/rill/rill.h" ] || { echo "headers were not installed" >>"$log"; exit 1; }

pcdir=$(dirname "$pc")
export PKG_CONFIG_PATH="$pcdir"
version=$(pkg-config --modversion rill)
libdir=$(pkg-config --variable=libdir rill)
[ "$(cd "$libdir" && pwd -P)" = "$(cd "$pcdir/.." && pwd -P)" ] ||
  { echo "rill.pc libdir $libdir is not the installed one" >>"$log"; exit 1; }

step "pkg-config, shared"
# shellcheck disable=SC2046,SC2086  # $extra and pkg-config's output are lists of flags
"$cc" $extra -o "$work/consumer_shared" "$here/consumer.c" $(pkg-config --cflags --libs rill) \
  -Wl,-rpath,"$libdir" >>"$log" 2>&1
readelf -d "$work/consumer_shared" | grep -q 'NEEDED.*librill\.so' ||
  { echo "consumer_shared does not use librill.so" >>"$log"; exit 1; }
"$work/consumer_shared" "$version" >>"$log" 2>&1

step "pkg-config --static"
static_libs=$(pkg-config --static --libs rill | sed -E 's/(^| )-lrill( |$)/ -Wl,-Bstatic -lrill -Wl,-Bdynamic /')
# shellcheck disable=SC2046,SC2086  # $extra and pkg-config's output are lists of flags
"$cc" $extra -o "$work/consumer_static" "$here/consumer.c" $(pkg-config --cflags rill) $static_libs \
  >>"$log" 2>&1
if readelf -d "$work/consumer_static" | grep -q 'librill'; then
  echo "consumer_static depends on librill.so" >>"$log"
  exit 1
fi
"$work/consumer_static" "$version" >>"$log" 2>&1

step "find_package(rill)"
cmake -S "$here/cmake_consumer" -B "$work/cmake" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCONSUMER_SOURCE="$here/consumer.c" \
  -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" >>"$log" 2>&1
grep -q "^rill_DIR:PATH=$prefix/" "$work/cmake/CMakeCache.txt" ||
  { echo "find_package(rill) did not find the scratch prefix" >>"$log"; exit 1; }
cmake --build "$work/cmake" >>"$log" 2>&1
"$work/cmake/consumer_shared" "$version" >>"$log" 2>&1
"$work/cmake/consumer_static" "$version" >>"$log" 2>&1
step "ok (rill $version)"
