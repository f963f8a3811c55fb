#!/usr/bin/env bash
# bench/cluster-bench.sh — pgherd's cluster benchmark: one run, one machine, numbers printed with
# how each one was obtained. Results and analysis: docs/benchmarks.md. Not a test: it asserts
# nothing (targets are printed next to the ratios, never checked).
#
#   bench/cluster-bench.sh                        # full run: scale 70 (~1 GB), 30 s per pgbench run
#   SCALE=5 DURATION=5 bench/cluster-bench.sh     # quick run, a few minutes
#
# What it does, in order (all against one cluster named "bench" in a private operator home):
#   0. starts its own `pgherd operator` (PGHERD_HOME = a new temp dir) and waits until it runs;
#      the images must be built (built first, outside every timer, when missing).
#   1. apply a 3-instance spec and time apply → every replica "streaming" in `pgherd status`
#      (and, as a cross-check, in the primary's pg_stat_replication), → phase Healthy.
#   2. pgbench -i -s $SCALE through the read-write port; raw `pg_basebackup -X stream -c fast`
#      from the host against the primary's published port into a temp dir (time, MB/s; deleted);
#      scale 3 → 4 and time apply → the new member "streaming"; the ratio pgherd / raw; raw again.
#   3. the health checks (answered by the agent in each member on :8008): the idle CPU cost of the
#      cluster with HAProxy's checks on and off, and of the whole cluster (members + LB + operator;
#      target ≤ 0.03 cores); $HEALTH_COUNT sequential GET /primary to the primary's agent from the host
#      (latency percentiles, CPU per check); with HEALTH_UNDER_LOAD=1, GET /primary every 50 ms
#      during one pgbench select-only run through the read-write port (p50/p99/max, non-200
#      answers; target p99 ≤ 5 ms). Then pgbench TPS, select-only (-S -n) and
#      TPC-B-like (-n, after vacuum of branches/tellers + truncate history), $CLIENTS clients /
#      $THREADS threads, $DURATION s, CHECKPOINT before each run, through each variant below, all
#      against the same primary, $RUNS rounds; per run: TPS, latency, CPU per transaction by
#      component, CPU used by other work on the machine meanwhile. Ratios pgherd/direct,
#      bare/direct, pgherd/bare and the investigation ratios.
#        pgherd       127.0.0.1:$RW_PORT → docker-proxy → pgherd's HAProxy container → primary
#        direct       the primary's published 127.0.0.1 port → docker-proxy → primary
#        bare         a bare host HAProxy 2.6 (mode tcp, one server, no check) on 127.0.0.1:$BARE_PORT
#                     → the primary's published port (docker-proxy) → primary
#        bare-docker  the same bare HAProxy in a container on the host network (CPU in Docker's cgroup)
#        lb-ip        pgherd's HAProxy by its container IP, port 5432 (no docker-proxy)
#        bare-ip      host HAProxy → the primary's container IP (no docker-proxy)
#        primary-ip   the primary's container IP (no proxy at all)
#        *-nochecks   pgherd / direct with pgherd's HAProxy health checks disabled for the run
#   Then it deletes the cluster (--purge), stops its operator and its HAProxy, removes its temp
#   files — also when interrupted or failing (trap on EXIT).
#
# Settings (environment):
#   SCALE=70 DURATION=30 CLIENTS=8 THREADS=2 RUNS=2       pgbench scale, seconds per run, rounds
#   MODES="select tpcb"                                   (also: connect = -S -C, connection per tx)
#   VARIANTS="pgherd bare bare-docker direct lb-ip bare-ip primary-ip pgherd-nochecks direct-nochecks"
#                   run in this order (reversed in even rounds), all variants of one mode together
#   QUIET_WAIT=60 QUIET_CORES=0.3  before each pgbench run, wait up to QUIET_WAIT s until other
#                   work on the machine (not this benchmark's processes) uses < QUIET_CORES cores
#   CLEAN_CORES=0.5 runs during which other work used more than this are left out of "clean" means
#   REINIT=0        1 = pgbench -i before every TPC-B run (default: vacuum + truncate history)
#   IDLE_WINDOW=20  seconds per idle cost measurement (checks on, checks off; 0 = skip)
#   HEALTH_COUNT=200  sequential GET /primary to the primary's agent (bench/health-latency.py, one
#                   Python process, a new TCP connection per request as HAProxy's check; 0 = skip)
#   HEALTH_UNDER_LOAD=1  1 = GET /primary every 50 ms during one extra pgbench -S -c $CLIENTS
#                   -j $THREADS -T $DURATION run through 127.0.0.1:$RW_PORT (0 = skip)
#   RAW_RUNS=2      raw pg_basebackup runs (before and after the scale-out)
#   RW_PORT=55432 RO_PORT=55433 BARE_PORT=55532 BARE_IP_PORT=55533 BARE_DOCKER_PORT=55534
#   CREATE_TIMEOUT=300 SCALE_TIMEOUT=1800 MAX_RUNTIME=(computed)   bounds, seconds
#   PGHERD_JAR=...  use this jar instead of (a snapshot of) target/pgherd.jar
#
# Secrets: the superuser and replication passwords are read from the operator home with shell
# builtins and written only to a 0600 passfile in the temp dir (PGPASSFILE points at it); they
# are never printed, put on a command line, or exported.
set -euo pipefail

SCALE=${SCALE:-70}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
RUNS=${RUNS:-2}
MODES=${MODES:-"select tpcb"}
VARIANTS=${VARIANTS:-"pgherd bare bare-docker direct lb-ip bare-ip primary-ip pgherd-nochecks direct-nochecks"}
QUIET_WAIT=${QUIET_WAIT:-60}
QUIET_CORES=${QUIET_CORES:-0.3}
CLEAN_CORES=${CLEAN_CORES:-0.5}
REINIT=${REINIT:-0}
IDLE_WINDOW=${IDLE_WINDOW:-20}
HEALTH_COUNT=${HEALTH_COUNT:-200}
HEALTH_UNDER_LOAD=${HEALTH_UNDER_LOAD:-1}
HEALTH_PORT=8008
RAW_RUNS=${RAW_RUNS:-2}
CLUSTER=bench
RW_PORT=${RW_PORT:-55432}
RO_PORT=${RO_PORT:-55433}
BARE_PORT=${BARE_PORT:-55532}
BARE_IP_PORT=${BARE_IP_PORT:-55533}
BARE_DOCKER_PORT=${BARE_DOCKER_PORT:-55534}
CREATE_TIMEOUT=${CREATE_TIMEOUT:-300}
SCALE_TIMEOUT=${SCALE_TIMEOUT:-1800}
POLL=0.25

for v in SCALE DURATION CLIENTS THREADS RUNS REINIT IDLE_WINDOW HEALTH_COUNT HEALTH_UNDER_LOAD RAW_RUNS RW_PORT RO_PORT BARE_PORT \
  BARE_IP_PORT BARE_DOCKER_PORT CREATE_TIMEOUT SCALE_TIMEOUT QUIET_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "cluster-bench: $v='${!v}' must be a non-negative integer" >&2; exit 2; }
done
for m in $MODES; do
  case $m in select|tpcb|connect) ;; *) echo "cluster-bench: unknown mode '$m' in MODES" >&2; exit 2 ;; esac
done
for v in $VARIANTS; do
  case $v in pgherd|direct|bare|bare-docker|lb-ip|primary-ip|bare-ip|pgherd-nochecks|direct-nochecks) ;;
    *) echo "cluster-bench: unknown variant '$v' in VARIANTS" >&2; exit 2 ;;
  esac
done
n_variants=$(wc -w <<<"$VARIANTS")
n_modes=$(wc -w <<<"$MODES")
for v in QUIET_CORES CLEAN_CORES; do
  [[ ${!v} =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "cluster-bench: $v='${!v}' must be a number" >&2; exit 2; }
done
MAX_RUNTIME=${MAX_RUNTIME:-$((1200 + SCALE * 30 + IDLE_WINDOW * 2 + HEALTH_COUNT * 2 + (RUNS * n_variants * n_modes + HEALTH_UNDER_LOAD) * (DURATION + 90 + QUIET_WAIT)))}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# ------------------------------------------------------------------------------------ helpers
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }   # secs T0 T1
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0 || a == "" || b == "") print "n/a"; else printf f, a / b }'; }
epoch() { date -d "$1" +%s.%N; }
section() { printf '\n==================== %s\n' "$*"; }
note() { printf '  how: %s\n' "$*"; }
load() { printf '  load before: %s\n' "$(uptime | sed 's/^ *//')"; }
die() { echo "cluster-bench: $*" >&2; exit 1; }
hv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }   # hv KEY LINE: the value of KEY=... in LINE

