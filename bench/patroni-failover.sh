#!/usr/bin/env bash
# bench/patroni-failover.sh — the Patroni side of the failover benchmark, measured with the same
# write probe (bench/WriteProbe.java) as the pgherd side. Everything runs on loopback on the host,
# no Docker: one etcd member, three Patroni members (PostgreSQL 15 from $PG_BIN, run as the
# postgres user), HAProxy as in Patroni's sample haproxy.cfg (read-write listener, health check
# OPTIONS /primary on each member's REST port).
#
#   bench/patroni-failover.sh [--runs N] [--configs "default tuned"]
#
# Configurations (a fresh cluster is bootstrapped for each):
#   default    Patroni defaults: ttl 30, loop_wait 10, retry_timeout 10;
#              HAProxy inter 3s fall 3 rise 2 (Patroni's sample haproxy.cfg)
#   tuned-dcs  ttl 10, loop_wait 2, retry_timeout 3; HAProxy as in default   (not run by default)
#   tuned      ttl 10, loop_wait 2, retry_timeout 3; HAProxy inter 1s fall 2 rise 1
#   (Patroni 3.0.2 accepts ttl 10; later Patroni versions document a minimum ttl of 20.)
# Replication is asynchronous (Patroni's default), so a crashed leader can take acknowledged
# writes with it: the probe counts them (lost=N).
# Scenarios, each repeated N times (default 5) per configuration, under the write probe (one
# autocommit insert every $INTERVAL_MS ms through HAProxy):
#   kill postmaster  kill -9 of the leader's postmaster → write outage (probe: the largest gap
#               between acks ending after the kill). Patroni (still running, holding the leader
#               key) restarts PostgreSQL in place as leader with the default master_start_timeout
#               (300 s) — no failover; the time kill → leader running again is recorded.
#   kill node   kill -9 of the leader's Patroni *and* postmaster (a crashed node): the leader key
#               expires after ttl, a replica is promoted → write outage. Then the script restarts
#               that member's Patroni and records restart → "streaming" in the new leader's
#               pg_stat_replication (Patroni 3.0.2's patronictl list only says "running").
#   pause node  SIGSTOP of the leader's Patroni and PostgreSQL processes (like `docker pause`):
#               failover after ttl → write outage; then SIGCONT once the new leader runs, and the
#               time from the thaw until the old leader streams from the new one
#   switchover  patronictl switchover --force → write outage (same probe measure)
# Then a table: median, min, max per configuration and scenario, with how it was obtained.
#
# Settings (environment): PG_BIN, PG_PORTS="56432 56433 56434", REST_PORTS="58008 58009 58010",
#   HA_PORT=56000, ETCD_PORT=52379, INTERVAL_MS=10, LEAD_S=8 (probe warm-up before the fault),
#   PGJDBC=path to the PostgreSQL JDBC jar, MASTER_START_TIMEOUT (unset = Patroni's default, 300),
#   MAX_RUNTIME (seconds, computed from --runs and the configurations).
# Packages: patroni, etcd-server, haproxy are apt-get installed when missing.
# Secrets: passwords are random per run, written only to 0600 files in the temp dir (Patroni's
# member configs, the probe's password file, a pgpass file); never on a command line or printed.
# Cleanup (trap on EXIT, also on Ctrl-C / failure / the time limit): stops the probe, Patroni,
# PostgreSQL, HAProxy and etcd started here, removes the temp dir. Re-runnable.
set -euo pipefail

