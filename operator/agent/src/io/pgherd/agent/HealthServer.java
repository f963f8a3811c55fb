package io.pgherd.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;

/**
 * The health endpoint HAProxy checks (plain HTTP, no authentication: it says only the role):
 * {@code GET|HEAD /primary, /replica[?lag=N], /health}, answered from the state the
 * {@link HealthWatch} keeps — no process, no query and no login per check.
 */
final class HealthServer implements AutoCloseable {
  private final HttpServer server;

  HealthServer(int port, HealthWatch watch, long maxAgeMillis, LongSupplier clock) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 64);
    server.setExecutor(Executors.newSingleThreadExecutor(r -> Http.daemon(r, "pgherd-agent-health")));
    server.createContext("/", exchange -> {
      try (exchange) {
        answer(exchange, watch, maxAgeMillis, clock);
      }
    });
  }

  private static void answer(HttpExchange exchange, HealthWatch watch, long maxAgeMillis, LongSupplier clock)
      throws IOException {
    String method = exchange.getRequestMethod();
    Health.Answer a;
    if (!method.equals("GET") && !method.equals("HEAD")) {
      a = new Health.Answer(405, "{\"error\":\"method not allowed\"}");
    } else {
      a = Health.answer(exchange.getRequestURI().getPath(), exchange.getRequestURI().getRawQuery(),
          watch.state(), clock.getAsLong(), maxAgeMillis);
    }
    Http.send(exchange, a.status(), a.body(), method.equals("HEAD"));
  }

  void start() {
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
