package io.pgherd.cluster;

import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentRestore;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A member's agent whose every call counts as word from the operator in {@link AgentContact}: the
 * agent counts its silence from the arrival of any call of the operator's (not only its status
 * probe), so the operator must too, or it would count a cut-off primary fenced before its agent
 * has fenced it. A call answered counts at its answer (after its arrival); one that failed after
 * it may have reached the agent (no answer in time, a connection closed) at the moment it was
 * sent; one that never had a connection (none within the timeout, refused) or was never sent does
 * not count.
 */
final class ContactRecordingAgent implements MemberAgent {
  private final MemberAgent agent;
  private final String containerId;
  private final AgentContact contact;
  private final Clock clock;

  ContactRecordingAgent(MemberAgent agent, String containerId, AgentContact contact, Clock clock) {
    this.agent = agent;
    this.containerId = containerId;
    this.contact = contact;
    this.clock = clock;
  }

  private interface Call<T> {
    T call() throws AgentException;
  }

  private <T> T recorded(Call<T> call) throws AgentException {
    Instant sent = clock.instant();
    try {
      T answer = call.call();
      contact.answered(containerId, clock.instant());
      return answer;
    } catch (AgentException e) {
      if (e.mayHaveArrived()) {
        contact.heard(containerId, sent);
      } else if (e.unreachable()) {
        contact.unreachable(containerId, sent);
      }
      throw e;
    }
  }

  @Override
  public AgentStatus status() throws AgentException {
    return recorded(agent::status);
  }

  @Override
  public void putFiles(Map<String, FileContent> files) throws AgentException {
    recorded(() -> {
      agent.putFiles(files);
      return null;
    });
  }

  @Override
  public Map<String, String> files() throws AgentException {
    return recorded(agent::files);
  }

  @Override
  public void reload() throws AgentException {
    recorded(() -> {
      agent.reload();
      return null;
    });
  }

  @Override
  public void unfence() throws AgentException {
    recorded(() -> {
      agent.unfence();
      return null;
    });
  }

  @Override
  public void stop(String mode) throws AgentException {
    recorded(() -> {
      agent.stop(mode);
      return null;
    });
  }

  @Override
  public void start(boolean standby) throws AgentException {
    recorded(() -> {
      agent.start(standby);
      return null;
    });
  }

  @Override
  public String haproxy(List<String> commands) throws AgentException {
    return recorded(() -> agent.haproxy(commands));
  }

  @Override
  public Optional<AgentRestore> restoreState() throws AgentException {
    return recorded(agent::restoreState);
  }

  @Override
  public void receiveBaseBackup(InputStream backup, long size, String format) throws AgentException {
    recorded(() -> {
      agent.receiveBaseBackup(backup, size, format);
      return null;
    });
  }

  @Override
  public void receiveRestoreFiles(InputStream tar, long size) throws AgentException {
    recorded(() -> {
      agent.receiveRestoreFiles(tar, size);
      return null;
    });
  }

  @Override
  public String toString() {
    return agent.toString();
  }
}