RUNS=5
CONFIGS="default tuned"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --configs) CONFIGS=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--configs \"default tuned-dcs tuned\"]" >&2; exit 64 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
read -r -a PG_PORTS <<<"${PG_PORTS:-56432 56433 56434}"
read -r -a REST_PORTS <<<"${REST_PORTS:-58008 58009 58010}"
HA_PORT=${HA_PORT:-56000}
ETCD_PORT=${ETCD_PORT:-52379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
INTERVAL_MS=${INTERVAL_MS:-10}
LEAD_S=${LEAD_S:-8}
PGJDBC=${PGJDBC:-$HOME/.m2/repository/org/postgresql/postgresql/42.7.8/postgresql-42.7.8.jar}
NCONF=$(wc -w <<<"$CONFIGS")
MAX_RUNTIME=${MAX_RUNTIME:-$((300 + NCONF * (120 + RUNS * 300)))}

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- prerequisites
missing=()
command -v patroni >/dev/null || missing+=(patroni)
command -v etcd >/dev/null || missing+=(etcd-server)
command -v haproxy >/dev/null || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x "$PG_BIN/postgres" ] || die "no PostgreSQL binaries in $PG_BIN"
if [ ! -f "$PGJDBC" ]; then
    mvn -q dependency:get -Dartifact=org.postgresql:postgresql:42.7.8 || die "no JDBC driver at $PGJDBC"
fi
for p in "${PG_PORTS[@]}" "${REST_PORTS[@]}" "$HA_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT"; do
    if ss -Hltn "sport = :$p" | grep -q .; then die "port $p is in use (a previous run still up?)"; fi
done

# ---------------------------------------------------------------- temp dir, cleanup
T=$(mktemp -d /tmp/patroni-bench.XXXXXX)
chmod 755 "$T"                      # the postgres user must reach its data dirs below it
declare -A PATRONI_PID=()
PID_ETCD="" PID_HAPROXY="" PID_PROBE="" PID_WATCHDOG=""
SCOPE=""

