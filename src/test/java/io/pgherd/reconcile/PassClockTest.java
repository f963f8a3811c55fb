package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PassClockTest {
  private final AtomicLong now = new AtomicLong();
  private final PassClock clock = new PassClock(now::get);

  private void after(long millis, String step) {
    now.addAndGet(millis * 1_000_000);
    clock.lap(step);
  }

  @Test
  void aSlowPassNamesItsStepsTheLongestFirstLeavingOutTheShortOnes() {
    clock.start();
    after(1012, "observe");
    after(3, "gates");
    after(1003, "load-balancer");
    after(120, "status");
    assertThat(clock.took().toMillis()).isEqualTo(2138);
    assertThat(clock.slowSteps()).isEqualTo("observe 1012 ms, load-balancer 1003 ms, status 120 ms");
  }

  @Test
  void aPassUnderTheSlowMarkSaysNothingAndANewPassForgetsTheLastOnesSteps() {
    clock.start();
    after(1600, "observe");
    assertThat(clock.slowSteps()).isEqualTo("observe 1600 ms");
    clock.start();
    after(900, "observe");
    after(500, "status");
    assertThat(clock.slowSteps()).isEmpty();
  }

  @Test
  void aSlowPassOfManySmallStepsSaysSo() {
    clock.start();
    for (int i = 0; i < 40; i++) {
      after(40, "step" + i);
    }
    assertThat(clock.slowSteps()).isEqualTo("no step over 50 ms");
  }
}
