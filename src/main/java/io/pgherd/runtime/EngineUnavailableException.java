package io.pgherd.runtime;

/** The engine that runs the containers cannot be reached: the message names where it was looked for. */
public class EngineUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EngineUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