stop_cluster() {                    # Patroni stops its PostgreSQL on SIGTERM; then make sure
    local pid i
    for pid in "${PATRONI_PID[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in $(seq 1 200); do       # up to 20 s
        local alive=0
        for pid in "${PATRONI_PID[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${PATRONI_PID[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    PATRONI_PID=()
    if [ -n "$SCOPE" ]; then        # any postmaster left behind (e.g. Patroni was killed)
        for d in "$T/$SCOPE"/pg*/data; do
            [ -f "$d/postmaster.pid" ] && setpriv --reuid=postgres --regid=postgres --init-groups \
                "$PG_BIN/pg_ctl" -D "$d" stop -m immediate -w -t 10 >/dev/null 2>&1 || true
        done
    fi
    if [ -n "$PID_HAPROXY" ]; then kill -TERM "$PID_HAPROXY" 2>/dev/null || true; wait "$PID_HAPROXY" 2>/dev/null || true; PID_HAPROXY=""; fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$PID_PROBE" ] && kill -TERM "$PID_PROBE" 2>/dev/null
    stop_cluster
    if [ -n "$PID_ETCD" ]; then kill -TERM "$PID_ETCD" 2>/dev/null; wait "$PID_ETCD" 2>/dev/null; fi
    [ -n "$PID_WATCHDOG" ] && kill "$PID_WATCHDOG" 2>/dev/null
    if [ $rc -ne 0 ] && [ -n "$SCOPE" ]; then   # show what went wrong before deleting the logs
        for f in "$T/$SCOPE"/pg*/patroni.log; do log "--- tail of $f"; tail -n 15 "$f" >&2 || true; done
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
( sleep "$MAX_RUNTIME"; log "time limit ${MAX_RUNTIME}s reached"; kill -TERM $$ ) 2>/dev/null &
PID_WATCHDOG=$!

# Random passwords, only ever in 0600 files.
pw() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
SU_PW=$(pw) REPL_PW=$(pw) REWIND_PW=$(pw)
(umask 077; printf '%s\n' "$SU_PW" >"$T/probe.pw")

# ---------------------------------------------------------------- etcd (one member)
log "starting etcd on 127.0.0.1:$ETCD_PORT"
etcd --name bench --data-dir "$T/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    >"$T/etcd.log" 2>&1 &
PID_ETCD=$!
for i in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$ETCD_PORT/health" | grep -q true && break
    [ "$i" = 100 ] && die "etcd did not become healthy (see $T/etcd.log)"
    sleep 0.2
done

# ---------------------------------------------------------------- cluster helpers
# Member i (1..3) of the current scope: config file, data dir.
cfg_of() { echo "$T/$SCOPE/pg$1/patroni.yml"; }
data_of() { echo "$T/$SCOPE/pg$1/data"; }

write_member_cfg() {                # write_member_cfg i ttl loop_wait retry_timeout
    local i=$1 dir="$T/$SCOPE/pg$1"
    mkdir -p "$dir"
    (umask 077; cat >"$dir/patroni.yml" <<EOF
scope: $SCOPE
namespace: /patroni-bench/
name: pg$i
restapi:
  listen: 127.0.0.1:${REST_PORTS[$((i-1))]}
  connect_address: 127.0.0.1:${REST_PORTS[$((i-1))]}
etcd3:
  host: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: $2
    loop_wait: $3
    retry_timeout: $4
    maximum_lag_on_failover: 1048576
$( [ -n "${MASTER_START_TIMEOUT:-}" ] && echo "    master_start_timeout: $MASTER_START_TIMEOUT" )
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 128MB
  initdb:
  - encoding: UTF8
  - data-checksums
postgresql:
  listen: 127.0.0.1:${PG_PORTS[$((i-1))]}
  connect_address: 127.0.0.1:${PG_PORTS[$((i-1))]}
  data_dir: $dir/data
  bin_dir: $PG_BIN
  pgpass: $dir/pgpass
  authentication:
    superuser: {username: postgres, password: "$SU_PW"}
    replication: {username: replicator, password: "$REPL_PW"}
    rewind: {username: rewinder, password: "$REWIND_PW"}
  parameters:
    unix_socket_directories: "$dir"
    shared_buffers: 64MB
  pg_hba:
  - local all all peer
  - host all all 127.0.0.1/32 scram-sha-256
  - host replication replicator 127.0.0.1/32 scram-sha-256
EOF
    )
    chown -R postgres:postgres "$dir"
}

start_member() {                    # start_member i — Patroni as the postgres user, log to a file
    setpriv --reuid=postgres --regid=postgres --init-groups env HOME="$T/$SCOPE/pg$1" \
        patroni "$(cfg_of "$1")" >>"$T/$SCOPE/pg$1/patroni.log" 2>&1 &
    PATRONI_PID[$1]=$!
}

# "name role state timeline" per member, from the first REST API that answers /cluster.
members() {
    local p
    for p in "${REST_PORTS[@]}"; do
        curl -sf -m 1 "http://127.0.0.1:$p/cluster" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for m in json.load(sys.stdin)["members"]:
    print(m["name"], m["role"], m.get("state", "?"), m.get("timeline", "-"))' 2>/dev/null && return 0
    done
    return 1
}

# Member names streaming from the leader, from its pg_stat_replication (Patroni 3.0.2's
# /cluster and patronictl list say "running" for replicas, "streaming" only came in later
# versions). Patroni sets application_name to the member name. psql as postgres, peer auth.
streaming_from() {
    local i=${1#pg}
    setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/psql" -h "$T/$SCOPE/pg$i" \
        -p "${PG_PORTS[$((i-1))]}" -U postgres -d postgres -XAtq -c \
        "select application_name from pg_stat_replication where state = 'streaming' order by 1" 2>/dev/null
}

# Wait (bounded) until there is one running leader and both others stream from it.
wait_healthy() {
    local timeout=$1 t0 m l
    t0=$(date +%s)
    while true; do
        m=$(members || true)
        l=$(awk '$2 == "leader" && $3 == "running" {print $1}' <<<"$m")
        if [ "$(wc -w <<<"$l")" = 1 ] && [ "$(streaming_from "$l" | wc -l)" = 2 ]; then
            return 0
        fi
        [ $(( $(date +%s) - t0 )) -ge "$timeout" ] && { log "cluster not healthy after ${timeout}s:"; echo "$m" >&2; return 1; }
        sleep 0.5
    done
}

leader() { members | awk '$2 == "leader" {print $1}'; }
member_state() { members | awk -v n="$1" '$1 == n {print $2, $3}'; }

write_haproxy_cfg() {               # write_haproxy_cfg inter fall rise — Patroni's sample, rw part
    {
        cat <<EOF
global
    maxconn 100
defaults
    mode tcp
    retries 2
    timeout client 30m
    timeout connect 4s
    timeout server 30m
    timeout check 5s
listen primary
    bind 127.0.0.1:$HA_PORT
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter $1 fall $2 rise $3 on-marked-down shutdown-sessions
EOF
        for i in 1 2 3; do
            echo "    server pg$i 127.0.0.1:${PG_PORTS[$((i-1))]} maxconn 100 check port ${REST_PORTS[$((i-1))]}"
        done
    } >"$T/haproxy-$SCOPE.cfg"
}

# Run the probe with the fault planned at $2 (epoch ms); $1 = seconds. Sets PROBE_OUT.
start_probe() {
    PROBE_OUT="$T/probe-$SCOPE-$3.out"
    java -cp "$PGJDBC" "$HERE/WriteProbe.java" --host 127.0.0.1 --port "$HA_PORT" --user postgres \
        --password-file "$T/probe.pw" --seconds "$1" --interval-ms "$INTERVAL_MS" --fault-at "$2" \
        --run "$SCOPE-$3" --out "$T/probe-$SCOPE-$3.csv" >"$PROBE_OUT" 2>"$PROBE_OUT.err" &
    PID_PROBE=$!
}
finish_probe() {                    # wait for the probe (in this shell, not a $(...) subshell)
    wait "$PID_PROBE" || true
    PID_PROBE=""
}
probe_summary() {                   # its summary line; acked-but-lost seqs shown on stderr
    grep '^probe lost' "$PROBE_OUT.err" >&2 || true
    grep '^probe ' "$PROBE_OUT" || { log "probe printed no summary:"; cat "$PROBE_OUT.err" >&2; echo "probe none"; }
}
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
sleep_until_ms() { local d=$(( $1 - $(now_ms) )); [ $d -gt 0 ] && sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"; return 0; }

RESULTS="$T/results.tsv"
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }   # config scenario value

# ---------------------------------------------------------------- scenarios
secs() { awk -v v="$1" 'BEGIN{print (v < 0 ? "NA" : v / 1000)}'; }   # ms → s, -1 → NA

# Wait (bounded, $2 s) until member $1 streams from the current leader; prints the epoch ms.
wait_streaming() {
    local deadline=$(( $(date +%s) + $2 )) l
    while [ "$(date +%s)" -lt "$deadline" ]; do
        l=$(leader || true)
        if [ -n "$l" ] && [ "$l" != "$1" ] && streaming_from "$l" | grep -qx "$1"; then now_ms; return 0; fi
        sleep 0.2
    done
    return 1
}

# (a) kill -9 of the leader's postmaster only. Its Patroni keeps the leader key and (with the
# default master_start_timeout 300) restarts PostgreSQL in place as the leader; with
# MASTER_START_TIMEOUT=0 it fails over instead. Either way: the outage, and then when the killed
# member is back (leader again, or streaming from the new leader).
scenario_kill_postmaster() {
    local cfg=$1 run=$2 probe_s=$3 old pid fault restart_ms="" back_ms="" how="" line l pf newpid
    old=$(leader)
    pf="$(data_of "${old#pg}")/postmaster.pid"
    pid=$(head -n 1 "$pf")
    fault=$(( $(now_ms) + LEAD_S * 1000 ))
    start_probe "$probe_s" "$fault" "killpm$run"
    sleep_until_ms "$fault"
    grep -q '^[0-9]' "$T/probe-$SCOPE-killpm$run.csv" || log "warning: no probe ack before the fault"
    kill -KILL "$pid"
    log "[$cfg #$run] kill -9 postmaster $pid of leader $old"
    local deadline=$(( $(date +%s) + probe_s + 120 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do   # poll: postmaster started again, then back
        if [ -z "$restart_ms" ]; then
            newpid=$(head -n 1 "$pf" 2>/dev/null || true)
            if [ -n "$newpid" ] && [ "$newpid" != "$pid" ] && kill -0 "$newpid" 2>/dev/null; then restart_ms=$(now_ms); fi
        else
            l=$(leader || true)
            if [ "$l" = "$old" ] && [ "$(member_state "$old" || true)" = "leader running" ]; then
                how=inplace; back_ms=$(now_ms); break
            elif [ -n "$l" ] && streaming_from "$l" | grep -qx "$old"; then
                how=failover; back_ms=$(now_ms); break
            fi
        fi
        sleep 0.2
    done
    finish_probe
    line=$(probe_summary)
    echo "[$cfg #$run] kill postmaster: $line"
    record "$cfg" "kill postmaster: outage s" "$(secs "$(field "$line" outage_ms)")"
    record "$cfg" "kill postmaster: lost writes" "$(field "$line" lost)"
    case $how in
        inplace)  echo "[$cfg #$run]   $old restarted in place by Patroni, leader again (no failover): postmaster up $(( restart_ms - fault )) ms, leader running $(( back_ms - fault )) ms after the kill"
                  record "$cfg" "kill postmaster: kill→leader again s" "$(secs $(( back_ms - fault )))" ;;
        failover) echo "[$cfg #$run]   failover; $old postmaster restarted $(( restart_ms - fault )) ms after the kill, streaming $(( back_ms - restart_ms )) ms after that"
                  record "$cfg" "kill postmaster: restart→streaming s" "$(secs $(( back_ms - restart_ms )))" ;;
        *)        echo "[$cfg #$run]   $old NOT back within the bound"; record "$cfg" "kill postmaster: back" NA ;;
    esac
}

# (a') kill -9 of the leader's Patroni and postmaster together (the node dies): the leader key
# expires after ttl, a replica takes over. (c) then this script restarts the member's Patroni,
# which starts PostgreSQL (crash recovery, pg_rewind if needed) → time until it is streaming.
scenario_kill_node() {
    local cfg=$1 run=$2 probe_s=$3 old i pid fault line restart_ms stream_ms
    old=$(leader); i=${old#pg}
    pid=$(head -n 1 "$(data_of "$i")/postmaster.pid")
    fault=$(( $(now_ms) + LEAD_S * 1000 ))
    start_probe "$probe_s" "$fault" "killnode$run"
    sleep_until_ms "$fault"
    grep -q '^[0-9]' "$T/probe-$SCOPE-killnode$run.csv" || log "warning: no probe ack before the fault"
    kill -KILL "${PATRONI_PID[$i]}" "$pid"
    wait "${PATRONI_PID[$i]}" 2>/dev/null || true
    log "[$cfg #$run] kill -9 Patroni ${PATRONI_PID[$i]} and postmaster $pid of leader $old"
    finish_probe
    line=$(probe_summary)
    echo "[$cfg #$run] kill node:       $line (new leader $(leader || echo '?'))"
    record "$cfg" "kill node: outage s" "$(secs "$(field "$line" outage_ms)")"
    record "$cfg" "kill node: lost writes" "$(field "$line" lost)"
    sleep 1                           # let the killed postmaster's children exit
    restart_ms=$(now_ms)
    start_member "$i"
    if stream_ms=$(wait_streaming "$old" 180); then
        echo "[$cfg #$run]   restarted $old (Patroni): streaming from the new leader $(( stream_ms - restart_ms )) ms later"
        record "$cfg" "kill node: restart→streaming s" "$(secs $(( stream_ms - restart_ms )))"
    else
        echo "[$cfg #$run]   restarted $old: NOT streaming within 180 s"
        record "$cfg" "kill node: restart→streaming s" NA
    fi
}

# (a'') the leader's node frozen: SIGSTOP to its Patroni and to every process of its PostgreSQL
# (as `docker pause` freezes a container). The leader key expires after ttl, a replica takes
# over → write outage. Once the new leader takes writes the node is thawed (SIGCONT): its Patroni
# finds it lost the key, demotes and rejoins → time from the thaw until it streams again.
scenario_pause_node() {
    local cfg=$1 run=$2 probe_s=$3 old i pid fault line thaw_ms stream_ms pids
    old=$(leader); i=${old#pg}
    pid=$(head -n 1 "$(data_of "$i")/postmaster.pid")
    fault=$(( $(now_ms) + LEAD_S * 1000 ))
    start_probe "$probe_s" "$fault" "pausenode$run"
    sleep_until_ms "$fault"
    grep -q '^[0-9]' "$T/probe-$SCOPE-pausenode$run.csv" || log "warning: no probe ack before the fault"
    pids="${PATRONI_PID[$i]} $pid $(pgrep -P "$pid" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -STOP $pids
    log "[$cfg #$run] SIGSTOP Patroni ${PATRONI_PID[$i]}, postmaster $pid and its children (leader $old)"
    local deadline=$(( $(date +%s) + probe_s + 60 )) l=""
    while [ "$(date +%s)" -lt "$deadline" ]; do
        l=$(leader || true)
        [ -n "$l" ] && [ "$l" != "$old" ] && [ "$(member_state "$l" || true)" = "leader running" ] && break
        sleep 0.2
    done
    finish_probe
    # shellcheck disable=SC2086
    kill -CONT $pids 2>/dev/null || true
    thaw_ms=$(now_ms)
    line=$(probe_summary)
    echo "[$cfg #$run] pause node:      $line (new leader ${l:-?})"
    record "$cfg" "pause node: outage s" "$(secs "$(field "$line" outage_ms)")"
    record "$cfg" "pause node: lost writes" "$(field "$line" lost)"
    if stream_ms=$(wait_streaming "$old" 180); then
        echo "[$cfg #$run]   thawed $old: streaming from the new leader $(( stream_ms - thaw_ms )) ms later"
        record "$cfg" "pause node: thaw→streaming s" "$(secs $(( stream_ms - thaw_ms )))"
    else
        echo "[$cfg #$run]   thawed $old: NOT streaming within 180 s"
        record "$cfg" "pause node: thaw→streaming s" NA
    fi
}

# (b) patronictl switchover --force.
scenario_switchover() {
    local cfg=$1 run=$2 old fault line
    old=$(leader)
    fault=$(( $(now_ms) + LEAD_S * 1000 ))
    start_probe 30 "$fault" "switchover$run"
    sleep_until_ms "$fault"
    timeout 60 patronictl -c "$(cfg_of 1)" switchover --force >"$T/switchover.log" 2>&1 \
        || { log "switchover failed:"; cat "$T/switchover.log" >&2; }
    finish_probe
    line=$(probe_summary)
    echo "[$cfg #$run] switchover:      $line (from $old to $(leader || echo '?'))"
    record "$cfg" "switchover: outage s" "$(secs "$(field "$line" outage_ms)")"
    record "$cfg" "switchover: lost writes" "$(field "$line" lost)"
}

# ---------------------------------------------------------------- main
T_START=$(date +%s)
for cfg in $CONFIGS; do
    case $cfg in
        default)   ttl=30 loop=10 retry=10 inter=3s fall=3 rise=2 ;;
        tuned-dcs) ttl=10 loop=2  retry=3  inter=3s fall=3 rise=2 ;;
        tuned)     ttl=10 loop=2  retry=3  inter=1s fall=2 rise=1 ;;
        *) die "unknown configuration $cfg" ;;
    esac
    SCOPE="bench-$cfg"
    log "== $cfg: ttl $ttl, loop_wait $loop, retry_timeout $retry; HAProxy inter $inter fall $fall rise $rise"
    # Bootstrap: pg1 first (it initdb's and becomes leader), then the two replicas.
    for i in 1 2 3; do write_member_cfg "$i" "$ttl" "$loop" "$retry"; done
    start_member 1
    for i in $(seq 1 120); do [ "$(leader || true)" = pg1 ] && break; sleep 0.5; done
    start_member 2; start_member 3
    wait_healthy 180 || die "cluster $SCOPE did not come up"
    write_haproxy_cfg "$inter" "$fall" "$rise"
    haproxy -f "$T/haproxy-$SCOPE.cfg" -db >"$T/haproxy-$SCOPE.log" 2>&1 &
    PID_HAPROXY=$!
    sleep 3
    log "cluster $SCOPE up: $(members | tr '\n' ';')"
    for run in $(seq 1 "$RUNS"); do
        # probe windows: long enough to see the write outage end (bounded by loop_wait / ttl)
        scenario_kill_postmaster "$cfg" "$run" $(( LEAD_S + loop + 15 ))
        wait_healthy 180 || die "cluster $SCOPE not healthy after the postmaster kill"
        sleep 2
        scenario_kill_node "$cfg" "$run" $(( LEAD_S + ttl + loop + 15 ))
        wait_healthy 180 || die "cluster $SCOPE not healthy after the node kill"
        sleep 2
        scenario_pause_node "$cfg" "$run" $(( LEAD_S + ttl + loop + 15 ))
        wait_healthy 180 || die "cluster $SCOPE not healthy after the node pause"
        sleep 2
        scenario_switchover "$cfg" "$run"
        wait_healthy 180 || die "cluster $SCOPE not healthy after switchover"
        sleep 2
    done
    stop_cluster
