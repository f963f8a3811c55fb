package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundTripTest {

  @Test
  void aParsedSpecWrittenBackAsYamlReadsTheSameWithoutNewProblems() throws Exception {
    PostgresCluster original = SpecValidator.parse(SpecValidatorTest.FULL).cluster();
    String yaml = new YAMLMapper().writeValueAsString(original);
    ValidationResult again = SpecValidator.parse(yaml);
    assertThat(again.errors()).as(yaml).isEmpty();
    assertThat(again.warnings()).hasSize(1); // the two-letter bucket of the design example
    assertThat(again.cluster()).isEqualTo(original);
    assertThat(yaml).doesNotContain("null").doesNotContain("status");
  }

  @Test
  void aParsedSpecWrittenBackAsJsonReadsTheSame() throws Exception {
    PostgresCluster original = SpecValidator.parse(SpecValidatorTest.HEADER + "spec: {instances: 2}\n").cluster();
    String json = new ObjectMapper().writeValueAsString(original);
    assertThat(json).isEqualTo(
        "{\"apiVersion\":\"pgherd.io/v1\",\"kind\":\"PostgresCluster\",\"metadata\":{\"name\":\"demo\"},"
            + "\"spec\":{\"instances\":2}}");
    ValidationResult again = SpecValidator.parse(json); // JSON is YAML
    assertThat(again.report()).isEmpty();
    assertThat(again.cluster()).isEqualTo(original);
  }

  @Test
  void theStatusPrintsOnlyWhatIsKnownInAStableOrder() throws Exception {
    PostgresClusterStatus status = new PostgresClusterStatus();
    status.setName("demo");
    status.setPhase("Healthy");
    status.setPrimary("demo-1");
    status.setTimeline(2L);
    MemberStatus m = new MemberStatus();
    m.setName("demo-2");
    m.setContainer("pgherd-demo-2");
    m.setRole("replica");
    m.setState("streaming");
    m.setLsn("0/3000060");
    m.setLagBytes(0L);
    m.setSlot("demo_2");
    status.setMembers(List.of(m));
    EndpointsStatus endpoints = new EndpointsStatus();
    endpoints.setReadWrite("127.0.0.1:5432");
    endpoints.setReadOnly("127.0.0.1:5433");
    status.setEndpoints(endpoints);
    ObjectMapper json = new ObjectMapper();
    String text = json.writeValueAsString(status);
    assertThat(text).isEqualTo("{\"name\":\"demo\",\"phase\":\"Healthy\",\"primary\":\"demo-1\",\"timeline\":2,"
        + "\"members\":[{\"name\":\"demo-2\",\"container\":\"pgherd-demo-2\",\"role\":\"replica\","
        + "\"state\":\"streaming\",\"lsn\":\"0/3000060\",\"lagBytes\":0,\"slot\":\"demo_2\"}],"
        + "\"endpoints\":{\"readWrite\":\"127.0.0.1:5432\",\"readOnly\":\"127.0.0.1:5433\"}}");
    assertThat(json.readValue(text, PostgresClusterStatus.class)).isEqualTo(status);
  }
}
