package io.pgherd.postgres;

import io.pgherd.model.Names;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * One member's agent over HTTPS with mutual TLS ({@link AgentTls}), with the JDK's HTTP client:
 * HTTP/1.1 on a kept-alive connection — but for the status probe, on a connection of its own
 * every time ({@link OwnConnectionGet}, why there) — a connection within
 * {@link #CONNECT_TIMEOUT} and an answer within {@link #READ_TIMEOUT}, else the member's agent
 * counts as unreachable for this pass. Keep one per member ({@link AgentConnections}) so that its
 * connection is reused.
 */
public final class AgentGateway implements MemberAgent {
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
  /**
   * For the calls an agent answers at once, from what it has (its status, its files' hashes, a
   * command to HAProxy's socket): sooner than {@link #READ_TIMEOUT}, since a host lost leaves the
   * kept-alive connection to its agents silent, and the pass that asks first waits this long.
   */
  public static final Duration QUICK_TIMEOUT = Duration.ofMillis(1500);
  /**
   * Docker's proxy accepts a connection to a published port even when nothing listens behind it
   * (an image without the agent), then closes it; an agent refusing the client's certificate closes
   * it too (TLS 1.3: after the client's handshake is over).
   */
  private static final String NOBODY = ": no agent listening behind the port, or it refused the operator's"
      + " client certificate";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  /** How much of an error answer's body a message quotes. */
  static final int QUOTED_BODY = 300;

  private final String member;
  private final String host;
  private final int port;
  private final Credentials credentials;
  private final javax.net.ssl.SSLContext tls;
  private final HttpClient client;
  private final URI status;
  /**
   * The last call's failure when its address answered nothing (no connection within the timeout),
   * and when (System.nanoTime): calls other than the status probe fail at once with it for
   * {@link #UNREACHABLE_QUIET}, rather than each waiting out the timeout again; null once a call
   * connects. A lost host's agents cost a pass one timeout (its probe), not one per step that asks.
   */
  private volatile Unreachable unreachable;

  private record Unreachable(AgentException failure, long at) {}

  /** How long after an agent's address answered nothing calls other than its status probe are not tried. */
  public static final Duration UNREACHABLE_QUIET = Duration.ofSeconds(5);

  /**
   * @param member the member ("demo-1"); the agent's certificate must name its container
   *     ({@link Names#container})
   * @param host where it is reached: 127.0.0.1 with its published port, or its container name
   */
  public AgentGateway(String member, String host, int port, Credentials credentials) {
    this.member = member;
    this.host = host;
    this.port = port;
    this.credentials = credentials;
    this.tls = AgentTls.context(credentials, Names.container(member));
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(CONNECT_TIMEOUT)
        .sslContext(tls)
        .sslParameters(AgentTls.parameters())
        .followRedirects(HttpClient.Redirect.NEVER)
        .proxy(HttpClient.Builder.NO_PROXY)
        .build();
    this.status = URI.create("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/v1/status");
  }

  /** Whether this gateway is the one for that address and those credentials (else a new one is needed). */
  boolean reaches(String host, int port, Credentials credentials) {
    return this.host.equals(host) && this.port == port && this.credentials.equals(credentials);
  }

  @Override
  public AgentStatus status() throws AgentException {
    // always tried: the operator's word to the agent (which it counts its isolation from), and the way back
    byte[] body = ok(probe(), "status");
    AgentStatus s;
    try {
      s = AgentStatus.parse(body);
    } catch (IllegalArgumentException e) {
      throw new AgentException(where() + ": unreadable status answer: " + e.getMessage());
    }
    if (!Objects.equals(s.member(), member)) {
      throw new AgentException(where() + ": the agent answers for " + s.member() + ", not for " + member);
    }
    return s;
  }

  @Override
  public void putFiles(java.util.Map<String, FileContent> files) throws AgentException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (var f : files.entrySet()) {
      if (f.getKey().contains(" ") || f.getKey().contains("\n")) {
        throw new IllegalArgumentException("a file path with a space or a newline: " + f.getKey());
      }
      byte[] content = f.getValue().content();
      out.writeBytes((f.getKey() + " " + String.format("%04o", f.getValue().mode()) + " " + content.length + "\n")
          .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(content);
      out.write('\n');
    }
    call(HttpRequest.newBuilder(status.resolve("/v1/files")).PUT(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())),
        "files " + files.keySet().stream().map(p -> p.substring(p.lastIndexOf('/') + 1)).toList());
  }

  @Override
  public void reload() throws AgentException {
    call(HttpRequest.newBuilder(status.resolve("/v1/reload")).POST(HttpRequest.BodyPublishers.noBody()), "reload");
  }

  @Override
  public void unfence() throws AgentException {
    call(HttpRequest.newBuilder(status.resolve("/v1/unfence")).POST(HttpRequest.BodyPublishers.noBody()), "unfence");
  }

  @Override
  public void stop(String mode) throws AgentException {
    call(HttpRequest.newBuilder(status.resolve("/v1/stop?mode=" + mode)).POST(HttpRequest.BodyPublishers.noBody()),
        "stop (" + mode + ")");
  }

  @Override
  public void start(boolean standby) throws AgentException {
    call(HttpRequest.newBuilder(status.resolve("/v1/start?standby=" + standby))
        .POST(HttpRequest.BodyPublishers.noBody()), standby ? "start as a standby" : "start");
  }

  @Override
  public java.util.Map<String, String> files() throws AgentException {
    byte[] body = ok(send(HttpRequest.newBuilder(status.resolve("/v1/files")).GET(), QUICK_TIMEOUT), "files");
    try {
      com.fasterxml.jackson.databind.JsonNode files = JSON.readTree(body).get("files");
      if (files == null || !files.isObject()) {
        throw new AgentException(where() + ": files: no files in the answer" + quoted(body));
      }
      java.util.Map<String, String> out = new java.util.TreeMap<>();
      files.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    } catch (java.io.IOException e) {
      throw new AgentException(where() + ": files: not JSON" + quoted(body));
    }
  }

  @Override
  public String haproxy(java.util.List<String> commands) throws AgentException {
    byte[] body = ok(send(HttpRequest.newBuilder(status.resolve("/v1/haproxy"))
        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", commands) + "\n", StandardCharsets.UTF_8)),
        QUICK_TIMEOUT), "haproxy " + commands);
    try {
      com.fasterxml.jackson.databind.JsonNode output = JSON.readTree(body).get("output");
      if (output == null || !output.isTextual()) {
        throw new AgentException(where() + ": haproxy " + commands + ": no output in the answer" + quoted(body));
      }
      return output.asText();
    } catch (java.io.IOException e) {
      throw new AgentException(where() + ": haproxy " + commands + ": not JSON" + quoted(body));
    }
  }

  /** How long a restore's staging call may take: as long as the download of the backup it streams. */
  static final Duration STAGING_TIMEOUT = Duration.ofHours(2);

  @Override
  public java.util.Optional<AgentRestore> restoreState() throws AgentException {
    HttpResponse<byte[]> response = send(HttpRequest.newBuilder(status.resolve("/v1/restore")).GET(), READ_TIMEOUT);
    if (response.statusCode() == 404) {
      return java.util.Optional.empty();
    }
    byte[] body = ok(response, "restore state");
    try {
      com.fasterxml.jackson.databind.JsonNode n = JSON.readTree(body);
      com.fasterxml.jackson.databind.JsonNode failed = n.get("failed");
      return java.util.Optional.of(new AgentRestore(flag(n, "receiving", body), flag(n, "unpacked", body),
          flag(n, "staged", body), flag(n, "ready", body), flag(n, "dataDirectory", body),
          failed == null || failed.isNull() ? java.util.Optional.empty() : java.util.Optional.of(failed.asText())));
    } catch (java.io.IOException e) {
      throw new AgentException(where() + ": restore state: not JSON" + quoted(body));
    }
  }

  private boolean flag(com.fasterxml.jackson.databind.JsonNode n, String name, byte[] body) throws AgentException {
    com.fasterxml.jackson.databind.JsonNode v = n.get(name);
    if (v == null || !v.isBoolean()) {
      throw new AgentException(where() + ": restore state: no " + name + quoted(body));
    }
    return v.asBoolean();
  }

  @Override
  public void receiveBaseBackup(java.io.InputStream backup, long size, String format) throws AgentException {
    String what = "receiving a base backup (" + (size >> 20) + " MB " + format + ")";
    ok(send(HttpRequest.newBuilder(status.resolve("/v1/restore/base?format=" + format + "&size=" + size))
        .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> backup), size)),
        STAGING_TIMEOUT), what);
  }

  @Override
  public void receiveRestoreFiles(java.io.InputStream tar, long size) throws AgentException {
    ok(send(HttpRequest.newBuilder(status.resolve("/v1/restore/files"))
        .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> tar), size)),
        STAGING_TIMEOUT), "receiving the restore's WAL and target (" + (size >> 20) + " MB)");
  }

  /** One call; its answer's body when it is 200, else an AgentException naming the member and the call. */
  private byte[] call(HttpRequest.Builder request, String what) throws AgentException {
    return ok(send(request, READ_TIMEOUT), what);
  }

  /** One request, refused at once while its address recently answered nothing (the status probe is always tried). */
  private HttpResponse<byte[]> send(HttpRequest.Builder request, Duration timeout) throws AgentException {
    io.pgherd.runtime.Acting.check(); // no word to an agent from an operator replica that may not act now
    Unreachable last = unreachable;
    if (last != null) {
      long ago = System.nanoTime() - last.at();
      if (ago < UNREACHABLE_QUIET.toNanos()) {
        throw new AgentException(last.failure().getMessage() + " " + ago / 1_000_000 + " ms ago; not tried again"
            + " until it answers or " + UNREACHABLE_QUIET.toSeconds() + " s have passed", last.failure().getCause());
      }
    }
    try {
      HttpResponse<byte[]> response = client.send(request.timeout(timeout).header("Accept", "application/json").build(),
          HttpResponse.BodyHandlers.ofByteArray());
      unreachable = null;
      return response;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentException(where() + ": interrupted");
    } catch (IOException e) {
      AgentException failure = new AgentException(where() + ": " + describe(e, timeout), e);
      unreachable = failure.unreachable() ? new Unreachable(failure, System.nanoTime()) : null;
      throw failure;
    }
  }

  /**
   * The status asked on a connection of its own ({@link OwnConnectionGet}): a probe that failed
   * tells whether it can have reached the agent, which a probe on a kept-alive connection cannot.
   */
  private OwnConnectionGet.Response probe() throws AgentException {
    io.pgherd.runtime.Acting.check(); // no word to an agent from an operator replica that may not act now
    try {
      OwnConnectionGet.Response response = OwnConnectionGet.get(tls, AgentTls.parameters(), host, port,
          status.getRawPath(), CONNECT_TIMEOUT, QUICK_TIMEOUT);
      unreachable = null;
      return response;
    } catch (IOException e) {
      AgentException failure = new AgentException(where() + ": " + describe(e, QUICK_TIMEOUT), e);
      unreachable = failure.unreachable() ? new Unreachable(failure, System.nanoTime()) : null;
      throw failure;
    }
  }

  private byte[] ok(HttpResponse<byte[]> response, String what) throws AgentException {
    return ok(new OwnConnectionGet.Response(response.statusCode(), response.body() == null ? new byte[0] : response.body()),
        what);
  }

  private byte[] ok(OwnConnectionGet.Response response, String what) throws AgentException {
    byte[] body = response.body();
    if (response.code() != 200) {
      throw new AgentException(where() + ": " + (what.equals("status") ? "" : what + ": ") + "HTTP "
          + response.code() + quoted(body));
    }
    return body;
  }

  private String where() {
    return "the agent of " + member + " at " + host + ":" + port;
  }

  /** What failed, from the most telling exception in the chain (the HTTP client wraps what the socket threw). */
  static String describe(IOException e, Duration timeout) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HttpConnectTimeoutException) {
        return "no connection within " + CONNECT_TIMEOUT.toMillis() + " ms";
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLHandshakeException) {
        String why = certificateProblem(t).orElse(innermost(t));
        boolean closed = why.startsWith("Remote host") || why.contains("closed") || why.contains("EOF")
            || why.contains("shut down");
        return "TLS handshake refused: " + why + (closed ? NOBODY : "");
      }
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return "TLS refused: " + innermost(t);
      }
    }
    String closed = innermost(e);
    if (closed.contains("Connection reset") || closed.contains("received no bytes") || closed.contains("EOF reached")
        || closed.contains("Broken pipe")) {
      // TLS 1.3: the client's handshake ends before the server has checked its certificate, so a
      // refusal shows as a connection closed without an answer
      return "the connection was closed without an answer (" + closed + ")" + NOBODY;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HttpTimeoutException) {
        return "no answer within " + timeout.toMillis() + " ms";
      }
      if (t instanceof ConnectException) {
        String m = t.getMessage();
        return m == null || m.isBlank() || m.equalsIgnoreCase("connection refused") ? "connection refused"
            : "cannot connect: " + m;
      }
    }
    return innermost(e);
  }

  /** What our trust manager said of the agent's certificate (the outermost certificate exception: ours). */
  private static java.util.Optional<String> certificateProblem(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.security.cert.CertificateException && c.getMessage() != null) {
        return java.util.Optional.of(c.getMessage());
      }
    }
    return java.util.Optional.empty();
  }

  /** The deepest message in the chain (the one that says what happened), with its exception's name when it has none. */
  private static String innermost(Throwable t) {
    String message = null;
    Throwable named = t;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null && !c.getMessage().isBlank()) {
        message = c.getMessage();
      }
      named = c;
    }
    return message != null ? message : named.getClass().getSimpleName();
  }

  private static String quoted(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      return " (no body)";
    }
    return ": " + (text.length() > QUOTED_BODY ? text.substring(0, QUOTED_BODY) + "..." : text);
  }

  @Override
  public String toString() {
    return "agent " + member + " at " + host + ":" + port;
  }
}
