# Shared by bench/backup-bench.sh and bench/restore-bench.sh (sourced, not run): a standalone
# s3proxy (the repository's test dependency, from the class path CP) serving plain HTTP on
# $S3_HTTP_PORT and HTTPS on $S3_HTTPS_PORT (a self-signed keystore made for the run) from a
# filesystem-nio2 store in $S3DIR, with the credentials $S3_KEY / $S3_SECRET. Needs TMP, S3DIR,
# S3_HTTP_PORT, S3_HTTPS_PORT, S3_KEY, S3_SECRET, KS_PW, CP, MAX_RUNTIME and a die function; sets
# S3PROXY_PID (the caller's cleanup stops it). Secrets reach keytool and s3proxy through the
# environment and a 0600 file, never a command line.
s3proxy_start() {
KS_PW=$KS_PW timeout 60 keytool -genkeypair -alias s3proxy -keyalg RSA -keysize 2048 -validity 2 \
  -dname CN=127.0.0.1 -ext SAN=ip:127.0.0.1 -storetype PKCS12 -keystore "$TMP/s3proxy.p12" \
  -storepass:env KS_PW -keypass:env KS_PW >/dev/null 2>&1 || die "keytool failed"
umask 077
cat >"$TMP/s3proxy.properties" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_HTTP_PORT
s3proxy.secure-endpoint=https://127.0.0.1:$S3_HTTPS_PORT
s3proxy.keystore-path=$TMP/s3proxy.p12
s3proxy.keystore-password=$KS_PW
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_KEY
s3proxy.credential=$S3_SECRET
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$S3DIR
jclouds.identity=local
jclouds.credential=local
EOF
umask 022
cat >"$TMP/logback-s3proxy.xml" <<'EOF'
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
EOF
timeout "$MAX_RUNTIME" java -Xmx1g -Dlogback.configurationFile="$TMP/logback-s3proxy.xml" -cp "$CP" \
  org.gaul.s3proxy.Main --properties "$TMP/s3proxy.properties" >"$TMP/s3proxy.log" 2>&1 &
S3PROXY_PID=$!
for i in $(seq 1 120); do
  curl -s -o /dev/null "http://127.0.0.1:$S3_HTTP_PORT/" && curl -sk -o /dev/null "https://127.0.0.1:$S3_HTTPS_PORT/" && break
  kill -0 "$S3PROXY_PID" 2>/dev/null || { tail -20 "$TMP/s3proxy.log" >&2; die "s3proxy exited"; }
  [ "$i" = 120 ] && die "s3proxy did not answer in 60 s"
  sleep 0.5
done
}
