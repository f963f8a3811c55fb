package io.pgherd.fake;

import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL to a member of {@link FakePostgres}, as {@code InstanceGateway} sends it: reaches whichever
 * running container publishes the port for 5432, answers "starting up" or "shutting down" when the
 * postmaster does, checks the superuser's password, and records each statement that changes
 * something in the engine's history ({@code sql CONTAINER create-slot NAME}). A hung or paused member
 * blocks, then times out.
 */
final class FakeInstance implements Instance {
  /** How long SQL to a paused (frozen) member blocks before it times out. */
  static final Duration PAUSED_TIMEOUT = Duration.ofMillis(20);

  private final FakeEngine engine;
  private final PgServers pg;
  private final PgSwitches switches;
  private final Replication replication;
  private final String host;
  private final int port;
  private final String user;
  private final String password;
  /** The CA the client verifies with (sslmode=verify-full, as InstanceGateway); null: sslmode=disable. */
  private final Path rootCertificate;

  FakeInstance(FakeEngine engine, PgServers pg, PgSwitches switches, Replication replication, String host, int port,
      String user, String password, Path rootCertificate) {
    this.engine = engine;
    this.pg = pg;
    this.switches = switches;
    this.replication = replication;
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.rootCertificate = rootCertificate;
  }

  private interface Call<T> {
    T run(PgServer s) throws InstanceException;
  }

  private <T> T sql(String mutation, Call<T> call) throws InstanceException {
    Duration hang;
    String member;
    synchronized (engine) {
      FakeContainer c = engine.byPublishedPort(port).orElseThrow(this::refused);
      member = c.labels.get(Names.LABEL_MEMBER);
      hang = "paused".equals(c.state) ? PAUSED_TIMEOUT : switches.hangs.get(member);
      if (switches.fenced.containsKey(member)) {
        throw new InstanceException("connection refused: " + member + "'s PostgreSQL is stopped (fenced by its agent)");
      }
    }
    if (hang != null) {
      try {
        Thread.sleep(hang.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (engine) {
        switches.timeouts.merge(member, 1, Integer::sum);
      }
      throw new InstanceException("timeout: " + member + " (" + host + ":" + port + ") did not answer within "
          + hang.toMillis() + " ms");
    }
    synchronized (engine) {
      FakeContainer c = engine.byPublishedPort(port).filter(FakeContainer::running).orElseThrow(this::refused);
      PgServer s = pg.servers.get(c.id);
      if (s == null || s.phase == PgServer.Phase.WAITING) {
        throw new InstanceException("FATAL: the database system is starting up");
      }
      if (s.phase == PgServer.Phase.SHUTTING_DOWN) {
        throw new InstanceException("FATAL: the database system is shutting down");
      }
      String refused = PgTls.refusal(s, rootCertificate == null ? "disable" : "verify-full", rootPem(), host, false,
          user, ContainerStore.GATEWAY, new boolean[1]);
      if (refused != null) {
        throw new InstanceException(refused);
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

  /** The root certificate file's content; as libpq, a missing file fails a verify-full connection. */
  private String rootPem() throws InstanceException {
    if (rootCertificate == null) {
      return null;
    }
    try {
      return Files.readString(rootCertificate);
    } catch (IOException e) {
      throw new InstanceException("root certificate file \"" + rootCertificate + "\" does not exist");
    }
  }

  private InstanceException refused() {
    return new InstanceException("Connection to " + host + ":" + port + " refused. Check that the hostname and port"
        + " are correct and that the postmaster is accepting TCP/IP connections.");
  }

  @Override
  public InstanceProbe probe() throws InstanceException {
    return sql(null, s -> {
      switches.sqlProbes.merge(s.member, 1, Integer::sum);
      return probeOf(pg, s);
    });
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
      if (pg.active(s, name)) {
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
        replication.promote(s);
      }
      return probeOf(pg, s);
    });
  }

  @Override
  public void advanceSlot(String name, String lsn) throws InstanceException {
    sql("advance-slot " + name + " " + lsn, s -> {
      Long current = s.data.slots.get(name);
      if (current == null) {
        throw new InstanceException("ERROR: replication slot \"" + name + "\" does not exist");
      }
      if (current == PgData.LOST) {
        throw new InstanceException("ERROR: replication slot \"" + name + "\" cannot be advanced"
            + " (DETAIL: This slot has never previously reserved WAL, or it has been invalidated.)");
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
      replication.checkpoint(s);
      return null;
    });
  }

  @Override
  public String checkpointLsn() throws InstanceException {
    return sql("checkpoint", s -> Lsn.format(replication.checkpoint(s)));
  }

  @Override
  public String replayedLsn() throws InstanceException {
    return sql(null, s -> s.data.standby ? Lsn.format(s.data.lsn) : null);
  }

  @Override
  public void reloadConf() throws InstanceException {
    sql("reload", s -> {
      s.reload();
      return null;
    });
  }

  /**
   * The probe query's answer: recovery, positions, timeline, receiver, slots, pg_stat_replication,
   * pending_restart (the member's agent answers the same, {@link FakeAgents}).
   */
  static InstanceProbe probeOf(PgServers pg, PgServer s) {
    PgData d = s.data;
    List<InstanceProbe.Slot> slots = new ArrayList<>();
    d.slots.forEach((name, restart) -> slots.add(restart == PgData.LOST
        ? new InstanceProbe.Slot(name, pg.active(s, name), null, InstanceProbe.Slot.LOST)
        : new InstanceProbe.Slot(name, pg.active(s, name), Lsn.format(restart), "reserved")));
    List<InstanceProbe.Standby> standbys = new ArrayList<>();
    pg.servers.values().stream().filter(t -> t.receiving && t.sender == s).sorted(Comparator.comparing(t -> t.member))
        .forEach(t -> standbys.add(new InstanceProbe.Standby(t.member, "streaming", "async", Lsn.format(t.data.lsn),
            d.standby ? null : d.lsn - t.data.lsn)));
    String lsn = Lsn.format(d.lsn);
    return new InstanceProbe(d.standby, lsn, lsn, d.timeline, d.standby && s.receiving ? "streaming" : null,
        d.standby && s.receiving ? s.sender.name() : null, List.copyOf(slots), List.copyOf(standbys),
        List.copyOf(s.pendingRestart), List.of());
  }

  @Override
  public String toString() {
    return "fake " + host + ":" + port;
  }
}
