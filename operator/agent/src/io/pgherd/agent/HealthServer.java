package io.pgherd.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The health endpoint HAProxy checks (plain HTTP, no authentication: it says only the role):
 * {@code GET|HEAD /primary, /replica[?lag=N], /health}, answered from the state the
 * {@link HealthWatch} keeps — no process, no query and no login per check.
 *
 * <p>One thread accepts, reads and answers, one connection at a time (HAProxy's check: connect,
 * one request, the answer, close). Not the JDK's {@code HttpServer}: its selector thread and its
 * executor thread are two wake-ups per check, and on a machine busy with PostgreSQL each wake-up
 * waits for a CPU — measured under pgbench, that was most of a check's latency. A client gets
 * {@link #REQUEST_MILLIS} to send its request, so a silent or slow one delays the others by that
 * much at most.
 */
final class HealthServer implements AutoCloseable {
  static final int REQUEST_MILLIS = 250;
  private static final int MAX_REQUEST_BYTES = 4096;
  private static final long FAILURE_LOG_MILLIS = 60_000;

  private final ServerSocket socket;
  private final Supplier<Health.State> state;
  private final long maxAgeMillis;
  private final LongSupplier clock;
  private final Log log;
  private final Thread thread;
  private long failures;
  private long failureLoggedAt = Long.MIN_VALUE;

  HealthServer(int port, Supplier<Health.State> state, long maxAgeMillis, LongSupplier clock, Log log)
      throws IOException {
    this.state = state;
    this.maxAgeMillis = maxAgeMillis;
    this.clock = clock;
    this.log = log;
    socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(port), 64);
    thread = Http.daemon(this::serve, "pgherd-agent-health");
  }

  void start() {
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      log.info("health endpoint: closing its socket failed: " + e.getMessage());
    }
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket client = socket.accept()) {
        client.setTcpNoDelay(true);
        respond(client);
      } catch (IOException e) {
        if (socket.isClosed()) {
          return;
        }
        failed(e);
      }
    }
  }

  /**
   * A client that went away or sent nothing in time is no fault of this member: counted, and
   * logged at most once a minute with the count (HAProxy's own log says what it saw).
   */
  private void failed(IOException e) {
    failures++;
    long now = clock.getAsLong();
    if (failureLoggedAt == Long.MIN_VALUE || now - failureLoggedAt >= FAILURE_LOG_MILLIS) {
      String what = e instanceof SocketTimeoutException ? "no request within " + REQUEST_MILLIS + " ms" : e.toString();
      log.info("health endpoint: " + failures + " request(s) failed since the last such line; the latest: " + what);
      failures = 0;
      failureLoggedAt = now;
    }
  }

  private void respond(Socket client) throws IOException {
    long deadline = clock.getAsLong() + REQUEST_MILLIS;
    String head = readHead(client, deadline);
    Health.Answer a;
    boolean isHead = false;
    String[] line = head == null ? new String[0] : head.substring(0, head.indexOf('\n')).strip().split(" ");
    if (line.length != 3 || !line[2].startsWith("HTTP/") || !line[1].startsWith("/")) {
      a = new Health.Answer(400, "{\"error\":\"bad request\"}");
    } else if (!line[0].equals("GET") && !line[0].equals("HEAD")) {
      a = new Health.Answer(405, "{\"error\":\"method not allowed\"}");
    } else {
      isHead = line[0].equals("HEAD");
      int q = line[1].indexOf('?');
      a = Health.answer(q < 0 ? line[1] : line[1].substring(0, q), q < 0 ? null : line[1].substring(q + 1),
          state.get(), clock.getAsLong(), maxAgeMillis);
    }
    write(client.getOutputStream(), a, isHead);
  }

  /** The request line and headers (up to the empty line), or null when they are too long. */
  private String readHead(Socket client, long deadline) throws IOException {
    InputStream in = client.getInputStream();
    byte[] buf = new byte[MAX_REQUEST_BYTES];
    int n = 0;
    while (n < buf.length) {
      int left = (int) (deadline - clock.getAsLong());
      if (left <= 0) {
        throw new SocketTimeoutException("request not complete within " + REQUEST_MILLIS + " ms");
      }
      client.setSoTimeout(left);
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        throw new IOException("connection closed before the end of the request (" + n + " bytes)");
      }
      n += r;
      String s = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
      if (s.contains("\r\n\r\n") || s.contains("\n\n")) {
        return s;
      }
    }
    return null;
  }

  private static void write(OutputStream out, Health.Answer a, boolean head) throws IOException {
    byte[] body = (a.body() + "\n").getBytes(StandardCharsets.UTF_8);
    String headers = "HTTP/1.1 " + a.status() + " " + reason(a.status()) + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Cache-Control: no-store\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + "Connection: close\r\n\r\n";
    byte[] h = headers.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[h.length + (head ? 0 : body.length)];
    System.arraycopy(h, 0, all, 0, h.length);
    if (!head) {
      System.arraycopy(body, 0, all, h.length, body.length);
    }
    out.write(all);
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }
}
