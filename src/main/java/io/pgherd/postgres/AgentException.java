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

  /**
   * Whether the agent's address answered nothing at all (no connection within the timeout, not a
   * refusal): its host is lost or cut off, and nothing else on that address will answer either.
   */
  public boolean unreachable() {
    for (Throwable t = getCause(); t != null; t = t.getCause()) {
      if (t instanceof java.net.http.HttpConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }
}
