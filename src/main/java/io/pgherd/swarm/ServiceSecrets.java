package io.pgherd.swarm;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.Secret;
import com.github.dockerjava.api.model.SecretSpec;
import io.pgherd.docker.EngineCalls;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Swarm secrets that carry services' files ({@link ServiceFiles}): made, found again and
 * removed. Each secret's labels say whose file it is, its path, mode and owner, so that a mount
 * can be made again from the secret alone (its content cannot be read back).
 */
final class ServiceSecrets {
  static final String LABEL_MODE = "io.pgherd.file-mode";
  static final String LABEL_OWNER = "io.pgherd.file-owner";

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final DockerClient client;
  private final EngineCalls calls;

  ServiceSecrets(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  /**
   * Secrets for {@code files} of {@code service} (labelled also with {@code labels}, the
   * service's), as mounts; when one cannot be made, those already made are removed again.
   */
  List<ContainerSpecSecret> create(String service, Map<String, String> labels, Map<String, FileContent> files) {
    String generation = Long.toString(System.currentTimeMillis(), 36)
        + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(36 * 36), 36);
    List<ContainerSpecSecret> made = new ArrayList<>();
    try {
      for (ServiceFiles.SecretFile f : ServiceFiles.secrets(service, generation, files)) {
        Map<String, String> l = new HashMap<>(labels);
        l.put(ServiceFiles.LABEL_OF, service);
        l.put(ServiceFiles.LABEL_PATH, f.path());
        l.put(LABEL_MODE, Integer.toOctalString(f.content().mode()));
        l.put(LABEL_OWNER, Integer.toString(f.content().owner()));
        String id = calls.call(() -> client.createSecretCmd(spec(f.name(), l, f.content().content())).exec().getId());
        made.add(ServiceSpecs.mount(id, f));
      }
    } catch (RuntimeException e) {
      made.forEach(m -> remove(m.getSecretId()));
      throw e;
    }
    return made;
  }

  /**
   * A secret's spec with exactly these bytes: docker-java's {@code SecretSpec.withData} encodes a
   * String's bytes in the JVM's default charset, so the encoded data is set as the field itself.
   */
  static SecretSpec spec(String name, Map<String, String> labels, byte[] data) {
    return JSON.convertValue(Map.of("Name", name, "Labels", labels, "Data", Base64.getEncoder().encodeToString(data)),
        SecretSpec.class);
  }

  /** The mounts for secrets known by id (their labels say where), skipping any that is gone. */
  List<ContainerSpecSecret> mounts(List<String> ids) {
    List<ContainerSpecSecret> out = new ArrayList<>();
    if (ids.isEmpty()) {
      return out;
    }
    for (Secret s : calls.call(() -> client.listSecretsCmd().withIdFilter(ids).exec())) {
      Map<String, String> l = s.getSpec().getLabels();
      String path = l == null ? null : l.get(ServiceFiles.LABEL_PATH);
      if (path == null || !ids.contains(s.getId())) {
        continue;
      }
      FileContent meta = new FileContent(new byte[0], Integer.parseInt(l.getOrDefault(LABEL_MODE, "400"), 8),
          Integer.parseInt(l.getOrDefault(LABEL_OWNER, "0")));
      out.add(ServiceSpecs.mount(s.getId(), new ServiceFiles.SecretFile(s.getSpec().getName(), path, meta)));
    }
    return out;
  }

  /** Removes these secrets (made by a create that failed after). */
  void remove(List<ContainerSpecSecret> mounts) {
    mounts.forEach(m -> remove(m.getSecretId()));
  }

  /** Removes the service's secrets that {@code keep} does not name (all of them for an empty keep). */
  void sweep(String service, Set<String> keep) {
    for (Secret s : calls.call(() -> client.listSecretsCmd().withLabelFilter(Map.of(ServiceFiles.LABEL_OF, service)).exec())) {
      if (!keep.contains(s.getId())) {
        remove(s.getId());
      }
    }
  }

  private void remove(String id) {
    try {
      calls.call(() -> {
        client.removeSecretCmd(id).exec();
        return null;
      });
    } catch (NotFoundException e) {
      // gone already
    }
  }
}
