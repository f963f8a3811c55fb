#!/usr/bin/env bash
# bench/failover-bench.sh — the pgherd side of the failover benchmark, measured with the same
# write probe (bench/WriteProbe.java) as the Patroni side (bench/patroni-failover.sh).
#
#   bench/failover-bench.sh [--runs N] [--scenarios "kill pause switchover isolate"]
#
# A three-member cluster (default spec: probe period 2 s, failure threshold 3) is created in a
# temporary home with its own operator (bin/pgherd operator). Each scenario is repeated N times
# (default 5) under the probe (one autocommit insert every $INTERVAL_MS ms through the
# read-write port):
#   kill        docker kill of the primary's container → write outage (last ack before the kill →
#               first ack after it); then seconds from the kill until the old primary streams
#               from the new one (pgherd starts the killed container again by itself)
#   pause       docker pause of the primary → write outage; the old primary is unpaused once the
#               new one takes writes, and the seconds from the unpause until it streams again
#   switchover  bin/pgherd switchover → write outage (the fault instant is the command's start,
#               so the CLI's own JVM start-up is inside the window only if writes stop before it
#               ends); seconds from the command's start until the old primary streams again
#   isolate     docker network disconnect of the primary's container from pgherd-$NAME (its only
#               network: no peer, no load balancer, no operator probe reaches it; the Docker API
#               still does) → write outage; 1 s after the new primary is chosen it is reconnected
#               (docker network connect pgherd-$NAME <container>: Docker's DNS on the cluster
#               network answers for the container name again, which is how members, the load
#               balancer and the operator reach it) unless the operator has attached it again
#               itself meanwhile (it does for a member it finds cut off; which one did it is
#               printed), and the seconds from the reconnection (the operator's "reconnect:" log
#               line when it was the operator) until it streams again. Also
#               printed: the old primary's FENCED: lines (its agent's self-fencing) since the fault
#               (docker logs -t, and the log the operator kept of the container it made again),
#               or "no FENCED line". Not in the default list.
# and every acknowledged write is looked for afterwards (lost=...). Then a table of medians,
# minimum and maximum. Not run by CI; results go to docs/benchmarks.md.
#
# Settings (environment): NAME=fbench, RW_PORT=49432, RO_PORT=49433, INTERVAL_MS=10, LEAD_S=6
# (probe warm-up before the fault), TAIL_S=12 (probe time after the fault), MAX_RUNTIME seconds,
# KEEP_LOGS=DIR (copy the operator's output, `pgherd logs`, the members' logs and each run's probe
# errors there).
# Cleanup on exit: the probe and the operator stop, the cluster is deleted with --purge, the
# temporary home is removed.
set -euo pipefail

