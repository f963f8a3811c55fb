package io.pgherd.it;

import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.S3ProxyServer;
import io.pgherd.store.Home;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The security pass (issue 7, docs/security.md): a two-member cluster archiving its WAL to a real
 * S3-compatible server, one base backup and two hostile restore points, then every place a secret
 * could leak is searched for the generated passwords and the S3 secret key — docker inspect, host
 * and container command lines (sampled while pg_receivewal, pg_basebackup and pg_waldump run), docker
 * logs, the operator's own log, every file of the home, status and logs output, the object names —
 * and the hardening is checked: modes of the home and its secrets, scram-sha-256 only, pg_hba,
 * loopback-only published ports. Each search first shows that it looks at non-empty data and that
 * it would find a secret that is there.
 */
class SecurityIT extends ArchivedClusterTestBase {
  /**
   * A restore point name that breaks naive quoting in SQL, postgresql.conf, a conninfo and a shell,
   * with spaces at either end (the planner once stripped them, and never found such a point).
   */
  static final String HOSTILE_POINT = " x'; drop table t; -- \\ \"q\" $(id) `id` %f ";

  SecurityIT() {
    super("sec", 16701, 16702, 2, "");
  }

  /** Everything the operator logs (io.pgherd at DEBUG, the rest at the configured levels), formatted. */
  static final List<String> operatorLog = Collections.synchronizedList(new ArrayList<>());
  static AppenderBase<ILoggingEvent> capture;
  static Level previousLevel;

