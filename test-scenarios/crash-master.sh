#!/usr/bin/env bash
# The original stack's "Simulate the crash of the master", automated: with a continuous write
# loop (the original's crash_cinsert) and read loop running through the load balancer, kill the
# primary's container; pgherd fails over by itself (the original needed nine manual steps).
# Then, as the original did: create db2 on the new primary and check every replica lists it;
# wait for the old primary to come back (it rejoins as a replica); create db3 and check again.
# Prints what the clients saw: acknowledged writes, errors, and the write outage.
# Usage: test-scenarios/crash-master.sh [CLUSTER]   (PGHERD_HOME selects the operator home)
# Bounded: the loops stop after LOOP_SECONDS (default 60); every wait has a deadline.
set -euo pipefail
name=${1:-demo}
loop_seconds=${LOOP_SECONDS:-60}
repo="$(cd "$(dirname "$0")/.." && pwd)"
pgherd="$repo/bin/pgherd"
home=${PGHERD_HOME:-$HOME/.pgherd}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

status_json() { "$pgherd" status "$name" -o json; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

rw=$(status_json | field "d['endpoints']['readWrite']")
ro=$(status_json | field "d['endpoints']['readOnly']")
old=$(status_json | field "d['primary']")
host=${rw%:*}; [ "$host" = 0.0.0.0 ] && host=127.0.0.1
# the password goes into a private passfile through a shell builtin, never onto a command line
umask 077
pw=$(<"$home/secrets/$name/superuser-password")
printf '%s:*:*:postgres:%s\n' "$host" "$pw" > "$work/pgpass"
unset pw
export PGPASSFILE="$work/pgpass" PGCONNECT_TIMEOUT=2 PGUSER=postgres PGDATABASE=postgres PGHOST=$host
q() { psql -XAtq -p "$1" -c "$2"; }

q "${rw#*:}" "drop table if exists crash_cinsert" >/dev/null
q "${rw#*:}" "create table crash_cinsert(id bigint primary key, at timestamptz default clock_timestamp())"
echo "== primary is $old; starting the write loop (crash_cinsert) and the read loop for ${loop_seconds}s"
(
  end=$((SECONDS + loop_seconds)); i=0
  while [ $SECONDS -lt $end ]; do
    i=$((i + 1))
    if q "${rw#*:}" "insert into crash_cinsert(id) values ($i)" 2>/dev/null; then echo "$(date +%s.%N) ok $i"; else echo "$(date +%s.%N) err $i"; fi
    sleep 0.1
  done
) > "$work/writes" &
(
  end=$((SECONDS + loop_seconds))
  while [ $SECONDS -lt $end ]; do
    q "${ro#*:}" "select inet_server_addr()" 2>/dev/null || echo err
    sleep 0.2
  done
) > "$work/reads" &
sleep 3

echo "== docker kill pgherd-$old"
docker kill "pgherd-$old" >/dev/null
deadline=$((SECONDS + 60))
until new=$(status_json | field "d['primary']") && [ "$new" != "$old" ] && q "${rw#*:}" "select 1" >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { echo "FAIL: no new primary within 60s"; "$pgherd" logs "$name" | tail -20; exit 1; }
  sleep 0.5
done
echo "== new primary: $new"

check_db() { # every replica, asked inside its container as the original did, lists the database
  local db=$1 ok=0 c
  for c in $(docker ps --filter "label=io.pgherd.cluster=$name" --filter "label=io.pgherd.component=member" --format '{{.Names}}'); do
    [ "$(docker exec -u postgres "$c" psql -XAtc 'select pg_is_in_recovery()' 2>/dev/null)" = t ] || continue
    for _ in $(seq 1 40); do
      docker exec -u postgres "$c" psql -Xl 2>/dev/null | awk '{print $1}' | grep -qx "$db" && break
      sleep 0.5
    done
    docker exec -u postgres "$c" psql -Xl | awk '{print $1}' | grep -qx "$db" || { echo "FAIL: $c does not list $db"; exit 1; }
    echo "ok: replica $c lists $db"; ok=$((ok + 1))
  done
  [ $ok -gt 0 ] || { echo "FAIL: no replica to check"; exit 1; }
}

q "${rw#*:}" "drop database if exists db2" >/dev/null; q "${rw#*:}" "create database db2"
check_db db2

echo "== waiting for $old to rejoin as a replica"
deadline=$((SECONDS + 90))
until [ "$(status_json | field "[m['state'] for m in d['members'] if m['name']=='$old'][0]")" = streaming ]; do
  [ $SECONDS -lt $deadline ] || { echo "FAIL: $old did not rejoin within 90s"; "$pgherd" logs "$name" | tail -20; exit 1; }
  sleep 1
done
"$pgherd" logs "$name" | grep -E "rejoined: $old" | tail -1
q "${rw#*:}" "drop database if exists db3" >/dev/null; q "${rw#*:}" "create database db3"
check_db db3

wait
ok=$(grep -c ' ok ' "$work/writes" || true); err=$(grep -c ' err ' "$work/writes" || true)
outage=$(awk '$2=="err"{if(!s)s=p} $2=="ok"{if(s&&!e)e=$1; p=$1} END{if(s&&e) printf "%.1f", e-s; else print 0}' "$work/writes")
rows=$(q "${rw#*:}" "select count(*) from crash_cinsert")
reads=$(grep -vc '^err$' "$work/reads" || true); rerr=$(grep -c '^err$' "$work/reads" || true)
echo "clients saw: writes $ok acknowledged, $err failed, write outage ${outage}s; $rows rows present; reads $reads ok, $rerr failed"
lost=0
for id in $(awk '$2=="ok"{print $3}' "$work/writes"); do echo "$id"; done | sort -n > "$work/acked"
q "${rw#*:}" "select id from crash_cinsert order by 1" | sort -n > "$work/present"
lost=$(comm -23 "$work/acked" "$work/present" | wc -l)
echo "acknowledged writes missing after the failover: $lost"
q "${rw#*:}" "drop table crash_cinsert"
echo "PASS: failover from $old to $new; db2 and db3 replicated; $old rejoined"