RUNS=5
SCENARIOS="kill pause switchover"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--scenarios \"kill pause switchover isolate\"]" >&2; exit 64 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs must be a positive number" >&2; exit 64; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib-writeprobe.sh
. "$REPO/bench/lib-writeprobe.sh"
PGHERD=$REPO/bin/pgherd
NAME=${NAME:-fbench}
RW_PORT=${RW_PORT:-49432}
RO_PORT=${RO_PORT:-49433}
INTERVAL_MS=${INTERVAL_MS:-10}
LEAD_S=${LEAD_S:-6}
TAIL_S=${TAIL_S:-12}
NSCEN=$(wc -w <<<"$SCENARIOS")
MAX_RUNTIME=${MAX_RUNTIME:-$((600 + NSCEN * RUNS * 120))}

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }
# true when CONTAINER is attached to the cluster's network
attached() { docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$1" 2>/dev/null | grep -qw -- "pgherd-$NAME"; }

command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "no Docker engine (start dockerd)"
command -v psql >/dev/null || die "psql is needed (postgresql-client-15)"
for p in "$RW_PORT" "$RO_PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then die "port $p is in use"; fi
done

TMP=$(mktemp -d /tmp/pgherd-fbench.XXXXXX)
export PGHERD_HOME=$TMP/home
OP_PID='' PROBE_PID='' WATCHDOG=''
cleanup() {
  local rc=$?
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null || true
  [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null || true
  docker unpause "pgherd-$NAME-1" "pgherd-$NAME-2" "pgherd-$NAME-3" >/dev/null 2>&1 || true
  for m in 1 2 3; do # a member this script cut off from the cluster network (isolate) is attached again
    if docker inspect "pgherd-$NAME-$m" >/dev/null 2>&1 && ! attached "pgherd-$NAME-$m"; then
      docker network connect "pgherd-$NAME" "pgherd-$NAME-$m" >/dev/null 2>&1 || true
    fi
  done
  if [ -n "$OP_PID" ]; then kill "$OP_PID" 2>/dev/null || true; wait "$OP_PID" 2>/dev/null || true; fi
  if [ -n "${KEEP_LOGS:-}" ]; then
    mkdir -p "$KEEP_LOGS" && cp "$TMP/operator.log" "$KEEP_LOGS/" 2>/dev/null
    "$PGHERD" logs "$NAME" >"$KEEP_LOGS/cluster.log" 2>&1 || true
    for m in 1 2 3; do docker logs --timestamps "pgherd-$NAME-$m" >"$KEEP_LOGS/$NAME-$m.log" 2>&1 || true; done
  fi
  "$PGHERD" delete "$NAME" --purge >/dev/null 2>&1 || log "cleanup: delete of $NAME failed (remove pgherd-$NAME-* by hand)"
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# a hard bound on the whole run
( sleep "$MAX_RUNTIME"; log "time limit ${MAX_RUNTIME}s reached"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

# ---------------------------------------------------------------- cluster and operator
"$PGHERD" images build >/dev/null
PGHERD_LOG_LEVEL=${PGHERD_LOG_LEVEL:-INFO} "$PGHERD" operator >"$TMP/operator.log" 2>&1 &
OP_PID=$!
cat >"$TMP/spec.yaml" <<EOF
apiVersion: pgherd.io/v1
kind: PostgresCluster
metadata:
  name: $NAME
spec:
  instances: 3
  loadBalancer:
    readWritePort: $RW_PORT
    readOnlyPort: $RO_PORT
EOF
"$PGHERD" apply -f "$TMP/spec.yaml" --wait >/dev/null
PWFILE=$PGHERD_HOME/secrets/$NAME/superuser-password
[ -f "$PWFILE" ] || die "no superuser password in $PWFILE"
# libpq password file for the psql probes of replication (0600, never on a command line)
( umask 077; printf '*:*:*:postgres:%s\n' "$(cat "$PWFILE")" >"$TMP/pgpass" )
export PGPASSFILE=$TMP/pgpass

status_field() { # status_field EXPR — a Python expression over the status JSON `s`
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($1)" "$PGHERD_HOME/status/$NAME.json"
}
state_primary() { # the primary the operator's stored intent names (it changes before the status)
  python3 -c "import json,sys; print('$NAME-%d' % json.load(open(sys.argv[1]))['primary'])" "$PGHERD_HOME/state/$NAME.json"
}
wait_healthy() {
  local deadline=$((SECONDS + 180))
  until [ "$(status_field "s.get('phase')" 2>/dev/null)" = Healthy ] \
      && [ "$(status_field "s.get('primary')" 2>/dev/null)" = "$(state_primary)" ]; do
    [ $SECONDS -lt $deadline ] || die "$NAME not Healthy within 180 s: $(status_field "s.get('message')" 2>/dev/null)"
    sleep 0.5
  done
}
# true when MEMBER streams from the primary, asked on the primary through the read-write port
streaming() {
  [ "$(psql -h 127.0.0.1 -p "$RW_PORT" -U postgres -d postgres -XAtq -c \
    "select count(*) from pg_stat_replication where application_name = '$1' and state = 'streaming'" \
    2>/dev/null)" = 1 ]
}
wait_streaming() { # wait_streaming MEMBER FROM_MS → prints seconds since FROM_MS
  local deadline=$((SECONDS + 120))
  until streaming "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "-1"; return; }
    sleep 0.1
  done
  python3 -c "print(round(($(now_ms) - $2) / 1000, 2))"
}
# epoch ms of the operator's last "reconnect: MEMBER:" action after FAULT_MS (its cluster log), or nothing
operator_reconnect_ms() { # operator_reconnect_ms MEMBER FAULT_MS
  python3 - "$PGHERD_HOME/logs/$NAME.log" "$1" "$2" <<'PY' 2>/dev/null || true
import datetime, sys
found = ''
for line in open(sys.argv[1]):
    f = line.split(' ', 3)
    if len(f) < 4 or not f[3].startswith('reconnect: %s:' % sys.argv[2]):
        continue
    t = datetime.datetime.fromisoformat(f[0].rstrip('Z')).replace(tzinfo=datetime.timezone.utc)
    ms = int(round(t.timestamp() * 1000))
    if ms >= int(sys.argv[3]):
        found = ms
print(found)
PY
}
# waits (bounded) until the operator's stored intent names another primary than OLD
wait_new_primary() { # wait_new_primary OLD
  local deadline=$((SECONDS + 120))
  until [ "$(state_primary)" != "$1" ]; do
    [ $SECONDS -lt $deadline ] || die "no new primary within 120 s after the fault on $1"
    sleep 0.05
  done
}
# the old primary's agent's FENCED: lines since FAULT_MS, with seconds after the fault
# (from the container's log, and from the logs the operator kept of the containers it made again:
# a fenced former primary's container is replaced, its last lines kept in $PGHERD_HOME/logs/NAME/)
fenced_lines() { # fenced_lines MEMBER FAULT_MS
  local lines
  lines=$( { docker logs -t --since "${2:0:10}.${2:10}" "pgherd-$1" 2>&1
      cat "$PGHERD_HOME/logs/$NAME/$1".*.log 2>/dev/null; } | grep -F 'FENCED:' \
    | python3 -c "
import sys, datetime
fault = int(sys.argv[1]) / 1000
for l in sys.stdin:
    t = l.split(' ', 1)[0].rstrip('Z')
    try:
        d = datetime.datetime.fromisoformat(t[:26]).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        continue
    if d.timestamp() >= fault:
        print(l, end='')
" "$2" | sort -u || true)
  if [ -z "$lines" ]; then
    echo "no FENCED line"
    return
  fi
  while IFS= read -r l; do
    printf '+%ss %s\n' "$(python3 -c "import sys,datetime; t=sys.argv[1].rstrip('Z'); d=datetime.datetime.fromisoformat(t[:26]).replace(tzinfo=datetime.timezone.utc); print(round(d.timestamp() - int(sys.argv[2]) / 1000, 2))" "${l%% *}" "$2")" "$(cut -c1-240 <<<"${l#* }")"
  done <<<"$lines"
}
# ---------------------------------------------------------------- runs
RESULTS=$TMP/results.txt
: >"$RESULTS"
wait_healthy
for scenario in $SCENARIOS; do
  for i in $(seq 1 "$RUNS"); do
    wait_healthy
    old=$(status_field "s['primary']")
    csv=$TMP/$scenario-$i.csv
    java -cp "$REPO/target/pgherd.jar" "$REPO/bench/WriteProbe.java" --host 127.0.0.1 --port "$RW_PORT" \
      --user postgres --password-file "$PWFILE" --seconds $((LEAD_S + TAIL_S)) --interval-ms "$INTERVAL_MS" \
      --run "$scenario-$i" --out "$csv" >"$TMP/probe.out" 2>"$TMP/probe.err" &
    PROBE_PID=$!
    sleep "$LEAD_S"
    [ -s "$csv" ] || die "the probe acknowledged nothing in ${LEAD_S}s: $(cat "$TMP/probe.err")"
    fault=$(now_ms)
    rejoin=-1
    case $scenario in
      kill)
        docker kill "pgherd-$old" >/dev/null
        wait_new_primary "$old"
        rejoin=$(wait_streaming "$old" "$fault") ;;
      pause)
        docker pause "pgherd-$old" >/dev/null
        wait_new_primary "$old"
        sleep 1
        unpaused=$(now_ms)
        # pgherd killed the frozen container while fencing it: unpausing may find it exited
        docker unpause "pgherd-$old" >/dev/null 2>&1 || true
        rejoin=$(wait_streaming "$old" "$unpaused") ;;
      switchover)
        "$PGHERD" switchover "$NAME" >"$TMP/switchover.out" 2>&1 || die "switchover failed: $(cat "$TMP/switchover.out")"
        rejoin=$(wait_streaming "$old" "$fault") ;;
      isolate)
        docker network disconnect "pgherd-$NAME" "pgherd-$old" >/dev/null
        wait_new_primary "$old"
        chosen=$(now_ms)
        # reconnected 1 s after the failover (as pause unpauses), unless the operator attached
        # the container again first (it is polled every ~0.1 s meanwhile)
        reconnected='' by=''
        while [ $(($(now_ms) - chosen)) -lt 1000 ]; do
          if attached "pgherd-$old"; then
            # when: the operator's "reconnect: <member>" line after the fault (its log, ms), or
            # else the moment this script saw the container attached
            reconnected=$(operator_reconnect_ms "$old" "$fault")
            if [ -n "$reconnected" ]; then by="the operator (time from its log's reconnect line)"
            else reconnected=$(now_ms) by="the operator (seen attached by this script)"; fi
            break
          fi
          sleep 0.1
        done
        if [ -z "$reconnected" ]; then
          reconnected=$(now_ms)
          if docker network connect "pgherd-$NAME" "pgherd-$old" >/dev/null 2>"$TMP/connect.err"; then
            by="this script"
          elif attached "pgherd-$old"; then
            by="operator (just before this script)"
          else
            die "docker network connect pgherd-$NAME pgherd-$old failed: $(cat "$TMP/connect.err")"
          fi
        fi
        rejoin=$(wait_streaming "$old" "$reconnected")
        log "isolate #$i: new primary seen in the operator's state $(python3 -c "print(round(($chosen - $fault) / 1000, 2))")s after the disconnect; $old reconnected at +$(python3 -c "print(round(($reconnected - $fault) / 1000, 2))")s by $by"
        fenced_lines "$old" "$fault" | while IFS= read -r l; do log "isolate #$i: $old: $l"; done ;;
      *) die "unknown scenario $scenario" ;;
    esac
    wait "$PROBE_PID" || true
    PROBE_PID=''
    if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$TMP/probe.err" "$KEEP_LOGS/probe-$scenario-$i.err"; fi
    summary=$(tail -1 "$TMP/probe.out")
    lost=$(sed -n 's/.* lost=\([-0-9]*\).*/\1/p' <<<"$summary")
    read -r out span <<<"$(outage "$csv" "$fault")"
    log "$scenario #$i: primary $old → $(state_primary); fault at $(TZ=UTC date -d @"${fault:0:10}.${fault:10}" +%T.%3N), write outage ${out}s ($span UTC); old primary streaming again after ${rejoin}s; lost=$lost"
    echo "$scenario $out $rejoin ${lost:--1}" >>"$RESULTS"
  done
done

# ---------------------------------------------------------------- table
results_table "$RESULTS" "pgherd failover benchmark: $RUNS runs per scenario, write probe every $INTERVAL_MS ms through the read-write port"
