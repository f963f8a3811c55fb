package io.pgherd.docker;

import io.pgherd.runtime.EngineUnavailableException;

/** The Docker engine cannot be reached: nothing was changed; retry later. */
public class DockerUnavailableException extends EngineUnavailableException {
  private static final long serialVersionUID = 1L;

  public DockerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
