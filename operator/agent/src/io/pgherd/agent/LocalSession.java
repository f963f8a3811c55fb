package io.pgherd.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The agent's one connection to its PostgreSQL, kept open between queries and opened again when it
 * breaks (the server restarted, a query timed out). Queries are serialised: the health refresher and
 * the API take turns on it.
 */
final class LocalSession implements AutoCloseable {
  private final Path socketDir;
  private final int port;
  private final long connectTimeoutMillis;
  private PgWire wire;
  private long connects;

  LocalSession(Path socketDir, int port, long connectTimeoutMillis) {
    this.socketDir = socketDir;
    this.port = port;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /** Rows of one statement, on the open session (opened first when there is none). */
  synchronized List<String[]> query(String sql, long timeoutMillis) throws IOException {
    if (wire == null || !wire.isOpen()) {
      wire = PgWire.connect(socketDir, port, "postgres", "postgres",
          Map.of("application_name", "pgherd-agent", "statement_timeout", Long.toString(timeoutMillis),
              "log_min_duration_statement", "-1"), connectTimeoutMillis);
      connects++;
    }
    return wire.query(sql, timeoutMillis);
  }

  /** How many times the session was opened since the agent started (a health figure: it should stay low). */
  synchronized long connects() {
    return connects;
  }

  @Override
  public synchronized void close() {
    if (wire != null) {
      wire.close();
      wire = null;
    }
  }
}
