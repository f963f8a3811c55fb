package io.pgherd.fake;

import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.EngineUnavailableException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Where every call to the {@link FakeEngine} passes: the engine must be reachable
 * ({@link #unreachable}), the call waits its {@link #slow} delay outside the lock, then runs under
 * the engine's lock (this object's).
 */
abstract class EngineGate implements ContainerRuntime {
  public static final String HOST = "fake://engine";

  private volatile boolean unreachable;
  private final Map<String, Duration> slow = new ConcurrentHashMap<>();

  /** Every call throws {@link EngineUnavailableException} while on (nothing is recorded or changed). */
  public void unreachable(boolean on) {
    unreachable = on;
  }

  /**
   * Delays every call of {@code operation} (a method name of {@link ContainerRuntime}: exec,
   * copyFiles, start, containers...) by {@code delay} before it runs, without holding the lock;
   * {@link Duration#ZERO} removes the delay. Keep it to a few milliseconds.
   */
  public void slow(String operation, Duration delay) {
    if (delay.isZero()) {
      slow.remove(operation);
    } else {
      slow.put(operation, delay);
    }
  }

  /** A call: the gate, then {@code body} under the lock. */
  final <T> T call(String operation, Supplier<T> body) {
    enter(operation);
    synchronized (this) {
      return body.get();
    }
  }

  final void run(String operation, Runnable body) {
    enter(operation);
    synchronized (this) {
      body.run();
    }
  }

  /** Every call: the engine must be reachable; then the call's configured delay, outside the lock. */
  final void enter(String operation) {
    if (unreachable) {
      throw new EngineUnavailableException("Docker engine at " + HOST + " is unreachable: the test switched it off",
          null);
    }
    Duration d = slow.get(operation);
    if (d != null) {
      try {
        Thread.sleep(d.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
