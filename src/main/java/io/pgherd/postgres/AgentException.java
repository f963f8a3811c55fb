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
    return causedBy(java.net.http.HttpConnectTimeoutException.class);
  }

  /**
   * Whether the call may have reached the agent before it failed (it counts the operator's calls):
   * not when it never had a connection (none within the timeout, or refused), nor when it was
   * never sent (no cause: refused before sending; a status probe whose TLS handshake did not
   * finish, {@link OwnConnectionGet.NotSent}); otherwise it may have (no answer in time, a
   * connection closed, an error answer).
   */
  public boolean mayHaveArrived() {
    return !causedBy(java.net.http.HttpConnectTimeoutException.class) && !causedBy(java.net.ConnectException.class)
        && !causedBy(OwnConnectionGet.NotSent.class)
        && (getCause() != null || getMessage() == null || !getMessage().endsWith(": interrupted"));
  }

  private boolean causedBy(Class<? extends Throwable> kind) {
    for (Throwable t = getCause(); t != null; t = t.getCause()) {
      if (kind.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
