package io.pgherd.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The operator's API to the member: HTTPS with mutual TLS. The TLS handshake itself refuses a
 * client without a certificate or with one not issued by this cluster's CA (another cluster's
 * credentials); a certificate of this CA that is not the operator's (a member's own, say) gets 403.
 * Every call the operator makes counts as word from it (see {@link Guard}).
 *
 * <ul>
 *   <li>{@code GET /v1/status}: the member's state as JSON (see {@link Status});</li>
 *   <li>{@code POST /v1/fence}: fence the member now ({@link Fence});</li>
 *   <li>{@code POST /v1/unfence}: lift the fence; PostgreSQL starts again;</li>
 *   <li>{@code POST /v1/stop?mode=fast|immediate}: stop PostgreSQL; it stays stopped, the agent
 *       answering, until {@code POST /v1/start[?standby=true]} ({@link Supervisor});</li>
 *   <li>{@code PUT /v1/files}: write files under /etc/pgherd ({@link FileDrop});</li>
 *   <li>{@code POST /v1/reload}: {@code pg_reload_conf()} on the agent's session.</li>
 * </ul>
 */
final class ApiServer implements AutoCloseable {
  /**
   * One call, method and path matched already: reads the request body if it needs one, returns
   * status code and JSON body. An IllegalArgumentException is the client's mistake: 400 with its message.
   */
  @FunctionalInterface
  interface Call {
    Health.Answer answer(Request request) throws IOException;
  }

  /** A call's query parameters (decoded; the last of a repeated name wins) and body. */
  record Request(Map<String, String> query, java.io.InputStream body) {
    static Request of(java.net.URI uri, java.io.InputStream body) {
      Map<String, String> q = new LinkedHashMap<>();
      String raw = uri.getRawQuery();
      if (raw != null && !raw.isEmpty()) {
        for (String pair : raw.split("&")) {
          int eq = pair.indexOf('=');
          String k = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
          String v = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
          q.put(k, v);
        }
      }
      return new Request(q, body);
    }

    String query(String name, String otherwise) {
      return query.getOrDefault(name, otherwise);
    }
  }

  private final HttpsServer server;
  private final Log log;
  private final LongSupplier clock;
  private volatile long lastOperatorCall;
  private final Map<String, Call> calls = new LinkedHashMap<>();

  ApiServer(int port, SSLContext tls, LongSupplier clock, Log log) throws IOException {
    this.log = log;
    this.clock = clock;
    this.lastOperatorCall = clock.getAsLong(); // a new agent gives the operator a whole timeout
    server = HttpsServer.create(new InetSocketAddress(port), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = tls.getDefaultSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        p.setNeedClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(4, r -> Http.daemon(r, "pgherd-agent-api")));
    server.createContext("/", exchange -> {
      try (exchange) {
        serve(exchange);
      } catch (IOException | RuntimeException e) {
        log.info("API " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " failed: " + e);
        throw e;
      }
    });
  }

  /** Adds the call {@code method path} (e.g. "GET /v1/status"). */
  ApiServer on(String methodAndPath, Call call) {
    calls.put(methodAndPath, call);
    return this;
  }

  /** When the operator last called (the agent's monotonic clock, ms). */
  long lastOperatorCall() {
    return lastOperatorCall;
  }

  private void serve(HttpExchange exchange) throws IOException {
    if (!authorised(exchange)) {
      return;
    }
    lastOperatorCall = clock.getAsLong();
    String path = exchange.getRequestURI().getPath();
    Call call = calls.get(exchange.getRequestMethod() + " " + path);
    if (call == null) {
      boolean known = calls.keySet().stream().anyMatch(k -> k.endsWith(" " + path));
      Http.send(exchange, known ? 405 : 404, known ? "{\"error\":\"method not allowed\"}"
          : "{\"error\":\"no such call: " + path.replace("\"", "") + "\"}", false);
      return;
    }
    Health.Answer a;
    try {
      a = call.answer(Request.of(exchange.getRequestURI(), exchange.getRequestBody()));
    } catch (IllegalArgumentException e) {
      log.info("API " + exchange.getRequestMethod() + " " + path + " refused: " + e.getMessage());
      a = new Health.Answer(400, Json.write(Map.of("error", String.valueOf(e.getMessage()))));
    } catch (IOException | RuntimeException e) {
      log.info("API " + exchange.getRequestMethod() + " " + path + " failed: " + e);
      a = new Health.Answer(500, Json.write(Map.of("error", String.valueOf(e))));
    }
    Http.send(exchange, a.status(), a.body(), false);
  }

  /** True for the operator's certificate; otherwise answers 403 and says so in the log. */
  private boolean authorised(HttpExchange exchange) throws IOException {
    String cn = "";
    try {
      Certificate[] peer = ((HttpsExchange) exchange).getSSLSession().getPeerCertificates();
      if (peer.length > 0 && peer[0] instanceof X509Certificate x) {
        cn = Credentials.commonName(x.getSubjectX500Principal());
      }
    } catch (SSLPeerUnverifiedException e) {
      cn = "";
    }
    if (Credentials.OPERATOR_CN.equals(cn)) {
      return true;
    }
    log.info("API: refused " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
        + " from " + exchange.getRemoteAddress() + ": client certificate CN '" + cn + "' is not "
        + Credentials.OPERATOR_CN);
    Http.send(exchange, 403, "{\"error\":\"this certificate is not the operator's\"}", false);
    return false;
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
