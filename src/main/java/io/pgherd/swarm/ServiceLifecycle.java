package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.pgherd.docker.EngineCalls;
import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's life as a container's ({@link SwarmRuntime}): created with no task, started and
 * stopped by its replica count (a global service by a constraint that holds it off every node),
 * restarted by a forced update, pinned to its node, removed with its file secrets. Every change
 * is written at the version it was read at; files written while a task runs wait in a label for
 * the next start.
 */
final class ServiceLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceLifecycle.class);
  /** Holds a global service off every node: a stopped load balancer. */
  static final String HELD = "node.labels.io.pgherd.held==held";
  /** How long a start waits for a task still stopping: its stop grace period and some. */
  static final int STOPPING_TIMEOUT_SECONDS = (int) (ServiceSpecs.STOP_GRACE_NANOS / 1_000_000_000L) + 10;

  private final DockerClient client;
  private final EngineCalls calls;
  private final ServiceSecrets secrets;
  /**
   * What this process wrote as each service's files (service name → path → content): a secret's
   * content cannot be read back, and the steps compare what a container has with what it should
   * have. After a restart of the operator it is empty: a file then counts as absent and is written
   * again once.
   */
  private final Map<String, Map<String, byte[]>> written = new java.util.concurrent.ConcurrentHashMap<>();
  private final VolumeNodes volumes;
  private final NodeChoice nodes;

  /** Makes sure the control network exists (every service joins it). */
  private final Runnable control;

  ServiceLifecycle(DockerClient client, EngineCalls calls, VolumeNodes volumes, Runnable control) {
    this.control = control;
    this.client = client;
    this.calls = calls;
    this.secrets = new ServiceSecrets(client, calls);
    this.volumes = volumes;
    this.nodes = new NodeChoice(client, calls, volumes);
  }

  /** Creates the service, with no task yet, its files as secrets; {@link NameTakenException} when a service has that name. */
  String create(ContainerSpec spec) {
    boolean global = Names.COMPONENT_LB.equals(spec.labels().get(Names.LABEL_COMPONENT));
    List<String> constraints = new ArrayList<>(spec.placement().constraints());
    Placement.Decision placed = null;
    String volume = spec.volumes().isEmpty() ? null : spec.volumes().keySet().iterator().next();
    if (global) {
      constraints.add(HELD);
    } else if (volume != null) {
      placed = nodes.choose(spec.name(), spec.placement().constraints(), spec.placement().group(), volume);
      constraints.add(placed.node().isPresent() ? ServiceSpecs.PIN + placed.node().get() : ServiceSpecs.WAITING);
    }
    List<ContainerSpecSecret> mounts = secrets.create(spec.name(), spec.labels(), spec.files());
    control.run();
    ServiceSpec service = ServiceSpecs.of(spec, mounts, global, constraints, List.of(SwarmRuntime.CONTROL_NETWORK));
    Map<String, String> labels = new HashMap<>(service.getLabels());
    if (spec.placement().group() != null) {
      labels.put(ServiceSpecs.LABEL_GROUP, spec.placement().group());
    }
    service.withLabels(labels);
    if (placed != null && placed.node().isEmpty()) {
      ServiceSpecs.waiting(service, placed.reason());
      LOG.info("{}: waits for a node: {}", spec.name(), placed.reason());
    }
    String id;
    try {
      id = calls.call(() -> client.createServiceCmd(service).exec().getId());
    } catch (ConflictException e) {
      secrets.remove(mounts);
      throw new NameTakenException("a service named " + spec.name() + " exists already: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      secrets.remove(mounts);
      throw e;
    }
    remember(spec.name(), spec.files(), true);
    if (placed != null && placed.node().isPresent()) {
      volumes.record(volume, placed.node().get(), spec.image(), spec.labels());
      LOG.info("{}: {}", spec.name(), placed.reason());
    }
    return id;
  }

  /**
   * The files a task of this service finds at its start: at once for a service with no task
   * running; for a running one, at its next start or restart (its running task is not touched:
   * the agent delivers to it).
   */
  void copyFiles(String container, Map<String, FileContent> files) {
    Service s = require(container);
    List<ContainerSpecSecret> mounts = secrets.create(s.getSpec().getName(), s.getSpec().getLabels(), files);
    remember(s.getSpec().getName(), files, false);
    Set<String> paths = new HashSet<>();
    mounts.forEach(m -> paths.add(m.getFile().getName()));
    update(container, spec -> {
      if (running(spec)) {
        Map<String, String> labels = new HashMap<>(spec.getLabels());
        // a file written again supersedes its earlier pending copy (swept by the update)
        List<String> pending = new ArrayList<>();
        secrets.mounts(pending(spec)).stream().filter(m -> !paths.contains(m.getFile().getName()))
            .forEach(m -> pending.add(m.getSecretId()));
        mounts.forEach(m -> pending.add(m.getSecretId()));
        labels.put(ServiceSpecs.LABEL_PENDING_FILES, String.join(",", pending));
        return spec.withLabels(labels);
      }
      return ServiceSpecs.withFiles(spec, mounts);
    });
  }

  /**
   * A new task, unless one runs: one replica (a global service no longer held) and a forced
   * update, because with restart condition none Swarm makes no new task for a slot whose task
   * ended. A task still stopping is waited for first: two tasks must never share a volume.
   */
  void start(String container) {
    Service s = require(container);
    String name = s.getSpec().getName();
    if (ServiceSpecs.global(s.getSpec())) {
      if (held(s.getSpec())) {
        update(container, spec -> withPendingFiles(starting(spec))); // a task on every node it may use
      }
      return;
    }
    if (ServiceSpecs.waiting(s.getSpec()).isPresent() && !place(s)) {
      return; // still no node for it: its label says why
    }
    Optional<Task> current = TaskView.current(tasks(name));
    if (ServiceSpecs.replicas(s.getSpec()) > 0 && current.filter(TaskView::underWay).isPresent()) {
      return; // running, or on its way to
    }
    Optional<String> lost = unreachableTask(name);
    if (lost.isPresent()) {
      // it cannot be stopped, nor another started beside it (they would share the volume): it waits
      if (!lost.get().equals(ServiceSpecs.waiting(s.getSpec()).orElse(""))) {
        // a change of its placement makes a new task (once its node is back): with the files written since
        update(container, x -> withPendingFiles(ServiceSpecs.waiting(x, lost.get())));
      }
      return;
    }
    awaitStopped(name, STOPPING_TIMEOUT_SECONDS);
    update(container, spec -> ServiceSpecs.forced(withPendingFiles(starting(spec))));
  }

  /** Why a task of the service last seen running cannot be waited for (its node is not ready), if one cannot. */
  private Optional<String> unreachableTask(String name) {
    List<Task> running = tasks(name).stream()
        .filter(t -> t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING).toList();
    if (running.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> states = new HashMap<>();
    NodeChoice.nodes(client, calls).forEach(n -> states.put(n.id(), n.state()));
    return running.stream().filter(t -> !"ready".equals(states.get(t.getNodeId()))).findFirst()
        .map(t -> "its node " + t.getNodeId() + " is " + states.getOrDefault(t.getNodeId(), "gone from the Swarm")
            + ", where its task was last seen running (it is not started anew beside it: its data is there)");
  }

  /** The content this process last wrote as the service's file at {@code path}, if it did. */
  Optional<byte[]> written(String service, String path) {
    return Optional.ofNullable(written.getOrDefault(service, Map.of()).get(path));
  }

  private void remember(String service, Map<String, FileContent> files, boolean fresh) {
    Map<String, byte[]> mine = fresh ? new java.util.concurrent.ConcurrentHashMap<>()
        : written.computeIfAbsent(service, k -> new java.util.concurrent.ConcurrentHashMap<>());
    files.forEach((path, f) -> mine.put(path, f.content()));
    written.put(service, mine);
  }

  /** A service that waited for a node looks again: true when it has one now (pinned, its volume recorded there). */
  private boolean place(Service s) {
    ServiceSpec spec = s.getSpec();
    String volume = ServiceSpecs.volume(spec).orElseThrow();
    String group = spec.getLabels() == null ? null : spec.getLabels().get(ServiceSpecs.LABEL_GROUP);
    Placement.Decision d = nodes.choose(spec.getName(), ServiceSpecs.asked(spec), group, volume);
    if (d.node().isEmpty()) {
      if (!d.reason().equals(ServiceSpecs.waiting(spec).orElse(""))) {
        update(s.getId(), x -> withPendingFiles(ServiceSpecs.waiting(x, d.reason())));
      }
      return false;
    }
    update(s.getId(), x -> withPendingFiles(ServiceSpecs.pinned(x, d.node().get())));
    volumes.record(volume, d.node().get(), ServiceSpecs.container(spec).getImage(),
        spec.getLabels() == null ? Map.of() : spec.getLabels());
    LOG.info("{}: {}", spec.getName(), d.reason());
    return true;
  }

  /** Stops the service's task (its stop signal, SIGKILL after {@link ServiceSpecs#STOP_GRACE_NANOS}) and waits for it to end. */
  void stop(String container, int timeoutSeconds) {
    awaitStopped(halt(container), timeoutSeconds + 10);
  }

  /** No task wanted any more (a global service held off every node); returns the service's name. Not waited for. */
  String halt(String container) {
    return update(container, spec -> {
      if (ServiceSpecs.global(spec)) {
        List<String> constraints = new ArrayList<>(ServiceSpecs.constraints(spec));
        if (!constraints.contains(HELD)) {
          constraints.add(HELD);
        }
        spec.getTaskTemplate().getPlacement().withConstraints(constraints);
        return spec;
      }
      return ServiceSpecs.withReplicas(spec, 0);
    });
  }

  /** Until no task of the service runs (at most {@code seconds}: then an IllegalStateException). */
  private void awaitStopped(String name, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (tasks(name).stream().anyMatch(t -> t.getStatus() != null && t.getStatus().getState() == TaskState.RUNNING)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + ": a task of it still runs " + seconds + " s after it was told to stop");
      }
      sleep(100);
    }
  }

  /** A new task (a forced update), with the files written since the last start. */
  void restart(String container, int timeoutSeconds) {
    update(container, spec -> ServiceSpecs.forced(withPendingFiles(starting(spec))));
  }

  /** Removes the service (its task stops) and its file secrets. The volume stays on its node. */
  void remove(String container) {
    Optional<Service> s = service(container);
    if (s.isEmpty()) {
      return;
    }
    try {
      calls.call(() -> {
        client.removeServiceCmd(s.get().getId()).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // gone already
    }
    secrets.sweep(s.get().getSpec().getName(), Set.of());
    written.remove(s.get().getSpec().getName());
  }

  Optional<Service> service(String idOrName) {
    try {
      return Optional.of(calls.call(() -> client.inspectServiceCmd(idOrName).exec()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  Service require(String container) {
    return service(container).orElseThrow(() -> new NotFoundException("no service " + container));
  }

  List<Task> tasks(String service) {
    return calls.call(() -> client.listTasksCmd().withServiceFilter(service).exec());
  }

  /**
   * Reads the service, changes its spec and writes it at the version read (again, when another
   * write came between: at most three times); then removes the service's secrets no longer
   * mounted nor pending. Returns the service's name.
   */
  private String update(String container, UnaryOperator<ServiceSpec> change) {
    for (int attempt = 1; ; attempt++) {
      Service s = require(container);
      ServiceSpec spec = change.apply(s.getSpec());
      try {
        calls.call(() -> {
          client.updateServiceCmd(s.getId(), spec).withVersion(s.getVersion().getIndex()).exec();
          return null;
        });
        Set<String> keep = new HashSet<>(pending(spec));
        ServiceSpecs.secrets(spec).forEach(m -> keep.add(m.getSecretId()));
        secrets.sweep(spec.getName(), keep);
        return spec.getName();
      } catch (InternalServerErrorException e) {
        if (attempt >= 3 || !String.valueOf(e.getMessage()).contains(SwarmLease.OUT_OF_SEQUENCE)) {
          throw e;
        }
      }
    }
  }

  static boolean held(ServiceSpec spec) {
    return ServiceSpecs.global(spec) && ServiceSpecs.constraints(spec).contains(HELD);
  }

  /** Whether a task is wanted now (one replica, or a global service not held). */
  private static boolean running(ServiceSpec spec) {
    return ServiceSpecs.global(spec) ? !held(spec) : ServiceSpecs.replicas(spec) > 0;
  }

  private static ServiceSpec starting(ServiceSpec spec) {
    if (ServiceSpecs.global(spec)) {
      List<String> constraints = new ArrayList<>(ServiceSpecs.constraints(spec));
      constraints.remove(HELD);
      spec.getTaskTemplate().getPlacement().withConstraints(constraints);
      return spec;
    }
    return ServiceSpecs.withReplicas(spec, 1);
  }

  private static List<String> pending(ServiceSpec spec) {
    String v = spec.getLabels() == null ? null : spec.getLabels().get(ServiceSpecs.LABEL_PENDING_FILES);
    return v == null || v.isBlank() ? List.of() : List.of(v.split(","));
  }

  /**
   * The files written while a task ran, mounted from the next start on — and by every change of the
   * task's template (its placement: Swarm makes a new task for it, which must not start with the
   * files of the one before, e.g. a former primary's postgresql.conf without primary_conninfo).
   */
  private ServiceSpec withPendingFiles(ServiceSpec spec) {
    List<String> ids = pending(spec);
    if (ids.isEmpty()) {
      return spec;
    }
    Map<String, String> labels = new HashMap<>(spec.getLabels());
    labels.remove(ServiceSpecs.LABEL_PENDING_FILES);
    return ServiceSpecs.withFiles(spec, secrets.mounts(ids)).withLabels(labels);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
