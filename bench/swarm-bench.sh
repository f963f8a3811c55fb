#!/usr/bin/env bash
# bench/swarm-bench.sh — pgherd on a three-node Docker Swarm, measured with the same write probe
# (bench/WriteProbe.java) as the one-host benchmark (bench/failover-bench.sh), so the two can be
# read side by side in docs/benchmarks.md.
#
#   sudo bench/swarm-bench.sh [--runs N] [--scenarios "kill switchover"]
#
# The Swarm is the repository's lab (test-scenarios/swarm-lab.sh: three engines in network
# namespaces on this machine, one overlay between them); the operator runs as its Swarm service
# (`pgherd operator deploy`), and the cluster is applied from this host as a user would
# (PGHERD_RUNTIME=swarm pgherd apply). Measured:
#   apply       seconds from the apply command's start until both replicas stream from the primary
#               (pg_stat_replication through host 1's read-write port, polled every 0.2 s)
#   kill        docker kill of the primary's task container on its node → write outage (the
#               longest gap between acknowledged inserts through host 1's read-write port that
#               ends after the kill), and seconds until the old primary streams again
#   switchover  PGHERD_RUNTIME=swarm pgherd switchover from this host → write outage (the fault
#               instant is the command's start: its JVM start and the request's round trip through
#               the Swarm are inside the window only if writes stop before it is answered), and
#               seconds until the old primary streams again
# Each fault is repeated N times (default 5), every acknowledged write looked for afterwards
# (lost=...); then a table of medians, minimum and maximum. Not run by CI.
#
# Needs root (the lab), the images (operator/build-operator-images.sh builds them), psql and
# python3. Settings (environment): NAME=sbench, RW_PORT=16432, RO_PORT=16433, INTERVAL_MS=10,
# LEAD_S=6, TAIL_S=12, MAX_RUNTIME seconds, KEEP_LOGS=DIR (the cluster log, the operator's service
# log and each run's probe CSV are copied there before the cleanup). Cleanup on exit: the probe stops, the cluster is
# deleted with --purge, the operator undeployed, the lab taken down.
set -euo pipefail

RUNS=5
SCENARIOS="kill switchover"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--scenarios \"kill switchover\"]" >&2; exit 64 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive number" >&2; exit 64; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib-writeprobe.sh
. "$REPO/bench/lib-writeprobe.sh"
PGHERD=$REPO/bin/pgherd
LAB=$REPO/test-scenarios/swarm-lab.sh
NAME=${NAME:-sbench}
RW_PORT=${RW_PORT:-16432}
RO_PORT=${RO_PORT:-16433}
INTERVAL_MS=${INTERVAL_MS:-10}
LEAD_S=${LEAD_S:-6}
TAIL_S=${TAIL_S:-12}
NSCEN=$(wc -w <<<"$SCENARIOS")
MAX_RUNTIME=${MAX_RUNTIME:-$((900 + NSCEN * RUNS * 120))}
HOST1=10.251.7.11
export DOCKER_HOST=unix:///run/pgsw/docker1.sock

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }
engine() { local i=$1; shift; docker -H "unix:///run/pgsw/docker$i.sock" "$@"; }

[ "$(id -u)" = 0 ] || die "the lab needs root"
command -v psql >/dev/null || die "psql is needed (postgresql-client-15)"
for img in pgherd/postgres:15 pgherd/haproxy:2.6 pgherd/operator:latest; do
  DOCKER_HOST= docker image inspect "$img" >/dev/null 2>&1 || die "image $img is missing: operator/build-operator-images.sh"
done

