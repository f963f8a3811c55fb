package io.pgherd.swarm;

import java.util.Objects;

/**
 * The decisions of a leader election over a lease record kept in a replicated store that updates
 * by compare-and-swap (a Swarm object's version): Kubernetes' Lease, as its client-go leader
 * election uses it. Pure logic, one instance per candidate, called from one thread; the store and
 * the clock are the caller's ({@link SwarmLease}).
 *
 * <p>No candidate trusts another's clock: the record carries a renewal counter, not a time, and a
 * candidate measures on its own monotonic clock how long the record has stayed the same. A lease
 * is free when its record has not changed for its duration (its holder stopped renewing) or has no
 * holder. The holder renews every {@link #renewEvery()}; it counts as leader only until its last
 * successful write plus the duration minus a margin, so it stops acting before anyone else can
 * take over — also when it cannot reach the store at all. Each take-over adds one to
 * {@code transitions}: the fencing token of that leadership.
 *
 * <p>A store that nobody could read for a while (a Swarm electing a new raft leader) does not
 * hand the lease over by itself: a candidate that could not read it waits {@link #recoveryGrace()}
 * after its first read that works again before it takes over for silence, time enough for a holder
 * that lapsed meanwhile (and acted on nothing since) to renew first.
 *
 * <p>A candidate leads once: when the record shows its leadership ended (another holder, no
 * holder, another token), it never takes the lease again — what it knew belongs to that token,
 * and a holder that came between may have changed anything (the process starts again as a new
 * candidate, with a new identity, and reads the state afresh).
 */
public final class LeaseElector {
  /** What the store holds: who leads, how often it has renewed, for how long a silence counts, how many take-overs. */
  public record Record(String holder, long renewals, long durationMillis, long transitions) {
    public Record {
      Objects.requireNonNull(holder, "holder");
    }

    static Record none(long durationMillis) {
      return new Record("", 0, durationMillis, 0);
    }

    boolean held() {
      return !holder.isEmpty();
    }
  }

  /** What to do now: write {@code record} at the version read (a take-over or a renewal), or nothing. */
  public record Decision(Record write, String why) {
    public boolean writes() {
      return write != null;
    }
  }

  private final String me;
  private final long durationMillis;
  private final long marginMillis;
  private Record seen;
  private long seenSince;
  private long leaderUntil = Long.MIN_VALUE;
  private Record pending;
  /** The token of this candidate's leadership once it has led (0: never): it leads under that one only. */
  private long ledToken;
  /** Whether the last read of the store failed; then when the first one that worked again was. */
  private boolean unreadable;
  private long readableSince = Long.MIN_VALUE;

  /**
   * @param me this candidate's identity (e.g. its task id)
   * @param durationMillis how long a lease is held without renewal
   * @param marginMillis how much sooner than that the holder stops counting itself leader
   */
  public LeaseElector(String me, long durationMillis, long marginMillis) {
    if (me == null || me.isEmpty()) {
      throw new IllegalArgumentException("a candidate needs an identity");
    }
    if (durationMillis <= 0 || marginMillis < 0 || marginMillis >= durationMillis) {
      throw new IllegalArgumentException("need 0 <= margin < duration, not margin " + marginMillis + " ms and duration "
          + durationMillis + " ms");
    }
    this.me = me;
    this.durationMillis = durationMillis;
    this.marginMillis = marginMillis;
  }

  /** This candidate's identity. */
  public String me() {
    return me;
  }

  /** How often the holder renews: a third of the duration. */
  public long renewEvery() {
    return durationMillis / 3;
  }

  /** How long a candidate that could not read the store waits, once it can again, before it takes over for silence. */
  public long recoveryGrace() {
    return renewEvery() / 2;
  }

  /** The store could not be read just now (it answered nothing, or an error). */
  public void unreadable() {
    unreadable = true;
  }

  /**
   * Decides from the record as just read ({@code null}: none in the store yet), at {@code now} on
   * this candidate's monotonic clock.
   */
  public Decision decide(Record current, long now) {
    return decide(current, now, false);
  }

