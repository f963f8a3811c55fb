package io.pgherd.reconcile;

import static io.pgherd.reconcile.FakeClusterScene.indexOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.fake.ActionLog;
import io.pgherd.model.PostgresConf;
import io.pgherd.runtime.ContainerSpec.FileContent;
import io.pgherd.tls.Certificates;
import io.pgherd.tls.ClusterTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec.tls switched on and off under a running cluster: served everywhere before it is enforced,
 * no longer enforced before it stops being served; reloads only, never a restart or a failover.
 */
class FakeClusterTlsTest {
  private static final List<String> MEMBERS = List.of("demo-1", "demo-2", "demo-3");
  /** The uid of postgres in pgherd/postgres: PostgreSQL refuses a key it does not own. */
  private static final int POSTGRES_UID = 999;

  /** What the test sees after a pass: the status's tls.state, the log, and TLS as the members run it. */
  private record Look(String state, boolean enforceLogged, boolean stopLogged, boolean allServe, boolean noneServes,
      boolean anyOnlyTls, boolean allOnlyTls) {}

  private static Look look(FakeClusterScene scene, int logMark) {
    PostgresClusterStatus status = scene.status().orElseThrow();
    ActionLog log = scene.log().since(logMark);
    return new Look(status.getTls() == null ? null : status.getTls().getState(), log.has("enforce-tls"),
        log.has("stop-tls"), MEMBERS.stream().allMatch(scene.postgres::servesTls),
        MEMBERS.stream().noneMatch(scene.postgres::servesTls), MEMBERS.stream().anyMatch(scene.postgres::admitsOnlyTls),
        MEMBERS.stream().allMatch(scene.postgres::admitsOnlyTls));
  }

  /** The tls.state values in the order they followed one another (repeats folded). */
  private static List<String> states(List<Look> looks) {
    List<String> out = new ArrayList<>();
    for (Look l : looks) {
      if (out.isEmpty() || !java.util.Objects.equals(out.get(out.size() - 1), l.state())) {
        out.add(l.state());
      }
    }
    return out;
  }

