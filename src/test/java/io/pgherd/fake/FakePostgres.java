package io.pgherd.fake;

import io.pgherd.model.Lsn;
import io.pgherd.postgres.Instance;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The PostgreSQL of a {@link FakeEngine}'s member containers, and the reconciler's
 * {@link Instance.Connector}: {@code connect(127.0.0.1, port, ...)} reaches whichever running
 * container publishes {@code port} for 5432, as {@code MemberAccess.ports()} expects
 * ({@link FakeInstance}). The members' agents, which probe it from inside, are {@link #agents()}.
 *
 * <p>What it simulates: the entrypoint, after {@code operator/postgres/entrypoint.sh}
 * ({@link Entrypoint}: initdb, clone through the slot, rejoin by pg_rewind or a new clone). Data
 * lives on the volume ({@link PgData}), so a new container on an old volume keeps it. Replication
 * ({@link Replication}): a standby streams from the host in its postgresql.conf's
 * primary_conninfo, through primary_slot_name, when that host runs a primary of the same system
 * with that slot, the standby can follow its timeline (it switches timelines through the history,
 * as recovery_target_timeline=latest does) and the WAL it asks for is still there (a checkpoint
 * removes the WAL before its redo point that no slot holds, after invalidating the slots further
 * behind than max_slot_wal_keep_size: wal_status 'lost'); it then shows in the primary's
 * pg_stat_replication with a lag and its slot is active. A promoted standby goes to timeline+1
 * (history written) and checkpoints. Fast shutdown (SIGINT/SIGTERM, docker stop) writes a shutdown
 * checkpoint into pg_control, sends the WAL up to it to the connected standbys and exits the
 * container; a kill leaves pg_control "in production". pg_control is served as PostgreSQL 15 bytes
 * (with its CRC) to readFile ({@link PgControl}). Configuration ({@link PgServer}): postgresql.conf
 * read at the start; a reload applies what can change without a restart and marks the rest
 * pending_restart.
 *
 * <p>LSNs move deterministically: a primary writes 0x100 bytes per simulated step (a step is one
 * label listing of the engine), a checkpoint record is 0x68 bytes; standbys receive all of it at
 * each step, minus the {@link #lagBehind} of that member.
 *
 * <p>TLS ({@link PgTls}): with ssl on a server loads its certificate and key (owned by postgres,
 * 0600) at its start and at each reload, and serves TLS; pg_hba.conf, read at the start and at each
 * reload, admits a connection by its encryption ({@code hostssl} lines: only over TLS). Clients
 * negotiate as libpq does for their sslmode: the reconciler's as InstanceGateway (disable, or
 * verify-full against the CA it is given), a standby's and a clone's as its primary_conninfo says.
 *
 * <p>Not simulated: restore mode (the entrypoint fails), synchronous replication (every
 * standby is "async"), cascading replication, base backups, passwords other than the superuser's,
 * sessions and data.
 *
 * <p>Switches: {@link #hang} (SQL blocks, then "timeout"), {@link #lagBehind}, {@link #refuseStreaming},
 * {@link #promoteByHand} (a second writable member), {@link #rewindSeesOldTimeline},
 * {@link #stallShutdown}, {@link #missShutdownWal}.
 */
public final class FakePostgres implements Instance.Connector {
  public static final String DATA_DIR = "/var/lib/postgresql/data";
  public static final String PGDATA = DATA_DIR + "/pgdata";
  public static final String PG_CONTROL = PGDATA + "/global/pg_control";
  static final long FIRST_LSN = 0x3000028L;
  static final long WRITES_PER_STEP = 0x100;
  static final long CHECKPOINT_RECORD = 0x68;

  private final FakeEngine engine;
  private final PgServers pg = new PgServers();
  private final PgSwitches switches = new PgSwitches();
  private final Replication replication;
  private final Entrypoint entrypoint;
  private final FakeAgents agents;
  private final PgProcesses processes;

  FakePostgres(FakeEngine engine) {
    this.engine = engine;
    this.replication = new Replication(engine, pg, switches);
    this.entrypoint = new Entrypoint(engine, pg, switches);
    this.agents = new FakeAgents(engine, this, pg, switches);
    this.processes = new PgProcesses(engine, pg, switches, replication, entrypoint);
  }

  /** What the engine's calls do to the members' PostgreSQL (the engine's hooks). */
  PgProcesses processes() {
    return processes;
  }

  /** The member containers' agents, and the reconciler's MemberAgent.Connector. */
  public FakeAgents agents() {
    return agents;
  }

  // ================================================================ switches and inspection (the tests')

  /**
   * Every SQL call to {@code member}'s running PostgreSQL blocks for {@code forHowLong} and then
   * fails with an InstanceException "timeout" (the real gateway's socket timeout), until
   * {@link #answer} or until its container stops.
   */
  public void hang(String member, Duration forHowLong) {
    synchronized (engine) {
      switches.hangs.put(member, forHowLong);
    }
  }

  public void answer(String member) {
    synchronized (engine) {
      switches.hangs.remove(member);
    }
  }

  /** The member's PostgreSQL was probed over SQL (a login each, with the real gateway) this many times. */
  public int sqlProbes(String member) {
    synchronized (engine) {
      return switches.sqlProbes.getOrDefault(member, 0);
    }
  }

  /** SQL calls to the member that timed out (by {@link #hang} or a pause). */
  public int timeouts(String member) {
    synchronized (engine) {
      return switches.timeouts.getOrDefault(member, 0);
    }
  }

  /** The member, as a standby, receives WAL {@code bytes} behind its primary's insert position. */
  public void lagBehind(String member, long bytes) {
    synchronized (engine) {
      switches.lags.put(member, bytes);
    }
  }

  /** The member's WAL receiver is refused by its primary (it runs, answers, and does not stream) until {@code refused} is false. */
  public void refuseStreaming(String member, boolean refused) {
    synchronized (engine) {
      if (refused) {
        switches.refusedStreaming.add(member);
      } else {
        switches.refusedStreaming.remove(member);
      }
    }
  }

  /** Someone promotes the standby behind the operator's back (pg_ctl promote): a second writable member. */
  public void promoteByHand(String member) {
    synchronized (engine) {
      PgServer s = pg.server(member).orElseThrow(() -> new IllegalStateException(member + " does not run"));
      if (!s.data.standby) {
        throw new IllegalStateException(member + " is not a standby");
      }
      replication.promote(s);
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
      switches.staleRewinds.add(member);
    }
  }

  /**
   * The member's shutdowns do not finish until its container stops (a WAL sender waiting on a
   * standby that does not answer, a checkpoint stuck on a full disk): after SIGINT or SIGTERM it
   * refuses new connections ("shutting down") and its pg_control stays "in production"; a docker
   * stop ends in a kill.
   */
  public void stallShutdown(String member) {
    synchronized (engine) {
      switches.stalledShutdowns.add(member);
    }
  }

  /** The member's stalled shutdown goes on: it ends at the next look (simulated step or pg_control read). */
  public void resumeShutdown(String member) {
    synchronized (engine) {
      switches.stalledShutdowns.remove(member);
    }
  }

  /**
   * The member's WAL receiver is cut off the moment its primary shuts down: the WAL the primary's
   * senders hand over at the shutdown (up to the shutdown checkpoint) never reaches it.
   */
  public void missShutdownWal(String member) {
    synchronized (engine) {
      switches.missShutdownWal.add(member);
    }
  }

  /**
   * The member, a running primary, writes {@code bytes} of WAL at once (a bulk load); its standbys
   * receive it at the next simulated step, and a {@link #checkpoint} gives up the slots left
   * further behind than its max_slot_wal_keep_size.
   */
  public void write(String member, long bytes) {
    synchronized (engine) {
      PgServer s = pg.server(member).filter(PgServer::up)
          .orElseThrow(() -> new IllegalStateException(member + " does not run"));
      if (s.data.standby) {
        throw new IllegalStateException(member + " is a standby");
      }
      s.data.lsn += bytes;
    }
  }

  /** A CHECKPOINT on the member (a restartpoint on a standby), as its checkpointer runs one on its own. */
  public void checkpoint(String member) {
    synchronized (engine) {
      replication.checkpoint(pg.server(member).filter(PgServer::up)
          .orElseThrow(() -> new IllegalStateException(member + " does not run")));
    }
  }

  /** The member's slot as pg_replication_slots shows its wal_status: reserved or lost; empty when it has no such slot. */
  public Optional<String> slotWalStatus(String member, String slot) {
    synchronized (engine) {
      Long restart = pg.data(member).slots.get(slot);
      return Optional.ofNullable(restart).map(r -> r == PgData.LOST ? "lost" : "reserved");
    }
  }

  /** "A and B both accept writes", for every time a second primary of one database system came up. */
  public List<String> splitBrains() {
    synchronized (engine) {
      return List.copyOf(pg.splitBrains);
    }
  }

  public boolean acceptsWrites(String member) {
    synchronized (engine) {
      return pg.server(member).filter(s -> s.up() && !s.data.standby).isPresent();
    }
  }

  /** The container name the member's standby streams from now; empty when it does not stream. */
  public Optional<String> streamingFrom(String member) {
    synchronized (engine) {
      return pg.server(member).filter(s -> s.receiving).map(s -> s.sender.name());
    }
  }

  public int timeline(String member) {
    synchronized (engine) {
      return pg.data(member).timeline;
    }
  }

  public String lsn(String member) {
    synchronized (engine) {
      return Lsn.format(pg.data(member).lsn);
    }
  }

  public Set<String> slots(String member) {
    synchronized (engine) {
      return Set.copyOf(pg.data(member).slots.keySet());
    }
  }

  /** The value of a setting in force in the member's running PostgreSQL (SHOW name); empty when not set in its file. */
  public Optional<String> setting(String member, String name) {
    synchronized (engine) {
      return pg.server(member).map(s -> s.settings.get(name));
    }
  }

  /** The member's settings changed in its file and reloaded that wait for a restart (pg_settings.pending_restart). */
  public Set<String> pendingRestart(String member) {
    synchronized (engine) {
      return pg.server(member).map(s -> Set.copyOf(s.pendingRestart)).orElse(Set.of());
    }
  }

  /** The member's running PostgreSQL serves TLS (ssl on, its certificate and key loaded). */
  public boolean servesTls(String member) {
    synchronized (engine) {
      return pg.server(member).filter(s -> s.tls).isPresent();
    }
  }

  /** The member's pg_hba.conf in force admits TCP connections only over TLS (hostssl lines only). */
  public boolean admitsOnlyTls(String member) {
    synchronized (engine) {
      return pg.server(member).filter(s -> !s.hba.isEmpty() && !PgTls.admitsPlain(s.hba)).isPresent();
    }
  }

  /** The member's WAL receiver streams over a TLS connection. */
  public boolean streamsOverTls(String member) {
    synchronized (engine) {
      return pg.server(member).filter(s -> s.receiving && s.receivingTls).isPresent();
    }
  }

  /** The member's timeline history file ("" on timeline 1): "parentTLI\tswitchpoint\treason" lines. */
  public String timelineHistory(String member) {
    synchronized (engine) {
      return pg.data(member).history;
    }
  }

  // ================================================================ Instance.Connector

  @Override
  public Instance connect(String host, int port, String user, String password, java.nio.file.Path rootCertificate) {
    return new FakeInstance(engine, pg, switches, replication, host, port, user, password, rootCertificate);
  }

  /** One simulated step now, as a listing of the engine makes one (for a test that asks no listing). */
  public void step() {
    synchronized (engine) {
      processes.advance();
    }
  }

  /** For the load balancer's health checks: the container runs a PostgreSQL that accepts connections. */
  boolean accepting(String containerName) {
    return pg.accepting(containerName);
  }

  boolean writable(String containerName) {
    return pg.writable(containerName);
  }

  /** For messages: every data directory (role, timeline, position, slots). */
  @Override
  public String toString() {
    synchronized (engine) {
      return pg.toString();
    }
  }
}
