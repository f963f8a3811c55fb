#!/usr/bin/env bash
# The original stack's "Testing the load-balancing", automated and bounded: 30 new connections
# through the read-only port, each asking `select inet_server_addr()`; they must reach at least
# two distinct members.
# Usage: test-scenarios/load-balancing.sh [CLUSTER] [CONNECTIONS]
set -euo pipefail
name=${1:-demo}
n=${2:-30}
pgherd="$(cd "$(dirname "$0")/.." && pwd)/bin/pgherd"

# One psql, n reconnections (\c opens a new connection each time: a new round-robin pick).
script=$(for _ in $(seq 1 "$n"); do printf '\\c\nselect inet_server_addr();\n'; done)
answers=$(printf '%s\n' "$script" | "$pgherd" psql "$name" --read-only -- -XAtq -v ON_ERROR_STOP=1)
echo "$answers" | sort | uniq -c | sed 's/^/  /'
distinct=$(echo "$answers" | grep -v '^$' | sort -u | wc -l)
if [ "$distinct" -ge 2 ]; then
  echo "PASS: $n read-only connections reached $distinct distinct members"
else
  echo "FAIL: $n read-only connections reached only $distinct member(s)"; exit 1
fi
