package io.pgherd.agent;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** What the agent's two HTTP servers share: a JSON answer, and the daemon threads they run on. */
final class Http {
  private Http() {}

  /** Answers {@code status} with the JSON {@code body} (no body for HEAD); never cached. */
  static void send(HttpExchange exchange, int status, String body, boolean head) throws IOException {
    byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if (head) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** A daemon thread (the agent exits when PostgreSQL does, whatever its threads are doing). */
  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
