package io.pgherd.postgres;

/**
 * A member agent could not be asked: no connection, a TLS handshake refused, an HTTP error, an
 * answer that cannot be read. The message names the member and what failed.
 */
public class AgentException extends Exception {
  private static final long serialVersionUID = 1L;

  public AgentException(String message) {
    super(message);
  }

  public AgentException(String message, Throwable cause) {
    super(message, cause);
  }
}
