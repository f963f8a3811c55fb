package io.pgherd.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.pgherd.tls.AgentCredentials;
import io.pgherd.tls.Certificates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AgentGateway} against a real HTTPS server in this process that asks for a client
 * certificate, as the member agent does: mutual TLS with certificates made by {@link Certificates}.
 */
class AgentGatewayTest {
  private static final Instant NOW = Instant.now(); // TLS checks validity by the real clock
  private static final Duration VALIDITY = Duration.ofDays(90);
  private static final Certificates.Pair CA = Certificates.authority("demo", NOW, Duration.ofDays(3650));
  private static final Certificates.Pair CLIENT = Certificates.client(CA, "pgherd-operator", NOW, VALIDITY);

  private HttpsServer server;
  /** The client ports the server saw: one per TCP connection. */
  private final Set<Integer> connections = ConcurrentHashMap.newKeySet();
  private volatile int code = 200;
  private volatile String body = AgentStatusTest.PRIMARY.formatted(Base64.getEncoder().encodeToString(new byte[] {7}));

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static MemberAgent.Credentials credentials(Certificates.Pair ca, Certificates.Pair client) {
    return new MemberAgent.Credentials(ca.certificate(), client.certificate(), client.key());
  }

  /** The agent of a member: serves {@code serverPair}, admits clients of {@code clientCa}, answers 403 to other CNs. */
  private int serve(Certificates.Pair serverPair, Certificates.Pair clientCa) throws Exception {
    char[] pw = "test".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("agent", serverPair.key(), pw, new Certificate[] {serverPair.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, pw);
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", clientCa.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = getSSLContext().getDefaultSSLParameters();
        p.setNeedClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    server.createContext("/v1/status", exchange -> {
      connections.add(exchange.getRemoteAddress().getPort());
      X509Certificate peer = (X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0];
      boolean operator = peer.getSubjectX500Principal().getName().contains("CN=pgherd-operator");
      byte[] answer = (operator ? body : "client pgherd-operator only").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", operator && code == 200 ? "application/json" : "text/plain");
      exchange.sendResponseHeaders(operator ? code : 403, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    });
    server.start();
    return server.getAddress().getPort();
  }

  private static Certificates.Pair agentOf(Certificates.Pair ca, String container) {
    return Certificates.server(ca, container, AgentCredentials.names(container), NOW, VALIDITY);
  }

  @Test
  void theStatusIsReadOverMutualTlsEachTimeOnAConnectionOfItsOwn() throws Exception {
    int port = serve(agentOf(CA, "pgherd-demo-1"), CA);
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    AgentStatus s = agent.status();
    assertThat(s.member()).isEqualTo("demo-1");
    assertThat(s.probe()).get().satisfies(p -> {
      assertThat(p.inRecovery()).isFalse();
      assertThat(p.lsn()).isEqualTo("0/3000060");
      assertThat(p.slots()).extracting(InstanceProbe.Slot::name).containsExactly("demo_2", "demo_3");
    });
    assertThat(s.pgControl()).get().isEqualTo(new byte[] {7});
    agent.status();
    agent.status();
    assertThat(connections).as("three asks, three connections (a failed one tells whether it was sent)").hasSize(3);
  }

  @Test
  void otherCallsShareOneKeptAliveConnection() throws Exception {
    int port = serve(agentOf(CA, "pgherd-demo-1"), CA);
    server.createContext("/v1/reload", exchange -> {
      connections.add(exchange.getRemoteAddress().getPort());
      byte[] answer = "{\"reloaded\": true}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    });
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    agent.reload();
    agent.reload();
    agent.reload();
    assertThat(connections).as("three calls, one connection").hasSize(1);
  }

  /**
   * The operator counts a probe that may have reached the agent as word the agent heard (it counts
   * its isolation from it): one that never had a connection, or whose TLS handshake did not finish,
   * cannot have; one written and not answered in time may have.
   */
  @Test
  void aStatusProbeSaysWhetherItCanHaveReachedTheAgent() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    AgentException refused = catchThrowableOfType(
        new AgentGateway("demo-1", "127.0.0.1", closed, credentials(CA, CLIENT))::status, AgentException.class);
    assertThat(refused.mayHaveArrived()).as(refused.getMessage()).isFalse();

    try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      // accepts (the kernel does) and never says a word: the TLS handshake never finishes
      AgentException noHandshake = catchThrowableOfType(
          new AgentGateway("demo-1", "127.0.0.1", silent.getLocalPort(), credentials(CA, CLIENT))::status,
          AgentException.class);
      assertThat(noHandshake.mayHaveArrived()).as(noHandshake.getMessage()).isFalse();
      assertThat(noHandshake.getMessage()).contains("within 1500 ms");
    }

    Certificates.Pair otherCa = Certificates.authority("demo", NOW, Duration.ofDays(3650));
    int stranger = serve(agentOf(otherCa, "pgherd-demo-1"), CA);
    AgentException notOurs = catchThrowableOfType(
        new AgentGateway("demo-1", "127.0.0.1", stranger, credentials(CA, CLIENT))::status, AgentException.class);
    assertThat(notOurs.mayHaveArrived()).as(notOurs.getMessage()).isFalse();
    server.stop(0);

    int port = serve(agentOf(CA, "pgherd-demo-1"), CA);
    server.removeContext("/v1/status");
    server.createContext("/v1/status", exchange -> {
      connections.add(exchange.getRemoteAddress().getPort());
      try {
        Thread.sleep(3000); // longer than the probe waits
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    AgentException late = catchThrowableOfType(
        new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT))::status, AgentException.class);
    assertThat(connections).as("the request arrived").hasSize(1);
    assertThat(late.mayHaveArrived()).as(late.getMessage()).isTrue();
    assertThat(late.getMessage()).isEqualTo("the agent of demo-1 at 127.0.0.1:" + port + ": no answer within 1500 ms");
  }

  @Test
  void anOperatorThatMayNotActNowSendsNothingToAnyAgentAndSaysWhy() throws Exception {
    int port = serve(agentOf(CA, "pgherd-demo-1"), CA);
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    String[] why = {"the operator lease could not be renewed for 17000 ms"};
    io.pgherd.runtime.Acting.onlyWhile(() -> why[0]);
    try {
      assertThatThrownBy(agent::status).isInstanceOf(io.pgherd.runtime.Acting.NotActing.class)
          .hasMessage("not acting: the operator lease could not be renewed for 17000 ms");
      assertThatThrownBy(() -> agent.stop("fast")).isInstanceOf(io.pgherd.runtime.Acting.NotActing.class);
      assertThat(connections).as("no request reached it").isEmpty();
      why[0] = null; // renewed: it acts again
      assertThat(agent.status().member()).isEqualTo("demo-1");
    } finally {
      io.pgherd.runtime.Acting.onlyWhile(null);
    }
  }

  @Test
  void anAgentShowingTheCertificateOfAnotherMemberIsRefusedThoughItNames127001() throws Exception {
    int port = serve(agentOf(CA, "pgherd-demo-2"), CA);
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
        .hasMessageStartingWith("the agent of demo-1 at 127.0.0.1:" + port + ": TLS handshake refused: ")
        .hasMessageContaining("not for pgherd-demo-1");
    assertThat(connections).as("no request reached it").isEmpty();
  }

  @Test
  void anAgentWhoseCertificateAnotherCaSignedIsRefused() throws Exception {
    Certificates.Pair otherCa = Certificates.authority("demo", NOW, Duration.ofDays(3650));
    int port = serve(agentOf(otherCa, "pgherd-demo-1"), CA);
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
        .hasMessageContaining("demo-1").hasMessageContaining("TLS handshake refused")
        .hasMessageContaining("not one of this cluster's CA");
    assertThat(connections).isEmpty();
  }

  /**
   * With TLS 1.3 the client's handshake is over before the server has looked at its certificate:
   * the refusal comes as a closed connection (the JDK's HTTP server sends no alert the client sees).
   */
  @Test
  void anAgentThatDoesNotAdmitTheOperatorsCertificateClosesTheConnectionWithoutAnAnswer() throws Exception {
    Certificates.Pair otherCa = Certificates.authority("other", NOW, Duration.ofDays(3650));
    int port = serve(agentOf(CA, "pgherd-demo-1"), otherCa); // admits clients of another CA only
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
        .hasMessageStartingWith("the agent of demo-1 at 127.0.0.1:" + port + ": ")
        .message().matches(".*: (TLS .*|the connection was closed without an answer \\(.*\\): no agent listening"
            + " behind the port, or it refused the operator's client certificate)");
    assertThat(connections).isEmpty();
  }

  @Test
  void aForbiddenOrFailedAnswerIsReportedWithItsStatusAndBody() throws Exception {
    int port = serve(agentOf(CA, "pgherd-demo-1"), CA);
    Certificates.Pair stranger = Certificates.client(CA, "someone-else", NOW, VALIDITY);
    AgentGateway wrongName = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, stranger));
    assertThatThrownBy(wrongName::status).isInstanceOf(AgentException.class)
        .hasMessage("the agent of demo-1 at 127.0.0.1:" + port + ": HTTP 403: client pgherd-operator only");

    code = 500;
    body = "probe thread died: java.lang.OutOfMemoryError";
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
        .hasMessage("the agent of demo-1 at 127.0.0.1:" + port + ": HTTP 500: probe thread died: java.lang.OutOfMemoryError");

    code = 200;
    body = "{\"member\": \"demo-1\", \"postmaster\": {\"running\": true}, \"role\": \"primary\", \"probe\": {\"lsn\": \"0/1\"}}";
    assertThatThrownBy(agent::status).hasMessage("the agent of demo-1 at 127.0.0.1:" + port
        + ": unreadable status answer: no probe.inRecovery");

    body = AgentStatusTest.PRIMARY.formatted("").replace("\"demo-1\"", "\"demo-2\"");
    assertThatThrownBy(agent::status).hasMessage("the agent of demo-1 at 127.0.0.1:" + port
        + ": the agent answers for demo-2, not for demo-1");
  }

  @Test
  void noAgentListeningIsAConnectionRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", port, credentials(CA, CLIENT));
    assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
        .hasMessage("the agent of demo-1 at 127.0.0.1:" + port + ": connection refused");
  }

