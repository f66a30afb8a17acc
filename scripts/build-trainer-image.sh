#!/usr/bin/env bash
# Builds the CPU trainer image (docker/Dockerfile.trainer-cpu) with podman and
# optionally pushes it to a registry.
#
#   scripts/build-trainer-image.sh [--registry HOST:PORT] [--tag NAME:TAG]
#                                  [--base IMAGE] [--base-rootfs DIR] [--insecure]
#
#   --registry HOST:PORT  push to HOST:PORT/NAME:TAG after building
#   --tag NAME:TAG        image name and tag (default jobctl/trainer-cpu:latest)
#   --base IMAGE          base image (default docker.io/library/debian:12-slim)
#   --base-rootfs DIR     import a Debian 12 root file system made locally
#                         (e.g. `debootstrap --variant=minbase bookworm DIR`)
#                         as the base, for machines without Docker Hub access
#   --insecure            push over plain HTTP (--tls-verify=false)
#
# Needs build/trainer/jobtrainer (./scripts/build.sh --target jobtrainer).
# podman runs with --runtime runc --cgroup-manager cgroupfs and a
# containers.conf with an empty default_ulimits, like jobagent's podman (see
# docs/runtimes.md); set PODMAN to override the command.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JOBCTL_BUILD_DIR:-$root/build}"
registry="" tag="jobctl/trainer-cpu:latest" base="" base_rootfs="" insecure=0
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --tag) tag="${2:?--tag needs NAME:TAG}"; shift 2 ;;
    --base) base="${2:?--base needs an image}"; shift 2 ;;
    --base-rootfs) base_rootfs="${2:?--base-rootfs needs a directory}"; shift 2 ;;
    --insecure) insecure=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-trainer-image: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ ! -x "$build/trainer/jobtrainer" ]; then
  echo "build-trainer-image: $build/trainer/jobtrainer is missing: run ./scripts/build.sh --target jobtrainer" >&2
  exit 2
fi
if [ -n "$base_rootfs" ] && [ ! -x "$base_rootfs/usr/bin/apt-get" ]; then
  echo "build-trainer-image: --base-rootfs $base_rootfs: not a Debian root file system" >&2
  exit 2
fi

ctx="$build/trainer-image-context"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$build/trainer/jobtrainer" "$ctx/jobtrainer"
if [ -f "$root/tools/jobctl_metrics.py" ]; then
  cp "$root/tools/jobctl_metrics.py" "$ctx/jobctl_metrics.py"
else
  cp "$root/docker/jobctl_metrics_placeholder.py" "$ctx/jobctl_metrics.py"
fi
printf '[containers]\ndefault_ulimits = []\n' > "$ctx/containers.conf"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ctx/containers.conf}"
read -r -a podman <<< "${PODMAN:-podman --runtime runc --cgroup-manager cgroupfs}"

build_args=()
if [ -n "$base_rootfs" ]; then
  base="localhost/jobctl/debian-rootfs:12"
  echo "build-trainer-image: importing $base_rootfs as $base"
  tar -C "$base_rootfs" -c . | "${podman[@]}" import - "$base" >/dev/null
fi
[ -n "$base" ] && build_args+=(--build-arg "BASE=$base")
"${podman[@]}" build --network host -f "$root/docker/Dockerfile.trainer-cpu" \
  "${build_args[@]}" -t "$tag" "$ctx"
echo "build-trainer-image: built $tag"

if [ -n "$registry" ]; then
  tls=()
  [ "$insecure" = 1 ] && tls=(--tls-verify=false)
  "${podman[@]}" push "${tls[@]}" "$tag" "$registry/$tag"
  echo "build-trainer-image: pushed $registry/$tag"
fi
