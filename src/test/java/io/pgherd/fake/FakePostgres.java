package io.pgherd.fake;

import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The PostgreSQL of a {@link FakeEngine}'s member containers, and the reconciler's
 * {@link Instance.Connector}: {@code connect(127.0.0.1, port, ...)} reaches whichever running
 * container publishes {@code port} for 5432, as {@code MemberAccess.ports()} expects.
 *
 * <p>What it simulates, after {@code operator/postgres/entrypoint.sh}: a member reads the
 * member.env copied in; {@code initdb} makes a new data directory (new system identifier,
 * timeline 1) and a primary; {@code clone} waits until the primary named in member.env accepts
 * connections, then copies it through its slot (refused when the slot does not exist, and the
 * container exits 1) into a standby; data without standby.signal told {@code clone} is a former
 * primary, rewound onto the primary's timeline ("rejoin: pg_rewind succeeded"; re-cloned when it
 * is another database system). Data lives on the volume, so a new container on an old volume
 * keeps it. A standby streams from the host in its postgresql.conf's primary_conninfo, through
 * primary_slot_name, when that host runs a primary of the same system with that slot and the
 * standby can follow its timeline (it switches timelines through the history, as
 * recovery_target_timeline=latest does); it then shows in the primary's pg_stat_replication with a
 * lag and its slot is active. A promoted standby goes to timeline+1 (history written). Fast
 * shutdown (SIGINT/SIGTERM, docker stop) writes a shutdown checkpoint into pg_control, sends the
 * WAL up to it to the connected standbys and exits the container; a kill leaves pg_control "in
 * production". pg_control is served as PostgreSQL 15 bytes (with its CRC) to readFile.
 *
 * <p>LSNs move deterministically: a primary writes 0x100 bytes per simulated step (a step is one
 * label listing of the engine), a checkpoint record is 0x68 bytes; standbys receive all of it at
 * each step, minus the {@link #lagBehind} of that member.
 *
 * <p>Not simulated: restore mode (the entrypoint fails), TLS, synchronous replication (every
 * standby is "async"), cascading replication, pending restarts, base backups, passwords other
 * than the superuser's, sessions and data.
 *
 * <p>Switches: {@link #hang} (SQL blocks, then "timeout"), {@link #lagBehind},
 * {@link #promoteByHand} (a second writable member).
 */
public final class FakePostgres implements Instance.Connector {
  public static final String DATA_DIR = "/var/lib/postgresql/data";
  public static final String PGDATA = DATA_DIR + "/pgdata";
  public static final String PG_CONTROL = PGDATA + "/global/pg_control";
  static final long FIRST_LSN = 0x3000028L;
  static final long WRITES_PER_STEP = 0x100;
  static final long CHECKPOINT_RECORD = 0x68;
  /** How long SQL to a paused (frozen) member blocks before it times out. */
  static final Duration PAUSED_TIMEOUT = Duration.ofMillis(20);
  static final int SHUT_DOWN = 1;
  static final int SHUT_DOWN_IN_RECOVERY = 2;
  static final int IN_ARCHIVE_RECOVERY = 5;
  static final int IN_PRODUCTION = 6;

  /** One data directory (what a member's volume holds). */
  static final class Data {
    boolean initialized;
    long systemId;
    int timeline = 1;
    /** The timeline history file's content of the current timeline ("" on timeline 1). */
    String history = "";
    /** A primary's insert position; a standby's received (and replayed) position. */
    long lsn;
    boolean standby;
    /** Physical slots: name → restart_lsn. */
    final Map<String, Long> slots = new TreeMap<>();
    int controlState;
    /** The last checkpoint's (a standby: restartpoint's) redo point. */
    long checkpointLsn;
    /** WAL before this has been removed (a checkpoint removes what neither it nor a slot needs). */
    long oldestWal;
  }

  enum Phase { WAITING, UP, SHUTTING_DOWN }

  /** The member's processes while its container runs: the entrypoint, then the postmaster. */
  final class Server {
    final FakeContainer container;
    final String member;
    final Data data;
    final Map<String, String> env;
    Phase phase = Phase.WAITING;
    boolean waitSaid;
    /** primary_conninfo's host and primary_slot_name, as last read. */
    String upstream;
    String slot;
    boolean receiving;
    Server sender;
    String lastError;
    /**
     * WAL a primary sent at its shutdown that this standby has not flushed yet: flushed at the next
     * simulated step, or seen by the second {@code receivedLsn()} after the shutdown (the first
     * still sees the position before it), so that a promotion after one look would lose it.
     */
    long inFlight = -1;
    int inFlightLooks;
    /** Reads of pg_control that still see the server running after it was told to shut down. */
    int shutdownLooks;
    /** The settings in force: postgresql.conf as last (re)loaded, restart-only ones as at the start. */
    final Map<String, String> settings = new TreeMap<>();
    /** Restart-only settings whose value in postgresql.conf, at the last reload, differs from the one in force. */
    final Set<String> pendingRestart = new TreeSet<>();

    Server(FakeContainer container, String member, Data data, Map<String, String> env) {
      this.container = container;
      this.member = member;
      this.data = data;
      this.env = env;
    }

    String name() {
      return container.name;
    }
  }

  private final FakeEngine engine;
  private final Map<String, Data> volumes = new HashMap<>();
  private final Map<String, Server> servers = new LinkedHashMap<>();
  private final Map<String, Duration> hangs = new HashMap<>();
  private final Map<String, Long> lags = new HashMap<>();
  private final Map<String, Integer> timeouts = new HashMap<>();
  private final List<String> splitBrains = new ArrayList<>();
  private final Set<String> staleRewinds = new TreeSet<>();
  private final Set<String> stalledShutdowns = new TreeSet<>();
  private final Set<String> missShutdownWal = new TreeSet<>();
  private long nextSystemId = 7_300_000_000_000_000_001L;

  FakePostgres(FakeEngine engine) {
    this.engine = engine;
  }

  // ================================================================ switches and inspection (the tests')

  /**
   * Every SQL call to {@code member}'s running PostgreSQL blocks for {@code forHowLong} and then
   * fails with an InstanceException "timeout" (the real gateway's socket timeout), until
   * {@link #answer} or until its container stops.
   */
  public void hang(String member, Duration forHowLong) {
    synchronized (engine) {
      hangs.put(member, forHowLong);
    }
  }

  public void answer(String member) {
    synchronized (engine) {
      hangs.remove(member);
    }
  }

  /** SQL calls to the member that timed out (by {@link #hang} or a pause). */
  public int timeouts(String member) {
    synchronized (engine) {
      return timeouts.getOrDefault(member, 0);
    }
  }

  /** The member, as a standby, receives WAL {@code bytes} behind its primary's insert position. */
  public void lagBehind(String member, long bytes) {
    synchronized (engine) {
      lags.put(member, bytes);
    }
  }

  /** Someone promotes the standby behind the operator's back (pg_ctl promote): a second writable member. */
  public void promoteByHand(String member) {
    synchronized (engine) {
      Server s = server(member).orElseThrow(() -> new IllegalStateException(member + " does not run"));
      if (!s.data.standby) {
        throw new IllegalStateException(member + " is not a standby");
      }
      promote(s);
    }
  }

  /**
   * The member's next rejoin runs pg_rewind against a new primary whose pg_control still shows the
   * old timeline (the entrypoint's CHECKPOINT on it failed, and a just-promoted server updates
   * pg_control only at its first checkpoint): pg_rewind finds the two on the same timeline, "no
   * rewind required", standby.signal is written, and the data, past the fork on the old timeline,
   * cannot follow the new one ("not in this server's history").
   */
  public void rewindSeesOldTimeline(String member) {
    synchronized (engine) {
      staleRewinds.add(member);
    }
  }

  /**
   * The member's shutdowns do not finish until its container stops (a WAL sender waiting on a
   * standby that does not answer, a checkpoint stuck on a full disk): after SIGINT or SIGTERM it
   * refuses new connections ("shutting down") and its pg_control stays "in production".
   */
  public void stallShutdown(String member) {
    synchronized (engine) {
      stalledShutdowns.add(member);
    }
  }

  /** The member's stalled shutdown goes on: it ends at the next look (simulated step or pg_control read). */
  public void resumeShutdown(String member) {
    synchronized (engine) {
      stalledShutdowns.remove(member);
    }
  }

  /**
   * The member's WAL receiver is cut off the moment its primary shuts down: the WAL the primary's
   * senders hand over at the shutdown (up to the shutdown checkpoint) never reaches it.
   */
  public void missShutdownWal(String member) {
    synchronized (engine) {
      missShutdownWal.add(member);
    }
  }

  /** "A and B both accept writes", for every time a second primary of one database system came up. */
  public List<String> splitBrains() {
    synchronized (engine) {
      return List.copyOf(splitBrains);
    }
  }

  public boolean acceptsWrites(String member) {
    synchronized (engine) {
      return server(member).filter(s -> s.phase == Phase.UP && !s.data.standby).isPresent();
    }
  }

  /** The container name the member's standby streams from now; empty when it does not stream. */
  public Optional<String> streamingFrom(String member) {
    synchronized (engine) {
      return server(member).filter(s -> s.receiving).map(s -> s.sender.name());
    }
  }

  public int timeline(String member) {
    synchronized (engine) {
      return data(member).timeline;
    }
  }

  public String lsn(String member) {
    synchronized (engine) {
      return Lsn.format(data(member).lsn);
    }
  }

  public Set<String> slots(String member) {
    synchronized (engine) {
      return Set.copyOf(data(member).slots.keySet());
    }
  }

  /** The value of a setting in force in the member's running PostgreSQL (SHOW name); empty when not set in its file. */
  public Optional<String> setting(String member, String name) {
    synchronized (engine) {
      return server(member).map(s -> s.settings.get(name));
    }
  }

  /** The member's settings changed in its file and reloaded that wait for a restart (pg_settings.pending_restart). */
  public Set<String> pendingRestart(String member) {
    synchronized (engine) {
      return server(member).map(s -> Set.copyOf(s.pendingRestart)).orElse(Set.of());
    }
  }

  /** The member's timeline history file ("" on timeline 1): "parentTLI\tswitchpoint\treason" lines. */
  public String timelineHistory(String member) {
    synchronized (engine) {
      return data(member).history;
    }
  }

  // ================================================================ Instance.Connector

  @Override
  public Instance connect(String host, int port, String user, String password, java.nio.file.Path rootCertificate) {
    return new FakeInstance(host, port, user, password);
  }

  // ================================================================ the engine's hooks (engine lock held)

  /** The member's container started: its entrypoint runs (as far as it can now). */
  void started(FakeContainer c) {
    String member = c.labels.get(Names.LABEL_MEMBER);
    for (String f : List.of(PostgresConf.MEMBER_ENV_PATH, PostgresConf.CONF_PATH, PostgresConf.HBA_PATH,
        PostgresConf.SECRETS_DIR + "/superuser-password", PostgresConf.SECRETS_DIR + "/replication-password")) {
      if (!c.files.containsKey(f)) {
        fail(c, f + " is missing: the operator copies it into the container before starting it");
        return;
      }
    }
    Map<String, String> env = parseEnv(c.text(PostgresConf.MEMBER_ENV_PATH).orElseThrow());
    String mode = env.getOrDefault("PGHERD_BOOTSTRAP", "");
    if (!Set.of("initdb", "clone", "restore").contains(mode)) {
      fail(c, "PGHERD_BOOTSTRAP='" + mode + "' in " + PostgresConf.MEMBER_ENV_PATH + " must be initdb, clone or restore");
      return;
    }
    say(c, "member " + env.get("PGHERD_MEMBER") + " (bootstrap mode " + mode + "), PGDATA=" + PGDATA);
    String volume = c.volumes.entrySet().stream().filter(v -> v.getValue().equals(DATA_DIR)).map(Map.Entry::getKey)
        .findFirst().orElse(null);
    if (volume == null) {
      fail(c, "no volume at " + DATA_DIR + " (the fake keeps data on volumes only)");
      return;
    }
    Data d = volumes.computeIfAbsent(volume, k -> new Data());
    Server s = new Server(c, member, d, env);
    servers.put(c.id, s);
    if (d.initialized) {
      say(c, "data directory exists (PostgreSQL 15)");
    }
    boot(s);
  }

  /** The container stops (clean: a shutdown checkpoint first) or dies; its standbys lose their stream. */
  void stopped(FakeContainer c, boolean clean) {
    Server s = servers.remove(c.id);
    if (s == null) {
      return;
    }
    hangs.remove(s.member);
    stalledShutdowns.remove(s.member);
    if (clean && s.phase != Phase.WAITING) {
      Data d = s.data;
      d.checkpointLsn = d.lsn;
      removeOldWal(d);
      if (d.standby) {
        d.controlState = SHUT_DOWN_IN_RECOVERY;
      } else {
        d.lsn += CHECKPOINT_RECORD;
        d.controlState = SHUT_DOWN;
        for (Server t : servers.values()) {
          if (t.receiving && t.sender == s && !missShutdownWal.remove(t.member)) {
            t.inFlight = d.lsn; // the WAL senders hand everything up to the shutdown checkpoint over
            t.inFlightLooks = 1;
          }
        }
      }
      postgres(c, "LOG:  database system is shut down");
    }
    for (Server t : servers.values()) {
      if (t.sender == s) {
        disconnect(t);
      }
    }
  }

  /** A signal to the member's container (tini hands it to the postmaster). */
  void signalled(FakeContainer c, String signal) {
    Server s = servers.get(c.id);
    switch (signal) {
      case "SIGINT", "SIGTERM" -> {
        if (s == null || s.phase == Phase.WAITING) {
          stopped(c, false);
          engine.processExited(c, 143);
        } else if (s.phase == Phase.UP) {
          s.phase = Phase.SHUTTING_DOWN;
          s.shutdownLooks = 1; // the next look at pg_control still sees it running
          postgres(c, "LOG:  received " + (signal.equals("SIGINT") ? "fast" : "smart") + " shutdown request");
        }
      }
      case "SIGQUIT" -> {
        stopped(c, false);
        engine.processExited(c, 131);
      }
      case "SIGHUP" -> {
        if (s != null && s.phase == Phase.UP) {
          reload(s);
        }
      }
      default -> { }
    }
  }

  /** Files PostgreSQL itself writes: pg_control and PG_VERSION; empty for any other path. */
  Optional<byte[]> readFile(FakeContainer c, String path) {
    if (!c.member() || !path.startsWith(PGDATA + "/")) {
      return Optional.empty();
    }
    Data d = c.volumes.keySet().stream().map(volumes::get).filter(x -> x != null).findFirst().orElse(null);
    if (d == null || !d.initialized) {
      return Optional.empty();
    }
    if (path.equals(PGDATA + "/PG_VERSION")) {
      return Optional.of("15\n".getBytes(StandardCharsets.UTF_8));
    }
    if (path.equals(PG_CONTROL)) {
      Server s = servers.get(c.id);
      if (s != null && s.phase == Phase.SHUTTING_DOWN && s.shutdownLooks-- <= 0 && !stalledShutdowns.contains(s.member)) {
        finishShutdown(s);
      }
      return Optional.of(controlFile(d.systemId, d.controlState, d.checkpointLsn, d.timeline));
    }
    return Optional.empty();
  }

  void volumeRemoved(String volume) {
    volumes.remove(volume);
  }

  /** One simulated step: shutdowns end, waiting entrypoints go on, standbys stream, primaries write. */
  void advance() {
    for (Server s : List.copyOf(servers.values())) {
      if (s.phase == Phase.SHUTTING_DOWN && !stalledShutdowns.contains(s.member)) {
        finishShutdown(s);
      }
    }
    for (Server s : List.copyOf(servers.values())) {
      if (s.phase == Phase.WAITING && servers.containsValue(s)) {
        boot(s);
      }
    }
    for (Server s : List.copyOf(servers.values())) {
      if (s.phase == Phase.UP && s.data.standby) {
        stream(s); // what the primary wrote until now...
      }
    }
    for (Server s : servers.values()) {
      if (s.phase == Phase.UP && !s.data.standby) {
        s.data.lsn += WRITES_PER_STEP; // ...and what it writes next: the standbys' lag
      }
    }
  }

  /**
   * Whether a docker stop (SIGTERM, then SIGKILL after its timeout) ends with a clean shutdown: not
   * when the member's shutdowns stall ({@link #stallShutdown}).
   */
  boolean shutsDownWhenStopped(FakeContainer c) {
    Server s = servers.get(c.id);
    return s == null || !stalledShutdowns.contains(s.member);
  }

  /** For the load balancer's health checks: the container runs a PostgreSQL that accepts connections. */
  boolean accepting(String containerName) {
    return servers.values().stream().anyMatch(s -> s.name().equals(containerName) && s.phase == Phase.UP);
  }

  boolean writable(String containerName) {
    return servers.values().stream().anyMatch(s -> s.name().equals(containerName) && s.phase == Phase.UP
        && !s.data.standby);
  }

  // ================================================================ the entrypoint

  private void boot(Server s) {
    Data d = s.data;
    String mode = s.env.get("PGHERD_BOOTSTRAP");
    String host = s.env.get("PGHERD_PRIMARY_HOST");
    if (d.initialized) {
      if ("clone".equals(mode) && !d.standby) {
        Server source = primaryAt(s, host);
        if (source == null) {
          waitForPrimary(s, host);
          return;
        }
        boolean staleSource = staleRewinds.remove(s.member);
        if (staleSource) {
          say(s.container, "rejoin: CHECKPOINT on " + host + ":5432 failed; pg_rewind may not see the new timeline");
        }
        say(s.container, "rejoin: " + PGDATA + " has no standby.signal (it was a primary); pg_rewind from " + host
            + ":5432");
        if (source.data.systemId == d.systemId && staleSource) {
          say(s.container, "pg_rewind: source and target cluster are on the same timeline");
          say(s.container, "pg_rewind: no rewind required");
          d.standby = true; // on its old timeline, as it was
          say(s.container, "rejoin: pg_rewind succeeded; standby.signal written");
        } else if (source.data.systemId == d.systemId) {
          d.timeline = source.data.timeline;
          d.history = source.data.history;
          d.lsn = source.data.lsn;
          d.standby = true;
          say(s.container, "rejoin: pg_rewind succeeded; standby.signal written");
        } else {
          say(s.container, "rejoin: pg_rewind failed; removing the old data and re-cloning from " + host + ":5432");
          d.initialized = false;
          if (!cloneFrom(s, source, host)) {
            return;
          }
          say(s.container, "rejoin: re-cloned");
        }
      } else if ("restore".equals(mode)) {
        fail(s.container, "restore is not simulated by the fake engine");
        return;
      }
    } else {
      switch (mode) {
        case "initdb" -> {
          say(s.container, "initdb into " + PGDATA + ".bootstrap");
          d.initialized = true;
          d.systemId = nextSystemId++;
          d.timeline = 1;
          d.history = "";
          d.lsn = FIRST_LSN;
          d.checkpointLsn = FIRST_LSN; // initdb's shutdown checkpoint
          d.oldestWal = FIRST_LSN;
          d.standby = false;
          d.slots.clear();
          say(s.container, "role replicator created (REPLICATION LOGIN, scram-sha-256)");
        }
        case "clone" -> {
          Server source = primaryAt(s, host);
          if (source == null) {
            waitForPrimary(s, host);
            return;
          }
          if (!cloneFrom(s, source, host)) {
            return;
          }
        }
        default -> {
          fail(s.container, "restore is not simulated by the fake engine");
          return;
        }
      }
      say(s.container, "bootstrap complete: " + PGDATA);
    }
    say(s.container, "exec postgres -D " + PGDATA + " -c config_file=" + PostgresConf.CONF_PATH);
    readConf(s);
    s.settings.putAll(parseConf(s.container.text(PostgresConf.CONF_PATH).orElse("")));
    s.phase = Phase.UP;
    d.controlState = d.standby ? IN_ARCHIVE_RECOVERY : IN_PRODUCTION;
    if (d.standby) {
      postgres(s.container, "LOG:  entering standby mode");
    } else {
      postgres(s.container, "LOG:  database system is ready to accept connections");
      noteSplitBrain(s);
    }
  }

  private boolean cloneFrom(Server s, Server source, String host) {
    String slot = s.env.get("PGHERD_SLOT");
    say(s.container, "primary " + host + ":5432 is up; pg_basebackup through slot " + slot);
    if (slot == null || !source.data.slots.containsKey(slot)) {
      say(s.container, "pg_basebackup: error: could not send replication command \"START_REPLICATION\": ERROR:"
          + "  replication slot \"" + slot + "\" does not exist");
      fail(s.container, "pg_basebackup from " + host + ":5432 through slot " + slot
          + " failed (see above); the partial copy was removed");
      return false;
    }
    Data d = s.data;
    d.initialized = true;
    d.systemId = source.data.systemId;
    d.timeline = source.data.timeline;
    d.history = source.data.history;
    d.lsn = source.data.lsn;
    d.checkpointLsn = d.lsn; // the backup's start (-c fast: a checkpoint on the source, taken as at its position)
    d.oldestWal = d.lsn;
    d.standby = true;
    d.slots.clear(); // pg_basebackup leaves pg_replslot out
    source.data.slots.merge(slot, d.lsn, Math::max);
    say(s.container, "clone complete; standby.signal written");
    return true;
  }

  private void waitForPrimary(Server s, String host) {
    s.phase = Phase.WAITING;
    if (!s.waitSaid) {
      say(s.container, "waiting up to 120s for the primary " + host + ":5432");
      s.waitSaid = true;
    }
  }

  private void fail(FakeContainer c, String why) {
    say(c, "FATAL: " + why);
    servers.remove(c.id);
    engine.processExited(c, 1);
  }

  private void finishShutdown(Server s) {
    stopped(s.container, true);
    engine.processExited(s.container, 0);
  }

  // ================================================================ replication

  /** A running primary that {@code from}'s container can reach by the name {@code host}. */
  private Server primaryAt(Server from, String host) {
    if (host == null) {
      return null;
    }
    for (Server t : servers.values()) {
      if (t != from && t.name().equals(host) && t.phase == Phase.UP && !t.data.standby
          && t.container.networks.stream().anyMatch(from.container.networks::contains)) {
        return t;
      }
    }
    return null;
  }

  private void stream(Server s) {
    Data d = s.data;
    if (s.inFlight > d.lsn) {
      d.lsn = s.inFlight;
    }
    s.inFlight = -1;
    Server src = primaryAt(s, s.upstream);
    String why = null;
    if (src == null) {
      why = "could not connect to the primary server " + s.upstream;
    } else if (src.data.systemId != d.systemId) {
      why = "database system identifier differs between the primary and standby";
    } else if (s.slot == null || !src.data.slots.containsKey(s.slot)) {
      why = "replication slot \"" + s.slot + "\" does not exist";
    } else if (!canFollow(d, src.data)) {
      why = "requested starting point " + Lsn.format(d.lsn) + " on timeline " + d.timeline
          + " is not in the history of the primary's timeline " + src.data.timeline;
    } else if (d.lsn < src.data.oldestWal) {
      why = "requested WAL segment " + walSegment(src.data.timeline, d.lsn) + " has already been removed";
    }
    if (why != null) {
      if (!why.equals(s.lastError)) {
        postgres(s.container, "FATAL:  could not start WAL streaming: " + why);
        s.lastError = why;
      }
      disconnect(s);
      return;
    }
    if (d.timeline != src.data.timeline) {
      d.timeline = src.data.timeline;
      d.history = src.data.history;
      postgres(s.container, "LOG:  new target timeline is " + d.timeline);
    }
    long target = src.data.lsn - lags.getOrDefault(s.member, 0L);
    if (target > d.lsn) {
      d.lsn = target;
    }
    src.data.slots.merge(s.slot, d.lsn, Math::max);
    if (!s.receiving) {
      postgres(s.container, "LOG:  started streaming WAL from primary at " + Lsn.format(d.lsn) + " on timeline "
          + d.timeline);
    }
    s.receiving = true;
    s.sender = src;
    s.lastError = null;
  }

  /** Whether a standby at d's position can stream from src: same timeline not ahead, or forked off at or after it. */
  private static boolean canFollow(Data d, Data src) {
    if (d.timeline == src.timeline) {
      return d.lsn <= src.lsn;
    }
    Long fork = switchPoint(src.history, d.timeline);
    return fork != null && d.lsn <= fork;
  }

  /** Where timeline {@code tli} ends according to a history file; null when it is not there. */
  private static Long switchPoint(String history, int tli) {
    for (String line : history.split("\n")) {
      String[] f = line.split("\t");
      if (f.length >= 2 && f[0].equals(Integer.toString(tli))) {
        return Lsn.parse(f[1]);
      }
    }
    return null;
  }

  private void disconnect(Server s) {
    s.receiving = false;
    s.sender = null;
  }

  private void promote(Server s) {
    Data d = s.data;
    s.inFlight = -1; // received but not flushed when the WAL receiver stops: lost
    disconnect(s);
    d.history = d.history + d.timeline + "\t" + Lsn.format(d.lsn) + "\tno recovery target specified\n";
    d.timeline++;
    d.standby = false;
    d.controlState = IN_PRODUCTION;
    postgres(s.container, "LOG:  received promote request");
    postgres(s.container, "LOG:  selected new timeline ID: " + d.timeline);
    postgres(s.container, "LOG:  database system is ready to accept connections");
    checkpointNow(s); // the checkpoint requested at the end of recovery (checkpoint starting: force)
    noteSplitBrain(s);
  }

  private void noteSplitBrain(Server s) {
    for (Server t : servers.values()) {
      if (t != s && t.phase == Phase.UP && !t.data.standby && t.data.systemId == s.data.systemId) {
        splitBrains.add(t.name() + " and " + s.name() + " both accept writes");
      }
    }
  }

  /** Parameters of context postmaster: a reload leaves them as they were and marks them pending_restart. */
  static final Set<String> RESTART_ONLY = Set.of("archive_mode", "cluster_name", "hot_standby", "huge_pages",
      "listen_addresses", "max_connections", "max_locks_per_transaction", "max_prepared_transactions",
      "max_replication_slots", "max_wal_senders", "max_worker_processes", "port", "shared_buffers",
      "shared_preload_libraries", "track_commit_timestamp", "unix_socket_directories", "wal_buffers", "wal_level",
      "wal_log_hints");
  private static final Pattern SETTING = Pattern.compile("^([a-z_][a-z0-9_.]*) = '((?:[^']|'')*)'$");

  /** name → value of postgresql.conf's lines as pgherd renders them ({@code name = 'value'}). */
  static Map<String, String> parseConf(String text) {
    Map<String, String> out = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SETTING.matcher(line.strip());
      if (m.matches()) {
        out.put(m.group(1), m.group(2).replace("''", "'").replace("\\\\", "\\"));
      }
    }
    return out;
  }

  private static final Pattern CONNINFO = Pattern.compile("(?m)^primary_conninfo = '(.*)'$");
  private static final Pattern HOST = Pattern.compile("(?:^|\\s)host=(\\S+)");
  private static final Pattern SLOT = Pattern.compile("(?m)^primary_slot_name = '([^']*)'$");

  /** primary_conninfo's host and primary_slot_name from the postgresql.conf copied in. */
  private void readConf(Server s) {
    String conf = s.container.text(PostgresConf.CONF_PATH).orElse("");
    Matcher c = CONNINFO.matcher(conf);
    Matcher h = c.find() ? HOST.matcher(c.group(1)) : null;
    s.upstream = h != null && h.find() ? h.group(1) : null;
    Matcher sl = SLOT.matcher(conf);
    s.slot = sl.find() ? sl.group(1) : null;
  }

  private void reload(Server s) {
    String upstream = s.upstream;
    String slot = s.slot;
    readConf(s);
    postgres(s.container, "LOG:  received SIGHUP, reloading configuration files");
    Map<String, String> conf = parseConf(s.container.text(PostgresConf.CONF_PATH).orElse(""));
    s.pendingRestart.clear();
    Set<String> names = new TreeSet<>(conf.keySet());
    names.addAll(s.settings.keySet());
    for (String name : names) {
      String value = conf.get(name);
      if (java.util.Objects.equals(value, s.settings.get(name))) {
        continue;
      }
      if (RESTART_ONLY.contains(name)) {
        s.pendingRestart.add(name);
        postgres(s.container, "LOG:  parameter \"" + name + "\" cannot be changed without restarting the server");
      } else if (value == null) {
        s.settings.remove(name); // back to its default
        postgres(s.container, "LOG:  parameter \"" + name + "\" removed from configuration file, reset to default");
      } else {
        s.settings.put(name, value);
        postgres(s.container, "LOG:  parameter \"" + name + "\" changed to \"" + value + "\"");
      }
    }
    if (!java.util.Objects.equals(upstream, s.upstream) || !java.util.Objects.equals(slot, s.slot)) {
      disconnect(s); // the WAL receiver restarts with the new primary_conninfo at the next step
    }
  }

  // ================================================================ SQL

  private final class FakeInstance implements Instance {
    private final String host;
    private final int port;
    private final String user;
    private final String password;

    FakeInstance(String host, int port, String user, String password) {
      this.host = host;
      this.port = port;
      this.user = user;
      this.password = password;
    }

    private interface Call<T> {
      T run(Server s) throws InstanceException;
    }

    private <T> T sql(String mutation, Call<T> call) throws InstanceException {
      Duration hang;
      String member;
      synchronized (engine) {
        FakeContainer c = engine.byPublishedPort(port).orElseThrow(this::refused);
        member = c.labels.get(Names.LABEL_MEMBER);
        hang = "paused".equals(c.state) ? PAUSED_TIMEOUT : hangs.get(member);
      }
      if (hang != null) {
        try {
          Thread.sleep(hang.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        synchronized (engine) {
          timeouts.merge(member, 1, Integer::sum);
        }
        throw new InstanceException("timeout: " + member + " (" + host + ":" + port + ") did not answer within "
            + hang.toMillis() + " ms");
      }
      synchronized (engine) {
        FakeContainer c = engine.byPublishedPort(port).filter(FakeContainer::running)
            .orElseThrow(this::refused);
        Server s = servers.get(c.id);
        if (s == null || s.phase == Phase.WAITING) {
          throw new InstanceException("FATAL: the database system is starting up");
        }
        if (s.phase == Phase.SHUTTING_DOWN) {
          throw new InstanceException("FATAL: the database system is shutting down");
        }
        String secret = c.text(PostgresConf.SECRETS_DIR + "/superuser-password").orElse("").strip();
        if (!PostgresConf.SUPERUSER.equals(user) || !secret.equals(password)) {
          throw new InstanceException("FATAL: password authentication failed for user \"" + user + "\"");
        }
        if (mutation != null) {
          engine.recordSql(c.name + " " + mutation);
        }
        return call.run(s);
      }
    }

    private InstanceException refused() {
      return new InstanceException("Connection to " + host + ":" + port + " refused. Check that the hostname and port"
          + " are correct and that the postmaster is accepting TCP/IP connections.");
    }

    @Override
    public InstanceProbe probe() throws InstanceException {
      return sql(null, FakePostgres.this::probeOf);
    }

    @Override
    public Optional<String> receivedLsn() throws InstanceException {
      return sql(null, s -> {
        if (!s.data.standby) {
          return Optional.empty();
        }
        if (s.inFlight > s.data.lsn && s.inFlightLooks-- <= 0) {
          s.data.lsn = s.inFlight; // flushed by now
          s.inFlight = -1;
        }
        return Optional.of(Lsn.format(s.data.lsn));
      });
    }

    @Override
    public Map.Entry<Long, String> timelineHistory() throws InstanceException {
      return sql(null, s -> {
        if (s.data.standby) {
          throw new InstanceException("ERROR: recovery is in progress");
        }
        return Map.entry((long) s.data.timeline, s.data.timeline <= 1 ? "" : s.data.history);
      });
    }

    @Override
    public String systemIdentifier() throws InstanceException {
      return sql(null, s -> Long.toString(s.data.systemId));
    }

    @Override
    public boolean createSlot(String name) throws InstanceException {
      // pg_create_physical_replication_slot(name, true): reserved from the last checkpoint's redo point
      return sql("create-slot " + name, s -> s.data.slots.putIfAbsent(name, s.data.checkpointLsn) == null);
    }

    @Override
    public boolean dropSlot(String name) throws InstanceException {
      return sql("drop-slot " + name, s -> {
        if (!s.data.slots.containsKey(name)) {
          return true;
        }
        if (active(s, name)) {
          return false;
        }
        s.data.slots.remove(name);
        return true;
      });
    }

    @Override
    public InstanceProbe promoteAndProbe() throws InstanceException {
      return sql("promote", s -> {
        if (s.data.standby) {
          promote(s);
        }
        return probeOf(s);
      });
    }

    @Override
    public void advanceSlot(String name, String lsn) throws InstanceException {
      sql("advance-slot " + name + " " + lsn, s -> {
        Long current = s.data.slots.get(name);
        if (current == null) {
          throw new InstanceException("ERROR: replication slot \"" + name + "\" does not exist");
        }
        long to = Math.min(Lsn.parse(lsn), s.data.lsn);
        if (to > current) {
          s.data.slots.put(name, to);
        }
        return null;
      });
    }

    @Override
    public void checkpoint() throws InstanceException {
      sql("checkpoint", s -> {
        checkpointNow(s);
        return null;
      });
    }

    @Override
    public String checkpointLsn() throws InstanceException {
      return sql("checkpoint", s -> Lsn.format(checkpointNow(s)));
    }

    @Override
    public String replayedLsn() throws InstanceException {
      return sql(null, s -> s.data.standby ? Lsn.format(s.data.lsn) : null);
    }

    @Override
    public void reloadConf() throws InstanceException {
      sql("reload", s -> {
        reload(s);
        return null;
      });
    }

    @Override
    public String toString() {
      return "fake " + host + ":" + port;
    }
  }

  private long checkpointNow(Server s) {
    Data d = s.data;
    d.checkpointLsn = d.lsn;
    if (!d.standby) {
      d.lsn += CHECKPOINT_RECORD;
    }
    removeOldWal(d);
    return d.checkpointLsn;
  }

  /**
   * After a checkpoint: WAL older than its redo point goes unless a slot still needs it (no
   * wal_keep_size; the fake's segments are one byte long, so nothing survives by sharing a segment).
   */
  private static void removeOldWal(Data d) {
    long keep = d.checkpointLsn;
    for (long restart : d.slots.values()) {
      keep = Math.min(keep, restart);
    }
    d.oldestWal = Math.max(d.oldestWal, keep);
  }

  /** The WAL segment file holding {@code lsn} on timeline {@code tli} (16 MB segments). */
  static String walSegment(int tli, long lsn) {
    long segment = lsn / 0x1000000L;
    return String.format("%08X%08X%08X", tli, segment / 0x100, segment % 0x100);
  }

  private boolean active(Server s, String slot) {
    return servers.values().stream().anyMatch(t -> t.receiving && t.sender == s && slot.equals(t.slot));
  }

  private InstanceProbe probeOf(Server s) {
    Data d = s.data;
    List<InstanceProbe.Slot> slots = new ArrayList<>();
    d.slots.forEach((name, restart) -> slots.add(new InstanceProbe.Slot(name, active(s, name), Lsn.format(restart))));
    List<InstanceProbe.Standby> standbys = new ArrayList<>();
    servers.values().stream().filter(t -> t.receiving && t.sender == s).sorted(Comparator.comparing(t -> t.member))
        .forEach(t -> standbys.add(new InstanceProbe.Standby(t.member, "streaming", "async", Lsn.format(t.data.lsn),
            d.standby ? null : d.lsn - t.data.lsn)));
    String lsn = Lsn.format(d.lsn);
    return new InstanceProbe(d.standby, lsn, lsn, d.timeline, d.standby && s.receiving ? "streaming" : null,
        d.standby && s.receiving ? s.sender.name() : null, List.copyOf(slots), List.copyOf(standbys),
        List.copyOf(s.pendingRestart), List.of());
  }

  // ================================================================ helpers

  private Optional<Server> server(String member) {
    return servers.values().stream().filter(s -> s.member.equals(member)).findFirst();
  }

  private Data data(String member) {
    Data d = volumes.get(Names.volume(member));
    if (d == null) {
      throw new IllegalStateException("no data volume for " + member);
    }
    return d;
  }

  private static void say(FakeContainer c, String line) {
    c.logs.add("pgherd-entrypoint: " + line);
  }

  private static void postgres(FakeContainer c, String line) {
    c.logs.add("postgres: " + line);
  }

  static Map<String, String> parseEnv(String text) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        String value = line.substring(eq + 1);
        if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
          value = value.substring(1, value.length() - 1).replace("'\\''", "'");
        }
        env.put(line.substring(0, eq), value);
      }
    }
    return env;
  }

  /**
   * A PostgreSQL 15 {@code global/pg_control} (8192 bytes, little-endian, 64-bit layout) with the
   * fields {@code postgres.ControlFile} reads and a valid CRC-32C.
   */
  public static byte[] controlFile(long systemIdentifier, int state, long checkpointLsn, int timeline) {
    byte[] bytes = new byte[8192];
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, systemIdentifier);
    b.putInt(8, 1300); // PG_CONTROL_VERSION
    b.putInt(12, 202209061); // catalog version of 15
    b.putInt(16, state);
    b.putLong(32, checkpointLsn); // checkPoint
    b.putLong(40, checkpointLsn); // checkPointCopy.redo
    b.putInt(48, timeline); // checkPointCopy.ThisTimeLineID
    b.putInt(52, timeline); // checkPointCopy.PrevTimeLineID
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, 288);
    b.putInt(288, (int) crc.getValue());
    return bytes;
  }

  /** For messages: the slots of every data directory. */
  @Override
  public String toString() {
    synchronized (engine) {
      Map<String, Object> out = new TreeMap<>();
      volumes.forEach((v, d) -> out.put(v, (d.standby ? "standby" : "primary") + " tl" + d.timeline + " at "
          + Lsn.format(d.lsn) + " slots " + new TreeSet<>(d.slots.keySet())));
      return out.toString();
    }
  }
}
