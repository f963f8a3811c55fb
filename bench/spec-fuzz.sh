#!/usr/bin/env bash
# bench/spec-fuzz.sh — the long run of the spec fuzzer (issue 7, hostile input); not run by CI.
#
#   bench/spec-fuzz.sh [--iterations N] [--seed S] [--shapes]
#
# Mutates the example specs of manifests/ (wrong types, huge and negative numbers, unicode and
# shell metacharacters, missing, duplicated and unknown keys, YAML aliases and an alias bomb,
# 10 000 levels of nesting, several documents, tabs, binary junk, 10 MB files, ...) and puts every
# mutant through SpecValidator.parse and what `pgherd apply -f FILE` does, into a temporary home.
# Prints per mutation kind: mutants, accepted, refused, violations (an exception, a refusal naming
# no field or YAML position, a refused spec that changed the home, an accepted one that does not
# read back the same) and the slowest case. Exits 1 on any violation. The unit-speed run with a
# fixed seed is SpecFuzzTest (part of `mvn test`). Needs no Docker engine and never contacts one.
# A recorded run and what the fuzzer found: docs/hostile-input.md.
# Defaults: --iterations 100000 --seed 1.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$REPO"
(mvn -o -q test-compile || mvn -q test-compile) >"$TMP/mvn.log" 2>&1 || { tail -20 "$TMP/mvn.log" >&2; exit 1; }
(mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$TMP/cp.txt") >>"$TMP/mvn.log" 2>&1 ||
  { tail -20 "$TMP/mvn.log" >&2; exit 1; }
CP="$REPO/target/test-classes:$REPO/target/classes:$(cat "$TMP/cp.txt")"
java -Xss1m -Xmx512m -cp "$CP" io.pgherd.bench.SpecFuzz "$@"
