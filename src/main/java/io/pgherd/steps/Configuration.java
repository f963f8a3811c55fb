package io.pgherd.steps;

import io.pgherd.api.ClusterConfig;
import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.MemberFiles;
import io.pgherd.cluster.Observed;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Topology;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps each running member's postgresql.conf, pg_hba.conf and certificates as rendered
 * (reloading, or restarting replicas first and the primary last when a parameter needs it), and
 * moves spec.tls one step at a time once every member runs with the files of the current one.
 */
public final class Configuration extends ClusterPart {
  private final MemberFiles memberFiles;
  /**
   * Every running member had the pg_hba.conf rendered for the current TLS mode at the last
   * configuration step (status says "enforced" only then, not as soon as the mode changed).
   */
  private boolean hbaInForce;

  public Configuration(ClusterScope scope, MemberFiles memberFiles) {
    super(scope);
    this.memberFiles = memberFiles;
  }

  /** Keeps each running member's postgresql.conf and pg_hba.conf as rendered; reloads or restarts. */
  public void configuration(ClusterConfig cfg, Topology topology, Observed obs, Progress progress) {
    hbaInForce = true;
    List<Integer> order = new ArrayList<>(topology.replicas());
    order.add(topology.primary()); // replicas first, the primary last
    boolean replicaRestarting = false;
    boolean allConfigured = true; // every member runs with the files rendered now
    for (int ordinal : order) {
      ContainerInfo c = obs.members().get(ordinal);
      InstanceProbe probe = obs.probes().get(ordinal);
      if (c == null || !c.running() || probe == null) {
        allConfigured = false;
        continue;
      }
      Map<String, FileContent> files = memberFiles.configFiles(cfg, topology, ordinal);
      List<String> changed = new ArrayList<>();
      for (var f : files.entrySet()) {
        if (!hash(f.getValue().content()).equals(fileHash(c, f.getKey()))) {
          changed.add(f.getKey().substring(f.getKey().lastIndexOf('/') + 1));
        }
      }
      if (!changed.isEmpty()) {
        if (changed.contains("pg_hba.conf")) {
          hbaInForce = false; // reloaded now: in force from the next pass's look
        }
        try {
          deliverAndReload(c, files);
          log.action("reload-config", member(ordinal) + ": " + String.join(", ", changed) + " changed");
        } catch (InstanceException e) {
          progress.waitFor("cannot reload " + member(ordinal) + ": " + e.getMessage());
        }
        // the files are in the member even when the reload failed (as before: copied, then reloaded)
        delivered(c, files);
        progress.changed = true;
        allConfigured = false;
        continue; // pending_restart shows after the reload: look again next pass
      }
      if (!probe.pendingRestart().isEmpty()) {
        allConfigured = false;
        if (topology.isPrimary(ordinal) && replicaRestarting) {
          progress.waitFor("primary restart waits for the replicas");
          continue;
        }
        docker.restart(c.id(), 30);
        log.action("restart-member", member(ordinal) + ": parameters need a restart: "
            + String.join(", ", probe.pendingRestart()));
        replicaRestarting |= !topology.isPrimary(ordinal);
        progress.changed = true;
      }
    }
    if (allConfigured && topology.members().stream().allMatch(order::contains)) {
      tlsStep(cfg, progress);
    }
  }

  /**
   * Delivers a running member's changed files and has PostgreSQL read them again: through its agent
   * (no engine call into the container); through the engine's archive copy and SQL only for a member
   * without an agent (created by an older pgherd) or one whose agent refuses the files.
   */
  private void deliverAndReload(ContainerInfo c, Map<String, FileContent> files) throws InstanceException {
    Optional<MemberAgent> agent = agent(c);
    if (agent.isPresent()) {
      try {
        agent.get().putFiles(files);
        docker.keepFiles(c.id(), files); // for its next task, where a start makes a new one
        agent.get().reload();
        return;
      } catch (AgentException e) {
        log.warn("agent-fallback", c.name() + ": files copied in through the engine: " + e.getMessage());
      }
    }
    docker.copyFiles(c.id(), files);
    sql(c).orElseThrow().reloadConf();
  }

  /**
   * Moves spec.tls one step once every member runs with the files of the current step: from
   * serving to enforcing when it is wanted, from enforcing back to serving only (and then, with
   * the marker gone, to plain) when it is not.
   */
  private void tlsStep(ClusterConfig cfg, Progress progress) {
    boolean enforced = tls.enforced();
    if (cfg.tls().enabled() && !enforced) {
      tls.enforced(true);
      hbaInForce = false; // the members get the hostssl pg_hba.conf in the next pass
      progress.soon = true;
      log.action("enforce-tls", "every member serves TLS: connections without it are refused from now"
          + " (clients verify with " + tls.caFile() + ")");
      progress.changed = true;
    } else if (!cfg.tls().enabled() && enforced) {
      tls.enforced(false);
      hbaInForce = false;
      progress.soon = true;
      log.action("stop-tls", "connections without TLS are admitted again; TLS is switched off next");
      progress.changed = true;
    }
  }

  /** Whether every running member had the pg_hba.conf rendered for the current TLS mode at the last look. */
  public boolean hbaInForce() {
    return hbaInForce;
  }
}
