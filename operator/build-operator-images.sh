#!/usr/bin/env bash
# Builds the images docker-compose.yml and the Rancher entry run, on top of build-images.sh's:
#   pgherd/postgres:15, pgherd/haproxy:2.6   (build-images.sh, first: the operator creates members from them)
#   pgherd/operator:latest                    from operator/operator/ + target/pgherd.jar
#   pgherd/s3proxy:2.6.0                      from operator/s3proxy/ + s3proxy and its dependencies
# The jar is built (mvn package, tests skipped) when it is missing or older than the sources;
# s3proxy's jars are collected with dependency:copy-dependencies on operator/s3proxy/pom.xml, from
# the local Maven repository, or from Maven Central where it lacks them.
# Idempotent: Docker's build cache makes a re-run take seconds.
#
# Environment: PGHERD_OPERATOR_IMAGE (default pgherd/operator:latest), PGHERD_S3PROXY_IMAGE
# (pgherd/s3proxy:2.6.0), PGHERD_BASE_IMAGE, plus build-images.sh's; extra arguments go to
# `docker build` of the two images here.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
export PGHERD_BASE_IMAGE=${PGHERD_BASE_IMAGE:-pgherd/base:bookworm}
OPERATOR_IMAGE=${PGHERD_OPERATOR_IMAGE:-pgherd/operator:latest}
S3PROXY_IMAGE=${PGHERD_S3PROXY_IMAGE:-pgherd/s3proxy:2.6.0}
MVN=${MVN:-mvn}

"$here/build-images.sh"

# Offline first (quick, and enough once the build has run); online when the local Maven repository
# lacks something, as on a fresh machine (s3proxy's runtime jars are not all test dependencies).
mvn_offline_first() {
  $MVN -B -q -o "$@" && return 0
  echo "build-operator-images: the local Maven repository lacks something; resolving online"
  $MVN -B -q "$@"
}

jar=$repo/target/pgherd.jar
if [ ! -f "$jar" ] || [ -n "$(find "$repo/src/main" "$repo/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]; then
  echo "build-operator-images: building $jar"
  (cd "$repo" && mvn_offline_first package -DskipTests -Dmaven.test.skip=true)
fi
install -m 0644 "$jar" "$here/operator/pgherd.jar"

if [ ! -f "$here/s3proxy/lib/s3proxy-2.6.0.jar" ]; then
  echo "build-operator-images: collecting s3proxy's jars into operator/s3proxy/lib"
  rm -rf "$here/s3proxy/lib.tmp"
  (cd "$here/s3proxy" && mvn_offline_first dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$here/s3proxy/lib.tmp")
  rm -rf "$here/s3proxy/lib" && mv "$here/s3proxy/lib.tmp" "$here/s3proxy/lib"
fi

build() { # DIR TAG [docker build args...]
  local dir=$1 tag=$2 start=$SECONDS
  shift 2
  echo "build-operator-images: $tag <- operator/$dir"
  docker build --build-arg "BASE=$PGHERD_BASE_IMAGE" -t "$tag" "$@" "$here/$dir" 2>&1 | sed -u "s/^/  [$dir] /"
  echo "build-operator-images: $tag ready ($(docker image inspect -f '{{.Id}}' "$tag" | cut -c8-19), $((SECONDS - start))s)"
}
build operator "$OPERATOR_IMAGE" "$@"
build s3proxy "$S3PROXY_IMAGE" "$@"
echo "build-operator-images: done"
