package io.pgherd.runtime;

import java.util.Map;

/**
 * A container as listed by the engine.
 *
 * @param state Docker's state: created, running, paused, restarting, removing, exited, dead
 * @param publishedPorts container port → host port, for ports published on the host
 * @param networks names of the networks it is attached to
 */
public record ContainerInfo(
    String id, String name, String image, String state, String status, Map<String, String> labels,
    Map<Integer, Integer> publishedPorts, long created, java.util.Set<String> networks) {

  public boolean running() {
    return "running".equals(state);
  }

  public String label(String key) {
    return labels.get(key);
  }
}
