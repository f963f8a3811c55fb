package io.pgherd.docker;

/** The Docker engine cannot be reached: nothing was changed; retry later. */
public class DockerUnavailableException extends io.pgherd.runtime.EngineUnavailableException {
  private static final long serialVersionUID = 1L;

  public DockerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
