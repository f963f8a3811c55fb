#!/usr/bin/env bash
# swarm-lab.sh — a Docker Swarm of several engines on this one machine, for pgherd's multi-host
# tests and for trying pgherd on a Swarm without more machines. Each engine ("host") runs in its
# own network namespace; one bridge joins them.
#
#   swarm-lab.sh up [N] [IMAGE...]  N engines (default 3), all Swarm managers; each IMAGE of the
#                                   machine's own engine is loaded into every one of them
#   swarm-lab.sh join I [IMAGE...]  one more engine, I (e.g. 4), joins the Swarm as a worker (a node added)
#   swarm-lab.sh leave I            engine I leaves the Swarm (its node removed) and stops
#   swarm-lab.sh load IMAGE...      the machine's images into every engine of the lab (no registry)
#   swarm-lab.sh down               everything it made: engines, their data, namespaces, links
#   swarm-lab.sh host I             prints DOCKER_HOST=... for engine I (1..N); a service mounts its
#                                   node's own engine as /run/pgsw/node-{{.Node.ID}}.sock (a template)
#   swarm-lab.sh cut I | heal I     takes host I's link down / up (a partition of that host)
#   swarm-lab.sh crash I            host I loses power: its link down and every process of its engine
#                                   (dockerd, containerd, shims, containers) killed at once; data kept
#   swarm-lab.sh boot I             host I comes back after a crash: its engine started on its data, link up
#   swarm-lab.sh ls                 the Swarm's nodes, as engine 1 sees them
#
# Needs root, iproute2, iptables, nsenter (util-linux) and dockerd; the machine's own engine only
# for IMAGE (`docker save`). Everything it makes is named pgsw* (namespaces pgsw1.., links
# pgswv1.., bridge pgswbr0, engines' sockets /run/pgsw/dockerI.sock, data /var/lib/pgsw/I).
#
# What it takes on such a machine (measured):
# - `ip netns exec NS dockerd` remounts /sys and the engine loses the cgroup v1 mounts; `nsenter
#   --net=…` switches only the network namespace, which is enough.
# - Every engine needs its own data root, exec root, pid file, socket, bridge address pool and
#   cgroup parent, or they trample each other.
# - Docker's FORWARD policy drops what the bridge forwards between the namespaces (br_netfilter
#   sends bridged frames through iptables) until DOCKER-USER accepts the bridge's own traffic.
# - No registry: images are loaded into each engine, and DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1
#   lets a service's task start from the local image instead of ~20 s of failed pulls.
# - No IPVS in some kernels: services use endpoint mode dnsrr and host-mode published ports
#   (virtual IPs and the ingress mesh cannot work). VXLAN overlays work.
# - Every engine reports the machine's hostname: nodes are told apart by id, and this script
#   labels node I with pgherd.lab.host=hI.
set -uo pipefail

readonly PREFIX=pgsw BRIDGE=pgswbr0 NET=10.251.7
readonly RUN=/run/pgsw DATA=/var/lib/pgsw LOGS=/var/log/pgsw
readonly START_TIMEOUT=60