  /**
   * As {@link #decide(Record, long)}, where {@code holderGone} says the store's own view is that
   * the holder has ended for good (its Swarm task exited, as its node reported): its lease is free
   * at once, with no need to wait out its duration.
   */
  public Decision decide(Record current, long now, boolean holderGone) {
    Record record = current == null ? Record.none(durationMillis) : current;
    if (unreadable) {
      unreadable = false;
      readableSince = now;
    }
    if (!record.equals(seen)) {
      seen = record;
      seenSince = now;
    }
    if (!record.holder().equals(me)) {
      leaderUntil = Long.MIN_VALUE; // the record says another leads (or nobody): this candidate does not
    }
    if (ledToken != 0 && !(record.holder().equals(me) && record.transitions() == ledToken)) {
      leaderUntil = Long.MIN_VALUE;
      pending = null;
      return new Decision(null, "this candidate's leadership (token " + ledToken + ") has ended ("
          + (record.held() ? record.holder() + " holds the lease" : "nobody holds the lease") + ", token "
          + record.transitions() + "): it does not take the lease again");
    }
    if (record.holder().equals(me)) {
      pending = new Record(me, record.renewals() + 1, durationMillis, record.transitions());
      return new Decision(pending, "renew");
    }
    if (!record.held()) {
      pending = new Record(me, 0, durationMillis, record.transitions() + 1);
      return new Decision(pending, "take the free lease");
    }
    long silent = now - seenSince;
    if (holderGone) {
      pending = new Record(me, 0, durationMillis, record.transitions() + 1);
      return new Decision(pending, "take over from " + record.holder() + ", which has ended");
    }
    long readable = now - readableSince;
    if (silent >= record.durationMillis() && readableSince != Long.MIN_VALUE && readable < recoveryGrace()) {
      pending = null;
      return new Decision(null, record.holder() + " may renew first: the store answers again since " + readable
          + " ms (silent " + silent + " ms by this candidate's clock)");
    }
    if (silent >= record.durationMillis()) {
      pending = new Record(me, 0, durationMillis, record.transitions() + 1);
      return new Decision(pending, "take over from " + record.holder() + ", silent for " + silent + " ms");
    }
    pending = null;
    return new Decision(null, record.holder() + " leads (renewed " + silent + " ms ago by this candidate's clock)");
  }

  /**
   * Gives the lease up (a clean stop): the record with no holder, so the next candidate takes it
   * at its next round instead of after a whole duration. Null when this candidate does not hold it
   * by the record last read. This candidate stops leading at once, whether or not the write is taken.
   */
  public Decision release(Record current) {
    leaderUntil = Long.MIN_VALUE;
    if (current == null || !current.holder().equals(me)) {
      pending = null;
      return null;
    }
    pending = new Record("", current.renewals() + 1, current.durationMillis(), current.transitions());
    return new Decision(pending, "release");
  }

  /**
   * The write of the last decision's record: {@code ok} when the store took it at the version
   * read; false when another write came first (then read again and decide again). {@code startedAt}
   * is when the read before it began: leadership counts from then, not from the write's end.
   */
  public void written(boolean ok, long startedAt) {
    if (pending == null) {
      throw new IllegalStateException("no write was decided");
    }
    if (ok) {
      seen = pending;
      seenSince = startedAt;
      leaderUntil = pending.holder().equals(me) ? startedAt + durationMillis - marginMillis : Long.MIN_VALUE;
      if (pending.holder().equals(me)) {
        ledToken = pending.transitions();
      }
    }
    pending = null;
  }

  /** Whether this candidate leads at {@code now}: its last write is recent enough that nobody else can have taken over. */
  public boolean leads(long now) {
    return seen != null && seen.holder().equals(me) && now < leaderUntil;
  }

  /** Until when (this candidate's monotonic clock) it leads by its last successful write; {@code Long.MIN_VALUE} when it does not. */
  public long leaderUntil() {
    return leaderUntil;
  }

  /** The holder in the record as last read (empty: none). */
  public String holder() {
    return seen == null ? "" : seen.holder();
  }

  /** The fencing token of this candidate's leadership (its take-over's number), while it leads. */
  public long token() {
    return seen == null ? 0 : seen.transitions();
  }
}
