package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.PortConfig;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.io.Closeable;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The engine seam on a Docker Swarm, through one of its managers: each container pgherd wants is
 * a service ({@link ServiceSpecs}): created with no task, started and stopped by its replica count
 * (the load balancer, a global service, by a constraint that holds it off every node), restarted
 * by a forced update ({@link ServiceLifecycle} makes those changes). A service's id and name stand
 * for the container's; its current task ({@link TaskView}) gives the state and the node. Files
 * travel as Swarm secrets
 * ({@link ServiceFiles}); files written for a running service wait in a label for its next start,
 * since changing a running service's secrets restarts its task — the running task gets them from
 * its agent.
 *
 * <p>What a manager cannot do to a container on another node — exec into it, copy a tar into it,
 * read a file it did not write, attach it to a network, remove a volume's data — throws
 * {@link UnsupportedOperationException} naming the call: on a Swarm those are the member
 * agent's. The operator's own container, on this manager, is networked through the local
 * engine ({@link #networking}, {@link #connectNetwork}).
 */
public final class SwarmRuntime implements ContainerRuntime {
  /**
   * The overlay network every service pgherd makes joins, besides its cluster's, and the operator's
   * own service is on: a Swarm task's container cannot be attached to more networks as it runs, so
   * the operator reaches every cluster's members by name over this one.
   */
  public static final String CONTROL_NETWORK = "pgherd-control";

  private final DockerClient client;
  private final DockerGateway local;
  private final String host;
  private final EngineCalls calls;
  private final ServiceLifecycle services;
  private final VolumeNodes volumes;
  private final SwarmNetworks networks;

  /** Through the manager that {@code local} (a gateway to that engine) reaches. Does not contact it yet. */
  public SwarmRuntime(DockerGateway local) {
    this.client = local.client();
    this.local = local;
    this.host = local.host();
    this.calls = new EngineCalls(host);
    this.volumes = new VolumeNodes(client, calls);
    this.networks = new SwarmNetworks(client, calls);
    this.services = new ServiceLifecycle(client, calls, volumes, networks::ensureControl);
  }

  @Override
  public String host() {
    return host + " (Swarm)";
  }

  /** The engine answers, is an active manager, and its Swarm has a leader; else an EngineUnavailableException saying which. */
  @Override
  public void ping() {
    local.ping();
    SwarmManager.check(client, calls, host);
  }

  // ------------------------------------------------------------------ services as containers

  @Override
  public List<ContainerInfo> containers(String labelKey, String labelValue) {
    return calls.call(() -> client.listServicesCmd().withLabelFilter(Map.of(labelKey, labelValue)).exec()).stream()
        .map(this::info).toList();
  }

  @Override
  public Optional<ContainerInfo> container(String name) {
    return services.service(name).filter(s -> name.equals(s.getSpec().getName()) || name.equals(s.getId())).map(this::info);
  }

  /** A service as a container; its node is its task's, else the node it is pinned to (a member not started yet). */
  private ContainerInfo info(Service s) {
    ServiceSpec spec = s.getSpec();
    List<Task> tasks = services.tasks(spec.getName());
    Optional<Task> task = TaskView.current(tasks);
    boolean global = ServiceSpecs.global(spec);
    String node = global ? null
        : task.map(Task::getNodeId).filter(n -> !n.isBlank()).or(() -> ServiceSpecs.pinnedNode(spec)).orElse(null);
    Map<Integer, Integer> ports = new HashMap<>(ServiceSpecs.served(spec));
    if (spec.getEndpointSpec() != null && spec.getEndpointSpec().getPorts() != null) {
      for (PortConfig p : spec.getEndpointSpec().getPorts()) {
        ports.put(p.getTargetPort(), p.getPublishedPort());
      }
    }
    Set<String> attachedTo = networks.attached(spec);
    String state = !global ? TaskView.state(task)
        : ServiceLifecycle.held(spec) ? TaskView.state(task.filter(t -> t.getDesiredState() == TaskState.RUNNING))
        : TaskView.globalState(tasks.stream().filter(t -> t.getDesiredState() == TaskState.RUNNING).toList());
    if (!global && !"running".equals(state) && tasks.stream()
        .anyMatch(t -> t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING)) {
      // an older task still seen running (stopping; or on a node that is down or cut off, where it may well
      // run on, whatever newer task a spec update made): not gone until its node says so
      state = "removing";
    }
    Optional<String> waiting = ServiceSpecs.waiting(spec);
    if (waiting.isEmpty() && !global && !"running".equals(state) && node != null) {
      waiting = nodeUnfit(node); // pinned to a node that cannot run it now: said, not moved (its data is there)
    }
    return new ContainerInfo(s.getId(), spec.getName(), ServiceSpecs.container(spec).getImage(), state,
        waiting.isPresent() ? "waiting for a node: " + waiting.get() : TaskView.status(task), spec.getLabels() == null ? Map.of() : Map.copyOf(spec.getLabels()), Map.copyOf(ports),
        s.getCreatedAt() == null ? 0 : s.getCreatedAt().toInstant().getEpochSecond(), attachedTo, node);
  }

  /** Why the node a member is pinned to cannot run it now (down, drained, paused); empty when it can. */
  private Optional<String> nodeUnfit(String node) {
    return NodeChoice.nodes(client, calls).stream().filter(n -> n.id().equals(node)).findFirst()
        .flatMap(n -> Placement.unfit(n, List.of()))
        .map(why -> "its node " + node + " " + why + " (its data is there: pgherd does not move it elsewhere)");
  }

  /** The image as this manager's engine has it (each node has its own images: a task on a node without it fails, saying so). */
  @Override
  public boolean imageExists(String image) {
    return local.imageExists(image);
  }

  /** Creates the service, with no task yet, its files as secrets; {@link NameTakenException} when a service has that name. */
  @Override
  public String create(ContainerSpec spec) {
    return services.create(spec);
  }

  /**
   * The files a task of this service finds at its start: at once for a service with no task
   * running; for a running one, at its next start or restart (its running task is not touched:
   * the agent delivers to it).
   */
  @Override
  public void copyFiles(String container, Map<String, FileContent> files) {
    services.copyFiles(container, files);
  }

  /** The running task has them from its agent: the service's next task gets them too. */
  @Override
  public void keepFiles(String container, Map<String, FileContent> files) {
    services.copyFiles(container, files);
  }

  /** A new task unless one runs (a task still stopping is waited for: two tasks never share a volume). */
  @Override
  public void start(String container) {
    services.start(container);
  }

  /** Stops the service's task (its stop signal, SIGKILL after {@link ServiceSpecs#STOP_GRACE_NANOS}) and waits for it to end. */
  @Override
  public void stop(String container, int timeoutSeconds) {
    services.stop(container, timeoutSeconds);
  }

  /** A new task (a forced update), with the files written since the last start. */
  @Override
  public void restart(String container, int timeoutSeconds) {
    services.restart(container, timeoutSeconds);
  }

  /** Removes the service (its task stops) and its file secrets. The volume stays on its node. */
  @Override
  public void remove(String container) {
    services.remove(container);
  }

  /** The last lines of the service's output, from whichever node its tasks ran on. */
  @Override
  public String logs(String container, int lines) {
    return logs(container, lines, false);
  }

  @Override
  public String logs(String container, int lines, boolean timestamps) {
    StringBuilder out = new StringBuilder();
    try {
      client.logServiceCmd(container).withStdout(true).withStderr(true).withTail(lines).withTimestamps(timestamps)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
              out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }
          }).awaitCompletion(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (NotFoundException e) {
      return "";
    }
    return out.toString();
  }

  @Override
  public Optional<Instant> runningSince(String container) {
    Optional<Service> s = services.service(container);
    if (s.isEmpty()) {
      return Optional.empty();
    }
    return TaskView.current(services.tasks(s.get().getSpec().getName()))
        .filter(t -> t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING)
        .flatMap(TaskView::since);
  }

  /**
   * A global service's running tasks (the load balancer: one per node), each with its node and
   * address on {@code network}, oldest node first; a replicated service is its one task, as on one engine.
   */
  @Override
  public List<Instance> instances(ContainerInfo c, String network) {
    if (c.node() != null || !c.running()) {
      return ContainerRuntime.super.instances(c, network);
    }
    return services.tasks(c.name()).stream().filter(TaskView::runs)
        .sorted(java.util.Comparator.comparing(Task::getNodeId))
        .map(t -> new Instance(t.getId(), t.getNodeId(), TaskView.address(t, network).orElse(null))).toList();
  }

  /** The address of the service's current task on {@code network} (Swarm gives each task one on each overlay it is on). */
  @Override
  public Optional<String> address(String container, String network) {
    return services.service(container)
        .flatMap(s -> TaskView.current(services.tasks(s.getSpec().getName())))
        .flatMap(t -> TaskView.address(t, network));
  }

  // ------------------------------------------------------------------ networks

  @Override
  public boolean networkExists(String name) {
    return networks.exists(name);
  }

  /**
   * An attachable overlay network (members' services and the operator's own container join it); a
   * cluster's encrypted when this Swarm can ({@link SwarmNetworks#ensure(String, Map)}).
   */
  @Override
  public void ensureNetwork(String name, Map<String, String> labels) {
    networks.ensure(name, labels);
  }

  @Override
  public void removeNetwork(String name) {
    networks.remove(name);
  }

  @Override
  public Optional<NetworkFacts> networkFacts(String network) {
    return networks.facts(network);
  }

  /** A container on this manager's engine, else a running task's anywhere in the Swarm (the operator's own). */
  @Override
  public Optional<Networking> networking(String container) {
    Optional<Networking> here = local.networking(container);
    return here.isPresent() ? here : networks.taskNetworking(container);
  }

  /**
   * A container of this manager's engine that no service runs joins a network; a service's task
   * cannot be attached to or detached from a network as it runs (its networks are its spec's).
   */
  @Override
  public void connectNetwork(String container, String network) {
    if (services.service(container).isPresent()) {
      throw notHere("attaching a running task to " + network);
    }
    local.connectNetwork(container, network);
  }

  @Override
  public void disconnectNetwork(String container, String network) {
    if (services.service(container).isPresent()) {
      throw notHere("detaching a running task from " + network);
    }
    local.disconnectNetwork(container, network);
  }

  // ------------------------------------------------------------------ volumes

  /**
   * Nothing to do now: a service's named volume is made on its node by the task's mount; which
   * node that is gets recorded when the service is placed ({@link VolumeNodes}).
   */
  @Override
  public void createVolume(String name, Map<String, String> labels) {
  }

  /** The volumes recorded with this label, on whichever node each lives. */
  @Override
  public List<String> volumes(String labelKey, String labelValue) {
    return List.copyOf(volumes.volumes(labelKey, labelValue).keySet());
  }

  @Override
  public boolean volumeExists(String name) {
    return volumes.node(name).isPresent();
  }

  /**
   * The volume's data removed on its node by a one-shot task there ({@link VolumePurge}: a manager
   * cannot remove another node's volume; the emptied volume stays), then forgotten: a member made
   * again with its name is placed afresh and starts empty. A node that cannot be reached fails the
   * call, and the volume is still known.
   */
  @Override
  public void removeVolume(String name) {
    Optional<String> node = volumes.node(name);
    if (node.isPresent()) {
      new VolumePurge(client, calls).purge(name, node.get(), volumes.image(name));
    }
    volumes.forget(name);
  }

  // ------------------------------------------------------------------ what only an agent can do on another node

  @Override
  public void copyTar(String container, String remotePath, InputStream tar) {
    throw notHere("copying a tar into a task");
  }

  /**
   * A file pgherd gave the service (as a secret): what this process wrote, as its task finds it at
   * its start; empty when it wrote none there (none, or before this process started: the caller
   * writes it again). Anything else (PostgreSQL's own files) only its agent can read.
   */
  @Override
  public Optional<byte[]> readFile(String container, String path) {
    if (!path.startsWith("/etc/") && !path.startsWith("/usr/local/etc/")) {
      throw notHere("reading " + path + " of a task");
    }
    return services.service(container).flatMap(s -> services.written(s.getSpec().getName(), path));
  }

  /**
   * SIGINT or SIGTERM: the task is stopped as {@link #kill} stops it (a Swarm sends the image's stop
   * signal, SIGINT for PostgreSQL: a fast shutdown). Any other signal only the agent can send.
   */
  @Override
  public void signal(String container, String signal) {
    if (!"SIGINT".equals(signal) && !"SIGTERM".equals(signal)) {
      throw notHere("sending " + signal + " to a task");
    }
    kill(container);
  }

  /**
   * The task told to stop now, not waited for: a manager cannot kill a container on another node,
   * so the service goes to no task and Swarm stops it with its stop signal (PostgreSQL: a fast
   * shutdown, which ends every session at once), SIGKILL after the grace period. A task on a node
   * cut off from the managers stops only when the node comes back: there the agent's self-fencing
   * is what stops writes.
   */
  @Override
  public void kill(String container) {
    services.halt(container);
  }

  @Override
  public String exec(String container, String... command) {
    throw notHere("exec in a task (" + Arrays.toString(command) + ")");
  }

  @Override
  public String execWithInput(String container, InputStream stdin, String... command) {
    throw notHere("exec in a task (" + Arrays.toString(command) + ")");
  }

  /** Starts and deaths of the services' tasks, looked for every second ({@link TaskEvents}: a manager streams no task events). */
  @Override
  public Closeable events(String labelKey, Consumer<Event> listener, Consumer<Throwable> onError) {
    return new TaskEvents(client, calls, labelKey, listener, onError);
  }

  private UnsupportedOperationException notHere(String what) {
    return new UnsupportedOperationException("on a Docker Swarm the operator cannot do this to a container on another"
        + " node: " + what + "; the member's agent does it");
  }
}
