#!/usr/bin/env bash
# bench/restore-bench.sh — restore of a pgbench database plus its WAL from an S3 server until it
# serves writes: pgherd (spec.bootstrap.recovery into a new cluster) beside pgBackRest 2.45
# (file restore + PostgreSQL's recovery), same machine, same S3 server, same run.
#
#   bench/restore-bench.sh [--scale N] [--pgbench-tx N] [--pgbr-compress zst|lz4|gz] [--pgbr-process-max N]
#                          [--pgherd-runs N] [--keep]
#
# 1. s3proxy (test-scope dependency of this repository, own JVM, filesystem-nio2 store in the
#    temporary directory): S3 over http ($S3_HTTP_PORT, pgherd) and https ($S3_HTTPS_PORT,
#    self-signed, pgBackRest, whose S3 driver speaks TLS only). Random credentials, 0600 files.
# 2. pgherd source: an operator (java -jar of a copy of target/pgherd.jar, its own PGHERD_HOME),
#    cluster rbsrc (1 instance, backup to s3://pgherd over http, zstd), pgbench -i -s N through its
#    read-write port, `pgherd backup rbsrc`, then pgbench -c 2 -t T (default 1000 transactions per
#    client: WAL after the backup, replayed by the restore), wait until status.backups.archiveLagBytes == 0.
# 3. pgBackRest source: a host PostgreSQL 15 (initdb, postgres OS user, archive_command =
#    pgbackrest archive-push to s3://pgbackrest over https), the same pgbench -i -s N, a full
#    backup (compress-type zst by default), the same pgbench -c 2 -t T, pg_switch_wal, wait until
#    archived; the instance is stopped.
# 4. pgBackRest restore (timed): `pgbackrest restore` (type default: to the end of the archive)
#    into an empty directory = files only; then PostgreSQL started on it (archive_mode=off, own
#    port; recovery fetches the WAL with the archive-get restore_command pgBackRest wrote) until
#    the first successful write (recovery + promotion + start), seen by the write probe of step 5.
# 5. pgherd restore (timed): apply rbcopy (1 instance, same store, bootstrap.recovery from rbsrc,
#    latest) → first successful write through rbcopy's read-write port (bench/FirstWrite.java
#    every 0.2 s, as on the pgBackRest side);
#    the split from rbcopy's log (restore-plan, restore-start, restored) and the member's
#    `docker logs --timestamps` (recovery lines, "ready to accept connections"), and where the
#    machine's CPU time went meanwhile (bench/cpu-account.py: per container, the operator, s3proxy,
#    the Docker daemons). --pgherd-runs N: N restores (deleted with --purge in between); the table
#    gives the median, each run's split is printed.
# Printed numbers only (no assertions); not run by CI. Results: docs/benchmarks.md.
#
# Settings (environment): PG_PORT=55452 (host instance), PGR_PORT=55453 (its restored copy),
# S3_HTTP_PORT=58180, S3_HTTPS_PORT=58543, SRC_RW=56432 SRC_RO=56433, COPY_RW=56442 COPY_RO=56443,
# MAX_RUNTIME seconds (default 900 + 20 × scale), STEP_TIMEOUT seconds (120 + 10 × scale).
# Runs as root (the host instance and pgBackRest run as the postgres OS user through runuser).
# Cleanup on exit: the probes, restored and host PostgreSQL, rbcopy and rbsrc (delete --purge),
# the operator and s3proxy stop; the temporary directory is removed (kept with --keep).
set -euo pipefail
# shellcheck source=bench/lib-s3proxy.sh
. "$(dirname "$0")/lib-s3proxy.sh"

SCALE=70
PGBENCH_TX=1000
PGBR_COMPRESS=zst
PGBR_PROCESS_MAX=1
PGHERD_RUNS=1
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --pgbench-tx) PGBENCH_TX=$2; shift 2 ;;
    --pgbr-compress) PGBR_COMPRESS=$2; shift 2 ;;
    --pgbr-process-max) PGBR_PROCESS_MAX=$2; shift 2 ;;
    --pgherd-runs) PGHERD_RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--scale N] [--pgbench-tx N] [--pgbr-compress zst|lz4|gz] [--pgbr-process-max N] [--pgherd-runs N] [--keep]" >&2; exit 64 ;;
  esac
done
for v in "$SCALE" "$PGBENCH_TX" "$PGBR_PROCESS_MAX" "$PGHERD_RUNS"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "numbers must be positive integers: $v" >&2; exit 64; }
done
case "$PGBR_COMPRESS" in zst|lz4|gz) ;; *) echo "--pgbr-compress: zst, lz4 or gz" >&2; exit 64 ;; esac

