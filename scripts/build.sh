#!/usr/bin/env bash
# Configures and builds jobctl into build/ (or $JOBCTL_BUILD_DIR). Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JOBCTL_BUILD_DIR:-$root/build}"
# Let ccache share objects between checkouts in different folders.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