raw_bytes=0 bare_ctr='' work='' op_pid='' bare_pid='' wd_pid='' owned=0 applied=0 checks_off=0 lb='' hl_pgbench_pid=''
idle_cluster='' health_seq='' health_load=''
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  section "cleanup"
  if [ -n "$hl_pgbench_pid" ]; then   # /usr/bin/time of the under-load pgbench (which ends by its -T anyway)
    kill "$hl_pgbench_pid" 2>/dev/null && wait "$hl_pgbench_pid" 2>/dev/null
    echo "  pgbench (pid $hl_pgbench_pid) stopped"
  fi
  if [ -n "$bare_pid" ]; then
    kill "$bare_pid" 2>/dev/null && wait "$bare_pid" 2>/dev/null
    echo "  host HAProxy (pid $bare_pid) stopped"
  fi
  if [ -n "$bare_ctr" ]; then
    docker rm -f "$bare_ctr" >/dev/null 2>&1 && echo "  container $bare_ctr removed"
  fi
  if [ "$applied" = 1 ]; then
    timeout 180 "${CLI[@]}" delete "$CLUSTER" --purge | sed 's/^/  /' || echo "  warning: pgherd delete failed"
  fi
  if [ -n "$op_pid" ] && kill -0 "$op_pid" 2>/dev/null; then
    kill -TERM "$op_pid"
    for _ in $(seq 1 60); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$op_pid" 2>/dev/null && kill -KILL "$op_pid"
    wait "$op_pid" 2>/dev/null
    echo "  operator (pid $op_pid) stopped"
  fi
  if [ "$owned" = 1 ]; then
    # Safety net, only for objects of this cluster name, which did not exist when we started.
    local left
    left=$(docker ps -aq --filter "label=io.pgherd.cluster=$CLUSTER")
    [ -n "$left" ] && { echo "  removing leftover containers"; docker rm -f $left >/dev/null; }
    left=$(docker volume ls -q --filter "label=io.pgherd.cluster=$CLUSTER")
    [ -n "$left" ] && { echo "  removing leftover volumes"; docker volume rm $left >/dev/null; }
    docker network inspect "pgherd-$CLUSTER" >/dev/null 2>&1 && docker network rm "pgherd-$CLUSTER" >/dev/null
  fi
  if [ -n "$wd_pid" ]; then kill "$wd_pid" 2>/dev/null; wait "$wd_pid" 2>/dev/null; fi
  [ -n "$work" ] && rm -rf "$work" && echo "  removed $work"
  echo "  done (exit status $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "cluster-bench: interrupted" >&2; exit 130' INT
trap 'echo "cluster-bench: terminated" >&2; exit 143' TERM

# ------------------------------------------------------------------------------------ preflight
section "setup"
for t in docker java psql pgbench pg_basebackup haproxy jq awk ss python3 /usr/bin/time timeout; do
  command -v "$t" >/dev/null || die "$t is needed on the host"
done
docker info >/dev/null 2>&1 || die "the Docker engine is not reachable"
if [ -n "$(docker ps -aq --filter "label=io.pgherd.cluster=$CLUSTER")" ] ||
  [ -n "$(docker volume ls -q --filter "label=io.pgherd.cluster=$CLUSTER")" ] ||
  docker network inspect "pgherd-$CLUSTER" >/dev/null 2>&1; then
  die "Docker objects of a cluster named '$CLUSTER' exist already; not touching them (remove them first)"
fi
for p in "$RW_PORT" "$RO_PORT" "$BARE_PORT" "$BARE_IP_PORT" "$BARE_DOCKER_PORT"; do
  [ -z "$(ss -Htln "sport = :$p")" ] || die "port $p is in use"
done
owned=1
work=$(mktemp -d "${TMPDIR:-/tmp}/pgherd-bench.XXXXXX")
export PGHERD_HOME="$work/home"
mkdir -m 0700 "$PGHERD_HOME"

# A watchdog: the whole run is bounded, whatever happens.
watchdog() {
  sleep "$MAX_RUNTIME" & local s=$!
  trap 'kill $s 2>/dev/null; exit 0' TERM
  wait "$s"
  echo "cluster-bench: MAX_RUNTIME=${MAX_RUNTIME}s exceeded; stopping" >&2
  kill -TERM $$
}
watchdog & wd_pid=$!

# The CLI: a snapshot of the jar, so that a rebuild by someone else mid-run cannot change it.
if [ -n "${PGHERD_JAR:-}" ]; then
  cp "$PGHERD_JAR" "$work/pgherd.jar"
else
  if ! "$repo/bin/pgherd" --version >/dev/null 2>"$work/build.log"; then
    [ -f "$repo/target/pgherd.jar" ] || { cat "$work/build.log" >&2; die "cannot build target/pgherd.jar"; }
    echo "  warning: bin/pgherd could not rebuild the jar (sources being edited?); using the existing target/pgherd.jar"
  fi
  cp "$repo/target/pgherd.jar" "$work/pgherd.jar"
fi
# Run as a user runs it: bin/pgherd on that snapshot (the short-lived commands' JVM options and
# class-data-sharing archive, made next to the snapshot by this first command), so the timers that
# start before `pgherd apply` count the CLI as users see it.
CLI=(env PGHERD_JAR="$work/pgherd.jar" "$repo/bin/pgherd")
cli() { "${CLI[@]}" "$@"; }
cli --version >/dev/null || die "the jar snapshot does not run"

prebuilt=yes
docker image inspect pgherd/postgres:15 pgherd/haproxy:2.6 >/dev/null 2>&1 || prebuilt=no
if [ "$prebuilt" = no ]; then
  echo "  images missing: bin/pgherd images build (outside every timer)"
  "$repo/bin/pgherd" images build
fi

echo "  machine:  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, kernel $(uname -r)"
echo "  docker:   $(docker version --format '{{.Server.Version}}') ($(docker info --format '{{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null))"
echo "  host:     $(pgbench --version), $(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "  images:   pgherd/postgres:15 $(docker image inspect -f '{{.Id}}' pgherd/postgres:15 | cut -c8-19), pgherd/haproxy:2.6 $(docker image inspect -f '{{.Id}}' pgherd/haproxy:2.6 | cut -c8-19); already built before this run: $prebuilt"
echo "  pgherd:   commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$repo" status --porcelain -- src pom.xml operator 2>/dev/null)" ] && echo ' + uncommitted changes in src/pom.xml/operator'), jar sha256 $(sha256sum "$work/pgherd.jar" | cut -c1-12)"
echo "  settings: SCALE=$SCALE DURATION=$DURATION CLIENTS=$CLIENTS THREADS=$THREADS RUNS=$RUNS MODES='$MODES' REINIT=$REINIT"
echo "            QUIET_WAIT=$QUIET_WAIT QUIET_CORES=$QUIET_CORES CLEAN_CORES=$CLEAN_CORES MAX_RUNTIME=${MAX_RUNTIME}s"
echo "  variants: $VARIANTS"
echo "  home:     $PGHERD_HOME (temp)"
printf '  %s\n' "$(uptime | sed 's/^ *//')"

# The operator, already running before the timer of step 1 starts.
PGHERD_REPO="$repo" java ${OPERATOR_JAVA_OPTS:-} -jar "$work/pgherd.jar" operator >"$work/operator.log" 2>&1 &
op_pid=$!
deadline=$((SECONDS + 60))
until grep -q 'operator started' "$work/operator.log"; do
  kill -0 "$op_pid" 2>/dev/null || { cat "$work/operator.log" >&2; die "the operator exited"; }
  (( SECONDS < deadline )) || die "the operator did not start within 60 s"
  sleep 0.2
done
echo "  operator: pid $op_pid, running ($(grep -m1 'operator started' "$work/operator.log"))"

