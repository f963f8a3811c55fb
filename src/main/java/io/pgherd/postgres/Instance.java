package io.pgherd.postgres;

import java.util.Optional;

/**
 * What the reconcile needs of one member's PostgreSQL: probe it, promote it, manage its slots and
 * a few statements around a change of primary. {@link InstanceGateway} does it over SQL; the tests
 * have a fake. Failures are {@link InstanceException}s whose message says what went wrong.
 */
public interface Instance {

  InstanceProbe probe() throws InstanceException;

  Optional<String> receivedLsn() throws InstanceException;

  java.util.Map.Entry<Long, String> timelineHistory() throws InstanceException;

  String systemIdentifier() throws InstanceException;

  boolean createSlot(String name) throws InstanceException;

  boolean dropSlot(String name) throws InstanceException;

  InstanceProbe promoteAndProbe() throws InstanceException;

  void advanceSlot(String name, String lsn) throws InstanceException;

  void checkpoint() throws InstanceException;

  String checkpointLsn() throws InstanceException;

  String replayedLsn() throws InstanceException;

  void reloadConf() throws InstanceException;

  /** Opens an instance client for a member's address, the superuser's password and, with TLS enforced, the CA. */
  @FunctionalInterface
  interface Connector {
    Instance connect(String host, int port, String user, String password, java.nio.file.Path rootCertificate);
  }
}
