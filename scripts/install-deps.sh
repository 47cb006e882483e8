#!/usr/bin/env bash
# Installs everything Rill's build, tests, demo and benchmarks need on Debian.
# Idempotent: packages already present are skipped, the venv is reused.
# Usage: scripts/install-deps.sh [--with-peers] [BUILD_DIR]
#   --with-peers  also install the benchmark peers (PyTorch from Debian, tensorflow-cpu from pip)
set -euo pipefail

with_peers=0
build_dir=build
for a in "$@"; do
  case "$a" in
    --with-peers) with_peers=1 ;;
    *) build_dir=$a ;;
  esac
done

pkgs=(build-essential cmake pkg-config clang libopenblas-dev libcmocka-dev zlib1g-dev
      dataset-fashion-mnist python3 python3-venv python3-numpy)
[ "$with_peers" = 1 ] && pkgs+=(python3-torch python3-sklearn)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python reference tools (real TensorFlow) live in a venv under the build folder.
# They are needed only to regenerate golden fixtures and for the TF benchmark peer.
if [ "$with_peers" = 1 ]; then
  venv="$build_dir/venv"
  if [ ! -x "$venv/bin/python" ]; then
    /usr/bin/python3 -m venv --system-site-packages "$venv"
  fi
  if ! "$venv/bin/python" -c "import tensorflow" 2>/dev/null; then
    "$venv/bin/pip" install -q tensorflow-cpu
  fi
fi
echo "install-deps: ok"
