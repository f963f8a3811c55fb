package io.pgherd.bench;

import io.pgherd.api.MemberStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.docker.DockerGateway;
import io.pgherd.model.HaproxyConf;
import io.pgherd.model.Names;
import io.pgherd.store.Home;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A bounded chaos run (bench/chaos.sh): a three-member cluster under a write workload that records
 * every acknowledged commit and a read workload on the read-only port; one fault at a time, chosen
 * at random (fixed seed), then convergence awaited and the invariants checked. Stops by itself
 * after --cycles faults or --max-seconds. Prints one line per cycle and a table per fault kind.
 *
 * <p>Invariants, checked after each cycle and independently of pgherd's own status where it
 * matters (direct SQL on every member through its published port, HAProxy's own stats):
 * <ul>
 *   <li>every acknowledged write is on the primary (sync: none may be lost; async: the loss is
 *       counted and printed);</li>
 *   <li>never two writable servers behind the read-write port: at every sample (every ~2 s,
 *       HAProxy's show stat + pg_is_in_recovery of each UP server), at most one writable server
 *       UP in the rw listener; and the writes acknowledged through it never alternate between two
 *       servers (A, B, A);</li>
 *   <li>every replica streams from the one primary, on its timeline;</li>
 *   <li>the primary's slots are exactly one per replica plus the archiver's;</li>
 *   <li>the WAL archive has no gap: `pgherd restore --dry-run` (latest) plans from the base backup
 *       taken at the start through to the end of the archive.</li>
 * </ul>
 */
public final class Chaos {
  static final List<String> FAULTS = List.of("kill-primary", "kill-replica", "pause-primary", "disconnect-primary",
      "kill-lb", "kill-operator", "stop-start-replica");

  final Path home;
  final Path jar;
  final String cluster;
  final int cycles;
  final long seed;
  final boolean sync;
  final Duration convergeTimeout;
  final long deadlineNanos;
  final int rwPort;
  final int roPort;
  final List<String> faults;
  final Home h;
  final DockerGateway docker = DockerGateway.connect();
  final Random random;
  Process operator;

  // the workloads
  final AtomicBoolean running = new AtomicBoolean(true);
  final AtomicLong nextSeq = new AtomicLong(1);
  /** Acknowledged writes, in ack order. */
  final ConcurrentLinkedQueue<long[]> acked = new ConcurrentLinkedQueue<>();
  /** seq → "server-address timeline-hex" of the server that acknowledged it. */
  final Map<Long, String> ackServer = Collections.synchronizedMap(new TreeMap<>());
  final AtomicLong lastAckNanos = new AtomicLong();
  final AtomicLong writeErrors = new AtomicLong();
  final AtomicLong reads = new AtomicLong();
  final AtomicLong readErrors = new AtomicLong();
  final AtomicLong splitSamples = new AtomicLong();
  final AtomicLong samples = new AtomicLong();
  final List<String> splitEvidence = Collections.synchronizedList(new ArrayList<>());

  Chaos(Map<String, String> a) {
    home = Path.of(a.get("--home")).toAbsolutePath();
    jar = Path.of(a.get("--jar")).toAbsolutePath();
    cluster = a.getOrDefault("--cluster", "chaos");
    cycles = Integer.parseInt(a.getOrDefault("--cycles", "20"));
    seed = Long.parseLong(a.getOrDefault("--seed", "1"));
    sync = a.getOrDefault("--mode", "sync").equals("sync");
    convergeTimeout = Duration.ofSeconds(Long.parseLong(a.getOrDefault("--converge-timeout", "180")));
    deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(a.getOrDefault("--max-seconds", "3000")));
    rwPort = Integer.parseInt(a.getOrDefault("--rw-port", "16932"));
    roPort = Integer.parseInt(a.getOrDefault("--ro-port", "16933"));
    faults = a.containsKey("--faults") ? List.of(a.get("--faults").split(",")) : FAULTS;
    for (String f : faults) {
      if (!FAULTS.contains(f)) {
        throw new IllegalArgumentException("unknown fault " + f + "; known: " + FAULTS);
      }
    }
    if (cycles < 1 || cycles > 500) {
      throw new IllegalArgumentException("--cycles must be 1..500");
    }
    h = new Home(home);
    random = new Random(seed);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i], args[i + 1]);
    }
    Chaos c = new Chaos(a);
    int code;
    try {
      code = c.run();
    } finally {
      c.stopOperator();
    }
    System.exit(code);
  }

  record Cycle(int n, String fault, String detail, double convergeSeconds, long lost, List<String> violations) {}

  int run() throws Exception {
    log("chaos: cluster " + cluster + ", " + cycles + " cycles, seed " + seed + ", " + (sync ? "sync" : "async")
        + " replication, faults " + faults + ", home " + home);
    Files.createDirectories(home);
    Path spec = home.resolve("chaos.yaml");
    Files.writeString(spec, """
        apiVersion: pgherd.io/v1
        kind: PostgresCluster
        metadata:
          name: %s
        spec:
          instances: 3
          loadBalancer: { bindAddress: 127.0.0.1, readWritePort: %d, readOnlyPort: %d }
          replication: { mode: %s }
          backup:
            objectStore: { filesystem: { path: %s } }
        """.formatted(cluster, rwPort, roPort, sync ? "sync" : "async", home.resolve("store")));
    check(cli("apply", "-f", spec.toString()), "apply");
    startOperator();
    Instant t0 = Instant.now();
    awaitConverged(Duration.ofMinutes(10), false);
    log("chaos: Healthy with 3 members in " + Duration.between(t0, Instant.now()).toSeconds() + " s");
    try (Connection c = connect(rwPort, 5)) {
      c.createStatement().execute("create table if not exists chaos (seq bigint primary key, at timestamptz default now())");
    }
    check(cli("backup", cluster), "base backup");
    List<Thread> threads = List.of(new Thread(this::writer, "writer"), new Thread(this::reader, "reader"),
        new Thread(this::sampler, "sampler"));
    threads.forEach(t -> {
      t.setDaemon(true);
      t.start();
    });
    Thread.sleep(3000);
    List<Cycle> done = new ArrayList<>();
    long lostBefore = 0;
    for (int n = 1; n <= cycles && System.nanoTime() < deadlineNanos; n++) {
      String fault = faults.get(random.nextInt(faults.size()));
      long splitBefore = splitSamples.get();
      long injected = System.nanoTime();
      String detail = inject(fault);
      Optional<String> notConverged = awaitConverged(convergeTimeout, true, injected);
      double secs = (System.nanoTime() - injected) / 1e9;
      List<String> violations = new ArrayList<>();
      notConverged.ifPresent(why -> violations.add("not converged within " + convergeTimeout.toSeconds() + " s: " + why));
      long lost = lostWrites();
      if (lost < 0) {
        violations.add("could not read the acknowledged writes back");
      }
      long newlyLost = Math.max(0, lost - lostBefore);
      lostBefore = Math.max(lostBefore, lost);
      if (sync && newlyLost > 0) {
        violations.add(newlyLost + " acknowledged writes lost in sync mode");
      }
      if (splitSamples.get() > splitBefore) {
        violations.add((splitSamples.get() - splitBefore) + " samples with two writable servers behind the rw port");
      }
      if (notConverged.isEmpty()) {
        violations.addAll(invariants());
      }
      Cycle c = new Cycle(n, fault, detail, secs, newlyLost, violations);
      done.add(c);
      log(String.format("cycle %2d %-19s %-28s converged %6.1f s  lost %d  %s", n, fault, detail, secs, newlyLost,
          violations.isEmpty() ? "ok" : "VIOLATIONS " + violations));
      Thread.sleep(2000);
    }
    running.set(false);
    for (Thread t : threads) {
      t.join(10_000);
    }
    List<String> alternation = alternation();
    print(done, alternation);
    boolean ok = done.stream().allMatch(c -> c.violations().isEmpty()) && alternation.isEmpty();
    return ok ? 0 : 1;
  }

  // ---------------------------------------------------------------- faults

  String inject(String fault) throws Exception {
    PostgresClusterStatus s = h.readStatus(cluster).orElseThrow();
    String primary = s.getPrimary();
    List<String> replicas = s.getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(primary)).toList();
    String replica = replicas.isEmpty() ? primary : replicas.get(random.nextInt(replicas.size()));
    switch (fault) {
      case "kill-primary" -> docker("kill", Names.container(primary));
      case "kill-replica" -> docker("kill", Names.container(replica));
      case "pause-primary" -> {
        docker("pause", Names.container(primary));
        Thread.sleep(20_000); // longer than failure detection: a frozen primary, then it thaws
        docker("unpause", Names.container(primary)); // may fail: fenced (killed) meanwhile
        return primary + " for 20 s";
      }
      case "disconnect-primary" -> docker("network", "disconnect", Names.network(cluster), Names.container(primary));
      case "kill-lb" -> docker("kill", Names.loadBalancer(cluster));
      case "kill-operator" -> {
        operator.destroyForcibly().waitFor();
        Thread.sleep(3000);
        startOperator();
        return "SIGKILL, restarted after 3 s";
      }
      case "stop-start-replica" -> {
        docker("stop", "-t", "10", Names.container(replica));
        Thread.sleep(5000);
        docker("start", Names.container(replica));
        return replica + " (5 s stopped)";
      }
      default -> throw new IllegalArgumentException(fault);
    }
    return fault.endsWith("lb") ? Names.loadBalancer(cluster) : fault.contains("replica") ? replica : primary;
  }

  // ---------------------------------------------------------------- convergence and invariants

  Optional<String> awaitConverged(Duration limit, boolean needWrite, long... since) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    String why = "";
    while (System.nanoTime() < deadline) {
      why = notConvergedWhy(needWrite ? since[0] : 0);
      if (why == null) {
        return Optional.empty();
      }
      Thread.sleep(1000);
    }
    if (!needWrite) {
      throw new IllegalStateException("the cluster did not become Healthy: " + why);
    }
    return Optional.of(why);
  }

  /** Null when converged: Healthy, three members, the status's primary the state's, streaming everywhere, a write acked since. */
  String notConvergedWhy(long writeSince) {
    Optional<PostgresClusterStatus> s = h.readStatus(cluster);
    if (s.isEmpty() || !"Healthy".equals(s.get().getPhase()) || s.get().getMembers() == null
        || s.get().getMembers().size() != 3) {
      return "status " + s.map(x -> x.getPhase() + ": " + x.getMessage()).orElse("none");
    }
    if (writeSince != 0 && lastAckNanos.get() < writeSince) {
      return "no write acknowledged since the fault";
    }
    List<String> broken = streaming(s.get());
    return broken.isEmpty() ? null : String.join("; ", broken);
  }

  /** Every replica streams from the primary on its timeline (from the members themselves). */
  List<String> streaming(PostgresClusterStatus s) {
    List<String> out = new ArrayList<>();
    String primary = s.getPrimary();
    Map<String, ContainerInfo> containers = members();
    try (Connection p = member(containers.get(primary))) {
      if (p == null) {
        return List.of("primary " + primary + " unreachable");
      }
      if (one(p, "select pg_is_in_recovery()::text").equals("true")) {
        return List.of("primary " + primary + " is in recovery");
      }
      Set<String> streamingFrom = new TreeSet<>(all(p, "select application_name from pg_stat_replication where state = 'streaming'"));
      for (MemberStatus m : s.getMembers()) {
        if (m.getName().equals(primary)) {
          continue;
        }
        if (!streamingFrom.contains(m.getName())) {
          out.add(m.getName() + " not streaming from " + primary);
          continue;
        }
        try (Connection r = member(containers.get(m.getName()))) {
          if (r == null) {
            out.add(m.getName() + " unreachable");
            continue;
          }
          String st = one(r, "select coalesce((select status || ' ' || received_tli from pg_stat_wal_receiver), 'none')");
          if (!st.startsWith("streaming ")) {
            out.add(m.getName() + " receiver " + st);
          }
        }
      }
    } catch (SQLException e) {
      out.add(e.getMessage());
    }
    return out;
  }

  List<String> invariants() throws Exception {
    List<String> out = new ArrayList<>();
    PostgresClusterStatus s = h.readStatus(cluster).orElseThrow();
    Map<String, ContainerInfo> containers = members();
    Set<String> expected = new TreeSet<>();
    s.getMembers().stream().map(MemberStatus::getName).filter(m -> !m.equals(s.getPrimary()))
        .forEach(m -> expected.add(Names.slot(m)));
    expected.add("pgherd_archiver");
    try (Connection p = member(containers.get(s.getPrimary()))) {
      if (p == null) {
        return List.of("primary " + s.getPrimary() + " unreachable after convergence");
      }
      Set<String> slots = new TreeSet<>(all(p, "select slot_name from pg_replication_slots"));
      if (!slots.equals(expected)) {
        out.add("slots on " + s.getPrimary() + " " + slots + ", expected " + expected);
      }
    }
    // writable members: exactly the primary
    for (var e : containers.entrySet()) {
      try (Connection c = member(e.getValue())) {
        if (c != null && !e.getKey().equals(s.getPrimary()) && one(c, "select pg_is_in_recovery()::text").equals("false")) {
          out.add(e.getKey() + " accepts writes besides the primary " + s.getPrimary());
        }
      } catch (SQLException ex) {
        // a member that does not answer is not writable
      }
    }
    Run dry = cli("restore", cluster, "--dry-run");
    if (dry.code() != 0) {
      out.add("WAL archive: restore --dry-run refused: " + dry.output().strip());
    }
    return out;
  }

  /** Acknowledged writes missing on the primary now (-1: could not read them). */
  long lostWrites() {
    List<Long> seqs = acked.stream().map(x -> x[0]).toList();
    if (seqs.isEmpty()) {
      return 0;
    }
    for (int attempt = 0; attempt < 10; attempt++) {
      try (Connection c = connect(rwPort, 5)) {
        Set<Long> present = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("select seq from chaos where seq = any(?)")) {
          ps.setArray(1, c.createArrayOf("bigint", seqs.toArray()));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              present.add(rs.getLong(1));
            }
          }
        }
        return seqs.stream().filter(x -> !present.contains(x)).count();
      } catch (SQLException e) {
        sleep(1000);
      }
    }
    return -1;
  }

  /**
   * Two writable servers leave a trace in the acknowledged writes (one writer, so seq order is ack
   * order): the timeline they were written on never goes down, and each timeline is one server's.
   */
  List<String> alternation() {
    List<String> out = new ArrayList<>();
    Map<Long, String> serverOfTimeline = new TreeMap<>();
    long lastTli = 0;
    synchronized (ackServer) {
      for (var e : ackServer.entrySet()) {
        String[] srvTli = e.getValue().split(" ");
        long tli = Long.parseLong(srvTli[1], 16);
        if (tli < lastTli) {
          out.add("write " + e.getKey() + " acknowledged by " + srvTli[0] + " on timeline " + tli + " after timeline " + lastTli);
        }
        lastTli = Math.max(lastTli, tli);
        String before = serverOfTimeline.putIfAbsent(tli, srvTli[0]);
        if (before != null && !before.equals(srvTli[0])) {
          out.add("timeline " + tli + " written on both " + before + " and " + srvTli[0] + " (write " + e.getKey() + ")");
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- workloads

  void writer() {
    Connection c = null;
    while (running.get()) {
      long seq = nextSeq.getAndIncrement();
      try {
        if (c == null) {
          c = connect(rwPort, 3);
        }
        try (PreparedStatement ps = c.prepareStatement("insert into chaos(seq) values (?) returning inet_server_addr()::text || ' '"
            + " || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")) {
          ps.setLong(1, seq);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            acked.add(new long[] {seq});
            ackServer.put(seq, rs.getString(1));
            lastAckNanos.set(System.nanoTime());
          }
        }
        sleep(20);
      } catch (SQLException e) {
        writeErrors.incrementAndGet();
        close(c);
        c = null;
        sleep(100);
      }
    }
    close(c);
  }

  void reader() {
    Connection c = null;
    while (running.get()) {
      try {
        if (c == null) {
          c = connect(roPort, 3);
        }
        one(c, "select count(*) from pg_stat_activity");
        reads.incrementAndGet();
        sleep(50);
      } catch (SQLException e) {
        readErrors.incrementAndGet();
        close(c);
        c = null;
        sleep(200);
      }
    }
    close(c);
  }

  /** Every ~2 s: the servers HAProxy has UP in the rw listener, each asked whether it accepts writes. */
  void sampler() {
    while (running.get()) {
      try {
        Optional<ContainerInfo> lb = docker.container(Names.loadBalancer(cluster)).filter(ContainerInfo::running);
        if (lb.isPresent()) {
          String csv = docker.exec(lb.get().id(), "sh", "-c", "echo '" + HaproxyConf.SHOW_STAT + "' | socat -t 2 stdio unix-connect:/run/haproxy/admin.sock");
          List<String[]> rw = HaproxyConf.parseStat(csv).getOrDefault("rw", List.of());
          Map<String, ContainerInfo> containers = members();
          List<String> writable = new ArrayList<>();
          for (String[] server : rw) {
            if (!server[1].startsWith("UP")) {
              continue;
            }
            try (Connection m = member(containers.get(server[0]))) {
              if (m != null && one(m, "select pg_is_in_recovery()::text").equals("false")) {
                writable.add(server[0]);
              }
            } catch (SQLException e) {
              // not answering: not writable
            }
          }
          samples.incrementAndGet();
          if (writable.size() > 1) {
            splitSamples.incrementAndGet();
            splitEvidence.add(Instant.now() + " " + writable);
          }
        }
      } catch (RuntimeException e) {
        // the load balancer being replaced: the next sample
      }
      sleep(2000);
    }
  }

  // ---------------------------------------------------------------- report

  void print(List<Cycle> done, List<String> alternation) {
    System.out.println();
    System.out.printf("chaos run: %d cycles, seed %d, %s replication; %d writes acknowledged (%d write errors), "
        + "%d reads (%d read errors), %d rw-port samples (%d with two writable servers)%n", done.size(), seed,
        sync ? "sync" : "async", acked.size(), writeErrors.get(), reads.get(), readErrors.get(), samples.get(),
        splitSamples.get());
    System.out.printf("%-19s %6s %12s %12s %11s %10s%n", "fault", "cycles", "converge med", "converge max",
        "writes lost", "violations");
    Map<String, List<Cycle>> byKind = done.stream().collect(Collectors.groupingBy(Cycle::fault, TreeMap::new, Collectors.toList()));
    for (var e : byKind.entrySet()) {
      List<Double> t = e.getValue().stream().map(Cycle::convergeSeconds).sorted().toList();
      System.out.printf("%-19s %6d %10.1f s %10.1f s %11d %10d%n", e.getKey(), t.size(), t.get(t.size() / 2),
          t.get(t.size() - 1), e.getValue().stream().mapToLong(Cycle::lost).sum(),
          e.getValue().stream().mapToLong(c -> c.violations().size()).sum());
    }
    if (!alternation.isEmpty()) {
      alternation.forEach(x -> System.out.println("two writable servers (from the acknowledged writes): " + x));
    }
    splitEvidence.forEach(x -> System.out.println("two writable servers behind the rw port: " + x));
    System.out.println("(converge = from the fault's injection until Healthy with 3 members, every replica streaming "
        + "from the primary and a write acknowledged through the rw port again; writes lost = acknowledged inserts "
        + "missing on the primary afterwards)");
  }

  // ---------------------------------------------------------------- plumbing

  void startOperator() throws IOException {
    ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.toString(), "operator", "--home", home.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("operator.log").toFile()));
    operator = pb.start();
  }

  void stopOperator() {
    if (operator != null && operator.isAlive()) {
      operator.destroy();
      try {
        operator.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      operator.destroyForcibly();
    }
  }

  record Run(int code, String output) {}

  Run cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--home", home.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Run(-1, out + "\n(timed out)");
    }
    return new Run(p.exitValue(), out);
  }

  static void check(Run r, String what) {
    if (r.code() != 0) {
      throw new IllegalStateException(what + " failed (exit " + r.code() + "): " + r.output());
    }
  }

  void docker(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    if (p.exitValue() != 0) {
      log("  (docker " + String.join(" ", args) + ": " + out.strip() + ")");
    }
  }

  Map<String, ContainerInfo> members() {
    Map<String, ContainerInfo> out = new TreeMap<>();
    for (ContainerInfo c : docker.containers(Names.LABEL_CLUSTER, cluster)) {
      String m = c.label(Names.LABEL_MEMBER);
      if (m != null && Names.COMPONENT_MEMBER.equals(c.label(Names.LABEL_COMPONENT))) {
        out.put(m, c);
      }
    }
    return out;
  }

  /** A superuser connection to a member through its published port; null when it publishes none. */
  Connection member(ContainerInfo c) throws SQLException {
    if (c == null || !c.running() || c.publishedPorts().get(5432) == null) {
      return null;
    }
    return connect(c.publishedPorts().get(5432), 2);
  }

  Connection connect(int port, int timeoutSeconds) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", h.secrets().secret(cluster, Home.SUPERUSER_PASSWORD));
    p.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
    p.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
    p.setProperty("socketTimeout", Integer.toString(timeoutSeconds + 3));
    p.setProperty("ApplicationName", "pgherd-chaos");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
  }

  static String one(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  static List<String> all(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // closing a broken connection
      }
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void log(String s) {
    System.out.println(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " " + s);
  }
}
