package io.pgherd.failover;

import io.pgherd.cluster.ClusterPart;
import io.pgherd.cluster.ClusterScope;
import io.pgherd.cluster.Progress;
import io.pgherd.model.Topology;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.InstanceProbe;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.store.ControlRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The last act of every change of primary: the recorded target promoted and, once what ran
 * alongside has finished, the new topology stored; or the change given up and its requester told.
 */
public final class Promotion extends ClusterPart {
  private final Detector detector;

  public Promotion(ClusterScope scope, Detector detector) {
    super(scope);
    this.detector = detector;
  }

  /** Promotes the recorded target and stores the new topology; true once it is the primary. */
  public boolean promote(Topology topology, ContainerInfo target, InstanceProbe probe, Progress progress) {
    return promote(topology, target, probe, progress, () -> {});
  }

  /**
   * Promotes the recorded target and, once beforeRecord (the steps run alongside) has returned,
   * stores the new topology; true once it is the primary.
   */
  public boolean promote(Topology topology, ContainerInfo target, InstanceProbe probe, Progress progress,
      Runnable beforeRecord) {
    Topology.Failover f = topology.failover();
    InstanceProbe promoted;
    try {
      promoted = probe.inRecovery() ? sql(target).orElseThrow().promoteAndProbe() : sql(target).orElseThrow().probe();
    } catch (InstanceException e) {
      beforeRecord.run(); // nothing left running behind the next pass
      progress.waitFor("promoting " + member(f.to()) + ": " + e.getMessage());
      return false;
    }
    beforeRecord.run();
    if (promoted.inRecovery()) {
      progress.waitFor("promoting " + member(f.to()));
      return false;
    }
    home.writeState(cluster, topology.promoted(now(), promoted.timeline()));
    detector.promoted(promoted.lsn());
    log.action("promoted", member(f.to()) + " is the primary on timeline " + promoted.timeline()
        + " at " + promoted.lsn() + "; " + member(f.from()) + (f.isSwitchover() ? " was shut down cleanly and"
        : " is fenced and") + " will rejoin as a replica");
    progress.changed = true;
    return true;
  }

  /** The change of primary given up: the intent is cleared, the requester (if any) told why. */
  public void abandon(Topology topology, String why) {
    Topology.Failover f = topology.failover();
    home.writeState(cluster, topology.withFailover(null));
    log.warn(f.kind().replace(' ', '-') + "-abandoned", member(f.from()) + " → " + member(f.to()) + ": " + why);
    if (f.requestId() != null) {
      home.requests().answer(cluster, new ControlRequest.Result(f.requestId(), false, f.kind() + " to " + member(f.to())
          + " abandoned: " + why, now()));
    }
  }

  /** Waits for a step run alongside; its failure is this thread's, unwrapped. */
  static void join(CompletableFuture<?> step) {
    try {
      step.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
