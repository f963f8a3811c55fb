package io.pgherd.cli;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Task;
import io.pgherd.api.MemberStatus;
import io.pgherd.store.ClusterLog;
import io.pgherd.store.ControlRequest;
import io.pgherd.store.Home;
import io.pgherd.swarm.OperatorService;
import io.pgherd.swarm.PrimaryPlacement;
import io.pgherd.swarm.SaidOnce;
import io.pgherd.swarm.SwarmNodes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The acting operator on a Swarm keeps the clusters' primaries off the node of the Swarm's raft
 * leader ({@link PrimaryPlacement}), by asking itself for a switchover as a user would ({@code
 * pgherd switchover NAME --to MEMBER}): the pass judges it like any other request, and the cluster
 * log and {@code history} show it. Looked at every {@value #EVERY_MS} ms, from {@value #AFTER_MS} ms
 * after the operator started; {@code pgherd operator deploy --primary-placement off} turns it off
 * ({@link OperatorService#PRIMARY_PLACEMENT_ENV}).
 */
final class PrimaryPlacementLoop {
  static final long EVERY_MS = 5000;
  static final long AFTER_MS = 30_000;

  private final DockerClient client;
  private final Home home;
  private final String me;
  private final Consumer<String> say;
  private final Map<String, Instant> lastMoved = new HashMap<>();
  /** A look's failure, said once until it changes or a look succeeds. */
  private final SaidOnce failures;
  /** Requests this loop made and has not read the answer of yet, by cluster. */
  private final Map<String, String> asked = new HashMap<>();

  PrimaryPlacementLoop(DockerClient client, Home home, String me, Consumer<String> say) {
    this.client = client;
    this.home = home;
    this.me = me;
    this.say = say;
    this.failures = new SaidOnce("placement: cannot look at where the primaries run (looked at again every "
        + EVERY_MS / 1000 + " s)", say);
  }

  /** Whether the operator's environment leaves it on (the default). */
  static boolean on() {
    return !"false".equalsIgnoreCase(System.getenv().getOrDefault(OperatorService.PRIMARY_PLACEMENT_ENV, "true").strip());
  }

  void start() {
    Thread t = new Thread(() -> {
      sleep(AFTER_MS);
      while (!Thread.currentThread().isInterrupted()) {
        try {
          if (io.pgherd.runtime.Acting.whyNot() == null) {
            look();
          }
          failures.succeeded();
        } catch (RuntimeException e) {
          failures.failed(String.valueOf(e.getMessage())); // where a primary runs is no emergency: looked at again
        }
        sleep(EVERY_MS);
      }
    }, "pgherd-primary-placement");
    t.setDaemon(true);
    t.start();
  }

  /** One look: answers to earlier requests read, and a new switchover asked for when one is due. */
  void look() {
    asked.entrySet().removeIf(e -> home.requests().takeAnswer(e.getKey(), e.getValue()).map(r -> {
      say.accept((r.ok() ? "moved the primary of " : "could not move the primary of ") + e.getKey() + ": " + r.message());
      return true;
    }).orElse(false));
    SwarmNodes nodes = SwarmNodes.of(client);
    String operatorNode = SwarmNodes.task(client, me).map(Task::getNodeId).orElse(null);
    List<PrimaryPlacement.Cluster> clusters = new ArrayList<>();
    for (String cluster : home.clusters()) {
      var status = home.readStatus(cluster);
      if (status.isEmpty()) {
        return; // not looked at yet: nothing moves before every cluster has been seen
      }
      List<PrimaryPlacement.Member> members = new ArrayList<>();
      for (MemberStatus m : Optional.ofNullable(status.get().getMembers()).orElse(List.of())) {
        members.add(new PrimaryPlacement.Member(m.getName(), m.getRole(), m.getState(), m.getNode()));
      }
      clusters.add(new PrimaryPlacement.Cluster(cluster, status.get().getPhase(), since(status.get().getLastTransitionTime()),
          members));
    }
    Optional<PrimaryPlacement.Move> move = PrimaryPlacement.move(nodes.raftLeader(), operatorNode, nodes.everyNodeReady(), clusters, lastMoved,
        Instant.now());
    if (move.isEmpty() || asked.containsKey(move.get().cluster())) {
      return;
    }
    String id = "placement-" + UUID.randomUUID();
    if (home.requests().submit(move.get().cluster(), new ControlRequest(id, ControlRequest.SWITCHOVER, move.get().to(),
        false, Instant.now().toString()))) {
      lastMoved.put(move.get().cluster(), Instant.now());
      asked.put(move.get().cluster(), id);
      new ClusterLog(home, move.get().cluster()).action("placement", "placement", "switchover asked for: "
          + move.get().why());
    }
  }

  private static Instant since(String iso) {
    try {
      return iso == null ? null : Instant.parse(iso);
    } catch (java.time.format.DateTimeParseException e) {
      return null; // unknown: nothing moves
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
