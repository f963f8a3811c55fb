#!/usr/bin/env bash
# The original stack's "Point In Time Recovery" scenario, automated, against a live cluster with a
# spec.backup section: create databases aa and bb, read txid_current(), create cc; then restore
# (a) the latest state and (b) the state at that xid, each into a new one-member cluster made with
# spec.bootstrap.recovery, and check `psql -l` there: (a) aa, bb, cc; (b) aa and bb, no cc.
# The .partial workaround and the manual pg_receivexlog pause of the original are not needed:
# the archive keeps the segment being written current, and the restore takes it.
# With --in-place, then the original's "Restoring the master database cluster" too: CLUSTER itself
# restored in place to that xid (`pgherd restore CLUSTER --to-xid X --yes`: every member replaced),
# and `psql -l` through its read-write port: aa and bb, no cc. That rewinds CLUSTER: opt-in only.
# Usage: test-scenarios/pitr.sh [CLUSTER] [--in-place]  (PGHERD_HOME selects the operator home; a
# running operator is needed). The restored clusters (CLUSTER-pitr-latest, CLUSTER-pitr-xid, on
# ports 55432/55433 and 55442/55443) are deleted at the end.
set -euo pipefail
name=${1:-demo}
in_place=0
[ "${2:-}" = --in-place ] && in_place=1
root="$(cd "$(dirname "$0")/.." && pwd)"
pgherd="$root/bin/pgherd"
home=${PGHERD_HOME:-$HOME/.pgherd}
spec="$home/clusters/$name.yaml"
[ -f "$spec" ] || { echo "FAIL: no cluster $name in $home"; exit 1; }
grep -q '^  backup:' "$spec" || { echo "FAIL: $name has no spec.backup section (nothing is archived)"; exit 1; }
tmp=$(mktemp -d)
copies=()
cleanup() {
  for c in "${copies[@]}"; do "$pgherd" delete "$c" --purge >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

sql() { "$pgherd" psql "$name" -- -v ON_ERROR_STOP=1 -XqtA "$@"; }

echo "== a base backup of $name (the restores start from it)"
"$pgherd" backup "$name"

echo "== createdb aa; createdb bb; SELECT txid_current(); createdb cc"
sql -c "DROP DATABASE IF EXISTS aa" -c "DROP DATABASE IF EXISTS bb" -c "DROP DATABASE IF EXISTS cc"
sql -c "CREATE DATABASE aa" -c "CREATE DATABASE bb"
xid=$(sql -c "SELECT txid_current()")
sql -c "CREATE DATABASE cc"
echo "xid=$xid"

echo "== waiting until the archive holds everything the primary wrote"
written=$(sql -c "SELECT pg_current_wal_lsn()")
lsn() { python3 -c 'import sys; h, l = sys.argv[1].split("/"); print((int(h, 16) << 32) + int(l, 16))' "$1"; }
archived=''
for i in $(seq 1 60); do
  archived=$("$pgherd" status "$name" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("backups",{}).get("archivedLsn") or "0/0")')
  [ "$(lsn "$archived")" -ge "$(lsn "$written")" ] && break
  sleep 1
done
[ "$(lsn "$archived")" -ge "$(lsn "$written")" ] || { echo "FAIL: the archive holds WAL up to $archived only, the primary wrote up to $written"; exit 1; }
echo "ok: the archive holds WAL up to $archived (the primary wrote up to $written)"

# the backup section of the source, to read its backups from the same store
backup_section=$(awk '/^  backup:/{p=1; print; next} p && /^  [a-zA-Z]/{p=0} p' "$spec")

restore() { # restore COPY PORT TARGET-YAML-OR-EMPTY
  local copy=$1 port=$2 target=$3
  copies+=("$copy")
  {
    printf 'apiVersion: pgherd.io/v1\nkind: PostgresCluster\nmetadata:\n  name: %s\nspec:\n  instances: 1\n' "$copy"
    printf '%s\n' "$backup_section"
    printf '  bootstrap:\n    recovery:\n      from: { cluster: %s }\n' "$name"
    [ -z "$target" ] || printf '      target: %s\n' "$target"
    printf '  loadBalancer: { readWritePort: %s, readOnlyPort: %s }\n' "$port" $((port + 1))
  } >"$tmp/$copy.yaml"
  "$pgherd" apply -f "$tmp/$copy.yaml"
  for i in $(seq 1 180); do
    phase=$("$pgherd" status "$copy" -o json 2>/dev/null | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s.get("phase",""))' || true)
    [ "$phase" = Healthy ] && return 0
    [ "$phase" = Error ] && { "$pgherd" status "$copy"; echo "FAIL: restore of $copy"; exit 1; }
    sleep 1
  done
  "$pgherd" status "$copy"; echo "FAIL: $copy not healthy after 180 s"; exit 1
}
databases() { "$pgherd" psql "$1" -- -XqtA -c "select datname from pg_database" | sort | tr '\n' ' '; }

echo "== restore the latest state into $name-pitr-latest"
restore "$name-pitr-latest" 55432 ""
dbs=$(databases "$name-pitr-latest"); echo "psql -l: $dbs"
[[ " $dbs" == *" aa "* && " $dbs" == *" bb "* && " $dbs" == *" cc "* ]] || { echo "FAIL: aa, bb, cc expected"; exit 1; }
echo "ok: aa, bb and cc are there (the last commit was only in the partial segment, or just archived)"

echo "== restore to xid $xid into $name-pitr-xid"
restore "$name-pitr-xid" 55442 "{ xid: \"$xid\" }"
dbs=$(databases "$name-pitr-xid"); echo "psql -l: $dbs"
[[ " $dbs" == *" aa "* && " $dbs" == *" bb "* && " $dbs" != *" cc "* ]] || { echo "FAIL: aa and bb without cc expected"; exit 1; }
echo "ok: restored to xid $xid: aa and bb exist, cc does not"

if [ $in_place = 1 ]; then
  echo "== restore $name itself in place to xid $xid"
  "$pgherd" restore "$name" --to-xid "$xid" --yes
  for i in $(seq 1 180); do
    phase=$("$pgherd" status "$name" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("phase",""))')
    [ "$phase" = Healthy ] && break
    sleep 1
  done
  [ "$phase" = Healthy ] || { "$pgherd" status "$name"; echo "FAIL: $name not healthy 180 s after the restore"; exit 1; }
  dbs=$(databases "$name"); echo "psql -l: $dbs"
  [[ " $dbs" == *" aa "* && " $dbs" == *" bb "* && " $dbs" != *" cc "* ]] || { echo "FAIL: aa and bb without cc expected in $name"; exit 1; }
  echo "ok: $name restored in place to xid $xid: aa and bb exist, cc does not"
fi
echo "PASS"
