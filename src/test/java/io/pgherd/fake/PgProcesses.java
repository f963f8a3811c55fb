package io.pgherd.fake;

import static io.pgherd.fake.FakePostgres.PGDATA;
import static io.pgherd.fake.FakePostgres.PG_CONTROL;
import static io.pgherd.fake.FakePostgres.WRITES_PER_STEP;
import static io.pgherd.fake.PgServer.log;

import io.pgherd.model.Names;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What the engine's calls do to the members' PostgreSQL: a container started (its entrypoint
 * runs), stopped, killed or signalled, the agent's stop and start, pg_control read, and one
 * simulated step. Called by the {@link FakeEngine}'s parts with the engine's lock held.
 */
final class PgProcesses {
  private final FakeEngine engine;
  private final PgServers pg;
  private final PgSwitches switches;
  private final Replication replication;
  private final Entrypoint entrypoint;

  PgProcesses(FakeEngine engine, PgServers pg, PgSwitches switches, Replication replication, Entrypoint entrypoint) {
    this.engine = engine;
    this.pg = pg;
    this.switches = switches;
    this.replication = replication;
    this.entrypoint = entrypoint;
  }

  /** The member's container started: its entrypoint runs (as far as it can now). */
  void started(FakeContainer c) {
    switches.held.remove(c.labels.get(Names.LABEL_MEMBER)); // a new agent
    entrypoint.started(c);
  }

  /**
   * The member's agent stops its PostgreSQL on the operator's word ({@code POST /v1/stop}): fast
   * (the shutdown under way ends at the next step or look at pg_control, as a container's SIGINT
   * does) or immediate; the container goes on running, PostgreSQL stopped, until {@link #agentStart}.
   */
  void agentStop(FakeContainer c, String mode) {
    switches.held.put(c.labels.get(Names.LABEL_MEMBER), "stopped by the operator (" + mode + ")");
    PgServer s = pg.servers.get(c.id);
    if (s == null) {
      return;
    }
    if ("immediate".equals(mode) || s.phase == PgServer.Phase.WAITING) {
      replication.stopped(c, false);
    } else if (s.up()) {
      s.phase = PgServer.Phase.SHUTTING_DOWN;
      s.shutdownLooks = 1;
      log(c, "LOG:  received fast shutdown request");
    }
  }

  /** The agent starts PostgreSQL again ({@code POST /v1/start}): as a standby (standby.signal) or as it was. */
  void agentStart(FakeContainer c, boolean standby) {
    switches.held.remove(c.labels.get(Names.LABEL_MEMBER));
    PgServer s = pg.servers.get(c.id);
    if (s != null && s.phase == PgServer.Phase.SHUTTING_DOWN) {
      replication.stopped(c, true); // the shutdown ends first
    } else if (s != null) {
      return; // running already
    }
    entrypoint.agentStart(c, standby);
  }

  /** The container stops (clean: a shutdown checkpoint first) or dies; its standbys lose their stream. */
  void stopped(FakeContainer c, boolean clean) {
    replication.stopped(c, clean);
  }

  /** A signal to the member's container (tini hands it to the postmaster). */
  void signalled(FakeContainer c, String signal) {
    PgServer s = pg.servers.get(c.id);
    switch (signal) {
      case "SIGINT", "SIGTERM" -> {
        if (s == null || s.phase == PgServer.Phase.WAITING) {
          replication.stopped(c, false);
          engine.processExited(c, 143);
        } else if (s.up()) {
          s.phase = PgServer.Phase.SHUTTING_DOWN;
          s.shutdownLooks = 1; // the next look at pg_control still sees it running
          log(c, "LOG:  received " + (signal.equals("SIGINT") ? "fast" : "smart") + " shutdown request");
        }
      }
      case "SIGQUIT" -> {
        replication.stopped(c, false);
        engine.processExited(c, 131);
      }
      case "SIGHUP" -> {
        if (s != null && s.up()) {
          s.reload();
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
    PgData d = pg.dataOf(c);
    if (d == null || !d.initialized) {
      return Optional.empty();
    }
    if (path.equals(PGDATA + "/PG_VERSION")) {
      return Optional.of("15\n".getBytes(StandardCharsets.UTF_8));
    }
    if (path.equals(PG_CONTROL)) {
      PgServer s = pg.servers.get(c.id);
      if (s != null && s.phase == PgServer.Phase.SHUTTING_DOWN && s.shutdownLooks-- <= 0) {
        replication.finishShutdown(s);
      }
      return Optional.of(PgControl.of(d));
    }
    return Optional.empty();
  }

  void volumeRemoved(String volume) {
    pg.volumes.remove(volume);
  }

  /** One simulated step: shutdowns end, waiting entrypoints go on, standbys stream, primaries write (unless paused). */
  void advance() {
    for (PgServer s : pg.all()) {
      if (s.phase == PgServer.Phase.SHUTTING_DOWN) {
        replication.finishShutdown(s);
      }
    }
    for (PgServer s : pg.all()) {
      if (s.phase == PgServer.Phase.WAITING && pg.servers.containsValue(s)) {
        entrypoint.boot(s);
      }
    }
    for (PgServer s : pg.all()) {
      if (s.up() && s.data.standby && !paused(s)) {
        replication.stream(s); // what the primary wrote until now...
      }
    }
    for (PgServer s : pg.servers.values()) {
      if (s.up() && !s.data.standby && !paused(s)) {
        s.data.lsn += WRITES_PER_STEP; // ...and what it writes next: the standbys' lag
      }
    }
  }

  /** Its container is paused (docker pause: every process frozen): it neither writes nor receives. */
  private static boolean paused(PgServer s) {
    return "paused".equals(s.container.state);
  }

  /**
   * Whether a docker stop (SIGTERM, then SIGKILL after its timeout) ends with a clean shutdown: not
   * when the member's shutdowns stall ({@link #stallShutdown}).
   */
  boolean shutsDownWhenStopped(FakeContainer c) {
    PgServer s = pg.servers.get(c.id);
    return s == null || !switches.stalledShutdowns.contains(s.member);
  }
}
