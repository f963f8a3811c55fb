package io.pgherd.runtime;

import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What the reconcile needs of the engine that runs a cluster's containers: one Docker engine
 * today ({@code docker.DockerGateway}); a fake in the tests; Docker Swarm next. "Desired or
 * absent": removing what does not exist is not an error, and creating a container whose name is
 * taken throws {@link NameTakenException} for the caller to treat as "observe again". An engine
 * that cannot be reached throws {@link EngineUnavailableException}.
 *
 * <p>Containers are named by id (as returned by {@link #create}) or by name where the method says
 * so. File delivery ({@link #copyFiles}, {@link #copyTar}, {@link #readFile}) and {@link #exec}
 * are the calls a multi-host runtime cannot make into a container on another node: they stay
 * behind this seam so that the steps do not care how they are carried out.
 */
public interface ContainerRuntime {
  /** Where the engine is, for messages. */
  String host();

  /** Throws {@link EngineUnavailableException} when the engine does not answer. */
  void ping();

  List<ContainerInfo> containers(String labelKey, String labelValue);

  /** The container of exactly this name, if any. */
  Optional<ContainerInfo> container(String name);

  boolean imageExists(String image);

  List<String> volumes(String labelKey, String labelValue);

  boolean volumeExists(String name);

  void createVolume(String name, Map<String, String> labels);

  void removeVolume(String name);

  boolean networkExists(String name);

  void ensureNetwork(String name, Map<String, String> labels);

  void removeNetwork(String name);

  /** Creates the container (not started) with its files in; {@link NameTakenException} when the name is taken. */
  String create(ContainerSpec spec);

  /** Writes files into a container (running or not), creating parent directories. */
  void copyFiles(String container, Map<String, FileContent> files);

  /**
   * Files the container's agent has just written into it, kept for its next start where a start
   * makes a new container from a template (a Swarm task: what it finds at its start, or it would
   * start with the files it was created with — a former primary's postgresql.conf, without
   * primary_conninfo). A Docker container keeps its own filesystem across restarts: nothing to do.
   */
  default void keepFiles(String container, Map<String, FileContent> files) {}

  /** Unpacks a tar stream into the container at {@code remotePath}. */
  void copyTar(String container, String remotePath, InputStream tar);

  /** A regular file's content; empty when it does not exist. */
  Optional<byte[]> readFile(String container, String path);

  void start(String container);

  void stop(String container, int timeoutSeconds);

  void restart(String container, int timeoutSeconds);

  void signal(String container, String signal);

  void kill(String container);

  void connectNetwork(String container, String network);

  void disconnectNetwork(String container, String network);

  /** Removes the container (forcibly, with its anonymous volumes); absent is fine. */
  void remove(String container);

  /** Runs a command in the container; its output, or an exception naming the exit code and output. */
  String exec(String container, String... command);

  /** Runs a command with {@code stdin} as its input (streamed); its output. */
  String execWithInput(String container, InputStream stdin, String... command) throws IOException;

  /** The last lines of a container's output. */
  String logs(String container, int lines);

  /** As {@link #logs(String, int)}, each line prefixed with the engine's timestamp when asked (and it has them). */
  default String logs(String container, int lines, boolean timestamps) {
    return logs(container, lines);
  }

  /** When the container's current run started, if it is running now (inspected, not listed). */
  Optional<Instant> runningSince(String container);

  /** Inspects a container (by id or name) for its networking; empty when there is none such. */
  Optional<Networking> networking(String container);

  /** The container's address on a network, if attached. */
  Optional<String> address(String container, String network);

  /**
   * Streams container events of containers carrying {@code labelKey} until the handle is closed;
   * {@code onError} when the stream ends.
   */
  Closeable events(String labelKey, Consumer<Event> listener, Consumer<Throwable> onError);

  /**
   * The copies of {@code c} running now: on one engine the container itself (address null: reached
   * as {@link MemberAccess} says); on a Docker Swarm each running task of a global service (the load
   * balancer on every node), with its address on {@code network}.
   */
  default java.util.List<Instance> instances(ContainerInfo c, String network) {
    return c.running() ? java.util.List.of(new Instance(c.id(), c.node(), null)) : java.util.List.of();
  }

  /**
   * How {@code network} carries traffic between hosts: on a Docker Swarm its driver and whether it
   * is encrypted (and why, or why not); empty on one engine, where it never leaves the host.
   */
  default java.util.Optional<NetworkFacts> networkFacts(String network) {
    return java.util.Optional.empty();
  }

  /** A network between hosts: {@code note} says why it is, or is not, {@code encrypted}. */
  record NetworkFacts(String name, String driver, boolean encrypted, String note) {}

  /**
   * One running copy of a container: {@code id} the container's own on one engine, a task's on a
   * Swarm; {@code node} null on one engine; {@code address} where it is reached on the network it
   * was asked for, or null to reach the container as usual.
   */
  record Instance(String id, String node, String address) {}

  /** How a container is networked: its network mode ("host", "bridge", a network's name...) and its networks. */
  record Networking(String id, String name, String networkMode, Set<String> networks) {}

  /**
   * A container event: {@code action} as the engine says it (die, start, exec_start...), the
   * container's attributes (labels and name), and when it happened (null when unknown).
   */
  record Event(String containerId, String action, Map<String, String> attributes, Instant at) {}
}
