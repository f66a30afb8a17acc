#!/usr/bin/env bash
# Sets up everything and runs the whole test suite. Idempotent.
# ctest's summary line ("100% tests passed, 0 tests failed out of N") closes the output.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${JOBCTL_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
