#!/bin/bash
# pgherd-entrypoint — PID 2 of a pgherd/postgres:15 member container (tini is PID 1).
#
# Runs as root: prepares /run/pgherd from the operator's files, bootstraps $PGDATA once
# (initdb or pg_basebackup clone), starts the HTTP health endpoint on :8008 and finally
# execs the postmaster as the postgres user, so tini's only child is PostgreSQL itself.
# The contract (files, modes, ports) is described in operator/README.md.
#
# Secrets are read from files only and written to files only (printf is a bash builtin, so
# nothing is exec'd with a password argument); none is exported, logged or put on a command line.
set -euo pipefail
umask 0077

readonly ETC=/etc/pgherd
readonly MEMBER_ENV=$ETC/member.env
readonly CONF=$ETC/postgresql.conf
readonly HBA=$ETC/pg_hba.conf
readonly SECRETS=$ETC/secrets
readonly RUN=/run/pgherd
readonly SOCKDIR=/var/run/postgresql
readonly PGHOME=/var/lib/postgresql

log() { printf 'pgherd-entrypoint: %s\n' "$*"; }
die() { printf 'pgherd-entrypoint: FATAL: %s\n' "$*" >&2; exit 1; }
# Prefix every line a child program prints (stdout and stderr, merged) with our tag (and TAG,
# for programs that do not name themselves). The exit status is the program's (pipefail).
prefixed() { # prefixed TAG|"" CMD...
  local tag=${1:+$1: }; shift
  "$@" 2>&1 | sed -u "s/^/pgherd-entrypoint: $tag/"
}
# nap SECONDS: a pause without a process (a read with a timeout on a FIFO that nobody writes to;
# the FIFO is made once, in $RUN); the restore's waits poll every 50-100 ms without forking a sleep
nap_fd=''
nap() {
  if [ -z "$nap_fd" ]; then
    [ -p "$RUN/nap" ] || mkfifo -m 0600 "$RUN/nap"
    exec {nap_fd}<>"$RUN/nap"
  fi
  read -r -t "$1" -u "$nap_fd" _ || true
}
# Run a command as the postgres user (the environment is kept; HOME points at postgres's home).
as_postgres() { HOME=$PGHOME setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

# The agent (pgherd-agent, Java, as postgres; see section 4). A small heap, the serial collector,
# the C1 compiler only, no perf data file: it holds a few KB of state and answers a few requests a second
readonly AGENT_JAVA=/opt/pgherd/jre/bin/java
# PostgreSQL runs this much nicer than the agent, within the container's own CPU group (the
# agent's Postmaster.NICENESS): the agent's health answers do not wait behind busy backends.
readonly PG_NICENESS=19
readonly AGENT_JAR=/opt/pgherd/agent.jar
readonly AGENT_JVM_OPTS=(-Xms8m -Xmx32m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m -XX:-UsePerfData
  -Xshare:auto)
# Its restore mode (a restore's staging, minutes at most) decrypts the base backup's stream (TLS,
# AES-GCM): with both compilers, as the C1 compiler alone has no AES-GCM intrinsics (~38 MB/s
# instead of ~2 GB/s measured here)
readonly RESTORE_AGENT_JVM_OPTS=(-Xms16m -Xmx128m -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto)

[ "$(id -u)" = 0 ] || die "must start as root (it drops to postgres itself)"
/usr/local/bin/pgherd-place-files || die "could not put the files of a Swarm task in place"
: "${PGDATA:?PGDATA is not set}"

# ---------------------------------------------------------------------------------------------
# 0. the operator's files
for f in "$MEMBER_ENV" "$CONF" "$HBA" "$SECRETS/superuser-password" "$SECRETS/replication-password"; do
  [ -f "$f" ] || die "$f is missing: the operator copies it into the container before starting it"
done
# shellcheck source=/dev/null
. "$MEMBER_ENV"
PGHERD_MEMBER=${PGHERD_MEMBER:-}
PGHERD_BOOTSTRAP=${PGHERD_BOOTSTRAP:-}
PGHERD_PRIMARY_HOST=${PGHERD_PRIMARY_HOST:-}
PGHERD_PRIMARY_PORT=${PGHERD_PRIMARY_PORT:-5432}
PGHERD_SLOT=${PGHERD_SLOT:-}
CLONE_WAIT_SECONDS=${PGHERD_CLONE_WAIT_SECONDS:-120}
[[ $PGHERD_MEMBER =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "PGHERD_MEMBER='$PGHERD_MEMBER' in $MEMBER_ENV is not a member name"
case $PGHERD_BOOTSTRAP in
  initdb) ;;
  clone)
    [[ $PGHERD_PRIMARY_HOST =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] || die "PGHERD_PRIMARY_HOST='$PGHERD_PRIMARY_HOST' is not a host name"
    [[ $PGHERD_PRIMARY_PORT =~ ^[0-9]+$ ]] || die "PGHERD_PRIMARY_PORT='$PGHERD_PRIMARY_PORT' is not a port"
    [[ $PGHERD_SLOT =~ ^[a-z0-9_]{1,63}$ ]] || die "PGHERD_SLOT='$PGHERD_SLOT' is not a replication slot name"
    [[ $CLONE_WAIT_SECONDS =~ ^[0-9]+$ ]] || die "PGHERD_CLONE_WAIT_SECONDS='$CLONE_WAIT_SECONDS' is not a number of seconds"
    ;;
  restore)
    RESTORE_TIMEOUT_SECONDS=${PGHERD_RESTORE_TIMEOUT_SECONDS:-7200}
    [[ $RESTORE_TIMEOUT_SECONDS =~ ^[0-9]+$ ]] || die "PGHERD_RESTORE_TIMEOUT_SECONDS='$RESTORE_TIMEOUT_SECONDS' is not a number of seconds"
    ;;
  *) die "PGHERD_BOOTSTRAP='$PGHERD_BOOTSTRAP' in $MEMBER_ENV must be initdb, clone or restore" ;;
