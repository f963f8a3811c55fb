package io.pgherd.runtime;

/** A container of that name exists already (created by an earlier pass): observe again. */
public class NameTakenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NameTakenException(String message, Throwable cause) {
    super(message, cause);
  }
}
