package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.ContainerSpecFile;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import io.pgherd.docker.EngineCalls;
import io.pgherd.store.HomeCipher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code pgherd operator deploy} and {@code undeploy}: the operator as the Swarm service
 * {@value #NAME} — a replica on each manager, up to three ({@link #DEFAULT_REPLICAS}), of which
 * only the holder of the lease acts ({@link OperatorLeadership}) and the others stand by to take
 * over within seconds; on managers only, with the engine's socket, on the control network
 * every cluster's services join, its home kept in the Swarm ({@link SwarmHome}) under the key in
 * the Swarm secret {@value #KEY_SECRET} (made once, random; only this service mounts it). A local
 * volume holds the home's working copy and the WAL spool on whichever manager it runs.
 */
public final class OperatorService {
  public static final String NAME = "pgherd-operator";
  public static final String KEY_SECRET = "pgherd-operator-key";
  static final String HOME_VOLUME = "pgherd-operator-home";
  static final String LABEL = "io.pgherd.component";

  /**
   * How many replicas deploy makes by default, one per manager up to this many: with three, the
   * acting one can always stand on a node that runs neither a primary nor the raft leader
   * ({@link LeaderPlacement}), so losing any one node costs at most one of the three.
   */
  public static final int DEFAULT_REPLICAS = 3;

  /** The most replicas deploy makes (one acts, the others stand by; one per manager). */
  public static final int MAX_REPLICAS = 7;

  /**
   * What to deploy: the image, the engine's socket on every manager, extra placement constraints,
   * the clusters' overlay encryption, the number of replicas (0: one per manager, up to three).
   */
  public record Options(String image, String dockerSocket, List<String> constraints, String encryption, int replicas,
      boolean primaryPlacement) {
    public Options(String image, String dockerSocket, List<String> constraints) {
      this(image, dockerSocket, constraints, "auto", 0, true);
    }
  }

  /**
   * In the operator's environment: {@code false} leaves the clusters' primaries where they are, the
   * Swarm's raft leader's node included (see {@link PrimaryPlacement}); anything else keeps them off it.
   */
  public static final String PRIMARY_PLACEMENT_ENV = "PGHERD_PRIMARY_OFF_SWARM_LEADER";

  private final DockerClient client;
  private final EngineCalls calls;
  private final String host;

  /** Through the engine at {@code host} (DOCKER_HOST), which must be a Swarm manager. */
  public OperatorService(DockerClient client, String host) {
    this.client = client;
    this.calls = new EngineCalls(host);
    this.host = host;
  }

  /** Creates the service, or updates it to {@code options}; what was done, to be said. */
  public String deploy(Options options) {
    SwarmManager.check(client, calls, host);
    ensureControlNetwork();
    String secretId = ensureKey();
    int replicas = replicas(options.replicas(), managers());
    ServiceSpec spec = spec(options, secretId, replicas);
    Optional<Service> other = any().filter(s -> !NAME.equals(s.getSpec().getName()));
    if (other.isPresent()) {
      throw new IllegalStateException("an operator runs on this Swarm already, as the service "
          + other.get().getSpec().getName() + " (from a stack?): two would fight over the clusters; nothing was changed");
    }
    Optional<Service> existing = service();
    if (existing.isEmpty()) {
      try {
        calls.call(() -> client.createServiceCmd(spec).exec());
        return "created the service " + NAME + " (image " + options.image() + ", " + say(replicas) + ")";
      } catch (ConflictException e) {
        existing = service();
      }
    }
    Service s = existing.orElseThrow();
    long version = s.getVersion().getIndex();
    calls.call(() -> {
      client.updateServiceCmd(s.getId(), spec).withVersion(version).exec();
      return null;
    });
    return "updated the service " + NAME + " (image " + options.image() + ", " + say(replicas) + ")";
  }

  /** The replicas to run: as many as asked for, or (0) one per manager up to {@link #DEFAULT_REPLICAS}. */
  static int replicas(int asked, int managers) {
    return asked > 0 ? asked : Math.max(1, Math.min(managers, DEFAULT_REPLICAS));
  }

  private static String say(int replicas) {
    return replicas > 1 ? replicas + " replicas on as many managers: one acts, the others stand by"
        : "one replica, no standby";
  }

  private int managers() {
    return (int) calls.call(() -> client.listSwarmNodesCmd().exec()).stream()
        .filter(n -> n.getSpec() != null && "MANAGER".equalsIgnoreCase(String.valueOf(n.getSpec().getRole()))).count();
  }

  /** Removes the service (the clusters keep running; their state stays in the Swarm for the next deploy). */
  public String undeploy() {
    SwarmManager.check(client, calls, host);
    Optional<Service> s = service();
    if (s.isEmpty()) {
      return "no service " + NAME + ": nothing to remove";
    }
    calls.call(() -> {
      client.removeServiceCmd(s.get().getId()).exec();
      return null;
    });
    return "removed the service " + NAME + "; the clusters keep running, and their specs, intent and secrets stay"
        + " in the Swarm (Swarm configs " + SwarmHome.PREFIX + "*, secret " + KEY_SECRET + ") for the next deploy";
  }

  /**
   * The operator's service on this Swarm, however it was made: this command's ({@value #NAME}) or a
   * stack's (swarm-stack.yml: {@code STACK_operator}), both labelled {@code io.pgherd.component=operator}.
   */
  public Optional<Service> any() {
    return calls.call(() -> client.listServicesCmd().withLabelFilter(Map.of(LABEL, "operator")).exec()).stream()
        .findFirst();
  }

  /** The operator's service, if deployed. */
  Optional<Service> service() {
    try {
      return Optional.of(calls.call(() -> client.inspectServiceCmd(NAME).exec()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  static ServiceSpec spec(Options options, String keySecretId, int replicas) {
    List<String> constraints = new ArrayList<>(List.of("node.role==manager"));
    constraints.addAll(options.constraints());
    return new ServiceSpec().withName(NAME).withLabels(Map.of(LABEL, "operator"))
        .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(replicas)))
        .withTaskTemplate(new TaskSpec()
            .withContainerSpec(new ContainerSpec().withImage(options.image()).withArgs(List.of("--runtime", "swarm"))
                .withDnsConfig(ServiceSpecs.DNS)
                .withEnv(List.of(OverlayEncryption.ENV + "=" + options.encryption(),
                    OperatorLeadership.TASK_ENV + "=" + OperatorLeadership.TASK_TEMPLATE,
                    PRIMARY_PLACEMENT_ENV + "=" + options.primaryPlacement()))
                .withLabels(Map.of(LABEL, "operator"))
                .withMounts(List.of(
                    new Mount().withType(MountType.BIND).withSource(options.dockerSocket()).withTarget("/var/run/docker.sock"),
                    new Mount().withType(MountType.VOLUME).withSource(HOME_VOLUME).withTarget("/var/lib/pgherd")))
                .withSecrets(List.of(new ContainerSpecSecret().withSecretId(keySecretId).withSecretName(KEY_SECRET)
                    .withFile(new ContainerSpecFile().withName(KEY_SECRET).withUid("0").withGid("0").withMode(0400L)))))
            .withPlacement(new ServicePlacement().withConstraints(constraints).withMaxReplicas(1))
            .withNetworks(List.of(new NetworkAttachmentConfig().withTarget(SwarmRuntime.CONTROL_NETWORK))));
  }

  private void ensureControlNetwork() {
    boolean exists = calls.call(() -> client.listNetworksCmd().withNameFilter(SwarmRuntime.CONTROL_NETWORK).exec())
        .stream().anyMatch(n -> n.getName().equals(SwarmRuntime.CONTROL_NETWORK));
    if (!exists) {
      try {
        calls.call(() -> client.createNetworkCmd().withName(SwarmRuntime.CONTROL_NETWORK).withDriver("overlay")
            .withAttachable(true).withLabels(Map.of(LABEL, "control")).exec());
      } catch (ConflictException e) {
        // made meanwhile
      }
    }
  }

  /** The key's secret id, made now (random) when there is none. */
  private String ensureKey() {
    Optional<String> id = keyId();
    if (id.isPresent()) {
      return id.get();
    }
    try {
      return calls.call(() -> client.createSecretCmd(ServiceSecrets.spec(KEY_SECRET, Map.of(LABEL, "operator"),
          HomeCipher.newKeyMaterial())).exec().getId());
    } catch (ConflictException e) {
      return keyId().orElseThrow();
    }
  }

  private Optional<String> keyId() {
    return calls.call(() -> client.listSecretsCmd().withNameFilter(List.of(KEY_SECRET)).exec()).stream()
        .filter(s -> KEY_SECRET.equals(s.getSpec().getName())).map(s -> s.getId()).findFirst();
  }
}
