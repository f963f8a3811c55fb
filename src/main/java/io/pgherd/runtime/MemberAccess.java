package io.pgherd.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How pgherd reaches a member's PostgreSQL (and the load balancer's listeners) from where it runs.
 *
 * <ul>
 *   <li>{@link Mode#PORTS}: through the ports the containers publish on the host's loopback, for
 *       pgherd on the host or in a container with host networking;</li>
 *   <li>{@link Mode#NETWORK}: by container name over each cluster's network, which pgherd's own
 *       container joins (and leaves when the cluster is deleted), for pgherd in a container on
 *       its own network (docker-compose without host networking, Rancher).</li>
 * </ul>
 *
 * <p>{@link #detect} chooses: {@code PGHERD_MEMBERS_VIA=ports|network|auto} (default auto: ports on
 * the host or with host networking, network in a container otherwise).
 */
public final class MemberAccess {
  public static final String ENV = "PGHERD_MEMBERS_VIA";
  /** Names pgherd's own container when it cannot find it itself (its id or name). */
  public static final String ENV_SELF = "PGHERD_CONTAINER";

  public enum Mode { PORTS, NETWORK }

  /** Where to connect. */
  public record Address(String host, int port) {}

  private static final Pattern CONTAINER_ID = Pattern.compile("/containers/([0-9a-f]{64})/hostname$");

  private final java.util.function.Supplier<MemberAccess> resolver;
  private volatile Mode mode;
  private String self;
  /** On a Swarm: the one network every member, load balancer and pgherd itself are on; null elsewhere. */
  private String shared;

  private MemberAccess(Mode mode, String self) {
    this.mode = mode;
    this.self = self;
    this.resolver = null;
  }

  private MemberAccess(java.util.function.Supplier<MemberAccess> resolver) {
    this.resolver = resolver;
  }

  public static MemberAccess ports() {
    return new MemberAccess(Mode.PORTS, null);
  }

  /** Over the cluster networks, joined by the container {@code self} (id or name). */
  public static MemberAccess network(String self) {
    return new MemberAccess(Mode.NETWORK, self);
  }

  /**
   * Detected at first use (a Docker engine unreachable at start is retried then, like every
   * other call): {@code wanted} is ports, network, auto, or null for {@code PGHERD_MEMBERS_VIA}.
   */
  public static MemberAccess detectLater(ContainerRuntime docker, String wanted) {
    wanted(wanted, System.getenv()); // a bad value is refused now, not at first use
    return new MemberAccess(() -> detect(docker, Surroundings.ofThisProcess(), wanted));
  }

  /**
   * On a Docker Swarm: members, load balancers and pgherd's own container (a task of the operator's
   * service) all join {@code network}, and members are reached by name over it; a task's container
   * cannot be attached to the clusters' networks one by one. Detected at first use: pgherd must run
   * in a container on that network.
   */
  public static MemberAccess shared(ContainerRuntime docker, String network) {
    return new MemberAccess(() -> {
      MemberAccess found = detect(docker, Surroundings.ofThisProcess(), "network");
      ContainerRuntime.Networking me = docker.networking(found.self).orElseThrow(() -> new Unusable(
          "pgherd's own container " + found.self + " is not in the Docker engine"));
      if (!me.networks().contains(network)) {
        throw new Unusable("on a Docker Swarm pgherd's own container must be on the network " + network
            + ", which every member joins; " + me.name() + " is on " + me.networks());
      }
      found.shared = network;
      return found;
    });
  }

  private synchronized void resolve() {
    if (mode == null) {
      MemberAccess r = resolver.get();
      self = r.self;
      shared = r.shared;
      mode = r.mode;
    }
  }

  public Mode mode() {
    resolve();
    return mode;
  }

  /** On a Docker Swarm: the one network every member, load balancer and pgherd itself are on. */
  public Optional<String> sharedNetwork() {
    resolve();
    return Optional.ofNullable(shared);
  }

  /** pgherd's own container in network mode; null with ports. */
  public String self() {
    resolve();
    return self;
  }

  /**
   * Where pgherd reaches {@code containerPort} of a running container: its published loopback
   * port, or its name on {@code network} (when attached to it). Empty when it cannot be reached
   * that way now (not running, nothing published, not on the network).
   */
  public Optional<Address> address(ContainerInfo c, String network, int containerPort) {
    if (c == null || !c.running()) {
      return Optional.empty();
    }
    if (mode() == Mode.PORTS) {
      Integer port = c.publishedPorts().get(containerPort);
      return port == null ? Optional.empty() : Optional.of(new Address("127.0.0.1", port));
    }
    return shared != null || c.networks().contains(network) ? Optional.of(new Address(c.name(), containerPort)) : Optional.empty();
  }

  /**
   * Network mode: attaches pgherd's container to {@code network} unless it is on it already;
   * true when it was attached now. Ports: nothing.
   */
  public boolean join(ContainerRuntime docker, String network) {
    if (mode() == Mode.PORTS || shared != null) {
      return false;
    }
    ContainerRuntime.Networking me = docker.networking(self).orElseThrow(() -> new IllegalStateException(
        "pgherd's own container " + self + " is not in the Docker engine any more"));
    if (me.networks().contains(network)) {
      return false;
    }
    docker.connectNetwork(me.id(), network);
    return true;
  }

  /** Network mode: detaches pgherd's container from {@code network} (so that it can be removed). */
  public void leave(ContainerRuntime docker, String network) {
    if (mode() == Mode.NETWORK && shared == null) {
      docker.disconnectNetwork(self, network);
    }
  }

  @Override
  public String toString() {
    if (mode == null) {
      return "(not detected yet)";
    }
    if (shared != null) {
      return "the Swarm network " + shared + ", as container " + self;
    }
    return mode == Mode.PORTS ? "ports published on 127.0.0.1" : "cluster networks, as container " + self;
  }

  // ---------------------------------------------------------------- detection

  /** The access asked for cannot work here: the message says why and what to do. */
  public static final class Unusable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Unusable(String message) {
      super(message);
    }
  }

  /** What the process sees of where it runs. */
  public record Surroundings(Map<String, String> env, boolean dockerenv, String mountinfo, String hostname) {
    public static Surroundings ofThisProcess() {
      String mountinfo = "";
      try {
        Path p = Path.of("/proc/self/mountinfo");
        if (Files.isReadable(p)) {
          mountinfo = Files.readString(p);
        }
      } catch (IOException e) {
        mountinfo = "";
      }
      String hostname = System.getenv("HOSTNAME");
      if (hostname == null) {
        try {
          hostname = Files.readString(Path.of("/etc/hostname")).trim();
        } catch (IOException e) {
          hostname = "";
        }
      }
      return new Surroundings(System.getenv(), Files.exists(Path.of("/.dockerenv")), mountinfo, hostname);
    }
  }

  /** Chooses the access for this process; an impossible choice is an {@link Unusable} naming why. */
  public static MemberAccess detect(ContainerRuntime docker) {
    return detect(docker, Surroundings.ofThisProcess(), null);
  }

  /**
   * @param wanted ports, network or auto; null takes {@code PGHERD_MEMBERS_VIA} (default auto)
   */
  public static MemberAccess detect(ContainerRuntime docker, Surroundings where, String wanted) {
    String w = wanted(wanted, where.env());
    if (w.equals("ports")) {
      return ports();
    }
    Optional<String> candidate = ownContainerId(where);
    if (candidate.isEmpty() && w.equals("auto")) {
      return ports(); // on the host
    }
    String hint = " (set " + ENV_SELF + " to its name, or use ports with host networking)";
    if (candidate.isEmpty()) {
      throw new Unusable("members via network needs pgherd to run in a container, and it"
          + " cannot tell which container it is" + hint);
    }
    Optional<ContainerRuntime.Networking> me = docker.networking(candidate.get());
    if (me.isEmpty() && where.hostname() != null && !where.hostname().isBlank()
        && where.env().get(ENV_SELF) == null) {
      me = docker.networking(where.hostname());
    }
    if (me.isEmpty()) {
      if (w.equals("auto")) {
        // a container this engine does not run (a VM's or CI sandbox's own, docker-in-docker):
        // the engine publishes the members' ports where this process is
        return ports();
      }
      throw new Unusable("members via network: the Docker engine at " + docker.host()
          + " has no container " + candidate.get() + ", which pgherd takes for its own" + hint);
    }
    if (me.get().networkMode().equals("host")) {
      if (w.equals("network")) {
        throw new Unusable("members via network: pgherd's container " + me.get().name()
            + " has host networking; use ports");
      }
      return ports();
    }
    return network(me.get().id());
  }

  /** ports, network or auto: {@code wanted}, else {@code PGHERD_MEMBERS_VIA}, else auto. */
  static String wanted(String wanted, Map<String, String> env) {
    String w = (wanted != null ? wanted : env.getOrDefault(ENV, "auto")).trim().toLowerCase(Locale.ROOT);
    if (!w.equals("auto") && !w.equals("network") && !w.equals("ports")) {
      throw new Unusable("bad " + (wanted != null ? "--members-via" : ENV) + " '" + w
          + "': expected ports, network or auto");
    }
    return w;
  }

  /**
   * The container this process runs in, if it can tell: {@code PGHERD_CONTAINER}, else the id in
   * the paths of the files Docker mounts into every container (/etc/hostname, /etc/hosts), else the
   * hostname (Docker's default hostname is the short id) when /.dockerenv exists.
   */
  static Optional<String> ownContainerId(Surroundings where) {
    String named = where.env().get(ENV_SELF);
    if (named != null && !named.isBlank()) {
      return Optional.of(named.trim());
    }
    // only the line that mounts /etc/hostname: the host's own mountinfo names containers' shm mounts too
    for (String line : (where.mountinfo() == null ? "" : where.mountinfo()).split("\n")) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].equals("/etc/hostname")) {
        Matcher m = CONTAINER_ID.matcher(f[3]);
        if (m.find()) {
          return Optional.of(m.group(1));
        }
      }
    }
    if (where.dockerenv() && where.hostname() != null && !where.hostname().isBlank()) {
      return Optional.of(where.hostname());
    }
    return Optional.empty();
  }
}
