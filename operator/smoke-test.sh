#!/usr/bin/env bash
# End-to-end smoke test of the two images with plain docker commands, the way the operator
# drives them: network, volumes, `docker create`, `docker cp` of the contract files, start.
#   primary (initdb) -> slot -> replica (clone) streaming -> health endpoints -> HAProxy rw/ro
#   -> USR2 reload with an open session -> no password in inspect/logs/process table -> restart
# Everything it creates is named pgherd-$SMOKE_NAME* and removed at exit (images are kept).
# Needs: docker, psql on the host, the images (operator/build-images.sh).
# Env: SMOKE_NAME (default smoke), SMOKE_RW_PORT / SMOKE_RO_PORT (25432 / 25433 on 127.0.0.1),
#      SMOKE_KEEP=1 to leave everything running for inspection.
set -euo pipefail
N=${SMOKE_NAME:-smoke}
RW_PORT=${SMOKE_RW_PORT:-25432}
RO_PORT=${SMOKE_RO_PORT:-25433}
PG_IMAGE=${PGHERD_POSTGRES_IMAGE:-pgherd/postgres:15}
LB_IMAGE=${PGHERD_HAPROXY_IMAGE:-pgherd/haproxy:2.6}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NET=pgherd-$N M1=pgherd-$N-1 M2=pgherd-$N-2 LB=pgherd-$N-lb
work=$(mktemp -d /tmp/pgherd-smoke.XXXXXX)
passed=0 failed=0

say() { printf 'smoke: %s\n' "$*"; }
ok() { passed=$((passed + 1)); printf 'smoke: PASS %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'smoke: FAIL %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND... (passes when the command succeeds)
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
cleanup() {
  exec 7>&- 2>/dev/null || true
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then say "SMOKE_KEEP=1: leaving $NET, $M1, $M2, $LB"; return; fi
  docker rm -f -v "$M1" "$M2" "$LB" >/dev/null 2>&1 || true
  docker volume rm "$M1-data" "$M2-data" >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v psql >/dev/null || { say "psql is needed on the host (apt-get install postgresql-client)"; exit 1; }
for i in "$PG_IMAGE" "$LB_IMAGE"; do docker image inspect "$i" >/dev/null || { say "image $i missing: run operator/build-images.sh"; exit 1; }; done

# ---- the files the operator would generate ------------------------------------------------
rand() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
SUPW="su$(rand):\\'x" REPW="re$(rand):\\'y" # colon, backslash and quote on purpose
mkdir -p "$work/m1/secrets" "$work/m2/secrets"
for m in m1 m2; do
  printf '%s\n' "$SUPW" >"$work/$m/secrets/superuser-password"
  printf '%s\n' "$REPW" >"$work/$m/secrets/replication-password"
  chmod 0700 "$work/$m/secrets"; chmod 0600 "$work/$m/secrets/"*
  cat >"$work/$m/pg_hba.conf" <<'EOF'
local all all peer
host replication replicator samenet scram-sha-256
host all all samenet scram-sha-256
EOF
done
conf() { cat <<EOF
listen_addresses = '*'
port = 5432
hba_file = '/etc/pgherd/pg_hba.conf'
wal_level = replica
max_wal_senders = 16
max_replication_slots = 16
hot_standby = on
wal_log_hints = on
password_encryption = 'scram-sha-256'
cluster_name = '$1'
EOF
}
conf "$N-1" >"$work/m1/postgresql.conf"
{ conf "$N-2"
  echo "primary_conninfo = 'host=$M1 port=5432 user=replicator passfile=/run/pgherd/pgpass application_name=$N-2'"
  echo "primary_slot_name = '${N//-/_}_2'"; } >"$work/m2/postgresql.conf"
printf 'PGHERD_MEMBER=%s\nPGHERD_BOOTSTRAP=initdb\n' "$N-1" >"$work/m1/member.env"
printf 'PGHERD_MEMBER=%s\nPGHERD_BOOTSTRAP=clone\nPGHERD_PRIMARY_HOST=%s\nPGHERD_SLOT=%s\n' \
  "$N-2" "$M1" "${N//-/_}_2" >"$work/m2/member.env"
chmod 0644 "$work"/m?/*.conf "$work"/m?/member.env
esc() { local v=${1//\\/\\\\}; printf '%s' "${v//:/\\:}"; }
printf '*:*:*:postgres:%s\n' "$(esc "$SUPW")" >"$work/pgpass"; chmod 0600 "$work/pgpass"
export PGPASSFILE=$work/pgpass PGCONNECT_TIMEOUT=5
hpsql() { psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -w -XAt "${@:2}"; }
member_port() { docker port "$1" 5432/tcp | head -n1 | sed 's/.*://'; }
http() { # http FROM-CONTAINER HOST PATH -> "CODE BODY" (a request made inside the network)
  docker exec "$1" bash -c 'exec 3<>/dev/tcp/$0/8008 && printf "GET %s HTTP/1.0\r\n\r\n" "$1" >&3 &&
    tr -d "\r" <&3 | sed -n "1s/^HTTP[^ ]* \([0-9]*\).*/\1/p;/^{/p" | paste -sd" "' "$2" "$3"
}
wait_for() { # wait_for SECONDS COMMAND...
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do (( SECONDS < end )) || return 1; sleep 1; done
}

# ---- primary -------------------------------------------------------------------------------
docker network create --label "io.pgherd.cluster=$N" "$NET" >/dev/null
mk_member() { # mk_member INDEX
  local c=pgherd-$N-$1
  docker volume create --label "io.pgherd.cluster=$N" --label "io.pgherd.member=$N-$1" "$c-data" >/dev/null
  docker create --name "$c" --hostname "$c" --network "$NET" -p 127.0.0.1::5432 \
    -v "$c-data:/var/lib/postgresql/data" --label "io.pgherd.cluster=$N" \
    --label "io.pgherd.member=$N-$1" --label io.pgherd.component=member "$PG_IMAGE" >/dev/null
  docker cp "$work/m$1/." "$c:/etc/pgherd/"
  docker start "$c" >/dev/null
}
say "starting $M1 (initdb)"
mk_member 1
check "primary accepts the superuser password from the host" wait_for 60 hpsql "$(member_port "$M1")" -c 'select 1'
P1=$(member_port "$M1")
say "host connections arrive from $(hpsql "$P1" -c 'select inet_client_addr()') (network gateway $(docker network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$NET"))"
check "replicator role has REPLICATION and a SCRAM verifier" \
  test "$(hpsql "$P1" -c "select rolreplication and rolpassword like 'SCRAM-SHA-256\$%' from pg_authid where rolname='replicator'")" = t

