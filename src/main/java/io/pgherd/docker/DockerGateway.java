package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The Docker engine, through docker-java. "Desired or absent": removing what does not exist and
 * creating what already exists (409, same name) are not errors to the caller. Every engine failure
 * to connect becomes a {@link DockerUnavailableException} naming the engine's address.
 *
 * <p>This class creates, starts, stops and removes containers, volumes and networks; it connects
 * as {@link EngineConnection} says, and hands what is read of containers to
 * {@link ContainerQueries}, the files copied in and out to {@link ContainerFiles}, and the
 * commands run in them to {@link DockerExec}.
 */
public final class DockerGateway implements ContainerRuntime, Closeable {
  private final DockerClient client;
  private final String host;
  private final EngineCalls calls;
  private final DockerExec exec;
  private final ContainerFiles files;
  private final ContainerQueries queries;

  private final EngineConnection engine;

  private DockerGateway(EngineConnection engine) {
    this.engine = engine;
    this.client = engine.client();
    this.host = engine.host();
    this.calls = new EngineCalls(host);
    this.exec = new DockerExec(client, host, calls);
    this.files = new ContainerFiles(client, calls);
    this.queries = new ContainerQueries(client, calls);
  }

  /** Connects to $DOCKER_HOST, else unix:///var/run/docker.sock. Does not contact it yet. */
  public static DockerGateway connect() {
    return new DockerGateway(EngineConnection.fromEnvironment());
  }

  /** Connects to the engine at {@code dockerHost} (unix:///path or tcp://host:port). */
  public static DockerGateway connect(String dockerHost) {
    return new DockerGateway(EngineConnection.at(dockerHost));
  }

  /**
   * Connects to the engine the environment names, for a quick question: a connection within 2 s,
   * an answer within 3 s (a wedged engine must not hold a command that only wanted to know).
   */
  public static DockerGateway connectBriefly() {
    return new DockerGateway(EngineConnection.brief());
  }

  @Override
  public String host() {
    return host;
  }

  /** The docker-java client of this engine, for what is built on it (the Swarm runtime, through a manager). */
  public DockerClient client() {
    return client;
  }

  /**
   * A second client of this engine whose calls give up after 3 s (2 s to connect), for what must
   * try again soon rather than hang: the operator lease's renewals, on a Swarm electing a leader.
   */
  public DockerClient briefClient() {
    return engine.briefly().client();
  }

  /** Checks the engine answers; throws {@link DockerUnavailableException} otherwise. */
  @Override
  public void ping() {
    call(() -> client.pingCmd().exec());
  }

  @Override
  public List<ContainerInfo> containers(String labelKey, String labelValue) {
    return queries.containers(labelKey, labelValue);
  }

  @Override
  public Optional<ContainerInfo> container(String name) {
    return queries.container(name);
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

  @Override
  public String logs(String container, int lines) {
    return queries.logs(container, lines, false);
  }

  @Override
  public String logs(String container, int lines, boolean timestamps) {
    return queries.logs(container, lines, timestamps);
  }

  @Override
  public Optional<java.time.Instant> runningSince(String container) {
    return queries.runningSince(container);
  }

  @Override
  public Optional<Networking> networking(String container) {
    return queries.networking(container);
  }

  @Override
  public Optional<String> address(String container, String network) {
    return queries.address(container, network);
  }

  @Override
  public Closeable events(String labelKey, Consumer<ContainerRuntime.Event> listener, Consumer<Throwable> onError) {
    return queries.events(labelKey, listener, onError);
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
