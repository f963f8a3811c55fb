package io.pgherd.agent;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Looks at the server every {@code periodMillis} (every {@link #RETRY_MILLIS} while it does not
 * answer) on the agent's session and keeps the latest
 * {@link Health.State} for the health endpoint: one small query on a connection kept open, instead of
 * a process and a login per check. Changes of role and failures are logged when they happen, not
 * at every look.
 */
final class HealthWatch implements Runnable {
  static final String QUERY = "select pg_is_in_recovery(), case when pg_is_in_recovery() then"
      + " (select greatest(0, pg_wal_lsn_diff(latest_end_lsn, pg_last_wal_replay_lsn()))::bigint"
      + " from pg_stat_wal_receiver) end";

  /**
   * The next look after one that found PostgreSQL unavailable (starting, restarting, stopped):
   * sooner than the period, so a server that has just started — a new replica, a former primary
   * rejoining — is seen as soon as it answers. A failed connection to the local socket costs little.
   */
  static final long RETRY_MILLIS = 100;

  private final LocalSession session;
  private final long periodMillis;
  private final long queryTimeoutMillis;
  private final LongSupplier clock;
  private final Log log;
  private volatile Health.State state;
  private volatile boolean stopped;

  HealthWatch(LocalSession session, long periodMillis, long queryTimeoutMillis, LongSupplier clock, Log log) {
    this.session = session;
    this.periodMillis = periodMillis;
    this.queryTimeoutMillis = queryTimeoutMillis;
    this.clock = clock;
    this.log = log;
  }

  Health.State state() {
    return state;
  }

  /** One look, now. */
  Health.State look() {
    Health.State next;
    long at = clock.getAsLong();
    try {
      List<String[]> rows = session.query(QUERY, queryTimeoutMillis);
      String[] row = rows.get(0);
      boolean recovery = "t".equals(row[0]);
      next = new Health.State(recovery ? Health.Role.REPLICA : Health.Role.PRIMARY,
          row[1] == null ? null : Long.valueOf(row[1]), at, null);
    } catch (Exception e) {
      next = Health.State.unavailable(at, String.valueOf(e.getMessage()));
    }
    Health.State before = state;
    if (before == null || before.role() != next.role()) {
      log.info("PostgreSQL is " + next.role().json() + (next.error() == null ? "" : ": " + next.error()));
    }
    state = next;
    return next;
  }

  @Override
  public void run() {
    while (!stopped) {
      long start = clock.getAsLong();
      Health.State now = look();
      long rest = pause(now, periodMillis, clock.getAsLong() - start);
      if (rest > 0) {
        try {
          Thread.sleep(rest);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** How long to wait before the next look, after one that found {@code state} and took {@code tookMillis}. */
  static long pause(Health.State state, long periodMillis, long tookMillis) {
    long period = state.role() == Health.Role.UNAVAILABLE ? Math.min(periodMillis, RETRY_MILLIS) : periodMillis;
    return Math.max(0, period - tookMillis);
  }

  void stop() {
    stopped = true;
  }
}
