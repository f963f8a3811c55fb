#!/bin/bash
# pgherd-receive-backup FORMAT SIZE — run by the operator (`docker exec` with stdin attached) in a
# member container that is being restored, while its entrypoint waits for restore/READY: reads
# exactly SIZE bytes of a stored base backup tar (FORMAT zst, gz or tar) from stdin and unpacks it
# into $PARENT/restore/data as it arrives (the download and the unpacking overlap). It stops after
# SIZE bytes because the Docker API does not pass the end of stdin on; input that ends early is
# caught by the decompressor or tar (exit non-zero). Prints a line every 30 s while it runs.
# Meanwhile the operator copies the WAL and the target in beside (restore/wal/,
# restore/recovery.conf), restore/STAGED being that copy's last file: once the base backup is
# unpacked and STAGED is there, READY is made (the entrypoint starts the recovery). No READY ever
# follows a failed or partial unpacking. (STAGED itself stays as it is: the engine may still be
# setting its owner, mode and times when it is first seen; restore/ goes as a whole at the end.)
set -euo pipefail
die() { printf 'pgherd-receive-backup: %s\n' "$*" >&2; exit 1; }
[ $# = 2 ] || die "usage: pgherd-receive-backup zst|gz|tar SIZE"
format=$1 size=$2
[[ $size =~ ^[0-9]+$ ]] || die "SIZE '$size' is not a byte count"
: "${PGDATA:?PGDATA is not set}"
restore=$(dirname "$PGDATA")/restore
data=$restore/data
[ -d "$(dirname "$PGDATA")" ] || die "$(dirname "$PGDATA") does not exist: not a pgherd member's data volume"
[ ! -e "$PGDATA" ] || die "$PGDATA exists: this member holds data already"
install -d -m 0700 "$restore"
rm -rf "$data"
install -d -m 0700 "$data"
# tar reads 1 MiB records (-b 2048; -B: whole records from a pipe) and writes the files in pieces
# that size: for a 1 GB backup ~1 s of CPU less than its default 10 KiB (the unpacking is
# CPU-bound on a small machine)
untar() { tar -x -b 2048 -B -C "$data"; }
case $format in
  zst) unpack() { head -c "$size" | zstd -q -d -c | untar; } ;;
  gz) unpack() { head -c "$size" | gzip -d -c | untar; } ;;
  tar) unpack() { head -c "$size" | untar; } ;;
  *) die "FORMAT '$format' is not zst, gz or tar" ;;
esac
# (a background job of a non-interactive shell reads /dev/null unless given stdin explicitly)
exec 3<&0
unpack <&3 &
pid=$!
exec 3<&-
flushed() { # reaps the last flush; a failed one is reported (PostgreSQL flushes before recovery anyway)
  [ -z "$flusher" ] || wait "$flusher" ||
    printf 'pgherd-receive-backup: sync -f %s failed (PostgreSQL flushes the data directory before its recovery)\n' "$data" >&2
  flusher=''
}
start=$SECONDS next=$((SECONDS + 30)) flusher='' ticks=0
while kill -0 "$pid" 2>/dev/null; do
  if (( SECONDS >= next )); then
    printf 'pgherd-receive-backup: unpacking (%ss)\n' "$((SECONDS - start))"
    next=$((SECONDS + 30))
  fi
  # the unpacked files go to the disk while the unpacking goes on (a syncfs() about every second,
  # one at a time): unpacking is CPU work, the disk is idle meanwhile, and PostgreSQL's syncfs()
  # before recovery (recovery_init_sync_method) then finds little left to write (it took 0.75 s
  # for 1 GB when all of it was still in the page cache); the last one is not waited for
  if (( ++ticks % 5 == 0 )) && { [ -z "$flusher" ] || ! kill -0 "$flusher" 2>/dev/null; }; then
    flushed
    sync -f "$data" </dev/null >/dev/null 2>&1 & # (no output: the exec's streams are not held open)
    flusher=$!
  fi
  sleep 0.2
done
wait "$pid" || die "unpacking the $format base backup ($size bytes) failed"
[ -f "$data/PG_VERSION" ] || die "the $format base backup ($size bytes) holds no PG_VERSION"
printf 'pgherd-receive-backup: unpacked %s bytes (%s) in %ss\n' "$size" "$format" "$((SECONDS - start))"
# the WAL's copy was made at the same time: usually complete already (its last file is STAGED)
limit=${PGHERD_RESTORE_TIMEOUT_SECONDS:-7200} waited=$SECONDS next=$((SECONDS + 30))
while [ ! -f "$restore/STAGED" ]; do
  (( SECONDS - waited < limit )) || die "$restore/STAGED did not appear within ${limit}s: the WAL and the target were not copied in"
  if (( SECONDS >= next )); then
    printf 'pgherd-receive-backup: waiting for the WAL and the target (%ss)\n' "$((SECONDS - waited))"
    next=$((SECONDS + 30))
  fi
  sleep 0.05
done
printf 'base backup unpacked; WAL and target staged\n' >"$restore/READY.new"
mv -f "$restore/READY.new" "$restore/READY"
