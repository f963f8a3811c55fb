package io.pgherd.docker;

import java.util.Map;

/**
 * A container as listed by the engine.
 *
 * @param state Docker's state: created, running, paused, restarting, removing, exited, dead
 * @param publishedPorts container port → host port, for ports published on the host
 */
public record ContainerInfo(
    String id, String name, String image, String state, String status, Map<String, String> labels,
    Map<Integer, Integer> publishedPorts, long created) {

  public boolean running() {
    return "running".equals(state);
  }

  public String label(String key) {
    return labels.get(key);
  }
}