esac
log "member $PGHERD_MEMBER (bootstrap mode $PGHERD_BOOTSTRAP), PGDATA=$PGDATA"

# spec.tls enforced: primary_conninfo verifies the primary's certificate (sslmode=verify-full);
# the clone and the rejoin below (pg_basebackup, psql, pg_rewind) connect to it the same way.
# Otherwise libpq's default applies (TLS when the primary offers it). Unset again before the
# postmaster starts: its walreceiver follows primary_conninfo alone, which the operator keeps current.
if grep -q "^primary_conninfo = '.*sslmode=verify-full" "$CONF"; then
  export PGSSLMODE=verify-full PGSSLROOTCERT=$ETC/tls/ca.crt
  log "TLS: connections to the primary verify its certificate against $PGSSLROOTCERT"
fi

# Config files must stay readable by postgres (it re-reads them on pg_reload_conf()); the agent,
# running as postgres, writes the files the operator delivers through its API (PUT /v1/files) beside
# them and renames them over them: /etc/pgherd and what is in it belong to postgres.
chown -R postgres:postgres "$ETC"
chmod 0755 "$ETC"
chmod 0644 "$MEMBER_ENV" "$CONF" "$HBA"

# ---------------------------------------------------------------------------------------------
# 1. /run/pgherd: password copies and the libpq password file, all 0600 postgres
read_secret() { # read_secret FILE VAR — one line; trailing newline(s)/CR dropped; no NUL/newline inside
  local __v
  __v=$(<"$1")
  __v=${__v%$'\r'}
  [ -n "$__v" ] || die "$1 is empty"
  [[ $__v != *$'\n'* && $__v != *$'\r'* ]] || die "$1 must hold a single line"
  printf -v "$2" '%s' "$__v"
}
pgpass_escape() { # libpq password file: backslash and colon are escaped with a backslash
  local v=${1//\\/\\\\}
  printf '%s' "${v//:/\\:}"
}
write_file() { # write_file PATH CONTENT — atomically, 0600 postgres
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  printf '%s' "$2" >"$tmp"
  chown postgres:postgres "$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$1"
}

install -d -m 0700 -o postgres -g postgres "$RUN"
install -d -m 2775 -o postgres -g postgres "$SOCKDIR"
superuser_pw='' replication_pw=''
read_secret "$SECRETS/superuser-password" superuser_pw
read_secret "$SECRETS/replication-password" replication_pw
write_file "$RUN/superuser-password" "$superuser_pw"
write_file "$RUN/replication-password" "$replication_pw"
write_file "$RUN/pgpass" "*:*:*:replicator:$(pgpass_escape "$replication_pw")
*:*:*:postgres:$(pgpass_escape "$superuser_pw")
"
log "wrote $RUN/{superuser-password,replication-password,pgpass} (0600 postgres)"

# ---------------------------------------------------------------------------------------------
# 2. bootstrap, once. It happens in a staging directory next to $PGDATA that is renamed to
#    $PGDATA only when complete, so "$PGDATA/PG_VERSION exists" means "bootstrapped" and an
#    interrupted bootstrap is simply redone on the next start.
PARENT=$(dirname "$PGDATA")
STAGE=$PGDATA.bootstrap
install -d -m 0700 -o postgres -g postgres "$PARENT"

temp_server_pid=
stop_temp_server() {
  if [ -n "$temp_server_pid" ]; then
    as_postgres pg_ctl -D "$STAGE" -m fast -w stop >/dev/null 2>&1 || true
    temp_server_pid=
  fi
}

bootstrap_initdb() {
  log "initdb into $STAGE"
  prefixed initdb as_postgres initdb -D "$STAGE" -U postgres --pwfile="$RUN/superuser-password" \
    --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    || die "initdb failed"

  # A temporary server on the unix socket only, with the operator's config (hba included).
  # Settings that could block or leak during bootstrap are overridden for this run only.
  log "starting a temporary server (unix socket only) to create the replication role"
  trap stop_temp_server EXIT
  temp_server_pid=starting
  prefixed pg_ctl as_postgres pg_ctl -D "$STAGE" -w -t 60 -l "$STAGE/bootstrap.log" \
    -o "-c config_file=$CONF -c listen_addresses='' -c unix_socket_directories=$SOCKDIR -c archive_mode=off -c synchronous_standby_names='' -c log_statement=none" \
    start || { sed 's/^/pgherd-entrypoint: temporary server: /' "$STAGE/bootstrap.log" >&2 || true; die "the temporary server did not start"; }

  local q=${replication_pw//\'/\'\'}
  # SQL (with the password) goes through a pipe from builtins, never a command line; statement
  # logging is switched off for this session so the password cannot reach the server log.
  printf '%s\n' \
    "SET log_statement = 'none';" \
    "SET log_min_duration_statement = -1;" \
    "SET log_min_error_statement = 'panic';" \
    "SET password_encryption = 'scram-sha-256';" \
    "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$q';" \
    | as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -U postgres -d postgres \
    || die "creating the replicator role failed"
  unset q
  log "role replicator created (REPLICATION LOGIN, scram-sha-256)"

  prefixed pg_ctl as_postgres pg_ctl -D "$STAGE" -m fast -w -t 60 stop || die "stopping the temporary server failed"
  temp_server_pid=
  trap - EXIT
  # the temporary server logged to a file (a pipe would keep the prefixing sed waiting)
  sed 's/^/pgherd-entrypoint: temporary server: /' "$STAGE/bootstrap.log" || true
  rm -f "$STAGE/bootstrap.log"
}

wait_for_primary() { # bounded wait until the primary accepts connections
  local src="$PGHERD_PRIMARY_HOST:$PGHERD_PRIMARY_PORT" start=$SECONDS next=0 rc
  log "waiting up to ${CLONE_WAIT_SECONDS}s for the primary $src"
  while :; do
    rc=0
    pg_isready -q -h "$PGHERD_PRIMARY_HOST" -p "$PGHERD_PRIMARY_PORT" -t 3 || rc=$?
    [ "$rc" = 0 ] && break
    if (( SECONDS - start >= CLONE_WAIT_SECONDS )); then
      die "the primary $src did not accept connections within ${CLONE_WAIT_SECONDS}s (pg_isready status $rc)"
    fi
    if (( SECONDS >= next )); then
      log "primary $src not ready yet (pg_isready status $rc, $((SECONDS - start))s elapsed)"
      next=$((SECONDS + 5))
    fi
    sleep 1
  done
}

bootstrap_clone() {
  local src="$PGHERD_PRIMARY_HOST:$PGHERD_PRIMARY_PORT"
  wait_for_primary
  log "primary $src is up; pg_basebackup through slot $PGHERD_SLOT"
  install -d -m 0700 -o postgres -g postgres "$STAGE"
  # PGPASSFILE is a path, not a secret; --no-password makes a missing/wrong entry fail fast.
  if ! PGPASSFILE=$RUN/pgpass PGAPPNAME=$PGHERD_MEMBER prefixed "" as_postgres \
      pg_basebackup -h "$PGHERD_PRIMARY_HOST" -p "$PGHERD_PRIMARY_PORT" -U replicator \
      -D "$STAGE" -X stream -S "$PGHERD_SLOT" -c fast --no-password --progress --verbose --no-sync; then
    rm -rf "$STAGE"
    die "pg_basebackup from $src through slot $PGHERD_SLOT failed (see above); the partial copy was removed"
  fi
  touch "$STAGE/standby.signal"
  chown postgres:postgres "$STAGE/standby.signal"
  # On disk before it becomes the data directory: one syncfs() of the volume's file system, not
  # pg_basebackup's fsync of each of its ~1000 files (--no-sync above)
  sync -f "$STAGE/standby.signal" || die "syncing the clone to disk failed"
  log "clone complete; standby.signal written"
}

# A member told it is a replica (bootstrap mode clone) never starts as a primary: data without
# standby.signal is a former primary (after a failover, or fenced), so it is rewound onto the
# current primary's timeline first, and re-cloned when pg_rewind cannot do it. The lines
# "rejoin: pg_rewind succeeded" / "rejoin: re-cloned" tell the operator which happened.
# --config-file: the crash recovery pg_rewind may run first must use pgherd's configuration
# (wal_log_hints = on), not the initdb default in $PGDATA, or pg_rewind refuses the result.
# Restore (point-in-time recovery): the operator stages, in $PARENT/restore/, the WAL it needs
# (wal/: segments and history files), the recovery target (recovery.conf, PostgreSQL syntax) and
# the base backup (data/, unpacked by pgherd-receive-backup as the operator streams it in), and
# READY comes last (pgherd-receive-backup makes it once the base backup is unpacked and the WAL
# copy's last file, STAGED, is there); this waits for READY, then makes data/ the data directory (recovery.signal,
# no setting of the source's ALTER SYSTEM). The member's own postmaster then recovers it, as a
# child of this script (run_restore below), with pg_hba letting in only the local postgres user
# until it has promoted and taken this cluster's passwords: no stop and second start. restore/
# stays until then: a member restarted half-way resumes (recovery, or only the steps after it).
# A failure leaves the staged files as they are, writes restore/FAILED and says why (the operator
# reports it and does not retry).
RESTORE=$PARENT/restore
# The operator stages through the agent's API: the agent runs in its restore mode (the API only,
# RestoreReceiver) from before the wait for READY until the restore is complete; it pipes the base
# backup into pgherd-receive-backup, which unpacks it into data/ as it arrives and then makes READY,
# and writes the WAL and the target beside it. It answers GET /v1/restore (how far it is) meanwhile.
restore_agent=''
restore_agent_start() {
  ( if [ -n "$nap_fd" ]; then exec {nap_fd}<&-; fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
      "$AGENT_JAVA" "${RESTORE_AGENT_JVM_OPTS[@]}" -jar "$AGENT_JAR" restore ) &
  restore_agent=$!
}
restore_agent_stop() {
  [ -n "$restore_agent" ] || return 0
  kill -TERM "$restore_agent" 2>/dev/null || true
  wait "$restore_agent" 2>/dev/null || true
  restore_agent=''
}
bootstrap_restore() {
  local waited=$SECONDS
  if [ ! -f "$RESTORE/READY" ]; then
    log "restore: waiting for the operator to stage the base backup and the WAL in $RESTORE"
  fi
  while [ ! -f "$RESTORE/READY" ]; do
    (( SECONDS - waited < RESTORE_TIMEOUT_SECONDS )) \
      || die "restore: $RESTORE/READY did not appear within ${RESTORE_TIMEOUT_SECONDS}s: the operator did not finish staging"
    nap 0.05
  done
  [ -f "$RESTORE/data/PG_VERSION" ] || die "restore: $RESTORE/data holds no base backup"
  if [ -f "$RESTORE/FAILED" ]; then
    die "restore: an earlier attempt failed ($(<"$RESTORE/FAILED")); not retrying"
  fi
  local data=$RESTORE/data
  chown -R postgres:postgres "$RESTORE"
  chmod 0700 "$data"
  install -d -m 0700 -o postgres -g postgres "$data/pg_wal"
  # the source's ALTER SYSTEM settings do not come along (the recovery settings go in through
  # run_restore's configuration file, which outlives the restore unchanged: no pending restart)
  printf '# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n' >"$data/postgresql.auto.conf"
  chown postgres:postgres "$data/postgresql.auto.conf"
  # a backup taken from a replica carries its standby.signal: left there, recovery would wait for
  # more WAL forever (standby mode) instead of stopping at the target and promoting
  rm -f "$data/standby.signal" "$data/backup_manifest"
  touch "$data/recovery.signal"
  chown postgres:postgres "$data/recovery.signal"
  # one rename: $PGDATA exists only whole (a restart from here on resumes the restore)
  mv "$data" "$PGDATA"
}

# The restored member's postmaster, started by this script and supervised until it exits: it
# recovers to the target and promotes; then, over the unix socket, this cluster's passwords are
# set, a CHECKPOINT puts the redo point on the new timeline and the WAL archive's slot is reserved
# from there (so the archive has the new timeline from its switch segment), and the operator's
# pg_hba.conf replaces the local-only one (reload); restore/ is removed. Signals are passed on.
run_restore() {
  if [ -f "$RESTORE/FAILED" ]; then
    die "restore: an earlier attempt failed ($(<"$RESTORE/FAILED")); not retrying"
  fi
  [ -f "$RESTORE/recovery.conf" ] || die "restore: $RESTORE/recovery.conf is missing"
  # pgherd's configuration, then the recovery settings; hba_file points at a file of this
  # container that is local-only until the restore is complete, then a link to the operator's.
  # This file stays as it is for the postmaster's life (reloads read it again).
  local conf=$RUN/restore-postgresql.conf hba=$RUN/pg_hba.conf
  {
    printf "# written by pgherd-entrypoint for a restored member's first postmaster\n"
    printf "include '%s'\n" "$CONF"
    printf "hba_file = '%s'\n" "$hba"
    printf "restore_command = 'cp \"%s/wal/%%f\" \"%%p\"'\n" "$RESTORE"
    printf "recovery_target_timeline = 'latest'\n"
    printf "recovery_target_action = 'promote'\n"
    # the unpacked files are in the page cache, not on disk yet: PostgreSQL flushes the data
    # directory before recovery; one syncfs() is faster than an fsync of each file (~1000)
    printf "recovery_init_sync_method = 'syncfs'\n"
    cat "$RESTORE/recovery.conf"
  } >"$conf"
  printf '# pgherd-entrypoint: the restore is not complete: the local postgres user only\nlocal all postgres peer\n' >"$hba"
  chown postgres:postgres "$conf" "$hba"
  chmod 0644 "$conf"
  log "restore: recovering $PGDATA ($(grep -c . "$RESTORE/recovery.conf" || true) target setting(s)): $(tr '\n' ' ' <"$RESTORE/recovery.conf")"
  log "exec postgres -D $PGDATA -c config_file=$conf (a child of pgherd-entrypoint until it exits)"
  # tini sends its signal to this script; PostgreSQL is the one to act on it. A stop asked for
  # (docker stop/restart) is no failed restore: the next start resumes it.
  local pg='' stopping=0
  stopped_midway() {
    wait "$pg" || true
    log "restore: stopped by a signal before it was complete; the next start resumes it"
    exit 0
  }
  trap 'stopping=1; [ -z "$pg" ] || kill -TERM $pg 2>/dev/null || true' TERM
  trap 'stopping=1; [ -z "$pg" ] || kill -INT $pg 2>/dev/null || true' INT
  trap 'stopping=1; [ -z "$pg" ] || kill -QUIT $pg 2>/dev/null || true' QUIT
  # (a subshell that closes nap's FIFO and becomes the postmaster: $! is the postmaster's PID)
  ( if [ -n "$nap_fd" ]; then exec {nap_fd}<&-; fi
    HOME=$PGHOME exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
      nice -n "$PG_NICENESS" postgres -D "$PGDATA" -c config_file="$conf" ) &
  pg=$!
  [ "$stopping" = 0 ] || kill -INT "$pg" 2>/dev/null || true
  local start=$SECONDS next=$((SECONDS + 10)) rc=0
  # recovery.signal goes when recovery has ended (no process is started to look before that);
  # then the first connection that the server accepts
  while [ -f "$PGDATA/recovery.signal" ] \
      || ! as_postgres psql -X -qtA -h "$SOCKDIR" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; do
    if ! kill -0 "$pg" 2>/dev/null; then
      wait "$pg" || rc=$?
      [ "$stopping" = 1 ] && stopped_midway
      printf 'PostgreSQL stopped during recovery (exit status %s)\n' "$rc" >"$RESTORE/FAILED"
      die "restore failed: PostgreSQL stopped during recovery (exit status $rc); its FATAL line above says why"
    fi
    if (( SECONDS - start >= RESTORE_TIMEOUT_SECONDS )); then
      kill -INT "$pg" 2>/dev/null || true
      wait "$pg" || true
      printf 'recovery did not end within %ss\n' "$RESTORE_TIMEOUT_SECONDS" >"$RESTORE/FAILED"
      die "restore failed: recovery did not end within ${RESTORE_TIMEOUT_SECONDS}s"
    fi
    if (( SECONDS >= next )); then
      log "restore: recovering ($((SECONDS - start))s)"
      next=$((SECONDS + 10))
    fi
    nap 0.1
  done
  # One session, over the unix socket: it waits for the end of recovery (the end-of-recovery
  # checkpoint; its first transactions were read-only), sets this cluster's passwords
  # (synchronous_commit local: no replica exists yet for a synchronous_standby_names to wait for),
  # makes a CHECKPOINT and reserves the archiver's slot: the WAL archive of this cluster must hold
  # the new timeline from its first segment (the switch point's); the checkpoint puts the redo
  # point just after the switch, and the slot, reserved from there, keeps that segment until
  # pg_receivewal (which starts at the segment start of the slot's position) has it. Last, the
  # reload that makes the operator's pg_hba.conf (linked just before) the one in force.
  ln -sfn "$HBA" "$hba.new"
  mv -fT "$hba.new" "$hba"
  local qs=${superuser_pw//\'/\'\'} qr=${replication_pw//\'/\'\'}
  printf '%s\n' \
    "SET log_statement = 'none';" \
    "SET log_min_duration_statement = -1;" \
    "SET log_min_error_statement = 'panic';" \
    "DO \$\$BEGIN WHILE pg_is_in_recovery() LOOP PERFORM pg_sleep(0.05); END LOOP; END\$\$;" \
    "SET synchronous_commit = 'local';" \
    "SET password_encryption = 'scram-sha-256';" \
    "ALTER ROLE postgres PASSWORD '$qs';" \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'replicator') THEN CREATE ROLE replicator WITH REPLICATION LOGIN; END IF; END\$\$;" \
    "ALTER ROLE replicator WITH REPLICATION LOGIN PASSWORD '$qr';" \
    "CHECKPOINT;" \
    "SELECT pg_create_physical_replication_slot('pgherd_archiver', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'pgherd_archiver');" \
    "SELECT pg_reload_conf();" \
    | as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -U postgres -d postgres >/dev/null \
    || { [ "$stopping" = 1 ] && stopped_midway; kill -INT "$pg"; wait "$pg" || true; die "restore: setting this cluster's passwords, the checkpoint or the archiver's slot failed"; }
  unset qs qr superuser_pw replication_pw
  rm -f "$RESTORE/READY"
  rm -rf "$RESTORE"
  log "restore: recovered, promoted, this cluster's passwords set; pg_hba.conf is the operator's ($((SECONDS - start))s)"
  # PostgreSQL goes on running; the agent (below) adopts it. A stop asked for meanwhile was passed
  # on (these traps stay until the supervisor's replace them)
}

rejoin() {
  local src="$PGHERD_PRIMARY_HOST:$PGHERD_PRIMARY_PORT"
  wait_for_primary
  # pg_rewind reads the source's timeline from its pg_control, which a just-promoted server
  # updates only at its first checkpoint after the promotion: ask for it here (the operator does
  # not wait for it before starting this container).
  if ! PGPASSFILE=$RUN/pgpass prefixed checkpoint as_postgres psql -X -q --no-password \
      -d "host=$PGHERD_PRIMARY_HOST port=$PGHERD_PRIMARY_PORT user=postgres dbname=postgres connect_timeout=10" \
      -c CHECKPOINT; then
    log "rejoin: CHECKPOINT on $src failed; pg_rewind may not see the new timeline"
  fi
  log "rejoin: $PGDATA has no standby.signal (it was a primary); pg_rewind from $src"
  if PGPASSFILE=$RUN/pgpass prefixed pg_rewind as_postgres pg_rewind --target-pgdata="$PGDATA" --config-file="$CONF" \
      --source-server="host=$PGHERD_PRIMARY_HOST port=$PGHERD_PRIMARY_PORT user=postgres dbname=postgres connect_timeout=10" \
      --progress; then
    touch "$PGDATA/standby.signal"
    chown postgres:postgres "$PGDATA/standby.signal"
    log "rejoin: pg_rewind succeeded; standby.signal written"
  else
    log "rejoin: pg_rewind failed; removing the old data and re-cloning from $src"
    rm -rf "$PGDATA" "$STAGE"
    bootstrap_clone
    chmod 0700 "$STAGE"
    mv "$STAGE" "$PGDATA"
    log "rejoin: re-cloned"
  fi
}

restoring=0
if [ -f "$PGDATA/PG_VERSION" ]; then
  log "data directory exists (PostgreSQL $(<"$PGDATA/PG_VERSION"))"
  if [ "$PGHERD_BOOTSTRAP" = restore ] && [ -f "$RESTORE/READY" ]; then
    log "restore: not complete yet ($RESTORE is there): resuming it"
    restoring=1
    restore_agent_start
    # A stop between the end of recovery (PostgreSQL has removed recovery.signal, chosen the new
    # timeline) and its end-of-recovery checkpoint leaves pg_control in recovery without the
    # signal file: started so, PostgreSQL would do crash recovery through all the WAL restored into
    # pg_wal, past the target, on the old timeline. The signal file goes back: recovery to the
    # target again (the unfinished timeline's history file is followed back to the switch point).
    if [ ! -f "$PGDATA/recovery.signal" ]; then
      state=$(pg_controldata "$PGDATA" | sed -n 's/^Database cluster state: *//p')
      case $state in
        "in archive recovery"|"shut down in recovery")
          log "restore: stopped before its end-of-recovery checkpoint (pg_control: $state): recovering to the target again"
          touch "$PGDATA/recovery.signal"
          chown postgres:postgres "$PGDATA/recovery.signal"
          ;;
      esac
    fi
  elif [ "$PGHERD_BOOTSTRAP" = clone ] && [ ! -f "$PGDATA/standby.signal" ]; then
    rejoin
  fi
else
  if [ -e "$PGDATA" ]; then
    if [ -d "$PGDATA" ] && [ -z "$(ls -A "$PGDATA")" ]; then
      rmdir "$PGDATA"
    else
      die "$PGDATA exists but holds no PG_VERSION: refusing to touch it (remove it to bootstrap again)"
    fi
  fi
  if [ -e "$STAGE" ]; then
    log "removing an interrupted bootstrap left in $STAGE"
    rm -rf "$STAGE"
  fi
  case $PGHERD_BOOTSTRAP in
    initdb) bootstrap_initdb ;;
    clone) bootstrap_clone ;;
    restore) restore_agent_start; bootstrap_restore; restoring=1 ;;
  esac
  if [ "$restoring" != 1 ]; then
    chmod 0700 "$STAGE"
    mv "$STAGE" "$PGDATA"
  fi
  log "bootstrap complete: $PGDATA"