  /** Docker's proxy in front of a container without an agent: it accepts, then closes at once. */
  @Test
  void aPublishedPortWithNoAgentBehindItSaysSo() throws Exception {
    try (ServerSocket proxy = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      Thread closer = new Thread(() -> {
        while (!proxy.isClosed()) {
          try {
            proxy.accept().close();
          } catch (IOException e) {
            return;
          }
        }
      });
      closer.setDaemon(true);
      closer.start();
      AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", proxy.getLocalPort(), credentials(CA, CLIENT));
      assertThatThrownBy(agent::status).isInstanceOf(AgentException.class)
          .hasMessageStartingWith("the agent of demo-1 at 127.0.0.1:" + proxy.getLocalPort() + ": ")
          .hasMessageEndingWith(": no agent listening behind the port, or it refused the operator's client certificate");
    }
  }

  @Test
  void anAgentThatAcceptsButNeverAnswersTimesOut() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", silent.getLocalPort(), credentials(CA, CLIENT));
      long start = System.nanoTime();
      assertThatThrownBy(agent::status).isInstanceOf(AgentException.class).hasMessageContaining("demo-1")
          .hasMessageContaining("within");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
  }

  @Test
  void connectionsKeepOneGatewayPerMemberUntilItsAddressOrCredentialsChange() {
    AgentConnections connections = new AgentConnections();
    MemberAgent.Credentials creds = credentials(CA, CLIENT);
    MemberAgent first = connections.connect("demo-1", "127.0.0.1", 40001, creds);
    assertThat(connections.connect("demo-1", "127.0.0.1", 40001, credentials(CA, CLIENT))).isSameAs(first);
    assertThat(connections.connect("demo-2", "127.0.0.1", 40002, creds)).isNotSameAs(first);
    MemberAgent moved = connections.connect("demo-1", "127.0.0.1", 40003, creds);
    assertThat(moved).isNotSameAs(first);
    Certificates.Pair renewed = Certificates.client(CA, "pgherd-operator", NOW, VALIDITY);
    assertThat(connections.connect("demo-1", "127.0.0.1", 40003, credentials(CA, renewed))).isNotSameAs(moved);
    assertThat(creds.toString()).doesNotContain("PRIVATE").contains("CN=pgherd-operator");
    assertThat(List.of(first.toString())).containsExactly("agent demo-1 at 127.0.0.1:40001");
  }

  @Test
  void anAgentWhoseAddressAnswersNothingIsUnreachableOneThatRefusesIsNot() {
    AgentException timedOut = new AgentException("the agent of demo-1 at 10.0.1.5:8009: no connection within 1000 ms",
        new IOException(new java.net.http.HttpConnectTimeoutException("HTTP connect timed out")));
    AgentException refused = new AgentException("the agent of demo-1 at 10.0.1.5:8009: connection refused",
        new java.net.ConnectException("Connection refused"));
    assertThat(timedOut.unreachable()).isTrue();
    assertThat(refused.unreachable()).isFalse();
    assertThat(new AgentException("unreadable status answer").unreachable()).isFalse();
  }

  @Test
  void anAgentWhoseAddressAnsweredNothingIsNotAskedAgainBeforeItsStatusProbeReachesIt() throws Exception {
    // a listener that accepts nothing, its backlog full: a connection attempt gets no answer at all
    try (ServerSocket full = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> fillers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          java.net.Socket s = new java.net.Socket();
          try {
            s.connect(full.getLocalSocketAddress(), 300);
          } catch (java.net.SocketTimeoutException e) {
            // the backlog is full already
          }
          fillers.add(s);
        }
        AgentGateway agent = new AgentGateway("demo-1", "127.0.0.1", full.getLocalPort(), credentials(CA, CLIENT));
        AgentException probed = catchThrowableOfType(agent::status, AgentException.class);
        assertThat(probed.unreachable()).as(probed.getMessage()).isTrue();
        assertThat(probed.getMessage()).contains("no connection within 1000 ms").doesNotContain("not tried");
        // another call is refused at once, saying so, and counts as unreachable too
        AgentException reload = catchThrowableOfType(agent::reload, AgentException.class);
        assertThat(reload.unreachable()).isTrue();
        assertThat(reload.getMessage()).contains("no connection within 1000 ms", "ms ago; not tried again");
        // the status probe is always tried
        AgentException again = catchThrowableOfType(agent::status, AgentException.class);
        assertThat(again.getMessage()).doesNotContain("not tried");
      } finally {
        for (java.net.Socket s : fillers) {
          s.close();
        }
      }
    }
  }
}
