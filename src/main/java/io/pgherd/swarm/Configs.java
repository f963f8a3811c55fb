package io.pgherd.swarm;

import com.github.dockerjava.api.model.Config;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;

/** What docker-java 3.7 does not model of a Swarm config, read from its raw spec: name, labels, data. */
final class Configs {
  private Configs() {}

  static String name(Config c) {
    Object name = spec(c).get("Name");
    return name == null ? "" : name.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> labels(Config c) {
    Object labels = spec(c).get("Labels");
    return labels instanceof Map<?, ?> m ? (Map<String, String>) m : Map.of();
  }

  /** The config's bytes (inspected: a listing may leave them out). */
  static byte[] data(Config c) throws IOException {
    Object data = spec(c).get("Data");
    if (!(data instanceof String s)) {
      throw new IOException("the Swarm config " + name(c) + " has no data");
    }
    return Base64.getDecoder().decode(s);
  }

  /** Removes the config; gone already is fine. */
  static void remove(com.github.dockerjava.api.DockerClient client, io.pgherd.docker.EngineCalls calls, String id) {
    try {
      calls.call(() -> {
        client.removeConfigCmd(id).exec();
        return null;
      });
    } catch (com.github.dockerjava.api.exception.NotFoundException e) {
      // gone already
    }
  }

  private static Map<?, ?> spec(Config c) {
    Object spec = c.getRawValues().get("Spec");
    return spec instanceof Map<?, ?> m ? m : Map.of();
  }
}
