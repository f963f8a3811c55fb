package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * swarm-stack.yml as its header tells a user to deploy it (two Swarm secrets, the control network,
 * {@code docker stack deploy}) on the three-node lab Swarm — only the engine's socket is the lab's
 * own path — then the command line on the host, a manager's client: manifests/swarm-backup.yaml
 * applied through the Swarm, the WAL archived and a base backup taken through the overlay into the
 * stack's s3proxy, and the cluster deleted again.
 */
class SwarmStackIT {
  private static final String STACK = "pgherd";
  private static final String CLUSTER = "swarm-backup";
  private static final String RESTORED = "swarm-restored";
  private static final Map<String, String> ENV = Map.of("DOCKER_HOST", "unix:///run/pgsw/docker1.sock");
  private static SwarmLab lab;
  private static DockerClient manager;
  private static boolean purged;

  @BeforeAll
  static void up() throws Exception {
    ItSupport.buildOperatorImages();
    lab = SwarmLab.up();
    lab.load("pgherd/operator:latest", "pgherd/s3proxy:2.6.0");
    manager = lab.engine(1);
    String stack = Files.readString(ItSupport.repo().resolve("swarm-stack.yml"))
        .replace("- /var/run/docker.sock:/var/run/docker.sock", "- " + SwarmLab.NODE_SOCKET + ":/var/run/docker.sock")
        .replace("constraints: [node.role==manager]", "constraints: [node.role==manager, node.labels.pgherd.lab.host==h1]");
    Path file = Files.createTempFile("swarm-stack", ".yml");
    Files.writeString(file, stack);
    // the steps of the file's header, as a user runs them
    sh("docker network inspect pgherd-control >/dev/null 2>&1"
        + " || docker network create --driver overlay --attachable pgherd-control");
    sh("head -c 48 /dev/urandom | base64 | docker secret create pgherd-operator-key -");
    sh("k=$(head -c 15 /dev/urandom | base64 | tr '+/' 'AB'); s=$(head -c 30 /dev/urandom | base64 | tr '+/' 'CD');"
        + " printf '[default]\\naws_access_key_id = %s\\naws_secret_access_key = %s\\n' \"$k\" \"$s\""
        + " | docker secret create pgherd-s3-credentials -");
    sh("docker stack deploy -c " + file + " " + STACK);
  }

