#!/bin/bash
# pgherd-haproxy — PID 1 of a pgherd/haproxy:2.6 container.
#
# Runs the HAProxy master (-W master-worker, -db foreground) as its child and relays signals.
# The one thing it adds: on SIGUSR2 (the operator's reload, `docker kill -s USR2`) it first saves
# the running worker's server states (`show servers state` on the stats socket) to
# /run/haproxy/server-state, then forwards USR2 to the master. With
#     global   server-state-file /run/haproxy/server-state
#     defaults load-server-state-from-file global
# in the config, the new worker starts with each server's check health and address carried over,
# instead of every server starting "UP, one failed check from DOWN" — which, under load, made a
# single slow check right after a reload mark the primary down and cut rw sessions.
# Without those lines in the config, the saved file is simply unused.
#
# It also runs the load balancer's agent (the member agent's jar, class io.pgherd.agent.LbAgent:
# the operator's API on :8009, mutual TLS) when its credentials are in /etc/pgherd/agent, started
# again a second after it ends; it ends with the container.
set -uo pipefail
readonly CFG=/usr/local/etc/haproxy/haproxy.cfg
readonly ADMIN_SOCK=${PGHERD_HAPROXY_ADMIN_SOCKET:-/run/haproxy/admin.sock}
readonly STATE=/run/haproxy/server-state

log() { printf 'pgherd-haproxy: %s\n' "$*" >&2; }
/usr/local/bin/pgherd-place-files || { log "could not put the files of a Swarm task in place"; exit 1; }
[ -f "$CFG" ] || { log "$CFG is missing: the operator copies it in before starting the container"; exit 1; }
# States from a previous run of this container are stale; "1" alone is a valid empty state file
# (version line only), which keeps HAProxy from warning about a missing one.
empty_state() { printf '1\n' >"$STATE"; rm -f "$STATE.tmp"; }
empty_state

save_state() {
  if [ -S "$ADMIN_SOCK" ] &&
    echo "show servers state" | socat -t 2 stdio "unix-connect:$ADMIN_SOCK" >"$STATE.tmp" 2>/dev/null &&
    [ -s "$STATE.tmp" ]; then
    mv -f "$STATE.tmp" "$STATE"
  else
    empty_state
    log "could not save server states from $ADMIN_SOCK; the new worker starts from the config alone"
  fi
}

haproxy -W -db -S /run/haproxy/master.sock,mode,600 -f "$CFG" &
child=$!

readonly AGENT_DIR=${PGHERD_AGENT_DIR:-/etc/pgherd/agent}
if [ -f "$AGENT_DIR/agent.crt" ] && [ -f "$AGENT_DIR/agent.key" ] && [ -f "$AGENT_DIR/ca.crt" ]; then
  ( trap - USR1 USR2 TERM INT HUP QUIT
    while :; do
      /opt/pgherd/jre/bin/java -Xms8m -Xmx32m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m -XX:-UsePerfData \
        -Xshare:auto -cp /opt/pgherd/agent.jar io.pgherd.agent.LbAgent
      log "the load balancer's agent ended with status $?; starting it again in 1 s"
      sleep 1
    done ) &
else
  log "no agent credentials in $AGENT_DIR: the load balancer runs without its agent"
fi
forward() { kill "-$1" "$child" 2>/dev/null || true; }
trap 'save_state; forward USR2' USR2
trap 'forward USR1' USR1
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward HUP' HUP
trap 'forward QUIT' QUIT

# `wait` returns early whenever a trapped signal arrives; keep waiting while the master lives.
while :; do
  wait "$child"
  rc=$?
  if ! kill -0 "$child" 2>/dev/null; then
    wait "$child" # the master is gone: its own exit status (bash remembers it)
    rc=$?
    log "haproxy master exited with status $rc"
    exit "$rc"
  fi
  : "$rc" # interrupted by a relayed signal
done
