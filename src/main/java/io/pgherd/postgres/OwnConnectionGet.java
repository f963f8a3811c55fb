package io.pgherd.postgres;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTPS GET on a connection of its own, closed after the answer — for the agent's status
 * probe, whose failure must tell whether the request can have reached the agent (the agent counts
 * its isolation from the operator's last call, {@code cluster.ContactRecordingAgent}). On a
 * kept-alive connection a probe sent after a host was cut off is written at once into a connection
 * that no longer leads anywhere, and the operator must count it as word the agent may have heard:
 * a failover would wait a probe period longer than it needs to. Here a probe that never had a
 * connection, or whose TLS handshake did not finish, is known not to have been sent ({@link NotSent}),
 * and one that failed after it was written is abandoned with a reset (no linger): nothing of it is
 * left in the kernel to arrive after the operator has stopped counting it.
 */
final class OwnConnectionGet {
  private OwnConnectionGet() {}

  /** The answer: HTTP status code and body. */
  record Response(int code, byte[] body) {}

  /** A failure before the request was written: the agent cannot have seen it. */
  static final class NotSent extends IOException {
    private static final long serialVersionUID = 1L;

    NotSent(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** The longest answer read (an agent's status is a few kilobytes). */
  static final int MAX_BODY = 1 << 20;

  /**
   * @param connectTimeout for the TCP connection (an {@link HttpConnectTimeoutException} past it)
   * @param timeout for the rest: the TLS handshake, the request and the whole answer (an
   *     {@link HttpTimeoutException} past it)
   */
  static Response get(SSLContext tls, SSLParameters parameters, String host, int port, String path,
      Duration connectTimeout, Duration timeout) throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    try {
      try {
        socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
      } catch (SocketTimeoutException e) {
        throw new NotSent(new HttpConnectTimeoutException("HTTP connect timed out"));
      } catch (IOException e) {
        throw new NotSent(e); // refused, no route, a name that does not resolve
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      try {
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(remaining(deadline));
        socket.startHandshake();
      } catch (SocketTimeoutException e) {
        throw new NotSent(new HttpTimeoutException("no TLS handshake within " + timeout.toMillis() + " ms"));
      } catch (IOException e) {
        throw new NotSent(e);
      }
      OutputStream out = socket.getOutputStream();
      String hostHeader = host.contains(":") ? "[" + host + "]" : host;
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + ":" + port + "\r\nAccept: application/json\r\n"
          + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Response response = read(new java.io.BufferedInputStream(new Deadlined(socket, deadline)));
      socket.close();
      return response;
    } catch (SocketTimeoutException e) {
      HttpTimeoutException late = new HttpTimeoutException("request timed out");
      abort(socket, late);
      throw late;
    } catch (IOException | RuntimeException e) {
      abort(socket, e);
      throw e;
    }
  }

  /** Closed with a reset once connected: nothing unsent or unacknowledged of the request goes out later. */
  private static void abort(SSLSocket socket, Exception failure) {
    try {
      if (socket.isConnected() && !socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
    try {
      socket.close();
    } catch (IOException e) {
      failure.addSuppressed(e);
    }
  }

  private static int remaining(long deadline) throws SocketTimeoutException {
    long ms = (deadline - System.nanoTime()) / 1_000_000;
    if (ms <= 0) {
      throw new SocketTimeoutException("deadline passed");
    }
    return (int) ms;
  }

  /** An answer: status line, headers, then a body by Content-Length, chunks, or up to the connection's end. */
  static Response read(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new EOFException("EOF reached while reading the answer");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + statusLine);
    }
    int code;
    try {
      code = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP answer: " + statusLine, e);
    }
    long length = -1;
    boolean chunked = false;
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = h.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).strip();
      if (name.equals("content-length")) {
        try {
          length = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new IOException("unreadable Content-Length: " + value, e);
        }
      } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
        chunked = true;
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (chunked) {
      for (long size = chunkSize(line(in)); size > 0; size = chunkSize(line(in))) {
        copy(in, body, size);
        line(in); // the CRLF after the chunk
      }
    } else if (length >= 0) {
      copy(in, body, length);
    } else {
      copy(in, body, -1);
    }
    return new Response(code, body.toByteArray());
  }

  private static long chunkSize(String line) throws IOException {
    if (line == null) {
      throw new EOFException("EOF reached inside a chunked answer");
    }
    String hex = line.contains(";") ? line.substring(0, line.indexOf(';')) : line;
    try {
      return Long.parseLong(hex.strip(), 16);
    } catch (NumberFormatException e) {
      throw new IOException("unreadable chunk size: " + line, e);
    }
  }

  /** {@code n} bytes (-1: up to the end of the stream), at most {@link #MAX_BODY}. */
  private static void copy(InputStream in, ByteArrayOutputStream out, long n) throws IOException {
    if (n > MAX_BODY || out.size() + Math.max(n, 0) > MAX_BODY) {
      throw new IOException("an answer over " + MAX_BODY + " bytes");
    }
    byte[] buffer = new byte[8192];
    long left = n;
    while (left != 0) {
      int r = in.read(buffer, 0, (int) (left < 0 ? buffer.length : Math.min(buffer.length, left)));
      if (r < 0) {
        if (left > 0) {
          throw new EOFException("EOF reached " + left + " bytes before the end of the answer");
        }
        return;
      }
      out.write(buffer, 0, r);
      if (out.size() > MAX_BODY) {
        throw new IOException("an answer over " + MAX_BODY + " bytes");
      }
      if (left > 0) {
        left -= r;
      }
    }
  }

  /** One header line without its CRLF; null at the end of the stream before any byte of it. */
  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c >= 0; c = in.read()) {
      if (c == '\n') {
        int end = b.length();
        return b.substring(0, end > 0 && b.charAt(end - 1) == '\r' ? end - 1 : end);
      }
      if (b.length() > 16_384) {
        throw new IOException("a header line over 16 KiB");
      }
      b.append((char) c);
    }
    return b.length() == 0 ? null : b.toString();
  }

  /** The socket's stream, each read bounded by what is left until the deadline. */
  private static final class Deadlined extends InputStream {
    private final SSLSocket socket;
    private final InputStream in;
    private final long deadline;

    Deadlined(SSLSocket socket, long deadline) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.deadline = deadline;
    }

    @Override
    public int read() throws IOException {
      socket.setSoTimeout(remaining(deadline));
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      socket.setSoTimeout(remaining(deadline));
      return in.read(b, off, len);
    }
  }
}