# ---- replica -------------------------------------------------------------------------------
hpsql "$P1" -qc "select pg_create_physical_replication_slot('${N//-/_}_2')" >/dev/null
say "starting $M2 (clone through slot ${N//-/_}_2)"
mk_member 2
streaming() { [ "$(hpsql "$P1" -c "select state from pg_stat_replication where application_name='$N-2'")" = streaming ]; }
check "replica streams (pg_stat_replication: $N-2 streaming)" wait_for 120 streaming
check "slot ${N//-/_}_2 is active" test "$(hpsql "$P1" -c "select active from pg_replication_slots where slot_name='${N//-/_}_2'")" = t
hpsql "$P1" -qc "create table smoke(x int); insert into smoke values (42)"
sleep 1
check "replica replays data and is in recovery" test "$(hpsql "$(member_port "$M2")" -c 'select pg_is_in_recovery(), x from smoke')" = 't|42'

# ---- health endpoints ----------------------------------------------------------------------
for spec in "$M1 /primary 200 primary" "$M1 /replica 503 primary" "$M1 /health 200 primary" \
            "$M2 /primary 503 replica" "$M2 /replica 200 replica" "$M2 /health 200 replica"; do
  # shellcheck disable=SC2086
  set -- $spec
  check "GET $2 on $1 -> $3 {\"role\":\"$4\"}" test "$(http "$M2" "$1" "$2")" = "$3 {\"role\":\"$4\"}"
done

