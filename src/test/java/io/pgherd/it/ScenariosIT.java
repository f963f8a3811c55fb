package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The original stack's procedures (test-scenarios/*.sh), each run as a user runs it, against a
 * cluster brought up from manifests/demo.yaml: the same spec with its own name, its own ports,
 * and a spec.backup section (an S3 server) added, which the PITR procedure needs.
 */
class ScenariosIT extends ArchivedClusterTestBase {
  static final String NAME = "scn";

  ScenariosIT() {
    super(NAME, 15632, 15633, 3, "");
  }

  /** manifests/demo.yaml's spec, renamed, on ports 15632/15633, with the backup section. */
  static String demoSpec() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    ObjectNode doc = (ObjectNode) yaml.readTree(ItSupport.repo().resolve("manifests/demo.yaml").toFile());
    ObjectNode spec = (ObjectNode) doc.get("spec");
    ObjectNode lb = (ObjectNode) spec.get("loadBalancer");
    lb.put("readWritePort", 15632);
    lb.put("readOnlyPort", 15633);
    String body = yaml.writeValueAsString(spec).lines().map(l -> "  " + l).reduce("", (a, b) -> a + b + "\n");
    return body;
  }

  @Override
  String fullSpec() {
    try {
      return demoSpec() + extraSpec; // extraSpec: the backup section (ArchivedClusterTestBase)
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  ItSupport.Run scenario(String script, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(ItSupport.repo().resolve("test-scenarios/" + script)
        .toString(), NAME));
    cmd.addAll(List.of(args));
    ItSupport.Run run = ItSupport.run(homeDir, cmd, env);
    Files.writeString(tmp.resolve(script + ".out"), run.output());
    return run;
  }

  @Test
  @Order(1)
  void replication() throws Exception {
    ItSupport.Run run = scenario("replication.sh", Map.of());
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("ok: psql -l on replica").doesNotContain("FAIL");
  }

  @Test
  @Order(2)
  void loadBalancing() throws Exception {
    ItSupport.Run run = scenario("load-balancing.sh", Map.of());
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).doesNotContain("FAIL");
  }

  @Test
  @Order(3)
  void crashOfTheMaster() throws Exception {
    String before = status().getPrimary();
    ItSupport.Run run = scenario("crash-master.sh", Map.of("LOOP_SECONDS", "30"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).doesNotContain("FAIL");
    awaitHealthy(instances);
    assertThat(status().getPrimary()).isNotEqualTo(before);
  }

  @Test
  @Order(4)
  void pointInTimeRecoveryIntoNewClustersAndInPlace() throws Exception {
    ItSupport.Run run = scenario("pitr.sh", Map.of(), "--in-place");
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("PASS").doesNotContain("FAIL");
  }
}
