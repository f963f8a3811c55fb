package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.agent.Health.Role;
import io.pgherd.agent.Health.State;
import org.junit.jupiter.api.Test;

class HealthWatchTest {
  @Test
  void aServerThatAnswersIsLookedAtEveryPeriodOneThatDoesNotSooner() {
    assertThat(HealthWatch.pause(new State(Role.PRIMARY, null, 0, null), 500, 3)).isEqualTo(497);
    assertThat(HealthWatch.pause(new State(Role.REPLICA, 0L, 0, null), 500, 0)).isEqualTo(500);
    assertThat(HealthWatch.pause(State.unavailable(0, "starting up"), 500, 2)).isEqualTo(98);
    assertThat(HealthWatch.pause(State.unavailable(0, "starting up"), 50, 0)).as("never slower than the period")
        .isEqualTo(50);
    assertThat(HealthWatch.pause(new State(Role.PRIMARY, null, 0, null), 500, 900)).as("a slow look: at once")
        .isZero();
  }
}