export PGUSER=postgres PGDATABASE=postgres PGCONNECT_TIMEOUT=5 PGSSLMODE=disable PGAPPNAME=pgherd-bench
export PGPASSFILE="$work/pgpass"
sql() { local h=$1 p=$2; shift 2; timeout 120 psql -h "$h" -p "$p" -XAtq -v ON_ERROR_STOP=1 -c "$*"; }

# pgpass from the home's secrets: builtins only (no password in argv or environment).
write_pgpass() {
  local dir="$PGHERD_HOME/secrets/$CLUSTER" su rp
  [ -s "$dir/superuser-password" ] && [ -s "$dir/replication-password" ] || return 1
  su=$(<"$dir/superuser-password"); rp=$(<"$dir/replication-password")
  su=${su%$'\n'}; su=${su//\\/\\\\}; su=${su//:/\\:}
  rp=${rp%$'\n'}; rp=${rp//\\/\\\\}; rp=${rp//:/\\:}
  (umask 077; printf '*:*:*:postgres:%s\n*:*:*:replicator:%s\n' "$su" "$rp" >"$PGPASSFILE")
  su='' rp=''
}

status_file="$PGHERD_HOME/status/$CLUSTER.json"
status_json() { jq -c . "$status_file" 2>/dev/null || true; }
published_port() { docker port "$1" 5432/tcp 2>/dev/null | head -1 | sed 's/.*://'; }
cluster_ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"pgherd-$CLUSTER\").IPAddress}}" "$1"; }

# Lines of the cluster's reconcile log written after T0, with seconds since T0.
cluster_log_since() { # T0
  local t0=$1 line ts
  [ -f "$PGHERD_HOME/logs/$CLUSTER.log" ] || return 0
  while IFS= read -r line; do
    ts=$(epoch "${line%% *}") || continue
    awk -v a="$t0" -v b="$ts" 'BEGIN { exit !(b >= a - 0.001) }' || continue
    printf '    +%6.1fs  %s\n' "$(secs "$t0" "$ts")" "$(cut -d' ' -f3- <<<"$line" | cut -c1-150)"
  done <"$PGHERD_HOME/logs/$CLUSTER.log"
}

# A member container's bootstrap milestones (docker logs -t), in seconds since T0.
member_timeline() { # CONTAINER T0
  local c=$1 t0=$2 logs created started
  logs=$(docker logs -t "$c" 2>&1 || true)
  created=$(docker inspect -f '{{.Created}}' "$c"); started=$(docker inspect -f '{{.State.StartedAt}}' "$c")
  printf '    +%6.1fs  %s\n' "$(secs "$t0" "$(epoch "$created")")" "container created"
  printf '    +%6.1fs  %s\n' "$(secs "$t0" "$(epoch "$started")")" "container started (State.StartedAt)"
  local pat label ts
  while IFS='|' read -r pat label; do
    ts=$(grep -m1 -F -- "$pat" <<<"$logs" | cut -d' ' -f1) || true
    [ -n "$ts" ] && printf '    +%6.1fs  %s\n' "$(secs "$t0" "$(epoch "$ts")")" "$label"
  done <<'EOF'
(bootstrap mode|entrypoint started
is up; pg_basebackup through slot|primary reachable; pg_basebackup starts
pg_basebackup: checkpoint completed|pg_basebackup: checkpoint on the primary done
pg_basebackup: base backup completed|pg_basebackup: copy complete (synced)
clone complete|standby.signal written
exec postgres|postgres starting
ready to accept read-only connections|hot standby accepts connections
started streaming WAL from primary|walreceiver streaming
EOF
}
walreceiver_epoch() { # CONTAINER: when its walreceiver started streaming (its log), epoch seconds
  local ts
  ts=$(docker logs -t "$1" 2>&1 | grep -m1 -F 'started streaming WAL from primary' | cut -d' ' -f1) || true
  [ -n "$ts" ] && epoch "$ts"
}
spec_stored() { # T0: seconds from T0 to the stored spec's mtime (what the operator's scanner watches)
  secs "$1" "$(stat -c %.9Y "$PGHERD_HOME/clusters/$CLUSTER.yaml")"
}
clone_seconds() { # CONTAINER: pg_basebackup start → completed inside the member, from its log
  local logs a b
  logs=$(docker logs -t "$1" 2>&1 || true)
  a=$(grep -m1 -F 'is up; pg_basebackup through slot' <<<"$logs" | cut -d' ' -f1) || true
  b=$(grep -m1 -F 'pg_basebackup: base backup completed' <<<"$logs" | cut -d' ' -f1) || true
  [ -n "$a" ] && [ -n "$b" ] && secs "$(epoch "$a")" "$(epoch "$b")" || echo n/a
}

# Polls the status document (the file `pgherd status -o json` prints) every POLL s, and the
# primary's pg_stat_replication, until every member in WANT is up (primary running, replicas
# streaming). Sets t_status[member], t_db[member], t_all_status, t_all_db, t_healthy.
# pg_stat_replication: only rows with a replay_lsn count. pg_basebackup's own WAL stream (-X
# stream) shows there as "streaming" under the new member's application_name during the clone,
# but never reports a replay position; a standby's walreceiver does from its first message.
declare -A t_status t_db
wait_members() { # T0 TIMEOUT GENERATION MEMBER...
  local t0=$1 timeout=$2 gen=$3; shift 3
  local want=("$@") deadline st m t pport='' streaming line polls=0 tpoll0 all
  t_status=() t_db=() t_all_status='' t_all_db='' t_healthy=''
  deadline=$(awk -v a="$t0" -v b="$timeout" 'BEGIN { printf "%d", a + b }')
  tpoll0=$(now)
  while :; do
    t=$(now); polls=$((polls + 1))
    # one jq per poll: "phase generation" then "name role:state" per member
    st=$(jq -r '"\(.phase // "") \(.observedGeneration // 0)", (.members[]? | "\(.name) \(.role):\(.state)")' \
      "$status_file" 2>/dev/null || true)
    if [ -n "$st" ]; then
      read -r phase og <<<"${st%%$'\n'*}"
      [ -z "$t_healthy" ] && [ "$phase" = Healthy ] && [ "${og:-0}" -ge "$gen" ] && t_healthy=$t
      while read -r m line; do
        [ -n "${t_status[$m]:-}" ] && continue
        case $line in primary:running|replica:streaming) t_status[$m]=$t ;; esac
      done <<<"${st#*$'\n'}"
    fi
    # PostgreSQL's own view (needs the password and the primary's published port)
    if [ -s "$PGPASSFILE" ] || write_pgpass; then
      [ -n "$pport" ] || pport=$(published_port "pgherd-$CLUSTER-1")
      if [ -n "$pport" ]; then
        streaming=$(PGCONNECT_TIMEOUT=2 timeout 5 psql -h 127.0.0.1 -p "$pport" -XAtq -c \
          "select application_name from pg_stat_replication where state = 'streaming' and replay_lsn is not null" 2>/dev/null || true)
        for m in "${want[@]}"; do
          [ -z "${t_db[$m]:-}" ] && grep -qx -- "$m" <<<"$streaming" && t_db[$m]=$t
        done
      fi
    fi
    if [ -z "$t_all_status" ]; then
      all=1; for m in "${want[@]}"; do [ -n "${t_status[$m]:-}" ] || all=0; done
      [ "$all" = 1 ] && t_all_status=$t
    fi
    if [ -z "$t_all_db" ]; then
      all=1; for m in "${want[@]}"; do [ "$m" = "$CLUSTER-1" ] || [ -n "${t_db[$m]:-}" ] || all=0; done
      [ "$all" = 1 ] && t_all_db=$t
    fi
    [ -n "$t_all_status" ] && [ -n "$t_healthy" ] && [ -n "$t_all_db" ] && break
    if (( ${t%.*} >= deadline )); then
      echo "  TIMEOUT after ${timeout}s; last status: $(tr '\n' ' ' <<<"$st")"
      return 1
    fi
    sleep "$POLL"
  done
  poll_interval=$(awk -v a="$tpoll0" -v b="$(now)" -v n="$polls" 'BEGIN { printf "%.2f", (b - a) / n }')
}

# ---------------------------------------------------------------------- 1. create: apply → streaming
section "1. time from apply to all members streaming (3 instances)"
spec() { # INSTANCES
  cat <<EOF
apiVersion: pgherd.io/v1
kind: PostgresCluster
metadata:
  name: $CLUSTER
spec:
  instances: $1
  postgres:
    image: pgherd/postgres:15
  loadBalancer:
    bindAddress: 127.0.0.1
    readWritePort: $RW_PORT
    readOnlyPort: $RO_PORT
    readOnly: all
  replication:
    mode: async
EOF
}
spec 3 >"$work/spec.yaml"
load
note "operator already running (pid $op_pid), images already built; timer starts just before"
note "\`pgherd apply -f spec.yaml\` (instances: 3, no --wait), then the status document is read every"
note "${POLL}s (\$PGHERD_HOME/status/$CLUSTER.json, what \`pgherd status -o json\` prints: polling the CLI"
note "itself costs a JVM start per poll) until bench-1 is \"running\" and every replica \"streaming\";"
note "in the same loop the primary's pg_stat_replication (state = 'streaming') is the cross-check."
t0=$(now)
cli apply -f "$work/spec.yaml" | sed 's/^/  /'
applied=1
t_apply_done=$(now)
wait_members "$t0" "$CREATE_TIMEOUT" 1 "$CLUSTER-1" "$CLUSTER-2" "$CLUSTER-3" ||
  die "the cluster did not come up within ${CREATE_TIMEOUT}s"
create_secs=$(secs "$t0" "$t_all_status")
create_db_secs=$(secs "$t0" "$t_all_db")
create_healthy_secs=$(secs "$t0" "$t_healthy")
echo "  RESULT apply → all 3 members streaming (pgherd status):   ${create_secs} s"
echo "         apply → both replicas streaming (pg_stat_replication): ${create_db_secs} s"
echo "         apply → phase Healthy (members + load balancer):    ${create_healthy_secs} s"
echo "         (\`pgherd apply\` itself, a JVM start: $(secs "$t0" "$t_apply_done") s; status poll interval achieved: ${poll_interval} s)"
for m in "$CLUSTER-1" "$CLUSTER-2" "$CLUSTER-3"; do
  printf '         %-8s up in status at +%s s, in pg_stat_replication at %s\n' "$m" \
    "$(secs "$t0" "${t_status[$m]}")" "$( [ -n "${t_db[$m]:-}" ] && echo "+$(secs "$t0" "${t_db[$m]}") s" || echo '- (primary)')"
done
echo "  the spec was stored at +$(spec_stored "$t0") s (mtime of \$PGHERD_HOME/clusters/$CLUSTER.yaml); the operator's reconcile log:"
cluster_log_since "$t0"
echo "  replica $CLUSTER-3 (docker logs -t; seconds since apply):"
member_timeline "pgherd-$CLUSTER-3" "$t0"
wr=$(walreceiver_epoch "pgherd-$CLUSTER-3")
[ -n "$wr" ] && echo "  $CLUSTER-3's walreceiver streamed at +$(secs "$t0" "$wr") s; pgherd status showed it $(secs "$wr" "${t_status[$CLUSTER-3]}") s later"
t_cli0=$(now); cli status "$CLUSTER" -o json >"$work/status-cli.json"; t_cli1=$(now)
echo "  check: \`pgherd status $CLUSTER -o json\` took $(secs "$t_cli0" "$t_cli1") s and reports: $(jq -c '[.phase, (.members[] | .name + "=" + .state)]' "$work/status-cli.json")"
write_pgpass || die "no secrets in $PGHERD_HOME/secrets/$CLUSTER"

# ---------------------------------------------------------------------- 2. add a replica vs raw basebackup
section "2. time to add one replica to a ~$((SCALE * 15)) MB database vs raw pg_basebackup"
primary_port=$(published_port "pgherd-$CLUSTER-1")
wait_caught_up() { # bounded: replicas within 1 MB of the primary's current LSN
  local deadline=$((SECONDS + ${1:-300})) lag
  while :; do
    lag=$(sql 127.0.0.1 "$primary_port" "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::bigint from pg_stat_replication" 2>/dev/null || echo x)
    [[ $lag =~ ^[0-9]+$ ]] && (( lag < 1048576 )) && return 0
    (( SECONDS < deadline )) || { echo "  warning: replicas still $lag bytes behind; going on"; return 0; }
    sleep 1
  done
}
load
note "pgbench -i -s $SCALE through pgherd's read-write port 127.0.0.1:$RW_PORT (client-side data generation)"
t1=$(now)
timeout "$SCALE_TIMEOUT" pgbench -i -s "$SCALE" -q -h 127.0.0.1 -p "$RW_PORT" >"$work/init.log" 2>&1 ||
  { cat "$work/init.log" >&2; die "pgbench -i failed"; }
t2=$(now)
echo "  pgbench -i: $(secs "$t1" "$t2") s ($(grep -m1 '^done in' "$work/init.log" || tail -1 "$work/init.log"))"
wait_caught_up 600
sql 127.0.0.1 "$primary_port" "checkpoint" >/dev/null
db_bytes=$(sql 127.0.0.1 "$primary_port" "select pg_database_size('postgres')")
cluster_bytes=$(sql 127.0.0.1 "$primary_port" "select sum(pg_database_size(oid))::bigint from pg_database")
echo "  database size: pg_database_size('postgres') = $db_bytes bytes ($(div "$db_bytes" 1048576 %.0f) MB); all databases $(div "$cluster_bytes" 1048576 %.0f) MB"

declare -a raw_secs=()
raw_backup() { # N
  local dir="$work/raw-$1" ta tb bytes s
  load
  note "pg_basebackup -h 127.0.0.1 -p $primary_port (the primary's published port, via docker-proxy)"
  note "  -U replicator -D <temp dir> -X stream -c fast --no-password (same flags as the member's clone)"
  ta=$(now)
  timeout "$SCALE_TIMEOUT" pg_basebackup -h 127.0.0.1 -p "$primary_port" -U replicator -D "$dir" \
    -X stream -c fast --no-password || die "pg_basebackup failed"
  tb=$(now)
  bytes=$(du -sb "$dir" | cut -f1)
  raw_bytes=$bytes
  s=$(secs "$ta" "$tb")
  raw_secs+=("$s")
  echo "  RESULT raw pg_basebackup #$1: $s s, $(div "$bytes" 1048576 %.0f) MB copied, $(div "$(div "$bytes" 1048576 %.3f)" "$s" %.1f) MB/s"
  rm -rf "$dir"
}
raw_backup 1

spec 4 >"$work/spec.yaml"
wait_caught_up 120
load
note "spec re-applied with instances: 4 (\`pgherd apply\`, no --wait); timer from just before apply until"
note "the new member is \"streaming\" in the status document (pg_stat_replication as cross-check)."
t0=$(now)
cli apply -f "$work/spec.yaml" | sed 's/^/  /'
t_apply_done=$(now)
wait_members "$t0" "$SCALE_TIMEOUT" 2 "$CLUSTER-4" || die "the new replica did not stream within ${SCALE_TIMEOUT}s"
add_secs=$(secs "$t0" "$t_all_status")
add_db_secs=$(secs "$t0" "$t_all_db")
clone_in_member=$(clone_seconds "pgherd-$CLUSTER-4")
echo "  RESULT apply (3 → 4) → $CLUSTER-4 streaming (pgherd status):   $add_secs s"
echo "         apply → $CLUSTER-4 streaming (pg_stat_replication):     $add_db_secs s"
echo "         apply → phase Healthy at generation 2:               $(secs "$t0" "$t_healthy") s"
echo "         pg_basebackup inside $CLUSTER-4 (its log: start → completed): $clone_in_member s"
echo "  the spec was stored at +$(spec_stored "$t0") s (mtime of \$PGHERD_HOME/clusters/$CLUSTER.yaml); the operator's reconcile log:"
cluster_log_since "$t0"
echo "  the new member (docker logs -t; seconds since apply):"
member_timeline "pgherd-$CLUSTER-4" "$t0"
wr=$(walreceiver_epoch "pgherd-$CLUSTER-4")
[ -n "$wr" ] && echo "  $CLUSTER-4's walreceiver streamed at +$(secs "$t0" "$wr") s; pgherd status showed it $(secs "$wr" "${t_status[$CLUSTER-4]}") s later"
echo "  copy rate inside the member: $(div "$(div "$raw_bytes" 1048576 %.3f)" "$(clone_seconds "pgherd-$CLUSTER-4")" %.1f) MB/s (raw copy size / its pg_basebackup time)"
wait_caught_up 300
for ((i = 2; i <= RAW_RUNS; i++)); do raw_backup "$i"; done
raw_mean=$(printf '%s\n' "${raw_secs[@]}" | awk '{ s += $1 } END { printf "%.1f", s / NR }')
add_ratio=$(div "$add_secs" "$raw_mean")
echo "  RESULT add replica / raw pg_basebackup = $add_secs / $raw_mean (mean of ${raw_secs[*]}) = $add_ratio   (target ≤ 1.2)"
echo "         in-member pg_basebackup / raw = $(div "$clone_in_member" "$raw_mean")"

# ---------------------------------------------------------------------- 3. pgbench TPS by path
section "3. pgbench TPS by network path"
primary_port=$(published_port "pgherd-$CLUSTER-1")
primary_ip=$(cluster_ip "pgherd-$CLUSTER-1")
lb="pgherd-$CLUSTER-lb"
lb_ip=$(cluster_ip "$lb")
cat >"$work/bare.cfg" <<EOF
# a bare HAProxy for comparison: mode tcp, one server, no health check, nothing else
global
    maxconn 4096
defaults
    mode tcp
    timeout connect 3s
    timeout client 30m
    timeout server 30m
listen bare
    bind 127.0.0.1:$BARE_PORT
    server primary 127.0.0.1:$primary_port
listen bare_ip
    bind 127.0.0.1:$BARE_IP_PORT
    server primary $primary_ip:5432
EOF
haproxy -c -q -f "$work/bare.cfg" || die "the bare HAProxy config does not parse"
haproxy -db -f "$work/bare.cfg" >"$work/bare.log" 2>&1 &
bare_pid=$!
deadline=$((SECONDS + 30))
until sql 127.0.0.1 "$BARE_PORT" "select 1" >/dev/null 2>&1 && sql 127.0.0.1 "$BARE_IP_PORT" "select 1" >/dev/null 2>&1; do
  kill -0 "$bare_pid" 2>/dev/null || { cat "$work/bare.log" >&2; die "the host HAProxy exited"; }
  (( SECONDS < deadline )) || die "the host HAProxy does not answer"
  sleep 0.5
done
if [[ " $VARIANTS " == *" bare-docker "* ]]; then
  # The same bare HAProxy, but in a container (pgherd/haproxy:2.6, host network): same network
  # path as "bare", but its CPU comes from Docker's cgroup, like pgherd's load balancer.
  bare_ctr="cluster-bench-bare-haproxy-$$"
  docker rm -f "$bare_ctr" >/dev/null 2>&1 || true
  sed -e "s/^listen bare$/listen bare_docker/" -e "s/127.0.0.1:$BARE_PORT\$/127.0.0.1:$BARE_DOCKER_PORT/" \
    -e '/^listen bare_ip/,$d' "$work/bare.cfg" >"$work/bare-docker.cfg"
  chmod 0644 "$work/bare-docker.cfg"
  docker create --name "$bare_ctr" --network host --label io.pgherd.bench-tool=cluster-bench pgherd/haproxy:2.6 >/dev/null
  docker cp "$work/bare-docker.cfg" "$bare_ctr:/usr/local/etc/haproxy/haproxy.cfg"
  docker start "$bare_ctr" >/dev/null
  deadline=$((SECONDS + 30))
  until sql 127.0.0.1 "$BARE_DOCKER_PORT" "select 1" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { docker logs "$bare_ctr" >&2; die "the containerised bare HAProxy does not answer"; }
    sleep 0.5
  done
  echo "  containerised bare HAProxy: $bare_ctr (host network, listen 127.0.0.1:$BARE_DOCKER_PORT → 127.0.0.1:$primary_port)"
fi
echo "  CPU cgroups: host processes (pgbench, docker-proxy, host HAProxy, operator) in $(awk -F: '$2 == "cpu" || $2 ~ /(^|,)cpu(,|$)/ { print $3; exit }' /proc/self/cgroup);"
echo "    containers in $(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3; exit }' "/proc/$(docker inspect -f '{{.State.Pid}}' "pgherd-$CLUSTER-1")/cgroup" | sed 's|/[0-9a-f]\{64\}$|/<id>|') (cpu.shares of each container: $(docker inspect -f '{{.HostConfig.CpuShares}}' "pgherd-$CLUSTER-1" | sed 's/^0$/default 1024/'))"
echo "  host HAProxy: pid $bare_pid, $(haproxy -v | head -1 | cut -d' ' -f3), config:"
grep -v '^#' "$work/bare.cfg" | sed 's/^/    /'
echo "  pgherd's HAProxy: container $lb, $(docker exec "$lb" haproxy -v | head -1 | cut -d' ' -f3), IP $lb_ip; rw listener:"
docker exec "$lb" sed -n '/^listen rw/,/^$/p' /usr/local/etc/haproxy/haproxy.cfg | sed 's/^/    /'
echo "  primary: pgherd-$CLUSTER-1, published 127.0.0.1:$primary_port, IP $primary_ip"

vhost='' vport='' vpath=''
set_variant() {
  case $1 in
    pgherd | pgherd-nochecks) vhost=127.0.0.1 vport=$RW_PORT
      vpath="127.0.0.1:$RW_PORT → docker-proxy → HAProxy container (pgherd config) → primary" ;;
    direct | direct-nochecks) vhost=127.0.0.1 vport=$primary_port
      vpath="127.0.0.1:$primary_port → docker-proxy → primary" ;;
    bare) vhost=127.0.0.1 vport=$BARE_PORT
      vpath="127.0.0.1:$BARE_PORT → host HAProxy (bare) → docker-proxy (127.0.0.1:$primary_port) → primary" ;;
    lb-ip) vhost=$lb_ip vport=5432
      vpath="$lb_ip:5432 → HAProxy container (pgherd config) → primary; no docker-proxy" ;;
    primary-ip) vhost=$primary_ip vport=5432
      vpath="$primary_ip:5432 → primary over the Docker bridge; no proxy at all" ;;
    bare-docker) vhost=127.0.0.1 vport=$BARE_DOCKER_PORT
      vpath="127.0.0.1:$BARE_DOCKER_PORT → bare HAProxy in a container (host network; Docker's cgroup) → docker-proxy → primary" ;;
    bare-ip) vhost=127.0.0.1 vport=$BARE_IP_PORT
      vpath="127.0.0.1:$BARE_IP_PORT → host HAProxy (bare) → $primary_ip:5432; no docker-proxy" ;;
  esac
  [[ $1 == *-nochecks ]] && vpath+="; pgherd's health checks disabled"
  return 0
}
for v in $VARIANTS; do set_variant "$v"; printf '  %-16s %s\n' "$v" "$vpath"; done

