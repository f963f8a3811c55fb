package io.pgherd.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link OperatorMetrics} at {@code http://HOST:PORT/metrics} in the Prometheus text
 * exposition format, with the JDK's HTTP server (one thread: scrapes are rare and cheap).
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  /** What Prometheus asks for and accepts (text format 0.0.4). */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} (HOST:PORT; port 0 picks a free one) and starts serving.
   *
   * @throws IllegalArgumentException naming the address when it is malformed, its host unknown or
   *     not local, or its port in use
   */
  public static MetricsServer start(String address, OperatorMetrics metrics) {
    InetSocketAddress bind = parse(address);
    HttpServer server;
    try {
      server = HttpServer.create(bind, 0);
    } catch (BindException e) {
      throw new IllegalArgumentException("cannot serve metrics on " + address + ": "
          + (e.getMessage() != null && e.getMessage().contains("in use") ? "the port is already in use"
              : e.getMessage()), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot serve metrics on " + address + ": " + e, e);
    }
    server.createContext("/metrics", exchange -> serve(exchange, metrics));
    server.createContext("/", exchange -> {
      try (exchange) {
        respond(exchange, 404, "not found: metrics are at /metrics\n");
      }
    });
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pgherd-metrics");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
    MetricsServer started = new MetricsServer(server, executor);
    LOG.info("metrics at http://{}/metrics", started.address());
    return started;
  }

  /** HOST:PORT (an IPv6 host in brackets) to a resolved socket address, or a clear error. */
  public static InetSocketAddress parse(String address) {
    String usage = "bad metrics address '" + address + "': expected HOST:PORT, e.g. 127.0.0.1:9187";
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException(usage);
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException(usage);
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException(usage + " (an IPv6 address goes in brackets: [::1]:9187)");
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(usage);
    }
    if (port < 0 || port > 65535 || host.isEmpty()) {
      throw new IllegalArgumentException(usage + (host.isEmpty() ? "" : " (the port is 0..65535)"));
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("bad metrics address '" + address + "': unknown host " + host, e);
    }
  }

  private static void serve(HttpExchange exchange, OperatorMetrics metrics) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "method not allowed\n");
        return;
      }
      String body;
      try {
        body = metrics.scrape();
      } catch (RuntimeException e) {
        LOG.warn("metrics scrape failed", e);
        respond(exchange, 500, "scrape failed: " + e + "\n");
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length); // 0 would mean chunked
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void respond(HttpExchange exchange, int code, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The bound address, HOST:PORT (the real port when 0 was asked). */
  public String address() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
