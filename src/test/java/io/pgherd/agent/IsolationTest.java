package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IsolationTest {
  private static final long T = 10_000;

  @Test
  void aPrimaryCutOffFromTheOperatorAndTheMajorityFences() {
    Isolation.Decision d = Isolation.decide(true, T, T, 2, 0);
    assertThat(d.fence()).isTrue();
    assertThat(d.reason()).isEqualTo("no word from the operator for 10000 ms (isolation timeout 10000 ms) and only 1 of 3"
        + " members reachable (no majority)");
    assertThat(Isolation.decide(true, T + 5000, T, 4, 1).fence()).as("2 of 5").isTrue();
    assertThat(Isolation.decide(true, T, T, 1, 0).fence()).as("1 of 2 is no majority").isTrue();
  }

  @Test
  void anOperatorHeardWithinTheTimeoutFencesNobody() {
    assertThat(Isolation.decide(true, T - 1, T, 2, 0).fence()).isFalse();
    assertThat(Isolation.operatorSilent(T - 1, T)).isFalse();
    assertThat(Isolation.operatorSilent(T, T)).isTrue();
  }

  @Test
  void aSilentOperatorAloneFencesNobodyWhileTheMajorityIsReachable() {
    Isolation.Decision d = Isolation.decide(true, 60_000, T, 2, 1);
    assertThat(d.fence()).isFalse();
    assertThat(d.reason()).contains("2 of 3 members reachable (a majority)");
    assertThat(Isolation.decide(true, 60_000, T, 4, 2).fence()).as("3 of 5").isFalse();
    assertThat(Isolation.decide(true, 60_000, T, 0, 0).fence()).as("a cluster of one").isFalse();
  }

  @Test
  void aReplicaNeverFences() {
    assertThat(Isolation.decide(false, 60_000, T, 2, 0).fence()).isFalse();
  }
}
