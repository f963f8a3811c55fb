package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.agent.Health.Role;
import io.pgherd.agent.Health.State;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The health endpoint on a real socket: what HAProxy's check and an HTTP client get, and what a bad client does not stop. */
class HealthServerTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8));
  private final AtomicReference<State> state = new AtomicReference<>();
  private HealthServer server;

  @BeforeEach
  void start() throws IOException {
    server = new HealthServer(0, state::get, 1500, () -> System.nanoTime() / 1_000_000, log);
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  /** One raw exchange, as HAProxy's check does it: connect, the request bytes, read to the end. */
  private String raw(String request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
      s.setSoTimeout(2000);
      OutputStream o = s.getOutputStream();
      o.write(request.getBytes(StandardCharsets.ISO_8859_1));
      o.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aCheckLikeHaproxysGetsTheRoleAndItsStatus() throws IOException {
    state.set(new State(Role.PRIMARY, null, now(), null));
    String primary = raw("GET /primary HTTP/1.0\r\n\r\n");
    assertThat(primary).startsWith("HTTP/1.1 200 OK\r\n").contains("Connection: close\r\n")
        .contains("Content-Type: application/json\r\n").endsWith("\r\n\r\n{\"role\":\"primary\"}\n");
    assertThat(raw("GET /replica HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 503 Service Unavailable\r\n");

    state.set(new State(Role.REPLICA, 100L, now(), null));
    assertThat(raw("GET /replica?lag=1kB HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200 ")
        .endsWith("{\"role\":\"replica\",\"lagBytes\":100}\n");
    assertThat(raw("GET /replica?lag=10 HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 503 ");
    assertThat(raw("GET /replica?lag=ten HTTP/1.0\n\n")).startsWith("HTTP/1.1 400 ");
  }

  @Test
  void headHasNoBodyAndOtherMethodsAndBadRequestsAreRefused() throws IOException {
    state.set(new State(Role.PRIMARY, null, now(), null));
    String head = raw("HEAD /health HTTP/1.0\r\n\r\n");
    assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n");
    assertThat(raw("POST /primary HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 405 ");
    assertThat(raw("GET /nothing HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 404 ");
    assertThat(raw("hello\r\n\r\n")).startsWith("HTTP/1.1 400 ");
    // a request of 4 kB with no end of headers yet: too long, answered without reading more
    assertThat(raw("GET /" + "x".repeat(4091))).startsWith("HTTP/1.1 400 ");
  }

  @Test
  void aStaleStateIsNoPrimary() throws IOException {
    state.set(new State(Role.PRIMARY, null, now() - 60_000, null));
    assertThat(raw("GET /primary HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 503 ").contains("\"role\":\"unavailable\"");
  }

  @Test
  void anHttpClientUnderstandsTheAnswer() throws Exception {
    state.set(new State(Role.REPLICA, null, now(), null));
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"role\":\"replica\"}\n");
    assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
  }

  @Test
  void aSilentClientHoldsTheOthersUpOnlyForTheRequestTime() throws Exception {
    state.set(new State(Role.PRIMARY, null, now(), null));
    try (Socket silent = new Socket()) {
      silent.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
      silent.getOutputStream().write("GET /prim".getBytes(StandardCharsets.US_ASCII));
      long t0 = now();
      assertThat(raw("GET /primary HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 200 ");
      assertThat(now() - t0).isLessThan(HealthServer.REQUEST_MILLIS + 1500);
      silent.setSoTimeout(2000);
      assertThat(silent.getInputStream().read()).isEqualTo(-1); // dropped without an answer
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("health endpoint: 1 request(s) failed since the last such line; the latest: no request within 250 ms");
  }
}
