#!/usr/bin/env bash
# bench/swarm-chaos.sh — a bounded multi-host chaos run on the repository's lab Swarm (issue 23): whole
# hosts crashed or cut off, one at a time, under acknowledged writes, reads and a sampler of every load
# balancer; the three-node counterpart of bench/chaos.sh.
#
#   sudo bench/swarm-chaos.sh [--cycles N] [--seed S] [--mode sync|async] [--faults f1,f2,...]
#                             [--isolation-timeout 5s] [--max-seconds N] [--converge-timeout S] [--keep-logs DIR]
#
# Brings up the lab (test-scenarios/swarm-lab.sh, three managers), deploys the operator as its Swarm
# service (`pgherd operator deploy`: a replica per manager, the lease holder acts, each talks to its own node's
# engine) and applies NAME: 3 members one per node, replication --mode (sync), failover.isolationTimeout
# --isolation-timeout (5s), a load balancer on every node. Then --cycles faults (6) of the kinds --faults
# (default all): crash-primary-node, cut-primary-node (the primary's host), crash-replica-node,
# cut-replica-node (a replica's host, the one without the acting operator), crash-operator-node,
# cut-operator-node (the lease holder's host), crash-primary-operator-node (the case the operator's
# placement avoids, measured on its own: with the workloads running, a switchover puts the primary on the
# acting operator's host, and that host is crashed the moment the switchover is done, before the operator
# steps off; the cycle says whether it had); crash = `swarm-lab.sh crash I`, cut = `cut I`. The order is
# a shuffled deck seeded with --seed (1): every kind once per round, in random order.
# A cycle: wait until Healthy, both replicas streaming, and the primary, the acting operator and the Swarm
# raft leader on three hosts (the operator moves itself and the primary; after --converge-timeout the
# cycle runs anyway, saying so); start a write probe
# (bench/WriteProbe.java, an insert every INTERVAL_MS) and a read loop (select 1 on the read-only port
# every 0.5 s) through a host that is not faulted; LEAD_S later the fault; then, asked through that host
# (status, the lease's labels; polled, ~1 s resolution): failover (another member primary and running),
# takeover (io.pgherd.lease.transitions grew, the holder on another node), detected (the replica no
# longer streaming). The fault is held HOLD_S more (a cut primary fences itself, the samplers see both
# sides), healed (`heal I` / `boot I`), and the cycle converges: Healthy, 3 members, 2 streaming, a
# write acknowledged in the last 2 s. Per cycle:
#   convergence    seconds from the fault until converged
#   write outage   the longest gap between acknowledged inserts ending after the fault (lib-writeprobe.sh)
#   writes lost    acknowledged seqs (the probe's CSV) missing from table probe: the probe (its --seconds
#                  only a bound; it has no stop signal) is stopped TAIL_S after convergence and its
#                  read-back (lost=) done here, through a surviving host
#   read failures  failed selects on the read-only port (reported, no target)
#   dual-writable  100 ms buckets in which two servers answered not-in-recovery through the load
#                  balancers, sampled every 200 ms from inside each host's namespace (a cut-off host's
#                  too; a crashed host's sampler dies with it and starts again at boot)
# Violations (exit 1): a lost write in sync mode (async: reported; a violation only if acknowledged after
# the fencing window, fault + isolationTimeout + 1.2 s); a dual-writable bucket; no failover, takeover or
# detection within 120 s; a failover in a replica or operator fault (unless the operator's node ran the
# primary too); no convergence within --converge-timeout (240 s) of the fault (the run stops). Targets,
# under the table: write outage median <= 10 s (crash-primary-node), <= 15 s (cut-primary-node);
# operator's node: takeover <= 30 s, no write gap over 1 s. Bounded: --cycles, a watchdog after
# --max-seconds (3000). Not run by CI.
#
# Needs root, no lab up (this run takes its lab down), the images (operator/build-operator-images.sh),
# target/pgherd.jar (copied), java, psql, python3. Settings (environment): NAME=schaos, RW_PORT=18432,
# RO_PORT=18433, INTERVAL_MS=20, LEAD_S=5, HOLD_S=20, TAIL_S=5. --keep-logs DIR: the cluster log, the
# operator's service log, the probes' CSVs, samples, reads and results copied there first. Cleanup on
# exit: workloads stopped, every host booted and healed, the cluster deleted with --purge, the operator
# undeployed, the lab down. The superuser password goes only to 0600 files, never on a command line.
set -uo pipefail