fi
unset PGSSLMODE PGSSLROOTCERT
[ "$restoring" = 1 ] || unset superuser_pw replication_pw

# PostgreSQL refuses a data directory that is not 0700 (or 0750) and owned by its user.
if [ "$(stat -c %U "$PGDATA")" != postgres ]; then
  log "fixing ownership of $PGDATA"
  chown -R postgres:postgres "$PGDATA"
fi
chmod 0700 "$PGDATA"

# ---------------------------------------------------------------------------------------------
# 3. PostgreSQL: a restored member's first postmaster runs as a child of this script until the
#    restore is complete (see run_restore), then the agent adopts it
if [ "$restoring" = 1 ]; then
  run_restore
  restore_agent_stop # (the agent below takes the API's port)
fi

# ---------------------------------------------------------------------------------------------
# 4. the agent (pgherd-agent, Java, as postgres): it runs PostgreSQL as its child (or adopts the
#    one running), answers HAProxy's health checks on :8008 from one session kept open, and serves
#    the operator's API on :8009 (mutual TLS). It exits with PostgreSQL's exit status; so does this
#    script, which stays as the agent's supervisor: an agent that dies while PostgreSQL runs is
#    started again at once and adopts the server (no restart of PostgreSQL, no failover). tini sends
#    this script the container's stop signal; it is passed to the postmaster itself.
postmaster_pid() { # the running postmaster's pid, from postmaster.pid
  local pid
  pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] &&
    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && printf '%s' "$pid"
}
stop_signal='' agent=''
pass_on() { # the container's stop signal, to the postmaster (again, harmlessly, while it shuts down);
  local pid # with none running (a fenced member) the agent is the one to end
  if pid=$(postmaster_pid); then
    kill "-$stop_signal" "$pid" 2>/dev/null || true
  elif [ -n "$agent" ]; then
    kill -TERM "$agent" 2>/dev/null || true
  fi
}
trap 'stop_signal=TERM; pass_on' TERM
trap 'stop_signal=INT; pass_on' INT
trap 'stop_signal=QUIT; pass_on' QUIT
export PGHERD_MEMBER HOME=$PGHOME
restarts=0
while :; do
  # (a subshell that closes nap's FIFO and becomes the agent: $! is the agent's pid)
  ( if [ -n "$nap_fd" ]; then exec {nap_fd}<&-; fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
      "$AGENT_JAVA" "${AGENT_JVM_OPTS[@]}" -jar "$AGENT_JAR" ) &
  agent=$!
  [ -z "$stop_signal" ] || pass_on
  while :; do
    rc=0
    wait "$agent" || rc=$?
    kill -0 "$agent" 2>/dev/null || break # else a signal interrupted the wait: it was passed on
  done
  if [ -z "$stop_signal" ] && (( rc > 128 )) && postmaster_pid >/dev/null; then
    restarts=$((restarts + 1))
    log "the agent ended by signal $((rc - 128)) while PostgreSQL runs: starting it again (restart $restarts)"
    continue
  fi
  if [ -z "$stop_signal" ] && (( rc > 128 )) && [ -f "$PARENT/pgherd-fenced" ]; then
    restarts=$((restarts + 1))
    log "the agent ended by signal $((rc - 128)) while the member is fenced: starting it again (restart $restarts)"
    continue
  fi
  break
done
# the postmaster is the agent's child: it is gone when the agent has seen it exit; an agent that
# ended otherwise (killed during a stop) leaves it to finish its shutdown, waited for here
while [ -n "$stop_signal" ] && postmaster_pid >/dev/null; do
  pass_on
  nap 0.1
done
log "the agent exited with status $rc"
exit "$rc"
