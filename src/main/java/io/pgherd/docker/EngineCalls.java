package io.pgherd.docker;

import com.github.dockerjava.api.exception.DockerException;
import java.io.IOException;

/**
 * Runs the calls to one Docker engine: every failure to connect becomes a
 * {@link DockerUnavailableException} naming the engine's address; the engine's own errors
 * ({@link DockerException}) pass through.
 */
public final class EngineCalls {
  private final String host;

  public EngineCalls(String host) {
    this.host = host;
  }

  public interface Call<T> {
    T run();
  }

  /** Runs an engine call, turning "cannot connect" into {@link DockerUnavailableException}. */
  public <T> T call(Call<T> call) {
    try {
      return call.run();
    } catch (DockerException e) {
      throw e;
    } catch (RuntimeException e) {
      if (isConnectionFailure(e)) {
        throw new DockerUnavailableException("Docker engine at " + host + " is unreachable: " + rootMessage(e), e);
      }
      throw e;
    }
  }

  static boolean isConnectionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.SocketException
          || t instanceof java.nio.file.NoSuchFileException || t instanceof java.io.FileNotFoundException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
      if (t instanceof IOException && t.getMessage() != null
          && (t.getMessage().contains("No such file") || t.getMessage().contains("Connection refused"))) {
        return true;
      }
    }
    return false;
  }

  public static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