ALL_FAULTS=crash-primary-node,cut-primary-node,crash-replica-node,cut-replica-node,crash-operator-node,cut-operator-node
ALL_FAULTS+=,crash-primary-operator-node
CYCLES=6 SEED=1 MODE=sync FAULTS=$ALL_FAULTS ISOLATION=5s MAX_SECONDS=3000 CONVERGE=240 KEEP_LOGS=''
bad() {
  echo "$0: $*" >&2
  echo "usage: $0 [--cycles N] [--seed S] [--mode sync|async] [--faults f1,f2,...] [--isolation-timeout 5s]" \
    "[--max-seconds N] [--converge-timeout S] [--keep-logs DIR]; fault kinds: $ALL_FAULTS" >&2
  exit 64
}
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles|--seed|--mode|--faults|--isolation-timeout|--max-seconds|--converge-timeout|--keep-logs)
      if [ $# -lt 2 ] || [ -z "$2" ]; then bad "$1 needs a value"; fi
      case "$1" in
        --cycles) CYCLES=$2 ;; --seed) SEED=$2 ;; --mode) MODE=$2 ;; --faults) FAULTS=$2 ;;
        --isolation-timeout) ISOLATION=$2 ;; --max-seconds) MAX_SECONDS=$2 ;;
        --converge-timeout) CONVERGE=$2 ;; --keep-logs) KEEP_LOGS=$2 ;;
      esac
      shift 2 ;;
    *) bad "unknown argument '$1'" ;;
  esac
