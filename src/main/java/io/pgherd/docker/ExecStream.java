package io.pgherd.docker;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Starts a created exec and streams stdin to it over a connection of its own — the Docker API's
 * "hijacked" HTTP upgrade — in 1 MiB writes, then half-closes the connection so the process sees
 * the end of its input. docker-java's transport writes stdin 1 KiB at a time with a flush after
 * each (about 40 MB/s here, and CPU the receiving process needs) and never half-closes.
 * Plain {@code unix://} and {@code tcp://} engines only (not TLS: {@link #supports}).
 */
final class ExecStream {
  private static final int CHUNK = 1 << 20;

  private ExecStream() {}

  static boolean supports(URI host) {
    return "unix".equals(host.getScheme()) || ("tcp".equals(host.getScheme()) && System.getenv("DOCKER_TLS_VERIFY") == null
        && System.getenv("DOCKER_CERT_PATH") == null);
  }

  /**
   * Runs exec {@code execId}: writes all of {@code stdin}, half-closes, and returns what the
   * process printed (stdout and stderr) once it has closed the stream.
   */
  static String run(URI host, String execId, InputStream stdin) throws IOException {
    try (SocketChannel ch = open(host)) {
      byte[] body = "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.UTF_8);
      String request = "POST /exec/" + execId + "/start HTTP/1.1\r\n"
          + "Host: docker\r\n"
          + "Content-Type: application/json\r\n"
          + "Connection: Upgrade\r\n"
          + "Upgrade: tcp\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n";
      write(ch, request.getBytes(StandardCharsets.US_ASCII));
      write(ch, body);
      InputStream in = java.nio.channels.Channels.newInputStream(ch);
      String status = readHead(in);
      if (!status.startsWith("HTTP/1.1 101") && !status.startsWith("HTTP/1.0 101")) {
        throw new IOException("the Docker engine refused to start exec " + execId + ": " + status.strip());
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      IOException[] readFailure = new IOException[1];
      Thread reader = new Thread(() -> {
        try {
          frames(in, out);
        } catch (IOException e) {
          readFailure[0] = e;
        } finally {
          try {
            ch.close(); // the process has ended: a write still under way (input it did not read) stops
          } catch (IOException e) {
            // nothing left to release
          }
        }
      }, "pgherd-exec-output");
      reader.setDaemon(true);
      reader.start();
      byte[] buf = new byte[CHUNK];
      boolean processGone = false;
      int n;
      while ((n = stdin.read(buf)) >= 0) { // a failure here closes the channel: the process's input ends early
        try {
          write(ch, buf, n);
        } catch (IOException e) {
          processGone = true; // the engine closed the stream: the process ended before reading all its input
          break;
        }
      }
      if (!processGone) {
        try {
          ch.shutdownOutput();
        } catch (IOException e) {
          // closed by the engine meanwhile: the process has ended
        }
      }
      try {
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted waiting for exec " + execId);
      }
      synchronized (out) {
        if (readFailure[0] != null && out.size() == 0) {
          throw readFailure[0];
        }
        return out.toString(StandardCharsets.UTF_8);
      }
    }
  }

  private static SocketChannel open(URI host) throws IOException {
    if ("unix".equals(host.getScheme())) {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(host.getPath()));
      return ch;
    }
    return SocketChannel.open(new InetSocketAddress(host.getHost(), host.getPort() < 0 ? 2375 : host.getPort()));
  }

  private static void write(SocketChannel ch, byte[] b) throws IOException {
    write(ch, b, b.length);
  }

  private static void write(SocketChannel ch, byte[] b, int len) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(b, 0, len);
    while (bb.hasRemaining()) {
      ch.write(bb);
    }
  }

  /** The status line; the headers up to the blank line are read and dropped. */
  private static String readHead(InputStream in) throws IOException {
    String status = null;
    while (true) {
      String line = line(in).orElseThrow(() -> new EOFException("the Docker engine closed the connection"));
      if (status == null) {
        status = line;
      } else if (line.isEmpty()) {
        return status;
      }
    }
  }

  private static Optional<String> line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.US_ASCII);
        return Optional.of(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
      }
      b.write(c);
    }
    return b.size() == 0 ? Optional.empty() : Optional.of(b.toString(StandardCharsets.US_ASCII));
  }

  /** The multiplexed stream (no TTY): 8-byte headers (stream, 0, 0, 0, big-endian size), then the payload. */
  private static void frames(InputStream in, ByteArrayOutputStream out) throws IOException {
    byte[] header = new byte[8];
    while (true) {
      int got = in.readNBytes(header, 0, 8);
      if (got < 8) {
        return;
      }
      int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
      byte[] payload = in.readNBytes(size);
      synchronized (out) {
        out.write(payload);
      }
      if (payload.length < size) {
        return;
      }
    }
  }
}
