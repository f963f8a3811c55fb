package io.pgherd.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgherd.cli.Main;
import io.pgherd.docker.DockerGateway;
import io.pgherd.reconcile.Operator;
import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics endpoint over HTTP, fed by status files as the reconciler writes them. No Docker. */
class MetricsEndpointTest {
  static final Clock NOON = Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC);

  /** A three-member cluster with backups whose third member is stopped (the shape of `status -o json`). */
  static final String DEGRADED = """
      {
        "name" : "demo",
        "phase" : "Degraded",
        "message" : "demo-3 is exited",
        "primary" : "demo-1",
        "timeline" : 1,
        "observedGeneration" : 1,
        "lastTransitionTime" : "2026-11-26T11:58:00Z",
        "members" : [ {
          "name" : "demo-1", "container" : "pgherd-demo-1", "role" : "primary", "state" : "running",
          "timeline" : 1, "lsn" : "0/5000148", "lagBytes" : 0
        }, {
          "name" : "demo-2", "container" : "pgherd-demo-2", "role" : "replica", "state" : "streaming",
          "timeline" : 1, "lsn" : "0/5000060", "replayLsn" : "0/5000060", "lagBytes" : 232, "slot" : "demo_2"
        }, {
          "name" : "demo-3", "container" : "pgherd-demo-3", "role" : "replica", "state" : "exited", "slot" : "demo_3"
        } ],
        "endpoints" : { "readWrite" : "127.0.0.1:5432", "readOnly" : "127.0.0.1:5433" },
        "backups" : {
          "last" : "2026-11-26T11:00:00Z", "lastBackupId" : "20261126T105950Z", "lastBackupBytes" : 4194304,
          "completeBackups" : 2, "firstRecoverabilityPoint" : "2026-11-25T11:00:00Z",
          "lastArchivedWal" : "000000010000000000000004", "currentWal" : "000000010000000000000005",
          "lastArchiveUpload" : "2026-11-26T11:59:58.120Z", "archivedLsn" : "0/4FFC148", "archiveLagBytes" : 16384
        }
      }
      """;

  /** The same cluster after an automatic failover to demo-2 and a scale-in that removed demo-3. */
  static final String FAILED_OVER = """
      {
        "name" : "demo",
        "phase" : "Healthy",
        "primary" : "demo-2",
        "timeline" : 2,
        "observedGeneration" : 2,
        "lastTransitionTime" : "2026-11-26T12:01:00Z",
        "lastFailover" : {
          "kind" : "failover", "from" : "demo-1", "to" : "demo-2",
          "reason" : "demo-1: container died (exit 137)",
          "startedAt" : "2026-11-26T12:00:30Z", "completedAt" : "2026-11-26T12:00:31Z", "timeline" : 2
        },
        "members" : [ {
          "name" : "demo-1", "container" : "pgherd-demo-1", "role" : "replica", "state" : "streaming",
          "timeline" : 2, "lsn" : "0/6000000", "replayLsn" : "0/6000000", "lagBytes" : 4096, "slot" : "demo_1"
        }, {
          "name" : "demo-2", "container" : "pgherd-demo-2", "role" : "primary", "state" : "running",
          "timeline" : 2, "lsn" : "0/6001000", "lagBytes" : 0
        } ],
        "endpoints" : { "readWrite" : "127.0.0.1:5432", "readOnly" : "127.0.0.1:5433" },
        "backups" : { "last" : "2026-11-26T11:00:00Z", "lastBackupBytes" : 4194304, "completeBackups" : 2,
          "archiveLagBytes" : 0 }
      }
      """;

  static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(MetricsServer server, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + server.address() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Each sample line of a text exposition: "name{labels}" (labels as printed) to its value. */
  static Map<String, Double> samples(String body) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : body.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  static Map<String, Double> scrape(MetricsServer server) throws Exception {
    HttpResponse<String> r = get(server, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
    return samples(r.body());
  }

  @Test
  void theScrapeShowsEachMemberAndBackupFromTheStatusAndFollowsItsChanges(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    Files.createDirectories(home.statusFile("demo").getParent());
    Files.writeString(home.statusFile("demo"), DEGRADED);
    OperatorMetrics metrics = new OperatorMetrics(home, NOON);
    try (MetricsServer server = MetricsServer.start("127.0.0.1:0", metrics)) {
      assertThat(server.address()).startsWith("127.0.0.1:").isNotEqualTo("127.0.0.1:0");
      HttpResponse<String> page = get(server, "/metrics");
      assertThat(page.body())
          .contains("# HELP pgherd_member_replication_lag_bytes ")
          .contains("# TYPE pgherd_member_replication_lag_bytes gauge")
          .contains("# TYPE pgherd_failovers_total counter");

      Map<String, Double> s = scrape(server);
      assertThat(s).containsEntry("pgherd_member_up{cluster=\"demo\",member=\"demo-1\"}", 1.0)
          .containsEntry("pgherd_member_up{cluster=\"demo\",member=\"demo-2\"}", 1.0)
          .containsEntry("pgherd_member_up{cluster=\"demo\",member=\"demo-3\"}", 0.0)
          .containsEntry("pgherd_member_role{cluster=\"demo\",member=\"demo-1\",role=\"primary\"}", 1.0)
          .containsEntry("pgherd_member_role{cluster=\"demo\",member=\"demo-1\",role=\"replica\"}", 0.0)
          .containsEntry("pgherd_member_role{cluster=\"demo\",member=\"demo-2\",role=\"replica\"}", 1.0)
          .containsEntry("pgherd_member_replication_lag_bytes{cluster=\"demo\",member=\"demo-1\"}", 0.0)
          .containsEntry("pgherd_member_replication_lag_bytes{cluster=\"demo\",member=\"demo-2\"}", 232.0)
          .doesNotContainKey("pgherd_member_replication_lag_bytes{cluster=\"demo\",member=\"demo-3\"}")
          .containsEntry("pgherd_member_timeline{cluster=\"demo\",member=\"demo-2\"}", 1.0)
          .containsEntry("pgherd_cluster_timeline{cluster=\"demo\"}", 1.0)
          .containsEntry("pgherd_cluster_healthy{cluster=\"demo\"}", 0.0)
          .containsEntry("pgherd_cluster_members{cluster=\"demo\"}", 3.0)
          .containsEntry("pgherd_backup_last_age_seconds{cluster=\"demo\"}", 3600.0)
          .containsEntry("pgherd_backup_last_size_bytes{cluster=\"demo\"}", 4194304.0)
          .containsEntry("pgherd_backups_complete{cluster=\"demo\"}", 2.0)
          .containsEntry("pgherd_wal_archive_lag_bytes{cluster=\"demo\"}", 16384.0)
          .containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"automatic\"}", 0.0)
          .containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"switchover\"}", 0.0);

      Files.writeString(home.statusFile("demo"), FAILED_OVER);
      s = scrape(server);
      assertThat(s).containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"automatic\"}", 1.0)
          .containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"manual\"}", 0.0)
          .containsEntry("pgherd_member_role{cluster=\"demo\",member=\"demo-2\",role=\"primary\"}", 1.0)
          .containsEntry("pgherd_member_role{cluster=\"demo\",member=\"demo-1\",role=\"replica\"}", 1.0)
          .containsEntry("pgherd_member_replication_lag_bytes{cluster=\"demo\",member=\"demo-1\"}", 4096.0)
          .containsEntry("pgherd_cluster_timeline{cluster=\"demo\"}", 2.0)
          .containsEntry("pgherd_cluster_healthy{cluster=\"demo\"}", 1.0)
          .containsEntry("pgherd_wal_archive_lag_bytes{cluster=\"demo\"}", 0.0)
          .doesNotContainKey("pgherd_member_up{cluster=\"demo\",member=\"demo-3\"}");

      // the same failover seen again is not counted again
      s = scrape(server);
      assertThat(s).containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"automatic\"}", 1.0);

      // a deleted cluster's series go, counters included
      assertThat(s.keySet()).anyMatch(k -> k.startsWith("pgherd_failovers_total{cluster=\"demo\""));
      Files.delete(home.statusFile("demo"));
      s = scrape(server);
      assertThat(s).doesNotContainKey("pgherd_member_up{cluster=\"demo\",member=\"demo-1\"}")
          .doesNotContainKey("pgherd_cluster_healthy{cluster=\"demo\"}");
      assertThat(s.keySet()).noneMatch(k -> k.contains("cluster=\"demo\""));

      assertThat(get(server, "/").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aHomeWithoutClustersGivesAnEmptyPage(@TempDir Path dir) throws Exception {
    try (MetricsServer server = MetricsServer.start("127.0.0.1:0", new OperatorMetrics(new Home(dir)))) {
      HttpResponse<String> r = get(server, "/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEmpty();
    }
  }

  @Test
  void aFailoverAlreadyInTheStatusWhenTheOperatorStartsIsNotCounted(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    Files.createDirectories(home.statusFile("demo").getParent());
    Files.writeString(home.statusFile("demo"), FAILED_OVER);
    try (MetricsServer server = MetricsServer.start("127.0.0.1:0", new OperatorMetrics(home, NOON))) {
      assertThat(scrape(server)).containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"automatic\"}", 0.0);
      Files.writeString(home.statusFile("demo"), FAILED_OVER.replace("\"kind\" : \"failover\"", "\"kind\" : \"switchover\"")
          .replace("2026-11-26T12:00:30Z", "2026-11-26T12:05:00Z"));
      assertThat(scrape(server)).containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"switchover\"}", 1.0)
          .containsEntry("pgherd_failovers_total{cluster=\"demo\",kind=\"automatic\"}", 0.0);
    }
  }

  @Test
  void reconcilePassesAndTheirErrorsAreMeasuredInTheOperatorsLoop(@TempDir Path dir) throws Exception {
    Home home = new Home(dir);
    home.writeSpec("demo", "apiVersion: pgherd.io/v1\nkind: PostgresCluster\nmetadata:\n  name: demo\n  generation: 1\n"
        + "spec:\n  instances: 1\n");
    OperatorMetrics metrics = new OperatorMetrics(home);
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock");
        Operator operator = new Operator(home, docker, Optional.empty());
        MetricsServer server = MetricsServer.start("127.0.0.1:0", metrics)) {
      operator.onPass(metrics);
      operator.start();
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        Map<String, Double> s = scrape(server);
        assertThat(s.get("pgherd_reconcile_errors_total{cluster=\"demo\"}")).isNotNull().isGreaterThanOrEqualTo(1.0);
        assertThat(s.get("pgherd_reconcile_duration_seconds_count{cluster=\"demo\"}")).isNotNull()
            .isGreaterThanOrEqualTo(1.0);
        assertThat(s).containsKey("pgherd_reconcile_duration_seconds_bucket{cluster=\"demo\",le=\"+Inf\"}")
            .containsKey("pgherd_reconcile_duration_seconds_sum{cluster=\"demo\"}");
      });
    }
  }

  @Test
  void aPortInUseIsAClearErrorNamingTheAddress(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      assertThatThrownBy(() -> MetricsServer.start(address, new OperatorMetrics(new Home(dir))))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("cannot serve metrics on " + address + ": the port is already in use");

      // and on the command line: refused (exit 2) before the operator starts
      Cli r = cli("operator", "--home", dir.toString(), "--metrics", address);
      assertThat(r.code()).isEqualTo(2);
      assertThat(r.err()).contains("error: cannot serve metrics on " + address + ": the port is already in use");
      assertThat(Files.exists(dir.resolve("operator.lock"))).as("the operator did not start").isFalse();
    }
  }

  @Test
  void aMalformedAddressIsAClearError(@TempDir Path dir) {
    for (String bad : new String[] {"9187", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":9187", "::1:9187"}) {
      assertThatThrownBy(() -> MetricsServer.parse(bad)).as(bad)
          .hasMessageStartingWith("bad metrics address '" + bad + "': expected HOST:PORT, e.g. 127.0.0.1:9187");
    }
    assertThat(MetricsServer.parse("[::1]:9187").getPort()).isEqualTo(9187);
    assertThatThrownBy(() -> MetricsServer.parse("no-such-host.invalid:9187"))
        .hasMessage("bad metrics address 'no-such-host.invalid:9187': unknown host no-such-host.invalid");

    Cli r = cli("up", "--home", dir.toString(), "-f", dir.resolve("absent.yaml").toString(), "--metrics", "9187");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("error: bad metrics address '9187': expected HOST:PORT");
  }

  record Cli(int code, String err) {}

  static synchronized Cli cli(String... args) {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = Main.run(args);
      return new Cli(code, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }
}
