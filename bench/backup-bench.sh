#!/usr/bin/env bash
# bench/backup-bench.sh — base backup throughput and WAL archive lag, pgherd beside
# pg_basebackup and pgBackRest, on one machine and one database.
#
#   bench/backup-bench.sh [--scale N] [--lag-commits N] [--pgbr-process-max N] [--pgbr-bundle] [--keep]
#
# One PostgreSQL 15 instance (initdb in a temporary directory, run as the postgres OS user,
# 127.0.0.1:$PG_PORT) is filled by `pgbench -i -s N` (default 70, about 1 GB). One s3proxy (the
# test-scope dependency of this repository, run as its own JVM, filesystem-nio2 blob store in the
# temporary directory) serves S3 over HTTP ($S3_HTTP_PORT, for pgherd) and HTTPS ($S3_HTTPS_PORT,
# self-signed, for pgBackRest, whose S3 driver speaks TLS only). Then, one after the other:
#   1. raw         pg_basebackup -Ft -X none --checkpoint=fast to local disk
#   2. pgherd      io.pgherd.backup.BaseBackup.run to the store (buckets pgherd-zstd and pgherd-gzip: both compressions), called from
#                  src/test/java/io/pgherd/bench/BackupBench.java, timed inside that JVM
#   3. pgBackRest  full backup with compress-type gz, lz4, zst (= zstd: pgBackRest's name for it;
#                  "zstd" is refused) (bucket pgbackrest, repo path /gz, /lz4, /zst),
#                  archive-check=n, start-fast=y, process-max as given (1)
#   4. WAL archive lag: io.pgherd.backup.WalArchiver archives the instance to the store; N marked
#                  commits (default 20, 0.5-1.5 s apart at random, so that they fall at random
#                  points of the archiver's one-second upload cycle), each timed from the commit's
#                  acknowledgement until the stored segment object (.partial.gz or .gz),
#                  downloaded and gunzipped, contains the marker
# MB/s is the database size (bytes of the raw pg_basebackup tar, MB = 10^6 bytes) divided by
# each tool's wall seconds. Not run by CI; results go to docs/benchmarks.md (see
# docs/benchmarks.md, "Base backup throughput", for the method and a result).
#
# Settings (environment): PG_PORT=55432, S3_HTTP_PORT=58080, S3_HTTPS_PORT=58443, MAX_RUNTIME
# seconds (default 600 + 10 × scale), STEP_TIMEOUT seconds for each backup (60 + 6 × scale).
# Runs as root (the instance and pgBackRest run as the postgres OS user through runuser).
# Credentials are random per run and reach every tool through 0600 files, never a command line.
# Cleanup on exit: the Java processes, s3proxy and PostgreSQL stop; the temporary directory is
# removed (kept with --keep).
set -euo pipefail
# shellcheck source=bench/lib-s3proxy.sh
. "$(dirname "$0")/lib-s3proxy.sh"

SCALE=70
LAG_COMMITS=20
PGBR_PROCESS_MAX=1
PGBR_BUNDLE=n
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --lag-commits) LAG_COMMITS=$2; shift 2 ;;
    --pgbr-process-max) PGBR_PROCESS_MAX=$2; shift 2 ;;
    --pgbr-bundle) PGBR_BUNDLE=y; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--scale N] [--lag-commits N] [--pgbr-process-max N] [--pgbr-bundle] [--keep]" >&2; exit 64 ;;
  esac