REPO=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55452}
PGR_PORT=${PGR_PORT:-55453}
S3_HTTP_PORT=${S3_HTTP_PORT:-58180}
S3_HTTPS_PORT=${S3_HTTPS_PORT:-58543}
SRC_RW=${SRC_RW:-56432} SRC_RO=${SRC_RO:-56433}
COPY_RW=${COPY_RW:-56442} COPY_RO=${COPY_RO:-56443}
SRC=rbsrc COPY=rbcopy
MAX_RUNTIME=${MAX_RUNTIME:-$((900 + 20 * SCALE))}
STEP_TIMEOUT=${STEP_TIMEOUT:-$((120 + 10 * SCALE))}
export PATH=$PGBIN:$PATH

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / 1e6 / s; else printf "-" }'; }
randstr() { head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-"$1"; }
# seconds between two RFC 3339 / ISO timestamps (docker --timestamps, pgherd's log)
tsdiff() { python3 -c 'import sys,datetime as d
def p(s):
    s=s.strip().replace("Z","+00:00")
    if "." in s:
        a,b=s.split(".",1); i=0
        while i<len(b) and b[i].isdigit(): i+=1
        s=a+"."+(b[:i]+"000000")[:6]+b[i:]
    return d.datetime.fromisoformat(s)
print("%.2f" % (p(sys.argv[2])-p(sys.argv[1])).total_seconds())' "$1" "$2" 2>/dev/null || echo '?'; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "run as root (PostgreSQL and pgBackRest are run as the postgres user through runuser)"
id postgres >/dev/null 2>&1 || die "no postgres OS user (apt-get install postgresql-15)"
for b in initdb pg_ctl postgres pgbench psql pg_waldump; do
  [ -x "$PGBIN/$b" ] || die "$PGBIN/$b is missing (apt-get install postgresql-15)"
done
command -v pgbackrest >/dev/null || die "pgbackrest is needed (apt-get install pgbackrest)"
for c in java mvn keytool curl ss docker python3; do command -v "$c" >/dev/null || die "$c is needed"; done
docker info >/dev/null 2>&1 || die "no Docker engine"
docker image inspect pgherd/postgres:15 pgherd/haproxy:2.6 >/dev/null 2>&1 || die "images missing: operator/build-images.sh"
for p in "$PG_PORT" "$PGR_PORT" "$S3_HTTP_PORT" "$S3_HTTPS_PORT" "$SRC_RW" "$SRC_RO" "$COPY_RW" "$COPY_RO"; do
  if ss -Hltn "sport = :$p" | grep -q .; then die "port $p is in use"; fi
done
for n in $SRC $COPY; do
  [ -z "$(docker ps -aq --filter "name=^pgherd-$n-")" ] || die "containers pgherd-$n-* exist already"
done

TMP=$(mktemp -d /var/tmp/pgherd-rbench.XXXXXX)
chmod 711 "$TMP"
PGHOME=$TMP/pg # the postgres user's: data, socket, logs, pgBackRest's files
PGDATA=$PGHOME/data
PGRDATA=$PGHOME/restored
SOCK=$PGHOME/sock
S3DIR=$TMP/s3
export PGHERD_HOME=$TMP/home
APPLIED='' S3PROXY_PID='' OP_PID='' WATCHDOG='' PROBE_PID=''
JAR=$TMP/pgherd.jar
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null || true
  for d in "$PGRDATA" "$PGDATA"; do
    if [ -f "$d/postmaster.pid" ]; then
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m fast -t 30 stop >/dev/null 2>&1 ||
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  if [ -f "$JAR" ]; then
    for n in $APPLIED; do
      timeout 120 java -jar "$JAR" delete "$n" --purge >/dev/null 2>&1 || log "cleanup: delete $n failed"
    done
  fi
  if [ -n "$OP_PID" ]; then kill "$OP_PID" 2>/dev/null || true; wait "$OP_PID" 2>/dev/null || true; fi
  # anything of ours the delete left (only our names)
  for n in $COPY $SRC; do
    ids=$(docker ps -aq --filter "name=^pgherd-$n-" 2>/dev/null || true)
    [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  done
  if [ -n "$S3PROXY_PID" ]; then kill "$S3PROXY_PID" 2>/dev/null || true; wait "$S3PROXY_PID" 2>/dev/null || true; fi
  if [ -n "$WATCHDOG" ]; then kill $(pgrep -P "$WATCHDOG") "$WATCHDOG" 2>/dev/null || true; fi
  if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
( sleep "$MAX_RUNTIME"; log "time limit ${MAX_RUNTIME}s reached"; kill -TERM $$ 2>/dev/null ) &
WATCHDOG=$!
cd "$TMP"

# ---------------------------------------------------------------- build: jar copy and s3proxy class path
log "building target/pgherd.jar if needed and the class path (mvn -o)"
(cd "$REPO" && if [ ! -f target/pgherd.jar ] || [ -n "$(find src/main pom.xml -newer target/pgherd.jar -print -quit)" ]; then
  timeout 600 mvn -o -q -B package -DskipTests -Dmaven.test.skip=true; fi >"$TMP/mvn.log" 2>&1) ||
  { tail -20 "$TMP/mvn.log" >&2; die "mvn package failed"; }
cp "$REPO/target/pgherd.jar" "$JAR"
(cd "$REPO" && timeout 300 mvn -o -q dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$TMP/cp.txt" >>"$TMP/mvn.log" 2>&1) || die "mvn dependency:build-classpath failed"
CP=$(cat "$TMP/cp.txt")
S3PROXY_VERSION=$(tr ':' '\n' <"$TMP/cp.txt" | sed -n 's#.*/s3proxy-\([0-9.]*\)\.jar$#\1#p' | head -1)
[ -n "$S3PROXY_VERSION" ] || die "s3proxy is not on the test class path"
# the first-write probe (bench/FirstWrite.java), compiled here and started before the timed steps:
# both sides are measured with it (one JVM; a psql start per attempt cost ~0.2 core meanwhile)
mkdir -p "$TMP/probe"
javac -nowarn -d "$TMP/probe" -cp "$CP" "$REPO/bench/FirstWrite.java" >>"$TMP/mvn.log" 2>&1 || die "javac FirstWrite.java failed"
coproc PROBE { exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx64m -cp "$TMP/probe:$CP" FirstWrite --interval-ms 200; }
PROBE_PID=$PROBE_PID
PROBE_IN=${PROBE[1]} PROBE_OUT=${PROBE[0]}
# first_write PORT PASSWORD_FILE TIMEOUT [STATUS_FILE]: waits for the probe's first write on
# 127.0.0.1:PORT; prints its client-side epoch nanoseconds. Fails (status 1, reason on stderr) on
# a timeout, or when STATUS_FILE (pgherd's status JSON, read by the probe every 2 s) says the
# restore failed.
first_write() {
  local answer
  printf '%s\n' "$*" >&"$PROBE_IN"
  until IFS= read -r -t 5 -u "$PROBE_OUT" answer; do
    kill -0 "$PROBE_PID" 2>/dev/null || { echo "the write probe exited" >&2; return 1; }
  done
  case $answer in
    ok\ *) answer=${answer#ok }; printf '%s\n' "${answer%% *}" ;;
    *) echo "no write on :$1: $answer" >&2; return 1 ;;
  esac
}
# the CLI as a user runs it (bin/pgherd: its JVM options and class-data-sharing archive), on the copy
PGHERD() { timeout -k 5 "$1" env PGHERD_JAR="$JAR" "$REPO/bin/pgherd" "${@:2}"; }

# ---------------------------------------------------------------- secrets (0600 files only)
umask 077
S3_KEY=$(randstr 20)
S3_SECRET=$(randstr 40)
PG_PW=$(randstr 24)
KS_PW=$(randstr 24)
printf '%s\n' "$PG_PW" >"$TMP/pgr-password" # for the write probe (the host instance's postgres)
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_KEY" "$S3_SECRET" >"$TMP/aws-credentials"
umask 022

# ---------------------------------------------------------------- 1. s3proxy
log "1. s3proxy $S3PROXY_VERSION (filesystem-nio2 in $S3DIR, http :$S3_HTTP_PORT, https :$S3_HTTPS_PORT)"
mkdir -p "$S3DIR/pgherd" "$S3DIR/pgbackrest" # a directory of the basedir is a bucket
s3proxy_start

# ---------------------------------------------------------------- 2. pgherd source cluster
log "2. pgherd operator and source cluster $SRC (backup to s3://pgherd over http)"
mkdir -p "$PGHERD_HOME"
PGHERD_LOG_LEVEL=INFO timeout "$MAX_RUNTIME" java -jar "$JAR" operator >"$TMP/operator.log" 2>&1 &
OP_PID=$!
spec() { # spec NAME RW RO [recovery source]
  cat <<EOF
apiVersion: pgherd.io/v1
kind: PostgresCluster
metadata:
  name: $1
spec:
  instances: 1
  postgres:
    parameters: { shared_buffers: "256MB", max_wal_size: "4GB" }
  loadBalancer: { readWritePort: $2, readOnlyPort: $3 }
  backup:
    compression: zstd
    objectStore:
      s3: { bucket: pgherd, endpoint: "http://127.0.0.1:$S3_HTTP_PORT", region: us-east-1, pathStyle: true,
            credentials: { file: $TMP/aws-credentials } }
EOF
  if [ -n "${4:-}" ]; then
    printf '  bootstrap:\n    recovery:\n      from: { cluster: %s }\n' "$4"
  fi
}
spec $SRC "$SRC_RW" "$SRC_RO" >"$TMP/$SRC.yaml"
spec $COPY "$COPY_RW" "$COPY_RO" $SRC >"$TMP/$COPY.yaml"
APPLIED=$SRC
PGHERD 300 apply -f "$TMP/$SRC.yaml" --wait >"$TMP/apply-src.out" 2>&1 || { cat "$TMP/apply-src.out" >&2; die "apply $SRC failed"; }
status_field() { # status_field NAME EXPR — a Python expression over the status JSON `s`
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); s=s.get('status',s); print($2)" "$PGHERD_HOME/status/$1.json" 2>/dev/null
}
pgpass_for() { # the cluster's superuser password into a libpq password file for its read-write port
  local f=$PGHERD_HOME/secrets/$1/superuser-password
  [ -f "$f" ] || return 1
  # (a cluster applied again has a new password: the port's old line goes)
  ( umask 077; { grep -v "^127\.0\.0\.1:$2:" "$TMP/pgpass" || true; printf '127.0.0.1:%s:*:postgres:%s\n' "$2" "$(cat "$f")"; } >"$TMP/pgpass.new" &&
    mv "$TMP/pgpass.new" "$TMP/pgpass" )
}
: >"$TMP/pgpass"; chmod 600 "$TMP/pgpass"
export PGPASSFILE=$TMP/pgpass
pgpass_for $SRC "$SRC_RW" || die "no superuser password for $SRC"
SRCPSQL() { psql -X -q -v ON_ERROR_STOP=1 --no-password -h 127.0.0.1 -p "$SRC_RW" -U postgres -d postgres "$@"; }
for i in $(seq 1 120); do SRCPSQL -c 'select 1' >/dev/null 2>&1 && break; [ "$i" = 120 ] && die "$SRC does not answer"; sleep 0.5; done
log "   pgbench -i -s $SCALE into $SRC"
t0=$(now_ns)
timeout $((120 + 15 * SCALE)) pgbench -i -q -s "$SCALE" -h 127.0.0.1 -p "$SRC_RW" -U postgres postgres \
  >"$TMP/pgbench-src.log" 2>&1 || { tail -20 "$TMP/pgbench-src.log" >&2; die "pgbench -i ($SRC) failed"; }
SRCPSQL -c checkpoint
SRC_DB=$(SRCPSQL -At -c "select pg_database_size('postgres')")
log "   took $(secs "$t0" "$(now_ns)") s; database postgres: $((SRC_DB / 1000000)) MB"
log "   pgherd backup $SRC"
t0=$(now_ns)
PGHERD "$STEP_TIMEOUT" backup $SRC >"$TMP/backup-src.out" 2>&1 || { cat "$TMP/backup-src.out" >&2; die "pgherd backup failed"; }
SRC_BACKUP_S=$(secs "$t0" "$(now_ns)")
SRC_LSN0=$(SRCPSQL -At -c 'select pg_current_wal_lsn()')
log "   backup took $SRC_BACKUP_S s; pgbench -c 2 -t $PGBENCH_TX (WAL after the backup)"
timeout $((120 + PGBENCH_TX / 5)) pgbench -n -t "$PGBENCH_TX" -c 2 -h 127.0.0.1 -p "$SRC_RW" -U postgres postgres \
  >"$TMP/pgbench-T-src.log" 2>&1 || { tail -5 "$TMP/pgbench-T-src.log" >&2; die "pgbench -t ($SRC) failed"; }
SRC_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench-T-src.log" | head -1)
SRC_WAL_AFTER=$(SRCPSQL -At -c "select pg_current_wal_lsn() - '$SRC_LSN0'::pg_lsn")
SRC_COUNT=$(SRCPSQL -At -c 'select count(*) from pgbench_history')
deadline=$((SECONDS + 120 + SCALE))
t0=$(now_ns)
until [ "$(status_field $SRC "s.get('backups',{}).get('archiveLagBytes')")" = 0 ]; do
  [ $SECONDS -lt $deadline ] || die "$SRC archive lag not 0: $(status_field $SRC "s.get('backups')")"
  sleep 0.5
done
log "   archive caught up in $(secs "$t0" "$(now_ns)") s ($SRC_WAL_AFTER WAL bytes after the backup, $SRC_TPS tps, $SRC_COUNT history rows)"

# ---------------------------------------------------------------- 3. host PostgreSQL + pgBackRest
log "3. host PostgreSQL on 127.0.0.1:$PG_PORT, archive-push and a full pgBackRest backup to s3://pgbackrest over https"
install -d -o postgres -g postgres -m 700 "$PGHOME" "$PGDATA" "$SOCK" "$PGHOME/pgbackrest" "$PGHOME/pgbackrest/log"
install -o postgres -g postgres -m 600 /dev/null "$PGHOME/pgpw"
printf '%s\n' "$PG_PW" >"$PGHOME/pgpw"
timeout 120 runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$PGHOME/pgpw" \
  --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
rm -f "$PGHOME/pgpw"
CONF=$PGHOME/pgbackrest/pgbackrest.conf
install -o postgres -g postgres -m 600 /dev/null "$CONF"
cat >"$CONF" <<EOF
[global]
repo1-type=s3
repo1-path=/bench
repo1-s3-bucket=pgbackrest
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$S3_HTTPS_PORT
repo1-s3-region=us-east-1
repo1-s3-uri-style=path
repo1-s3-key=$S3_KEY
repo1-s3-key-secret=$S3_SECRET
repo1-storage-verify-tls=n
repo1-retention-full=1
compress-type=$PGBR_COMPRESS
process-max=$PGBR_PROCESS_MAX
start-fast=y
lock-path=$PGHOME/pgbackrest/lock
log-path=$PGHOME/pgbackrest/log
spool-path=$PGHOME/pgbackrest/spool
log-level-console=warn
log-level-file=info

[bench]
pg1-path=$PGDATA
pg1-port=$PG_PORT
pg1-socket-path=$SOCK
pg1-user=postgres
EOF
cat >>"$PGDATA/postgresql.conf" <<EOF
# restore-bench
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCK'
wal_level = replica
shared_buffers = 256MB
max_wal_size = 4GB
archive_mode = on
archive_command = 'pgbackrest --config=$CONF --stanza=bench archive-push %p'
EOF
timeout 120 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGHOME/postgres.log" -w -t 60 start >/dev/null ||
  { tail -20 "$PGHOME/postgres.log" >&2; die "PostgreSQL did not start"; }
PSQL() { runuser -u postgres -- "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$1" -d postgres "${@:2}"; }
PGBR() { timeout -k 10 "$1" runuser -u postgres -- pgbackrest --config="$CONF" --stanza=bench "${@:2}"; }
PGBR 120 stanza-create >"$PGHOME/pgbackrest/stanza.out" 2>&1 || { cat "$PGHOME/pgbackrest/stanza.out" >&2; die "stanza-create failed"; }
log "   pgbench -i -s $SCALE (archived by archive-push as it goes)"
t0=$(now_ns)
timeout $((120 + 30 * SCALE)) runuser -u postgres -- "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$SOCK" -p "$PG_PORT" \
  postgres >"$TMP/pgbench-host.log" 2>&1 || { tail -20 "$TMP/pgbench-host.log" >&2; die "pgbench -i failed"; }
PSQL "$PG_PORT" -c checkpoint
HOST_DB=$(PSQL "$PG_PORT" -At -c "select pg_database_size('postgres')")
log "   took $(secs "$t0" "$(now_ns)") s; database postgres: $((HOST_DB / 1000000)) MB; pgBackRest full backup ($PGBR_COMPRESS)"
t0=$(now_ns)
PGBR "$STEP_TIMEOUT" --type=full backup >"$PGHOME/pgbackrest/backup.out" 2>&1 ||
  { cat "$PGHOME/pgbackrest/backup.out" >&2; die "pgbackrest backup failed"; }
PGBR_BACKUP_S=$(secs "$t0" "$(now_ns)")
HOST_LSN0=$(PSQL "$PG_PORT" -At -c 'select pg_current_wal_lsn()')
log "   backup took $PGBR_BACKUP_S s; pgbench -c 2 -t $PGBENCH_TX (WAL after the backup)"
timeout $((120 + PGBENCH_TX / 5)) runuser -u postgres -- "$PGBIN/pgbench" -n -t "$PGBENCH_TX" -c 2 -h "$SOCK" -p "$PG_PORT" postgres \
  >"$TMP/pgbench-T-host.log" 2>&1 || { tail -5 "$TMP/pgbench-T-host.log" >&2; die "pgbench -t (host) failed"; }
HOST_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench-T-host.log" | head -1)
HOST_WAL_AFTER=$(PSQL "$PG_PORT" -At -c "select pg_current_wal_lsn() - '$HOST_LSN0'::pg_lsn")
HOST_COUNT=$(PSQL "$PG_PORT" -At -c 'select count(*) from pgbench_history')
LASTSEG=$(PSQL "$PG_PORT" -At -c 'select pg_walfile_name(pg_switch_wal())')
deadline=$((SECONDS + 120))
until [ "$(PSQL "$PG_PORT" -At -c 'select last_archived_wal from pg_stat_archiver')" \> "$LASTSEG" ] ||
      [ "$(PSQL "$PG_PORT" -At -c 'select last_archived_wal from pg_stat_archiver')" = "$LASTSEG" ]; do
  [ $SECONDS -lt $deadline ] || die "segment $LASTSEG not archived in 120 s"
  sleep 0.5
done
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -t 60 -w stop >/dev/null
log "   archived through $LASTSEG ($HOST_WAL_AFTER WAL bytes after the backup, $HOST_TPS tps, $HOST_COUNT history rows); host instance stopped"
PGBR_INFO=$(PGBR 120 info --output=json)
PGBR_SIZE=$(grep -o '"info":{"delta":[0-9]*,"repository":{"delta":[0-9]*,"size":[0-9]*},"size":[0-9]*}' <<<"$PGBR_INFO" |
  tail -1 | sed 's/.*"size":\([0-9]*\)}$/\1/')

# ---------------------------------------------------------------- 4. pgBackRest restore + recovery
log "4. pgbackrest restore (type default: to the end of the archive) into empty $PGRDATA"
install -d -o postgres -g postgres -m 700 "$PGRDATA"
sync # both timed restores start with no dirty pages of the setup left to write back
t0=$(now_ns)
PGBR "$STEP_TIMEOUT" --pg1-path="$PGRDATA" restore >"$PGHOME/pgbackrest/restore.out" 2>&1 ||
  { cat "$PGHOME/pgbackrest/restore.out" >&2; die "pgbackrest restore failed"; }
t1=$(now_ns)
PGBR_FILES_S=$(secs "$t0" "$t1")
PGBR_OWN=$(sed -n 's/.*INFO: restore command end: completed successfully (\([0-9]*\)ms).*/\1/p' \
  "$PGHOME/pgbackrest/log/bench-restore.log" | tail -1)
RESTORED_BYTES=$(du -sb --exclude=pg_wal "$PGRDATA" | cut -f1)
RESTORE_CMD=$(grep '^restore_command' "$PGRDATA/postgresql.auto.conf" || true)
log "   files: $PGBR_FILES_S s ($RESTORED_BYTES bytes outside pg_wal); $RESTORE_CMD"
log "   PostgreSQL recovery on :$PGR_PORT (archive_mode=off) until the first write"
t0=$(now_ns)
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGRDATA" -l "$PGHOME/restored.log" \
  -o "-c port=$PGR_PORT -c archive_mode=off" start >/dev/null 2>&1 || die "the restored instance did not start"
t1=$(first_write "$PGR_PORT" "$TMP/pgr-password" "$STEP_TIMEOUT") ||
  { tail -20 "$PGHOME/restored.log" >&2; die "the restored instance took no write in ${STEP_TIMEOUT}s"; }
PGBR_RECOVERY_S=$(secs "$t0" "$t1")
PGBR_REDO=$(sed -n 's/.*redo done at .* elapsed: \([0-9.]*\) s.*/\1/p' "$PGHOME/restored.log" | tail -1)
PGBR_COUNT=$(PSQL "$PGR_PORT" -At -c 'select count(*) from pgbench_history')
PGBR_TOTAL=$(awk -v a="$PGBR_FILES_S" -v b="$PGBR_RECOVERY_S" 'BEGIN { printf "%.2f", a + b }')
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGRDATA" -m fast -t 60 -w stop >/dev/null
log "   recovery until the first write: $PGBR_RECOVERY_S s (redo ${PGBR_REDO:-?} s); $PGBR_COUNT of $HOST_COUNT history rows"

# ---------------------------------------------------------------- 5. pgherd restore
COPYPSQL() { psql -X -q -v ON_ERROR_STOP=1 --no-password -h 127.0.0.1 -p "$COPY_RW" -U postgres -d "dbname=postgres connect_timeout=2" "$@"; }
CPU_LABELS=("operator=$(pgrep -P "$OP_PID" java | head -1)" "s3proxy=$(pgrep -P "$S3PROXY_PID" java | head -1)" "restore-bench.sh=$$" "write-probe=$PROBE_PID")
# pgherd_restore RUN: one timed restore into $COPY; its split goes to $TMP/split-RUN.txt, its total
# to PGHERD_TOTALS; the cluster is deleted (--purge) afterwards unless it is the last run
pgherd_restore() {
  local run=$1
  log "5.$run pgherd restore: apply $COPY (bootstrap.recovery from $SRC, latest) until the first write on :$COPY_RW"
  sync
  python3 "$REPO/bench/cpu-account.py" snap "$TMP/cpu-$run-a.json" "${CPU_LABELS[@]}"
  local t0 t_applied t1 T0_ISO TA_ISO T1_ISO
  t0=$(now_ns)
  T0_ISO=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  APPLIED="$COPY $SRC"
  PGHERD 120 apply -f "$TMP/$COPY.yaml" >"$TMP/apply-copy.out" 2>&1 || { cat "$TMP/apply-copy.out" >&2; die "apply $COPY failed"; }
  t_applied=$(now_ns)
  TA_ISO=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  # the same probe as the pgBackRest side's (FirstWrite, every 0.2 s; the cluster's password file
  # is read at each attempt: the apply makes it); it reads the status every 2 s meanwhile (a
  # python3 start here costs ~0.35 s of CPU: 0.17 core when the bench did that)
  if ! t1=$(first_write "$COPY_RW" "$PGHERD_HOME/secrets/$COPY/superuser-password" "$STEP_TIMEOUT" "$PGHERD_HOME/status/$COPY.json"); then
    PGHERD 30 status $COPY >&2 || true
    die "$COPY took no write within ${STEP_TIMEOUT}s"
  fi
  pgpass_for $COPY "$COPY_RW" || die "no superuser password for $COPY"
  T1_ISO=$(date -u -d "@${t1:0:${#t1}-9}.${t1:${#t1}-9}" +%Y-%m-%dT%H:%M:%S.%NZ)
  python3 "$REPO/bench/cpu-account.py" snap "$TMP/cpu-$run-b.json" "${CPU_LABELS[@]}"
  PGHERD_TOTAL=$(secs "$t0" "$t1")
  PGHERD_TOTALS+=("$PGHERD_TOTAL")
  PGHERD_APPLY_S=$(secs "$t0" "$t_applied")
  COPY_COUNT=$(COPYPSQL -At -c 'select count(*) from pgbench_history')
  log "   first write after $PGHERD_TOTAL s; $COPY_COUNT of $SRC_COUNT history rows"
  PGHERD 30 status $COPY -o json >"$TMP/status-copy.json" 2>/dev/null || true
  local CLOG=$PGHERD_HOME/logs/$COPY.log
  docker logs --timestamps pgherd-$COPY-1 >"$TMP/member-$run.log" 2>&1 || true
  cp "$TMP/member-$run.log" "$TMP/member.log"
  # timestamps: the cluster log's lines start with an ISO time (else: the file is printed below);
  # the cluster log outlives a delete: only this run's lines (after T0) count
  awk -v t="${T0_ISO:0:23}" 'substr($1, 1, 23) >= t' "$CLOG" >"$TMP/clog-$run.log"
  CLOG=$TMP/clog-$run.log
  [ -s "$CLOG" ] || CLOG=$PGHERD_HOME/logs/$COPY.log
  ts_of() { grep -m1 -- "$1" "$2" | grep -oE '^[^ ]*[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9:]+)?' | head -1; }
  local T_CREATE T_RESTORE T_PLAN T_STAGED T_STARTED T_RESTORED T_LB T_RECOVER T_RECOVERED T_PGSTART T_ARCHREC T_REDODONE T_ACCEPT
  T_CREATE=$(ts_of create-cluster: "$CLOG" || true)
  T_RESTORE=$(ts_of ' restore: ' "$CLOG" || true)
  T_PLAN=$(ts_of restore-plan: "$CLOG" || true)
  T_STAGED=$(ts_of restore-staged: "$CLOG" || true)
  T_STARTED=$(ts_of restore-start: "$CLOG" || true)
  T_RESTORED=$(ts_of ' restored: ' "$CLOG" || true)
  T_LB=$(ts_of create-lb: "$CLOG" || true)
  T_ENTRY=$(ts_of 'pgherd-entrypoint: member' "$TMP/member.log" || true)
  T_RECOVER=$(ts_of 'restore: recovering /' "$TMP/member.log" || true)
  T_RECOVERED=$(ts_of 'restore: recovered, promoted' "$TMP/member.log" || true)
  T_PGSTART=$(ts_of 'LOG:  starting PostgreSQL' "$TMP/member.log" || true)
  T_ARCHREC=$(ts_of 'LOG:  starting archive recovery' "$TMP/member.log" || true)
  T_REDODONE=$(ts_of 'LOG:  redo done' "$TMP/member.log" || true)
  T_ACCEPT=$(ts_of 'ready to accept connections' "$TMP/member.log" || true)
  PLAN_LINE=$(grep -m1 restore-plan "$CLOG" || true)
  local REDO_LINE PGHERD_REDO
  REDO_LINE=$(grep -m1 'redo done' "$TMP/member.log" || true)
  PGHERD_REDO=$(sed -n 's/.*redo done at .* elapsed: \([0-9.]*\) s.*/\1/p' <<<"$REDO_LINE")
  split() { [ -n "$1" ] && [ -n "$2" ] && tsdiff "$1" "$2" || echo '?'; }
  S_PLAN=$(split "$T_RESTORE" "$T_PLAN")
  S_STAGE=$(split "$T_PLAN" "$T_STAGED")
  S_RECOVERY=$(split "$T_RECOVER" "$T_RECOVERED")
  STAGE_MB=$(sed -n 's/.*restore-plan: backup [^ ]* (ended [^,]*, \([0-9]*\) MB).*/\1/p' <<<"$PLAN_LINE")
  {
    echo "pgherd run $run: $PGHERD_TOTAL s; split (from the apply's start; cluster log $COPY.log and docker logs --timestamps pgherd-$COPY-1):"
    printf '  %-84s %7s s\n' \
      "apply command (bin/pgherd: its JVM start, spec stored)" "$PGHERD_APPLY_S" \
      "applied -> create-cluster (the operator's next reconcile)" "$(split "$TA_ISO" "$T_CREATE")" \
      "create-cluster -> restore begins (network)" "$(split "$T_CREATE" "$T_RESTORE")" \
      "restore begins -> restore-plan (list backups, download the WAL, pg_waldump)" "$S_PLAN" \
      "restore begins -> the member's entrypoint runs (container created and started meanwhile)" "$(split "$T_RESTORE" "$T_ENTRY")" \
      "restore-plan -> restore-staged (stream ${STAGE_MB:-?} MiB base backup, unpacked as it arrives; WAL in beside it)" "$S_STAGE" \
      "restore-staged -> restore-start (READY written)" "$(split "$T_STAGED" "$T_STARTED")" \
      "restore-start -> the entrypoint starts the member's postmaster" "$(split "$T_STARTED" "$T_RECOVER")" \
      "recovery by the member's postmaster (fsync of the data directory, replay, promote, passwords, checkpoint)" "$S_RECOVERY" \
      "    of which: postmaster start -> starting archive recovery (the data directory's fsync)" "$(split "$T_PGSTART" "$T_ARCHREC")" \
      "    of which: redo (PostgreSQL's own figure)" "${PGHERD_REDO:-?}" \
      "    of which: redo done -> ready to accept connections (end-of-recovery checkpoint)" "$(split "$T_REDODONE" "$T_ACCEPT")" \
      "recovered -> operator sees it restored (its pg_hba.conf opened)" "$(split "$T_RECOVERED" "$T_RESTORED")" \
      "restored -> first write through the load balancer" "$(split "$T_RESTORED" "$T1_ISO")"
    echo "  (the load balancer was created $(split "$TA_ISO" "$T_LB") s after the apply's start, during the restore)"
    echo "  staging rate: $(awk -v m="${STAGE_MB:-0}" -v s="$S_STAGE" 'BEGIN { if (s > 0) printf "%.1f", m * 1048576 / 1e6 / s; else printf "?" }') MB/s"
    python3 "$REPO/bench/cpu-account.py" diff "$TMP/cpu-$run-a.json" "$TMP/cpu-$run-b.json" || true
    if [ "$S_PLAN" = '?' ] || [ "$S_RECOVERY" = '?' ]; then
      echo "(a split is '?': the timestamps were not found; the lines:)"
      grep -E 'restore-|restored' "$CLOG" | cut -c1-300 || true
      grep -E 'restore|redo|ready to accept' "$TMP/member.log" | cut -c1-300 || true
    fi
  } >"$TMP/split-$run.txt"
  if [ "$run" -lt "$PGHERD_RUNS" ]; then
    PGHERD 120 delete $COPY --purge >/dev/null 2>&1 || die "delete $COPY --purge failed"
  fi
}
PGHERD_TOTALS=()
for ((run = 1; run <= PGHERD_RUNS; run++)); do
  pgherd_restore "$run"
done
PGHERD_MEDIAN=$(printf '%s\n' "${PGHERD_TOTALS[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')

# ---------------------------------------------------------------- report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
echo
echo "== restore-bench: scale $SCALE; pgherd source $SRC_DB bytes, host source $HOST_DB bytes (MB = 10^6 bytes) =="
printf '%-58s %9s %9s\n' "step" seconds "MB/s"
printf '%-58s %9s %9s\n' "pgBackRest restore, files only ($PGBR_COMPRESS, process-max $PGBR_PROCESS_MAX, https)" "$PGBR_FILES_S" "$(mbps "$RESTORED_BYTES" "$PGBR_FILES_S")"
printf '%-58s %9s %9s\n' "PostgreSQL recovery (archive-get) until the first write" "$PGBR_RECOVERY_S" ""
printf '%-58s %9s %9s\n' "pgBackRest + PostgreSQL total" "$PGBR_TOTAL" "$(mbps "$RESTORED_BYTES" "$PGBR_TOTAL")"
printf '%-58s %9s %9s\n' "pgherd: apply → first write through the load balancer" "$PGHERD_MEDIAN" "$(mbps "$SRC_DB" "$PGHERD_MEDIAN")"
[ "$PGHERD_RUNS" = 1 ] || echo "  (pgherd: the median of $PGHERD_RUNS runs: ${PGHERD_TOTALS[*]} s)"
echo
echo "pgherd total / (pgBackRest files + PostgreSQL recovery): $(ratio "$PGHERD_MEDIAN" "$PGBR_TOTAL")   (target: <= 1.00)"
echo
cat "$TMP"/split-*.txt
echo "  ${PLAN_LINE:-(no restore-plan line)}" | cut -c1-400
echo "pgBackRest: its log's restore command time ${PGBR_OWN:-?} ms; $RESTORED_BYTES bytes restored (outside pg_wal);"
echo "  PostgreSQL's redo ${PGBR_REDO:-?} s; $RESTORE_CMD"
echo "Data: pgbench -i -s $SCALE, backup, then pgbench -c 2 -t $PGBENCH_TX (WAL after the backup, replayed by both):"
echo "  pgherd source $SRC_WAL_AFTER WAL bytes ($SRC_TPS tps), restored $COPY_COUNT of $SRC_COUNT pgbench_history rows;"
echo "  host source $HOST_WAL_AFTER WAL bytes ($HOST_TPS tps), restored $PGBR_COUNT of $HOST_COUNT rows."
echo "  Backups: pgherd $SRC_BACKUP_S s (zstd, http), pgBackRest $PGBR_BACKUP_S s ($PGBR_COMPRESS, https, $PGBR_SIZE bytes)."
echo "Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB memory,"
echo "  shared with other jobs; load average at the report: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Versions: $("$PGBIN/postgres" --version), $(pgbackrest version), s3proxy $S3PROXY_VERSION (filesystem-nio2),"
echo "  $(java -version 2>&1 | head -1), docker $(docker version -f '{{.Server.Version}}' 2>/dev/null), pgherd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