done
[[ $CYCLES =~ ^[1-9][0-9]{0,3}$ ]] || bad "--cycles must be a number from 1 to 9999, not '$CYCLES'"
[[ $SEED =~ ^[0-9]{1,9}$ ]] || bad "--seed must be a number >= 0, not '$SEED'"
[[ $MODE =~ ^(sync|async)$ ]] || bad "--mode must be sync or async, not '$MODE'"
[[ $MAX_SECONDS =~ ^[1-9][0-9]{0,5}$ ]] || bad "--max-seconds must be a positive number of seconds, not '$MAX_SECONDS'"
[[ $CONVERGE =~ ^[1-9][0-9]{1,4}$ ]] || bad "--converge-timeout must be a number of seconds >= 10, not '$CONVERGE'"
[[ $ISOLATION =~ ^([0-9]{1,6})(ms|s|m)$ ]] || bad "--isolation-timeout must be a duration like 5s, 4500ms or 1m, not '$ISOLATION'"
case ${BASH_REMATCH[2]} in ms) ISO_MS=$((10#${BASH_REMATCH[1]})) ;; s) ISO_MS=$((10#${BASH_REMATCH[1]} * 1000)) ;;
  *) ISO_MS=$((10#${BASH_REMATCH[1]} * 60000)) ;; esac
if [ "$ISO_MS" -lt 2000 ] || [ "$ISO_MS" -gt 300000 ]; then bad "--isolation-timeout must be 2s to 5m (the spec's bounds), not '$ISOLATION'"; fi
IFS=, read -ra KINDS <<<"$FAULTS"
[ ${#KINDS[@]} -gt 0 ] || bad "--faults names no fault kind"
for k in "${KINDS[@]}"; do [[ ",$ALL_FAULTS," == *",$k,"* ]] || bad "unknown fault kind '$k'"; done

REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib-writeprobe.sh
. "$REPO/bench/lib-writeprobe.sh"
LAB=$REPO/test-scenarios/swarm-lab.sh
NAME=${NAME:-schaos} RW_PORT=${RW_PORT:-18432} RO_PORT=${RO_PORT:-18433}
INTERVAL_MS=${INTERVAL_MS:-20} LEAD_S=${LEAD_S:-5} HOLD_S=${HOLD_S:-20} TAIL_S=${TAIL_S:-5}
MEASURE_S=120                 # the bound on the failover/takeover/detection wait
FENCE_MS=$((ISO_MS + 1200))   # the fencing window: isolationTimeout + AgentContact.MARGIN
WORK_S=$((LEAD_S + 30 + MEASURE_S + HOLD_S + 60 + CONVERGE + TAIL_S))   # a bound on a cycle's workloads
IMAGES=(pgherd/postgres:15 pgherd/haproxy:2.6 pgherd/operator:latest)
unset DOCKER_HOST             # the machine's engine for the images; the lab's engines always named

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
say() { printf '%s %s\n' "$(date +%T)" "$*"; }   # results: stdout
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
sock() { echo "unix:///run/pgsw/docker$1.sock"; }
addr() { echo "10.251.7.1$1"; }
engine() { local i=$1; shift; timeout 20 docker -H "$(sock "$i")" "$@"; }
lab() { "$LAB" "$@" >>"$TMP/lab.log" 2>&1; }
# cli SECONDS HOST ARGS...: pgherd here as a client of host HOST's manager; the command goes to the
# operator through the Swarm (with an empty home here, as SwarmHostLossIT runs it), bounded in time
cli() {
  local t=$1 i=$2; shift 2
  PGHERD_HOME=$TMP/empty-home PGHERD_RUNTIME=swarm PGHERD_JAR=$JAR DOCKER_HOST=$(sock "$i") \
    timeout "$t" "$REPO/bin/pgherd" "$@"
}

[ "$(id -u)" = 0 ] || die "the lab needs root: sudo $0"
for c in psql python3 java docker ip timeout; do command -v "$c" >/dev/null || die "$c is needed"; done
for img in "${IMAGES[@]}"; do
  docker image inspect "$img" >/dev/null 2>&1 || die "image $img is missing: operator/build-operator-images.sh"
done
[ -f "$REPO/target/pgherd.jar" ] || die "target/pgherd.jar is missing: mvn -q package -DskipTests"
if ip link show pgswbr0 >/dev/null 2>&1 || compgen -G '/run/pgsw/docker*.pid' >/dev/null; then
  die "a lab is up already (someone else's run?) and this run takes its lab down at the end: '$LAB down' first if it is yours"
fi

TMP=$(mktemp -d /tmp/pgherd-schaos.XXXXXX) || die "mktemp failed"
mkdir -p "$TMP/empty-home"
JAR=$TMP/pgherd.jar   # the run is immune to rebuilds of the checkout
cp "$REPO/target/pgherd.jar" "$JAR" || die "cannot copy target/pgherd.jar"
PWFILE=$TMP/superuser-password PGPASS=$TMP/pgpass STATUS=$TMP/status.json RESULTS=$TMP/results.txt
: >"$RESULTS"
declare -A HOST_OF=()            # Swarm node id → lab host, taken while all are up
NODE_ID=([1]='' [2]='' [3]='')
FAULTED=([1]='' [2]='' [3]='')   # cut | crashed
SAMPLER=([1]='' [2]='' [3]='')   # the samplers' pids
PROBE='' READER='' WATCHDOG='' LAB_UP='' TABLE_DONE='' CYCLE=0 CSV='' LEADER=0 READY_NOTE=''

cleanup() {
  local rc=$? p i m deleted=''
  trap - EXIT
  trap '' INT TERM   # every step below is bounded; the lab must come down
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  for p in "$PROBE" "$READER" "${SAMPLER[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  [ -z "$TABLE_DONE" ] && [ -s "$RESULTS" ] && summary_table
  if [ -n "$LAB_UP" ]; then
    for i in 1 2 3; do   # a crashed host has no pid file (boot refuses an engine that is up)
      [ -f "/run/pgsw/docker$i.pid" ] || [ ! -d "/var/lib/pgsw/$i" ] || lab boot "$i" || log "cleanup: boot $i failed"
      lab heal "$i"
    done
    FAULTED=([1]='' [2]='' [3]='')
    m=$(manager)
    if [ "$m" != 0 ]; then
      [ -n "$KEEP_LOGS" ] && keep_logs "$m"
      for _ in 1 2 3 4 5 6; do cli 60 "$m" delete "$NAME" --purge >/dev/null 2>&1 && { deleted=1; break; }; sleep 10; done
      [ -n "$deleted" ] || log "cleanup: delete of $NAME failed"
      DOCKER_HOST=$(sock "$m") PGHERD_JAR=$JAR timeout 120 "$REPO/bin/pgherd" operator undeploy >/dev/null 2>&1
    fi
    "$LAB" down >/dev/null 2>&1 || log "cleanup: swarm-lab.sh down failed"
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
( for _ in $(seq 1 "$MAX_SECONDS"); do sleep 1; done
  log "time limit ${MAX_SECONDS}s (--max-seconds) reached"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

keep_logs() { # MANAGER: what the run leaves behind (no secret among it)
  mkdir -p "$KEEP_LOGS" || return
  cli 60 "$1" logs "$NAME" >"$KEEP_LOGS/cluster.log" 2>&1
  timeout 60 docker -H "$(sock "$1")" service logs --timestamps pgherd-operator >"$KEEP_LOGS/operator.log" 2>&1
  cp "$TMP"/probe-*.csv "$TMP"/probe-*.err "$TMP"/samples-h*.log "$TMP"/reads-*.log "$TMP"/dual-*.txt \
    "$RESULTS" "$TMP/lab.log" "$KEEP_LOGS/" 2>/dev/null
  local i c
  for i in 1 2 3; do # each host's load balancer copy as its engine and its namespace see it
    { echo "== host $i: containers"; engine "$i" ps -a --no-trunc --format '{{.ID}} {{.Names}} {{.Status}} {{.CreatedAt}}'
      echo "== host $i: the load balancer's tasks"; engine "$i" service ps "pgherd-$NAME-lb" --no-trunc \
        --format '{{.ID}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}'
      echo "== host $i: listening sockets"; ip netns exec "pgsw$i" ss -ltnp
      echo "== host $i: nat rules"; ip netns exec "pgsw$i" iptables -t nat -S
      for c in $(engine "$i" ps -aq --filter "name=pgherd-$NAME-lb"); do
        echo "== host $i: container $c"; engine "$i" inspect "$c" --format '{{json .State}} {{json .NetworkSettings.Ports}}'
        engine "$i" logs --timestamps --tail 40 "$c" 2>&1
      done
    } >"$KEEP_LOGS/host-$i.txt" 2>&1
  done
  log "logs kept in $KEEP_LOGS"
}

# ---------------------------------------------------------------- the Swarm and the cluster, as asked
manager() { # a host up whose engine is a Swarm manager (0: none)
  local i
  for i in 1 2 3; do
    [ -z "${FAULTED[i]}" ] && [ "$(engine "$i" info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] \
      && { echo "$i"; return; }
  done
  echo 0
}
host_of() { echo "${HOST_OF[${1:-none}]:-0}"; }
lease() { # VIA → "HOLDER TRANSITIONS" of the operator lease, read through host VIA's manager
  engine "$1" service inspect pgherd-operator-lease --format '{{json .Spec.Labels}}' 2>/dev/null | python3 -c '
import json, sys
try: l = json.load(sys.stdin) or {}
except ValueError: l = {}
print(l.get("io.pgherd.lease.holder") or "-", l.get("io.pgherd.lease.transitions") or -1)'
}
leader_host() { # VIA [HOLDER] → the host of the lease holder's task (0: unknown)
  local holder=${2:-}
  [ -n "$holder" ] || read -r holder _ <<<"$(lease "$1")"
  host_of "$(engine "$1" inspect --type task "$holder" --format '{{.NodeID}}' 2>/dev/null)"
}
# status VIA: the status JSON into STATUS, asked through host VIA; sj EXPR: a Python expression on it
# (s: the JSON, ms: members, p: the primary, state/node: by member, streaming: how many stream)
status() { cli 20 "$1" status "$NAME" -o json >"$STATUS.new" 2>>"$TMP/status.err" && mv -f "$STATUS.new" "$STATUS"; }
SJ_PRELUDE='import json, sys
s = json.load(open(sys.argv[1])); ms = s.get("members") or []; p = s.get("primary") or ""
state = {m.get("name"): m.get("state") or "" for m in ms}; node = {m.get("name"): m.get("node") or "" for m in ms}
streaming = sum(1 for v in state.values() if v == "streaming")'
sj() { python3 -c "$SJ_PRELUDE
print($1)" "$STATUS" 2>/dev/null; }
healthy() { [ "$(sj "s.get('phase') == 'Healthy' and len(ms) == 3 and streaming == 2")" = True ]; }
primary_host() { host_of "$(sj 'node.get(p, "")')"; }
raft_leader_host() { # VIA → the host whose manager leads the Swarm's raft (0: unknown)
  host_of "$(engine "$1" node ls --format '{{.ID}} {{.ManagerStatus}}' 2>/dev/null | awk '$2 == "Leader" {print $1}')"
}

read_password() { # from the acting operator's home into 0600 files (never printed, never an argument)
  local m h holder c
  m=$(manager); [ "$m" != 0 ] || return 1
  read -r holder _ <<<"$(lease "$m")"
  h=$(leader_host "$m" "$holder"); [ "$h" != 0 ] || return 1
  c=$(engine "$h" ps -q --filter "label=com.docker.swarm.task.id=$holder" | head -1); [ -n "$c" ] || return 1
  ( umask 077
    engine "$h" exec "$c" cat "/var/lib/pgherd/secrets/$NAME/superuser-password" >"$PWFILE" 2>/dev/null && [ -s "$PWFILE" ] \
      && { printf '*:*:*:postgres:'; sed 's/[\\:]/\\&/g' "$PWFILE" | head -1; } >"$PGPASS" )
}

setup() {
  local i deadline
  LAB_UP=1
  if ! lab up 3 "${IMAGES[@]}"; then
    grep -q 'a lab is up already' "$TMP/lab.log" && LAB_UP=''   # not this run's: left alone
    die "swarm-lab.sh up failed: $(tail -3 "$TMP/lab.log")"
  fi
  for i in 1 2 3; do
    NODE_ID[i]=$(engine "$i" info -f '{{.Swarm.NodeID}}')
    [ -n "${NODE_ID[i]}" ] || die "engine $i has no Swarm node id"
    HOST_OF[${NODE_ID[i]}]=$i
  done
  DOCKER_HOST=$(sock 1) PGHERD_JAR=$JAR timeout 300 "$REPO/bin/pgherd" operator deploy \
    --docker-socket '/run/pgsw/node-{{.Node.ID}}.sock' >"$TMP/deploy.out" 2>&1 || die "operator deploy: $(cat "$TMP/deploy.out")"
  printf '%s\n' "apiVersion: pgherd.io/v1" "kind: PostgresCluster" "metadata:" "  name: $NAME" "spec:" "  instances: 3" \
    "  loadBalancer:" "    bindAddress: 0.0.0.0" "    readWritePort: $RW_PORT" "    readOnlyPort: $RO_PORT" \
    "  replication:" "    mode: $MODE" "  failover:" "    isolationTimeout: $ISOLATION" >"$TMP/spec.yaml"
  deadline=$((SECONDS + 120))   # the operator takes a while to come up and answer
  until cli 60 1 apply -f "$TMP/spec.yaml" >"$TMP/apply.out" 2>&1; do
    [ $SECONDS -lt $deadline ] || die "apply, retried for 120 s: $(tail -3 "$TMP/apply.out")"
    sleep 2
  done
  deadline=$((SECONDS + 300))
  until status 1 && healthy && read_password; do
    [ $SECONDS -lt $deadline ] || die "$NAME not Healthy with both replicas streaming (or no password) within 300 s"
    sleep 2
  done
  export PGPASSFILE=$PGPASS PGCONNECT_TIMEOUT=2
  for i in 1 2 3; do start_sampler "$i"; done
  log "lab up, operator deployed, $NAME Healthy, a sampler on every host"
}

# ---------------------------------------------------------------- workloads and what they saw
start_sampler() { # I: host I's load balancer from inside its namespace, every 200 ms, bounded in count
  # shellcheck disable=SC2016  # expanded by the inner bash
  PGCONNECT_TIMEOUT=1 PGOPTIONS='-c statement_timeout=1000' ip netns exec "pgsw$1" bash -c '
    for _ in $(seq 1 "$1"); do
      r=$(timeout 2 psql -h "$2" -p "$3" -U postgres -d postgres -XAtqc "select inet_server_addr(), pg_is_in_recovery()" 2>/dev/null)
      echo "$(date +%s%3N) ${r:--}"; sleep 0.2
    done' sampler $((MAX_SECONDS * 5)) "$(addr "$1")" "$RW_PORT" >>"$TMP/samples-h$1.log" 2>/dev/null &
  SAMPLER[$1]=$!
}
start_workloads() { # VIA: this cycle's write probe and read loop through host VIA (bounded; stopped at the cycle's end)
  local deadline=$((SECONDS + 30))
  CSV=$TMP/probe-$CYCLE.csv
  java -cp "$JAR" "$REPO/bench/WriteProbe.java" --host "$(addr "$1")" --port "$RW_PORT" --user postgres \
    --password-file "$PWFILE" --seconds "$WORK_S" --interval-ms "$INTERVAL_MS" --run "cycle$CYCLE" --out "$CSV" \
    >"$TMP/probe-$CYCLE.out" 2>"$TMP/probe-$CYCLE.err" &
  PROBE=$!
  ( for _ in $(seq 1 $((WORK_S * 2))); do
      if timeout 3 psql -h "$(addr "$1")" -p "$RO_PORT" -U postgres -d postgres -XAtqc 'select 1' >/dev/null 2>&1
      then echo "$(now_ms) ok"; else echo "$(now_ms) fail"; fi
      sleep 0.5
    done ) >"$TMP/reads-$CYCLE.log" 2>/dev/null &
  READER=$!
  until [ "$({ wc -l <"$CSV"; } 2>/dev/null || echo 0)" -gt 20 ]; do
    [ $SECONDS -lt $deadline ] || die "the probe through host $1 acknowledged nothing in 30 s: $(tail -2 "$TMP/probe-$CYCLE.err")"
    sleep 0.5
  done
}
stop_workloads() { kill "$PROBE" "$READER" 2>/dev/null; wait "$PROBE" "$READER" 2>/dev/null; PROBE='' READER=''; }
lost_writes() { # VIA FAULT_MS → "LOST LATEST": acknowledged seqs missing, the last one's ack in ms after the fault
  local deadline=$((SECONDS + 30))   # (LOST -1: no read-back within 30 s; LATEST -: none lost)
  until timeout 10 psql -h "$(addr "$1")" -p "$RW_PORT" -U postgres -d postgres -XAtq \
      -c "select seq from probe where run = 'cycle$CYCLE'" >"$TMP/present-$CYCLE.txt" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "-1 -"; return; }
    sleep 1
  done
  python3 - "$CSV" "$TMP/present-$CYCLE.txt" "$2" <<'PY'
import sys
present = {l.strip() for l in open(sys.argv[2]) if l.strip()}
lost = [int(f[1]) for f in (l.split(',') for l in open(sys.argv[1]) if l.endswith('\n'))
        if len(f) == 5 and f[0].isdigit() and f[1].isdigit() and f[0] not in present]
print(len(lost), max(lost) - int(sys.argv[3]) if lost else '-')
PY
}
dual_writable() { # FROM_MS TO_MS → 100 ms buckets in which two servers answered not in recovery (listed in dual-N.txt)
  python3 - "$1" "$2" "$TMP/dual-$CYCLE.txt" "$TMP"/samples-h*.log <<'PY'
import collections, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2]); by = collections.defaultdict(set)
for path in sys.argv[4:]:
    for line in open(path):
        f = line.split()
        if len(f) == 2 and f[0].isdigit() and lo <= int(f[0]) <= hi and f[1].endswith('|f'):
            by[int(f[0]) // 100].add(f[1].split('|')[0])
dual = {b: s for b, s in sorted(by.items()) if len(s) > 1}
open(sys.argv[3], 'w').writelines('%d %s\n' % (b * 100, ' '.join(sorted(s))) for b, s in dual.items())
print(len(dual))
PY
}

# ---------------------------------------------------------------- a cycle
wait_ready() { # Healthy, 2 streaming, and the primary, the acting operator and the raft leader on three hosts
  local deadline=$((SECONDS + CONVERGE)) m lh rh seen=''  # (the operator moves itself and the primary); sets LEADER, READY_NOTE
  READY_NOTE=''
  while [ $SECONDS -lt $deadline ]; do
    m=$(manager)
    if [ "$m" != 0 ] && status "$m" && healthy && lh=$(leader_host "$m") && [ "$lh" != 0 ]; then
      LEADER=$lh seen=1
      cp "$STATUS" "$TMP/ready.json"
      rh=$(raft_leader_host "$m")
      [ "$lh" != "$(primary_host)" ] && [ "$rh" != "$(primary_host)" ] && [ "$lh" != "$rh" ] && return 0
    fi
    sleep 2
  done
  [ -n "$seen" ] || return 1
  cp "$TMP/ready.json" "$STATUS"
  READY_NOTE="; the primary, the acting operator and the raft leader were not yet on three hosts after ${CONVERGE}s"
}
await_event() { # KIND VIA OLD_PRIMARY TOKEN TARGET MEMBER FAULT_MS → "SECONDS PRIMARY" (-1: not within MEASURE_S)
  local h t lh deadline=$((SECONDS + MEASURE_S))
  while [ $SECONDS -lt $deadline ]; do
    case $1 in
      *-primary-node|crash-primary-operator-node) status "$2" \
        && [ "$(sj "p not in ('', '$3') and state.get(p) == 'running'")" = True ] \
        && { echo "$(secs_since "$7") $(sj p)"; return; } ;;
      *-operator-node) read -r h t <<<"$(lease "$2")"
        [[ $t =~ ^[0-9]+$ ]] && [ "$t" -gt "$4" ] && lh=$(leader_host "$2" "$h") && [ "$lh" != 0 ] && [ "$lh" != "$5" ] \
          && { echo "$(secs_since "$7") -"; return; } ;;
      *-replica-node) status "$2" && [ "$(sj "state.get('$6', '') != 'streaming'")" = True ] \
        && { echo "$(secs_since "$7") -"; return; } ;;
    esac
    sleep 0.5
  done
  echo "-1 -"
}
await_converged() { # VIA FAULT_MS → seconds from the fault until converged (-1: not within --converge-timeout)
  local last
  while [ $(($(now_ms) - $2)) -lt $((CONVERGE * 1000)) ]; do
    if status "$1" && healthy; then
      last=$(tail -1 "$CSV" | cut -d, -f2)
      [[ $last =~ ^[0-9]+$ ]] && [ $(($(now_ms) - last)) -lt 2000 ] && { secs_since "$2"; return; }
    fi
    sleep 1
  done
  echo -1
}
secs() { if [ "$1" = -1 ]; then echo "${2:-none}"; else echo "${1}s"; fi; }
event_name() { case $1 in *-primary-node|*-primary-operator-node) echo failover ;; *-operator-node) echo takeover ;;
  *) echo detected ;; esac; }
run_cycle() { # KIND; fails when the cycle did not converge
  local kind=$1 old phost target via member token from fault event newp conv stop out span lost latest
  local dual reads final note='' viol=() vtext=''
  wait_ready || die "cycle $CYCLE: $NAME not Healthy with both replicas streaming within ${CONVERGE}s"
  old=$(sj p); phost=$(primary_host)
  [ "$phost" != 0 ] || die "cycle $CYCLE: the primary's node is none of the lab's hosts"
  case $kind in
    *-primary-node) target=$phost ;;
    crash-primary-operator-node) target=$LEADER ;;   # its replica becomes the primary just before the fault
    *-operator-node) target=$LEADER; [ "$LEADER" = "$phost" ] && note="; the operator's node runs the primary too" ;;
    *) for target in 1 2 3; do [ "$target" != "$phost" ] && [ "$target" != "$LEADER" ] && break; done ;;
  esac
  member=$(sj "' '.join(n for n in node if n != p and node[n] == '${NODE_ID[target]}')")
  [[ $kind != *-replica-node && $kind != *-primary-operator-node || -n $member ]] || die "cycle $CYCLE: no replica on host $target"
  for via in 1 2 3; do [ "$via" != "$target" ] && break; done
  read -r _ token <<<"$(lease "$via")"
  from=$(now_ms)
  start_workloads "$via"
  sleep "$LEAD_S"
  if [ "$kind" = crash-primary-operator-node ]; then
    cli 60 "$via" switchover "$NAME" --to "$member" >"$TMP/switchover-$CYCLE.out" 2>&1 \
      || die "cycle $CYCLE: switchover to $member (host $target): $(tail -3 "$TMP/switchover-$CYCLE.out")"
    old=$member phost=$target
    # the operator steps off the primary's node within seconds of the cluster's next Healthy status: said if it had
    [ "$(leader_host "$via")" = "$target" ] || note="; the acting operator had left host $target before the crash"
  fi
  fault=$(now_ms)
  case $kind in
    crash-*) FAULTED[target]=crashed SAMPLER[target]=''; lab crash "$target" || die "swarm-lab.sh crash $target failed" ;;
    *) FAULTED[target]='cut'; lab cut "$target" || die "swarm-lab.sh cut $target failed" ;;
  esac
  read -r event newp <<<"$(await_event "$kind" "$via" "$old" "$token" "$target" "$member" "$fault")"
  sleep "$HOLD_S"
  case $kind in
    crash-*) lab boot "$target" || die "swarm-lab.sh boot $target failed"; FAULTED[target]=''; start_sampler "$target" ;;
    *) lab heal "$target" || die "swarm-lab.sh heal $target failed"; FAULTED[target]='' ;;
  esac
  conv=$(await_converged "$via" "$fault")
  final=$(sj p)
  [ "$conv" = -1 ] || sleep "$TAIL_S"
  stop=$(now_ms)
  stop_workloads
  read -r out span <<<"$(outage "$CSV" "$fault" "$stop")"
  read -r lost latest <<<"$(lost_writes "$via" "$fault")"
  dual=$(dual_writable "$from" "$stop")
  reads=$(awk '$2 == "fail" { f++ } END { printf "%d of %d", f, NR }' "$TMP/reads-$CYCLE.log")
  if [ "$lost" = -1 ]; then viol+=("acknowledged writes not read back")
  elif [ "$lost" -gt 0 ] && [ "$MODE" = sync ]; then viol+=("$lost acknowledged writes lost")
  elif [ "$lost" -gt 0 ] && [ "$latest" -gt "$FENCE_MS" ]; then viol+=("a lost write acknowledged $latest ms after the fault, past the fencing window")
  fi
  [ "$dual" -gt 0 ] && viol+=("$dual dual-writable buckets")
  [ "$event" = -1 ] && viol+=("no $(event_name "$kind") within ${MEASURE_S}s")
  [[ $kind != *-primary-node && $kind != *-primary-operator-node && -n $final && $final != "$old" && -z $note ]] \
    && viol+=("a failover ($old → $final)")
  [ "$conv" = -1 ] && viol+=("not converged within ${CONVERGE}s")
  [[ $kind == *-primary-node || $kind == *-primary-operator-node ]] || newp=$final
  [ "$latest" = - ] && latest=''
  [ ${#viol[@]} -gt 0 ] && vtext=" — VIOLATION: $(printf '%s; ' "${viol[@]}")"
  say "cycle $CYCLE/$CYCLES $kind h$target: primary $old (h$phost) → ${newp:-?}, $(event_name "$kind") $(secs "$event")," \
    "write outage $(secs "$out" "not measured")${span:+ ($span UTC)}, lost $lost${latest:+ (the last acknowledged $latest ms" \
    "after the fault)}, read failures $reads, dual-writable $dual, converged $(secs "$conv" never)$note$READY_NOTE${vtext%; }"
  echo "$kind $event $out $lost $dual $conv ${#viol[@]}" >>"$RESULTS"
  [ "$conv" != -1 ]
}

summary_table() {
  TABLE_DONE=1
  python3 - "$RESULTS" "$MODE" "$FENCE_MS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ev = {'primary': 'failover', 'operator': 'takeover', 'replica': 'detected'}
def vals(rs, i): return [float(r[i]) for r in rs if float(r[i]) >= 0]
def medmax(v): return "%.1f / %.1f" % (statistics.median(v), max(v)) if v else "n/a"
def medrange(v): return "%.2f (%.2f-%.2f)" % (statistics.median(v), min(v), max(v)) if v else "n/a"
fmt = "%-20s %6s  %-18s %-24s %-28s %6s %5s %5s"
print()
print(fmt % ("fault", "cycles", "converge s med/max", "event s med/max", "write outage s med (min-max)", "lost", "dual", "viol"))
targets = []
for kind in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == kind]
    lost, out, evs = [int(r[3]) for r in rs], vals(rs, 2), vals(rs, 1)
    print(fmt % (kind, len(rs), medmax(vals(rs, 5)), ev[kind.split('-')[1]] + " " + medmax(evs), medrange(out),
                 str(sum(x for x in lost if x >= 0)) + ("+?" if min(lost) < 0 else ""),
                 sum(int(r[4]) for r in rs), sum(int(r[6]) for r in rs)))
    if kind == 'crash-primary-node':
        targets.append((kind, "write outage median <= 10 s", out and statistics.median(out) <= 10))
    elif kind == 'crash-primary-operator-node':
        targets.append((kind, "write outage median <= 10 s (both lost at once)", out and statistics.median(out) <= 10))
    elif kind == 'cut-primary-node':
        targets.append((kind, "write outage median <= 15 s (fencing first)", out and statistics.median(out) <= 15))
    elif kind.endswith('operator-node'):
        targets.append((kind, "takeover <= 30 s, no write gap over 1 s", len(evs) == len(out) == len(rs)
                        and max(evs) <= 30 and max(out) <= 1))
for kind, what, ok in targets:
    print("target %-20s %-46s %s" % (kind, what, "met" if ok else "MISSED"))
print("(converge: from the fault until Healthy, 3 members, 2 streaming, a write acknowledged again; event: failover ="
      " another primary running, takeover = the lease held on another node, detected = the replica not streaming;"
      " dual: 100 ms buckets with two writable servers behind the load balancers; lost +?: a read-back failed)")
print("sync: any lost write is a violation" if sys.argv[2] == 'sync' else
      "async: lost writes reported; a violation only if acknowledged after the fencing window (fault + %s ms)" % sys.argv[3])
PY
}

# ---------------------------------------------------------------- the run
echo "swarm-chaos: pgherd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')," \
  "$(java -version 2>&1 | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
ORDER=$(python3 -c 'import random, sys
kinds, n = sys.argv[3].split(","), int(sys.argv[2]); random.seed(int(sys.argv[1])); out = []
while len(out) < n:
    deck = kinds[:]; random.shuffle(deck); out += deck
print(" ".join(out[:n]))' "$SEED" "$CYCLES" "$FAULTS") || die "cannot draw the faults"
echo "$CYCLES cycles, seed $SEED, $MODE replication, isolationTimeout $ISOLATION; faults in order: $ORDER"
setup
for kind in $ORDER; do
  CYCLE=$((CYCLE + 1))
  run_cycle "$kind" || { say "cycle $CYCLE did not converge: the cluster's state is unknown, the run stops"; break; }
done
summary_table
awk '$7 > 0 { bad = 1 } END { exit bad }' "$RESULTS"
