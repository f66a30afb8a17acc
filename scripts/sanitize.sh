#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer and UndefinedBehaviorSanitizer
# into build-asan/ (or $JOBCTL_ASAN_BUILD_DIR) and runs the test suite there.
# Any sanitizer report fails the test that triggered it. Extra arguments go to
# ctest (e.g. -R Codec).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JOBCTL_ASAN_BUILD_DIR:-$root/build-asan}"
"$root/scripts/setup.sh"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
# The CUDA parts are left out: the sanitizers do not instrument device code.
# Warnings are not errors here: g++ 12's -Wmaybe-uninitialized gives false
# positives inside libstdc++ (std::regex, std::function) under the sanitizers.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DJOBCTL_SANITIZE=ON -DJOBCTL_WERROR=OFF \
  -DJOBCTL_WITH_CUDA=OFF -DJOBCTL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
cd "$build"
ctest --output-on-failure --timeout 900 -j "$(nproc)" -E fuzz_job_spec_and_wire "$@"
