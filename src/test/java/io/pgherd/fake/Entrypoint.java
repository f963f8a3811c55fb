package io.pgherd.fake;

import static io.pgherd.fake.FakePostgres.DATA_DIR;
import static io.pgherd.fake.FakePostgres.PGDATA;
import static io.pgherd.fake.PgServer.log;
import static io.pgherd.fake.PgServer.say;

import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code operator/postgres/entrypoint.sh} as {@link FakePostgres} runs it in a member's container:
 * it reads member.env; {@code initdb} makes a new data directory (new system identifier, timeline
 * 1) and a primary; {@code clone} waits until the primary named accepts connections, then copies it
 * through its slot (refused when the slot does not exist: the container exits 1) into a standby;
 * data without standby.signal told {@code clone} is a former primary, rewound onto the primary's
 * timeline ("rejoin: pg_rewind succeeded"; re-cloned when it is another database system). Then the
 * postmaster starts. Used under the engine's lock.
 */
final class Entrypoint {
  private final FakeEngine engine;
  private final PgServers pg;
  private final PgSwitches switches;
  private long nextSystemId = 7_300_000_000_000_000_001L;

  Entrypoint(FakeEngine engine, PgServers pg, PgSwitches switches) {
    this.engine = engine;
    this.pg = pg;
    this.switches = switches;
  }

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
    PgData d = pg.volumes.computeIfAbsent(volume, k -> new PgData());
    PgServer s = new PgServer(c, member, d, env);
    pg.servers.put(c.id, s);
    if (d.initialized) {
      say(c, "data directory exists (PostgreSQL 15)");
    }
    boot(s);
  }

  /** The entrypoint goes on (at its start, or at a simulated step while it waits for the primary). */
  void boot(PgServer s) {
    PgData d = s.data;
    String mode = s.env.get("PGHERD_BOOTSTRAP");
    String host = s.env.get("PGHERD_PRIMARY_HOST");
    if (d.initialized) {
      if ("clone".equals(mode) && !d.standby) {
        PgServer source = pg.primaryAt(s, host);
        if (source == null) {
          waitForPrimary(s, host);
          return;
        }
        if (!rejoin(s, source, host)) {
          return;
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
          d.lsn = FakePostgres.FIRST_LSN;
          d.checkpointLsn = FakePostgres.FIRST_LSN; // initdb's shutdown checkpoint
          d.oldestWal = FakePostgres.FIRST_LSN;
          d.standby = false;
          d.slots.clear();
          say(s.container, "role replicator created (REPLICATION LOGIN, scram-sha-256)");
        }
        case "clone" -> {
          PgServer source = pg.primaryAt(s, host);
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
    postmaster(s);
  }

  /**
   * The member's agent starts PostgreSQL again after the operator's stop (no bootstrap: its data
   * is there): as a standby when asked (standby.signal written first).
   */
  void agentStart(FakeContainer c, boolean standby) {
    PgData d = pg.dataOf(c);
    if (d == null || !d.initialized) {
      throw new IllegalStateException(c.name + " has no data directory to start (fake agent)");
    }
    if (standby) {
      d.standby = true;
    }
    PgServer s = new PgServer(c, c.labels.get(Names.LABEL_MEMBER), d,
        parseEnv(c.text(PostgresConf.MEMBER_ENV_PATH).orElse("")));
    pg.servers.put(c.id, s);
    postmaster(s);
  }

  /** The postmaster starts: its configuration read (FATAL: the container exits 1), then up. */
  private void postmaster(PgServer s) {
    PgData d = s.data;
    say(s.container, "exec postgres -D " + PGDATA + " -c config_file=" + PostgresConf.CONF_PATH);
    String fatal = s.loadConfiguration();
    if (fatal != null) {
      log(s.container, "FATAL:  " + fatal);
      pg.servers.remove(s.container.id);
      engine.processExited(s.container, 1);
      return;
    }
    s.phase = PgServer.Phase.UP;
    d.controlState = d.standby ? PgControl.IN_ARCHIVE_RECOVERY : PgControl.IN_PRODUCTION;
    if (d.standby) {
      log(s.container, "LOG:  entering standby mode");
    } else {
      log(s.container, "LOG:  database system is ready to accept connections");
      pg.noteSplitBrain(s);
    }
  }

  /** A former primary told to clone: pg_rewind onto the source's timeline, else a new clone. False when it failed. */
  private boolean rejoin(PgServer s, PgServer source, String host) {
    PgData d = s.data;
    boolean staleSource = switches.staleRewinds.remove(s.member);
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
        return false;
      }
      say(s.container, "rejoin: re-cloned");
    }
    return true;
  }

  private boolean cloneFrom(PgServer s, PgServer source, String host) {
    String slot = s.env.get("PGHERD_SLOT");
    say(s.container, "primary " + host + ":5432 is up; pg_basebackup through slot " + slot);
    if (slot == null || !source.data.slots.containsKey(slot)) {
      say(s.container, "pg_basebackup: error: could not send replication command \"START_REPLICATION\": ERROR:"
          + "  replication slot \"" + slot + "\" does not exist");
      fail(s.container, "pg_basebackup from " + host + ":5432 through slot " + slot
          + " failed (see above); the partial copy was removed");
      return false;
    }
    // PGSSLMODE/PGSSLROOTCERT as primary_conninfo says (verify-full once TLS is enforced), else libpq's prefer
    String refused = PgTls.replicationRefusal(s, source, PgServer.conninfo(s.container), host,
        engine.address(s.container), new boolean[1]);
    if (refused != null) {
      say(s.container, "pg_basebackup: error: connection to server at \"" + host + "\", port 5432 failed: " + refused);
      fail(s.container, "pg_basebackup from " + host + ":5432 through slot " + slot
          + " failed (see above); the partial copy was removed");
      return false;
    }
    PgData d = s.data;
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

  private void waitForPrimary(PgServer s, String host) {
    s.phase = PgServer.Phase.WAITING;
    if (!s.waitSaid) {
      say(s.container, "waiting up to 120s for the primary " + host + ":5432");
      s.waitSaid = true;
    }
  }

  private void fail(FakeContainer c, String why) {
    say(c, "FATAL: " + why);
    pg.servers.remove(c.id);
    engine.processExited(c, 1);
  }

  /** member.env's lines ({@code NAME=value}, single-quoted as Quoting.shellWord writes them). */
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
}
