#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer and UndefinedBehaviorSanitizer
# (JOBCTL_SANITIZE) into build-asan/ (or $JOBCTL_ASAN_BUILD_DIR) and runs the
# test suite there. scripts/test.sh runs it as its second phase; run it alone
# to check a change (docs/reliability.md). Extra arguments go to ctest
# (e.g. -R Codec).
#
# Every process the tests start (jobctld, jobagent, jobctl, jobtrainer, the
# test binaries) writes its ASan or LSan report, if any, to
# build-asan/sanitizer-reports/asan.<binary>.<pid> instead of stderr: the
# end-to-end tests keep their daemons' stderr in temporary folders they
# delete, so a report from a daemon would otherwise be lost. After ctest this
# script lists every report and fails if there is any, even when the test that
# started the process passed. UBSan reports stay on stderr (g++'s UBSan runtime
# ignores log_path when ASan is linked too); every UBSan error ends its process
# with status 1, and the end-to-end cluster (tests/e2e/sanitizer_reports.h)
# fails the test whose daemons' logs hold one.
#
# Output: ctest's output and summary, then one line
#   "sanitize.sh: N sanitizer reports"
# Exit status: non-zero if a test failed or there is a report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JOBCTL_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${JOBCTL_BUILD_JOBS:-$(nproc)}"
"$root/scripts/setup.sh"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
# Left out of this tree: the CUDA parts (the sanitizers do not instrument
# device code) and the benchmarks (they measure time, which the sanitizers
# change; no test runs them).
# Warnings are not errors here: g++ 12's -Wmaybe-uninitialized gives false
# positives inside libstdc++ (std::regex, std::function) under the sanitizers.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DJOBCTL_SANITIZE=ON -DJOBCTL_WERROR=OFF \
  -DJOBCTL_WITH_CUDA=OFF -DJOBCTL_BUILD_BENCH=OFF >/dev/null
start=$SECONDS
cmake --build "$build" -j "$jobs"
echo "sanitize.sh: build took $((SECONDS - start)) s"

reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
supp="$root/scripts/sanitizer-suppressions"
# log_exe_name: the file name says which binary wrote the report.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan:log_exe_name=1:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp:${UBSAN_OPTIONS:-}"

# Left out of this run:
# - fuzz_job_spec_and_wire: it builds its own clang tree with ASan and UBSan
#   (scripts/fuzz.sh) and already runs in the normal phase; here it would
#   only build and run the same fuzzers a second time.
status=0
cd "$build"
start=$SECONDS
ctest --output-on-failure --timeout 900 -j "$(nproc)" -E '^fuzz_job_spec_and_wire$' "$@" || status=1
echo "sanitize.sh: ctest took $((SECONDS - start)) s"

# Warnings (e.g. about swapcontext) also create a file: only files with an
# error in them count.
count=0
for f in "$reports"/*; do
  [ -e "$f" ] || continue
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f"; then
    count=$((count + 1))
    echo "---- sanitizer report: $f"
    head -n 60 "$f"
  fi
done
echo "sanitize.sh: $count sanitizer reports"
if [ "$count" -gt 0 ]; then status=1; fi
exit "$status"
