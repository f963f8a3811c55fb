package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The Docker engine, through docker-java. "Desired or absent": removing what does not exist and
 * creating what already exists (409, same name) are not errors to the caller. Every engine failure
 * to connect becomes a {@link DockerUnavailableException} naming the engine's address.
 */
public final class DockerGateway implements ContainerRuntime, Closeable {
  private final DockerClient client;
  private final String host;
  private final EngineCalls calls;
  private final DockerExec exec;
  private final ContainerFiles files;

  private DockerGateway(DockerClient client, String host) {
    this.client = client;
    this.host = host;
    this.calls = new EngineCalls(host);
    this.exec = new DockerExec(client, host, calls);
    this.files = new ContainerFiles(client, calls);
  }

  /** Connects to $DOCKER_HOST, else unix:///var/run/docker.sock. Does not contact it yet. */
  public static DockerGateway connect() {
    return connect(DefaultDockerClientConfig.createDefaultConfigBuilder().build());
  }

  /** Connects to the engine at {@code dockerHost} (unix:///path or tcp://host:port). */
  public static DockerGateway connect(String dockerHost) {
    return connect(DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(dockerHost).build());
  }

  private static DockerGateway connect(DefaultDockerClientConfig config) {
    URI uri = config.getDockerHost();
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(uri)
        .sslConfig(config.getSSLConfig())
        .maxConnections(50)
        .connectionTimeout(Duration.ofSeconds(5))
        .responseTimeout(Duration.ofMinutes(10))
        .build();
    return new DockerGateway(DockerClientImpl.getInstance(config, http), uri.toString());
  }

  @Override
  public String host() {
    return host;
  }

  /** Checks the engine answers; throws {@link DockerUnavailableException} otherwise. */
  @Override
  public void ping() {
    call(() -> client.pingCmd().exec());
  }

  @Override
  public List<ContainerInfo> containers(String labelKey, String labelValue) {
    return call(() -> client.listContainersCmd().withShowAll(true)
        .withLabelFilter(Map.of(labelKey, labelValue)).exec()).stream().map(DockerGateway::info).toList();
  }

  /** The container of exactly this name, if any. */
  @Override
  public Optional<ContainerInfo> container(String name) {
    return call(() -> client.listContainersCmd().withShowAll(true)
        .withNameFilter(List.of("^/" + name + "$")).exec()).stream().map(DockerGateway::info).findFirst();
  }

  private static ContainerInfo info(Container c) {
    Map<Integer, Integer> ports = new HashMap<>();
    if (c.getPorts() != null) {
      for (var p : c.getPorts()) {
        if (p.getPublicPort() != null && p.getPrivatePort() != null) {
          ports.put(p.getPrivatePort(), p.getPublicPort());
        }
      }
    }
    String name = c.getNames() != null && c.getNames().length > 0
        ? c.getNames()[0].replaceFirst("^/", "") : c.getId();
    java.util.Set<String> networks = c.getNetworkSettings() == null || c.getNetworkSettings().getNetworks() == null
        ? java.util.Set.of() : java.util.Set.copyOf(c.getNetworkSettings().getNetworks().keySet());
    return new ContainerInfo(c.getId(), name, c.getImage(), c.getState(), c.getStatus(),
        c.getLabels() == null ? Map.of() : Map.copyOf(c.getLabels()), Map.copyOf(ports),
        c.getCreated() == null ? 0 : c.getCreated(), networks);
  }

