package io.pgherd.status;

import io.pgherd.api.BackupOutcomeStatus;
import io.pgherd.api.BackupRunStatus;
import io.pgherd.api.BackupsStatus;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.EndpointsStatus;
import io.pgherd.api.FailoverStatus;
import io.pgherd.api.MemberStatus;
import io.pgherd.api.NetworkStatus;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.RestoreStatus;
import io.pgherd.api.TlsStatus;
import io.pgherd.backup.BackupRunner;
import io.pgherd.backup.BaseBackup;
import io.pgherd.backup.WalArchiver;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Observed;
import io.pgherd.model.Lsn;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.steps.Archive;
import io.pgherd.steps.BaseBackups;
import io.pgherd.steps.Configuration;
import io.pgherd.steps.LoadBalancer;
import io.pgherd.steps.LostSlots;
import io.pgherd.store.Home;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * status.json: assembled from what the pass observed and what the steps report (members and their
 * lag, the load balancer's servers, TLS, the WAL archive and base backups, a restore), and written
 * only when it changed; the phase's transition time moves only when the phase or message does.
 */
public final class StatusReport extends ClusterPart {
  private final MemberFiles memberFiles;
  private final Configuration configuration;
  private final Archive archive;
  private final BaseBackups baseBackups;
  private final LoadBalancer loadBalancer;
  private final LostSlots lostSlots;
  private final Supplier<RestoreStatus> restore;

  public StatusReport(ClusterScope scope, MemberFiles memberFiles, Configuration configuration, Archive archive, BaseBackups baseBackups, LoadBalancer loadBalancer, LostSlots lostSlots, Supplier<RestoreStatus> restore) {
    super(scope);
    this.memberFiles = memberFiles;
    this.configuration = configuration;
    this.archive = archive;
    this.baseBackups = baseBackups;
    this.loadBalancer = loadBalancer;
    this.lostSlots = lostSlots;
    this.restore = restore;
  }

  public PostgresClusterStatus status(ClusterConfig cfg, long generation, Topology topology, Observed obs,
      String phaseOverride, String waiting) {
    PostgresClusterStatus s = new PostgresClusterStatus();
    s.setName(cluster);
    s.setObservedGeneration(generation);
    s.setPrimary(member(topology.primary()));
    InstanceProbe primaryProbe = obs.probes().get(topology.primary());
    if (primaryProbe != null) {
      s.setTimeline(primaryProbe.timeline());
    }
    s.setRestore(restore.get());
    WalArchiver archiver = archive.archiver();
    BackupRunner backups = baseBackups.runner();
    if (archiver != null || backups != null) {
      BackupsStatus b = new BackupsStatus();
      if (archiver != null) {
        WalArchiver.State a = archiver.state();
        b.setLastArchivedWal(a.lastSegment());
        b.setCurrentWal(a.partialSegment());
        b.setLastArchiveUpload(a.lastUpload() == null ? null
            : a.lastUpload().truncatedTo(ChronoUnit.MILLIS).toString());
        b.setArchiveError(a.error());
        long uploaded = archiver.uploadedLsn();
        if (uploaded >= 0) {
          b.setArchivedLsn(Lsn.format(uploaded));
        }
        if (primaryProbe != null && primaryProbe.lsn() != null && uploaded >= 0) {
          b.setArchiveLagBytes(Math.max(0, Lsn.parse(primaryProbe.lsn()) - uploaded));
        }
      }
      if (backups != null) {
        backupStatus(b, backups);
      }
      s.setBackups(b);
    }
    s.setTls(tlsStatus(cfg, topology));
    docker.networkFacts(Names.network(cluster)).ifPresent(f -> {
      NetworkStatus n = new NetworkStatus();
      n.setName(f.name());
      n.setDriver(f.driver());
      n.setEncrypted(f.encrypted());
      n.setNote(f.note());
      s.setNetwork(n);
    });
    List<MemberStatus> members = new ArrayList<>();
    boolean allHealthy = true;
    for (int ordinal : topology.members()) {
      MemberStatus m = new MemberStatus();
      String name = member(ordinal);
      m.setName(name);
      m.setContainer(Names.container(name));
      boolean isPrimary = topology.isPrimary(ordinal);
      m.setRole(isPrimary ? "primary" : "replica");
      ContainerInfo c = obs.members().get(ordinal);
      InstanceProbe probe = obs.probes().get(ordinal);
      m.setNode(c == null ? null : c.node());
      String state;
      if (c == null) {
        state = "missing";
      } else if (!c.running()) {
        state = notRunning(c);
      } else if (probe == null) {
        state = isPrimary ? "starting" : cloneProgress(name, primaryProbe).orElse("starting or cloning");
      } else if (isPrimary) {
        state = probe.inRecovery() ? "in recovery" : "running";
      } else {
        state = probe.receiverStatus() == null ? "not streaming" : probe.receiverStatus();
      }
      if (!isPrimary && probe != null && !"streaming".equals(state) && slotLost(primaryProbe, name)) {
        state += " (slot " + Names.slot(name) + " invalidated on " + member(topology.primary()) + ")";
      }
      if (topology.rejoining().contains(ordinal) && !"streaming".equals(state)) {
        state = "rejoining (" + state + ")";
      }
      m.setState(state);
      if (probe != null) {
        m.setLsn(probe.lsn());
        m.setReplayLsn(probe.replayLsn());
        m.setTimeline(probe.timeline());
      }
      if (!isPrimary) {
        m.setSlot(Names.slot(name));
        m.setLagBytes(lagBytes(topology, obs, ordinal));
        m.setLastReclone(lostSlots.lastReclone(ordinal).orElse(null));
      } else if (probe != null) {
        m.setLagBytes(0L);
      }
      allHealthy &= isPrimary ? "running".equals(state) : "streaming".equals(state);
      members.add(m);
    }
    s.setMembers(members);
    Topology.Failover last = topology.lastFailover();
    if (last != null) {
      s.setLastFailover(new FailoverStatus(last.kind(), member(last.from()), member(last.to()), last.reason(),
          last.startedAt(), last.completedAt(), last.timeline()));
    }
    EndpointsStatus endpoints = new EndpointsStatus();
    endpoints.setReadWrite(cfg.bindAddress() + ":" + cfg.readWritePort());
    endpoints.setReadOnly(cfg.bindAddress() + ":" + cfg.readOnlyPort());
    s.setEndpoints(endpoints);
    boolean lbRunning = obs.lb() != null && obs.lb().running();
    if (lbRunning) {
      loadBalancer.loadBalancerServers(obs.lb(), topology, endpoints);
    }
    String phase;
    if (phaseOverride != null) {
      phase = phaseOverride;
    } else if (allHealthy && lbRunning) {
      phase = "Healthy";
    } else if (neverHealthy()) {
      phase = "Creating";
    } else {
      phase = "Degraded";
    }
    s.setPhase(phase);
    s.setMessage(phaseOverride != null ? waiting : "Healthy".equals(phase) ? null
        : waiting != null ? waiting : !lbRunning ? "load balancer not running" : null);
    return s;
  }

  /** Whether the primary gave up the member's slot (max_slot_wal_keep_size): it cannot stream through it. */
  private static boolean slotLost(InstanceProbe primary, String member) {
    return primary != null && primary.slots().stream()
        .anyMatch(sl -> sl.name().equals(Names.slot(member)) && sl.lost());
  }

  /** The last look at each clone's pg_basebackup: [nanoTime, bytes streamed], for its rate. */
  private final Map<String, long[]> cloneSamples = new HashMap<>();

  /**
   * A replica being cloned, as its source (the primary) sees the pg_basebackup: "cloning: N of M
   * MB (P%), R MB/s, ETA S s" (rate and ETA from the previous look).
   */
  private Optional<String> cloneProgress(String member, InstanceProbe primary) {
    if (primary == null || primary.baseBackups() == null) {
      return Optional.empty();
    }
    Optional<InstanceProbe.BaseBackup> b = primary.baseBackups().stream()
        .filter(x -> member.equals(x.applicationName())).findFirst();
    if (b.isEmpty()) {
      cloneSamples.remove(member);
      return Optional.empty();
    }
    long now = System.nanoTime();
    long[] last = cloneSamples.put(member, new long[] {now, b.get().streamed()});
    return Optional.of("cloning: " + BaseBackup.progressText(b.get().streamed(), b.get().total(),
        last == null ? null : (b.get().streamed() - last[1]) / Math.max(1e-3, (now - last[0]) / 1e9))
        + ("streaming database files".equals(b.get().phase()) ? "" : " (" + b.get().phase() + ")"));
  }

  private TlsStatus tlsStatus(ClusterConfig cfg, Topology topology) {
    PostgresConf.Tls mode = memberFiles.tlsMode(cfg);
    if (!mode.serve()) {
      return null;
    }
    TlsStatus t = new TlsStatus();
    t.setState(mode.enforce() && configuration.hbaInForce() ? "enforced" : "serving");
    t.setCaFile(tls.caFile().toString());
    topology.members().stream()
        .map(o -> tls.expiry(member(o)))
        .flatMap(Optional::stream)
        .min(Comparator.naturalOrder())
        .ifPresent(at -> t.setCertificatesExpire(at.toString()));
    return t;
  }

  private void backupStatus(BackupsStatus b, BackupRunner backups) {
    backups.summary().ifPresent(sum -> {
      b.setCompleteBackups(sum.complete());
      if (sum.newest() != null) {
        b.setLastBackupId(sum.newest().id());
        b.setLastBackupBytes(sum.newest().storedBytes());
        b.setLast(sum.newest().finished());
        b.setFirstRecoverabilityPoint(sum.oldest().finished());
      }
    });
    backups.running().ifPresent(r -> {
      BackupRunStatus run = new BackupRunStatus();
      run.setId(r.id());
      run.setTrigger(r.trigger());
      run.setMember(r.source().member());
      backups.progress().ifPresent(p -> {
        run.setStarted(p.started().toString());
        run.setBytes(p.bytes());
        run.setTotalBytes(p.totalBytes() < 0 ? null : p.totalBytes());
        run.setBytesPerSecond((long) p.bytesPerSecond());
        run.setProgress(p.describe());
      });
      b.setRunning(run);
    });
    backups.last().ifPresent(o -> {
      BackupOutcomeStatus out = new BackupOutcomeStatus();
      out.setId(o.id());
      out.setOk(o.ok());
      out.setMessage(o.message());
      out.setAt(o.at().truncatedTo(ChronoUnit.MILLIS).toString());
      b.setLastOutcome(out);
    });
    if (baseBackups.scheduler() != null) {
      baseBackups.scheduler().next(cluster).ifPresent(t -> b.setNextScheduled(t.toString()));
    }
  }

  /**
   * Creating until the cluster has once been healthy; Degraded after that — by the marker kept with
   * its state, or by a status from before the marker existed (an operator taking over on a Swarm
   * has the state, not the statuses).
   */
  private boolean neverHealthy() {
    if (home.wasHealthy(cluster)) {
      return false;
    }
    String previous = home.readStatus(cluster).map(PostgresClusterStatus::getPhase).orElse(null);
    return previous == null || "Pending".equals(previous) || "Creating".equals(previous);
  }

  public void writeStatus(PostgresClusterStatus status) {
    if ("Healthy".equals(status.getPhase())) {
      home.markHealthy(cluster);
    }
    Optional<PostgresClusterStatus> old = home.readStatus(cluster);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    if (old.isPresent() && Objects.equals(old.get().getPhase(), status.getPhase())
        && Objects.equals(old.get().getMessage(), status.getMessage())) {
      status.setLastTransitionTime(old.get().getLastTransitionTime());
    } else {
      status.setLastTransitionTime(now);
    }
    if (old.isEmpty() || !Home.JSON.valueToTree(old.get()).equals(Home.JSON.valueToTree(status))) {
      home.writeStatus(cluster, status);
    }
  }

  /**
   * What a member whose container does not run is said to be: its state, except that a Swarm
   * member with no node to run on says why (one member per node, constraints, a drained node), and
   * one whose task failed says what its node said (an image missing there, a mount refused...).
   */
  static String notRunning(ContainerInfo c) {
    if (c.status() != null && c.status().startsWith("waiting for a node")) {
      return c.status();
    }
    if (c.node() != null && c.status() != null && c.status().matches("(failed|rejected): .*")) {
      return c.state() + " (" + c.status() + ")";
    }
    return c.state();
  }
}
