#!/usr/bin/env bash
# Installs what jobctl needs to build and test on Debian 12. Idempotent.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(build-essential cmake pkg-config ccache git tar gzip iproute2 procps python3
      libzmq3-dev cppzmq-dev libyaml-cpp-dev libboost-dev libsqlite3-dev libcli11-dev
      libspdlog-dev nlohmann-json3-dev libgloo-dev libopenblas-dev libbenchmark-dev
      libgtest-dev libgmock-dev)
PKGS+=(clang)                # scripts/fuzz.sh: libFuzzer, ASan, UBSan
PKGS+=(libopenblas0-openmp)  # the OpenMP OpenBLAS that PyTorch uses in bench/trainer
# Container runtime and the registry the image tests start (docs/runtimes.md).
PKGS+=(podman runc catatonit uidmap docker-registry busybox-static)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
