package io.pgherd.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A member agent's answer to {@code GET /v1/status}: what it knows of its member's PostgreSQL.
 *
 * @param member the member the agent serves ("demo-1")
 * @param agentPid the agent's process id
 * @param postmasterPid the postmaster's process id; empty when none runs
 * @param postmasterRunning whether a postmaster runs in the member
 * @param role "primary", "replica" or "unavailable", as the agent sees it
 * @param stateAgeMillis how old the agent's look at PostgreSQL is
 * @param probe the same look as {@link Instance#probe()}, taken by the agent on its own
 *     connection; empty when PostgreSQL did not answer it
 * @param probeError why there is no probe
 * @param pgControl the bytes of {@code $PGDATA/global/pg_control} (see {@link ControlFile}), when
 *     the agent could read them
 * @param fenced when the member is fenced (its agent stopped PostgreSQL and keeps it stopped): when and why
 * @param held when the operator stopped PostgreSQL through the agent ({@link MemberAgent#stop}) and it
 *     stays stopped until {@link MemberAgent#start}: when and how
 */
public record AgentStatus(String member, long agentPid, Optional<Long> postmasterPid, boolean postmasterRunning,
    String role, long stateAgeMillis, Optional<InstanceProbe> probe, Optional<String> probeError,
    Optional<byte[]> pgControl, Optional<String> fenced, Optional<String> held) {

  /** A member that is not held. */
  public AgentStatus(String member, long agentPid, Optional<Long> postmasterPid, boolean postmasterRunning,
      String role, long stateAgeMillis, Optional<InstanceProbe> probe, Optional<String> probeError,
      Optional<byte[]> pgControl, Optional<String> fenced) {
    this(member, agentPid, postmasterPid, postmasterRunning, role, stateAgeMillis, probe, probeError, pgControl,
        fenced, Optional.empty());
  }

  /** A member that is not fenced. */
  public AgentStatus(String member, long agentPid, Optional<Long> postmasterPid, boolean postmasterRunning,
      String role, long stateAgeMillis, Optional<InstanceProbe> probe, Optional<String> probeError,
      Optional<byte[]> pgControl) {
    this(member, agentPid, postmasterPid, postmasterRunning, role, stateAgeMillis, probe, probeError, pgControl,
        Optional.empty());
  }

  /** Fields the agent adds later are ignored; the ones below are what this operator reads. */
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private record Wire(String member, Long agentPid, WirePostmaster postmaster, String role, Long stateAgeMillis,
      WireProbe probe, String probeError, String pgControl, String fenced, String held) {}

  private record WirePostmaster(Long pid, Boolean running) {}

  private record WireProbe(Boolean inRecovery, String lsn, String replayLsn, Long timeline, String receiverStatus,
      String senderHost, List<InstanceProbe.Slot> slots, List<InstanceProbe.Standby> replication,
      List<String> pendingRestart, List<InstanceProbe.BaseBackup> baseBackups) {}

  /**
   * Reads the agent's JSON. A field this operator relies on that is missing or of the wrong type
   * (the member, the role, whether the postmaster runs; in a probe whether it is in recovery, its
   * LSN and timeline) is an {@link IllegalArgumentException} naming it: an answer that cannot be
   * read is no probe, never a guess (a missing {@code inRecovery} must not read as a primary).
   */
  public static AgentStatus parse(byte[] json) {
    Wire w;
    try {
      w = JSON.readValue(json, Wire.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not the status JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("unreadable: " + e.getMessage());
    }
    if (w == null) {
      throw new IllegalArgumentException("not the status JSON: null");
    }
    String member = required(w.member(), "member");
    String role = required(w.role(), "role");
    WirePostmaster pm = required(w.postmaster(), "postmaster");
    boolean running = required(pm.running(), "postmaster.running");
    Optional<InstanceProbe> probe = Optional.ofNullable(w.probe()).map(AgentStatus::probe);
    Optional<String> probeError = Optional.ofNullable(w.probeError());
    if (probe.isEmpty() && probeError.isEmpty()) {
      probeError = Optional.of("the agent reported neither a probe nor why it has none");
    }
    Optional<byte[]> pgControl;
    try {
      pgControl = Optional.ofNullable(w.pgControl()).map(b -> Base64.getDecoder().decode(b));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("pgControl is not base64: " + e.getMessage());
    }
    return new AgentStatus(member, w.agentPid() == null ? 0 : w.agentPid(), Optional.ofNullable(pm.pid()), running,
        role, w.stateAgeMillis() == null ? 0 : w.stateAgeMillis(), probe, probeError, pgControl,
        Optional.ofNullable(w.fenced()), Optional.ofNullable(w.held()));
  }

  private static InstanceProbe probe(WireProbe p) {
    boolean inRecovery = required(p.inRecovery(), "probe.inRecovery");
    String lsn = required(p.lsn(), "probe.lsn");
    long timeline = required(p.timeline(), "probe.timeline");
    return new InstanceProbe(inRecovery, lsn, p.replayLsn() == null ? lsn : p.replayLsn(), timeline,
        p.receiverStatus(), p.senderHost(), listOf(p.slots()), listOf(p.replication()), listOf(p.pendingRestart()),
        listOf(p.baseBackups()));
  }

  private static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list.stream().filter(java.util.Objects::nonNull).toList();
  }

  private static <T> T required(T value, String field) {
    if (value == null) {
      throw new IllegalArgumentException("no " + field);
    }
    return value;
  }

  /** For messages: pg_control as its length, not its bytes. */
  @Override
  public String toString() {
    return "AgentStatus[member=" + member + ", agentPid=" + agentPid + ", postmasterPid=" + postmasterPid.orElse(null)
        + ", postmasterRunning=" + postmasterRunning + ", role=" + role + ", stateAgeMillis=" + stateAgeMillis
        + ", probe=" + probe.orElse(null) + ", probeError=" + probeError.orElse(null) + ", pgControl="
        + pgControl.map(b -> b.length + " bytes").orElse(null) + ", fenced=" + fenced.orElse(null)
        + ", held=" + held.orElse(null) + "]";
  }
}