TMP=$(mktemp -d /tmp/pgherd-sbench.XXXXXX)
PROBE_PID='' WATCHDOG='' LAB_UP=''
cleanup() {
  local rc=$?
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null || true
  [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null || true
  if [ -n "$LAB_UP" ]; then
    if [ -n "${KEEP_LOGS:-}" ] && at=$(operator_at) && [ -n "$at" ]; then
      mkdir -p "$KEEP_LOGS"
      engine ${at% *} exec ${at#* } pgherd logs "$NAME" >"$KEEP_LOGS/cluster.log" 2>&1 || true
      docker service logs --timestamps pgherd-operator >"$KEEP_LOGS/operator.log" 2>&1 || true
      cp "$TMP"/*.csv "$KEEP_LOGS/" 2>/dev/null || true
    fi
    PGHERD_RUNTIME=swarm "$PGHERD" delete "$NAME" --purge >/dev/null 2>&1 || log "cleanup: delete of $NAME failed"
    "$PGHERD" operator undeploy >/dev/null 2>&1 || true
    env -u DOCKER_HOST "$LAB" down >/dev/null 2>&1 || log "cleanup: swarm-lab.sh down failed"
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
( sleep "$MAX_RUNTIME"; log "time limit ${MAX_RUNTIME}s reached"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

# ---------------------------------------------------------------- the Swarm, the operator, the cluster
LAB_UP=1
env -u DOCKER_HOST "$LAB" up 3 pgherd/postgres:15 pgherd/haproxy:2.6 pgherd/operator:latest >"$TMP/lab.log" 2>&1 \
  || die "swarm-lab.sh up failed: $(tail -3 "$TMP/lab.log")"
"$PGHERD" operator deploy --docker-socket /run/pgsw/docker1.sock >/dev/null
# the operator's task container, on whichever engine runs it
operator_at() { # prints "ENGINE CONTAINER"
  local i c
  for i in 1 2 3; do
    c=$(engine "$i" ps -q --filter label=com.docker.swarm.service.name=pgherd-operator | head -1)
    [ -n "$c" ] && { echo "$i $c"; return; }
  done
}
deadline=$((SECONDS + 120))
until [ -n "$(operator_at)" ]; do [ $SECONDS -lt $deadline ] || die "the operator's task did not start"; sleep 0.5; done
op_status() { # the status JSON, asked in the operator's own task (no round trip through the Swarm)
  local at; at=$(operator_at)
  [ -n "$at" ] && engine ${at% *} exec ${at#* } pgherd status "$NAME" -o json 2>/dev/null
}
field() { python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"; }

cat >"$TMP/spec.yaml" <<EOF
apiVersion: pgherd.io/v1
kind: PostgresCluster
metadata:
  name: $NAME
spec:
  instances: 3
  loadBalancer:
    bindAddress: 0.0.0.0
    readWritePort: $RW_PORT
    readOnlyPort: $RO_PORT
EOF
applied=$(now_ms)
PGHERD_RUNTIME=swarm "$PGHERD" apply -f "$TMP/spec.yaml" >"$TMP/apply.out" 2>&1 || die "apply: $(cat "$TMP/apply.out")"
deadline=$((SECONDS + 300))
until [ -n "$(op_status 2>/dev/null | field "s['primary']" 2>/dev/null)" ] \
    && at=$(operator_at) && engine ${at% *} exec ${at#* } test -s "/var/lib/pgherd/secrets/$NAME/superuser-password"; do
  [ $SECONDS -lt $deadline ] || die "no primary within 300 s"
  sleep 0.5
done
PWFILE=$TMP/superuser-password
( umask 077; at=$(operator_at); engine ${at% *} exec ${at#* } cat "/var/lib/pgherd/secrets/$NAME/superuser-password" >"$PWFILE" )
( umask 077; printf '*:*:*:postgres:%s\n' "$(cat "$PWFILE")" >"$TMP/pgpass" )
export PGPASSFILE=$TMP/pgpass
streaming_count() {
  psql -h "$HOST1" -p "$RW_PORT" -U postgres -d postgres -XAtq -c \
    "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null || echo 0
}
until [ "$(streaming_count)" = 2 ]; do
  [ $SECONDS -lt $deadline ] || die "the replicas did not stream within 300 s"
  sleep 0.2
done
APPLY_S=$(python3 -c "print(round(($(now_ms) - $applied) / 1000, 1))")
log "apply → both replicas streaming: ${APPLY_S}s"

wait_healthy() {
  local deadline=$((SECONDS + 180))
  until [ "$(op_status | field "s.get('phase')" 2>/dev/null)" = Healthy ]; do
    [ $SECONDS -lt $deadline ] || die "$NAME not Healthy within 180 s"
    sleep 0.5
  done
}
streaming() { # MEMBER streams from the primary (asked through host 1's read-write port)
  [ "$(psql -h "$HOST1" -p "$RW_PORT" -U postgres -d postgres -XAtq -c \
    "select count(*) from pg_stat_replication where application_name = '$1' and state = 'streaming'" \
    2>/dev/null)" = 1 ]
}
wait_streaming() { # MEMBER FROM_MS → seconds since FROM_MS
  local deadline=$((SECONDS + 180))
  until streaming "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "-1"; return; }
    sleep 0.2
  done
  python3 -c "print(round(($(now_ms) - $2) / 1000, 2))"
}
wait_new_primary() { # OLD
  local deadline=$((SECONDS + 120)) p
  while :; do
    p=$(op_status | field "s['primary']" 2>/dev/null || true)
    [ -n "$p" ] && [ "$p" != "$1" ] && return
    [ $SECONDS -lt $deadline ] || die "no new primary within 120 s after the fault on $1"
    sleep 0.2
  done
}
# ---------------------------------------------------------------- runs
RESULTS=$TMP/results.txt
: >"$RESULTS"
for scenario in $SCENARIOS; do
  for i in $(seq 1 "$RUNS"); do
    wait_healthy
    status=$(op_status)
    old=$(field "s['primary']" <<<"$status")
    for m in $(field "' '.join(m['name'] for m in s['members'] if m['role'] == 'replica')" <<<"$status"); do
      wait_streaming "$m" "$(now_ms)" >/dev/null
    done
    csv=$TMP/$scenario-$i.csv
    java -cp "$REPO/target/pgherd.jar" "$REPO/bench/WriteProbe.java" --host "$HOST1" --port "$RW_PORT" \
      --user postgres --password-file "$PWFILE" --seconds $((LEAD_S + TAIL_S)) --interval-ms "$INTERVAL_MS" \
      --run "$scenario-$i" --out "$csv" >"$TMP/probe.out" 2>"$TMP/probe.err" &
    PROBE_PID=$!
    sleep "$LEAD_S"
    [ -s "$csv" ] || die "the probe acknowledged nothing in ${LEAD_S}s: $(cat "$TMP/probe.err")"
    fault=$(now_ms)
    case $scenario in
      kill)
        killed=''
        for e in 1 2 3; do
          c=$(engine "$e" ps -q --filter "label=com.docker.swarm.service.name=pgherd-$old" | head -1)
          if [ -n "$c" ]; then engine "$e" kill "$c" >/dev/null; killed=h$e; break; fi
        done
        [ -n "$killed" ] || die "no running task of pgherd-$old"
        wait_new_primary "$old" ;;
      switchover)
        PGHERD_RUNTIME=swarm "$PGHERD" switchover "$NAME" >"$TMP/switchover.out" 2>&1 \
          || die "switchover failed: $(cat "$TMP/switchover.out")"
        killed='' ;;
      *) die "unknown scenario $scenario" ;;
    esac
    rejoin=$(wait_streaming "$old" "$fault")
    wait "$PROBE_PID" || true
    PROBE_PID=''
    summary=$(tail -1 "$TMP/probe.out")
    lost=$(sed -n 's/.* lost=\([-0-9]*\).*/\1/p' <<<"$summary")
    read -r out span <<<"$(outage "$csv" "$fault" $((fault + TAIL_S * 1000)))"
    log "$scenario #$i: primary $old${killed:+ (on $killed)} → $(op_status | field "s['primary']"); write outage ${out}s ($span UTC); old primary streaming again after ${rejoin}s; lost=$lost"
    echo "$scenario $out $rejoin ${lost:--1}" >>"$RESULTS"
  done
done

# ---------------------------------------------------------------- table
results_table "$RESULTS" "pgherd on a three-node Docker Swarm (swarm-lab.sh): $RUNS runs per scenario, write probe every $INTERVAL_MS ms through host 1's read-write port" "apply -> both replicas streaming: $APPLY_S s"