log() { printf 'swarm-lab: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
sock() { echo "$RUN/docker$1.sock"; }
engine() { local i=$1; shift; docker -H "unix://$(sock "$i")" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
engines() { # the engine numbers with a pid file, ascending
  local p
  for p in "$RUN"/docker*.pid; do [ -e "$p" ] && basename "$p" .pid | sed 's/^docker//'; done | sort -n
}

# start_engine I: namespace pgswI, its link to the bridge, address NET.1I, and its engine
start_engine() {
  local i=$1
  ip netns add "$PREFIX$i"
  ip link add "${PREFIX}v$i" type veth peer name "${PREFIX}n$i"
  ip link set "${PREFIX}n$i" netns "$PREFIX$i"
  ip link set "${PREFIX}v$i" master "$BRIDGE"
  ip link set "${PREFIX}v$i" up
  ip -n "$PREFIX$i" addr add "$NET.1$i/24" dev "${PREFIX}n$i"
  ip -n "$PREFIX$i" link set "${PREFIX}n$i" up
  ip -n "$PREFIX$i" link set lo up
  ip -n "$PREFIX$i" route add default via "$NET.1"
  mkdir -p "$DATA/$i"
  start_dockerd "$i"
}

# start_dockerd I: engine I in namespace pgswI (made already), on its data root
start_dockerd() {
  local i=$1
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nsenter --net="/var/run/netns/$PREFIX$i" dockerd \
    --data-root "$DATA/$i" --exec-root "$RUN/exec$i" --pidfile "$RUN/docker$i.pid" \
    -H "unix://$(sock "$i")" --bip "10.19$i.0.1/24" --default-address-pool "base=10.18$i.0.0/16,size=24" \
    --cgroup-parent "/pgsw$i" --storage-driver overlay2 --iptables=true \
    >"$LOGS/dockerd-$i.log" 2>&1 </dev/null &
}

await_engine() {
  local i=$1 deadline=$((SECONDS + START_TIMEOUT))
  until engine "$i" version >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { tail -20 "$LOGS/dockerd-$i.log" >&2; die "engine $i did not start within ${START_TIMEOUT}s"; }
    sleep 0.2
  done
}

# load_images "I J ..." IMAGE...: the machine's images (from the engine DOCKER_HOST names, or the
# default one) into those engines: saved once to a file, then loaded into each engine in parallel
load_images() {
  local targets=$1 i p pids=() failed=0 tar
  shift
  mkdir -p "$DATA"
  tar=$(mktemp "$DATA/images.XXXXXX.tar")
  if ! docker save -o "$tar" "$@"; then
    rm -f "$tar"
    die "docker save $* failed"
  fi
  for i in $targets; do
    (engine "$i" load -i "$tar" >/dev/null) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  rm -f "$tar"
  [ "$failed" = 0 ] || die "loading $* into the engines failed"
}

# label_node I: node I labelled pgherd.lab.host=hI, and its engine's socket also reachable as
# RUN/node-NODEID.sock: a service that mounts the engine's socket (the operator) names it with the
# Swarm template /run/pgsw/node-{{.Node.ID}}.sock, since every engine here shares one file system
label_node() {
  local node
  node=$(engine "$1" info -f '{{.Swarm.NodeID}}')
  engine 1 node update --label-add "pgherd.lab.host=h$1" "$node" >/dev/null
  ln -sfn "$(sock "$1")" "$RUN/node-$node.sock"
}

# join I [IMAGE...]: one more engine, I, joins the running Swarm as a worker (a node added later)
join() {
  local i=${1:-}
  shift || true
  local t0
  t0=$(now)
  [ "$(id -u)" = 0 ] || die "must run as root"
  [[ $i =~ ^[1-9]$ ]] || die "join I: I is an engine number (1..9)"
  [ -f "$RUN/docker1.pid" ] || die "no lab is up: '$0 up' first"
  [ ! -f "$RUN/docker$i.pid" ] || die "engine $i is up already"
  start_engine "$i"
  await_engine "$i"
  [ $# -eq 0 ] || load_images "$i" "$@"
  engine "$i" swarm join --advertise-addr "$NET.1$i" --token "$(engine 1 swarm join-token -q worker)" "$NET.11:2377" >/dev/null
  label_node "$i"
  log "engine $i joined the Swarm as a worker in $(since "$t0") s"
}

up() {
  local n=${1:-3}
  shift || true
  local images=("$@") t0 i
  t0=$(now)
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, links, iptables)"
  [[ $n =~ ^[1-9]$ ]] || die "N must be 1..9, not '$n'"
  local tool
  for tool in ip iptables nsenter dockerd docker; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
  if ip link show "$BRIDGE" >/dev/null 2>&1 || [ -n "$(engines)" ]; then
    die "a lab is up already (bridge $BRIDGE or engines in $RUN): '$0 down' first"
  fi
  # from here on, any failure (a command, or die) takes down what this run made
  trap 'exit 1' ERR
  set -E
  trap 'log "up failed; taking down what it made"; down' EXIT
  mkdir -p "$RUN" "$LOGS"
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # DOCKER-USER exists once the machine's own engine has run; make it if not
  iptables -N DOCKER-USER 2>/dev/null || true
  iptables -C DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    iptables -I DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  for i in $(seq 1 "$n"); do start_engine "$i"; done
  for i in $(seq 1 "$n"); do await_engine "$i"; done
  log "$n engines up in $(since "$t0") s"
  if [ ${#images[@]} -gt 0 ]; then
    local t
    t=$(now)
    load_images "$(seq 1 "$n")" "${images[@]}"
    log "images ${images[*]} loaded into $n engines in $(since "$t") s"
  fi
  engine 1 swarm init --advertise-addr "$NET.11" >/dev/null
  local token
  token=$(engine 1 swarm join-token -q manager)
  for i in $(seq 2 "$n"); do
    engine "$i" swarm join --advertise-addr "$NET.1$i" --token "$token" "$NET.11:2377" >/dev/null
  done
  for i in $(seq 1 "$n"); do label_node "$i"; done
  trap - ERR EXIT
  log "a Swarm of $n managers ready in $(since "$t0") s; engine I: DOCKER_HOST=unix://$RUN/dockerI.sock"
}

# stop_engine I: engine I leaves the Swarm and stops; its containers, mounts, data, namespace and link go
stop_engine() {
  local i=$1 pid ids m
  engine "$i" swarm leave --force >/dev/null 2>&1
  ids=$(engine "$i" ps -aq 2>/dev/null)
  [ -z "$ids" ] || engine "$i" rm -f $ids >/dev/null 2>&1
  pid=$(cat "$RUN/docker$i.pid" 2>/dev/null)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$RUN/docker$i.pid"
  # what the engine left mounted (overlay layers, network namespaces of containers), then its files
  for m in $(awk -v d="$DATA/$i/" -v r="$RUN/exec$i/" 'index($2, d) == 1 || index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "${DATA:?}/$i" "$RUN/exec$i"
  ip netns del "$PREFIX$i" 2>/dev/null
  ip link del "${PREFIX}v$i" 2>/dev/null
  true
}

# pids_of I: every process of engine I: those in its network namespace (dockerd, containerd, the
# shims) and those in its cgroup parent (the containers' processes, in namespaces of their own)
pids_of() {
  local i=$1 f
  ip netns pids "$PREFIX$i" 2>/dev/null
  for f in /proc/[0-9]*/cgroup; do
    grep -q ":/pgsw$i/" "$f" 2>/dev/null && { f=${f#/proc/}; echo "${f%/cgroup}"; }
  done
}

# crash I: host I loses power — cut off first, then all its processes killed together (no clean
# stop: containers are not told, the Swarm is not left); its data and namespace stay for boot
crash() {
  local i=${1:-} m pids
  [[ $i =~ ^[1-9]$ ]] || die "crash I: I is a host number"
  [ -f "$RUN/docker$i.pid" ] || die "engine $i is not up"
  ip link set "${PREFIX}v$i" down
  for _ in 1 2 3; do
    pids=$(pids_of "$i" | sort -u)
    [ -z "$pids" ] && break
    kill -9 $pids 2>/dev/null
    sleep 0.2
  done
  rm -f "$RUN/docker$i.pid" "$(sock "$i")"
  for m in $(awk -v d="$DATA/$i/" -v r="$RUN/exec$i/" 'index($2, d) == 1 || index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  log "host $i crashed (link down, every process of its engine killed)"
}

# boot I: host I, crashed, starts again: its engine on the data it had, then its link up
boot() {
  local i=${1:-} t0
  t0=$(now)
  [[ $i =~ ^[1-9]$ ]] || die "boot I: I is a host number"
  [ ! -f "$RUN/docker$i.pid" ] || die "engine $i is up already"
  [ -d "$DATA/$i" ] || die "host $i has no data to boot from"
  start_dockerd "$i"
  await_engine "$i"
  ip link set "${PREFIX}v$i" up
  log "host $i booted in $(since "$t0") s"
}

# leave I: engine I leaves the Swarm for good (the node is removed from the Swarm) and stops
leave() {
  local i=${1:-} node
  [[ $i =~ ^[2-9]$ ]] || die "leave I: I is an engine number (2..9; engine 1 is where the lab is driven from)"
  [ -f "$RUN/docker$i.pid" ] || die "engine $i is not up"
  node=$(engine "$i" info -f '{{.Swarm.NodeID}}')
  engine "$i" swarm leave --force >/dev/null 2>&1 || engine 1 node demote "$node" >/dev/null 2>&1
  stop_engine "$i"
  for _ in $(seq 1 40); do
    engine 1 node rm --force "$node" >/dev/null 2>&1 && break
    sleep 0.25
  done
  log "engine $i left the Swarm and stopped"
}

down() {
  local i m
  # (a crashed host has no pid file, only its data)
  for i in $( (engines; ls "$DATA" 2>/dev/null | grep -E '^[0-9]+$') | sort -un); do stop_engine "$i"; done
  for m in $(awk -v d="$DATA/" -v r="$RUN/" 'index($2, d) == 1 || index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$DATA" "$RUN"
  local ns
  for ns in $(ip netns list 2>/dev/null | awk -v p="$PREFIX" '$1 ~ "^" p "[0-9]+$" { print $1 }'); do ip netns del "$ns"; done
  local l
  for l in $(ip -o link show 2>/dev/null | awk -F': ' -v p="${PREFIX}v" 'index($2, p) == 1 { print $2 }' | cut -d@ -f1); do
    ip link del "$l" 2>/dev/null
  done
  ip link del "$BRIDGE" 2>/dev/null
  while iptables -D DOCKER-USER -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  true
}

case ${1:-} in
  up) shift; up "$@" ;;
  join) shift; join "$@" ;;
  leave) leave "${2:-}" ;;
  load) shift; [ $# -gt 0 ] || die "load IMAGE...: which images"; load_images "$(engines)" "$@"; log "loaded $* into engines $(engines | tr '\n' ' ')" ;;
  down) down ;;
  host) [[ ${2:-} =~ ^[1-9]$ ]] || die "host I: I is an engine number"; echo "DOCKER_HOST=unix://$(sock "$2")" ;;
  cut) [[ ${2:-} =~ ^[1-9]$ ]] || die "cut I: I is a host number"; ip link set "${PREFIX}v$2" down ;;
  heal) [[ ${2:-} =~ ^[1-9]$ ]] || die "heal I: I is a host number"; ip link set "${PREFIX}v$2" up ;;
  crash) crash "${2:-}" ;;
  boot) boot "${2:-}" ;;
  ls) engine 1 node ls ;;
  *) sed -n 2,19p "$0" >&2; exit 2 ;;
esac
