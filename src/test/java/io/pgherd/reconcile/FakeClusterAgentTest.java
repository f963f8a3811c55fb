package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import io.pgherd.model.Lsn;
import io.pgherd.model.PostgresConf;
import io.pgherd.runtime.ContainerInfo;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member agents: their files and port on every member, whether or not spec.tls is on; members
 * probed through them, over SQL only when an agent cannot be asked (said once per member).
 */
class FakeClusterAgentTest {
  private static final List<String> MEMBERS = List.of("demo-1", "demo-2", "demo-3");

  @Test
  void everyMemberGetsItsAgentsCertificateKeyAndTheClusterCaAndPublishesTheAgentsPortWithoutSpecTls(
      @TempDir Path dir) throws Exception {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();

    X509Certificate ca = Certificates.parseCertificate(scene.home.secrets().readSecretFile("demo", "tls-ca.crt")
        .orElseThrow());
    for (String m : MEMBERS) {
      String c = "pgherd-" + m;
      assertThat(Certificates.parseCertificate(scene.engine.file(c, PostgresConf.AGENT_CA_PATH).orElseThrow()))
          .as(m + "'s agent CA").isEqualTo(ca);
      assertThat(scene.engine.copied(c, PostgresConf.AGENT_CA_PATH).orElseThrow().mode()).isEqualTo(0644);
      FileContent certFile = scene.engine.copied(c, PostgresConf.AGENT_CERT_PATH).orElseThrow();
      assertThat(certFile.mode()).isEqualTo(0644);
      X509Certificate cert = Certificates.parseCertificate(scene.engine.file(c, PostgresConf.AGENT_CERT_PATH)
          .orElseThrow());
      cert.verify(ca.getPublicKey());
      assertThat(cert.getSubjectX500Principal().getName()).contains("CN=" + c);
      assertThat(Certificates.altNames(cert)).containsExactlyInAnyOrder(c, "localhost", "127.0.0.1");
      FileContent key = scene.engine.copied(c, PostgresConf.AGENT_KEY_PATH).orElseThrow();
      assertThat(key.mode()).isEqualTo(0600);
      assertThat(key.owner()).isEqualTo(999);
      assertThat(Certificates.matches(cert, Certificates.parseKey(scene.engine.file(c, PostgresConf.AGENT_KEY_PATH)
          .orElseThrow()))).isTrue();
      ContainerInfo info = scene.engine.container(c).orElseThrow();
      assertThat(info.publishedPorts()).containsKeys(PostgresConf.PORT, PostgresConf.AGENT_PORT);
      // spec.tls is off: PostgreSQL has no certificate
      assertThat(scene.engine.file(c, PostgresConf.TLS_CERT_PATH)).isEmpty();
    }
    assertThat(scene.log().of("issue-agent-certificate")).extracting(e -> e.reason().substring(0, e.reason()
        .indexOf(';'))).containsExactlyInAnyOrder("demo-1: first certificate", "demo-2: first certificate",
        "demo-3: first certificate", "demo-lb: first certificate",
        "pgherd-operator (the operator's client certificate for the agents): first certificate");
    X509Certificate client = Certificates.parseCertificate(scene.home.secrets().readSecretFile("demo",
        "agent-client.crt").orElseThrow());
    client.verify(ca.getPublicKey());
    assertThat(client.getSubjectX500Principal().getName()).contains("CN=pgherd-operator");
  }

  @Test
  void aSettledClusterIsProbedThroughItsAgentsWithoutASqlLoginPerMemberPerPass(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    Map<String, Integer> sql = sqlProbes(scene);
    Map<String, Integer> asked = asked(scene);
    for (int i = 0; i < 10; i++) {
      scene.pass();
    }
    assertThat(scene.healthy()).isTrue();
    assertThat(sqlProbes(scene)).as("no probe over SQL").isEqualTo(sql);
    for (String m : MEMBERS) {
      assertThat(scene.postgres.agents().asked(m)).as(m + "'s agent asked each pass").isGreaterThanOrEqualTo(
          asked.get(m) + 10);
    }
    assertThat(scene.log().actions()).doesNotContain("agent-fallback");
    // what the agents answered is what the status shows: the primary's position, each replica streaming from it
    assertThat(scene.status().orElseThrow().getMembers()).extracting(m -> m.getName() + " " + m.getRole() + " "
        + m.getTimeline()).containsExactly("demo-1 primary 1", "demo-2 replica 1", "demo-3 replica 1");
    assertThat(scene.status().orElseThrow().getMembers().get(0).getLsn()).isEqualTo(scene.postgres.lsn("demo-1"));
  }

