package io.pgherd.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL behind an {@link InstanceProbe}, on a connection already open: recovery or not, the
 * LSNs and timeline, the WAL receiver, the physical slots, the standbys (pg_stat_replication),
 * the settings waiting for a restart, and the base backups being streamed.
 */
final class ProbeQuery {
  private ProbeQuery() {}

  static InstanceProbe probe(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      boolean inRecovery;
      String lsn;
      String replayLsn;
      long timeline;
      String receiverStatus = null;
      String senderHost = null;
      try (ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
        rs.next();
        inRecovery = rs.getBoolean(1);
      }
      if (inRecovery) {
        try (ResultSet rs = s.executeQuery(
            "select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
                + " (select timeline_id from pg_control_checkpoint())")) {
          rs.next();
          lsn = rs.getString(1);
          replayLsn = rs.getString(2);
          timeline = rs.getLong(3);
        }
        try (ResultSet rs = s.executeQuery("select status, sender_host, received_tli from pg_stat_wal_receiver")) {
          if (rs.next()) {
            receiverStatus = rs.getString(1);
            senderHost = rs.getString(2);
            timeline = Math.max(timeline, rs.getLong(3));
          }
        }
        if (lsn == null) {
          lsn = replayLsn;
        }
      } else {
        try (ResultSet rs = s.executeQuery(
            "select pg_current_wal_lsn()::text,"
                + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint")) {
          rs.next();
          lsn = rs.getString(1);
          replayLsn = lsn;
          timeline = rs.getLong(2);
        }
      }
      List<InstanceProbe.Slot> slots = new ArrayList<>();
      try (ResultSet rs = s.executeQuery(
          "select slot_name, active, restart_lsn::text, wal_status from pg_replication_slots"
              + " where slot_type = 'physical' order by slot_name")) {
        while (rs.next()) {
          slots.add(new InstanceProbe.Slot(rs.getString(1), rs.getBoolean(2), rs.getString(3), rs.getString(4)));
        }
      }
      List<InstanceProbe.Standby> standbys = new ArrayList<>();
      String lagExpr = inRecovery ? "null::numeric" : "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)";
      try (ResultSet rs = s.executeQuery(
          "select application_name, state, sync_state, replay_lsn::text, " + lagExpr
              + " from pg_stat_replication order by application_name")) {
        while (rs.next()) {
          long lag = rs.getLong(5);
          standbys.add(new InstanceProbe.Standby(rs.getString(1), rs.getString(2), rs.getString(3),
              rs.getString(4), rs.wasNull() ? null : lag));
        }
      }
      List<String> pending = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("select name from pg_settings where pending_restart order by name")) {
        while (rs.next()) {
          pending.add(rs.getString(1));
        }
      }
      List<InstanceProbe.BaseBackup> baseBackups = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("select a.application_name, p.phase, p.backup_streamed, p.backup_total"
          + " from pg_stat_progress_basebackup p join pg_stat_activity a using (pid) order by a.application_name")) {
        while (rs.next()) {
          long total = rs.getLong(4);
          baseBackups.add(new InstanceProbe.BaseBackup(rs.getString(1), rs.getString(2), rs.getLong(3),
              rs.wasNull() ? null : total));
        }
      }
      return new InstanceProbe(inRecovery, lsn, replayLsn, timeline, receiverStatus, senderHost,
          List.copyOf(slots), List.copyOf(standbys), List.copyOf(pending), List.copyOf(baseBackups));
    }
  }
}
