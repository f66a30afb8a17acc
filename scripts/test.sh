#!/usr/bin/env bash
# Sets up everything and runs the whole test suite twice. Idempotent.
#   1. the normal build (build/, RelWithDebInfo): scripts/build.sh, then ctest;
#   2. the same suite under AddressSanitizer and UndefinedBehaviorSanitizer
#      (build-asan/): scripts/sanitize.sh, which also fails on a sanitizer
#      report from any process a test started.
# JOBCTL_SKIP_SANITIZE=1 skips phase 2 (for a quick local run; CI never sets it).
# Extra arguments go to both ctest runs (e.g. -R Codec).
# Each phase prints ctest's summary; the last line sums both:
#   "test.sh: N passed, N failed (normal: ...; ASan+UBSan: ...)"
# and the exit status is non-zero if anything failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

"$root/scripts/setup.sh"
start=$SECONDS
"$root/scripts/build.sh"
echo "test.sh: normal build took $((SECONDS - start)) s"

# Prints "PASSED FAILED" from a ctest log's summary line, nothing without one.
counts() {
  sed -nE 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$1" |
    tail -n 1 | awk '{ print $2 - $1, $1 }'
}

status=0
start=$SECONDS
(cd "${JOBCTL_BUILD_DIR:-$root/build}" &&
  ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@") 2>&1 | tee "$logs/normal" || status=1
read -r passed failed < <(counts "$logs/normal") || true
if [ -z "${passed:-}" ]; then
  echo "test.sh: FAILED: the normal phase's ctest gave no summary (see above)"
  exit 1
fi
echo "test.sh: normal ctest took $((SECONDS - start)) s"
summary="normal: $passed passed, $failed failed"

if [ "${JOBCTL_SKIP_SANITIZE:-0}" = 1 ]; then
  summary+="; ASan+UBSan: skipped (JOBCTL_SKIP_SANITIZE=1)"
else
  echo "test.sh: phase 2: the suite under ASan and UBSan (scripts/sanitize.sh)"
  start=$SECONDS
  "$root/scripts/sanitize.sh" "$@" 2>&1 | tee "$logs/sanitize" || status=1
  echo "test.sh: the ASan+UBSan phase (build and ctest) took $((SECONDS - start)) s"
  read -r spassed sfailed < <(counts "$logs/sanitize") || true
  reports="$(sed -nE 's/^sanitize\.sh: ([0-9]+) sanitizer reports$/\1/p' "$logs/sanitize" | tail -n 1)"
  if [ -z "${spassed:-}" ] || [ -z "$reports" ]; then
    echo "test.sh: FAILED: the ASan+UBSan phase stopped before its summary (see above)"
    exit 1
  fi
  summary+="; ASan+UBSan: $spassed passed, $sfailed failed, $reports sanitizer reports"
  passed=$((passed + spassed))
  failed=$((failed + sfailed + reports))
fi
echo "test.sh: $summary"
# The closing line, for CI: the two phases added up.
echo "$passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then status=1; fi
exit "$status"
