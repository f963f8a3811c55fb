package io.pgherd.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

/**
 * SQL to one member, through its published port. Short timeouts: a member that does not answer
 * within a few seconds counts as unreachable for this pass. Identifiers and values are bound,
 * never formatted into SQL.
 */
public final class InstanceGateway implements Instance {
  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final java.nio.file.Path rootCertificate;

  public InstanceGateway(String host, int port, String user, String password) {
    this(host, port, user, password, null);
  }

  /**
   * @param rootCertificate the cluster's CA when TLS is enforced: the connection is then made over
   *     TLS and the member's certificate verified against it and the host name (verify-full);
   *     null: without TLS
   */
  public InstanceGateway(String host, int port, String user, String password, java.nio.file.Path rootCertificate) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.rootCertificate = rootCertificate;
  }

  public Connection connect() throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "10");
    props.setProperty("loginTimeout", "2");
    props.setProperty("ApplicationName", "pgherd-operator");
    if (rootCertificate != null) {
      props.setProperty("sslmode", "verify-full");
      props.setProperty("sslrootcert", rootCertificate.toString());
    } else {
      props.setProperty("sslmode", "disable");
    }
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", props);
  }

  private InstanceProbe probeSql() throws SQLException {
    try (Connection c = connect()) {
      return ProbeQuery.probe(c);
    }
  }

  /** The WAL received and flushed so far; empty when the server is not in recovery (promoted). */
  private Optional<String> receivedLsnSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select pg_is_in_recovery(), pg_last_wal_receive_lsn()::text")) {
      rs.next();
      String lsn = rs.getString(2);
      return rs.getBoolean(1) ? Optional.of(lsn == null ? "0/0" : lsn) : Optional.empty();
    }
  }

  /** The server's current timeline and its history file's content ("" on timeline 1). */
  private java.util.Map.Entry<Long, String> timelineHistorySql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      long tli;
      try (ResultSet rs = s.executeQuery(
          "select ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint")) {
        rs.next();
        tli = rs.getLong(1);
      }
      if (tli <= 1) {
        return java.util.Map.entry(tli, "");
      }
      try (PreparedStatement ps = c.prepareStatement("select pg_read_file(?)")) {
        ps.setString(1, String.format("pg_wal/%08X.history", tli));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return java.util.Map.entry(tli, rs.getString(1));
        }
      }
    }
  }

  /** PostgreSQL's system identifier (pg_control_system()), the same on every member of a cluster. */
  private String systemIdentifierSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select system_identifier::text from pg_control_system()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Creates a physical slot that reserves WAL from now on; an existing slot is left as it is. */
  private boolean createSlotSql(String name) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(
            "select pg_create_physical_replication_slot(?, true)"
                + " where not exists (select 1 from pg_replication_slots where slot_name = ?)")) {
      ps.setString(1, name);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Drops a slot that is not in use; absent is success. Returns false when it is active. */
  private boolean dropSlotSql(String name) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(
            "select active from pg_replication_slots where slot_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return true;
        }
        if (rs.getBoolean(1)) {
          return false;
        }
      }
      try (PreparedStatement drop = c.prepareStatement("select pg_drop_replication_slot(?)")) {
        drop.setString(1, name);
        drop.execute();
      }
      return true;
    }
  }

  /**
   * Promotes the server and waits (at most 30 s) until it accepts writes, looking every 10 ms
   * rather than pg_promote's own 100 ms; true once promoted.
   */
  /**
   * Promotes the server (unless it is promoted already), waits (at most 30 s) until it accepts
   * writes, looking every 10 ms rather than pg_promote's own 100 ms, then probes it on the same
   * connection: a second login costs more than the promotion itself.
   */
  private InstanceProbe promoteAndProbeSql() throws SQLException {
    try (Connection c = connect()) {
      promote(c);
      return ProbeQuery.probe(c);
    }
  }

  private static boolean promote(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("select case when pg_is_in_recovery() then pg_promote(false) else true end")) {
        rs.next();
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return true;
          }
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return false;
    }
  }

  /** Moves a slot's restart_lsn forward (never back) so the WAL before it can be recycled. */
  private void advanceSlotSql(String name, String lsn) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement("select pg_replication_slot_advance(?, ?::pg_lsn)")) {
      ps.setString(1, name);
      ps.setString(2, lsn);
      ps.execute();
    }
  }

  /**
   * A checkpoint: after a promotion it writes the new timeline into pg_control, which pg_rewind
   * reads from its source (without it, a just-promoted source looks like the old timeline).
   */
  private void checkpointSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("checkpoint");
    }
  }

  /** CHECKPOINT, then the LSN of that checkpoint's record (pg_control). */
  private String checkpointLsnSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("checkpoint");
      try (ResultSet rs = s.executeQuery("select checkpoint_lsn::text from pg_control_checkpoint()")) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /** How far a replica has replayed (null on a primary). */
  private String replayedLsnSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select pg_last_wal_replay_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private void reloadConfSql() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("select pg_reload_conf()");
    }
  }

  // ---------------------------------------------------------------- the Instance seam: SQLException stays here

  @Override
  public InstanceProbe probe() throws InstanceException {
    return sql(this::probeSql);
  }

  @Override
  public Optional<String> receivedLsn() throws InstanceException {
    return sql(this::receivedLsnSql);
  }

  @Override
  public java.util.Map.Entry<Long, String> timelineHistory() throws InstanceException {
    return sql(this::timelineHistorySql);
  }

  @Override
  public String systemIdentifier() throws InstanceException {
    return sql(this::systemIdentifierSql);
  }

  @Override
  public boolean createSlot(String name) throws InstanceException {
    return sql(() -> createSlotSql(name));
  }

  @Override
  public boolean dropSlot(String name) throws InstanceException {
    return sql(() -> dropSlotSql(name));
  }

  @Override
  public InstanceProbe promoteAndProbe() throws InstanceException {
    return sql(this::promoteAndProbeSql);
  }

  @Override
  public void advanceSlot(String name, String lsn) throws InstanceException {
    sql(() -> {
      advanceSlotSql(name, lsn);
      return null;
    });
  }

  @Override
  public void checkpoint() throws InstanceException {
    sql(() -> {
      checkpointSql();
      return null;
    });
  }

  @Override
  public String checkpointLsn() throws InstanceException {
    return sql(this::checkpointLsnSql);
  }

  @Override
  public String replayedLsn() throws InstanceException {
    return sql(this::replayedLsnSql);
  }

  @Override
  public void reloadConf() throws InstanceException {
    sql(() -> {
      reloadConfSql();
      return null;
    });
  }

  /** A statement that may fail with the driver's exception. */
  @FunctionalInterface
  private interface Sql<T> {
    T run() throws SQLException;
  }

  /** Runs it; the driver's exception becomes an {@link InstanceException} with the same message. */
  private static <T> T sql(Sql<T> call) throws InstanceException {
    try {
      return call.run();
    } catch (SQLException e) {
      throw new InstanceException(e);
    }
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