  @Override
  public boolean imageExists(String image) {
    try {
      call(() -> client.inspectImageCmd(image).exec());
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  @Override
  public List<String> volumes(String labelKey, String labelValue) {
    var response = call(() -> client.listVolumesCmd().withFilter("label", List.of(labelKey + "=" + labelValue)).exec());
    List<String> out = new ArrayList<>();
    if (response.getVolumes() != null) {
      response.getVolumes().forEach(v -> out.add(v.getName()));
    }
    return out;
  }

  @Override
  public boolean volumeExists(String name) {
    try {
      call(() -> client.inspectVolumeCmd(name).exec());
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  @Override
  public void createVolume(String name, Map<String, String> labels) {
    call(() -> client.createVolumeCmd().withName(name).withLabels(labels).exec());
  }

  /** Removes a volume; absent is success. */
  @Override
  public void removeVolume(String name) {
    try {
      call(() -> {
        client.removeVolumeCmd(name).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // already absent
    }
  }

  @Override
  public boolean networkExists(String name) {
    return findNetwork(name).isPresent();
  }

  private Optional<Network> findNetwork(String name) {
    return call(() -> client.listNetworksCmd().withNameFilter(name).exec()).stream()
        .filter(n -> name.equals(n.getName())).findFirst();
  }

  /** Creates a bridge network unless one of that name exists. */
  @Override
  public void ensureNetwork(String name, Map<String, String> labels) {
    if (networkExists(name)) {
      return;
    }
    try {
      call(() -> client.createNetworkCmd().withName(name).withDriver("bridge").withLabels(labels)
          .withCheckDuplicate(true).exec());
    } catch (ConflictException e) {
      // created concurrently: it exists
    }
  }

  /** Removes a network; absent is success. */
  @Override
  public void removeNetwork(String name) {
    Optional<Network> n = findNetwork(name);
    if (n.isEmpty()) {
      return;
    }
    try {
      call(() -> {
        client.removeNetworkCmd(n.get().getId()).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // already absent
    }
  }

  /**
   * Creates the container (not started) and copies its files in. A container of that name that
   * already exists is a {@link NameTakenException} for the caller to treat as "observe again".
   */
  @Override
  public String create(ContainerSpec spec) {
    Ports bindings = new Ports();
    List<ExposedPort> exposed = new ArrayList<>();
    for (ContainerSpec.Port p : spec.ports()) {
      ExposedPort ep = new ExposedPort(p.containerPort(), InternetProtocol.TCP);
      exposed.add(ep);
      bindings.bind(ep, new Ports.Binding(p.hostIp(), p.hostPort() == 0 ? "" : Integer.toString(p.hostPort())));
    }
    List<Mount> mounts = new ArrayList<>();
    spec.volumes().forEach((volume, path) ->
        mounts.add(new Mount().withType(MountType.VOLUME).withSource(volume).withTarget(path)));
    HostConfig hostConfig = HostConfig.newHostConfig()
        .withNetworkMode(spec.network())
        .withPortBindings(bindings)
        .withMounts(mounts)
        .withInit(false);
    String id;
    try {
      id = call(() -> {
      CreateContainerCmd cmd = client.createContainerCmd(spec.image())
          .withName(spec.name())
          .withHostName(spec.name())
          .withLabels(spec.labels())
          .withExposedPorts(exposed)
          .withHostConfig(hostConfig);
      return cmd.exec().getId();
      });
    } catch (ConflictException e) {
      throw new NameTakenException("a container named " + spec.name() + " exists already: " + e.getMessage(), e);
    }
    if (!spec.files().isEmpty()) {
      copyFiles(id, spec.files());
    }
    return id;
  }

  @Override
  public void copyFiles(String container, Map<String, FileContent> files) {
    this.files.copyFiles(container, files);
  }

  @Override
  public void copyTar(String container, String remotePath, InputStream tar) {
    files.copyTar(container, remotePath, tar);
  }

  @Override
  public Optional<byte[]> readFile(String container, String path) {
    return files.readFile(container, path);
  }

  @Override
  public void start(String container) {
    try {
      call(() -> {
        client.startContainerCmd(container).exec();
        return null;
      });
    } catch (NotModifiedException e) {
      // already running
    }
  }

  @Override
  public void stop(String container, int timeoutSeconds) {
    try {
      call(() -> {
        client.stopContainerCmd(container).withTimeout(timeoutSeconds).exec();
        return null;
      });
    } catch (NotModifiedException | NotFoundException e) {
      // already stopped or absent
    }
  }

  @Override
  public void restart(String container, int timeoutSeconds) {
    call(() -> {
      client.restartContainerCmd(container).withTimeout(timeoutSeconds).exec();
      return null;
    });
  }

  @Override
  public void signal(String container, String signal) {
    call(() -> {
      client.killContainerCmd(container).withSignal(signal).exec();
      return null;
    });
  }

  /** SIGKILL, paused or not; a container that is not running (or absent) counts as killed. */
  @Override
  public void kill(String container) {
    try {
      call(() -> {
        client.killContainerCmd(container).withSignal("SIGKILL").exec();
        return null;
      });
    } catch (NotFoundException e) {
      // absent
    } catch (ConflictException e) {
      // "is not running": nothing to kill
    }
  }

  @Override
  public void connectNetwork(String container, String network) {
    call(() -> {
      client.connectToNetworkCmd().withContainerId(container).withNetworkId(network).exec();
      return null;
    });
  }

  @Override
  public void disconnectNetwork(String container, String network) {
    try {
      call(() -> {
        client.disconnectFromNetworkCmd().withContainerId(container).withNetworkId(network).withForce(true).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // absent
    }
  }

  /** Removes a container, running or not; absent is success. Its volumes stay. */
  @Override
  public void remove(String container) {
    try {
      call(() -> {
        client.removeContainerCmd(container).withForce(true).withRemoveVolumes(false).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // already absent
    }
  }

  /** See {@link DockerExec#exec}. Never pass a secret: exec arguments are visible to `docker inspect`. */
  @Override
  public String exec(String container, String... command) {
    return exec.exec(container, command);
  }

  /** See {@link DockerExec#execWithInput}: the command must stop reading by itself. Never pass a secret in {@code command}. */
  @Override
  public String execWithInput(String container, InputStream stdin, String... command) throws IOException {
    return exec.execWithInput(container, stdin, command);
  }

  /** The last lines of a container's output, for error messages. */
  @Override
  public String logs(String container, int lines) {
    StringBuilder out = new StringBuilder();
    try {
      client.logContainerCmd(container).withStdOut(true).withStdErr(true).withTail(lines)
          .exec(new ResultCallback.Adapter<Frame>() {
            @Override
            public void onNext(Frame frame) {
              out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
            }
          }).awaitCompletion(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (NotFoundException e) {
      return "";
    } catch (RuntimeException e) {
      return "(logs unavailable: " + e.getMessage() + ")";
    }
    return out.toString();
  }

  /** When the container's current run started, if it is running now (inspected, not listed). */
  @Override
  public Optional<java.time.Instant> runningSince(String container) {
    try {
      var state = call(() -> client.inspectContainerCmd(container).exec()).getState();
      if (state == null || !Boolean.TRUE.equals(state.getRunning()) || state.getStartedAt() == null) {
        return Optional.empty();
      }
      return Optional.of(java.time.Instant.parse(state.getStartedAt()));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /** Inspects a container (by id or name) for its networking; empty when there is none such. */
  @Override
  public Optional<Networking> networking(String container) {
    try {
      var inspect = call(() -> client.inspectContainerCmd(container).exec());
      var nets = inspect.getNetworkSettings() == null || inspect.getNetworkSettings().getNetworks() == null
          ? java.util.Set.<String>of() : java.util.Set.copyOf(inspect.getNetworkSettings().getNetworks().keySet());
      String mode = inspect.getHostConfig() == null ? null : inspect.getHostConfig().getNetworkMode();
      String name = inspect.getName() == null ? inspect.getId() : inspect.getName().replaceFirst("^/", "");
      return Optional.of(new Networking(inspect.getId(), name, mode == null ? "" : mode, nets));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /** The container's address on a network, if attached. */
  @Override
  public Optional<String> address(String container, String network) {
    try {
      var inspect = call(() -> client.inspectContainerCmd(container).exec());
      ContainerNetwork n = inspect.getNetworkSettings().getNetworks().get(network);
      return n == null ? Optional.empty() : Optional.ofNullable(n.getIpAddress());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * Streams container events carrying {@code labelKey} (die, start, stop, destroy, oom...) until
   * the returned handle is closed.
   */
  @Override
  public Closeable events(String labelKey, Consumer<ContainerRuntime.Event> listener, Consumer<Throwable> onError) {
    return client.eventsCmd().withLabelFilter(labelKey).withEventTypeFilter("container")
        .exec(new ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
          @Override
          public void onNext(com.github.dockerjava.api.model.Event event) {
            Map<String, String> attrs = event.getActor() == null ? null : event.getActor().getAttributes();
            listener.accept(new ContainerRuntime.Event(event.getId(), event.getAction(),
                attrs == null ? Map.of() : attrs,
                event.getTimeNano() == null ? null : java.time.Instant.ofEpochSecond(0, event.getTimeNano())));
          }

          @Override
          public void onError(Throwable throwable) {
            onError.accept(throwable);
          }
        });
  }

  @Override
  public void close() throws IOException {
    client.close();
  }

  /** Runs an engine call through {@link EngineCalls}: "cannot connect" becomes {@link DockerUnavailableException}. */
  private <T> T call(EngineCalls.Call<T> call) {
    return calls.call(call);
  }
}