  @Test
  void aMemberWhoseAgentDoesNotAnswerIsProbedOverSqlSaidOnceAndThroughItsAgentAgainWhenItAnswers(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    int logMark = scene.log().size();
    Map<String, Integer> sql = sqlProbes(scene);

    scene.postgres.agents().stop("demo-2");
    scene.pass();
    assertThat(scene.log().since(logMark).of("agent-fallback")).as("not said at once: an agent may be starting")
        .isEmpty();
    for (int i = 0; i < 5; i++) {
      scene.clock.advance(java.time.Duration.ofSeconds(3)); // past the grace of 10 s
      scene.pass();
    }
    assertThat(scene.healthy()).as("nothing else changes").isTrue();
    assertThat(scene.postgres.sqlProbes("demo-2")).as("demo-2 probed over SQL each pass")
        .isGreaterThanOrEqualTo(sql.get("demo-2") + 6);
    assertThat(scene.postgres.sqlProbes("demo-1")).isEqualTo(sql.get("demo-1"));
    assertThat(scene.postgres.sqlProbes("demo-3")).isEqualTo(sql.get("demo-3"));
    assertThat(scene.log().since(logMark).of("agent-fallback")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("demo-2 is probed over SQL, one login per pass: the agent of demo-2 at 127.0.0.1:")
        .endsWith(": connection refused"));

    scene.postgres.agents().start("demo-2");
    int back = scene.postgres.sqlProbes("demo-2");
    for (int i = 0; i < 3; i++) {
      scene.pass();
    }
    assertThat(scene.postgres.sqlProbes("demo-2")).isEqualTo(back);
    assertThat(scene.log().since(logMark).of("agent-back")).extracting(ActionLog.Entry::reason)
        .containsExactly("demo-2 is probed through its agent again");
    assertThat(scene.log().since(logMark).of("agent-fallback")).hasSize(1);
  }

