#!/usr/bin/env bash
# Sets up everything, starts a local cluster (a controller and 2 agents) and
# runs the main job, a 2-node x 2-process distributed job, streaming its logs.
# Idempotent: a cluster already up is reused.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target jobctl jobctld jobagent jobtrainer
bin="${JOBCTL_BUILD_DIR:-$root/build}"
jobctl="$bin/cli/jobctl"
"$jobctl" up --agents 2
"$jobctl" submit "$root/jobs/hello-distributed.yaml" --follow
echo
echo "The cluster is still up: try '$jobctl list', '$jobctl nodes', '$jobctl down'."
