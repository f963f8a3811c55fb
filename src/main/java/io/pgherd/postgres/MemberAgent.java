package io.pgherd.postgres;

import io.pgherd.runtime.ContainerSpec.FileContent;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Objects;

/**
 * A member's agent: the long-lived process in each member container that keeps one local
 * connection to its PostgreSQL and answers the operator over HTTPS with mutual TLS (port 8009).
 * The load balancer's container runs one too, answering the files, reload and {@link #haproxy} calls
 * (its "member" is {@code NAME-lb}, its container {@code pgherd-NAME-lb}).
 * {@link AgentGateway} asks it; the tests have a fake. Failures are {@link AgentException}s whose
 * message names the member and what failed.
 */
public interface MemberAgent {

  /** {@code GET /v1/status}: the agent's look at its PostgreSQL. */
  AgentStatus status() throws AgentException;

  /**
   * {@code PUT /v1/files}: writes the files (absolute paths under /etc/pgherd, content, mode) in the
   * member, each replaced in one rename; the agent's user (postgres) owns them.
   */
  void putFiles(Map<String, FileContent> files) throws AgentException;

  /**
   * {@code GET /v1/files}: the SHA-256 (hex) of each file the agent may write (under /etc/pgherd; the
   * load balancer's also HAProxy's configuration), by absolute path; the password files left out.
   */
  java.util.Map<String, String> files() throws AgentException;

  /** {@code POST /v1/reload}: PostgreSQL reads its configuration files again (pg_reload_conf()). */
  void reload() throws AgentException;

  /** {@code POST /v1/unfence}: lifts the member's fence; its agent starts PostgreSQL again. */
  void unfence() throws AgentException;

  /**
   * {@code POST /v1/stop?mode=fast|immediate}: the agent stops PostgreSQL (fast: sessions cut, a
   * shutdown checkpoint, the remaining WAL sent to the standbys) and keeps it stopped, answering,
   * until {@link #start}; the container goes on running.
   */
  void stop(String mode) throws AgentException;

  /**
   * {@code POST /v1/start?standby=true|false}: PostgreSQL starts again after {@link #stop}, as a
   * standby (standby.signal written first) or as its data directory says.
   */
  void start(boolean standby) throws AgentException;

  /**
   * {@code POST /v1/haproxy}, the load balancer's agent only (the same API, in pgherd/haproxy): each
   * command to HAProxy's admin socket, in order; their output concatenated.
   */
  String haproxy(java.util.List<String> commands) throws AgentException;

  /**
   * {@code GET /v1/restore}: how far the staging of a restore into the member is; empty when its
   * agent receives none (a member's agent in its usual mode answers 404: not being restored).
   */
  java.util.Optional<AgentRestore> restoreState() throws AgentException;

  /**
   * {@code PUT /v1/restore/base?format=&size=}: a stored base backup ({@code size} bytes of
   * {@code backup}, format zst, gz or tar), unpacked by the member as it arrives; returns once it
   * is unpacked (the call may take as long as the download).
   */
  void receiveBaseBackup(java.io.InputStream backup, long size, String format) throws AgentException;

  /**
   * {@code PUT /v1/restore/files}: a tar of the restore's WAL ({@code wal/NAME}), its target
   * ({@code recovery.conf}) and {@code STAGED} last, written under the member's restore directory.
   */
  void receiveRestoreFiles(java.io.InputStream tar, long size) throws AgentException;

  /**
   * The operator's side of the mutual TLS: the cluster's CA (the agents' certificates are verified
   * against it) and the operator's client certificate and key signed by it.
   */
  record Credentials(X509Certificate authority, X509Certificate certificate, PrivateKey key) {
    public Credentials {
      Objects.requireNonNull(authority, "authority");
      Objects.requireNonNull(certificate, "certificate");
      Objects.requireNonNull(key, "key");
    }

    /** Never the key. */
    @Override
    public String toString() {
      return "Credentials[" + certificate.getSubjectX500Principal() + " under " + authority.getSubjectX500Principal()
          + "]";
    }
  }

  /**
   * Opens a client to {@code member}'s agent at host:port (its published loopback port, or its
   * container name on the cluster network): the agent must show a certificate signed by the
   * credentials' CA that names the member's container, however it was reached.
   */
  @FunctionalInterface
  interface Connector {
    MemberAgent connect(String member, String host, int port, Credentials credentials);

    /**
     * As {@link #connect(String, String, int, Credentials)}, for one of several copies of the same
     * container (the load balancer's tasks on a Swarm, one per node), told apart by {@code instance}.
     */
    default MemberAgent connect(String member, String instance, String host, int port, Credentials credentials) {
      return connect(member, host, port, credentials);
    }
  }
}
