package io.pgherd.runtime;

import java.util.List;
import java.util.Map;

/**
 * What to create. Files are copied in after create and before start (they never travel as
 * environment, labels or arguments, which `docker inspect` would show).
 *
 * @param volumes volume name → mount path
 * @param ports published ports
 * @param files absolute path in the container → content
 */
public record ContainerSpec(
    String name, String image, String network, Map<String, String> labels, Map<String, String> volumes,
    List<Port> ports, Map<String, FileContent> files) {

  /** A published port: {@code hostIp:hostPort → containerPort}; hostPort 0 for an ephemeral one. */
  public record Port(String hostIp, int hostPort, int containerPort) {}

  /**
   * A file's content, permission bits (e.g. 0600) and owner (uid and gid; 0, root, unless a
   * program that refuses root-owned private files must read it, as PostgreSQL its TLS key).
   */
  public record FileContent(byte[] content, int mode, int owner) {
    public FileContent(byte[] content, int mode) {
      this(content, mode, 0);
    }

    public static FileContent of(String text, int mode) {
      return new FileContent(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), mode);
    }

    public static FileContent of(String text, int mode, int owner) {
      return new FileContent(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), mode, owner);
    }
  }
}
