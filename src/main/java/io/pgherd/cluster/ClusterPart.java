package io.pgherd.cluster;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.Topology;
import io.pgherd.postgres.Instance;
import io.pgherd.postgres.InstanceException;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerRuntime;
import io.pgherd.runtime.MemberAccess;
import io.pgherd.store.Home;
import io.pgherd.tls.ClusterTls;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a step of the pass starts from: the {@link ClusterScope}'s parts under short names, so that
 * a step reads as what it does ({@code docker.start(c.id())}, {@code log.action(...)},
 * {@code member(p)}). A step keeps its own state in fields of its own.
 */
public abstract class ClusterPart {
  /** Where a member's volume is mounted. */
  public static final String DATA_DIR = "/var/lib/postgresql/data";
  /** The member's PostgreSQL data directory, inside its volume. */
  public static final String PGDATA = DATA_DIR + "/pgdata";
  /** How long a member's PostgreSQL is given to shut down cleanly (a switchover, a restore in place). */
  public static final Duration SHUTDOWN_PATIENCE = Duration.ofSeconds(30);

  protected final ClusterScope scope;
  protected final Home home;
  protected final ContainerRuntime docker;
  protected final String cluster;
  protected final PassLog log;
  protected final MemberAccess access;
  protected final ClusterTls tls;
  protected final Map<String, String> fileHashes;
  protected final Set<String> recovering;
  protected final AgentContact agentContact;

  protected ClusterPart(ClusterScope scope) {
    this.scope = scope;
    this.home = scope.home;
    this.docker = scope.docker;
    this.cluster = scope.cluster;
    this.log = scope.log;
    this.access = scope.access;
    this.tls = scope.tls;
    this.fileHashes = scope.fileHashes;
    this.recovering = scope.recovering;
    this.agentContact = scope.agentContact;
  }

  protected String member(int ordinal) {
    return scope.member(ordinal);
  }

  protected String names(Collection<Integer> ordinals) {
    return scope.names(ordinals);
  }

  protected Optional<Instance> sql(ContainerInfo c) {
    return scope.sql(c);
  }

  protected Optional<MemberAgent> agent(ContainerInfo c) {
    return scope.agent(c);
  }

  protected Optional<MemberAccess.Address> postgresAddress(ContainerInfo c) {
    return scope.postgresAddress(c);
  }

  protected void joinNetwork() {
    scope.joinNetwork();
  }

  protected String systemIdentifier(ContainerInfo primary) throws InstanceException {
    return scope.systemIdentifier(primary);
  }

  protected String fileHash(ContainerInfo c, String path) {
    return scope.fileHash(c, path);
  }

  protected String specHash(ClusterConfig cfg, int ordinal) {
    return scope.specHash(cfg, ordinal);
  }

  protected Long lagBytes(Topology topology, Observed obs, int replica) {
    return scope.lagBytes(topology, obs, replica);
  }

  protected void warnOnce(String key, String message) {
    log.warnOnce(key, message);
  }

  /** The container has these files now (delivered): what {@link #fileHash} answers for them. */
  protected void delivered(ContainerInfo c, Map<String, io.pgherd.runtime.ContainerSpec.FileContent> files) {
    delivered(c.id(), files);
  }

  /** As above, for a container known by its id (just created with these files). */
  protected void delivered(String containerId, Map<String, io.pgherd.runtime.ContainerSpec.FileContent> files) {
    files.forEach((path, content) -> fileHashes.put(containerId + path, hash(content.content())));
  }

  protected static String hash(byte[] content) {
    return ClusterScope.hash(content);
  }

  /** Now, by the scope's clock, as stored in intents and answers. */
  protected String now() {
    return scope.now();
  }

  /** Now, by the scope's clock. */
  protected java.time.Instant instant() {
    return scope.instant();
  }
}
