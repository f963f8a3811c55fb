#!/usr/bin/env bash
# pgherd/operator's entrypoint (PID 1 is tini): apply the cluster spec, then run the operator.
#
#   PGHERD_SPEC=FILE           a PostgresCluster spec to apply at every start (docker-compose.yml
#                              mounts manifests/compose.yaml here); the file is the source of truth
#   PGHERD_CLUSTER=NAME        without PGHERD_SPEC: render the spec from the PGHERD_* variables below
#                              (the Rancher catalog entry does this); neither: just run the operator
#   PGHERD_WAIT_FOR=FILE       wait (up to PGHERD_WAIT_SECONDS, default 300) until FILE exists, e.g.
#                              the S3 credentials file the bundled s3proxy writes at its first start
#
# Variables of a rendered spec (none is a secret; S3 credentials are only named by a file path):
#   PGHERD_INSTANCES (2), PGHERD_BIND_ADDRESS (127.0.0.1), PGHERD_READ_WRITE_PORT (5432),
#   PGHERD_READ_ONLY_PORT (5433), PGHERD_REPLICATION_MODE (async|sync), PGHERD_BACKUP_SCHEDULE
#   (Quartz cron; empty: no scheduled base backups), PGHERD_RETENTION_FULL_BACKUPS (7),
#   PGHERD_S3_BUCKET (empty: backups go to the filesystem store in the home), PGHERD_S3_ENDPOINT,
#   PGHERD_S3_REGION (us-east-1), PGHERD_S3_PREFIX, PGHERD_S3_CREDENTIALS_FILE (AWS format).
set -euo pipefail
log() { echo "pgherd-operator: $*" >&2; }

# A YAML double-quoted scalar.
q() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
int() { # NAME VALUE: refuse anything but digits (they are written unquoted)
  [[ $2 =~ ^[0-9]+$ ]] || { log "$1 must be a number, got '$2'"; exit 2; }
  printf '%s' "$2"
}

render() {
  # numbers first: a failure inside the heredoc's $(...) would not stop the script
  int PGHERD_INSTANCES "${PGHERD_INSTANCES:-2}" >/dev/null
  int PGHERD_READ_WRITE_PORT "${PGHERD_READ_WRITE_PORT:-5432}" >/dev/null
  int PGHERD_READ_ONLY_PORT "${PGHERD_READ_ONLY_PORT:-5433}" >/dev/null
  int PGHERD_RETENTION_FULL_BACKUPS "${PGHERD_RETENTION_FULL_BACKUPS:-7}" >/dev/null
  cat <<YAML
# Rendered by pgherd-operator from its PGHERD_* environment.
apiVersion: pgherd.io/v1
kind: PostgresCluster
metadata:
  name: $(q "$PGHERD_CLUSTER")
spec:
  instances: $(int PGHERD_INSTANCES "${PGHERD_INSTANCES:-2}")
  loadBalancer:
    bindAddress: $(q "${PGHERD_BIND_ADDRESS:-127.0.0.1}")
    readWritePort: $(int PGHERD_READ_WRITE_PORT "${PGHERD_READ_WRITE_PORT:-5432}")
    readOnlyPort: $(int PGHERD_READ_ONLY_PORT "${PGHERD_READ_ONLY_PORT:-5433}")
  replication:
    mode: $(q "${PGHERD_REPLICATION_MODE:-async}")
  backup:
YAML
  [ -n "${PGHERD_BACKUP_SCHEDULE:-}" ] && echo "    schedule: $(q "$PGHERD_BACKUP_SCHEDULE")"
  echo "    retention: { fullBackups: $(int PGHERD_RETENTION_FULL_BACKUPS "${PGHERD_RETENTION_FULL_BACKUPS:-7}") }"
  if [ -n "${PGHERD_S3_BUCKET:-}" ]; then
    cat <<YAML
    objectStore:
      s3:
        bucket: $(q "$PGHERD_S3_BUCKET")
        endpoint: $(q "${PGHERD_S3_ENDPOINT:-http://127.0.0.1:9000}")
        region: $(q "${PGHERD_S3_REGION:-us-east-1}")
        pathStyle: true
YAML
    [ -n "${PGHERD_S3_PREFIX:-}" ] && echo "        prefix: $(q "$PGHERD_S3_PREFIX")"
    echo "        credentials: { file: $(q "${PGHERD_S3_CREDENTIALS_FILE:-/run/pgherd-s3/credentials}") }"
  fi
}

if [ "${1:-}" = --print-spec ]; then # the spec PGHERD_CLUSTER and the variables above render, on stdout
  [ -n "${PGHERD_CLUSTER:-}" ] || { log "--print-spec needs PGHERD_CLUSTER"; exit 2; }
  out=$(render) || exit 2
  printf '%s\n' "$out"
  exit 0
fi

if [ -n "${PGHERD_WAIT_FOR:-}" ]; then
  limit=${PGHERD_WAIT_SECONDS:-300}
  for ((i = 0; ; i++)); do
    [ -s "$PGHERD_WAIT_FOR" ] && break
    if ((i >= limit)); then log "$PGHERD_WAIT_FOR did not appear within ${limit}s"; exit 1; fi
    ((i % 10 == 0)) && log "waiting for $PGHERD_WAIT_FOR"
    sleep 1
  done
fi

if [ -n "${PGHERD_SPEC:-}" ]; then
  log "applying $PGHERD_SPEC"
  pgherd apply -f "$PGHERD_SPEC"
elif [ -n "${PGHERD_CLUSTER:-}" ]; then
  spec=$PGHERD_HOME/spec-from-environment.yaml
  (umask 077; render >"$spec.tmp") || exit 2
  mv "$spec.tmp" "$spec"
  log "applying the spec rendered from the environment ($spec)"
  pgherd apply -f "$spec"
fi
log "starting the operator (home $PGHERD_HOME)"
exec java ${PGHERD_JAVA_OPTS:-} -jar /opt/pgherd/pgherd.jar operator "$@"
