package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.agent.Health.Answer;
import io.pgherd.agent.Health.Role;
import io.pgherd.agent.Health.State;
import org.junit.jupiter.api.Test;

class HealthTest {
  private static final long NOW = 10_000;
  private static final long MAX_AGE = 1500;

  private static Answer ask(String path, String query, State state) {
    return Health.answer(path, query, state, NOW, MAX_AGE);
  }

  private static State primary() {
    return new State(Role.PRIMARY, null, NOW - 100, null);
  }

  private static State replica(Long lag) {
    return new State(Role.REPLICA, lag, NOW - 100, null);
  }

  @Test
  void aPrimaryIsHealthyAndPrimaryButNoReplica() {
    assertThat(ask("/primary", null, primary())).isEqualTo(new Answer(200, "{\"role\":\"primary\"}"));
    assertThat(ask("/health", null, primary()).status()).isEqualTo(200);
    assertThat(ask("/", null, primary()).status()).isEqualTo(200);
    assertThat(ask("/replica", null, primary())).isEqualTo(new Answer(503, "{\"role\":\"primary\"}"));
  }

  @Test
  void aReplicaIsHealthyAndReplicaButNoPrimaryAndSaysItsLag() {
    assertThat(ask("/replica", null, replica(42L))).isEqualTo(new Answer(200, "{\"role\":\"replica\",\"lagBytes\":42}"));
    assertThat(ask("/health", null, replica(null))).isEqualTo(new Answer(200, "{\"role\":\"replica\"}"));
    assertThat(ask("/primary", null, replica(0L)).status()).isEqualTo(503);
  }

  @Test
  void lagAwareReplicaAnswersOnlyWithinTheLimitAndNeverWithoutAReceiver() {
    assertThat(ask("/replica", "lag=1000", replica(1000L)).status()).isEqualTo(200);
    assertThat(ask("/replica", "lag=999", replica(1000L)).status()).isEqualTo(503);
    assertThat(ask("/replica", "x=1&lag=1kB", replica(1024L)).status()).isEqualTo(200);
    assertThat(ask("/replica", "lag=16MB", replica(16L << 20)).status()).isEqualTo(200);
    assertThat(ask("/replica", "lag=16MB", replica((16L << 20) + 1)).status()).isEqualTo(503);
    assertThat(ask("/replica", "lag=1GB", replica(null)).status()).as("no WAL receiver: the lag is unknown")
        .isEqualTo(503);
    assertThat(ask("/replica", "lag=lots", replica(0L))).isEqualTo(
        new Answer(400, "{\"error\":\"lag must be a size in bytes, kB, MB or GB (e.g. lag=16MB)\"}"));
    assertThat(ask("/replica", "lag=1MB", primary()).status()).isEqualTo(503);
  }

  @Test
  void aStaleOrMissingStateIsUnavailable() {
    State stale = new State(Role.PRIMARY, null, NOW - MAX_AGE - 1, null);
    assertThat(ask("/primary", null, stale)).isEqualTo(new Answer(503, "{\"role\":\"unavailable\"}"));
    assertThat(ask("/health", null, stale).status()).isEqualTo(503);
    assertThat(ask("/health", null, null).status()).isEqualTo(503);
    assertThat(ask("/primary", null, new State(Role.PRIMARY, null, NOW - MAX_AGE, null)).status()).isEqualTo(200);
    assertThat(ask("/health", null, State.unavailable(NOW, "connection refused")).status()).isEqualTo(503);
  }

  @Test
  void otherPathsAreNotFound() {
    assertThat(ask("/leader", null, primary()).status()).isEqualTo(404);
  }

  @Test
  void maxLagParsesUnits() {
    assertThat(Health.maxLag(null)).isEmpty();
    assertThat(Health.maxLag("foo=bar")).isEmpty();
    assertThat(Health.maxLag("lag=0").getAsLong()).isZero();
    assertThat(Health.maxLag("lag=2gb").getAsLong()).isEqualTo(2L << 30);
    assertThatThrownBy(() -> Health.maxLag("lag=-1")).isInstanceOf(IllegalArgumentException.class);
  }
}