# pgherd's HAProxy health checks on/off through its admin socket (runtime only; the operator
# neither sees nor undoes it, and nothing is reloaded).
lb_health() { # enable|disable
  local cmds
  cmds=$(docker exec "$lb" sh -c 'echo "show servers state" | socat -t 2 stdio /run/haproxy/admin.sock' |
    awk -v op="$1" 'NR > 2 && $2 ~ /^[a-z0-9-]+$/ && $4 ~ /^[a-z0-9-]+$/ { printf "%s health %s/%s; ", op, $2, $4 }')
  [ -n "$cmds" ] || { echo "  warning: no servers found in $lb"; return 0; }
  docker exec "$lb" sh -c "echo '$cmds' | socat -t 2 stdio /run/haproxy/admin.sock" >/dev/null
  [ "$1" = disable ] && checks_off=1 || checks_off=0
}
check_states() {
  docker exec "$lb" sh -c 'echo "show stat" | socat -t 2 stdio /run/haproxy/admin.sock' |
    awk -F, '$1 !~ /^#/ && $2 != "FRONTEND" && $2 != "BACKEND" && NF > 36 { printf "%s/%s=%s ", $1, $2, $18 }'
}

# CPU accounting: nanoseconds of CPU used so far by each component.
ticks_ns=$((1000000000 / $(getconf CLK_TCK)))
proc_ns() { # PID... (utime + stime of each whole process, threads included)
  local pid f total=0
  local -a fs
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    f=$(<"/proc/$pid/stat"); f=${f##*) }
    read -r -a fs <<<"$f"
    total=$((total + (fs[11] + fs[12]) * ticks_ns))
  done
  echo "$total"
}
container_ns() { # CONTAINER... (cgroup CPU usage)
  local c id total=0 u
  for c in "$@"; do
    id=$(docker inspect -f '{{.Id}}' "$c" 2>/dev/null) || continue
    if [ -r "/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage" ]; then
      u=$(<"/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage")
    elif [ -r "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat" ]; then
      u=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat")
    else
      u=0
    fi
    total=$((total + u))
  done
  echo "$total"
}
machine_ns() { awk -v t="$ticks_ns" '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8 + $9) * t; exit }' /proc/stat; }
replicas=$(docker ps --filter "label=io.pgherd.cluster=$CLUSTER" --filter "label=io.pgherd.component=member" --format '{{.Names}}' | grep -vx "pgherd-$CLUSTER-1" | tr '\n' ' ')
proxy_lb_pids=$(pgrep -f -- "docker-proxy .*-host-port $RW_PORT( |\$)" | tr '\n' ' ' || true)
proxy_pri_pids=$(pgrep -f -- "docker-proxy .*-host-port $primary_port( |\$)" | tr '\n' ' ' || true)
echo "  CPU accounting: docker-proxy pids for :$RW_PORT [${proxy_lb_pids% }] and :$primary_port [${proxy_pri_pids% }],"
echo "    cgroups of pgherd-$CLUSTER-1, $lb and the replicas ($replicas), bare HAProxy (pid $bare_pid${bare_ctr:+ + container $bare_ctr}), operator pid $op_pid,"
echo "    pgbench (user+sys from /usr/bin/time); 'rest' = machine busy time (/proc/stat) minus all of these:"
echo "    other work on the machine plus kernel time not charged to any of them (e.g. softirq network processing)"
cpu_snapshot() { # → "pgbench-less" vector: proxy_lb proxy_pri lb bare primary replicas operator machine
  echo "$(proc_ns $proxy_lb_pids) $(proc_ns $proxy_pri_pids) $(container_ns "$lb") $(( $(proc_ns "$bare_pid") + $( [ -n "$bare_ctr" ] && container_ns "$bare_ctr" || echo 0) )) \
$(container_ns "pgherd-$CLUSTER-1") $(container_ns $replicas) $(proc_ns "$op_pid") $(machine_ns)"
}

# CPU used by everything else on the machine between two snapshots, in cores (EXTRA_NS: CPU of
# our processes that the snapshot does not see, i.e. pgbench).
others_cores() { # "SNAP0" "SNAP1" WALL_SECONDS [EXTRA_NS]
  awk -v a="$1" -v b="$2" -v w="$3" -v e="${4:-0}" 'BEGIN {
    split(a, x, " "); split(b, y, " "); ours = e;
    for (i = 1; i <= 7; i++) ours += y[i] - x[i];
    o = (y[8] - x[8] - ours) / 1e9 / w; if (o < 0) o = 0; printf "%.2f", o }'
}
# Before a measurement: wait (bounded) until other work on the machine is below QUIET_CORES.
quiet_wait() {
  local start=$SECONDS s0 s1 ta tb o
  while :; do
    s0=$(cpu_snapshot); ta=$(now); sleep 3; s1=$(cpu_snapshot); tb=$(now)
    o=$(others_cores "$s0" "$s1" "$(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }')")
    if awk -v o="$o" -v t="$QUIET_CORES" 'BEGIN { exit !(o < t) }'; then
      echo "  other work on the machine: $o cores (below $QUIET_CORES after $((SECONDS - start)) s)"
      return 0
    fi
    if (( SECONDS - start >= QUIET_WAIT )); then
      echo "  other work on the machine: $o cores (still ≥ $QUIET_CORES after $((SECONDS - start)) s; measuring anyway)"
      return 0
    fi
  done
}

