#!/bin/bash
# pgherd-place-files — the first thing a pgherd container's entrypoint runs.
#
# On one Docker engine the operator copies a container's files in before it starts it. On a Docker
# Swarm it cannot reach a container on another node, so each file comes as a Swarm secret mounted
# under /run/pgherd-files at its own path (/run/pgherd-files/etc/pgherd/postgresql.conf is
# /etc/pgherd/postgresql.conf), with its owner and mode. Secrets are mounted read-only, and the
# operator's agent rewrites some of these files later, so they are copied into place here, owner
# (when run as root) and mode kept. Without that directory (one engine) it does nothing.
set -euo pipefail
readonly STAGE=${PGHERD_FILES_STAGE:-/run/pgherd-files}
[ -d "$STAGE" ] || exit 0
n=0
while IFS= read -r -d '' f; do
  dest=${f#"$STAGE"}
  mkdir -p "${dest%/*}"
  if [ "$(id -u)" = 0 ]; then
    cp --preserve=mode,ownership "$f" "$dest.pgherd-new"
  else
    cp --preserve=mode "$f" "$dest.pgherd-new"
  fi
  mv -f "$dest.pgherd-new" "$dest"
  n=$((n + 1))
done < <(find "$STAGE" -type f -print0)
printf 'pgherd-place-files: %d file(s) from %s in place\n' "$n" "$STAGE"
