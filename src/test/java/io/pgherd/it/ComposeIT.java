package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgherd.docker.DockerGateway;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The root docker-compose.yml, as a user runs it: the images built
 * (operator/build-operator-images.sh), `docker-compose -p pgherdc up -d`, then the cluster of
 * manifests/compose.yaml ("compose": 2 members, 127.0.0.1:8432/8433, backups to the bundled
 * s3proxy, s3proxy:9000 on compose's network) must become Healthy with its WAL archived to S3 —
 * the operator in its container without host networking reaching the members by name over the
 * cluster network it joined; a base backup taken with `pgherd backup` inside the operator
 * container must land in the store; no container's `docker inspect` may show a password or the S3
 * secret; the operator restarted by Docker, and a new operator container (recreated: on no cluster
 * network at first), must resume the same cluster without a failover; `pgherd delete --purge` in
 * it removes the cluster and its network. Everything is removed afterwards (compose's project with its volumes,
 * and the members, load balancer, volumes and network the operator created), even on failure.
 * Needs docker-compose (Debian's 1.29; .ci/run installs it) and free ports 8432, 8433 and 9000.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeIT {
  static final String PROJECT = "pgherdc";
  static final String CLUSTER = "compose";
  static final ObjectMapper JSON = new ObjectMapper();

  final Path repo = ItSupport.repo();
  final Path composeFile = repo.resolve("docker-compose.yml");
  long startedNanos;
  String operator;
  String s3proxy;

  @BeforeAll
  void up() throws Exception {
    startedNanos = System.nanoTime();
    assertThat(Files.isExecutable(Path.of("/usr/bin/docker-compose")) || onPath("docker-compose"))
        .as("docker-compose is needed (apt-get install docker-compose)").isTrue();
    cleanUp();
    long t = System.nanoTime();
    Process build = new ProcessBuilder("bash", repo.resolve("operator/build-operator-images.sh").toString())
        .directory(repo.toFile()).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8))) {
      r.lines().forEach(l -> System.out.println("[images] " + l));
    }
    assertThat(build.waitFor(30, TimeUnit.MINUTES)).isTrue();
    assertThat(build.exitValue()).as("build-operator-images.sh").isZero();
    System.out.printf("ComposeIT: images ready in %d s%n", secondsSince(t));
    ItSupport.Run up = compose("up", "-d");
    assertThat(up.exitCode()).as(up.output()).isZero();
    operator = serviceContainer("operator");
    s3proxy = serviceContainer("s3proxy");
  }

  @AfterAll
  void down() throws Exception {
    try {
      if (operator != null) {
        System.out.println("[operator logs]\n" + docker("logs", "--tail", "60", operator).output());
      }
    } finally {
      cleanUp();
      System.out.printf("ComposeIT: %d s in all%n", secondsSince(startedNanos));
    }
  }

  /** compose's project (containers, network, named volumes), then what the operator created. */
  void cleanUp() throws Exception {
    ItSupport.Run down = compose("down", "-v", "--remove-orphans", "-t", "30");
    System.out.println("[down] " + down.output());
    try (DockerGateway docker = DockerGateway.connect()) {
      ItSupport.purge(docker, CLUSTER);
    }
  }

  @Test
  @Order(1)
  void theClusterBecomesHealthyWithTwoMembersAndItsWalArchivedToS3() throws Exception {
    long t = System.nanoTime();
    JsonNode status = awaitStatus(Duration.ofMinutes(6), s -> "Healthy".equals(s.path("phase").asText())
        && s.path("members").size() == 2
        && !s.path("backups").path("lastArchivedWal").asText("").isEmpty());
    System.out.printf("ComposeIT: Healthy with 2 members and WAL archived %d s after `up`%n", secondsSince(t));
    assertThat(status.path("backups").path("archiveError").isMissingNode()
        || status.path("backups").path("archiveError").isNull()).as(status.toPrettyString()).isTrue();
    List<String> roles = new ArrayList<>();
    status.path("members").forEach(m -> roles.add(m.path("role").asText()));
    assertThat(roles).containsExactlyInAnyOrder("primary", "replica");
    assertThat(status.path("endpoints").path("readWrite").asText()).contains("8432");
    assertThat(storeKeys()).anyMatch(k -> k.startsWith("pgherd/" + CLUSTER + "/") && k.contains("/wal/"));
    // the README's example: psql through the load balancer (by name), from inside the operator container
    ItSupport.Run psql = docker("exec", operator, "pgherd", "psql", CLUSTER, "--", "-Atc", "select 40 + 2");
    assertThat(psql.exitCode()).as(psql.output()).isZero();
    assertThat(psql.output()).contains("42");
    // not host networking: the operator reached the members over the cluster network it joined
    String mode = docker("inspect", "-f", "{{.HostConfig.NetworkMode}}", operator).output().strip();
    assertThat(mode).isNotEqualTo("host");
    assertThat(operatorNetworks()).contains("pgherd-" + CLUSTER);
    ItSupport.Run logs = docker("exec", operator, "pgherd", "logs", CLUSTER);
    assertThat(logs.output()).contains("join-network");
    ItSupport.Run started = docker("logs", operator);
    assertThat(started.output()).contains("members reached through cluster networks");
  }

  @Test
  @Order(2)
  void aBaseBackupTakenInTheOperatorContainerLandsInTheStore() throws Exception {
    ItSupport.Run backup = docker("exec", operator, "pgherd", "backup", CLUSTER);
    assertThat(backup.exitCode()).as(backup.output()).isZero();
    assertThat(backup.output()).contains("complete:");
    ItSupport.Run list = docker("exec", operator, "pgherd", "backups", CLUSTER, "-o", "json");
    assertThat(list.exitCode()).as(list.output()).isZero();
    JsonNode backups = JSON.readTree(list.output());
    assertThat(backups.size()).as(list.output()).isEqualTo(1);
    String id = backups.get(0).path("id").asText();
    assertThat(backups.get(0).path("state").asText()).isEqualTo("complete");
    assertThat(storeKeys()).anyMatch(k -> k.startsWith("pgherd/" + CLUSTER + "/") && k.contains("/base/" + id + "/base.tar"));
  }

  @Test
  @Order(3)
  void noContainerShowsASecretInDockerInspect() throws Exception {
    Set<String> secrets = new TreeSet<>();
    ItSupport.Run cred = docker("exec", s3proxy, "cat", "/run/pgherd-s3/credentials");
    assertThat(cred.exitCode()).as(cred.output()).isZero();
    for (String line : cred.output().split("\n")) {
      if (line.startsWith("aws_")) {
        secrets.add(line.substring(line.indexOf('=') + 1).strip());
      }
    }
    ItSupport.Run mode = docker("exec", s3proxy, "stat", "-c", "%a", "/run/pgherd-s3/credentials");
    assertThat(mode.output().strip()).isEqualTo("600");
    // the passwords (one line each) and the private keys (their base64 lines; certificates are public)
    ItSupport.Run pw = docker("exec", operator, "sh", "-c", "for f in /var/lib/pgherd/secrets/" + CLUSTER
        + "/*; do case $f in *.crt) ;; *) cat \"$f\"; echo ;; esac; done");
    assertThat(pw.exitCode()).as(pw.output()).isZero();
    for (String line : pw.output().split("\n")) {
      String l = line.strip();
      if (!l.isBlank() && !l.startsWith("-----") && (l.length() >= 40 || !l.matches("[A-Za-z0-9+/=]+"))) {
        secrets.add(l);
      }
    }
    assertThat(secrets).hasSizeGreaterThanOrEqualTo(4).allSatisfy(s -> assertThat(s).hasSizeGreaterThanOrEqualTo(12));
    List<String> containers = new ArrayList<>(ids(compose("ps", "-q").output()));
    containers.addAll(ids(docker("ps", "-aq", "--filter", "label=io.pgherd.cluster=" + CLUSTER).output()));
    assertThat(containers).hasSizeGreaterThanOrEqualTo(5); // operator, s3proxy, 2 members, load balancer
    for (String c : containers) {
      String inspect = docker("inspect", c).output();
      for (String s : secrets) {
        assertThat(inspect).as("docker inspect " + c + " shows a secret").doesNotContain(s);
      }
    }
  }

  @Test
  @Order(4)
  void theOperatorRestartedByDockerResumesTheSameCluster() throws Exception {
    Set<String> before = memberNames(awaitStatus(Duration.ofMinutes(1), s -> "Healthy".equals(s.path("phase").asText())));
    ItSupport.Run restart = docker("restart", "-t", "30", operator);
    assertThat(restart.exitCode()).as(restart.output()).isZero();
    JsonNode after = awaitStatus(Duration.ofMinutes(3), s -> "Healthy".equals(s.path("phase").asText())
        && s.path("members").size() == 2);
    assertThat(memberNames(after)).isEqualTo(before);
    String policy = docker("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", operator).output().strip();
    assertThat(policy).isEqualTo("unless-stopped");
  }

  @Test
  @Order(5)
  void aNewOperatorContainerJoinsTheClusterNetworkBeforeItJudgesTheMembers() throws Exception {
    JsonNode before = awaitStatus(Duration.ofMinutes(1), s -> "Healthy".equals(s.path("phase").asText()));
    ItSupport.Run recreate = compose("up", "-d", "--no-deps", "--force-recreate", "operator");
    assertThat(recreate.exitCode()).as(recreate.output()).isZero();
    String old = operator;
    operator = serviceContainer("operator");
    assertThat(operator).isNotEqualTo(old);
    // the new operator's own output (the status file in the home may still be its predecessor's):
    // joined the network, then found the primary answering and resumed archiving from it
    awaitOperatorOutput(Duration.ofMinutes(2), "join-network", "pg_receivewal streams WAL from");
    JsonNode after = awaitStatus(Duration.ofMinutes(3), s -> "Healthy".equals(s.path("phase").asText())
        && s.path("members").size() == 2);
    // the same primary on the same timeline: members it could not reach yet were not taken for dead
    assertThat(after.path("primary").asText()).isEqualTo(before.path("primary").asText());
    assertThat(after.path("timeline").asLong()).isEqualTo(before.path("timeline").asLong());
    assertThat(memberNames(after)).isEqualTo(memberNames(before));
    assertThat(operatorNetworks()).contains("pgherd-" + CLUSTER);
    ItSupport.Run logs = docker("exec", operator, "pgherd", "logs", CLUSTER);
    assertThat(logs.output()).doesNotContain("] failover:").doesNotContain("] fence:");
  }

  @Test
  @Order(6)
  void deleteInTheOperatorContainerRemovesTheClusterAndItsNetwork() throws Exception {
    ItSupport.Run delete = docker("exec", operator, "pgherd", "delete", CLUSTER, "--purge");
    assertThat(delete.exitCode()).as(delete.output()).isZero();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    String left = "";
    while (System.nanoTime() < deadline) {
      left = docker("ps", "-aq", "--filter", "label=io.pgherd.cluster=" + CLUSTER).output().strip()
          + docker("network", "ls", "-q", "--filter", "name=^pgherd-" + CLUSTER + "$").output().strip();
      if (left.isEmpty()) {
        break;
      }
      Thread.sleep(1000);
    }
    assertThat(left).as("containers and network of " + CLUSTER + " left").isEmpty();
    assertThat(operatorNetworks()).doesNotContain("pgherd-" + CLUSTER);
  }

  // ---- helpers

  void awaitOperatorOutput(Duration limit, String... texts) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    String out = "";
    while (System.nanoTime() < deadline) {
      out = docker("logs", operator).output();
      String seen = out;
      if (java.util.Arrays.stream(texts).allMatch(seen::contains)) {
        return;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("the operator did not print " + List.of(texts) + " within " + limit + ":\n" + out);
  }

  Set<String> operatorNetworks() throws Exception {
    ItSupport.Run nets = docker("inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", operator);
    assertThat(nets.exitCode()).as(nets.output()).isZero();
    return new TreeSet<>(List.of(nets.output().strip().split("\\s+")));
  }

  interface StatusCheck {
    boolean ok(JsonNode status);
  }

  JsonNode awaitStatus(Duration limit, StatusCheck check) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      ItSupport.Run run = docker("exec", operator, "pgherd", "status", CLUSTER, "-o", "json");
      last = run.output();
      if (run.exitCode() == 0) {
        try {
          JsonNode status = JSON.readTree(run.output());
          if (check.ok(status)) {
            return status;
          }
        } catch (IOException e) {
          // not JSON yet (the spec is being applied): try again
        }
      }
      Thread.sleep(2000);
    }
    throw new AssertionError("the cluster's status did not reach the expected state within " + limit + "; last:\n" + last
        + "\n[operator logs]\n" + docker("logs", "--tail", "40", operator).output());
  }

  static Set<String> memberNames(JsonNode status) {
    Set<String> names = new TreeSet<>();
    status.path("members").forEach(m -> names.add(m.path("name").asText()));
    return names;
  }

  /** Object keys in the store (bucket/key), read from s3proxy's filesystem backend. */
  List<String> storeKeys() throws Exception {
    ItSupport.Run find = docker("exec", s3proxy, "sh", "-c", "cd /var/lib/s3proxy/data && find . -type f | sed 's|^./||'");
    assertThat(find.exitCode()).as(find.output()).isZero();
    return lines(find.output());
  }

  String serviceContainer(String service) throws Exception {
    ItSupport.Run ps = compose("ps", "-q", service);
    List<String> ids = ids(ps.output());
    assertThat(ids).as(ps.output()).hasSize(1);
    return ids.get(0);
  }

  ItSupport.Run compose(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("docker-compose", "-p", PROJECT, "-f", composeFile.toString()));
    cmd.addAll(List.of(args));
    return ItSupport.run(null, cmd);
  }

  static ItSupport.Run docker(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return ItSupport.run(null, cmd);
  }

  static List<String> lines(String s) {
    return s.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  /** Container ids in a command's output (docker-compose may print warnings on the same stream). */
  static List<String> ids(String s) {
    return lines(s).stream().filter(l -> l.matches("[0-9a-f]{12,64}")).toList();
  }

  static long secondsSince(long nanos) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - nanos);
  }

  static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
