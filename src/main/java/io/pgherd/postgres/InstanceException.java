package io.pgherd.postgres;

/** A member's PostgreSQL did not answer or refused a statement; the message is the driver's own. */
public class InstanceException extends Exception {
  private static final long serialVersionUID = 1L;

  public InstanceException(Throwable cause) {
    super(cause.getMessage(), cause);
  }

  public InstanceException(String message) {
    super(message);
  }
}
