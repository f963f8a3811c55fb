#!/usr/bin/env bash
# Seeds the Debian bookworm base image that pgherd's Dockerfiles build FROM.
# With a registry, `docker pull debian:bookworm-slim` and a tag would do; without one
# (the case on machines with only a Debian package mirror), debootstrap builds the root
# filesystem from the mirror configured in /etc/apt and `docker import` turns it into an image.
set -euo pipefail
IMAGE=${PGHERD_BASE_IMAGE:-pgherd/base:bookworm}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE present"
  exit 0
fi

if [ "${PGHERD_TRY_PULL:-0}" = 1 ] && timeout 60 docker pull debian:bookworm-slim; then
  docker tag debian:bookworm-slim "$IMAGE"
  exit 0
fi

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^(URIs:|deb) +[^ ]*https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -oE 'https?://[^ ]+' | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
dir=$(mktemp -d /tmp/pgherd-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
debootstrap --variant=minbase bookworm "$dir" "$mirror" | sed -u 's/^/  debootstrap: /'
# keep the image small and apt usable inside docker build
echo "deb $mirror bookworm main" > "$dir/etc/apt/sources.list"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
echo "docker import -> $IMAGE"
tar -C "$dir" -c . | docker import - "$IMAGE" >/dev/null
echo "base image $IMAGE ready"