  private static int first(List<Look> looks, java.util.function.Predicate<Look> p) {
    for (int i = 0; i < looks.size(); i++) {
      if (p.test(looks.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /** Passes until TLS is enforced and every replica streams over it; each pass's look appended to {@code looks}. */
  private static void untilEnforced(FakeClusterScene scene, int logMark, List<Look> looks) {
    scene.passUntil("TLS enforced", () -> {
      Look l = look(scene, logMark);
      looks.add(l);
      return scene.healthy() && "enforced".equals(l.state()) && scene.postgres.streamsOverTls("demo-2")
          && scene.postgres.streamsOverTls("demo-3");
    });
  }

  private static void neitherRestartedNorFailedOver(FakeClusterScene scene, int mark, int logMark) {
    assertThat(scene.log().since(logMark).actions()).doesNotContain("restart-member", "recreate-member", "failover",
        "switchover", "fence", "promoted");
    assertThat(scene.engine.historySince(mark)).noneMatch(e -> e.startsWith("restart ") || e.startsWith("stop ")
        || e.startsWith("kill ") || e.startsWith("signal ") || e.startsWith("remove ") || e.startsWith("create ")
        || e.endsWith(" promote"));
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
    assertThat(scene.postgres.splitBrains()).isEmpty();
  }

  @Test
  void switchingTlsOnDeliversCertificatesAndReloadsEveryMemberBeforeEnforcingItWithoutARestartOrAFailover(
      @TempDir Path dir) throws Exception {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.converge();
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.withTls(FakeClusterScene.spec(3)));
    List<Look> looks = new ArrayList<>();
    untilEnforced(scene, logMark, looks);

    // first served by every member, pg_hba still admitting plain connections...
    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("issue-certificate")).extracting(ActionLog.Entry::reason).satisfiesExactly(
        r -> assertThat(r).startsWith("demo-2: first certificate; valid until ").endsWith(
            " for [127.0.0.1, localhost, pgherd-demo-2, pgherd-demo-lb]"),
        r -> assertThat(r).startsWith("demo-3: first certificate; "),
        r -> assertThat(r).startsWith("demo-1: first certificate; "));
    assertThat(after.done()).containsSubsequence("issue-certificate", "reload-config", "issue-certificate",
        "reload-config", "issue-certificate", "reload-config", "enforce-tls", "reload-config", "reload-config",
        "reload-config");
    assertThat(after.of("reload-config")).extracting(ActionLog.Entry::reason).containsExactly(
        "demo-2: postgresql.conf, ca.crt, server.crt, server.key changed",
        "demo-3: postgresql.conf, ca.crt, server.crt, server.key changed",
        "demo-1: postgresql.conf, ca.crt, server.crt, server.key changed",
        "demo-2: postgresql.conf, pg_hba.conf changed",
        "demo-3: postgresql.conf, pg_hba.conf changed",
        "demo-1: pg_hba.conf changed");
    assertThat(after.of("enforce-tls")).singleElement().satisfies(e -> assertThat(e.reason()).isEqualTo(
        "every member serves TLS: connections without it are refused from now (clients verify with "
            + scene.home.secretsDir("demo").resolve("tls-ca.crt") + ")"));
    List<String> h = scene.engine.historySince(mark);
    for (String m : List.of("2", "3", "1")) {
      int put = indexOf(h, "agent put pgherd-demo-" + m + " [postgresql.conf, pg_hba.conf, ca.crt, server.crt, server.key, ca.crt, agent.crt, agent.key, agent.conf]");
      assertThat(put).as("demo-" + m + "'s certificate, key and CA delivered through its agent").isNotNegative()
          .isLessThan(indexOf(h, "agent reload pgherd-demo-" + m));
      assertThat(h).as("nothing copied in through the engine").noneMatch(e -> e.startsWith("copy pgherd-demo-" + m));
    }

    // ...then enforced, and only then does the status say so
    int enforcing = first(looks, Look::enforceLogged);
    assertThat(enforcing).isPositive();
    assertThat(looks.get(enforcing - 1).allServe()).as("every member served TLS before it was enforced").isTrue();
    assertThat(looks.subList(0, enforcing)).as("pg_hba admitted plain connections until TLS was enforced")
        .noneMatch(Look::anyOnlyTls);
    assertThat(states(looks)).containsExactly(null, "serving", "enforced");
    int enforced = first(looks, l -> "enforced".equals(l.state()));
    assertThat(enforced).isGreaterThan(enforcing);
    assertThat(looks.subList(enforced, looks.size())).as("enforced: every member admits TLS only")
        .allMatch(Look::allOnlyTls);
    assertThat(looks.subList(0, enforced)).noneMatch(l -> "enforced".equals(l.state()));

    String ca = Files.readString(Path.of(scene.status().orElseThrow().getTls().getCaFile()));
    X509Certificate caCert = Certificates.parseCertificate(ca);
    for (String m : MEMBERS) {
      String c = "pgherd-" + m;
      assertThat(scene.engine.file(c, ClusterTls.CA_PATH)).as(m + "'s CA").contains(ca);
      FileContent key = scene.engine.copied(c, ClusterTls.KEY_PATH).orElseThrow();
      assertThat(key.mode()).as(m + "'s key mode").isEqualTo(0600);
      assertThat(key.owner()).as(m + "'s key owner").isEqualTo(POSTGRES_UID);
      X509Certificate cert = Certificates.parseCertificate(scene.engine.file(c, ClusterTls.CERT_PATH).orElseThrow());
      cert.verify(caCert.getPublicKey()); // signed by the cluster's CA
      assertThat(Certificates.altNames(cert)).contains(c, "localhost", "127.0.0.1");
      assertThat(scene.engine.file(c, PostgresConf.CONF_PATH)).get().asString().contains("ssl = 'on'\n");
      assertThat(scene.engine.file(c, PostgresConf.HBA_PATH))
          .contains(PostgresConf.renderHba(new PostgresConf.Tls(true, true)));
      assertThat(scene.postgres.servesTls(m)).as(m + " serves TLS").isTrue();
    }
    assertThat(scene.engine.file("pgherd-demo-2", PostgresConf.CONF_PATH)).get().asString()
        .contains("sslmode=verify-full sslrootcert=" + ClusterTls.CA_PATH);
    neitherRestartedNorFailedOver(scene, mark, logMark);
  }

  @Test
  void switchingTlsOffAdmitsPlainConnectionsEverywhereBeforeAnyMemberStopsServingItWithoutARestartOrAFailover(
      @TempDir Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, FakeClusterScene.withTls(FakeClusterScene.spec(3)));
    scene.converge(); // created serving TLS...
    untilEnforced(scene, 0, new ArrayList<>()); // ...then enforcing it
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();

    scene.apply(FakeClusterScene.spec(3));
    List<Look> looks = new ArrayList<>();
    scene.passUntil("TLS off", () -> {
      Look l = look(scene, logMark);
      looks.add(l);
      return scene.healthy() && l.state() == null && l.noneServes();
    });

    ActionLog after = scene.log().since(logMark);
    assertThat(after.of("stop-tls")).singleElement().satisfies(e -> assertThat(e.reason())
        .isEqualTo("connections without TLS are admitted again; TLS is switched off next"));
    assertThat(after.done()).containsExactly("reload-config", "reload-config", "reload-config", "stop-tls",
        "reload-config", "reload-config", "reload-config");
    assertThat(after.of("reload-config")).extracting(ActionLog.Entry::reason).containsExactly(
        "demo-2: postgresql.conf, pg_hba.conf changed",
        "demo-3: postgresql.conf, pg_hba.conf changed",
        "demo-1: pg_hba.conf changed",
        "demo-2: postgresql.conf changed",
        "demo-3: postgresql.conf changed",
        "demo-1: postgresql.conf changed");

    int stopping = first(looks, Look::stopLogged);
    assertThat(stopping).isPositive();
    assertThat(looks.get(stopping - 1).anyOnlyTls()).as("plain connections admitted everywhere before stop-tls")
        .isFalse();
    assertThat(looks.subList(0, stopping + 1)).as("TLS still served by every member until after stop-tls")
        .allMatch(Look::allServe);
    assertThat(states(looks)).containsExactly("enforced", "serving", null);
    for (String m : MEMBERS) {
      String c = "pgherd-" + m;
      assertThat(scene.engine.file(c, PostgresConf.HBA_PATH)).contains(PostgresConf.renderHba());
      assertThat(scene.engine.file(c, PostgresConf.CONF_PATH)).get().asString().doesNotContain("ssl");
      assertThat(scene.postgres.admitsOnlyTls(m)).isFalse();
    }
    neitherRestartedNorFailedOver(scene, mark, logMark);
  }
}
