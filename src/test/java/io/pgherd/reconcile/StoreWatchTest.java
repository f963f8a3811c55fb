package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreWatchTest {
  @TempDir Path home;

  /** Waits in another thread; the returned future completes when await returns. */
  private static CompletableFuture<Void> awaiting(StoreWatch w, Duration timeout) {
    return CompletableFuture.runAsync(() -> {
      try {
        w.await(timeout);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aFileWrittenInAWatchedDirectoryEndsTheWaitLongBeforeItsTimeout() throws Exception {
    Path clusters = Files.createDirectories(home.resolve("clusters"));
    try (StoreWatch w = new StoreWatch(clusters, home.resolve("requests"))) {
      w.await(Duration.ofMillis(1)); // registers what exists
      CompletableFuture<Void> waiting = awaiting(w, Duration.ofMinutes(10));
      Thread.sleep(200);
      assertThat(waiting).isNotDone();
      Files.writeString(clusters.resolve("a.yaml"), "x");
      waiting.get(60, TimeUnit.SECONDS); // not the 10 minutes
    }
  }

  @Test
  void aDirectoryMadeLaterIsWatchedFromTheNextWait() throws Exception {
    Path requests = home.resolve("requests");
    try (StoreWatch w = new StoreWatch(home.resolve("clusters"), requests)) {
      w.await(Duration.ofMillis(1)); // neither exists: nothing registered
      Files.createDirectories(requests);
      w.await(Duration.ofMillis(1)); // registers requests/
      CompletableFuture<Void> waiting = awaiting(w, Duration.ofMinutes(10));
      Thread.sleep(200);
      assertThat(waiting).isNotDone();
      Files.writeString(requests.resolve("a.delete"), "");
      waiting.get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void withoutChangesTheWaitLastsItsTimeout() throws Exception {
    Path clusters = Files.createDirectories(home.resolve("clusters"));
    try (StoreWatch w = new StoreWatch(clusters)) {
      long start = System.nanoTime();
      w.await(Duration.ofMillis(300));
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
    }
  }
}
