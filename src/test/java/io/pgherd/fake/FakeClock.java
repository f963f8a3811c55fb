package io.pgherd.fake;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until the test moves it: the reconciler's decisions in time (the
 * detection window, the rejoin and switchover patiences) and the fake engine's event times follow
 * it, so a test says how much time passes instead of waiting for it. Thread-safe (the pass reads it
 * from several threads).
 */
public final class FakeClock extends Clock {
  /** Where a scene's clock starts: any fixed instant will do. */
  public static final Instant START = Instant.parse("2026-01-05T09:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  public FakeClock() {
    this(START);
  }

  public FakeClock(Instant start) {
    this(new AtomicReference<>(start), ZoneOffset.UTC);
  }

  private FakeClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** Time passes by {@code d} (not negative). */
  public void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + d);
    }
    now.updateAndGet(t -> t.plus(d));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** The same time, seen in another zone (it moves with this one). */
  @Override
  public Clock withZone(ZoneId zone) {
    return new FakeClock(now, zone);
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + "]";
  }
}
