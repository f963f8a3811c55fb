#!/usr/bin/env bash
# bench/chaos.sh — a bounded chaos run against a real three-member cluster (issue 7).
#
#   bench/chaos.sh [--cycles N] [--seed S] [--mode sync|async] [--faults f1,f2] [--max-seconds N]
#                  [--converge-timeout S] [--keep]
#
# Brings up the cluster "chaos" (3 members, sync replication by default, WAL archive and one base
# backup to a filesystem store in the run's home, load balancer on 127.0.0.1:16932/16933) with its
# own operator process (java -jar <copy of target/pgherd.jar> operator), runs a write workload (one
# autocommit insert every ~20 ms through the read-write port, each acknowledged seq recorded with
# the server and timeline that acknowledged it) and a read workload on the read-only port, then
# injects --cycles faults (default 20) one at a time, chosen at random with --seed (default 1) from:
#   kill-primary, kill-replica, pause-primary (20 s), disconnect-primary (from the cluster network),
#   kill-lb, kill-operator (SIGKILL, restarted after 3 s), stop-start-replica (5 s stopped)
# After each it waits (up to --converge-timeout, 180 s) until the cluster is Healthy with three
# members, every replica streams from the primary and a write is acknowledged again, then checks:
# acknowledged writes all present (sync: any loss is a violation; async: counted), never two
# writable servers behind the rw port (HAProxy's show stat sampled every ~2 s, and the timelines of
# the acknowledged writes), slots exactly one per replica plus the archiver's, and the WAL archive
# without a gap (`pgherd restore --dry-run` plans from the first base backup to the end).
# Prints one line per cycle and a table per fault kind; exits 1 on any violation.
# Stops by itself: --cycles, or --max-seconds (default 3000). Not run by CI (docs/reliability.md).
# Cleanup on exit: the operator stops, the cluster is deleted with its volumes, the home removed
# (kept with --keep).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --cycles|--seed|--mode|--faults|--max-seconds|--converge-timeout)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 64; }
      ARGS+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--cycles N] [--seed S] [--mode sync|async] [--faults f1,f2] [--max-seconds N] [--converge-timeout S] [--keep]" >&2; exit 64 ;;
  esac
done
for c in java mvn docker; do command -v "$c" >/dev/null || { echo "$c is needed" >&2; exit 1; }; done
docker info >/dev/null 2>&1 || { echo "the Docker engine is not reachable" >&2; exit 1; }

TMP=$(mktemp -d /tmp/pgherd-chaos.XXXXXX)
HOME_DIR=$TMP/home
mkdir -p "$HOME_DIR"
cleanup() {
  set +e
  if [ -f "$TMP/pgherd.jar" ]; then
    pkill -f "$TMP/pgherd.jar operator" 2>/dev/null
    sleep 2
    java -jar "$TMP/pgherd.jar" delete chaos --purge --home "$HOME_DIR" >/dev/null 2>&1
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $TMP (operator log: $HOME_DIR/operator.log)"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

(cd "$REPO" && mvn -o -q package -DskipTests >"$TMP/mvn.log" 2>&1) || { cat "$TMP/mvn.log" >&2; exit 1; }
(cd "$REPO" && mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$TMP/cp.txt" \
  >>"$TMP/mvn.log" 2>&1) || { cat "$TMP/mvn.log" >&2; exit 1; }
cp "$REPO/target/pgherd.jar" "$TMP/pgherd.jar" # the run is immune to rebuilds of the checkout
"$REPO/operator/build-images.sh" >"$TMP/images.log" 2>&1 || { tail -20 "$TMP/images.log" >&2; exit 1; }
cp -r "$REPO/target/test-classes" "$TMP/test-classes"
CP="$TMP/test-classes:$TMP/pgherd.jar:$(cat "$TMP/cp.txt")"
echo "chaos: $(java -version 2>&1 | head -1), pgherd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx512m -cp "$CP" io.pgherd.bench.Chaos --home "$HOME_DIR" --jar "$TMP/pgherd.jar" "${ARGS[@]}"
