package io.pgherd.runtime;

import java.util.Map;

/**
 * A container as listed by the engine.
 *
 * @param state Docker's state: created, running, paused, restarting, removing, exited, dead
 * @param publishedPorts container port → host port, for ports published on the host
 * @param networks names of the networks it is attached to
 * @param node on a Docker Swarm, the id of the node its task runs on (or last ran on); null on one engine
 */
public record ContainerInfo(
    String id, String name, String image, String state, String status, Map<String, String> labels,
    Map<Integer, Integer> publishedPorts, long created, java.util.Set<String> networks, String node) {

  /** A container of one Docker engine (no node). */
  public ContainerInfo(String id, String name, String image, String state, String status, Map<String, String> labels,
      Map<Integer, Integer> publishedPorts, long created, java.util.Set<String> networks) {
    this(id, name, image, state, status, labels, publishedPorts, created, networks, null);
  }

  /** The same container as exited, with {@code status} (seen listed as running after Docker said it died). */
  public ContainerInfo exited(String status) {
    return new ContainerInfo(id, name, image, "exited", status, labels, Map.of(), created, networks, node);
  }

  public boolean running() {
    return "running".equals(state);
  }

  /**
   * Running, or said to be on its way out while last seen running ({@code removing}: on a Swarm, a
   * task whose node is down or cut off keeps that state, and its container may well still run).
   */
  public boolean mayBeRunning() {
    return running() || "removing".equals(state);
  }

  public String label(String key) {
    return labels.get(key);
  }
}
