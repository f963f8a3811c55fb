package io.pgherd.fake;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@link FakePostgres}'s failure switches, by member, and what they caused; used under the engine's lock. */
final class PgSwitches {
  /** SQL blocks this long, then times out ({@link FakePostgres#hang}). */
  final Map<String, Duration> hangs = new HashMap<>();
  /** How far behind its primary a standby receives ({@link FakePostgres#lagBehind}). */
  final Map<String, Long> lags = new HashMap<>();
  /** Standbys whose WAL receiver cannot connect (its primary refuses it) ({@link FakePostgres#refuseStreaming}). */
  final Set<String> refusedStreaming = new TreeSet<>();
  /** Probes over SQL (each a login with the real gateway), by member. */
  final Map<String, Integer> sqlProbes = new HashMap<>();
  /** SQL calls that timed out. */
  final Map<String, Integer> timeouts = new HashMap<>();
  /** The next rejoin's pg_rewind sees the old timeline ({@link FakePostgres#rewindSeesOldTimeline}). */
  final Set<String> staleRewinds = new TreeSet<>();
  /** Shutdowns do not finish ({@link FakePostgres#stallShutdown}). */
  final Set<String> stalledShutdowns = new TreeSet<>();
  /** The WAL handed over at the primary's shutdown does not arrive ({@link FakePostgres#missShutdownWal}). */
  final Set<String> missShutdownWal = new TreeSet<>();
  /** Members whose agent keeps PostgreSQL stopped on the operator's word (POST /v1/stop), with how; until the
   * operator's start, or the container's next start (the hold lives in the agent's memory). */
  final Map<String, String> held = new HashMap<>();
  /** Members whose agent fenced them, with the marker's text: their PostgreSQL is stopped (SQL refused). */
  final Map<String, String> fenced = new HashMap<>();

  /** The member's server stopped: switches that last as long as it runs end. */
  void stopped(String member) {
    hangs.remove(member);
    stalledShutdowns.remove(member);
  }
}
