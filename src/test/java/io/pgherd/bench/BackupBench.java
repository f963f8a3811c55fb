package io.pgherd.bench;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.Compression;
import io.pgherd.backup.BaseBackup;
import io.pgherd.backup.WalArchiver;
import io.pgherd.backup.WalLayout;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStores;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.Home;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * The Java half of bench/backup-bench.sh (not a test: run by the script with the test class
 * path). Subcommands:
 *
 * <pre>
 *   buckets       NAME...      create the buckets through the S3 API
 *   pgherd-backup              one io.pgherd.backup.BaseBackup.run to the store, timed
 *   archive-lag                io.pgherd.backup.WalArchiver on the instance; commit markers (spaced at
 *                              random, one a second on average) and time
 *                              each until the stored (partial) segment holds it
 * </pre>
 *
 * Common options: --endpoint URL (s3proxy, plain HTTP), --credentials FILE (AWS shared-credentials
 * format: what pgherd itself reads, via ObjectStores), --bucket B, --pg-port P, --secrets FILE (a
 * properties file with postgres.password and replicator.password), --pgpass FILE, --work DIR.
 * Secrets are read from files only, never from the command line. Results are printed as lines
 * starting with "RESULT " (key=value pairs) for the script to pick up.
 */
public final class BackupBench {
  private static final String CLUSTER = "bench";

