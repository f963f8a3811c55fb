package io.pgherd.it;

import io.pgherd.store.Home;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The original stack's `cinsert`, bounded: inserts numbered rows through a port, one transaction
 * each, and remembers every insert PostgreSQL acknowledged and when. Reconnects after errors.
 * Stops when closed, after {@code maxDuration}, or after {@code maxRows}.
 */
final class WriteLoop implements AutoCloseable {
  private final java.util.concurrent.Callable<Connection> connect;
  private final Duration maxDuration;
  private final int maxRows;
  final List<Long> acknowledged = new CopyOnWriteArrayList<>();
  final List<Instant> acknowledgedAt = new CopyOnWriteArrayList<>();
  /** The server (inet_server_addr) that acknowledged each write, in the order of {@link #acknowledged}. */
  final List<String> acknowledgedBy = new CopyOnWriteArrayList<>();
  final AtomicLong errors = new AtomicLong();
  private volatile boolean running = true;
  private final Thread thread;

  WriteLoop(Home home, String cluster, int port, Duration maxDuration, int maxRows) throws Exception {
    this(() -> ItSupport.connect(home, cluster, port), maxDuration, maxRows);
  }

  /** Through the connections {@code connect} opens (a load balancer's read-write port). */
  WriteLoop(java.util.concurrent.Callable<Connection> connect, Duration maxDuration, int maxRows) throws Exception {
    this.connect = connect;
    this.maxDuration = maxDuration;
    this.maxRows = maxRows;
    try (Connection c = connect.call(); Statement s = c.createStatement()) {
      // each loop numbers its rows from 1: a table left by an earlier loop would refuse them
      s.execute("drop table if exists cinsert");
      s.execute("create table cinsert(id bigint primary key, at timestamptz not null default clock_timestamp())");
    }
    thread = new Thread(this::loop, "write-loop");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    Instant end = Instant.now().plus(maxDuration);
    long next = 1;
    Connection c = null;
    while (running && Instant.now().isBefore(end) && acknowledged.size() < maxRows) {
      try {
        if (c == null) {
          c = connect.call();
        }
        String server;
        try (PreparedStatement ps = c.prepareStatement("insert into cinsert(id) values (?) returning inet_server_addr()::text")) {
          ps.setLong(1, next);
          try (java.sql.ResultSet rs = ps.executeQuery()) {
            rs.next();
            server = rs.getString(1);
          }
        }
        acknowledgedBy.add(server);
        acknowledged.add(next);
        acknowledgedAt.add(Instant.now());
        next++;
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        errors.incrementAndGet();
        next++; // the outcome of that insert is unknown: never reuse its number
        try {
          if (c != null) {
            c.close();
          }
        } catch (Exception ignored) {
          // the connection is broken anyway
        }
        c = null;
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  int count() {
    return acknowledged.size();
  }

  /** Acknowledged after {@code t}. */
  /** The longest time between two consecutive acknowledged writes: the write outage. */
  Duration longestGap() {
    Duration longest = Duration.ZERO;
    for (int i = 1; i < acknowledgedAt.size(); i++) {
      Duration gap = Duration.between(acknowledgedAt.get(i - 1), acknowledgedAt.get(i));
      longest = gap.compareTo(longest) > 0 ? gap : longest;
    }
    return longest;
  }

  long acknowledgedAfter(Instant t) {
    return acknowledgedAt.stream().filter(a -> a.isAfter(t)).count();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(15_000);
  }
}
