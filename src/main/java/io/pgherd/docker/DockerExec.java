package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;

/**
 * Commands run in a container of the engine: their output, their exit code (waited for), and
 * their input streamed to them ({@link ExecStream} where the engine's transport allows it).
 */
final class DockerExec {
  private final DockerClient client;
  private final String host;
  private final EngineCalls calls;

  DockerExec(DockerClient client, String host, EngineCalls calls) {
    this.client = client;
    this.host = host;
    this.calls = calls;
  }

  /**
   * Runs a command in a running container and returns its output (stdout and stderr); throws
   * when it exits non-zero. Never pass a secret: exec arguments are visible to `docker inspect`.
   */
  String exec(String container, String... command) {
    String id = call(() -> client.execCreateCmd(container).withCmd(command).withAttachStdout(true)
        .withAttachStderr(true).exec().getId());
    StringBuilder out = new StringBuilder();
    try {
      client.execStartCmd(id).exec(new ResultCallback.Adapter<Frame>() {
        @Override
        public void onNext(Frame frame) {
          out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }).awaitCompletion(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command) + " in " + container, e);
    }
    Long rc = call(() -> client.inspectExecCmd(id).exec().getExitCodeLong());
    if (rc == null || rc != 0) {
      throw new IllegalStateException(String.join(" ", command) + " in " + container + " exited " + rc + ": " + out);
    }
    return out.toString();
  }

  /**
   * Runs a command in a running container with {@code stdin} streamed to it and returns its
   * output; throws when it exits non-zero or when reading {@code stdin} fails. The Docker API
   * does not pass the end of {@code stdin} on to the process (the hijacked connection is not
   * half-closed), so the command must stop reading by itself — after a byte count it is given,
   * say. A failing {@code stdin} closes the connection: the command then sees the end of its
   * input early. Never pass a secret in {@code command}.
   */
  String execWithInput(String container, InputStream stdin, String... command) throws IOException {
    String id = call(() -> client.execCreateCmd(container).withCmd(command).withAttachStdin(true)
        .withAttachStdout(true).withAttachStderr(true).exec().getId());
    URI engine = URI.create(host);
    if (ExecStream.supports(engine)) {
      String output = ExecStream.run(engine, id, stdin).strip();
      Long rc = exitCode(id);
      if (rc == null || rc != 0) {
        throw new IOException(String.join(" ", command) + " in " + container + " exited " + rc
            + (output.isEmpty() ? "" : ": " + output));
      }
      return output;
    }
    StringBuilder out = new StringBuilder();
    ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
      @Override
      public void onNext(Frame frame) {
        synchronized (out) {
          out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    };
    java.util.concurrent.atomic.AtomicReference<IOException> readFailure = new java.util.concurrent.atomic.AtomicReference<>();
    InputStream guarded = new java.io.FilterInputStream(stdin) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (IOException e) {
          readFailure.compareAndSet(null, e);
          try {
            callback.close(); // the command's input ends here: it fails instead of waiting
          } catch (IOException ignored) {
            // the read failure is what is reported
          }
          throw e;
        }
      }
    };
    try {
      client.execStartCmd(id).withStdIn(guarded).exec(callback).awaitCompletion();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.close();
      throw new java.io.InterruptedIOException("interrupted running " + String.join(" ", command) + " in " + container);
    }
    if (readFailure.get() != null) {
      throw readFailure.get();
    }
    Long rc = exitCode(id);
    String output;
    synchronized (out) {
      output = out.toString().strip();
    }
    if (rc == null || rc != 0) {
      throw new IOException(String.join(" ", command) + " in " + container + " exited " + rc
          + (output.isEmpty() ? "" : ": " + output));
    }
    return output;
  }

  /** An exec's exit code once the engine has it (its stream closes a moment before); null if it never comes. */
  private Long exitCode(String execId) throws java.io.InterruptedIOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      var state = call(() -> client.inspectExecCmd(execId).exec());
      if (!Boolean.TRUE.equals(state.isRunning()) || System.nanoTime() > deadline) {
        return state.getExitCodeLong();
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted waiting for exec " + execId + " to end");
      }
    }
  }

  private <T> T call(EngineCalls.Call<T> call) {
    return calls.call(call);
  }
}
