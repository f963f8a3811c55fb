package io.pgherd.swarm;

import io.pgherd.runtime.ContainerSpec.FileContent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service's files as Swarm secrets (pure: names and targets). The operator cannot copy a file
 * into a task's container on another node, so each file of a {@code ContainerSpec} becomes one
 * secret, mounted read-only (tmpfs) with the file's owner and mode under {@link #STAGE} at the
 * file's own path; the image's entrypoint ({@code pgherd-place-files}) copies them into place at
 * every start, because the agent rewrites some of them later. Secrets, not configs, for every
 * file: a config's content can be read back through the API, a secret's cannot.
 *
 * <p>A secret is immutable: a changed file is a new secret. Names are the service's, a
 * generation and the file's place in path order ({@code pgherd-demo-1.lq3x8k2.4}): nothing of the
 * content, which for a password or key would be a hash to guess against. Each secret is labelled
 * with the service it belongs to ({@link #LABEL_OF}) and the file's path ({@link #LABEL_PATH}),
 * so a removed service's secrets can be found and a file replaced.
 */
final class ServiceFiles {
  /** Where a task finds its files before its entrypoint puts them in place. */
  static final String STAGE = "/run/pgherd-files";
  static final String LABEL_OF = "io.pgherd.files-of";
  static final String LABEL_PATH = "io.pgherd.file-path";
  /** Swarm refuses object names longer than this. */
  static final int MAX_NAME = 64;

  private ServiceFiles() {}

  /** One file as a secret to create: its name, the path it is for, and its content, mode and owner. */
  record SecretFile(String name, String path, FileContent content) {
    /** Where it is mounted in the task. */
    String target() {
      return STAGE + path;
    }
  }

  /**
   * The secrets for {@code files} of {@code service}, named with {@code generation} (anything that
   * differs between two writes of the same service's files, e.g. the time in base 36).
   */
  static List<SecretFile> secrets(String service, String generation, Map<String, FileContent> files) {
    List<SecretFile> out = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, FileContent> f : new TreeMap<>(files).entrySet()) {
      if (!f.getKey().startsWith("/") || f.getKey().contains("/../") || f.getKey().endsWith("/")) {
        throw new IllegalArgumentException("not an absolute file path: " + f.getKey());
      }
      String suffix = "." + generation + "." + i++;
      String base = service.length() + suffix.length() > MAX_NAME ? service.substring(0, MAX_NAME - suffix.length()) : service;
      out.add(new SecretFile(base + suffix, f.getKey(), f.getValue()));
    }
    return out;
  }
}
