package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.docker.DockerGateway;
import io.pgherd.reconcile.Operator;
import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorLockWaitTest {
  @Test
  void aStartingOperatorWaitsForALockACommandHoldsForAMoment(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AutoCloseable held = home.tryLock().orElseThrow(); // e.g. `pgherd delete` doing its own pass
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(1500);
        held.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock");
        Operator operator = new Operator(home, docker, Optional.empty())) {
      release.start();
      long t = System.nanoTime();
      OperatorCommand.startWaitingForLock(operator, Duration.ofSeconds(20), new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(operator.isRunning()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - t)).isGreaterThanOrEqualTo(Duration.ofMillis(1000));
      assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("waiting up to 20 s: another pgherd operator is running on");
    } finally {
      release.join();
    }
  }

  @Test
  void aSecondOperatorIsRefusedOnceTheWaitIsOver(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock");
        Operator first = new Operator(home, docker, Optional.empty());
        Operator second = new Operator(home, docker, Optional.empty())) {
      first.start();
      assertThatThrownBy(() -> OperatorCommand.startWaitingForLock(second, Duration.ofMillis(600),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
          .isInstanceOf(Operator.Locked.class).hasMessageContaining("another pgherd operator is running on " + dir);
      assertThat(second.isRunning()).isFalse();
    }
  }
}
