#!/bin/bash
# pgherd-health — the member's HTTP health endpoint (HAProxy's `option httpchk` target).
#
#   pgherd-health serve   listen on :8008 (PGHERD_HEALTH_PORT), one forked handler per request;
#                         restarts socat if it ever exits. Started detached by the entrypoint.
#   pgherd-health         handle one HTTP request on stdin/stdout (what socat EXECs).
#
# Endpoints (HTTP/1.0, Connection: close, JSON body; the query string is ignored):
#   GET /primary  200 {"role":"primary"} when SQL answers and pg_is_in_recovery() is false, else 503
#   GET /replica  200 {"role":"replica"} when SQL answers and pg_is_in_recovery() is true,  else 503
#   GET /health   200 when SQL answers (body names the role), else 503
# HEAD is answered like GET without a body; other methods get 405, other paths 404.
# One psql per request over the local unix socket with peer authentication as postgres:
# no password is involved, and a hung server costs at most ~4 s per check.
set -uo pipefail

if [ "${1:-}" = serve ]; then
  port=${PGHERD_HEALTH_PORT:-8008}
  while :; do
    socat -T 5 "TCP-LISTEN:$port,reuseaddr,fork,backlog=64,max-children=16" EXEC:/usr/local/bin/pgherd-health
    echo "pgherd-health: socat exited with status $?; restarting in 1s" >&2
    sleep 1
  done
fi

respond() { # respond CODE REASON BODY
  local body="$2"
  [ -n "$3" ] && body="$3"
  body+=$'\n'
  printf 'HTTP/1.0 %s %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n' \
    "$1" "$2" "${#body}"
  [ "$method" = HEAD ] || printf '%s' "$body"
  exit 0
}

method=GET
IFS= read -r -t 3 line || exit 0 # no request line: nothing to answer
line=${line%$'\r'}
read -r method target _ <<<"$line"
# drain the request headers (up to the empty line) so closing the socket never resets it early
while IFS= read -r -t 1 h; do
  h=${h%$'\r'}
  [ -z "$h" ] && break
done
path=${target:-/}
path=${path%%\?*}

case $method in GET|HEAD) ;; *) method=GET; respond 405 'Method Not Allowed' '{"error":"method not allowed"}' ;; esac
case $path in /primary|/replica|/health|/) ;; *) respond 404 'Not Found' '{"error":"not found"}' ;; esac

# a restored member serves nobody until its restore is complete (pgherd-entrypoint's run_restore
# removes restore/ once this cluster's passwords are set and pg_hba.conf is the operator's); no
# psql meanwhile (the load balancer asks every 500 ms while the member is down)
if [ -e "$(dirname "${PGDATA:-/var/lib/postgresql/data/pgdata}")/restore/READY" ]; then
  role=unavailable
else
  role=$(PGCONNECT_TIMEOUT=2 PGAPPNAME=pgherd-health PGOPTIONS='-c statement_timeout=2000' \
    timeout -k 1 4 psql -h /var/run/postgresql -U postgres -d postgres -XtAqc \
    "select case when pg_is_in_recovery() then 'replica' else 'primary' end" 2>/dev/null)
  case $role in primary|replica) ;; *) role=unavailable ;; esac
fi
body="{\"role\":\"$role\"}"

case $path in
  /primary) [ "$role" = primary ] && respond 200 OK "$body" ;;
  /replica) [ "$role" = replica ] && respond 200 OK "$body" ;;
  *) [ "$role" != unavailable ] && respond 200 OK "$body" ;;
esac
respond 503 'Service Unavailable' "$body"