done

# ---------------------------------------------------------------- report
echo
echo "Patroni $(patroni --version | awk '{print $2}'), etcd $(etcd --version | awk '/etcd Version/ {print $3}'), HAProxy $(haproxy -v | awk 'NR==1 {print $3}'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "all on loopback: 1 etcd, 3 Patroni members (async streaming, use_pg_rewind), HAProxy rw listener checking OPTIONS /primary"
echo "probe: bench/WriteProbe.java through HAProxy, one autocommit insert every ${INTERVAL_MS} ms; outage = the largest gap between"
echo "       consecutive acknowledged inserts ending after the fault (client clock); lost writes = acked rows missing afterwards;"
echo "       kill postmaster: Patroni restarts it in place (no failover); kill node: Patroni+postmaster killed, failover after ttl;"
echo "       pause node: SIGSTOP of Patroni and all PostgreSQL processes, failover after ttl, SIGCONT once the new leader runs;"
echo "       restart→streaming: script restarts the member's Patroni → member streaming in the new leader's pg_stat_replication"
echo "$RUNS runs per configuration; total time $(( $(date +%s) - T_START ))s"
/usr/bin/python3 - "$RESULTS" "$CONFIGS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print()
print(f"{'configuration':<11} {'measure':<36} {'n':>2} {'median':>8} {'min':>8} {'max':>8}  values")
for cfg in sys.argv[2].split():
    for measure in dict.fromkeys(r[1] for r in rows if r[0] == cfg):
        vals = [r[2] for r in rows if r[0] == cfg and r[1] == measure]
        nums = [float(v) for v in vals if v not in ("NA", "", "-1")]
        med = f"{statistics.median(nums):8.2f}" if nums else f"{'NA':>8}"
        lo = f"{min(nums):8.2f}" if nums else f"{'NA':>8}"
        hi = f"{max(nums):8.2f}" if nums else f"{'NA':>8}"
        print(f"{cfg:<11} {measure:<36} {len(vals):>2} {med} {lo} {hi}  {' '.join(vals)}")
EOF
