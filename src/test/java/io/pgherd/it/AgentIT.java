package io.pgherd.it;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgherd.model.Names;
import io.pgherd.postgres.AgentException;
import io.pgherd.postgres.AgentGateway;
import io.pgherd.postgres.AgentStatus;
import io.pgherd.postgres.MemberAgent;
import io.pgherd.tls.AgentCredentials;
import io.pgherd.tls.Certificates;
import io.pgherd.tls.ClusterTls;
import java.time.Duration;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The agent in every member (real Docker, PostgreSQL and HAProxy; a two-member cluster of its own):
 * the health endpoint answers from one session kept open, and an agent killed inside a member is
 * started again by the entrypoint without PostgreSQL stopping and without a failover.
 */
class AgentIT extends ClusterTestBase {
  static final String NAME = "ita";

  AgentIT() {
    super(NAME, 45632, 45633, 2, "");
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(ofSeconds(2)).build();

  /** The member's address on the cluster network (the host reaches a bridge network's containers). */
  private String ip(String member) {
    return docker.address(Names.container(member), Names.network(NAME)).orElseThrow();
  }

  private HttpResponse<String> get(String member, String pathAndQuery) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://" + ip(member) + ":8008" + pathAndQuery))
        .timeout(ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** backend_start of the agent's one session (application_name pgherd-agent), one row per session. */
  private List<String> agentSessions(String member) throws Exception {
    return column(member(member),
        "select backend_start::text from pg_stat_activity where application_name = 'pgherd-agent'");
  }

  /** Sessions established on the member since its statistics began (pg_stat_database.sessions). */
  private long sessionsEver(String member) throws Exception {
    return Long.parseLong(column(member(member), "select sum(sessions)::bigint::text from pg_stat_database").get(0));
  }

  @Test
  @Order(1)
  void theHealthEndpointAnswersFromOneSessionKeptOpen() throws Exception {
    String primary = primary();
    String replica = primary.equals(memberName(1)) ? memberName(2) : memberName(1);
    List<String> before = agentSessions(primary);
    assertThat(before).as("the agent keeps one session").hasSize(1);
    long sessionsBefore = sessionsEver(primary);

    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      codes.add(get(primary, "/primary").statusCode());
    }
    assertThat(codes).containsOnly(200);
    assertThat(agentSessions(primary)).as("200 checks later, still the same session").isEqualTo(before);
    // sessions opened meanwhile: the operator's probes and this test's own queries, not one per check
    assertThat(sessionsEver(primary) - sessionsBefore).as("sessions opened during 200 checks").isLessThan(30);

    HttpResponse<String> r = get(primary, "/primary");
    assertThat(r.body().strip()).isEqualTo("{\"role\":\"primary\"}");
    assertThat(get(primary, "/replica").statusCode()).isEqualTo(503);
    assertThat(get(primary, "/health").statusCode()).isEqualTo(200);
    assertThat(get(replica, "/primary").statusCode()).isEqualTo(503);
    await().atMost(ofSeconds(20)).pollInterval(ofMillis(250)).untilAsserted(() -> {
      HttpResponse<String> rr = get(replica, "/replica?lag=16MB");
      assertThat(rr.statusCode()).isEqualTo(200);
      assertThat(rr.body()).matches("(?s)\\{\"role\":\"replica\",\"lagBytes\":\\d+\\}\\s*");
    });
    assertThat(get(replica, "/replica?lag=much").statusCode()).isEqualTo(400);
    assertThat(get(replica, "/leader").statusCode()).isEqualTo(404);

    // every PostgreSQL process (the postmaster and what it forked, backends included) runs nicer
    // than the agent, so a check does not wait behind busy backends (Postmaster.NICENESS)
    ItSupport.Run top = ItSupport.run(null, List.of("docker", "top", Names.container(primary), "-o", "pid,ni,comm"));
    assertThat(top.exitCode()).isZero();
    List<String[]> procs = top.output().lines().skip(1).map(l -> l.strip().split("\\s+", 3)).toList();
    assertThat(procs).as(top.output()).filteredOn(f -> f[2].equals("postgres")).isNotEmpty()
        .allSatisfy(f -> assertThat(f[1]).isEqualTo("19"));
    assertThat(procs).as(top.output()).filteredOn(f -> f[2].equals("java")).singleElement()
        .satisfies(f -> assertThat(f[1]).isEqualTo("0"));
  }

  @Test
  @Order(2)
  void anAgentKilledInsideTheMemberIsStartedAgainWithoutAFailover() throws Exception {
    String primary = primary();
    String container = Names.container(primary);
    Instant started = docker.runningSince(container).orElseThrow();
    long timeline = status().getTimeline();
    String postmasterStart;
    try (Connection c = member(primary)) {
      postmasterStart = column0(c, "select pg_postmaster_start_time()::text");
    }
    String agentPid = hostPid(container, "/opt/pgherd/jre/bin/java");

    disrupt("kill", "-9", agentPid);

    await().atMost(ofSeconds(20)).pollInterval(ofMillis(100)).ignoreExceptions().untilAsserted(() -> {
      assertThat(hostPid(container, "/opt/pgherd/jre/bin/java")).isNotEqualTo(agentPid);
      assertThat(get(primary, "/primary").statusCode()).isEqualTo(200);
    });
    // a few passes later: the same container, the same postmaster, the same primary, no failover
    Thread.sleep(5000);
    assertThat(docker.logs(container, 200)).contains("the agent ended by signal 9 while PostgreSQL runs: starting it again")
        .contains("adopting the PostgreSQL already running");
    assertThat(docker.runningSince(container)).contains(started);
    try (Connection c = member(primary)) {
      assertThat(column0(c, "select pg_postmaster_start_time()::text")).isEqualTo(postmasterStart);
    }
    awaitHealthy(2);
    assertThat(status().getPrimary()).isEqualTo(primary);
    assertThat(status().getTimeline()).isEqualTo(timeline);
    assertThat(status().getLastFailover()).isNull();
    assertThat(agentSessions(primary)).hasSize(1);
  }

  @Test
  @Order(3)
  void theApiAnswersTheOperatorsCertificateAndRefusesAnyOther() throws Exception {
    String primary = primary();
    int port = docker.container(Names.container(primary)).orElseThrow().publishedPorts().get(8009);
    Instant now = Instant.now();
    AgentCredentials credentials = new AgentCredentials(home, NAME, new ClusterTls(home, NAME));
    Certificates.Pair ca = credentials.authority(now);
    Certificates.Pair operatorCert = credentials.client(now).pair();

    AgentStatus status = new AgentGateway(primary, "127.0.0.1", port, creds(ca, operatorCert)).status();
    assertThat(status.member()).isEqualTo(primary);
    assertThat(status.role()).isEqualTo("primary");
    assertThat(status.postmasterRunning()).isTrue();
    assertThat(status.probe()).hasValueSatisfying(p -> assertThat(p.inRecovery()).isFalse());
    assertThat(status.pgControl()).hasValueSatisfying(b -> assertThat(b.length).isEqualTo(8192));

    // a client certificate of another cluster's CA: the handshake refuses it
    Certificates.Pair otherCa = Certificates.authority("other", now, Duration.ofDays(1));
    Certificates.Pair otherOperator = Certificates.client(otherCa, "pgherd-operator", now, Duration.ofDays(1));
    MemberAgent.Credentials foreign = new MemberAgent.Credentials(ca.certificate(), otherOperator.certificate(),
        otherOperator.key());
    assertThatThrownBy(() -> new AgentGateway(primary, "127.0.0.1", port, foreign).status())
        .isInstanceOf(AgentException.class);
    // this cluster's CA, but not the operator's name: 403
    Certificates.Pair someoneElse = Certificates.client(ca, "someone-else", now, Duration.ofDays(1));
    assertThatThrownBy(() -> new AgentGateway(primary, "127.0.0.1", port, creds(ca, someoneElse)).status())
        .isInstanceOf(AgentException.class).hasMessageContaining("403");
    // no client certificate at all: the handshake refuses it
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.certificate());
    tmf.init(trust);
    javax.net.ssl.SSLContext noCert = javax.net.ssl.SSLContext.getInstance("TLS");
    noCert.init(null, tmf.getTrustManagers(), null);
    HttpClient anonymous = HttpClient.newBuilder().sslContext(noCert).connectTimeout(ofSeconds(2)).build();
    assertThatThrownBy(() -> anonymous.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/v1/status"))
        .timeout(ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    assertThat(docker.logs(Names.container(primary), 100)).contains("API: refused GET /v1/status",
        "client certificate CN 'someone-else' is not pgherd-operator");
  }

  private static MemberAgent.Credentials creds(Certificates.Pair ca, Certificates.Pair client) {
    return new MemberAgent.Credentials(ca.certificate(), client.certificate(), client.key());
  }

  /** The host pid of the process in {@code container} whose command starts with {@code command}. */
  private String hostPid(String container, String command) throws Exception {
    ItSupport.Run top = ItSupport.run(null, List.of("docker", "top", container, "-o", "pid,args"));
    assertThat(top.exitCode()).isZero();
    return top.output().lines().map(l -> l.strip().split("\\s+", 2)).filter(f -> f.length == 2 && f[0].matches("\\d+")
        && f[1].startsWith(command)).map(f -> f[0]).findFirst().orElseThrow(() -> new AssertionError("no " + command + " in " + top.output()));
  }
}
