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
 * @param placement on an engine of several nodes (a Docker Swarm), where it may run; one engine ignores it
 */
public record ContainerSpec(
    String name, String image, String network, Map<String, String> labels, Map<String, String> volumes,
    List<Port> ports, Map<String, FileContent> files, Placement placement) {

  /** A container with no say in where it runs. */
  public ContainerSpec(String name, String image, String network, Map<String, String> labels,
      Map<String, String> volumes, List<Port> ports, Map<String, FileContent> files) {
    this(name, image, network, labels, volumes, ports, files, Placement.ANYWHERE);
  }

  public ContainerSpec {
    placement = placement == null ? Placement.ANYWHERE : placement;
  }

  /**
   * Where on a Swarm: the nodes that meet every constraint (Swarm's syntax); with a {@code group},
   * never on a node that runs another container of that group (a cluster's members, one per node).
   */
  public record Placement(List<String> constraints, String group) {
    public static final Placement ANYWHERE = new Placement(List.of(), null);

    public Placement {
      constraints = constraints == null ? List.of() : List.copyOf(constraints);
    }
  }

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
