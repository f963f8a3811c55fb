package io.pgherd.cluster;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.Names;
import io.pgherd.model.PostgresConf;
import io.pgherd.model.Topology;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.runtime.NameTakenException;
import io.pgherd.store.Home;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A member's volume and container as pgherd defines them: labels, the published loopback ports,
 * and the files it starts from (member.env with its bootstrap mode and primary, its configuration,
 * certificates and passwords), given to the engine with the container's creation. What a member is
 * told at its start is changed by making its container again, never by writing into it.
 */
public final class MemberContainers extends ClusterPart {
  /** How much of a replaced container's log is kept in the home. */
  static final int KEPT_LOG_LINES = 400;
  private final MemberFiles memberFiles;

  public MemberContainers(ClusterScope scope, MemberFiles memberFiles) {
    super(scope);
    this.memberFiles = memberFiles;
  }

  /**
   * Creates the member's volume (unless it exists) and container, not started, to start in
   * {@code mode} (initdb, clone, restore) from {@code topology}'s primary; null when an earlier pass
   * created the container already.
   */
  public String create(ClusterConfig cfg, Topology topology, int ordinal, String mode) {
    String m = member(ordinal);
    String volume = Names.volume(m);
    if (!docker.volumeExists(volume)) {
      docker.createVolume(volume, Map.of(Names.LABEL_CLUSTER, cluster, Names.LABEL_MEMBER, m));
    }
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Names.LABEL_CLUSTER, cluster);
    labels.put(Names.LABEL_MEMBER, m);
    labels.put(Names.LABEL_COMPONENT, Names.COMPONENT_MEMBER);
    labels.put(Names.LABEL_SPEC_HASH, specHash(cfg, ordinal));
    String primaryHost = Names.container(member(topology.primary()));
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put(PostgresConf.MEMBER_ENV_PATH, FileContent.of(PostgresConf.renderMemberEnv(m, mode, primaryHost), 0644));
    files.putAll(memberFiles.configFiles(cfg, topology, ordinal));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.SUPERUSER_PASSWORD,
        FileContent.of(home.secrets().secret(cluster, Home.SUPERUSER_PASSWORD), 0600));
    files.put(PostgresConf.SECRETS_DIR + "/" + Home.REPLICATION_PASSWORD,
        FileContent.of(home.secrets().secret(cluster, Home.REPLICATION_PASSWORD), 0600));
    ContainerSpec spec = new ContainerSpec(Names.container(m), cfg.image(), Names.network(cluster), labels,
        Map.of(volume, DATA_DIR), List.of(new ContainerSpec.Port("127.0.0.1", 0, PostgresConf.PORT),
            new ContainerSpec.Port("127.0.0.1", 0, PostgresConf.AGENT_PORT)), files,
        new ContainerSpec.Placement(cfg.placement().constraints(), cfg.placement().oneMemberPerNode() ? cluster : null));
    try {
      String id = docker.create(spec);
      delivered(id, files);
      return id;
    } catch (NameTakenException e) {
      // created by an earlier pass that did not finish: observe again next pass
      return null;
    }
  }

  /**
   * A stopped former primary made again as a replica of {@code after}'s primary (not started): its
   * data volume kept, the last {@value #KEPT_LOG_LINES} lines of its log (with the engine's
   * timestamps) kept in the home first ({@link Home#replacedContainerLog}).
   * Returns where they were kept (null when the log could not be read or written: said in the
   * log).
   */
  public Path replaceAsReplica(ClusterConfig cfg, Topology after, int ordinal, ContainerInfo old) {
    return replace(cfg, after, ordinal, old, "clone");
  }

  /**
   * A stopped member's container made again (not started) to start in {@code mode} from {@code
   * topology}'s primary, its volume kept and the last lines of its log kept first (see {@link
   * #replaceAsReplica}); where they were kept, or null.
   */
  public Path replace(ClusterConfig cfg, Topology topology, int ordinal, ContainerInfo old, String mode) {
    Path kept = keepLog(ordinal, old);
    docker.remove(old.id());
    scope.forgetContainer(old.id());
    create(cfg, topology, ordinal, mode);
    return kept;
  }

  /** A container pgherd made and nobody started yet (a former primary made again is one until its start). */
  public static boolean madeNotStarted(ContainerInfo c) {
    return "created".equals(c.state());
  }

  /** How long the replacement of a member waits for its old container's last lines (from a lost node: never). */
  static final java.time.Duration KEPT_LOG_WAIT = java.time.Duration.ofSeconds(2);

  /** The old container's last lines, if they come within {@link #KEPT_LOG_WAIT} (a failover waits for this). */
  private String lastLines(ContainerInfo old) {
    java.util.Optional<java.time.Instant> silent = scope.agentContact.unreachableSince(old.id());
    if (silent.isPresent()) { // its engine would not send them either: a failover does not wait for it
      throw new IllegalStateException("its agent's address has answered nothing since " + silent.get()
          + " (its node may be lost): not asked for them");
    }
    java.util.concurrent.CompletableFuture<String> logs = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> docker.logs(old.id(), KEPT_LOG_LINES, true));
    try {
      return logs.get(KEPT_LOG_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("its engine did not send them within " + KEPT_LOG_WAIT.toSeconds()
          + " s (its node may be lost)");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  private Path keepLog(int ordinal, ContainerInfo old) {
    Path file = home.replacedContainerLog(cluster, member(ordinal), instant());
    try {
      String logs = lastLines(old);
      Files.createDirectories(file.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      Files.writeString(file, logs, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      return file;
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      log.warn("keep-log", member(ordinal) + ": the log of the container being replaced could not be kept in "
          + file + ": " + e.getMessage());
      return null;
    }
  }
}