# Idle cost of the health checks (and of the operator's probes), and of the whole cluster.
checks_line() { # what pgherd's HAProxy checks, and how often
  local n inter
  n=$(docker exec "$lb" grep -c ' check port ' /usr/local/etc/haproxy/haproxy.cfg || echo '?')
  inter=$(docker exec "$lb" grep -m1 '^ *default-server' /usr/local/etc/haproxy/haproxy.cfg |
    grep -o ' inter [^ ]*\| fastinter [^ ]*\| downinter [^ ]*' | tr '\n' ',' | sed 's/^ //; s/, /, /g; s/,$//')
  echo "$n checked server lines in $lb (default-server $inter)"
}
n_members=$(docker ps --filter "label=io.pgherd.cluster=$CLUSTER" --filter "label=io.pgherd.component=member" -q | wc -l)
if [ "$IDLE_WINDOW" -gt 0 ]; then
  echo
  echo "  idle cost, no client load, ${IDLE_WINDOW}s each (CPU ms per second of wall time; new sessions/s on the primary):"
  note "CPU from the containers' cgroups (primary, replicas, LB) and /proc/PID/stat (operator); checks"
  note "switched on/off at the LB's admin socket 2 s before each window; $(checks_line)"
  sessions() { sql 127.0.0.1 "$primary_port" "select sum(sessions) from pg_stat_database"; }
  for state in enable disable; do
    lb_health "$state"
    sleep 2
    s0=$(sessions); read -r -a c0 <<<"$(cpu_snapshot)"; ta=$(now)
    sleep "$IDLE_WINDOW"
    s1=$(sessions); read -r -a c1 <<<"$(cpu_snapshot)"; tb=$(now)
    w=$(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }')
    ms() { awk -v a="$1" -v b="$2" -v w="$w" 'BEGIN { printf "%.1f", (b - a) / 1e6 / w }'; }
    printf '    checks %-8s primary %5s  replicas %5s  LB %5s  operator %5s  machine %6s ms/s; sessions %s/s; other work %s cores\n' \
      "${state}d:" "$(ms "${c0[4]}" "${c1[4]}")" "$(ms "${c0[5]}" "${c1[5]}")" "$(ms "${c0[2]}" "${c1[2]}")" \
      "$(ms "${c0[6]}" "${c1[6]}")" "$(ms "${c0[7]}" "${c1[7]}")" \
      "$(awk -v a="$s0" -v b="$s1" -v w="$w" 'BEGIN { printf "%.1f", (b - a - 1) / w }')" \
      "$(others_cores "${c0[*]}" "${c1[*]}" "$w")"
    if [ "$state" = enable ]; then
      # the whole cluster as it runs normally (checks on): every member's and the LB's cgroup
      # plus the operator process (docker-proxy is not counted: it forwards client traffic only)
      idle_cluster=$(awk -v w="$w" -v a="${c0[*]}" -v b="${c1[*]}" 'BEGIN {
        split(a, x, " "); split(b, y, " ");
        printf "%.3f", ((y[3] - x[3]) + (y[5] - x[5]) + (y[6] - x[6]) + (y[7] - x[7])) / 1e9 / w }')
      idle_cluster_w=$(printf '%.1f' "$w")
    fi
  done
  lb_health enable
  echo "  RESULT idle cost of the whole cluster ($n_members members + LB containers + the operator process, checks on):"
  echo "         $idle_cluster cores over ${idle_cluster_w} s   (target ≤ 0.03 cores)"
