package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Real Quartz (in memory): triggers fire with their scheduled time, and can be changed and removed. */
class BackupSchedulerTest {
  @Test
  void firesEverySecondWithTheScheduledTimeUntilRemoved() throws Exception {
    List<Instant> fired = new CopyOnWriteArrayList<>();
    try (BackupScheduler s = new BackupScheduler((cluster, at) -> {
      assertThat(cluster).isEqualTo("demo");
      fired.add(at);
    })) {
      s.ensure("demo", "* * * * * ?");
      s.ensure("demo", "* * * * * ?"); // idempotent
      assertThat(s.next("demo")).isPresent();
      long deadline = System.currentTimeMillis() + 10_000;
      while (fired.size() < 2 && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertThat(fired).hasSizeGreaterThanOrEqualTo(2);
      assertThat(fired).allSatisfy(at -> assertThat(at.getNano()).isZero()); // the slot, not the moment it ran
      s.ensure("demo", null);
      assertThat(s.next("demo")).isEmpty();
      int n = fired.size();
      Thread.sleep(1500);
      assertThat(fired.size()).isLessThanOrEqualTo(n + 1); // one already under way at most
      assertThatThrownBy(() -> s.ensure("demo", "not a cron")).hasMessageContaining("cannot schedule backups of demo");
    }
  }
}
