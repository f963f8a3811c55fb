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
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The operator's API to the member: HTTPS with mutual TLS. The TLS handshake itself refuses a
 * client without a certificate or with one no issued by this cluster's CA (another cluster's
 * credentials); a certificate of this CA that is not the operator's (a member's own, say) gets 403.
 *
 * <p>{@code GET /v1/status}: the member's state as JSON (see {@link Status}).
 */
final class ApiServer implements AutoCloseable {
  private final HttpsServer server;
  private final Log log;

  ApiServer(int port, SSLContext tls, Supplier<Map<String, Object>> status, Log log) throws IOException {
    this.log = log;
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
    server.setExecutor(Executors.newFixedThreadPool(2, r -> HealthServer.daemon(r, "pgherd-agent-api")));
    server.createContext("/v1/status", exchange -> {
      try (exchange) {
        if (authorised(exchange)) {
          if (!exchange.getRequestMethod().equals("GET")) {
            HealthServer.send(exchange, 405, "{\"error\":\"GET only\"}", false);
          } else {
            HealthServer.send(exchange, 200, Json.write(status.get()), false);
          }
        }
      } catch (RuntimeException e) {
        log.info("API " + exchange.getRequestURI().getPath() + " failed: " + e);
        throw e;
      }
    });
    server.createContext("/", exchange -> {
      try (exchange) {
        if (authorised(exchange)) {
          HealthServer.send(exchange, 404, "{\"error\":\"no such call: " + exchange.getRequestURI().getPath() + "\"}", false);
        }
      }
    });
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
    HealthServer.send(exchange, 403, "{\"error\":\"this certificate is not the operator's\"}", false);
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