fi

# The agent's health check itself: HEALTH_COUNT sequential GET /primary from the host to the
# primary's agent, each on a new TCP connection as HAProxy's check makes it, timed inside one
# Python process (bench/health-latency.py: no process start per request), with HAProxy's checks
# off meanwhile so that only these requests reach the agent.
if [ "$HEALTH_COUNT" -gt 0 ]; then
  echo
  echo "  one health check (the agent in pgherd-$CLUSTER-1 answering GET /primary on $primary_ip:$HEALTH_PORT):"
  note "python3 bench/health-latency.py $primary_ip $HEALTH_PORT /primary --count $HEALTH_COUNT (back to back, new"
  note "connection each; connect → whole answer); HAProxy's checks disabled meanwhile; CPU = the primary's"
  note "cgroup over the requests, and net of its own idle rate (no checks, no requests) over the 5 s before"
  lb_health disable
  sleep 1
  c="pgherd-$CLUSTER-1"
  ca=$(container_ns "$c"); ta=$(now); sleep 5; cb=$(container_ns "$c"); tb=$(now)
  base_ms=$(awk -v a="$ca" -v b="$cb" -v t0="$ta" -v t1="$tb" 'BEGIN { printf "%.3f", (b - a) / 1e6 / (t1 - t0) }')
  ca=$(container_ns "$c"); ta=$(now)
  hl=$(timeout $((HEALTH_COUNT * 2 + 30)) python3 "$repo/bench/health-latency.py" "$primary_ip" "$HEALTH_PORT" /primary \
    --count "$HEALTH_COUNT" --timeout 1) || hl="health-latency.py failed (status $?)"
  cb=$(container_ns "$c"); tb=$(now)
  lb_health enable
  health_seq="p50 $(hv p50 "$hl") ms, p90 $(hv p90 "$hl") ms, p99 $(hv p99 "$hl") ms, max $(hv max "$hl") ms"
  cpu_gross=$(awk -v a="$ca" -v b="$cb" -v n="$(hv n "$hl")" 'BEGIN { if (n > 0) printf "%.3f", (b - a) / 1e6 / n; else print "n/a" }')
  cpu_net=$(awk -v a="$ca" -v b="$cb" -v n="$(hv n "$hl")" -v r="$base_ms" -v t0="$ta" -v t1="$tb" \
    'BEGIN { if (n > 0) printf "%.3f", ((b - a) / 1e6 - r * (t1 - t0)) / n; else print "n/a" }')
  echo "    $hl"
  echo "  RESULT one health check (GET /primary, $(hv n "$hl") sequential, $(hv non200 "$hl") non-200, $(hv errors "$hl") without answer): $health_seq"
  echo "         the primary container's CPU per check: $cpu_gross ms; net of its idle rate ($base_ms ms/s): $cpu_net ms"
  echo "         HAProxy: $(checks_line)"
  echo "    (check state now: $(check_states))"