done
for v in "$SCALE" "$LAG_COMMITS" "$PGBR_PROCESS_MAX"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "numbers must be positive integers: $v" >&2; exit 64; }
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55432}
S3_HTTP_PORT=${S3_HTTP_PORT:-58080}
S3_HTTPS_PORT=${S3_HTTPS_PORT:-58443}
MAX_RUNTIME=${MAX_RUNTIME:-$((600 + 10 * SCALE))}
STEP_TIMEOUT=${STEP_TIMEOUT:-$((60 + 6 * SCALE))}
export PATH=$PGBIN:$PATH

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / 1e6 / s }'; }
sum_sizes() { find "$1" -type f -printf '%s\n' 2>/dev/null | awk '{ t += $1 } END { printf "%d", t }'; }
randstr() { head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-"$1"; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "run as root (PostgreSQL and pgBackRest are run as the postgres user through runuser)"
id postgres >/dev/null 2>&1 || die "no postgres OS user (apt-get install postgresql-15)"
for b in initdb pg_ctl postgres pgbench pg_basebackup pg_receivewal psql; do
  [ -x "$PGBIN/$b" ] || die "$PGBIN/$b is missing (apt-get install postgresql-15)"
done
if ! command -v pgbackrest >/dev/null; then
  log "installing pgBackRest (apt-get install -y pgbackrest)"
  timeout 300 apt-get install -y -q pgbackrest >/dev/null || die "apt-get install pgbackrest failed"
fi
for c in java mvn keytool curl ss; do command -v "$c" >/dev/null || die "$c is needed"; done
for p in "$PG_PORT" "$S3_HTTP_PORT" "$S3_HTTPS_PORT"; do
  if ss -Hltn "sport = :$p" | grep -q .; then die "port $p is in use"; fi
done

TMP=$(mktemp -d /var/tmp/pgherd-bbench.XXXXXX)
chmod 711 "$TMP"
PGHOME=$TMP/pg # the postgres user's: data, socket, server log, pgBackRest's files
PGDATA=$PGHOME/data
SOCK=$PGHOME/sock
S3DIR=$TMP/s3
S3PROXY_PID='' WATCHDOG=''
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f "$PGDATA/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -t 30 stop >/dev/null 2>&1 ||
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$S3PROXY_PID" ]; then kill "$S3PROXY_PID" 2>/dev/null || true; wait "$S3PROXY_PID" 2>/dev/null || true; fi
  if [ -n "$WATCHDOG" ]; then
    kill $(pgrep -P "$WATCHDOG") "$WATCHDOG" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
( sleep "$MAX_RUNTIME"; log "time limit ${MAX_RUNTIME}s reached"; kill -TERM $$ 2>/dev/null ) &
WATCHDOG=$!
cd "$TMP"

# ---------------------------------------------------------------- build and class path
log "building the test classes (mvn -o -q test-compile)"
(cd "$REPO" && { timeout 600 mvn -o -q test-compile || timeout 600 mvn -q test-compile; } >"$TMP/mvn.log" 2>&1) ||
  { tail -20 "$TMP/mvn.log" >&2; die "mvn test-compile failed"; }
(cd "$REPO" && timeout 300 mvn -o -q dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$TMP/cp.txt" >>"$TMP/mvn.log" 2>&1) || die "mvn dependency:build-classpath failed"
CP=$REPO/target/test-classes:$REPO/target/classes:$(cat "$TMP/cp.txt")
S3PROXY_VERSION=$(tr ':' '\n' <"$TMP/cp.txt" | sed -n 's#.*/s3proxy-\([0-9.]*\)\.jar$#\1#p' | head -1)
[ -n "$S3PROXY_VERSION" ] || die "s3proxy is not on the test class path"

# ---------------------------------------------------------------- secrets (0600 files only)
umask 077
S3_KEY=$(randstr 20)
S3_SECRET=$(randstr 40)
PG_PW=$(randstr 24)
REPL_PW=$(randstr 24)
KS_PW=$(randstr 24)
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$S3_KEY" "$S3_SECRET" >"$TMP/aws-credentials"
printf 'postgres.password=%s\nreplicator.password=%s\n' "$PG_PW" "$REPL_PW" >"$TMP/secrets.properties"
printf '127.0.0.1:%s:*:replicator:%s\n' "$PG_PORT" "$REPL_PW" >"$TMP/pgpass"
umask 022

# ---------------------------------------------------------------- PostgreSQL
log "initdb and start PostgreSQL on 127.0.0.1:$PG_PORT"
install -d -o postgres -g postgres -m 700 "$PGHOME" "$PGDATA" "$SOCK" "$PGHOME/pgbackrest" "$PGHOME/pgbackrest/log"
install -o postgres -g postgres -m 600 /dev/null "$PGHOME/pgpw"
printf '%s\n' "$PG_PW" >"$PGHOME/pgpw"
timeout 120 runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$PGHOME/pgpw" \
  --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
rm -f "$PGHOME/pgpw"
cat >>"$PGDATA/postgresql.conf" <<EOF
# backup-bench
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCK'
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 256MB
max_wal_size = 4GB
EOF
cat >"$PGDATA/pg_hba.conf" <<EOF
local all         postgres              peer
host  all         postgres 127.0.0.1/32 scram-sha-256
host  replication replicator 127.0.0.1/32 scram-sha-256
EOF
timeout 120 runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGHOME/postgres.log" -w -t 60 start >/dev/null ||
  { tail -20 "$PGHOME/postgres.log" >&2; die "PostgreSQL did not start"; }
PSQL() { runuser -u postgres -- "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -d postgres "$@"; }
# the password through stdin, not argv
PSQL <<EOF
create role replicator with replication login password '$REPL_PW';
EOF

log "pgbench -i -s $SCALE"
t0=$(now_ns)
timeout $((120 + 15 * SCALE)) runuser -u postgres -- "$PGBIN/pgbench" -i -q -s "$SCALE" -h "$SOCK" -p "$PG_PORT" \
  postgres >"$TMP/pgbench.log" 2>&1 || { tail -20 "$TMP/pgbench.log" >&2; die "pgbench -i failed"; }
PSQL -c checkpoint
DB_SIZE=$(PSQL -At -c "select pg_database_size('postgres')")
log "pgbench -i took $(secs "$t0" "$(now_ns)") s; database postgres: $((DB_SIZE / 1000000)) MB"

# ---------------------------------------------------------------- s3proxy
log "starting s3proxy $S3PROXY_VERSION (filesystem-nio2 store in $S3DIR, http :$S3_HTTP_PORT, https :$S3_HTTPS_PORT)"
mkdir -p "$S3DIR"
s3proxy_start

bench() { # the Java bench main, bounded; its stdout is returned, its stderr goes to ours
  local limit=$1; shift
  timeout -k 10 "$limit" java -Xmx1g -cp "$CP" io.pgherd.bench.BackupBench "$@" \
    --endpoint "http://127.0.0.1:$S3_HTTP_PORT" --credentials "$TMP/aws-credentials" \
    --secrets "$TMP/secrets.properties" --pgpass "$TMP/pgpass" --pg-port "$PG_PORT" --work "$TMP/java"
}
bench 120 buckets pgherd-zstd pgherd-gzip pgbackrest >/dev/null

# ---------------------------------------------------------------- 1. raw pg_basebackup
log "1. raw pg_basebackup -Ft -X none to $TMP/raw"
t0=$(now_ns)
PGPASSFILE=$TMP/pgpass timeout -k 10 "$STEP_TIMEOUT" "$PGBIN/pg_basebackup" -D "$TMP/raw" -Ft -X none \
  --checkpoint=fast --no-password -h 127.0.0.1 -p "$PG_PORT" -U replicator >"$TMP/raw.log" 2>&1 ||
  { cat "$TMP/raw.log" >&2; die "pg_basebackup failed"; }
t1=$(now_ns)
RAW_S=$(secs "$t0" "$t1")
RAW_BYTES=$(stat -c %s "$TMP/raw/base.tar")
D=$RAW_BYTES # the database size every rate is computed with
rm -rf "$TMP/raw"
log "   $RAW_BYTES bytes in $RAW_S s"

# ---------------------------------------------------------------- 2. pgherd BaseBackup
declare -A PGHERD_S PGHERD_TAR PGHERD_STORED PGHERD_WALL
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
for z in zstd gzip; do
  log "2. pgherd BaseBackup.run ($z) to s3://pgherd-$z over http"
  t0=$(now_ns)
  OUT=$(bench "$STEP_TIMEOUT" pgherd-backup --bucket "pgherd-$z" --compression "$z") || die "the pgherd backup failed"
  PGHERD_WALL[$z]=$(secs "$t0" "$(now_ns)")
  R=$(grep '^RESULT tool=pgherd' <<<"$OUT") || die "no result from the pgherd backup: $OUT"
  PGHERD_TAR[$z]=$(field tarBytes "$R")
  PGHERD_S[$z]=$(field seconds "$R")
  PGHERD_STORED[$z]=$(sum_sizes "$S3DIR/pgherd-$z")
  log "   ${PGHERD_TAR[$z]} tar bytes in ${PGHERD_S[$z]} s (${PGHERD_WALL[$z]} s with the JVM's start), ${PGHERD_STORED[$z]} bytes stored"
done

# ---------------------------------------------------------------- 3. pgBackRest
PGBR_VERSION=$(pgbackrest version)
declare -A PGBR_S PGBR_SIZE PGBR_STORED PGBR_OWN
for c in gz lz4 zst; do
  conf=$PGHOME/pgbackrest/pgbackrest-$c.conf
  install -o postgres -g postgres -m 600 /dev/null "$conf"
  cat >"$conf" <<EOF
[global]
repo1-type=s3
repo1-path=/$c
repo1-s3-bucket=pgbackrest
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$S3_HTTPS_PORT
repo1-s3-region=us-east-1
repo1-s3-uri-style=path
repo1-s3-key=$S3_KEY
repo1-s3-key-secret=$S3_SECRET
repo1-storage-verify-tls=n
repo1-retention-full=1
compress-type=$c
process-max=$PGBR_PROCESS_MAX
repo1-bundle=$PGBR_BUNDLE
start-fast=y
archive-check=n
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
  PGBR() { timeout -k 10 "$1" runuser -u postgres -- pgbackrest --config="$conf" --stanza=bench "${@:2}"; }
  PGBR 120 stanza-create >"$PGHOME/pgbackrest/stanza-$c.out" 2>&1 ||
    { cat "$PGHOME/pgbackrest/stanza-$c.out" >&2; die "pgbackrest stanza-create ($c) failed"; }
  log "3. pgBackRest full backup, compress-type=$c, to s3://pgbackrest/$c over https"
  t0=$(now_ns)
  PGBR "$STEP_TIMEOUT" --type=full backup >"$PGHOME/pgbackrest/backup-$c.out" 2>&1 ||
    { cat "$PGHOME/pgbackrest/backup-$c.out" >&2; die "pgbackrest backup ($c) failed"; }
  PGBR_S[$c]=$(secs "$t0" "$(now_ns)")
  info=$(PGBR 120 info --output=json)
  # backup[0].info: {"delta":N,"repository":{"delta":N,"size":N},"size":N}
  PGBR_SIZE[$c]=$(grep -o '"info":{"delta":[0-9]*,"repository":{"delta":[0-9]*,"size":[0-9]*},"size":[0-9]*}' <<<"$info" |
    tail -1 | sed 's/.*"size":\([0-9]*\)}$/\1/')
  PGBR_STORED[$c]=$(sum_sizes "$S3DIR/pgbackrest/$c/backup")
  # its own measure of the backup command alone (the wall time also has the expire it runs after,
  # which has nothing to remove in a fresh repository, and the process start)
  PGBR_OWN[$c]=$(sed -n 's/.*INFO: backup command end: completed successfully (\([0-9]*\)ms).*/\1/p' \
    "$PGHOME/pgbackrest/log/bench-backup.log" | tail -1)
  log "   ${PGBR_SIZE[$c]} database bytes in ${PGBR_S[$c]} s (its log: ${PGBR_OWN[$c]} ms), ${PGBR_STORED[$c]} bytes stored"
done

# ---------------------------------------------------------------- 4. WAL archive lag
log "4. WAL archive lag: WalArchiver to s3://pgherd, $LAG_COMMITS commits about one a second"
OUT=$(bench $((60 + LAG_COMMITS * 32)) archive-lag --bucket pgherd-zstd --commits "$LAG_COMMITS") ||
  die "the archive-lag run failed"
LAG_LINES=$(grep -v '^RESULT' <<<"$OUT" || true)
R=$(grep '^RESULT tool=archive-lag' <<<"$OUT") || die "no archive-lag result: $OUT"
LAG_MEDIAN=$(field medianMs "$R")
LAG_MIN=$(field minMs "$R")
LAG_MAX=$(field maxMs "$R")
LAG_FOUND=$(field found "$R")
LAG_MISSED=$(field missed "$R")
LAG_POLL=$(field pollMs "$R")

# ---------------------------------------------------------------- report
RAW_MBPS=$(mbps "$D" "$RAW_S")
PGHERD_MBPS=$(mbps "$D" "${PGHERD_S[zstd]}")
BEST=''
for c in gz lz4 zst; do
  m=$(mbps "$D" "${PGBR_S[$c]}")
  if [ -z "$BEST" ] || awk -v a="$m" -v b="$(mbps "$D" "${PGBR_S[$BEST]}")" 'BEGIN { exit !(a > b) }'; then BEST=$c; fi
done
BEST_MBPS=$(mbps "$D" "${PGBR_S[$BEST]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo
echo "== backup-bench: scale $SCALE, database $D bytes (raw pg_basebackup tar; MB = 10^6 bytes) =="
printf '%-24s %14s %9s %9s %14s %7s\n' tool bytes seconds MB/s stored ratio
printf '%-24s %14s %9s %9s %14s %7s\n' "pg_basebackup (raw)" "$RAW_BYTES" "$RAW_S" "$RAW_MBPS" "$RAW_BYTES" "1.00"
for z in zstd gzip; do
  printf '%-24s %14s %9s %9s %14s %7s\n' "pgherd $z (http)" "${PGHERD_TAR[$z]}" "${PGHERD_S[$z]}" \
    "$(mbps "$D" "${PGHERD_S[$z]}")" "${PGHERD_STORED[$z]}" "$(ratio "$D" "${PGHERD_STORED[$z]}")"
done
for c in gz lz4 zst; do
  printf '%-24s %14s %9s %9s %14s %7s\n' "pgBackRest $c (https)" "${PGBR_SIZE[$c]}" "${PGBR_S[$c]}" \
    "$(mbps "$D" "${PGBR_S[$c]}")" "${PGBR_STORED[$c]}" "$(ratio "$D" "${PGBR_STORED[$c]}")"
done
echo
echo "pgherd (zstd, the default) / raw pg_basebackup:  $(ratio "$PGHERD_MBPS" "$RAW_MBPS")"
echo "pgherd (zstd) / best pgBackRest ($BEST):          $(ratio "$PGHERD_MBPS" "$BEST_MBPS")"
echo
echo "WAL archive lag (commit acknowledged → marker in the stored segment), $LAG_FOUND of $LAG_COMMITS commits found ($LAG_MISSED missed):"
echo "  median ${LAG_MEDIAN} ms, min ${LAG_MIN} ms, max ${LAG_MAX} ms (store polled every ${LAG_POLL} ms; WalArchiver uploads the partial segment every 1000 ms)"
echo "$LAG_LINES" | sed 's/^/  /'
echo
echo "How: bytes = each tool's own count of the database it read (pg_basebackup and pgherd: the tar stream;"
echo "pgBackRest: its backup size); MB/s = $D bytes / wall seconds of the backup (pg_basebackup and"
echo "pgBackRest: the command; pgherd: BaseBackup.run in an already started JVM, its JVM start not counted);"
echo "stored = bytes of the objects the backup left in s3proxy's filesystem store; ratio = $D / stored."
echo "pgBackRest: full backup, archive-check=n (no WAL archived, like pgherd's --wal-method=none),"
echo "start-fast=y, process-max=$PGBR_PROCESS_MAX, repo1-bundle=$PGBR_BUNDLE, default compress levels
(gz 6, lz4 1, zst 3; pgherd: zstd level 1 (zstd-jni), or java.util.zip gzip level 1). All tools read a warm page cache."
echo "pgBackRest's own backup-command times (its log, ms): gz ${PGBR_OWN[gz]}, lz4 ${PGBR_OWN[lz4]}, zst ${PGBR_OWN[zst]};"
echo "pgherd with its JVM's start: zstd ${PGHERD_WALL[zstd]} s, gzip ${PGHERD_WALL[gzip]} s."
echo "Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB memory,"
echo "  load average before the report: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Versions: $("$PGBIN/postgres" --version), $PGBR_VERSION, s3proxy $S3PROXY_VERSION (filesystem-nio2 store),"
echo "  $(java -version 2>&1 | head -1), pgherd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
