package io.pgherd.cluster;

import java.time.Duration;

/** What a reconcile pass asks for next: run again after {@code delay}, for {@code reason}. */
public record Result(Duration delay, String reason, boolean done) {
  /** The next look while something is under way. */
  public static final Duration FAST = Duration.ofSeconds(1);

  public static Result requeue(Duration delay, String reason) {
    return new Result(delay, reason, false);
  }

  /** The cluster is gone (deleted): stop reconciling it. */
  public static Result finished(String reason) {
    return new Result(Duration.ZERO, reason, true);
  }
}
