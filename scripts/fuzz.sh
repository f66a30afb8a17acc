#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each on its corpus (fuzz/corpus/NAME)
# for a bounded time. Exits non-zero on the first crash, leak or timeout; the
# input that caused it is left in the work dir and named in the output.
#
#   scripts/fuzz.sh [--seconds N] [--target job_spec|wire] [--build-dir DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds=60
targets=(job_spec wire)
build="$root/build-fuzz"
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --target) targets=("$2"); shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build="$(realpath -m "$build")"
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is not installed (apt-get install clang)" >&2
  exit 2
fi
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DJOBCTL_FUZZ=ON -DJOBCTL_BUILD_TESTS=OFF -DJOBCTL_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzzer}"

work="$build/runs"
for t in "${targets[@]}"; do
  # New inputs go to a scratch dir; the corpus in the repository is only read.
  rm -rf "${work:?}/$t" && mkdir -p "$work/$t/new"
  echo "fuzz.sh: $t for ${seconds}s"
  set +e
  (cd "$work/$t" && "$build/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 new "$root/fuzz/corpus/$t" \
     >"$work/$t/fuzz.log" 2>&1)
  status=$?
  set -e
  tail -n 12 "$work/$t/fuzz.log"
  if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: $t FAILED; reproducer(s) in $work/$t:" >&2
    ls "$work/$t" >&2
    exit 1
  fi
done
echo "fuzz.sh: ${targets[*]}: no crash in ${seconds}s each"
