package io.pgherd.swarm;

import com.github.dockerjava.api.model.ContainerSpecFile;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.EndpointResolutionMode;
import com.github.dockerjava.api.model.EndpointSpec;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.PortConfigProtocol;
import com.github.dockerjava.api.model.ServiceGlobalModeOptions;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.VolumeOptions;
import io.pgherd.runtime.ContainerSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a container pgherd wants becomes a Swarm service, and the few changes made to one (pure:
 * docker-java's model only). A member is a replicated service of at most one replica ("created"
 * is zero replicas, "started" one); the load balancer is a global service, one task per eligible
 * node, its ports published in host mode on each. Every service resolves by DNS round robin
 * ({@code dnsrr}: this kernel has no IPVS for virtual IPs), restarts only when pgherd says so
 * (restart condition none: the operator, not Swarm, decides what a dead primary becomes, as on
 * one engine), and carries its labels on the service and on its tasks' containers.
 *
 * <p>A service holding data (a volume) is pinned ({@code node.id==…}) to the node pgherd chose
 * for it when it was made ({@link NodeChoice}): a named volume lives on one node, and a member
 * started elsewhere would find none. One with no node to go to waits: a constraint no node meets
 * keeps it off all of them, and a label says why.
 */
final class ServiceSpecs {
  /** Files for the next task (secret names, comma-separated): written while a task runs, taken at the next start. */
  static final String LABEL_PENDING_FILES = "io.pgherd.files-pending";
  static final String PIN = "node.id==";
  /** A service that holds data and has no node yet: this constraint keeps it off every node, the label says why. */
  static final String WAITING = "node.labels.io.pgherd.waiting==waiting";
  static final String LABEL_WAITING = "io.pgherd.waiting";
  /**
   * The container ports a task serves on its networks (the spec's loopback ports, which mean
   * nothing on a Swarm): reported as the container's, so that a member made with its agent's port
   * is told from one made before the agents.
   */
  static final String LABEL_PORTS = "io.pgherd.ports";
  /** The group of services that run one per node (a cluster's members). */
  static final String LABEL_GROUP = "io.pgherd.placement-group";
  /** How long a task gets to stop after its stop signal (SIGTERM; SIGINT for PostgreSQL through tini), then SIGKILL. */
  static final long STOP_GRACE_NANOS = 30_000_000_000L;

  /**
   * Name lookups that give up within a second or two: a member that just died has left the
   * overlay's DNS, and Docker's resolver then asks the upstream one — which, on a Swarm without
   * one (air-gapped), answers nothing, and glibc's defaults (5 s, twice, for each of A and AAAA)
   * held a replica's reconnection, and with it its promotion, for 10-20 s.
   */
  static final com.github.dockerjava.api.model.ContainerDNSConfig DNS =
      new com.github.dockerjava.api.model.ContainerDNSConfig().withOptions(List.of("timeout:1", "attempts:1"));

  private ServiceSpecs() {}

  /**
   * The service for {@code spec}: zero replicas (not started) unless {@code global}, its files
   * mounted from {@code secrets}, placed by {@code constraints}.
   */
  static ServiceSpec of(ContainerSpec spec, List<ContainerSpecSecret> secrets, boolean global, List<String> constraints) {
    return of(spec, secrets, global, constraints, List.of());
  }