fi

results="$work/results.tsv"
: >"$results"
prepare() { # MODE: the same starting point for every variant
  wait_caught_up 300
  if [ "$1" = tpcb ]; then
    if [ "$REINIT" = 1 ]; then
      timeout "$SCALE_TIMEOUT" pgbench -i -s "$SCALE" -q -h 127.0.0.1 -p "$primary_port" >"$work/reinit.log" 2>&1 ||
        { cat "$work/reinit.log" >&2; die "pgbench -i failed"; }
      wait_caught_up 600
    else
      sql 127.0.0.1 "$primary_port" "vacuum pgbench_branches, pgbench_tellers" >/dev/null
      sql 127.0.0.1 "$primary_port" "truncate pgbench_history" >/dev/null
    fi
  fi
  sql 127.0.0.1 "$primary_port" "checkpoint" >/dev/null
  wait_caught_up 120
}
run_one() { # VARIANT MODE ROUND
  local v=$1 mode=$2 round=$3 opts out rc=0 tps lat tx failed conn down ta tb
  set_variant "$v"
  case $mode in
    select) opts=(-S -n) ;;
    tpcb) opts=(-n) ;;
    connect) opts=(-S -n -C) ;;
  esac
  prepare "$mode"
  [[ $v == *-nochecks ]] && lb_health disable
  out="$work/pgbench-$v-$mode-$round.log"
  printf '\n  [%s / %s / round %s] %s\n' "$v" "$mode" "$round" "$vpath"
  [ "$QUIET_WAIT" -gt 0 ] && quiet_wait
  load
  note "pgbench ${opts[*]} -c $CLIENTS -j $THREADS -T $DURATION -h $vhost -p $vport postgres"
  read -r -a c0 <<<"$(cpu_snapshot)"; ta=$(now)
  /usr/bin/time -f '%U %S' -o "$work/time.out" timeout $((DURATION + 120)) \
    pgbench "${opts[@]}" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -h "$vhost" -p "$vport" postgres >"$out" 2>&1 || rc=$?
  read -r -a c1 <<<"$(cpu_snapshot)"; tb=$(now)
  [ "$checks_off" = 1 ] && lb_health enable
  down=$(docker logs --since "$ta" "$lb" 2>&1 | grep -F 'is DOWN' | grep -v WARNING || true)
  tps=$(awk '/^tps = / { print $3; exit }' "$out"); tps=${tps:-NA}
  lat=$(awk '/^latency average = / { print $4; exit }' "$out"); lat=${lat:-NA}
  tx=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' "$out" | cut -d/ -f1); tx=${tx:-0}
  failed=$(awk -F': ' '/^number of failed transactions/ { print $2; exit }' "$out" | cut -d' ' -f1); failed=${failed:-?}
  conn=$(awk '/^initial connection time = / { print $5; exit }' "$out"); conn=${conn:-NA}
  if [ "$rc" != 0 ] || [ "$tps" = NA ]; then
    echo "  pgbench exited with status $rc:"; tail -5 "$out" | sed 's/^/    /'
  fi
  local pg_ns
  pg_ns=$(tail -1 "$work/time.out" 2>/dev/null | awk '{ printf "%.0f", ($1 + $2) * 1e9 }')
  local cpu others wall
  wall=$(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }')
  others=$(others_cores "${c0[*]}" "${c1[*]}" "$wall" "${pg_ns:-0}")
  cpu=$(awk -v tx="$tx" -v pg="$pg_ns" -v a="${c0[*]}" -v b="${c1[*]}" 'BEGIN {
      n = split(a, x, " "); split(b, y, " ");
      for (i = 1; i <= n; i++) d[i] = y[i] - x[i];
      ours = pg; for (i = 1; i <= 7; i++) ours += d[i];
      if (tx == 0) { print "n/a"; exit }
      f = 1e3 * tx;  # ns → µs per transaction
      printf "pgbench %.0f, docker-proxy %.0f, LB %.0f, bare-HAProxy %.0f, primary %.0f, replicas %.0f, operator %.0f, rest %.0f, total %.0f",
        pg / f, (d[1] + d[2]) / f, d[3] / f, d[4] / f, d[5] / f, d[6] / f, d[7] / f, (d[8] - ours) / f, d[8] / f }')
  local ndown=0
  [ -n "$down" ] && ndown=$(wc -l <<<"$down")
  echo "  RESULT tps $tps, latency avg $lat ms, connection time $conn ms, $tx transactions, failed $failed;"
  echo "         other work on the machine during the run: $others cores; HAProxy 'is DOWN' events: $ndown"
  echo "         CPU µs per transaction: $cpu"
  [ -n "$down" ] && head -5 <<<"$down" | cut -c1-200 | sed 's/^/         LB: /'
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$mode" "$round" "$tps" "$lat" "$tx" "$ndown" "$others" "$cpu" >>"$results"
}

