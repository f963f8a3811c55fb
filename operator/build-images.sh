#!/usr/bin/env bash
# Builds pgherd's two images locally (no registry needed):
#   pgherd/postgres:15   from operator/postgres/
#   pgherd/haproxy:2.6   from operator/haproxy/
# both with the agent built first from operator/agent/ (pgherd/agent-build:latest, a build stage
# kept as an image so that the two take the same one)
# after seeding the Debian base image with bootstrap-base.sh. Idempotent: Docker's build cache
# makes a re-run take seconds. Each image is labelled io.pgherd.build-hash=<hash of its build
# directory and of operator/agent> so a caller can tell whether the image it finds is current (see dir_hash below
# and operator/README.md for the exact algorithm).
#
# Environment: PGHERD_BASE_IMAGE (default pgherd/base:bookworm), PGHERD_POSTGRES_IMAGE
# (pgherd/postgres:15), PGHERD_HAPROXY_IMAGE (pgherd/haproxy:2.6); extra `docker build`
# arguments may follow on the command line (e.g. --no-cache, --build-arg PGHERD_JIT=1).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PGHERD_BASE_IMAGE=${PGHERD_BASE_IMAGE:-pgherd/base:bookworm}
POSTGRES_IMAGE=${PGHERD_POSTGRES_IMAGE:-pgherd/postgres:15}
HAPROXY_IMAGE=${PGHERD_HAPROXY_IMAGE:-pgherd/haproxy:2.6}

command -v docker >/dev/null || { echo "build-images: docker CLI not found" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-images: the Docker engine is not reachable" >&2; exit 1; }

# sha256 of the sha256sum listing of every regular file under DIR, paths relative ("./x"),
# sorted bytewise: sha256( concat over files of "<sha256 hex>  ./<path>\n" ).
dir_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1
}

echo "build-images: base image $PGHERD_BASE_IMAGE"
"$here/bootstrap-base.sh" 2>&1 | sed -u 's/^/  [base] /'

AGENT_IMAGE=pgherd/agent-build:latest
build() { # build DIR TAG [docker build args...]
  local dir=$1 tag=$2 hash start
  shift 2
  if [ "$dir" = agent ]; then
    hash=$(dir_hash "$here/agent")
  else # the image's own directory and the agent it copies in
    hash=$(printf '%s  ./agent\n%s  ./%s\n' "$(dir_hash "$here/agent")" "$(dir_hash "$here/$dir")" "$dir" | sha256sum | cut -d' ' -f1)
  fi
  start=$SECONDS
  echo "build-images: $tag <- operator/$dir (build hash ${hash:0:12})"
  docker build --build-arg "BASE=$PGHERD_BASE_IMAGE" --build-arg "AGENT=$AGENT_IMAGE" --label "io.pgherd.build-hash=$hash" \
    -t "$tag" "$@" "$here/$dir" 2>&1 | sed -u "s/^/  [$dir] /"
  echo "build-images: $tag ready ($(docker image inspect -f '{{.Id}}' "$tag" | cut -c8-19), $((SECONDS - start))s)"
}

build agent "$AGENT_IMAGE" "$@"
build postgres "$POSTGRES_IMAGE" "$@"
build haproxy "$HAPROXY_IMAGE" "$@"
echo "build-images: done"
