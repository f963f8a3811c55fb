// bench/FirstWrite.java — the first-write probe of bench/restore-bench.sh: one JVM, started before
// the timed steps, that both sides (pgBackRest + PostgreSQL, and pgherd) are measured with.
//
//   javac -d DIR -cp postgresql.jar bench/FirstWrite.java
//   java -cp DIR:postgresql.jar FirstWrite [--interval-ms 200]      (commands on stdin, answers on stdout)
//
// Each stdin line "PORT PASSWORD_FILE TIMEOUT_SECONDS [STATUS_FILE]" starts one probe of 127.0.0.1:PORT as user
// postgres, database postgres: every --interval-ms, a new connection (connectTimeout 2 s,
// loginTimeout 3 s, socketTimeout 5 s; sslmode prefer, as psql) runs
//   create table if not exists t(x int); insert into t values(1)
// in autocommit and closes. PASSWORD_FILE is read at each attempt (it may appear only after the
// probe started: a missing file is a failed attempt). Answers one line:
//   ok EPOCH_NANOS ATTEMPTS            the acknowledgement's arrival (client clock), attempts made
//   timeout ATTEMPTS LAST_ERROR        no write within TIMEOUT_SECONDS
//   failed RESTORE_STATUS              STATUS_FILE (a pgherd status JSON, read every 2 s) says
//                                      restore.state failed
// A line "quit" (or the end of stdin) ends it.
//
// Why not psql every 0.2 s, as this bench did before: a psql start and its SCRAM login cost this
// 2-core machine ~40 ms of CPU each, ~0.2 core for as long as the probe runs — during the whole
// pgherd restore, but only during the PostgreSQL recovery on the pgBackRest side. Here a failed
// attempt costs a refused or closed TCP connection and a login costs a few ms in a warm JVM. The
// status is read here too: a python3 start costs ~0.35 s of CPU on this machine.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.Properties;

public class FirstWrite {
  public static void main(String[] args) throws Exception {
    long intervalMs = 200;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--interval-ms") && i + 1 < args.length) {
        intervalMs = Long.parseLong(args[++i]);
      } else {
        System.err.println("usage: FirstWrite [--interval-ms N]");
        System.exit(64);
      }
    }
    Class.forName("org.postgresql.Driver");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.equals("quit")) {
        break;
      }
      String[] f = line.split("\\s+");
      if (f.length != 3 && f.length != 4) {
        System.out.println("error expected: PORT PASSWORD_FILE TIMEOUT_SECONDS [STATUS_FILE]");
        System.out.flush();
        continue;
      }
      System.out.println(probe(Integer.parseInt(f[0]), Path.of(f[1]), Long.parseLong(f[2]), intervalMs,
          f.length == 4 ? Path.of(f[3]) : null));
      System.out.flush();
    }
  }

  static String probe(int port, Path passwordFile, long timeoutSeconds, long intervalMs, Path statusFile)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    long statusAt = System.nanoTime() + 2_000_000_000L;
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    int attempts = 0;
    String last = "none";
    while (System.nanoTime() < deadline) {
      long next = System.nanoTime() + intervalMs * 1_000_000L;
      attempts++;
      try {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", Files.readString(passwordFile).strip());
        p.setProperty("connectTimeout", "2");
        p.setProperty("loginTimeout", "3");
        p.setProperty("socketTimeout", "5");
        p.setProperty("ApplicationName", "restore-bench-probe");
        try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement()) {
          s.execute("create table if not exists t(x int); insert into t values(1)");
        }
        Instant at = Instant.now();
        return "ok " + (at.getEpochSecond() * 1_000_000_000L + at.getNano()) + " " + attempts;
      } catch (Exception e) {
        last = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
      }
      if (statusFile != null && System.nanoTime() >= statusAt) {
        statusAt = System.nanoTime() + 2_000_000_000L;
        String failed = restoreFailed(statusFile);
        if (failed != null) {
          return "failed " + failed;
        }
      }
      long wait = (next - System.nanoTime()) / 1_000_000L;
      if (wait > 0) {
        Thread.sleep(wait);
      }
    }
    return "timeout " + attempts + " " + last;
  }

  /** status.restore (one line) when its state is failed; null otherwise or when unreadable. */
  static String restoreFailed(Path statusFile) {
    try {
      JsonNode s = new ObjectMapper().readTree(statusFile.toFile());
      JsonNode restore = (s.has("status") ? s.get("status") : s).path("restore");
      return "failed".equals(restore.path("state").asText()) ? restore.toString() : null;
    } catch (Exception e) {
      return null; // not written yet, or being replaced
    }
  }
}