# The agent's health check under load: one pgbench select-only run through the read-write port
# (pgherd's path), and meanwhile GET /primary to the primary's agent every 50 ms (new connection
# each), from 1 s after pgbench starts until 1 s before it ends. HAProxy's own checks stay on.
if [ "$HEALTH_UNDER_LOAD" = 1 ]; then
  echo
  echo "  health check latency under load (GET /primary to the agent in pgherd-$CLUSTER-1 while pgbench runs):"
  prepare select
  [ "$QUIET_WAIT" -gt 0 ] && quiet_wait
  load
  hl_secs=$(( DURATION > 3 ? DURATION - 2 : 1 ))
  note "pgbench -S -n -c $CLIENTS -j $THREADS -T $DURATION -h 127.0.0.1 -p $RW_PORT postgres; 1 s after its start:"
  note "python3 bench/health-latency.py $primary_ip $HEALTH_PORT /primary --interval-ms 50 --seconds $hl_secs"
  out="$work/pgbench-health-load.log"
  read -r -a c0 <<<"$(cpu_snapshot)"; ta=$(now)
  /usr/bin/time -f '%U %S' -o "$work/time-health.out" timeout $((DURATION + 120)) \
    pgbench -S -n -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -h 127.0.0.1 -p "$RW_PORT" postgres >"$out" 2>&1 &
  hl_pgbench_pid=$!
  # the same requests seen at the member: tcpdump's kernel timestamps, request in → answer out
  # (the agent's time, scheduling included, without the Python client's own waits for a CPU)
  pcap_pid='' pcap="$work/health-load.pcap"
  if command -v tcpdump >/dev/null; then
    timeout $((DURATION + 30)) tcpdump -i any -nn -s 128 -w "$pcap" "host $primary_ip and tcp port $HEALTH_PORT" \
      >"$work/tcpdump.log" 2>&1 &
    pcap_pid=$!
  fi
  sleep 1
  hl=$(timeout $((hl_secs + 30)) python3 "$repo/bench/health-latency.py" "$primary_ip" "$HEALTH_PORT" /primary \
    --interval-ms 50 --seconds "$hl_secs" --count $((hl_secs * 20 + 20)) --timeout 1) || hl="health-latency.py failed (status $?)"
  if [ -n "$pcap_pid" ]; then
    sleep 0.5; kill -INT "$pcap_pid" 2>/dev/null || true; wait "$pcap_pid" 2>/dev/null || true
  fi
  rc=0; wait "$hl_pgbench_pid" || rc=$?
  hl_pgbench_pid=''
  read -r -a c1 <<<"$(cpu_snapshot)"; tb=$(now)
  tps=$(awk '/^tps = / { print $3; exit }' "$out"); tps=${tps:-NA}
  [ "$rc" = 0 ] && [ "$tps" != NA ] || { echo "  pgbench exited with status $rc:"; tail -5 "$out" | sed 's/^/    /'; }
  pg_ns=$(tail -1 "$work/time-health.out" 2>/dev/null | awk '{ printf "%.0f", ($1 + $2) * 1e9 }')
  others=$(others_cores "${c0[*]}" "${c1[*]}" "$(awk -v a="$ta" -v b="$tb" 'BEGIN { print b - a }')" "${pg_ns:-0}")
  down=$(docker logs --since "$ta" "$lb" 2>&1 | grep -F 'is DOWN' | grep -v WARNING || true)
  ndown=0; [ -n "$down" ] && ndown=$(wc -l <<<"$down")
  echo "    $hl"
  health_load="p50 $(hv p50 "$hl") ms, p99 $(hv p99 "$hl") ms, max $(hv max "$hl") ms, non-200 $(hv non200 "$hl") (+ $(hv errors "$hl") without answer) of $(hv n "$hl")"
  echo "  RESULT health check under load: $health_load   (target p99 ≤ 5 ms)"
  if [ -n "$pcap_pid" ] && [ -s "$pcap" ]; then
    echo "         the same at the member (tcpdump, request in → answer out; $lb_ip is HAProxy's own checks):"
    python3 "$repo/bench/pcap-latency.py" "$pcap" "$primary_ip" "$HEALTH_PORT" 2>&1 | sed 's/^/           /'
  fi
  echo "         pgbench meanwhile: tps $tps; other work on the machine: $others cores (health-latency.py's own CPU counts there);"
  echo "         HAProxy 'is DOWN' events: $ndown"
  [ -n "$down" ] && head -5 <<<"$down" | cut -c1-200 | sed 's/^/         LB: /'
fi

for ((round = 1; round <= RUNS; round++)); do
  order=$VARIANTS
  (( round % 2 == 0 )) && order=$(tr ' ' '\n' <<<"$VARIANTS" | grep -v '^$' | tac | tr '\n' ' ')
  echo
  echo "  ---- round $round of $RUNS (variant order: $order)"
  for mode in $MODES; do
    for v in $order; do run_one "$v" "$mode" "$round"; done
  done
done

# ---------------------------------------------------------------------- summary
section "summary"
mean_tps() { # VARIANT MODE [MAX_OTHER_CORES]
  awk -F'\t' -v v="$1" -v m="$2" -v c="${3:-1e9}" '$1 == v && $2 == m && $4 != "NA" && $8 + 0 <= c + 0 { s += $4; n++ }
    END { if (n) printf "%.1f", s / n; else print "" }' "$results"
}
runs_tps() { awk -F'\t' -v v="$1" -v m="$2" '$1 == v && $2 == m { printf "%s%.1f (others %s)", sep, $4, $8; sep = ", " }' "$results"; }
echo "  machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), Docker $(docker version --format '{{.Server.Version}}'); $(uptime | sed 's/^ *//')"
echo "  1. apply → all 3 members streaming: ${create_secs} s (pg_stat_replication: ${create_db_secs} s; Healthy: ${create_healthy_secs} s)"
echo "  2. database $(div "$db_bytes" 1048576 %.0f) MB (pg_database_size); add replica (3 → 4) ${add_secs} s; raw pg_basebackup ${raw_secs[*]} s (mean $raw_mean);"
echo "     ratio pgherd/raw = $add_ratio (target ≤ 1.2); pg_basebackup inside the new member took $clone_in_member s"
[ -n "$idle_cluster" ] && echo "  health checks: idle cost of the whole cluster $idle_cluster cores (target ≤ 0.03 cores)"
[ -n "$health_seq" ] && echo "                 one GET /primary to the agent, $HEALTH_COUNT sequential: $health_seq"
[ -n "$health_load" ] && echo "                 under pgbench -S load, every 50 ms: $health_load (target p99 ≤ 5 ms)"
echo "  3. pgbench -c $CLIENTS -j $THREADS -T $DURATION: TPS mean of all runs, mean of clean runs (other work"
echo "     ≤ $CLEAN_CORES cores during the run), and each run with the cores other work used meanwhile:"
for mode in $MODES; do
  for v in $VARIANTS; do
    printf '     %-7s %-16s all %8s  clean %8s   runs: %s\n' "$mode" "$v" "$(mean_tps "$v" "$mode")" \
      "$(mean_tps "$v" "$mode" "$CLEAN_CORES")" "$(runs_tps "$v" "$mode")"
  done
done
ratio_line() { # LABEL A B [TARGET]
  local a b ca cb
  a=$(mean_tps "$2" "$mode"); b=$(mean_tps "$3" "$mode")
  ca=$(mean_tps "$2" "$mode" "$CLEAN_CORES"); cb=$(mean_tps "$3" "$mode" "$CLEAN_CORES")
  [ -n "$a" ] && [ -n "$b" ] || return 0
  printf '     %-7s %-50s all %6s  clean %6s%s\n' "$mode" "$1" "$(div "$a" "$b" %.3f)" \
    "$( [ -n "$ca" ] && [ -n "$cb" ] && div "$ca" "$cb" %.3f || echo '-')" "${4:+   ($4)}"
}
echo "  ratios of mean TPS (all runs; clean runs only, '-' when a side has none):"
for mode in $MODES; do
  ratio_line "pgherd / direct" pgherd direct
  ratio_line "bare-haproxy / direct" bare direct
  ratio_line "bare-docker / bare    (HAProxy in Docker's cgroup)" bare-docker bare
  ratio_line "pgherd / bare-docker" pgherd bare-docker
  ratio_line "pgherd / bare-haproxy" pgherd bare "target ≥ 0.95"
  ratio_line "direct / primary-ip   (docker-proxy alone)" direct primary-ip
  ratio_line "bare-ip / primary-ip  (host HAProxy alone)" bare-ip primary-ip
  ratio_line "lb-ip / primary-ip    (pgherd's HAProxy alone)" lb-ip primary-ip
  ratio_line "lb-ip / bare-ip       (pgherd's vs bare HAProxy)" lb-ip bare-ip
  ratio_line "pgherd / lb-ip        (docker-proxy in front)" pgherd lb-ip
  ratio_line "pgherd-nochecks / pgherd" pgherd-nochecks pgherd
  ratio_line "direct-nochecks / direct" direct-nochecks direct
done
echo "  per run (variant, mode, round, tps, latency ms, transactions, LB DOWN events, other work in cores, CPU µs/tx):"
sed 's/^/     /; s/\t/  /g' "$results"
