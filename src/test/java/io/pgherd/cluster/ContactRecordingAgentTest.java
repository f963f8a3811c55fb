package io.pgherd.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentRestore;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every call to a member's agent that may have reached it counts as word from the operator (its self-fencing counts so). */
class ContactRecordingAgentTest {
  private static final Instant T0 = Instant.parse("2026-12-07T15:00:00Z");
  private final AgentContact contact = new AgentContact();
  private Instant now = T0;
  /** How long the fake agent's call takes, and how it fails (null: answered). */
  private long takesMillis;
  private AgentException failure;

  private final Clock clock = new Clock() {
    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  };

  private final MemberAgent fake = new MemberAgent() {
    private void answer() throws AgentException {
      now = now.plusMillis(takesMillis);
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public AgentStatus status() throws AgentException {
      answer();
      return null;
    }

    @Override
    public void putFiles(Map<String, FileContent> files) throws AgentException {
      answer();
    }

    @Override
    public Map<String, String> files() throws AgentException {
      answer();
      return Map.of();
    }

    @Override
    public void reload() throws AgentException {
      answer();
    }

    @Override
    public void unfence() throws AgentException {
      answer();
    }

    @Override
    public void stop(String mode) throws AgentException {
      answer();
    }

    @Override
    public void start(boolean standby) throws AgentException {
      answer();
    }

    @Override
    public String haproxy(List<String> commands) throws AgentException {
      answer();
      return "";
    }

    @Override
    public Optional<AgentRestore> restoreState() throws AgentException {
      answer();
      return Optional.empty();
    }

    @Override
    public void receiveBaseBackup(InputStream backup, long size, String format) throws AgentException {
      answer();
    }

    @Override
    public void receiveRestoreFiles(InputStream tar, long size) throws AgentException {
      answer();
    }
  };

  private final MemberAgent agent = new ContactRecordingAgent(fake, "c1", contact, clock);

  @Test
  void aReloadAnsweredAfterTheStatusProbeIsTheLastWordTheAgentHeard() throws Exception {
    contact.expect("c1", T0);
    takesMillis = 20;
    agent.status();
    assertThat(contact.lastHeard("c1")).contains(T0.plusMillis(20));
    now = T0.plusSeconds(3);
    agent.reload(); // a later step's call: the agent counts its silence from this one
    assertThat(contact.lastHeard("c1")).contains(T0.plusMillis(3020));
  }

  @Test
  void aCallUnansweredThatMayHaveArrivedCountsFromWhenItWasSentOneThatNeverConnectedDoesNot() {
    contact.expect("c1", T0);
    takesMillis = 3000;
    failure = new AgentException("the agent of demo-1 at 10.0.1.5:8009: no answer within 3000 ms",
        new IOException(new java.net.http.HttpTimeoutException("request timed out")));
    now = T0.plusSeconds(10);
    assertThatThrownBy(agent::status).isSameAs(failure);
    assertThat(contact.lastHeard("c1")).contains(T0.plusSeconds(10));
    failure = new AgentException("the agent of demo-1 at 10.0.1.5:8009: no connection within 1000 ms",
        new IOException(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out")));
    now = T0.plusSeconds(20);
    assertThatThrownBy(agent::reload).isSameAs(failure);
    failure = new AgentException("the agent of demo-1 at 10.0.1.5:8009: connection refused",
        new java.net.ConnectException("Connection refused"));
    assertThatThrownBy(() -> agent.start(true)).isSameAs(failure);
    assertThat(contact.lastHeard("c1")).contains(T0.plusSeconds(10));
  }

  @Test
  void anAnswerRecordedLateDoesNotTakeTheLastWordBack() throws Exception {
    contact.heard("c1", T0.plusSeconds(5));
    contact.heard("c1", T0.plusSeconds(4)); // a probe past its deadline, recorded after a later call's answer
    assertThat(contact.lastHeard("c1")).contains(T0.plusSeconds(5));
  }

  @Test
  void anAddressThatAnsweredNothingIsSaidSoUntilTheAgentAnswersAgain() throws Exception {
    failure = new AgentException("the agent of demo-1 at 10.0.1.5:8009: no connection within 1000 ms",
        new IOException(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out")));
    assertThatThrownBy(agent::status).isSameAs(failure);
    now = T0.plusSeconds(2);
    assertThatThrownBy(agent::status).isSameAs(failure);
    assertThat(contact.unreachableSince("c1")).contains(T0);
    failure = null;
    agent.status();
    assertThat(contact.unreachableSince("c1")).isEmpty();
  }
}
