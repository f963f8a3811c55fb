package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.ContainerRuntime.Networking;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Swarm's overlay networks as {@link SwarmRuntime} sees them: made attachable (the operator's
 * own container joins), a cluster's encrypted when this Swarm can ({@link OverlayEncryption}) and
 * the control network ({@link SwarmRuntime#CONTROL_NETWORK}) not, named from the ids tasks' specs
 * give, and a running task's networking found anywhere in the Swarm (the operator's own task, when
 * it talks to another manager than its node's engine).
 */
final class SwarmNetworks {
  private final DockerClient client;
  private final EngineCalls calls;
  private final OverlayEncryption encryption;
  /** Network id → name (tasks' specs name networks by id). */
  private final Map<String, String> names = new ConcurrentHashMap<>();
  /** Network name → what it is (dropped when this removes it). */
  private final Map<String, io.pgherd.runtime.ContainerRuntime.NetworkFacts> facts = new ConcurrentHashMap<>();

  SwarmNetworks(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
    this.encryption = new OverlayEncryption(client, calls, System.getenv(OverlayEncryption.ENV));
  }

  boolean exists(String name) {
    return find(name).isPresent();
  }

  /** An attachable overlay network (members' services and the operator's own container join it). */
  void ensure(String name, Map<String, String> labels) {
    // a cluster's network (replication, the load balancer's traffic) encrypted when this Swarm can (tried once);
    // the control network, made by `operator deploy` too, is not: the operator's own connections to the members go
    // over it (the agents' API under mutual TLS; SQL with SCRAM, and TLS when spec.tls is on)
    ensure(name, labels, name.equals(SwarmRuntime.CONTROL_NETWORK) || exists(name) ? null : encryption.verdict());
  }

  /** The control network, which every service joins (not encrypted: see {@link #ensure(String, Map)}). */
  void ensureControl() {
    ensure(SwarmRuntime.CONTROL_NETWORK, Map.of("io.pgherd.component", "control"), null);
  }

  /**
   * An attachable overlay network (members' services and the operator's own container join it),
   * encrypted when {@code verdict} says so; its label {@value #ENCRYPTION_LABEL} keeps why.
   */
  private void ensure(String name, Map<String, String> labels, OverlayEncryption.Verdict verdict) {
    if (exists(name)) {
      return;
    }
    Map<String, String> all = new java.util.HashMap<>(labels);
    if (verdict != null) {
      all.put(ENCRYPTION_LABEL, verdict.why());
    }
    try {
      calls.call(() -> client.createNetworkCmd().withName(name).withDriver("overlay").withAttachable(true)
          .withOptions(verdict != null && verdict.encrypt() ? Map.of("encrypted", "") : Map.of())
          .withLabels(all).withCheckDuplicate(true).exec());
    } catch (ConflictException e) {
      // made meanwhile: it exists
    }
  }

  /** The label on a network that says why it is, or is not, encrypted. */
  static final String ENCRYPTION_LABEL = "io.pgherd.encryption";

  /** Whether the network is encrypted, and why (from the label it was made with); cached: a network's options do not change. */
  Optional<io.pgherd.runtime.ContainerRuntime.NetworkFacts> facts(String name) {
    io.pgherd.runtime.ContainerRuntime.NetworkFacts known = facts.get(name);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<io.pgherd.runtime.ContainerRuntime.NetworkFacts> found = find(name).map(n -> {
      boolean encrypted = n.getOptions() != null && n.getOptions().containsKey("encrypted");
      String why = n.getLabels() == null ? null : n.getLabels().get(ENCRYPTION_LABEL);
      return new io.pgherd.runtime.ContainerRuntime.NetworkFacts(name, n.getDriver(), encrypted,
          why != null ? why : encrypted ? "made encrypted" : "made without encryption, before pgherd tried it");
    });
    found.ifPresent(f -> facts.put(name, f));
    return found;
  }

  /**
   * Removes the network; gone already is fine, including the moment Swarm still lists it by name
   * while its id is gone (HTTP 500 "network ... not found", seen right after its services went).
   */
  void remove(String name) {
    facts.remove(name);
    Optional<Network> n = find(name);
    if (n.isEmpty()) {
      return;
    }
    try {
      calls.call(() -> {
        client.removeNetworkCmd(n.get().getId()).exec();
        return null;
      });
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      // gone already
    } catch (com.github.dockerjava.api.exception.InternalServerErrorException e) {
      if (!String.valueOf(e.getMessage()).contains("not found")) {
        throw e;
      }
    }
  }

  /** The names of the networks a service's tasks join (its spec names them by id). */
  Set<String> attached(ServiceSpec spec) {
    Set<String> attachedTo = new HashSet<>();
    List<NetworkAttachmentConfig> attached = spec.getTaskTemplate().getNetworks();
    if (attached != null) {
      attached.forEach(n -> attachedTo.add(name(n.getTarget())));
    }
    return Set.copyOf(attachedTo);
  }

  /** The network's name for an id (or the name itself). */
  private String name(String idOrName) {
    return names.computeIfAbsent(idOrName, id -> calls.call(() -> client.listNetworksCmd().withIdFilter(id).exec())
        .stream().filter(n -> id.equals(n.getId())).map(Network::getName).findFirst().orElse(id));
  }

  /**
   * A running task's container on any node, found by its container id or the 12-character prefix
   * its hostname is, with the networks its task is attached to.
   */
  Optional<Networking> taskNetworking(String container) {
    if (container == null || container.length() < 12) {
      return Optional.empty();
    }
    List<Task> running = calls.call(() -> client.listTasksCmd().withStateFilter(TaskState.RUNNING).exec());
    for (Task t : running) {
      String id = t.getStatus() == null || t.getStatus().getContainerStatus() == null ? null
          : t.getStatus().getContainerStatus().getContainerID();
      if (id != null && id.startsWith(container)) {
        return Optional.of(new Networking(id, t.getServiceId() + "." + t.getSlot(), "overlay",
            Set.copyOf(TaskView.networkNames(t))));
      }
    }
    return Optional.empty();
  }

  private Optional<Network> find(String name) {
    return calls.call(() -> client.listNetworksCmd().withNameFilter(name).exec()).stream()
        .filter(n -> name.equals(n.getName())).findFirst();
  }
}