# ---- HAProxy -------------------------------------------------------------------------------
sed "s/demo/$N/g" "$here/haproxy/example.cfg" >"$work/haproxy.cfg" # pgherd-$N-3 never exists
sed 's|option httpchk GET /replica|option httpchk GET /health|' "$work/haproxy.cfg" >"$work/haproxy-all.cfg"
chmod 0644 "$work"/haproxy*.cfg
docker create --name "$LB" --hostname "$LB" --network "$NET" \
  -p "127.0.0.1:$RW_PORT:5432" -p "127.0.0.1:$RO_PORT:5433" \
  --label "io.pgherd.cluster=$N" --label io.pgherd.component=lb "$LB_IMAGE" >/dev/null
docker cp "$work/haproxy.cfg" "$LB:/usr/local/etc/haproxy/haproxy.cfg"
docker start "$LB" >/dev/null
ro_addrs() { for _ in 1 2 3 4 5 6; do hpsql "$RO_PORT" -c 'select inet_server_addr()'; done | sort -u | paste -sd' '; }
ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
rw_is_primary() { [ "$(hpsql "$RW_PORT" -c 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; }
check "rw listener reaches the primary" wait_for 20 rw_is_primary
sleep 3 # let the checks settle
check "ro (/replica) reaches only the replica" test "$(ro_addrs)" = "$(ip_of "$M2")"
check "the unresolvable member $N-3 is in maintenance, not fatal" \
  test "$(docker exec "$LB" sh -c 'echo "show servers state ro" | socat stdio /run/haproxy/admin.sock' | awk -v s="$N-3" '$4==s{print $7}')" = 32

mkfifo "$work/in"
hpsql "$RW_PORT" <"$work/in" >"$work/session.out" 2>&1 &
exec 7>"$work/in"
echo 'select pg_backend_pid();' >&7
sleep 1
docker cp "$work/haproxy-all.cfg" "$LB:/usr/local/etc/haproxy/haproxy.cfg"
docker kill -s USR2 "$LB" >/dev/null
sleep 3
echo 'select pg_backend_pid();' >&7
exec 7>&-
wait
check "an rw session opened before the USR2 reload survives it (same backend pid)" \
  test "$(sort -u "$work/session.out" | wc -l)" = 1
check "the reload loaded the new file (ro on /health reaches both members)" \
  test "$(ro_addrs)" = "$(printf '%s\n' "$(ip_of "$M1")" "$(ip_of "$M2")" | sort | paste -sd' ')"
check "server states were saved for the new worker before the reload" \
  docker exec "$LB" sh -c "grep -q ' rw [0-9]* $N-1 ' /run/haproxy/server-state"
check "master reports 1 reload, no failure" \
  docker exec "$LB" sh -c 'echo "show proc" | socat stdio /run/haproxy/master.sock | grep -q "master *1 \[failed: 0\]"'

# ---- secrets -------------------------------------------------------------------------------
printf '%s\n' "$SUPW" "$REPW" >"$work/pats"
leak=0
for c in "$M1" "$M2" "$LB"; do
  if docker inspect "$c" | grep -qF -f "$work/pats"; then bad "password in docker inspect $c"; leak=1; fi
  if docker logs "$c" 2>&1 | grep -qF -f "$work/pats"; then bad "password in docker logs $c"; leak=1; fi
done
for c in "$M1" "$M2"; do
  docker cp "$work/pats" "$c:/tmp/pats"
  for u in root postgres; do # root cannot read postgres's environ in a container (no CAP_SYS_PTRACE)
    if docker exec -u "$u" "$c" bash -c 'for d in /proc/[0-9]*; do [ "${d#/proc/}" = $$ ] && continue
        for f in cmdline environ; do { tr "\0" "\n" <$d/$f; } 2>/dev/null | grep -qF -f /tmp/pats && exit 0; done; done; exit 1'; then
      bad "password on a command line or in an environment in $c (seen as $u)"; leak=1
    fi
  done
  docker exec "$c" rm -f /tmp/pats
done
[ $leak = 0 ] && ok "no password in docker inspect, docker logs, any command line or environment"

# ---- restart -------------------------------------------------------------------------------
docker restart "$M2" >/dev/null
check "replica restarted without re-bootstrapping and streams again" wait_for 60 streaming
check "its log says it started the existing data directory" \
  sh -c "docker logs '$M2' 2>&1 | grep -q 'data directory exists'"

printf '%s passed, %s failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
