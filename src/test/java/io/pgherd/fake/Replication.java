package io.pgherd.fake;

import static io.pgherd.fake.PgServer.log;

import io.pgherd.model.Lsn;

/**
 * WAL between {@link FakePostgres}'s servers: a standby streams from the host in its
 * primary_conninfo through its primary_slot_name, when that host runs a primary of the same
 * database system with that slot, whose timeline it can follow and which still has the WAL it
 * asks for; checkpoints (removing WAL no slot holds), promotion to the next timeline, and the fast
 * shutdown that hands the WAL up to its checkpoint to the connected standbys. Used under the
 * engine's lock.
 */
final class Replication {
  private final FakeEngine engine;
  private final PgServers pg;
  private final PgSwitches switches;

  Replication(FakeEngine engine, PgServers pg, PgSwitches switches) {
    this.engine = engine;
    this.pg = pg;
    this.switches = switches;
  }

  /** The container stops (clean: a shutdown checkpoint first) or dies; its standbys lose their stream. */
  void stopped(FakeContainer c, boolean clean) {
    PgServer s = pg.servers.remove(c.id);
    if (s == null) {
      return;
    }
    switches.stopped(s.member);
    if (clean && s.phase != PgServer.Phase.WAITING) {
      PgData d = s.data;
      d.checkpointLsn = d.lsn;
      d.removeOldWal(s.maxSlotWalKeepSize());
      if (d.standby) {
        d.controlState = PgControl.SHUT_DOWN_IN_RECOVERY;
      } else {
        d.lsn += FakePostgres.CHECKPOINT_RECORD;
        d.controlState = PgControl.SHUT_DOWN;
        for (PgServer t : pg.servers.values()) {
          if (t.receiving && t.sender == s && !switches.missShutdownWal.remove(t.member)) {
            t.inFlight = d.lsn; // the WAL senders hand everything up to the shutdown checkpoint over
            t.inFlightLooks = 1;
          }
        }
      }
      log(c, "LOG:  database system is shut down");
    }
    for (PgServer t : pg.servers.values()) {
      if (t.sender == s) {
        t.disconnect();
      }
    }
  }

  /** A shutdown under way ends (unless it stalls): the shutdown checkpoint, then the container exits. */
  void finishShutdown(PgServer s) {
    if (switches.stalledShutdowns.contains(s.member)) {
      return;
    }
    stopped(s.container, true);
    if (!switches.held.containsKey(s.member)) {
      engine.processExited(s.container, 0); // else its agent goes on running, PostgreSQL stopped
    }
  }

  /** One simulated step of a standby's WAL receiver: connect if it can, receive what its primary wrote. */
  void stream(PgServer s) {
    PgData d = s.data;
    if (s.inFlight > d.lsn) {
      d.lsn = s.inFlight;
    }
    s.inFlight = -1;
    PgServer src = pg.primaryAt(s, s.upstream);
    boolean connecting = !s.receiving || s.sender != src;
    boolean[] overTls = {s.receivingTls};
    String refused = src == null || !connecting ? null
        : PgTls.replicationRefusal(s, src, s.conninfo, s.upstream, engine.address(s.container), overTls);
    String why = null;
    if (src == null) {
      why = "could not connect to the primary server " + s.upstream;
    } else if (switches.refusedStreaming.contains(s.member)) {
      why = "could not connect to the primary server " + s.upstream + ": connection refused";
    } else if (refused != null) {
      why = "could not connect to the primary server " + s.upstream + ": " + refused;
    } else if (src.data.systemId != d.systemId) {
      why = "database system identifier differs between the primary and standby";
    } else if (s.slot == null || !src.data.slots.containsKey(s.slot)) {
      why = "replication slot \"" + s.slot + "\" does not exist";
    } else if (!d.canFollow(src.data)) {
      why = "requested starting point " + Lsn.format(d.lsn) + " on timeline " + d.timeline
          + " is not in the history of the primary's timeline " + src.data.timeline;
    } else if (d.lsn < src.data.oldestWal) {
      why = "requested WAL segment " + PgData.walSegment(src.data.timeline, d.lsn) + " has already been removed";
    }
    if (why != null) {
      if (!why.equals(s.lastError)) {
        log(s.container, "FATAL:  could not start WAL streaming: " + why);
        s.lastError = why;
      }
      s.disconnect();
      return;
    }
    if (d.timeline != src.data.timeline) {
      d.timeline = src.data.timeline;
      d.history = src.data.history;
      log(s.container, "LOG:  new target timeline is " + d.timeline);
    }
    long target = src.data.lsn - switches.lags.getOrDefault(s.member, 0L);
    if (target > d.lsn) {
      d.lsn = target;
    }
    src.data.slots.merge(s.slot, d.lsn, Math::max);
    if (!s.receiving) {
      log(s.container, "LOG:  started streaming WAL from primary at " + Lsn.format(d.lsn) + " on timeline "
          + d.timeline);
    }
    s.receiving = true;
    s.receivingTls = overTls[0];
    s.sender = src;
    s.lastError = null;
  }

  /** pg_promote(): the next timeline (its history written), then the checkpoint requested at the end of recovery. */
  void promote(PgServer s) {
    PgData d = s.data;
    s.inFlight = -1; // received but not flushed when the WAL receiver stops: lost
    s.disconnect();
    d.history = d.history + d.timeline + "\t" + Lsn.format(d.lsn) + "\tno recovery target specified\n";
    d.timeline++;
    d.standby = false;
    d.controlState = PgControl.IN_PRODUCTION;
    log(s.container, "LOG:  received promote request");
    log(s.container, "LOG:  selected new timeline ID: " + d.timeline);
    log(s.container, "LOG:  database system is ready to accept connections");
    checkpoint(s); // the checkpoint requested at the end of recovery (checkpoint starting: force)
    pg.noteSplitBrain(s);
  }

  /** CHECKPOINT (a restartpoint on a standby): its redo point; a primary writes the record. */
  long checkpoint(PgServer s) {
    PgData d = s.data;
    d.checkpointLsn = d.lsn;
    if (!d.standby) {
      d.lsn += FakePostgres.CHECKPOINT_RECORD;
    }
    d.removeOldWal(s.maxSlotWalKeepSize());
    return d.checkpointLsn;
  }
}