  /** As above, on {@code more} networks besides the spec's own (the Swarm's control network). */
  static ServiceSpec of(ContainerSpec spec, List<ContainerSpecSecret> secrets, boolean global, List<String> constraints,
      List<String> more) {
    List<NetworkAttachmentConfig> networks = new ArrayList<>();
    if (spec.network() != null) {
      networks.add(new NetworkAttachmentConfig().withTarget(spec.network()));
    }
    more.forEach(n -> networks.add(new NetworkAttachmentConfig().withTarget(n)));
    List<Mount> mounts = new ArrayList<>();
    spec.volumes().forEach((volume, path) -> mounts.add(new Mount().withType(MountType.VOLUME).withSource(volume)
        .withTarget(path).withVolumeOptions(new VolumeOptions().withLabels(spec.labels()))));
    List<PortConfig> ports = new ArrayList<>();
    List<String> served = new ArrayList<>();
    for (ContainerSpec.Port p : spec.ports()) {
      if (p.hostPort() != 0) {
        if (p.hostIp() != null && !p.hostIp().isEmpty() && !p.hostIp().equals("0.0.0.0")) {
          // Swarm publishes a host-mode port on every address of the node: a narrower one would be a false promise
          throw new IllegalArgumentException("on a Docker Swarm a published port is on every address of its node"
              + " (host mode), not on " + p.hostIp() + " alone: set spec.loadBalancer.bindAddress to 0.0.0.0 (it is "
              + p.hostIp() + "); nothing was created for " + spec.name());
        }
        ports.add(new PortConfig().withProtocol(PortConfigProtocol.TCP).withTargetPort(p.containerPort())
            .withPublishedPort(p.hostPort()).withPublishMode(PortConfig.PublishMode.host));
      } else { // an ephemeral loopback port means nothing on a Swarm: members are reached over the overlay
        served.add(Integer.toString(p.containerPort()));
      }
    }
    Map<String, String> labels = new LinkedHashMap<>(spec.labels());
    if (!served.isEmpty()) {
      labels.put(LABEL_PORTS, String.join(",", served));
    }
    TaskSpec task = new TaskSpec()
        .withContainerSpec(new com.github.dockerjava.api.model.ContainerSpec()
            .withImage(spec.image())
            .withHostname(spec.name())
            .withLabels(spec.labels())
            .withMounts(mounts)
            .withSecrets(secrets)
            .withStopGracePeriod(STOP_GRACE_NANOS)
            .withDnsConfig(DNS))
        // a member's task is started again by the operator alone (a former primary comes back only as a
        // replica); a load balancer's (global) by Swarm too: a node back after a crash gets its copy again,
        // which the operator then brings current (its task's files may be older than the last reload)
        .withRestartPolicy(new ServiceRestartPolicy()
            .withCondition(global ? ServiceRestartCondition.ANY : ServiceRestartCondition.NONE))
        .withPlacement(new ServicePlacement().withConstraints(List.copyOf(constraints)))
        .withNetworks(networks)
        .withForceUpdate(0);
    ServiceModeConfig mode = global ? new ServiceModeConfig().withGlobal(new ServiceGlobalModeOptions())
        : new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(0));
    return new ServiceSpec().withName(spec.name()).withLabels(labels).withMode(mode).withTaskTemplate(task)
        .withEndpointSpec(new EndpointSpec().withMode(EndpointResolutionMode.DNSRR).withPorts(ports));
  }

  /** A secret mounted at its file's place under the stage, with the file's owner and mode. */
  static ContainerSpecSecret mount(String secretId, ServiceFiles.SecretFile f) {
    String owner = Integer.toString(f.content().owner());
    return new ContainerSpecSecret().withSecretId(secretId).withSecretName(f.name()).withFile(new ContainerSpecFile()
        .withName(f.target()).withUid(owner).withGid(owner).withMode((long) f.content().mode()));
  }

  /** The ports the service's tasks serve on their networks: container port → the same port. */
  static Map<Integer, Integer> served(ServiceSpec s) {
    String v = s.getLabels() == null ? null : s.getLabels().get(LABEL_PORTS);
    Map<Integer, Integer> out = new LinkedHashMap<>();
    if (v != null && !v.isBlank()) {
      for (String p : v.split(",")) {
        out.put(Integer.parseInt(p.trim()), Integer.parseInt(p.trim()));
      }
    }
    return out;
  }

  static boolean global(ServiceSpec s) {
    return s.getMode() != null && s.getMode().getGlobal() != null;
  }

  static int replicas(ServiceSpec s) {
    if (global(s)) {
      return 1;
    }
    ServiceReplicatedModeOptions r = s.getMode() == null ? null : s.getMode().getReplicated();
    return r == null ? 0 : (int) r.getReplicas();
  }

  static ServiceSpec withReplicas(ServiceSpec s, int replicas) {
    return global(s) ? s : s.withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(replicas)));
  }

  /** A new task even when nothing else changed (swarm's force update). */
  static ServiceSpec forced(ServiceSpec s) {
    TaskSpec t = s.getTaskTemplate();
    t.withForceUpdate((t.getForceUpdate() == null ? 0 : t.getForceUpdate()) + 1);
    return s;
  }

  /** The named volume the service mounts, if any. */
  static Optional<String> volume(ServiceSpec s) {
    List<Mount> mounts = container(s).getMounts();
    return mounts == null ? Optional.empty()
        : mounts.stream().filter(m -> m.getType() == MountType.VOLUME).map(Mount::getSource).findFirst();
  }

  static Optional<String> pinnedNode(ServiceSpec s) {
    return constraints(s).stream().filter(c -> c.replace(" ", "").startsWith(PIN))
        .map(c -> c.replace(" ", "").substring(PIN.length())).findFirst();
  }

  /** Pinned to the node, no longer waiting for one. */
  static ServiceSpec pinned(ServiceSpec s, String node) {
    List<String> constraints = new ArrayList<>(constraints(s));
    constraints.remove(WAITING);
    constraints.add(PIN + node);
    if (s.getLabels() != null && s.getLabels().containsKey(LABEL_WAITING)) {
      Map<String, String> labels = new LinkedHashMap<>(s.getLabels());
      labels.remove(LABEL_WAITING);
      s.withLabels(labels);
    }
    s.getTaskTemplate().withPlacement(new ServicePlacement().withConstraints(constraints));
    return s;
  }

  /** The secrets the next task mounts: those of {@code replacing} take the place of the ones at the same file path. */
  static ServiceSpec withFiles(ServiceSpec s, List<ContainerSpecSecret> replacing) {
    Map<String, ContainerSpecSecret> byTarget = new LinkedHashMap<>();
    List<ContainerSpecSecret> now = container(s).getSecrets();
    if (now != null) {
      now.forEach(x -> byTarget.put(x.getFile().getName(), x));
    }
    replacing.forEach(x -> byTarget.put(x.getFile().getName(), x));
    container(s).withSecrets(new ArrayList<>(byTarget.values()));
    return s;
  }

  /** Why the service has no node yet; empty when it has one or needs none. */
  static Optional<String> waiting(ServiceSpec s) {
    return constraints(s).contains(WAITING) ? Optional.of(s.getLabels() == null ? "" : s.getLabels().getOrDefault(LABEL_WAITING, ""))
        : Optional.empty();
  }

  /** Waiting for a node, and why. */
  static ServiceSpec waiting(ServiceSpec s, String reason) {
    List<String> constraints = new ArrayList<>(constraints(s));
    if (!constraints.contains(WAITING)) {
      constraints.add(WAITING);
    }
    s.getTaskTemplate().withPlacement(new ServicePlacement().withConstraints(constraints));
    Map<String, String> labels = new LinkedHashMap<>(s.getLabels() == null ? Map.of() : s.getLabels());
    labels.put(LABEL_WAITING, reason);
    return s.withLabels(labels);
  }

  /** The constraints the user asked for: without pgherd's own (pin, waiting, held). */
  static List<String> asked(ServiceSpec s) {
    return constraints(s).stream().filter(c -> !c.replace(" ", "").startsWith(PIN) && !c.equals(WAITING)
        && !c.equals(ServiceLifecycle.HELD)).toList();
  }

  static List<ContainerSpecSecret> secrets(ServiceSpec s) {
    List<ContainerSpecSecret> now = container(s).getSecrets();
    return now == null ? List.of() : now;
  }

  static List<String> constraints(ServiceSpec s) {
    ServicePlacement p = s.getTaskTemplate().getPlacement();
    return p == null || p.getConstraints() == null ? List.of() : p.getConstraints();
  }

  static com.github.dockerjava.api.model.ContainerSpec container(ServiceSpec s) {
    return s.getTaskTemplate().getContainerSpec();
  }
}