  @AfterAll
  static void down() throws Exception {
    if (manager == null) {
      return;
    }
    try {
      if (!purged) {
        System.out.println(cli("delete", RESTORED, "--purge").output());
        System.out.println(cli("delete", CLUSTER, "--purge").output());
      }
    } finally {
      sh("docker stack rm " + STACK);
      await().atMost(Duration.ofSeconds(90)).until(() -> manager.listServicesCmd()
          .withLabelFilter(Map.of("com.docker.stack.namespace", STACK)).exec().isEmpty());
      try {
        manager.removeServiceCmd("pgherd-operator-lease").exec(); // the lease its operators held
      } catch (com.github.dockerjava.api.exception.NotFoundException e) {
        // never made
      }
      for (String cluster : List.of(CLUSTER, RESTORED)) {
        for (Service s : manager.listServicesCmd().withLabelFilter(Map.of("io.pgherd.cluster", cluster)).exec()) {
          manager.removeServiceCmd(s.getId()).exec();
        }
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
          manager.listNetworksCmd().withNameFilter("pgherd-" + cluster).exec()
              .forEach(n -> manager.removeNetworkCmd(n.getId()).exec());
          return true;
        });
      }
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
        manager.listSecretsCmd().exec().stream()
            .filter(s -> s.getSpec().getName().startsWith("pgherd-")).forEach(s -> manager.removeSecretCmd(s.getId()).exec());
        return true;
      });
      manager.listConfigsCmd().exec().forEach(c -> manager.removeConfigCmd(c.getId()).exec());
    }
  }

  @Test
  void theStackRunsTheOperatorAndTheStoreAndAClusterOnItArchivesAndBacksUpThroughTheOverlay() throws Exception {
    // the operator's task may still be starting: the command waits for its answer
    ItSupport.Run apply = cli("apply", "-f", ItSupport.repo().resolve("manifests/swarm-backup.yaml").toString());
    assertThat(apply.exitCode()).as(apply.output()).isZero();
    assertThat(apply.output()).contains("postgrescluster/" + CLUSTER + " created");
    JsonNode status = await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> new ObjectMapper().readTree(cli("status", CLUSTER, "-o", "json").output()),
            s -> "Healthy".equals(s.path("phase").asText()) && !s.path("backups").path("archivedLsn").isMissingNode()
                && "enforced".equals(s.path("tls").path("state").asText()));
    assertThat(status.path("backups").path("archiveError").isMissingNode()).as(status.toString()).isTrue();
    assertThat(status.path("members")).hasSize(3);
    for (JsonNode m : status.path("members")) {
      if ("replica".equals(m.path("role").asText())) {
        assertThat(m.path("state").asText()).as(m.toString()).isEqualTo("streaming");
      }
    }

    assertThat(psql(CLUSTER, "create table r (x int); insert into r values (1); select count(*) from r")).isEqualTo("1");
    ItSupport.Run backup = cli("backup", CLUSTER);
    assertThat(backup.exitCode()).as(backup.output()).isZero();
    ItSupport.Run backups = cli("backups", CLUSTER);
    assertThat(backups.exitCode()).as(backups.output()).isZero();
    assertThat(backups.output()).contains("complete");

    // a row after the base backup, its WAL archived; then a new cluster restored from both lands on the nodes
    // its spec allows (one member per node) and has every row
    String lsn = psql(CLUSTER, "insert into r values (2); select pg_switch_wal(); select pg_current_wal_lsn()")
        .lines().reduce((a, b) -> b).orElseThrow();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> io.pgherd.model.Lsn.parse(new ObjectMapper().readTree(cli("status", CLUSTER, "-o", "json").output())
            .path("backups").path("archivedLsn").asText()) >= io.pgherd.model.Lsn.parse(lsn));
    Path restoreSpec = Files.createTempFile("swarm-restored", ".yaml");
    Files.writeString(restoreSpec, Files.readString(ItSupport.repo().resolve("manifests/swarm-backup.yaml"))
        .replace("name: swarm-backup", "name: " + RESTORED).replace("instances: 3", "instances: 2")
        .replace("6732", "6832").replace("6733", "6833")
        + "  bootstrap:\n    recovery:\n      from:\n        cluster: " + CLUSTER + "\n");
    ItSupport.Run restore = cli("apply", "-f", restoreSpec.toString());
    assertThat(restore.exitCode()).as(restore.output()).isZero();
    JsonNode restored = await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions()
        .until(() -> new ObjectMapper().readTree(cli("status", RESTORED, "-o", "json").output()),
            s -> "Healthy".equals(s.path("phase").asText()) && s.path("members").size() == 2);
    java.util.Set<String> restoredNodes = new java.util.HashSet<>();
    restored.path("members").forEach(m -> restoredNodes.add(m.path("node").asText()));
    assertThat(restoredNodes).as(restored.toString()).hasSize(2).doesNotContain("", "null");
    assertThat(psql(RESTORED, "select string_agg(x::text, ',' order by x) from r")).isEqualTo("1,2");
    ItSupport.Run gone = cli("delete", RESTORED, "--purge");
    assertThat(gone.exitCode()).as(gone.output()).isZero();
    // nothing secret in the stack's services
    String credentials = exec("cat", "/run/secrets/pgherd-s3-credentials");
    String secretKey = credentials.replaceAll("(?s).*aws_secret_access_key = (\\S+).*", "$1");
    assertThat(secretKey).hasSizeGreaterThan(20);
    for (Service s : manager.listServicesCmd().exec()) {
      assertThat(s.toString() + s.getRawValues()).doesNotContain(secretKey);
    }

    // deleted with --purge: the members' data is gone from every node, though no manager can remove another's volume
    ItSupport.Run deleted = cli("delete", CLUSTER, "--purge");
    assertThat(deleted.exitCode()).as(deleted.output()).isZero();
    purged = true;
    int volumes = 0;
    for (int host = 1; host <= SwarmLab.NODES; host++) {
      DockerClient engine = lab.engine(host);
      for (int n = 1; n <= 3; n++) {
        String volume = "pgherd-" + CLUSTER + "-" + n + "-data";
        try {
          Path data = Path.of(engine.inspectVolumeCmd(volume).exec().getMountpoint());
          volumes++;
          try (var left = Files.list(data)) {
            assertThat(left.toList()).as(volume + " on lab host " + host).isEmpty();
          }
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
          // not on this node
        }
      }
    }
    assertThat(volumes).as("the members' volumes were on the nodes").isEqualTo(3);
    assertThat(manager.listServicesCmd().withLabelFilter(Map.of("io.pgherd.cluster", CLUSTER)).exec()).isEmpty();
  }

  /** psql through the Swarm from the host (the last line of its unaligned output). */
  private static String psql(String cluster, String sql) throws Exception {
    ItSupport.Run r = cli("psql", cluster, "--", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql);
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output().strip();
  }

  /** A command in the stack's operator task (on lab host 1). */
  private static String exec(String... command) throws Exception {
    List<String> args = new ArrayList<>(List.of("bash", "-c",
        "docker exec $(docker ps -qf label=com.docker.swarm.service.name=" + STACK + "_operator) "
            + String.join(" ", command)));
    return ItSupport.run(null, args, ENV).output();
  }

  /** pgherd's command line on the host, a client of the lab's first manager, with PGHERD_RUNTIME=swarm. */
  private static ItSupport.Run cli(String... args) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(ENV);
    env.put("PGHERD_RUNTIME", "swarm");
    return SwarmLab.pgherd(null, env, args);
  }

  private static void sh(String script) throws Exception {
    ItSupport.Run r = ItSupport.run(null, List.of("bash", "-c", script), ENV);
    assertThat(r.exitCode()).as(script + "\n" + r.output()).isZero();
  }
}
