#!/bin/sh
# Outputs throughput: a job writes a 1 GB outputs folder (4 files of 200 MiB
# and 1,000 files of 200 KiB); measures the agent's upload (from its
# "uploading outputs" log line to "outputs stored") and `jobctl download`,
# against `cp -r` of the same folder (and `cp -r` + `sync`, since the
# controller syncs every blob it stores) in the same run.
#
#   bench/outputs_bench.sh [BUILD_DIR]     (default: build)
set -eu
BUILD=${1:-build}
JOBCTLD=$BUILD/controller/jobctld
JOBAGENT=$BUILD/agent/jobagent
JOBCTL=$BUILD/cli/jobctl
DIR=$(mktemp -d /tmp/outputs-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EP=tcp://127.0.0.1:$PORT
cleanup() {
  [ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null || true
  [ -n "${CTL_PID:-}" ] && kill "$CTL_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

$JOBCTLD --listen "$EP" --data-dir "$DIR/controller" >"$DIR/jobctld.log" 2>&1 &
CTL_PID=$!
# jobctld writes its tokens on its first start.
for _ in $(seq 1 100); do [ -f "$DIR/controller/auth/agent.token" ] && break; sleep 0.1; done
export JOBCTL_TOKEN_FILE="$DIR/controller/auth/admin.token"
$JOBAGENT --controller "$EP" --node-id bench --work-dir "$DIR/agent" \
  --token-file "$DIR/controller/auth/agent.token" >"$DIR/agent.log" 2>&1 &
AGENT_PID=$!
sleep 1

cat >"$DIR/job.yaml" <<'YAML'
name: outputs-bench
command: >-
  for i in 1 2 3 4; do head -c 200M /dev/urandom > $JOBCTL_OUTPUTS_DIR/big$i.bin; done &&
  mkdir -p $JOBCTL_OUTPUTS_DIR/small &&
  head -c 200M /dev/urandom | split -b 200K -a 4 - $JOBCTL_OUTPUTS_DIR/small/part-
YAML
ID=$($JOBCTL --controller "$EP" submit "$DIR/job.yaml")
i=0
until $JOBCTL --controller "$EP" outputs "$ID" -o json | grep -q '"status": "ready"'; do
  i=$((i + 1))
  [ $i -gt 1200 ] && { echo "outputs not ready after 10 minutes" >&2; exit 1; }
  sleep 0.5
done

# The agent logs "[YYYY-mm-dd HH:MM:SS.mmm]" at the start of each line.
stamp() { grep "$1" "$DIR/agent.log" | head -1 | sed 's/^\[[^ ]* \([0-9:.]*\)\].*/\1/'; }
secs() { echo "$1" | awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }
UP_START=$(secs "$(stamp 'uploading outputs')")
UP_END=$(secs "$(stamp 'outputs stored')")
SRC="$DIR/agent/jobs/$ID-attempt-1/outputs-rank-0"
BYTES=$(du -sb "$SRC" | cut -f1)
FILES=$(find "$SRC" -type f | wc -l)

now() { date +%s.%N; }
T0=$(now)
$JOBCTL --controller "$EP" download "$ID" -d "$DIR/download" >/dev/null
T1=$(now)
cp -r "$SRC" "$DIR/cp"
T2=$(now)
rm -rf "$DIR/cp"
T3=$(now)
cp -r "$SRC" "$DIR/cp" && sync
T4=$(now)

awk -v b="$BYTES" -v f="$FILES" -v us="$UP_START" -v ue="$UP_END" -v t0="$T0" -v t1="$T1" \
    -v t2="$T2" -v t3="$T3" -v t4="$T4" 'BEGIN {
  mb = b / 1e6
  up = ue - us; dl = t1 - t0; cp = t2 - t1; cps = t4 - t3
  printf "outputs: %d files, %.0f MB\n", f, mb
  printf "upload (hash + send + store, agent log): %6.2f s  %7.1f MB/s\n", up, mb / up
  printf "jobctl download:                         %6.2f s  %7.1f MB/s\n", dl, mb / dl
  printf "cp -r:                                   %6.2f s  %7.1f MB/s\n", cp, mb / cp
  printf "cp -r + sync:                            %6.2f s  %7.1f MB/s\n", cps, mb / cps
  printf "upload / (cp -r + sync): %.2f   download / cp -r: %.2f (throughput ratios)\n", \
    (mb / up) / (mb / cps), (mb / dl) / (mb / cp)
}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
