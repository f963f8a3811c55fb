#!/usr/bin/env bash
# pgherd/s3proxy's entrypoint (PID 1 is tini).
#
# At the first start it generates random S3 credentials into $S3_CREDENTIALS_FILE
# (default /run/pgherd-s3/credentials, a volume shared with the operator, which names the file in
# its spec: credentials: { file: ... }): AWS shared-credentials format, profile [default], mode
# 0600, written to a temporary file and renamed, so a reader never sees half of it. Later starts
# reuse it. The keys never appear in the environment, a label or a command line: s3proxy reads
# them from a properties file (0600, in the container's /run) rendered from that file at each start.
#
#   S3_BUCKETS   buckets to create if missing (space-separated; default "pgherd")
#   S3_PORT      the port to listen on (default 9000, all interfaces of the container)
set -euo pipefail
log() { echo "pgherd-s3proxy: $*" >&2; }
cred=${S3_CREDENTIALS_FILE:-/run/pgherd-s3/credentials}
data=/var/lib/s3proxy/data
port=${S3_PORT:-9000}

umask 077
mkdir -p "$(dirname "$cred")" "$data"
if [ ! -s "$cred" ]; then
  key=$(head -c 15 /dev/urandom | base64 | tr '+/' 'AB')
  secret=$(head -c 30 /dev/urandom | base64 | tr '+/' 'CD')
  printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" >"$cred.tmp"
  chmod 0600 "$cred.tmp"
  mv "$cred.tmp" "$cred"
  log "generated S3 credentials in $cred"
fi
key=$(sed -n 's/^aws_access_key_id *= *//p' "$cred" | head -1)
secret=$(sed -n 's/^aws_secret_access_key *= *//p' "$cred" | head -1)
[ -n "$key" ] && [ -n "$secret" ] || { log "$cred has no aws_access_key_id / aws_secret_access_key"; exit 1; }

for b in ${S3_BUCKETS:-pgherd}; do
  [[ $b =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || { log "bad bucket name '$b'"; exit 1; }
  [ -d "$data/$b" ] || { mkdir -p "$data/$b"; log "created bucket $b"; }
done

props=/run/s3proxy.properties
cat >"$props" <<PROPS
s3proxy.endpoint=http://0.0.0.0:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$data
jclouds.identity=local
jclouds.credential=local
PROPS
unset key secret
log "serving $data on :$port"
exec java ${S3PROXY_JAVA_OPTS:--Xmx512m} -Dlogback.configurationFile=/opt/s3proxy/logback.xml \
  -cp '/opt/s3proxy/lib/*' org.gaul.s3proxy.Main --properties "$props"
