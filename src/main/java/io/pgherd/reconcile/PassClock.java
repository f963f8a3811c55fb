package io.pgherd.reconcile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Where one pass's time went, step by step (pure: the nanosecond source is given). A pass slower
 * than {@link #SLOW} is said with its steps, the slow ones first: a host lost or cut off shows as
 * the steps that each waited out a timeout of its agents.
 */
final class PassClock {
  /** A pass taking longer than this is said with its steps. */
  static final Duration SLOW = Duration.ofMillis(1500);
  /** A step shorter than this is left out of the breakdown. */
  static final Duration NOTABLE = Duration.ofMillis(50);

  private final LongSupplier nanos;
  private final List<Lap> laps = new ArrayList<>();
  private long started;
  private long last;

  private record Lap(String step, long nanos) {}

  PassClock(LongSupplier nanos) {
    this.nanos = nanos;
  }

  PassClock() {
    this(System::nanoTime);
  }

  /** A new pass begins: the laps of the last one are forgotten. */
  void start() {
    laps.clear();
    started = nanos.getAsLong();
    last = started;
  }

  /** The step named ended now: the time since the last lap (or the start) was its. */
  void lap(String step) {
    long now = nanos.getAsLong();
    laps.add(new Lap(step, now - last));
    last = now;
  }

  /** The pass so far, from its start. */
  Duration took() {
    return Duration.ofNanos(last - started);
  }

  /**
   * The pass's steps, the longest first, those under {@link #NOTABLE} left out ("observe 1012 ms,
   * load-balancer 1003 ms"); empty when the pass took less than {@link #SLOW}.
   */
  String slowSteps() {
    if (took().compareTo(SLOW) < 0) {
      return "";
    }
    List<String> out = new ArrayList<>();
    laps.stream().filter(l -> l.nanos() >= NOTABLE.toNanos())
        .sorted((a, b) -> Long.compare(b.nanos(), a.nanos()))
        .forEach(l -> out.add(l.step() + " " + l.nanos() / 1_000_000 + " ms"));
    return out.isEmpty() ? "no step over " + NOTABLE.toMillis() + " ms" : String.join(", ", out);
  }
}