  private final Map<String, String> opts = new HashMap<>();
  private final List<String> args = new ArrayList<>();

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: BackupBench buckets|pgherd-backup|archive-lag [options]");
      System.exit(64);
    }
    BackupBench b = new BackupBench();
    for (int i = 1; i < argv.length; i++) {
      if (argv[i].startsWith("--")) {
        b.opts.put(argv[i].substring(2), argv[++i]);
      } else {
        b.args.add(argv[i]);
      }
    }
    switch (argv[0]) {
      case "buckets" -> b.buckets();
      case "pgherd-backup" -> b.pgherdBackup();
      case "archive-lag" -> b.archiveLag();
      default -> {
        System.err.println("unknown subcommand " + argv[0]);
        System.exit(64);
      }
    }
    System.exit(0); // the SDK's and the archiver's threads must not keep the JVM
  }

  private String opt(String name) {
    String v = opts.get(name);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  private int intOpt(String name, int dflt) {
    return opts.containsKey(name) ? Integer.parseInt(opts.get(name)) : dflt;
  }

  private Properties secrets() throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(Path.of(opt("secrets")))) {
      p.load(in);
    }
    return p;
  }

  /** The store as the operator opens it: ObjectStores.open with a credentials file. */
  private ObjectStore store(String prefix) throws IOException {
    var s3 = new BackupConfig.S3(opt("bucket"), URI.create(opt("endpoint")), "us-east-1", prefix, true, null, null,
        opt("credentials"));
    return ObjectStores.open(s3, Path.of(opt("work")), System::getenv);
  }

  // ------------------------------------------------------------------ buckets

  private void buckets() throws IOException {
    Map<String, String> cred = new HashMap<>();
    for (String line : Files.readAllLines(Path.of(opt("credentials")))) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        cred.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
      }
    }
    try (S3Client client = S3Client.builder().region(Region.US_EAST_1).forcePathStyle(true)
        .endpointOverride(URI.create(opt("endpoint")))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
            cred.get("aws_access_key_id"), cred.get("aws_secret_access_key"))))
        .httpClientBuilder(ApacheHttpClient.builder()).build()) {
      for (String bucket : args) {
        try {
          client.createBucket(r -> r.bucket(bucket));
        } catch (BucketAlreadyOwnedByYouException e) {
          // fine
        }
        System.out.println("bucket " + bucket + " ready");
      }
    }
  }

  // ------------------------------------------------------------------ pgherd base backup

  private void pgherdBackup() throws Exception {
    int port = Integer.parseInt(opt("pg-port"));
    String sysid = query(port, "select system_identifier::text from pg_control_system()");
    String base = WalLayout.base(CLUSTER, sysid);
    String id = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC));
    try (ObjectStore store = store("")) {
      store.check(base + "bench-probe"); // connections warm, bucket reachable: outside the timed part
      long t0 = System.nanoTime();
      Compression compression = Compression.parse(opts.getOrDefault("compression", "zstd"));
      BaseBackup.Result r = runBaseBackup(store, base, id, new BaseBackup.Source("bench", "127.0.0.1", port),
          Path.of(opt("pgpass")), compression);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("RESULT tool=pgherd tarBytes=%d storedBytes=%d seconds=%.3f key=%s%n", r.tarBytes(),
          r.storedBytes(), seconds, BaseBackup.prefix(base, id) + compression.tarName());
    }
  }

  /** The one call of BaseBackup.run: the operator's own backup pipeline. */
  private static BaseBackup.Result runBaseBackup(ObjectStore store, String base, String id, BaseBackup.Source source,
      Path pgpass, Compression compression) throws IOException {
    return BaseBackup.run(store, base, id, source, pgpass, compression,
        p -> System.err.println("  pgherd: " + p.describe()));
  }

  // ------------------------------------------------------------------ WAL archive lag

  private void archiveLag() throws Exception {
    int port = Integer.parseInt(opt("pg-port"));
    int commits = intOpt("commits", 20);
    int intervalMs = intOpt("interval-ms", 1000);
    int pollMs = intOpt("poll-ms", 50);
    int timeoutMs = intOpt("timeout-s", 30) * 1000;
    Properties sec = secrets();
    Path work = Path.of(opt("work"));
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres",
        sec.getProperty("postgres.password"))) {
      String sysid = one(c, "select system_identifier::text from pg_control_system()");
      long timeline = Long.parseLong(one(c, "select timeline_id::text from pg_control_checkpoint()"));
      try (Statement st = c.createStatement()) {
        st.execute("select pg_create_physical_replication_slot('" + WalArchiver.SLOT + "') where not exists "
            + "(select 1 from pg_replication_slots where slot_name = '" + WalArchiver.SLOT + "')");
        st.execute("create table if not exists bench_lag (id bigserial primary key, marker text not null)");
      }
      String base = WalLayout.base(CLUSTER, sysid);
      try (ObjectStore store = store("");
          ObjectStore reader = store("")) {
        WalArchiver archiver = new WalArchiver(CLUSTER, work.resolve("archiver"), store, base,
            sec.getProperty("replicator.password"), new ClusterLog(new Home(work.resolve("home")), CLUSTER));
        try {
          archiver.follow(new WalArchiver.Source("127.0.0.1", port), timeline, null);
          long deadline = System.currentTimeMillis() + 30_000;
          while (archiver.state().partialSegment() == null && archiver.state().lastSegment() == null) {
            if (System.currentTimeMillis() > deadline) {
              throw new IllegalStateException("the archiver stored nothing in 30 s: " + archiver.state() + " "
                  + archiver.exited().orElse(""));
            }
            Thread.sleep(100);
          }
          System.err.println("  archiver streaming, " + archiver.state().partialSegment() + " stored");
          String run = HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
          c.setAutoCommit(false);
          List<Long> lags = new ArrayList<>();
          int missed = 0;
          // commits spaced intervalMs/2 .. 3*intervalMs/2 apart at random (mean intervalMs): a fixed
          // one-second spacing would lock in phase with the archiver's one-second upload cycle and
          // measure the same point of it every time
          java.util.Random jitter = new java.util.Random();
          for (int i = 0; i <= commits; i++) { // commit 0 warms up and is not counted
            long start = System.currentTimeMillis();
            String marker = "pgherd-lag-" + run + "-" + i + "-end";
            long lsn;
            try (var ps = c.prepareStatement("insert into bench_lag (marker) values (?)")) {
              // twice, 100 bytes apart: a WAL page boundary (8 kB) can split one copy, never both
              ps.setString(1, marker + ".".repeat(100) + marker);
              ps.executeUpdate();
            }
            lsn = Long.parseUnsignedLong(one(c, "select (pg_current_wal_insert_lsn() - '0/0')::text"));
            c.commit();
            long acked = System.nanoTime();
            Optional<String> where = waitFor(reader, base, work.resolve("archiver").resolve("spool"), timeline, lsn,
                marker.getBytes(StandardCharsets.US_ASCII), acked + timeoutMs * 1_000_000L, pollMs);
            long lagMs = (lastFoundAt - acked) / 1_000_000;
            String local = localFoundAt == 0 ? "not seen in the spool" : "in the spool after "
                + Math.max(0, (localFoundAt - acked) / 1_000_000) + " ms";
            if (where.isEmpty()) {
              missed++;
              System.out.printf("  commit %2d: not in the store after %d s (archiver: %s)%n", i, timeoutMs / 1000,
                  archiver.state());
            } else if (i == 0) {
              System.out.printf("  commit %2d (warm-up, not counted): %d ms (%s; %s)%n", i, lagMs, where.get(), local);
            } else {
              lags.add(lagMs);
              System.out.printf("  commit %2d: %d ms (%s; %s)%n", i, lagMs, where.get(), local);
            }
            long sleep = start + intervalMs / 2 + jitter.nextInt(intervalMs + 1) - System.currentTimeMillis();
            if (sleep > 0 && i < commits) {
              Thread.sleep(sleep);
            }
          }
          long[] sorted = lags.stream().mapToLong(Long::longValue).sorted().toArray();
          if (sorted.length == 0) {
            System.out.printf("RESULT tool=archive-lag commits=%d found=0 missed=%d%n", commits, missed);
            return;
          }
          double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
              : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
          System.out.printf("RESULT tool=archive-lag commits=%d found=%d missed=%d medianMs=%.0f minMs=%d maxMs=%d "
              + "pollMs=%d uploadIntervalMs=%d%n", commits, sorted.length, missed, median, sorted[0],
              sorted[sorted.length - 1], pollMs, WalArchiver.UPLOAD_INTERVAL_MS);
        } finally {
          archiver.close();
        }
      }
    }
  }

  private long lastFoundAt;
  private long localFoundAt;
  private final Map<String, byte[]> lastSeen = new HashMap<>();

  /**
   * Polls the objects that can hold the record at lsn (the partial and the complete segment of its
   * segment and, when the record may have started in the previous one, of that too) until one of
   * them, gunzipped, contains the marker. lastFoundAt is the start of the successful poll (the
   * object was there by then). Returns which object it was. Meanwhile the archiver's spool (what
   * pg_receivewal wrote) is watched too: localFoundAt is when the marker was first seen there
   * (0 if never), which splits the lag into receiving and storing.
   */
  private Optional<String> waitFor(ObjectStore store, String base, Path spool, long timeline, long lsn, byte[] marker,
      long deadline, int pollMs) throws Exception {
    localFoundAt = 0;
    List<String> keys = new ArrayList<>();
    for (long at : new long[] {lsn, Math.max(0, lsn - 1024)}) {
      String seg = segmentName(timeline, at);
      String partial = WalLayout.partialKey(base, seg);
      if (!keys.contains(partial)) {
        keys.add(partial);
        keys.add(WalLayout.segmentKey(base, seg));
      }
    }
    while (true) {
      long pollStart = System.nanoTime();
      if (localFoundAt == 0) {
        for (String key : keys) {
          String name = key.substring(key.lastIndexOf('/') + 1).replace(".gz", "");
          try {
            if (indexOf(Files.readAllBytes(spool.resolve(name)), marker) >= 0) {
              localFoundAt = pollStart;
              break;
            }
          } catch (java.nio.file.NoSuchFileException e) {
            // not (or no longer) there
          }
        }
      }
      for (String key : keys) {
        Optional<byte[]> gz = store.getBytes(key);
        if (gz.isEmpty() || Arrays.equals(gz.get(), lastSeen.get(key))) {
          continue;
        }
        lastSeen.put(key, gz.get());
        byte[] wal;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.get()), 1 << 16)) {
          wal = in.readAllBytes();
        }
        if (indexOf(wal, marker) >= 0) {
          lastFoundAt = pollStart;
          return Optional.of(key.substring(key.lastIndexOf('/') + 1));
        }
      }
      if (System.nanoTime() > deadline) {
        lastFoundAt = System.nanoTime();
        return Optional.empty();
      }
      Thread.sleep(pollMs);
    }
  }

  static String segmentName(long timeline, long lsn) {
    long seg = lsn / WalArchiver.SEGMENT_SIZE;
    long perId = 0x100000000L / WalArchiver.SEGMENT_SIZE;
    return String.format("%08X%08X%08X", timeline, seg / perId, seg % perId);
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      if (hay[i] != needle[0]) {
        continue;
      }
      for (int j = 1; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ------------------------------------------------------------------ SQL

  private String query(int port, String sql) throws IOException, SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres",
        secrets().getProperty("postgres.password"))) {
      return one(c, sql);
    }
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
