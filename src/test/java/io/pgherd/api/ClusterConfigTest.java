package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.api.ClusterConfig.ReadOnlyMode;
import io.pgherd.api.ClusterConfig.ReplicationMode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

  static ClusterConfig config(String specBody) {
    ValidationResult r = SpecValidatorTest.spec(specBody);
    assertThat(r.ok()).as(r.report()).isTrue();
    return ClusterConfig.from(r.cluster());
  }

  @Test
  void anEmptySpecGetsEveryDefault() {
    ClusterConfig c = ClusterConfig.from(SpecValidator.parse(SpecValidatorTest.HEADER + "spec: {}\n").cluster());
    assertThat(c.name()).isEqualTo("demo");
    assertThat(c.instances()).isEqualTo(1);
    assertThat(c.image()).isEqualTo("pgherd/postgres:15").isEqualTo(ClusterConfig.DEFAULT_IMAGE);
    assertThat(c.parameters()).isEmpty();
    assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(c.readWritePort()).isEqualTo(5432);
    assertThat(c.readOnlyPort()).isEqualTo(5433);
    assertThat(c.readOnly()).isEqualTo(ReadOnlyMode.ALL);
    assertThat(c.maxReplicaLagBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(c.replicationMode()).isEqualTo(ReplicationMode.ASYNC);
    assertThat(c.maximumLagOnFailoverBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(c.failoverEnabled()).isTrue();
    assertThat(c.probePeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.failureThreshold()).isEqualTo(3);
    assertThat(c.tls().enabled()).isFalse();
    assertThat(c.tls().validity()).isEqualTo(Duration.ofDays(90));
    assertThat(c.tls().renewBefore()).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void emptySectionsGetTheDefaultsToo() {
    assertThat(config("postgres: {}\nloadBalancer: {}\nreplication: {}\nfailover: {}\ntls: {}"))
        .isEqualTo(ClusterConfig.from(SpecValidator.parse(SpecValidatorTest.HEADER + "spec: {}\n").cluster()));
  }

  @Test
  void everyValueGivenInTheSpecIsResolved() {
    ClusterConfig c = config("""
        instances: 3
        postgres:
          image: registry.local:5000/pg:15.4
          parameters: {work_mem: 8MB, max_connections: "200"}
        loadBalancer:
          bindAddress: 0.0.0.0
          readWritePort: 6432
          readOnlyPort: 6433
          readOnly: replicas
          maxReplicaLag: 1GB
        replication:
          mode: sync
          maximumLagOnFailover: 512kB
        failover:
          enabled: false
          probePeriod: 500ms
          failureThreshold: 5
          isolationTimeout: 30s
        tls:
          enabled: true
          altNames: [db.example.test, 10.1.2.3]
          certificateValidity: 10m
          renewBefore: 9m
        placement:
          constraints: [node.labels.db==true, node.role!=worker]
          oneMemberPerNode: false
        """);
    assertThat(c).isEqualTo(new ClusterConfig("demo", 3, "registry.local:5000/pg:15.4",
        Map.of("max_connections", "200", "work_mem", "8MB"), "0.0.0.0", 6432, 6433, ReadOnlyMode.REPLICAS,
        1L << 30, ReplicationMode.SYNC, 512L * 1024, false, Duration.ofMillis(500), 5, Duration.ofSeconds(30),
        new ClusterConfig.Tls(true, java.util.List.of("db.example.test", "10.1.2.3"), Duration.ofMinutes(10),
            Duration.ofMinutes(9)),
        new ClusterConfig.Placement(java.util.List.of("node.labels.db==true", "node.role!=worker"), false)));
  }

  @Test
  void parametersAreSortedAndUnmodifiable() {
    ClusterConfig c = config("postgres: {parameters: {work_mem: 8MB, max_connections: \"200\", autovacuum: \"on\"}}");
    assertThat(c.parameters().keySet()).containsExactly("autovacuum", "max_connections", "work_mem");
    assertThatThrownBy(() -> c.parameters().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void laterChangesToTheSpecDoNotLeakIntoTheConfig() {
    ValidationResult r = SpecValidatorTest.spec("postgres: {parameters: {work_mem: 8MB}}");
    ClusterConfig c = ClusterConfig.from(r.cluster());
    r.cluster().getSpec().getPostgres().getParameters().put("work_mem", "1GB");
    assertThat(c.parameters()).containsEntry("work_mem", "8MB");
  }

  @Test
  void aClusterWithoutSpecResolvesToDefaults() {
    PostgresCluster cluster = new PostgresCluster();
    cluster.getMetadata().setName("bare");
    assertThat(ClusterConfig.from(cluster).instances()).isEqualTo(1);
  }

  @Test
  void enumsKnowTheirSpecSpelling() {
    assertThat(ReadOnlyMode.fromSpec("replicas")).isEqualTo(ReadOnlyMode.REPLICAS);
    assertThat(ReadOnlyMode.fromSpec(null)).isEqualTo(ReadOnlyMode.ALL);
    assertThat(ReadOnlyMode.ALL.specValue()).isEqualTo("all");
    assertThat(ReplicationMode.fromSpec("sync")).isEqualTo(ReplicationMode.SYNC);
    assertThat(ReplicationMode.SYNC.specValue()).isEqualTo("sync");
    assertThatThrownBy(() -> ReplicationMode.fromSpec("SYNC")).isInstanceOf(IllegalArgumentException.class);
  }
}