  @Override
  @BeforeAll
  void startClusterAndOperator() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        String t = e.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
        operatorLog.add(e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage() + t);
      }
    };
    capture.setContext(ctx);
    capture.start();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
    Logger pgherd = ctx.getLogger("io.pgherd");
    previousLevel = pgherd.getLevel();
    pgherd.setLevel(Level.DEBUG);
    super.startClusterAndOperator();
  }

  @AfterAll
  static void stopCapture() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(capture);
    ctx.getLogger("io.pgherd").setLevel(previousLevel);
  }

  // ------------------------------------------------------------------ the secrets and the search

  String superuserPassword() throws Exception {
    return Files.readString(home.secretsDir(name).resolve(Home.SUPERUSER_PASSWORD)).strip();
  }

  String replicationPassword() throws Exception {
    return Files.readString(home.secretsDir(name).resolve(Home.REPLICATION_PASSWORD)).strip();
  }

  /** Each secret, with its halves (a secret cut or wrapped in two still leaks). */
  Map<String, List<String>> secrets;

  Map<String, List<String>> secrets() throws Exception {
    if (secrets != null) {
      return secrets;
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    out.put("superuser password", forms(superuserPassword()));
    out.put("replication password", forms(replicationPassword()));
    out.put("S3 secret key", forms(S3ProxyServer.SECRET_KEY));
    secrets = out;
    return out;
  }

  static List<String> forms(String secret) {
    assertThat(secret).hasSizeGreaterThanOrEqualTo(24);
    int half = secret.length() / 2;
    return List.of(secret, secret.substring(0, half), secret.substring(half));
  }

  /** Which secrets (or a half of one) occur in text. */
  List<String> leaks(String text) throws Exception {
    List<String> found = new ArrayList<>();
    for (var e : secrets().entrySet()) {
      if (e.getValue().stream().anyMatch(text::contains)) {
        found.add(e.getKey());
      }
    }
    return found;
  }

  /** Count of places searched, for the summary line. */
  final Map<String, Integer> searched = new ConcurrentHashMap<>();

  /** No secret in text, which is not empty (else the search proves nothing); counted under category. */
  void assertClean(String category, String where, String text) throws Exception {
    assertThat(text).as(category + " " + where + " is not empty").isNotBlank();
    List<String> found = leaks(text);
    assertThat(found).as("secrets in " + category + " " + where).isEmpty();
    searched.merge(category, 1, Integer::sum);
  }

  void assertClean(String category, String text) throws Exception {
    assertClean(category, "", text);
  }

  static String sh(String... command) throws Exception {
    ItSupport.Run run = ItSupport.run(null, List.of(command));
    assertThat(run.exitCode()).as(String.join(" ", command) + ": " + run.output()).isZero();
    return run.output();
  }

  // ------------------------------------------------------------------ sampling command lines

  /** Host processes seen (pid:cmdline), and the environment of pg_* processes of this user. */
  final Set<String> hostCmdlines = ConcurrentHashMap.newKeySet();
  final Map<String, String> pgEnvirons = new ConcurrentHashMap<>();
  /** The keys of pgEnvirons whose process is a child of this JVM (the in-process operator's and CLI's). */
  final Set<String> ourPgTools = ConcurrentHashMap.newKeySet();
  static final long SELF = ProcessHandle.current().pid();
  final Set<String> containerCmdlines = ConcurrentHashMap.newKeySet();

  void sampleHost() {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String pid = p.getFileName().toString();
        if (!pid.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
          if (cmd.isBlank() || !hostCmdlines.add(pid + ":" + cmd)) {
            continue;
          }
          if (cmd.startsWith("pg_") || cmd.contains("/pg_")) {
            pgEnvirons.put(pid + ":" + cmd, new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8)
                .replace('\0', '\n'));
            String stat = Files.readString(p.resolve("stat"));
            if (Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]) == SELF) {
              ourPgTools.add(pid + ":" + cmd);
            }
          }
        } catch (Exception gone) {
          // the process ended (or is another user's: no environ), keep sampling
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  void sampleContainers() throws Exception {
    for (String c : containers().keySet()) {
      ItSupport.Run run = ItSupport.run(null, List.of("docker", "exec", c, "sh", "-c",
          "for f in /proc/[0-9]*/cmdline; do cat \"$f\" 2>/dev/null; echo; done"));
      for (String line : run.output().split("\n")) {
        if (!line.isBlank()) {
          containerCmdlines.add(c + ": " + line.replace('\0', ' '));
        }
      }
    }
  }

  /** Runs body while a thread samples host command lines every few ms and container ones every second. */
  void sampling(ThrowingRunnable body) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread host = new Thread(() -> {
      while (!stop.get()) {
        sampleHost();
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "sec-host-sampler");
    Thread inside = new Thread(() -> {
      while (!stop.get()) {
        try {
          sampleContainers();
          Thread.sleep(2000);
        } catch (Exception e) {
          return;
        }
      }
    }, "sec-container-sampler");
    host.start();
    inside.start();
    try {
      body.run();
    } finally {
      stop.set(true);
      host.join();
      inside.join();
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  void awaitArchived() throws Exception {
    long written;
    try (Connection c = member(primary())) {
      written = Lsn.parse(column0(c, "select pg_current_wal_lsn()::text"));
    }
    await().atMost(ofSeconds(60)).untilAsserted(() -> {
      assertThat(status().getBackups().getArchiveError()).isNull();
      assertThat(status().getBackups().getArchivedLsn()).isNotNull();
      assertThat(Lsn.parse(status().getBackups().getArchivedLsn())).isGreaterThanOrEqualTo(written);
    });
  }

  /**
   * A pgherd command run as bin/pgherd would (the same Main, in this JVM: a JVM start per command
   * is seconds on a loaded machine), its standard output and error captured (the operator in this
   * JVM logs through logback, which keeps the stderr it started with); it must succeed.
   */
  String cliOut(String... args) throws Exception {
    synchronized (System.class) {
      java.io.PrintStream saved = System.out;
      java.io.PrintStream savedErr = System.err;
      java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
      int rc;
      try (java.io.PrintStream capture = new java.io.PrintStream(buf, true, StandardCharsets.UTF_8)) {
        System.setOut(capture);
        System.setErr(capture);
        rc = cli(args);
      } finally {
        System.setOut(saved);
        System.setErr(savedErr);
      }
      String out = buf.toString(StandardCharsets.UTF_8);
      System.out.println("[sec] pgherd " + String.join(" ", args) + ": exit " + rc + ", " + out.length() + " chars");
      assertThat(rc).as("pgherd " + String.join(" ", args) + ": " + out).isZero();
      return out;
    }
  }

  static String settingLine(String output) {
    return output.lines().filter(l -> l.strip().startsWith("recovery_target_name = ")).findFirst().orElseThrow()
        .strip() + "\n";
  }

  /** recovery_target_name as PostgreSQL reads it from a file holding that line (postgres -C, in a member). */
  String postgresReads(String confLine) throws Exception {
    String b64 = java.util.Base64.getEncoder().encodeToString(confLine.getBytes(StandardCharsets.UTF_8));
    String out = sh("docker", "exec", "-u", "postgres", Names.container(memberName(1)), "sh", "-c",
        "echo " + b64 + " | base64 -d > /tmp/sec-check.conf && postgres -D \"$PGDATA\""
            + " -c config_file=/tmp/sec-check.conf -C recovery_target_name");
    assertThat(out).endsWith("\n");
    return out.substring(0, out.length() - 1);
  }

  // ------------------------------------------------------------------ the tests

  @Test
  @Order(1)
  void theSearchFindsEachSecretWhereItIsStored() throws Exception {
    assertThat(superuserPassword()).isNotEqualTo(replicationPassword());
    assertThat(leaks(Files.readString(home.secretsDir(name).resolve(Home.SUPERUSER_PASSWORD))))
        .containsExactly("superuser password");
    assertThat(leaks(Files.readString(home.secretsDir(name).resolve(Home.REPLICATION_PASSWORD))))
        .containsExactly("replication password");
    assertThat(leaks(Files.readString(credentials))).containsExactly("S3 secret key");
    // and inside the member, where the entrypoint keeps its 0600 copies
    String inside = docker.exec(Names.container(memberName(1)), "cat", "/run/pgherd/pgpass");
    assertThat(leaks(inside)).containsExactlyInAnyOrder("superuser password", "replication password");
  }

  @Test
  @Order(2)
  void aBaseBackupAndHostileRestorePointsWhileEveryCommandLineIsSampled() throws Exception {
    sampling(() -> {
      String backup = cliOut("backup", name);
      assertThat(backup).contains("complete");
      assertClean("pgherd backup output", backup);
      try (Connection c = member(primary())) {
        c.createStatement().execute("create table t(n int)");
        // a few segments of WAL between the backup and the restore point, so the planner's pg_waldump
        // reads for long enough to be sampled (with two small segments it ran a few ms on a fast
        // machine and 30 dry runs could miss it)
        c.createStatement().execute("create table waldump_food as select g, md5(g::text) m from generate_series(1, 400000) g");
        try (PreparedStatement ps = c.prepareStatement("select pg_create_restore_point(?)::text")) {
          ps.setString(1, HOSTILE_POINT);
          ps.executeQuery().close();
        }
        c.createStatement().execute("insert into t values (1)");
        assertThat(column0(c, "select count(*)::text from t")).isEqualTo("1"); // nothing was dropped
      }
      awaitArchived();
      String dry = cliOut("restore", name, "--to-name", HOSTILE_POINT, "--dry-run");
      assertThat(dry).contains("would restore backup ", "to name " + HOSTILE_POINT,
          "recovery_target_name = ' x''; drop table t; -- \\\\ \"q\" $(id) `id` %f '");
      // PostgreSQL 15's own parser reads the printed setting back as the very name
      assertThat(postgresReads(settingLine(dry))).isEqualTo(HOSTILE_POINT);
      assertClean("pgherd restore --dry-run output", dry);
      // pg_waldump (a few small segments) may start and end between two samples 20 ms apart:
      // plan again until the sampler has seen it and its environment (bounded)
      for (int i = 0; i < 60 && !(ourPgTools.stream().anyMatch(k -> k.contains("pg_waldump"))
          && hostCmdlines.stream().anyMatch(c -> c.contains("pg_waldump") && c.contains("pgherd-restore-plan-"))); i++) {
        assertClean("pgherd restore --dry-run output", cliOut("restore", name, "--to-name", HOSTILE_POINT, "--dry-run"));
      }
    });
    // what was sampled: the operator's archiver and backup, the planner's pg_waldump, the members' walsenders
    // (other users of this machine run such tools too: these are ours, by home and member port)
    List<String> ports = containers().values().stream()
        .filter(c -> Names.COMPONENT_MEMBER.equals(c.label(Names.LABEL_COMPONENT)))
        .map(c -> c.publishedPorts().get(PostgresConf.PORT))
        .filter(java.util.Objects::nonNull).map(p -> "--port=" + p).toList();
    assertThat(ports).hasSize(2);
    assertThat(hostCmdlines).anyMatch(c -> c.contains("pg_receivewal") && c.contains(homeDir.toString())
        && c.contains("--slot=pgherd_archiver"));
    assertThat(hostCmdlines).anyMatch(c -> c.contains("pg_basebackup") && c.contains("--username=replicator")
        && ports.stream().anyMatch(c::contains));
    assertThat(hostCmdlines).anyMatch(c -> c.contains("pg_waldump") && c.contains("pgherd-restore-plan-"));
    assertThat(containerCmdlines).anyMatch(c -> c.contains("walsender replicator"));
    assertThat(containerCmdlines).anyMatch(c -> c.startsWith(Names.loadBalancer(name)) && c.contains("haproxy"));
    System.out.printf("[sec] sampled %d host and %d container command lines%n", hostCmdlines.size(),
        containerCmdlines.size());
  }

  @Test
  @Order(3)
  void noSecretInProcessCommandLinesOrTheEnvironmentOfThePgTools() throws Exception {
    assertThat(hostCmdlines).isNotEmpty();
    for (String c : hostCmdlines) {
      assertClean("host command line", c, c);
    }
    for (String c : containerCmdlines) {
      assertClean("container command line", c, c);
    }
    // the operator's pg_receivewal, pg_basebackup and pg_waldump: the password from a passfile, and
    // nothing of the operator's environment but what running a program needs (no S3 credentials)
    assertThat(ourPgTools).anyMatch(k -> k.contains("pg_receivewal")).anyMatch(k -> k.contains("pg_basebackup"))
        .anyMatch(k -> k.contains("pg_waldump"));
    // (PGSYSCONFDIR: set by Debian's pg_wrapper, /usr/bin/pg_basebackup, before it runs the real tool)
    Set<String> allowed = Set.of("PATH", "HOME", "LANG", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "PGPASSFILE", "PGAPPNAME",
        "PGCONNECT_TIMEOUT", "PGSYSCONFDIR");
    for (var e : pgEnvirons.entrySet()) {
      assertClean("pg tool environment", e.getKey(), e.getValue());
      if (ourPgTools.contains(e.getKey())) {
        List<String> names = e.getValue().lines().filter(l -> l.contains("=")).map(l -> l.substring(0, l.indexOf('=')))
            .toList();
        assertThat(names).as(e.getKey()).allMatch(n -> allowed.contains(n) || n.startsWith("LC_"));
        if (!e.getKey().contains("pg_waldump")) {
          assertThat(names).as(e.getKey()).contains("PGPASSFILE");
        }
      }
    }
  }

  @Test
  @Order(4)
  void noSecretInDockerInspectOrDockerLogs() throws Exception {
    Map<String, ?> all = containers();
    assertThat(all).containsKeys(Names.container(memberName(1)), Names.container(memberName(2)),
        Names.loadBalancer(name));
    for (String c : all.keySet()) {
      String inspect = sh("docker", "inspect", c);
      JsonNode j = Home.JSON.readTree(inspect).get(0);
      // the parts a secret could be put in, each looked at (env is never empty: PATH, PGDATA)
      assertThat(j.at("/Config/Env")).as(c + " env").isNotEmpty();
      assertThat(j.at("/Config/Labels").toString()).as(c + " labels").contains(Names.LABEL_CLUSTER);
      assertThat(j.at("/Config/Entrypoint").toString() + j.at("/Path") + j.at("/Args") + j.at("/Config/Cmd"))
          .as(c + " command").isNotBlank();
      assertClean("docker inspect", c, inspect);
      String logs = ItSupport.run(null, List.of("docker", "logs", c)).output();
      if (c.equals(Names.loadBalancer(name)) && logs.isBlank()) {
        System.out.println("[sec] docker logs " + c + " is empty");
        continue;
      }
      assertClean("docker logs", c, logs);
    }
    assertClean("docker network inspect", sh("docker", "network", "inspect", Names.network(name)));
    for (int n = 1; n <= 2; n++) {
      assertClean("docker volume inspect", Names.volume(memberName(n)), sh("docker", "volume", "inspect", Names.volume(memberName(n))));
    }
    // members log what they did: the entrypoint's steps are there
    assertThat(ItSupport.run(null, List.of("docker", "logs", Names.container(memberName(2)))).output())
        .contains("pg_basebackup", "pgherd-entrypoint");
  }

  @Test
  @Order(5)
  void noSecretInTheOperatorsLogTheHomeStatusLogsOrTheObjectStore() throws Exception {
    String log;
    synchronized (operatorLog) {
      log = String.join("\n", operatorLog);
    }
    assertThat(log).contains("create-member", "backup-complete");
    assertClean("operator log", log);

    // every file of the home but the secret stores themselves (and those hold what they should)
    int files = 0;
    try (Stream<Path> walk = Files.walk(homeDir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        String rel = homeDir.relativize(f).toString();
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        if (rel.startsWith("secrets/")) {
          continue;
        }
        if (f.getFileName().toString().equals("pgpass")) {
          assertThat(leaks(text)).as(rel).containsExactly("replication password");
          continue;
        }
        if (!text.isEmpty()) {
          assertClean("home file", rel, text);
          files++;
        }
      }
    }
    assertThat(files).as("files searched in the home").isGreaterThan(3);
    assertThat(io.pgherd.store.ClusterLog.readAll(home, name)).contains("create-member");

    for (String[] cmd : List.of(new String[] {"status", name, "-o", "json"}, new String[] {"status", name, "-o", "yaml"},
        new String[] {"status", name}, new String[] {"get", name, "-o", "yaml"}, new String[] {"logs", name},
        new String[] {"backups", name, "-o", "json"})) {
      assertClean("pgherd output", String.join(" ", cmd), cliOut(cmd));
    }

    List<String> keys = s3.keys(BUCKET, "");
    assertThat(keys).anyMatch(k -> k.endsWith(".gz")).anyMatch(k -> k.endsWith("base.tar.zst"));
    assertClean("object names", String.join("\n", keys));
    try (ObjectStore st = store()) {
      for (String k : keys) {
        if (k.endsWith(".json")) {
          assertClean("object content", k, new String(st.getBytes(k.substring("it/".length())).orElseThrow(),
              StandardCharsets.UTF_8));
        }
      }
    }
    System.out.println("[sec] searched for secrets: " + searched);
  }

  @Test
  @Order(6)
  void theHomeAndItsSecretsArePrivate() throws Exception {
    assertThat(mode(homeDir)).as("home " + homeDir).isEqualTo("rwx------");
    assertThat(mode(home.secretsDir(name).getParent())).isEqualTo("rwx------");
    assertThat(mode(home.secretsDir(name))).isEqualTo("rwx------");
    List<Path> secretFiles;
    try (Stream<Path> s = Files.list(home.secretsDir(name))) {
      secretFiles = s.toList();
    }
    // the passwords; the cluster's CA and, for the member agents' API, each agent's certificate and
    // key and the operator's client certificate and key (made whether or not spec.tls is on)
    List<String> expected = new java.util.ArrayList<>(List.of(Home.SUPERUSER_PASSWORD, Home.REPLICATION_PASSWORD,
        "tls-ca.crt", "tls-ca.key", "agent-client.crt", "agent-client.key"));
    for (int i = 1; i <= instances; i++) {
      expected.add("agent-" + memberName(i) + ".crt");
      expected.add("agent-" + memberName(i) + ".key");
    }
    expected.add("agent-" + name + "-lb.crt"); // the load balancer's agent
    expected.add("agent-" + name + "-lb.key");
    assertThat(secretFiles).extracting(f -> f.getFileName().toString()).containsExactlyInAnyOrderElementsOf(expected);
    for (Path f : secretFiles) {
      assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------");
    }
    List<Path> pgpass;
    try (Stream<Path> s = Files.walk(homeDir)) {
      pgpass = s.filter(p -> p.getFileName().toString().equals("pgpass")).toList();
    }
    assertThat(pgpass).as("the archiver's and the backups' passfiles").hasSizeGreaterThanOrEqualTo(2);
    for (Path f : pgpass) {
      assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------");
      assertThat(mode(f.getParent())).as(f.getParent().toString()).isEqualTo("rwx------");
    }
    // inside a member: the operator's copies and the entrypoint's, readable by postgres only
    String c = Names.container(memberName(1));
    String modes = docker.exec(c, "stat", "-c", "%a %U %n", PostgresConf.SECRETS_DIR + "/" + Home.SUPERUSER_PASSWORD,
        PostgresConf.SECRETS_DIR + "/" + Home.REPLICATION_PASSWORD, "/run/pgherd", "/run/pgherd/pgpass",
        "/run/pgherd/superuser-password", "/run/pgherd/replication-password");
    assertThat(modes.lines().toList()).hasSize(6).allMatch(l -> l.startsWith("600 ") || l.startsWith("700 "));
  }

  static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  @Order(7)
  void scramOnlyAndPgHbaAdmitsOnlyTheClusterNetwork() throws Exception {
    for (int n = 1; n <= 2; n++) {
      try (Connection c = member(memberName(n))) {
        assertThat(column0(c, "show password_encryption")).isEqualTo("scram-sha-256");
        Map<String, String> roles = new LinkedHashMap<>();
        try (ResultSet rs = c.createStatement().executeQuery(
            "select rolname, rolpassword from pg_authid where rolpassword is not null")) {
          while (rs.next()) {
            roles.put(rs.getString(1), rs.getString(2));
          }
        }
        assertThat(roles).containsOnlyKeys("postgres", "replicator");
        assertThat(roles.values()).allMatch(p -> p.startsWith("SCRAM-SHA-256$"));
        // what the server loaded (pg_hba_file_rules), not only what the file says
        List<String> rules = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery("select type, array_to_string(database, ','),"
            + " array_to_string(user_name, ','), coalesce(address, ''), coalesce(netmask, ''), auth_method, error"
            + " from pg_hba_file_rules order by line_number")) {
          while (rs.next()) {
            assertThat(rs.getString(7)).as("pg_hba error").isNull();
            rules.add(String.join(" ", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6)).replaceAll(" +", " "));
          }
        }
        assertThat(rules).as("pg_hba of " + memberName(n)).containsExactly(
            "local all all peer",
            "host replication replicator samenet scram-sha-256",
            "host all all samenet scram-sha-256");
      }
      String hba = new String(docker.readFile(Names.container(memberName(n)), PostgresConf.HBA_PATH).orElseThrow(),
          StandardCharsets.UTF_8);
      for (String line : hba.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
        assertThat(line).doesNotContain("trust", "0.0.0.0", "::/0");
        if (line.startsWith("host")) {
          assertThat(line.split("\\s+")[3]).as(line).isEqualTo("samenet");
        }
      }
    }
    // samenet is the cluster network (and the host's gateway on it): the subnet Docker gave it
    JsonNode net = Home.JSON.readTree(sh("docker", "network", "inspect", Names.network(name))).get(0);
    assertThat(net.at("/IPAM/Config/0/Subnet").asText()).isNotBlank();
    assertThat(net.at("/Internal").asBoolean()).isFalse();
  }

  @Test
  @Order(8)
  void publishedPortsBindToLoopbackOnly() throws Exception {
    Map<String, List<String>> bindings = new LinkedHashMap<>();
    for (String c : containers().keySet()) {
      JsonNode j = Home.JSON.readTree(sh("docker", "inspect", c)).get(0);
      j.at("/HostConfig/PortBindings").fields().forEachRemaining(e -> e.getValue().forEach(b ->
          bindings.computeIfAbsent(c, k -> new ArrayList<>()).add(e.getKey() + "->" + b.get("HostIp").asText() + ":"
              + b.get("HostPort").asText())));
      j.at("/NetworkSettings/Ports").fields().forEachRemaining(e -> {
        if (e.getValue().isArray()) {
          e.getValue().forEach(b -> assertThat(b.get("HostIp").asText()).as(c + " " + e.getKey()).isEqualTo("127.0.0.1"));
        }
      });
    }
    assertThat(bindings.get(Names.loadBalancer(name))).hasSize(3)
        .contains("5432/tcp->127.0.0.1:" + rw, "5433/tcp->127.0.0.1:" + ro)
        .anyMatch(b -> b.startsWith("8009/tcp->127.0.0.1:")); // its agent, on an ephemeral loopback port
    assertThat(bindings.values()).allSatisfy(l -> assertThat(l).allMatch(b -> b.contains("->127.0.0.1:")));
    assertThat(bindings).containsKeys(Names.container(memberName(1)), Names.container(memberName(2)));
    System.out.println("[sec] published ports: " + bindings);
  }
}
