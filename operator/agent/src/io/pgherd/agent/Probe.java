package io.pgherd.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's look at a member, on the agent's session: recovery or not, the LSNs and timeline,
 * the WAL receiver, the physical slots, the standbys (pg_stat_replication), the settings waiting for a
 * restart and the base backups being streamed. The same SQL as the operator's
 * {@code io.pgherd.postgres.ProbeQuery}, the result as a JSON object with the components of its
 * {@code InstanceProbe}.
 */
final class Probe {
  private Probe() {}

  static Map<String, Object> run(LocalSession session, long timeoutMillis) throws IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    boolean inRecovery = "t".equals(one(session, "select pg_is_in_recovery()", timeoutMillis)[0]);
    String lsn;
    String replayLsn;
    long timeline;
    String receiverStatus = null;
    String senderHost = null;
    if (inRecovery) {
      String[] r = one(session, "select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
          + " (select timeline_id from pg_control_checkpoint())", timeoutMillis);
      lsn = r[0];
      replayLsn = r[1];
      timeline = Long.parseLong(r[2]);
      List<String[]> receiver = session.query(
          "select status, sender_host, received_tli from pg_stat_wal_receiver", timeoutMillis);
      if (!receiver.isEmpty()) {
        receiverStatus = receiver.get(0)[0];
        senderHost = receiver.get(0)[1];
        if (receiver.get(0)[2] != null) {
          timeline = Math.max(timeline, Long.parseLong(receiver.get(0)[2]));
        }
      }
      if (lsn == null) {
        lsn = replayLsn;
      }
    } else {
      String[] r = one(session, "select pg_current_wal_lsn()::text,"
          + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint", timeoutMillis);
      lsn = r[0];
      replayLsn = lsn;
      timeline = Long.parseLong(r[1]);
    }
    out.put("inRecovery", inRecovery);
    out.put("lsn", lsn);
    out.put("replayLsn", replayLsn);
    out.put("timeline", timeline);
    out.put("receiverStatus", receiverStatus);
    out.put("senderHost", senderHost);

    List<Object> slots = new ArrayList<>();
    for (String[] r : session.query("select slot_name, active, restart_lsn::text, wal_status from pg_replication_slots"
        + " where slot_type = 'physical' order by slot_name", timeoutMillis)) {
      slots.add(object("name", r[0], "active", "t".equals(r[1]), "restartLsn", r[2], "walStatus", r[3]));
    }
    out.put("slots", slots);

    List<Object> standbys = new ArrayList<>();
    String lagExpr = inRecovery ? "null::numeric" : "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)";
    for (String[] r : session.query("select application_name, state, sync_state, replay_lsn::text, " + lagExpr
        + " from pg_stat_replication order by application_name", timeoutMillis)) {
      standbys.add(object("applicationName", r[0], "state", r[1], "syncState", r[2], "replayLsn", r[3],
          "lagBytes", r[4] == null ? null : Long.valueOf(new java.math.BigDecimal(r[4]).longValue())));
    }
    out.put("replication", standbys);

    List<Object> pending = new ArrayList<>();
    for (String[] r : session.query("select name from pg_settings where pending_restart order by name", timeoutMillis)) {
      pending.add(r[0]);
    }
    out.put("pendingRestart", pending);

    List<Object> backups = new ArrayList<>();
    for (String[] r : session.query("select a.application_name, p.phase, p.backup_streamed, p.backup_total"
        + " from pg_stat_progress_basebackup p join pg_stat_activity a using (pid) order by a.application_name",
        timeoutMillis)) {
      backups.add(object("applicationName", r[0], "phase", r[1], "streamed", r[2] == null ? 0L : Long.parseLong(r[2]),
          "total", r[3] == null ? null : Long.valueOf(r[3])));
    }
    out.put("baseBackups", backups);
    return out;
  }

  private static String[] one(LocalSession session, String sql, long timeoutMillis) throws IOException {
    List<String[]> rows = session.query(sql, timeoutMillis);
    if (rows.size() != 1) {
      throw new IOException("expected one row from: " + sql + " (got " + rows.size() + ")");
    }
    return rows.get(0);
  }

  private static Map<String, Object> object(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
