#!/usr/bin/env bash
# The original stack's "Testing the replication", automated: create a database on the primary
# through the read-write port, then check that `psql -l` on every replica lists it.
# Usage: test-scenarios/replication.sh [CLUSTER]   (PGHERD_HOME selects the operator home)
set -euo pipefail
name=${1:-demo}
pgherd="$(cd "$(dirname "$0")/.." && pwd)/bin/pgherd"
db=db1

echo "== CREATE DATABASE $db on the primary, through the read-write port"
"$pgherd" psql "$name" -- -v ON_ERROR_STOP=1 -Xq -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"

members=$(docker ps --filter "label=io.pgherd.cluster=$name" --filter "label=io.pgherd.component=member" \
  --format '{{.Names}}' | sort)
[ -n "$members" ] || { echo "FAIL: no running member of $name"; exit 1; }
replicas=0
for c in $members; do
  role=$(docker exec -u postgres "$c" psql -XtAc "select case when pg_is_in_recovery() then 'replica' else 'primary' end")
  [ "$role" = replica ] || continue
  replicas=$((replicas + 1))
  found=no
  for _ in $(seq 1 20); do
    if docker exec -u postgres "$c" psql -Xl | awk '{print $1}' | grep -qx "$db"; then found=yes; break; fi
    sleep 0.5
  done
  if [ $found = yes ]; then
    echo "ok: psql -l on replica $c lists $db"
  else
    echo "FAIL: replica $c does not list $db"; docker exec -u postgres "$c" psql -Xl; exit 1
  fi
done
[ $replicas -gt 0 ] || { echo "FAIL: $name has no replica to check"; exit 1; }
echo "PASS: $db replicated to $replicas replica(s)"