  @Test
  void aPrimaryWhoseAgentLostItsConnectionIsProbedOverSqlAndNotFailedOver(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    int logMark = scene.log().size();
    int sql = scene.postgres.sqlProbes("demo-1");

    scene.postgres.agents().disconnect("demo-1");
    for (int i = 0; i < 10; i++) {
      scene.pass();
      scene.clock.advance(java.time.Duration.ofSeconds(1)); // well past the detection window
    }
    assertThat(scene.healthy()).isTrue();
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.log().since(logMark).actions()).doesNotContain("failover", "fence", "promoted");
    assertThat(scene.postgres.sqlProbes("demo-1")).isGreaterThanOrEqualTo(sql + 10);
    assertThat(scene.log().since(logMark).of("agent-fallback")).extracting(ActionLog.Entry::reason).containsExactly(
        "demo-1 is probed over SQL, one login per pass: its agent's connection failed: server closed the"
            + " connection unexpectedly");
  }

  @Test
  void membersCreatedBeforeTheAgentPortAreProbedOverSqlThenMadeAgainOneByOneReplicasFirstThenASwitchover(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.engine.createWithoutPublishing(PostgresConf.AGENT_PORT); // as an older pgherd created them
    scene.converge();
    for (String m : MEMBERS) {
      assertThat(scene.engine.container("pgherd-" + m).orElseThrow().publishedPorts())
          .doesNotContainKey(PostgresConf.AGENT_PORT);
      assertThat(scene.postgres.agents().asked(m)).isZero();
    }
    assertThat(scene.log().of("agent-fallback")).extracting(ActionLog.Entry::reason).contains(
        "demo-1 is probed over SQL, one login per pass: its container publishes no port 8009 (created before pgherd"
            + " had member agents)",
        "demo-2 is probed over SQL, one login per pass: its container publishes no port 8009 (created before pgherd"
            + " had member agents)");
    scene.engine.createWithoutPublishing(); // this pgherd
    String lsnBefore = scene.postgres.lsn("demo-1");
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.passUntil("every member made again with its agent", () -> scene.healthy() && scene.state().failover() == null
        && MEMBERS.stream().allMatch(m -> scene.engine.container("pgherd-" + m).map(c -> c.publishedPorts()
            .containsKey(PostgresConf.AGENT_PORT)).orElse(false)));

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("adopt-member")).extracting(e -> e.reason().substring(0, e.reason().indexOf(':')))
        .containsExactly("demo-2", "demo-3");
    assertThat(after.done()).containsSubsequence("adopt-member", "adopt-member", "adopt-switchover", "demote",
        "caught-up", "promoted");
    // the old primary, without an agent, was stopped by its container's SIGINT, and its container made
    // again as a replica: adopted by the switchover itself
    assertThat(after.of("replace-member")).singleElement().satisfies(e -> assertThat(e.reason())
        .startsWith("demo-1: its container made again to start as a replica of demo-2"));
    assertThat(after.actions()).doesNotContain("failover", "rejoin-reclone", "create-member");
    assertThat(scene.state().primary()).isEqualTo(2);
    for (String m : MEMBERS) {
      assertThat(scene.engine.output("pgherd-" + m)).as(m + ": never cloned again")
          .filteredOn(l -> l.contains("clone complete")).hasSizeLessThanOrEqualTo(1);
    }
    assertThat(Lsn.parse(scene.postgres.lsn("demo-2"))).as("the new primary has all the old one had")
        .isGreaterThanOrEqualTo(Lsn.parse(lsnBefore));
    // one member at a time: each replica made again only once the one before streams
    List<String> h = scene.engine.historySince(mark);
    assertThat(indexOf(h, "create pgherd-demo-3")).isGreaterThan(indexOf(h, "start pgherd-demo-2"));
    Map<String, Integer> asked = asked(scene);
    scene.pass();
    for (String m : MEMBERS) {
      assertThat(scene.postgres.agents().asked(m)).as(m + " probed through its agent").isGreaterThan(asked.get(m));
    }
  }

  @Test
  void aClusterOfOneMadeBeforeTheAgentsHasItsPrimaryMadeAgainInPlaceKeepingItsData(@TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 1);
    scene.engine.createWithoutPublishing(PostgresConf.AGENT_PORT);
    scene.converge();
    String lsnBefore = scene.postgres.lsn("demo-1");
    scene.engine.createWithoutPublishing();
    int logMark = scene.log().size();

    scene.passUntil("demo-1 made again with its agent", () -> scene.healthy() && scene.engine.container("pgherd-demo-1")
        .map(c -> c.publishedPorts().containsKey(PostgresConf.AGENT_PORT)).orElse(false));

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("adopt-member")).singleElement().satisfies(e -> assertThat(e.reason()).startsWith(
        "demo-1: made by an older pgherd, without an agent, and the only member: stopped and made again with one"
            + " (data volume kept; it starts as the primary it was"));
    assertThat(after.actions()).doesNotContain("failover", "create-member", "adopt-switchover");
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.postgres.timeline("demo-1")).isEqualTo(1);
    assertThat(Lsn.parse(scene.postgres.lsn("demo-1"))).isGreaterThanOrEqualTo(Lsn.parse(lsnBefore));
    assertThat(scene.engine.output("pgherd-demo-1")).noneMatch(l -> l.contains("initdb into"));
  }

  private static Map<String, Integer> sqlProbes(FakeClusterScene scene) {
    Map<String, Integer> out = new TreeMap<>();
    MEMBERS.forEach(m -> out.put(m, scene.postgres.sqlProbes(m)));
    return out;
  }

  private static Map<String, Integer> asked(FakeClusterScene scene) {
    Map<String, Integer> out = new TreeMap<>();
    MEMBERS.forEach(m -> out.put(m, scene.postgres.agents().asked(m)));
    return out;
  }
}
