package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpecValidatorTest {

  /** The full example of DESIGN.md. */
  static final String FULL = """
      apiVersion: pgherd.io/v1
      kind: PostgresCluster
      metadata:
        name: demo
      spec:
        instances: 3
        postgres:
          image: pgherd/postgres:15
          parameters:
            max_connections: "200"
        loadBalancer:
          bindAddress: 127.0.0.1
          readWritePort: 5432
          readOnlyPort: 5433
          readOnly: all
          maxReplicaLag: 16MB
        replication:
          mode: async
          maximumLagOnFailover: 16MB
        failover:
          enabled: true
        backup:
          schedule: "0 0 2 * * ?"
          retention: { fullBackups: 7 }
          objectStore:
            s3: { bucket: pg, endpoint: http://127.0.0.1:9000, region: us-east-1, pathStyle: true,
                  credentials: { accessKeyIdEnv: AWS_ACCESS_KEY_ID, secretAccessKeyEnv: AWS_SECRET_ACCESS_KEY } }
        bootstrap:
          recovery:
            from: { cluster: demo }
            target: { xid: "635" }
      """;

  static final String HEADER = """
      apiVersion: pgherd.io/v1
      kind: PostgresCluster
      metadata:
        name: demo
      """;

  /** A valid document whose spec is {@code specBody} (indented by two spaces under spec:). */
  static ValidationResult spec(String specBody) {
    return SpecValidator.parse(HEADER + "spec:\n" + specBody.stripIndent().lines()
        .map(l -> "  " + l).reduce("", (a, b) -> a + b + "\n"));
  }

  static List<String> errors(ValidationResult r) {
    return r.errors().stream().map(Problem::toString).toList();
  }

  static List<String> warnings(ValidationResult r) {
    return r.warnings().stream().map(Problem::toString).toList();
  }

  static void assertSingleError(ValidationResult r, String path, String messagePart) {
    assertThat(r.ok()).as(r.report()).isFalse();
    assertThat(r.errors()).as(r.report()).hasSize(1);
    assertThat(r.errors().get(0).path()).isEqualTo(path);
    assertThat(r.errors().get(0).message()).contains(messagePart);
  }

  @Test
  void theDesignExampleIsValidAndOnlyWarnsAboutItsTwoLetterBucket() {
    ValidationResult r = SpecValidator.parse(FULL);
    assertThat(r.errors()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(warnings(r)).containsExactly("spec.backup.objectStore.s3.bucket: shorter than 3 characters:"
        + " AWS S3 and MinIO refuse such bucket names");
    assertThat(r.cluster().getSpec().getInstances()).isEqualTo(3);
    assertThat(r.cluster().getSpec().getPostgres().getParameters()).containsEntry("max_connections", "200");
    assertThat(r.cluster().getSpec().getBackup().getObjectStore().getS3().getCredentials().getSecretAccessKeyEnv())
        .isEqualTo("AWS_SECRET_ACCESS_KEY");
    assertThat(r.cluster().getSpec().getBootstrap().getRecovery().getTarget().getXid()).isEqualTo("635");
  }

  @Test
  void aSpecWithOnlyTheRequiredFieldsIsValid() {
    ValidationResult r = SpecValidator.parse(HEADER + "spec: {}\n");
    assertThat(r.report()).isEmpty();
    assertThat(r.ok()).isTrue();
  }

  @Nested
  class TheDocument {

    @Test
    void aWrongApiVersionIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("pgherd.io/v1", "pgherd.io/v2") + "spec: {}\n");
      assertSingleError(r, "apiVersion", "must be pgherd.io/v1, got 'pgherd.io/v2'");
    }

    @Test
    void aMissingApiVersionIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("apiVersion: pgherd.io/v1\n", "") + "spec: {}\n");
      assertSingleError(r, "apiVersion", "required");
    }

    @Test
    void aWrongKindIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("kind: PostgresCluster", "kind: Cluster") + "spec: {}\n");
      assertSingleError(r, "kind", "must be PostgresCluster, got 'Cluster'");
    }

    @Test
    void aMissingKindIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("kind: PostgresCluster\n", "") + "spec: {}\n");
      assertSingleError(r, "kind", "required");
    }

    @Test
    void aMissingMetadataIsRejected() {
      ValidationResult r = SpecValidator.parse("apiVersion: pgherd.io/v1\nkind: PostgresCluster\nspec: {}\n");
      assertSingleError(r, "metadata", "required");
    }

    @Test
    void aMissingNameIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("name: demo", "namespace: x") + "spec: {}\n");
      assertSingleError(r, "metadata.name", "required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Demo", "-demo", "demo-", "de_mo", "de.mo", "démo", "x'; drop table t; --", "a'b",
        "a;b", "a b", "a\\\\b", "$(id)", "a/../b"})
    void aNameThatIsNotLowercaseAlphanumericWithDashesIsRejected(String name) {
      ValidationResult r = SpecValidator.parse(HEADER.replace("name: demo", "name: \"" + name + "\"") + "spec: {}\n");
      assertSingleError(r, "metadata.name", "must consist of lowercase letters, digits and '-'");
    }

    @Test
    void aNameLongerThan40CharactersIsRejected() {
      ValidationResult r = SpecValidator.parse(HEADER.replace("name: demo", "name: " + "a".repeat(41)) + "spec: {}\n");
      assertSingleError(r, "metadata.name", "must be at most 40 characters, got 41");
    }

    @Test
    void aNameOf40CharactersAndOneCharacterAreAccepted() {
      assertThat(SpecValidator.parse(HEADER.replace("name: demo", "name: " + "a".repeat(40)) + "spec: {}\n").ok()).isTrue();
      assertThat(SpecValidator.parse(HEADER.replace("name: demo", "name: a") + "spec: {}\n").ok()).isTrue();
    }

    @Test
    void aMissingSpecIsRejected() {
      assertSingleError(SpecValidator.parse(HEADER), "spec", "required");
    }

    @Test
    void unknownMetadataFieldsAreWarnings() {
      ValidationResult r = SpecValidator.parse(HEADER + "  colour: blue\nspec: {}\n");
      assertThat(r.ok()).isTrue();
      assertThat(warnings(r)).containsExactly("metadata.colour: unknown field, ignored");
    }

    @Test
    void labelsAndAnnotationsInMetadataAreAccepted() {
      ValidationResult r = SpecValidator.parse(HEADER + "  labels: {team: db}\n  annotations: {note: x}\nspec: {}\n");
      assertThat(r.report()).isEmpty();
    }
  }

  @Nested
  class Instances {

    @Test
    void zeroInstancesIsRejectedWithTheDocumentedMessage() {
      ValidationResult r = spec("instances: 0");
      assertThat(errors(r)).containsExactly("spec.instances: must be between 1 and 9, got 0");
    }

    @Test
    void tenInstancesIsRejected() {
      assertThat(errors(spec("instances: 10"))).containsExactly("spec.instances: must be between 1 and 9, got 10");
    }

    @Test
    void oneAndNineInstancesAreAccepted() {
      assertThat(spec("instances: 1").ok()).isTrue();
      assertThat(spec("instances: 9").ok()).isTrue();
    }

    @Test
    void aWordIsATypeErrorWithThePath() {
      assertThat(errors(spec("instances: three"))).containsExactly("spec.instances: expected an integer, got 'three'");
    }

    @Test
    void aFractionIsATypeErrorNotTruncated() {
      assertThat(errors(spec("instances: 2.5"))).containsExactly("spec.instances: expected an integer, got 2.5");
    }

    @Test
    void aHugeNumberIsATypeErrorNotAnOverflow() {
      assertThat(errors(spec("instances: 99999999999999999999"))).singleElement()
          .asString().startsWith("spec.instances: expected an integer, got 99999999999999999999");
    }

    @Test
    void aMappingIsATypeError() {
      assertThat(errors(spec("instances: {a: 1}"))).containsExactly("spec.instances: expected an integer, got a mapping");
    }

    @Test
    void aBooleanIsATypeError() {
      assertThat(errors(spec("instances: true"))).containsExactly("spec.instances: expected an integer, got true");
    }

    @Test
    void aQuotedNumberIsAccepted() {
      ValidationResult r = spec("instances: \"3\"");
      assertThat(r.ok()).isTrue();
      assertThat(r.cluster().getSpec().getInstances()).isEqualTo(3);
    }
  }

  @Nested
  class Postgres {

    @ParameterizedTest
    @ValueSource(strings = {
        "pgherd/postgres:15", "postgres", "postgres:15.4-bookworm", "registry.example.com/db/postgres:15",
        "localhost:5000/postgres", "localhost/pg", "my-registry:5000/a/b/c:1.0",
        "pgherd/postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "pgherd/postgres:15@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "a__b/c.d-e"})
    void validImageReferencesAreAccepted(String image) {
      ValidationResult r = spec("postgres: {image: \"" + image + "\"}");
      assertThat(r.report()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Pgherd/postgres:15", "pgherd/Postgres", "pgherd/postgres:", "pgherd//postgres", "pgherd/postgres:bad tag",
        ":15", "pgherd/postgres@sha256:abc", "registry:99999/pg", "pg-/x", "-pg", "pgherd/postgres:-15", ""})
    void invalidImageReferencesAreRejected(String image) {
      ValidationResult r = spec("postgres: {image: \"" + image + "\"}");
      assertSingleError(r, "spec.postgres.image", "not a valid image reference");
    }

    @Test
    void anUppercaseRepositoryIsExplained() {
      assertSingleError(spec("postgres: {image: \"pgherd/Postgres:15\"}"), "spec.postgres.image",
          "repository name must be lowercase");
    }

    @Test
    void aParameterNameThatIsNotAPostgresIdentifierIsRejected() {
      ValidationResult r = spec("postgres: {parameters: {Max-Connections: \"100\"}}");
      assertSingleError(r, "spec.postgres.parameters.Max-Connections", "not a PostgreSQL parameter name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"listen_addresses", "port", "hba_file", "config_file", "data_directory",
        "primary_conninfo", "primary_slot_name", "wal_level", "hot_standby", "wal_log_hints",
        "archive_mode", "archive_command", "restore_command", "synchronous_standby_names",
        "ssl_cert_file", "ssl_key_file"})
    void parametersThatPgherdManagesAreRejected(String name) {
      ValidationResult r = spec("postgres: {parameters: {" + name + ": \"x\"}}");
      assertSingleError(r, "spec.postgres.parameters." + name, "managed by pgherd");
    }

    @Test
    void aParameterWithoutValueIsRejected() {
      assertSingleError(spec("postgres: {parameters: {work_mem: }}"), "spec.postgres.parameters.work_mem",
          "must have a value");
    }

    @Test
    void aParameterValueWithALineBreakIsRejected() {
      assertSingleError(spec("postgres: {parameters: {work_mem: \"4MB\\nport = 1\"}}"),
          "spec.postgres.parameters.work_mem", "line breaks");
    }

    @Test
    void unquotedNumbersAndBooleansAndDottedNamesAreAcceptedAsParameterValues() {
      ValidationResult r = spec("postgres: {parameters: {max_connections: 200, jit: false, auto_explain.log_min_duration: 250ms}}");
      assertThat(r.report()).isEmpty();
      assertThat(r.cluster().getSpec().getPostgres().getParameters())
          .containsEntry("max_connections", "200").containsEntry("jit", "false")
          .containsEntry("auto_explain.log_min_duration", "250ms");
    }

    @Test
    void parametersGivenAsAListAreATypeError() {
      assertThat(errors(spec("postgres: {parameters: [a, b]}")))
          .containsExactly("spec.postgres.parameters: expected a mapping, got a list");
    }

    @Test
    void aScalarWhereASectionBelongsIsATypeError() {
      assertThat(errors(spec("postgres: fifteen"))).containsExactly("spec.postgres: expected a mapping, got 'fifteen'");
      assertThat(errors(spec("postgres: \"\""))).containsExactly("spec.postgres: expected a mapping, got ''");
      assertThat(errors(spec("postgres: 15"))).containsExactly("spec.postgres: expected a mapping, got 15");
    }
  }

  @Nested
  class LoadBalancer {

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "256.0.0.1", "127.0.0", "127.0.0.01", "::1", "0.0.0.0.0"})
    void aBindAddressThatIsNotAnIpv4LiteralIsRejected(String address) {
      assertSingleError(spec("loadBalancer: {bindAddress: \"" + address + "\"}"),
          "spec.loadBalancer.bindAddress", "must be an IPv4 address");
    }

    @Test
    void theWildcardAddressIsAccepted() {
      assertThat(spec("loadBalancer: {bindAddress: 0.0.0.0}").report()).isEmpty();
    }

    @Test
    void portsOutside1To65535AreRejected() {
      ValidationResult r = spec("loadBalancer: {readWritePort: 0, readOnlyPort: 65536}");
      assertThat(errors(r)).containsExactly(
          "spec.loadBalancer.readWritePort: must be between 1 and 65535, got 0",
          "spec.loadBalancer.readOnlyPort: must be between 1 and 65535, got 65536");
    }

    @Test
    void theSamePortForBothListenersIsRejected() {
      assertThat(errors(spec("loadBalancer: {readWritePort: 6000, readOnlyPort: 6000}")))
          .containsExactly("spec.loadBalancer.readOnlyPort: clashes with readWritePort 6000");
    }

    @Test
    void aReadOnlyPortClashingWithTheDefaultReadWritePortIsRejected() {
      assertThat(errors(spec("loadBalancer: {readOnlyPort: 5432}")))
          .containsExactly("spec.loadBalancer.readOnlyPort: clashes with readWritePort 5432");
    }

    @Test
    void anUnknownReadOnlyModeIsRejected() {
      assertThat(errors(spec("loadBalancer: {readOnly: primary}")))
          .containsExactly("spec.loadBalancer.readOnly: must be one of all, replicas, got 'primary'");
    }

    @Test
    void aMaxReplicaLagThatIsNotASizeIsRejected() {
      assertSingleError(spec("loadBalancer: {maxReplicaLag: 16 MB}"), "spec.loadBalancer.maxReplicaLag", "not a size: '16 MB'");
    }

    @Test
    void anUnknownFieldIsAWarningWithItsFullPathAndNotAnError() {
      ValidationResult r = spec("loadBalancer: {foo: bar, readWritePort: 5432}");
      assertThat(r.ok()).isTrue();
      assertThat(r.errors()).isEmpty();
      assertThat(warnings(r)).containsExactly("spec.loadBalancer.foo: unknown field, ignored");
    }

    @Test
    void anUnknownFieldCloseToAKnownOneGetsASuggestion() {
      ValidationResult r = spec("loadBalancer: {readonlyPort: 6000}");
      assertThat(warnings(r)).containsExactly(
          "spec.loadBalancer.readonlyPort: unknown field, ignored (did you mean 'readOnlyPort'?)");
    }
  }

  @Nested
  class Replication {

    @Test
    void anUnknownModeIsRejected() {
      assertThat(errors(spec("replication: {mode: semisync}")))
          .containsExactly("spec.replication.mode: must be one of async, sync, got 'semisync'");
    }

    @Test
    void aMaximumLagOnFailoverThatIsNotASizeIsRejected() {
      assertSingleError(spec("replication: {maximumLagOnFailover: 16mb}"),
          "spec.replication.maximumLagOnFailover", "not a size");
    }

    @Test
    void syncWithASingleInstanceIsOnlyAWarning() {
      ValidationResult r = spec("instances: 1\nreplication: {mode: sync}");
      assertThat(r.ok()).isTrue();
      assertThat(r.warnings()).extracting(Problem::path).containsExactly("spec.replication.mode");
    }
  }

  @Nested
  class Placement {
    @Test
    void constraintsInSwarmsSyntaxAreValid() {
      ValidationResult r = spec("placement: {constraints: [node.labels.db==true, 'node.role != worker', node.hostname==db1],"
          + " oneMemberPerNode: false}");
      assertThat(r.errors()).as(r.report()).isEmpty();
    }

    @Test
    void aConstraintPgherdCannotReadIsRejectedWithItsIndex() {
      assertThat(errors(spec("placement: {constraints: [node.labels.db==true, db=true, engine.labels.ssd==true]}")))
          .containsExactly(
              "spec.placement.constraints[1]: 'db=true' is not a constraint: expected KEY==VALUE or KEY!=VALUE,"
                  + " e.g. node.labels.db==true",
              "spec.placement.constraints[2]: 'engine.labels.ssd==true': pgherd places by node.id, node.hostname,"
                  + " node.role and node.labels.<label>, not engine.labels.ssd");
      assertSingleError(spec("placement: {oneMemberPerNode: maybe}"), "spec.placement.oneMemberPerNode", "");
    }
  }

  @Nested
  class Tls {
    @Test
    void aFullTlsSectionIsValid() {
      ValidationResult r = spec("tls: {enabled: true, altNames: [db.example.test, '*.pg.example.test', 10.0.0.5],"
          + " certificateValidity: 720h, renewBefore: 24h}");
      assertThat(r.errors()).as(r.report()).isEmpty();
      assertThat(r.warnings()).isEmpty();
    }

    @Test
    void altNamesMustBeDnsNamesOrIpv4AddressesWithTheIndexInThePath() {
      assertThat(errors(spec("tls: {enabled: true, altNames: [ok.example, 'bad name', 'x;rm -rf /', '-dash.example']}")))
          .containsExactly(
              "spec.tls.altNames[1]: must be a DNS name (letters, digits, '-', dots; '*.' first for a wildcard)"
                  + " or an IPv4 address, got 'bad name'",
              "spec.tls.altNames[2]: must be a DNS name (letters, digits, '-', dots; '*.' first for a wildcard)"
                  + " or an IPv4 address, got 'x;rm -rf /'",
              "spec.tls.altNames[3]: must be a DNS name (letters, digits, '-', dots; '*.' first for a wildcard)"
                  + " or an IPv4 address, got '-dash.example'");
      assertThat(warnings(spec("tls: {enabled: true, altNames: [a.example, A.example]}")))
          .containsExactly("spec.tls.altNames[1]: duplicate of an earlier name: 'A.example'");
    }

    @Test
    void validityAndRenewBeforeAreBoundedDurationsAndRenewBeforeIsTheShorter() {
      assertThat(errors(spec("tls: {enabled: true, certificateValidity: 30s}")))
          .containsExactly("spec.tls.certificateValidity: must be between 1m and 87600h, got 30s");
      assertSingleError(spec("tls: {enabled: true, renewBefore: 7 days}"), "spec.tls.renewBefore", "not a duration");
      assertThat(errors(spec("tls: {enabled: true, certificateValidity: 1h, renewBefore: 2h}"))).containsExactly(
          "spec.tls.renewBefore: renewBefore (2h) must be shorter than certificateValidity (1h), or every"
              + " certificate would be renewed at once");
      // the default renewBefore (168h) against a short validity: the validity is what is wrong
      assertThat(errors(spec("tls: {enabled: true, certificateValidity: 24h}"))).containsExactly(
          "spec.tls.certificateValidity: renewBefore (168h) must be shorter than certificateValidity (24h), or every"
              + " certificate would be renewed at once");
    }

    @Test
    void settingsWithoutEnabledAreOnlyAWarning() {
      ValidationResult r = spec("tls: {altNames: [db.example.test]}");
      assertThat(r.ok()).isTrue();
      assertThat(warnings(r)).containsExactly("spec.tls.enabled: not true: the other spec.tls settings have no effect");
    }

    @Test
    void sslIsManagedByPgherd() {
      assertSingleError(spec("postgres: {parameters: {ssl: 'on'}}"), "spec.postgres.parameters.ssl", "managed by pgherd");
    }
  }

  @Nested
  class Failover {

    @Test
    void anIsolationTimeoutOutsideTwoSecondsToFiveMinutesIsRejected() {
      assertThat(errors(spec("failover: {isolationTimeout: 1s}")))
          .containsExactly("spec.failover.isolationTimeout: must be between 2s and 5m, got 1s");
      assertThat(errors(spec("failover: {isolationTimeout: 6m}")))
          .containsExactly("spec.failover.isolationTimeout: must be between 2s and 5m, got 6m");
      assertThat(errors(spec("failover: {isolationTimeout: soon}"))).hasSize(1)
          .allMatch(e -> e.startsWith("spec.failover.isolationTimeout: "));
      assertThat(errors(spec("failover: {isolationTimeout: 30s}"))).isEmpty();
    }

    @Test
    void aProbePeriodShorterThan500msIsRejected() {
      assertThat(errors(spec("failover: {probePeriod: 100ms}")))
          .containsExactly("spec.failover.probePeriod: must be between 500ms and 1m, got 100ms");
    }

    @Test
    void aProbePeriodLongerThanAMinuteIsRejected() {
      assertThat(errors(spec("failover: {probePeriod: 2m}")))
          .containsExactly("spec.failover.probePeriod: must be between 500ms and 1m, got 2m");
    }

    @Test
    void aProbePeriodThatIsNotADurationIsRejected() {
      assertSingleError(spec("failover: {probePeriod: two seconds}"), "spec.failover.probePeriod", "not a duration");
    }

    @Test
    void aFailureThresholdOutside1To20IsRejected() {
      assertThat(errors(spec("failover: {failureThreshold: 0}")))
          .containsExactly("spec.failover.failureThreshold: must be between 1 and 20, got 0");
      assertThat(errors(spec("failover: {failureThreshold: 21}")))
          .containsExactly("spec.failover.failureThreshold: must be between 1 and 20, got 21");
    }

    @Test
    void enabledMustBeTrueOrFalse() {
      assertThat(errors(spec("failover: {enabled: maybe}")))
          .containsExactly("spec.failover.enabled: expected true or false, got 'maybe'");
      assertThat(errors(spec("failover: {enabled: 1}")))
          .containsExactly("spec.failover.enabled: expected true or false, got 1");
    }
  }

  @Nested
  class Backup {

    @ParameterizedTest
    @ValueSource(strings = {"0 0 2 * * ?", "0 0/15 * ? * MON-FRI", "0 0 12 L * ?", "0 0 12 ? * 6#3",
        "0 0 12 15W * ? 2030", "0 30 1 ? * SUN,WED", "*/30 * * * * ?", "0 0 0 1 jan-mar ?",
        "0 0 3 ? * 6L", "0 15 10 L-2 * ?", "0 0 22-2 * * ?", "0 0 2 LW * ?"})
    void validQuartzSchedulesAreAccepted(String schedule) {
      ValidationResult r = spec("backup: {schedule: \"" + schedule + "\"}");
      assertThat(r.report()).isEmpty();
    }

    @Test
    void aUnixCronScheduleIsRejectedWithAHintAboutSeconds() {
      assertSingleError(spec("backup: {schedule: \"0 2 * * *\"}"), "spec.backup.schedule",
          "not a Quartz cron expression: expected 6 or 7 fields");
      assertThat(spec("backup: {schedule: \"0 2 * * *\"}").errors().get(0).message()).contains("starts with seconds");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0 0 2 * * *", "0 0 2 ? * ?", "0 0 24 * * ?", "60 0 2 * * ?", "0 0 2 32 * ?",
        "0 0 2 * 13 ?", "0 0 2 ? * 8", "0 0 2 * FOO ?", "0 0 2 * * ? 1969", "0 0 2 * * ? 2100",
        "0 0/0 2 * * ?", "0 0 2 ? * 6#6", "? 0 2 * * ?", "0 0 2 * * ? * *", "a b c d e f", "0,,1 0 2 * * ?",
        "0 0 2-x * * ?", "0 0 2 ? * MON#", ""})
    void invalidQuartzSchedulesAreRejected(String schedule) {
      assertSingleError(spec("backup: {schedule: \"" + schedule + "\"}"), "spec.backup.schedule",
          "not a Quartz cron expression");
    }

    @Test
    void aScheduleThatNeverFiresAgainIsRejected() {
      assertSingleError(spec("backup: {schedule: \"0 0 2 * * ? 2020\"}"), "spec.backup.schedule",
          "never fires after now");
    }

    @Test
    void compressionIsZstdGzipOrNone() {
      for (String ok : new String[] {"zstd", "gzip", "none"}) {
        assertThat(spec("backup: {compression: " + ok + "}").report()).isEmpty();
      }
      assertThat(errors(spec("backup: {compression: lz4}")))
          .containsExactly("spec.backup.compression: must be zstd, gzip or none, got 'lz4'");
    }

    @Test
    void aRetentionOutside1To1000IsRejected() {
      assertThat(errors(spec("backup: {retention: {fullBackups: 0}}")))
          .containsExactly("spec.backup.retention.fullBackups: must be between 1 and 1000, got 0");
      assertThat(errors(spec("backup: {retention: {fullBackups: 1001}}")))
          .containsExactly("spec.backup.retention.fullBackups: must be between 1 and 1000, got 1001");
    }

    @Test
    void bothS3AndFilesystemAreRejected() {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: pgherd}, filesystem: {path: /b}}}"),
          "spec.backup.objectStore", "at most one of s3 and filesystem");
    }

    @Test
    void s3WithoutBucketIsRejected() {
      assertSingleError(spec("backup: {objectStore: {s3: {region: us-east-1}}}"),
          "spec.backup.objectStore.s3.bucket", "required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"My_Bucket", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "-pg", "pg-", "p..g", "192.168.1.1",
        "xn--pg", "pg-s3alias", "p.-g"})
    void bucketsThatBreakS3NamingRulesAreRejected(String bucket) {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: \"" + bucket + "\"}}}"),
          "spec.backup.objectStore.s3.bucket", "not a valid bucket name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pgherd-backups", "my.backups-2024", "a1b"})
    void bucketsThatFollowS3NamingRulesAreAccepted(String bucket) {
      assertThat(spec("backup: {objectStore: {s3: {bucket: \"" + bucket + "\"}}}").report()).isEmpty();
    }

    @Test
    void aBucketShorterThanThreeCharactersIsOnlyAWarning() {
      ValidationResult r = spec("backup: {objectStore: {s3: {bucket: pg}}}");
      assertThat(r.ok()).isTrue();
      assertThat(r.warnings()).extracting(Problem::path).containsExactly("spec.backup.objectStore.s3.bucket");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1:9000", "127.0.0.1:9000", "http://", "not a url", "http://:9000"})
    void anEndpointThatIsNotAnHttpUrlIsRejected(String endpoint) {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: pgherd, endpoint: \"" + endpoint + "\"}}}"),
          "spec.backup.objectStore.s3.endpoint", "must be an http(s) URL");
    }

    @Test
    void anEndpointWithCredentialsInItIsRejected() {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: pgherd, endpoint: \"http://key:secret@127.0.0.1:9000\"}}}"),
          "spec.backup.objectStore.s3.endpoint", "must not contain credentials");
    }

    @Test
    void credentialEnvironmentVariableNamesMustLookLikeEnvironmentVariables() {
      ValidationResult r = spec("backup: {objectStore: {s3: {bucket: pgherd, credentials: "
          + "{accessKeyIdEnv: aws_key, secretAccessKeyEnv: \"AKIA/sec+ret\"}}}}");
      assertThat(r.errors()).extracting(Problem::path).containsExactly(
          "spec.backup.objectStore.s3.credentials.accessKeyIdEnv",
          "spec.backup.objectStore.s3.credentials.secretAccessKeyEnv");
      assertThat(r.errors()).allSatisfy(p -> assertThat(p.message()).contains("name of an environment variable"));
    }

    @Test
    void aSecretWrittenDirectlyInTheSpecIsAnErrorThatPointsToTheEnvFields() {
      ValidationResult r = spec("backup: {objectStore: {s3: {bucket: pgherd, credentials: "
          + "{accessKeyId: AKIAEXAMPLE, secretAccessKey: wJalrXUtnFEMI}}}}");
      assertThat(r.errors()).extracting(Problem::path).containsExactly(
          "spec.backup.objectStore.s3.credentials.accessKeyId",
          "spec.backup.objectStore.s3.credentials.secretAccessKey");
      assertThat(r.errors()).allSatisfy(p -> assertThat(p.message())
          .contains("accessKeyIdEnv/secretAccessKeyEnv").contains("file"));
      assertThat(r.report()).doesNotContain("wJalrXUtnFEMI").doesNotContain("AKIAEXAMPLE");
    }

    @Test
    void aSecretWrittenAtTheS3LevelIsAlsoAnError() {
      ValidationResult r = spec("backup: {objectStore: {s3: {bucket: pgherd, secretAccessKey: abc}}}");
      assertSingleError(r, "spec.backup.objectStore.s3.secretAccessKey", "secrets must not be written in the spec");
    }

    @Test
    void onlyOneOfTheTwoCredentialEnvVariablesIsRejected() {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: pgherd, credentials: {accessKeyIdEnv: A}}}}"),
          "spec.backup.objectStore.s3.credentials.secretAccessKeyEnv", "required together");
    }

    @Test
    void envVariablesAndAFileTogetherAreRejected() {
      assertSingleError(spec("backup: {objectStore: {s3: {bucket: pgherd, credentials: "
              + "{accessKeyIdEnv: A, secretAccessKeyEnv: B, file: /etc/pgherd/s3}}}}"),
          "spec.backup.objectStore.s3.credentials.file", "not both");
    }

    @Test
    void aRelativeFilesystemPathIsRejected() {
      assertSingleError(spec("backup: {objectStore: {filesystem: {path: backups}}}"),
          "spec.backup.objectStore.filesystem.path", "must be an absolute path");
    }

    @Test
    void aFilesystemWithoutPathIsRejected() {
      assertSingleError(spec("backup: {objectStore: {filesystem: {}}}"),
          "spec.backup.objectStore.filesystem.path", "required");
    }
  }

  @Nested
  class Bootstrap {

    @Test
    void recoveryWithoutASourceIsRejected() {
      assertSingleError(spec("bootstrap: {recovery: {target: {immediate: true}}}"),
          "spec.bootstrap.recovery.from", "required");
    }

    @Test
    void recoveryFromAnInvalidClusterNameIsRejected() {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: Demo_1}}}"),
          "spec.bootstrap.recovery.from.cluster", "must consist of lowercase letters");
      assertSingleError(spec("bootstrap: {recovery: {from: {}}}"), "spec.bootstrap.recovery.from.cluster", "required");
    }

    @Test
    void moreThanOneRecoveryTargetIsRejected() {
      assertThat(errors(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: \"635\", lsn: 0/3000060, immediate: true}}}")))
          .containsExactly("spec.bootstrap.recovery.target: at most one of time, xid, lsn, name, immediate may be set,"
              + " got xid, lsn, immediate");
    }

    @Test
    void immediateFalseDoesNotCountAsATarget() {
      assertThat(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: \"635\", immediate: false}}}").report())
          .isEmpty();
    }

    @Test
    void anXidThatIsNotDigitsIsRejected() {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: x635}}}"),
          "spec.bootstrap.recovery.target.xid", "must be a transaction id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999", "18446744073709551615", "9223372036854775808"})
    void anXidBeyondALongIsRejected(String xid) {
      // accepted before, then the restore planner's Long.parseLong threw NumberFormatException
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: \"" + xid + "\"}}}"),
          "spec.bootstrap.recovery.target.xid", "must be a transaction id (digits, at most 9223372036854775807)");
    }

    @Test
    void theLargestXidALongHoldsIsAccepted() {
      assertThat(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: \"9223372036854775807\"}}}")
          .report()).isEmpty();
    }

    @Test
    void aRestorePointNameWithALineBreakIsRejected() {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {name: \"a'\\nb\"}}}"),
          "spec.bootstrap.recovery.target.name", "must not contain line breaks or control characters");
    }

    @Test
    void anUnquotedXidIsAccepted() {
      assertThat(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {xid: 635}}}").report()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"3000060", "0/", "0/G0", "0/3000060/1", "123456789/0"})
    void anLsnThatIsNotHexSlashHexIsRejected(String lsn) {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {lsn: \"" + lsn + "\"}}}"),
          "spec.bootstrap.recovery.target.lsn", "must be a WAL location such as 0/3000060");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2024-05-01T10:00:00Z", "2024-05-01T10:00:00.123+02:00", "2024-05-01 10:00:00",
        "2024-05-01 10:00:00+02", "2024-05-01 10:00:00.5-05:30", "2024-05-01 10:00:00+0200"})
    void recoveryTimesInIsoOrPostgresFormatAreAccepted(String time) {
      assertThat(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {time: \"" + time + "\"}}}").report())
          .isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2024-05-01", "2024-05-01T10:00:00", "2024-13-01 10:00:00",
        "2024-02-30 10:00:00", "2024-05-01 25:00:00", "1714557600"})
    void recoveryTimesInAnyOtherFormatAreRejected(String time) {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {time: \"" + time + "\"}}}"),
          "spec.bootstrap.recovery.target.time", "must be a timestamp");
    }

    @Test
    void aRestorePointNameLongerThan63CharactersIsRejected() {
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {name: " + "n".repeat(64) + "}}}"),
          "spec.bootstrap.recovery.target.name", "1 to 63 characters");
      assertSingleError(spec("bootstrap: {recovery: {from: {cluster: demo}, target: {name: \"\"}}}"),
          "spec.bootstrap.recovery.target.name", "1 to 63 characters");
    }
  }

  @Nested
  class CollectingEverything {

    @Test
    void aSpecWithSeveralProblemsReportsThemAllAtOnce() {
      ValidationResult r = SpecValidator.parse("""
          apiVersion: pgherd.io/v1
          kind: PostgresCluster
          metadata:
            name: Bad_Name
          spec:
            instances: 0
            postgres:
              parameters:
                wal_level: minimal
            loadBalancer:
              bindAddress: localhost
              readWritePort: 70000
              readOnly: primary
            replication:
              mode: semisync
            failover:
              failureThreshold: 99
            backup:
              schedule: "0 2 * * *"
            bootstrap:
              recovery:
                target: { xid: abc }
          """);
      assertThat(r.errors()).extracting(Problem::path).containsExactlyInAnyOrder(
          "metadata.name",
          "spec.instances",
          "spec.postgres.parameters.wal_level",
          "spec.loadBalancer.bindAddress",
          "spec.loadBalancer.readWritePort",
          "spec.loadBalancer.readOnly",
          "spec.replication.mode",
          "spec.failover.failureThreshold",
          "spec.backup.schedule",
          "spec.bootstrap.recovery.from",
          "spec.bootstrap.recovery.target.xid");
    }

    @Test
    void aTypeErrorDoesNotStopTheOtherChecks() {
      ValidationResult r = spec("""
          instances: three
          loadBalancer:
            readWritePort: "not a port"
            readOnlyPort: 0
            unknown: 1
          failover:
            enabled: maybe
            failureThreshold: 0
          """);
      assertThat(errors(r)).containsExactlyInAnyOrder(
          "spec.instances: expected an integer, got 'three'",
          "spec.loadBalancer.readWritePort: expected an integer, got 'not a port'",
          "spec.loadBalancer.readOnlyPort: must be between 1 and 65535, got 0",
          "spec.failover.enabled: expected true or false, got 'maybe'",
          "spec.failover.failureThreshold: must be between 1 and 20, got 0");
      assertThat(warnings(r)).containsExactly("spec.loadBalancer.unknown: unknown field, ignored");
    }

    @Test
    void aTypeErrorOnASectionIsNotReportedAgainAsAMissingField() {
      ValidationResult r = SpecValidator.parse(HEADER + "spec: [1, 2]\n");
      assertThat(errors(r)).containsExactly("spec: expected a mapping, got a list");
    }

    @Test
    void anUnknownTopLevelFieldIsAWarningWithASuggestion() {
      ValidationResult r = SpecValidator.parse(HEADER + "spek:\n  instances: 3\n");
      assertThat(warnings(r)).containsExactly("spek: unknown field, ignored (did you mean 'spec'?)");
      assertThat(errors(r)).containsExactly("spec: required");
    }

    @Test
    void aCommonSynonymGetsASuggestion() {
      assertThat(warnings(spec("replicas: 3")))
          .containsExactly("spec.replicas: unknown field, ignored (did you mean 'instances'?)");
    }

    @Test
    void aDuplicateKeyIsAnErrorAtItsPath() {
      ValidationResult r = spec("instances: 3\ninstances: 2");
      assertThat(r.errors()).singleElement().satisfies(p -> {
        assertThat(p.path()).isEqualTo("spec.instances");
        assertThat(p.message()).startsWith("duplicate key").contains("line");
      });
    }
  }

  @Nested
  class HostileOrBrokenInput {

    @Test
    void malformedYamlIsOneErrorWithLineAndColumn() {
      ValidationResult r = SpecValidator.parse(HEADER + "spec:\n  instances: 3\n loadBalancer: x: y\n");
      assertThat(r.cluster()).isNull();
      assertThat(r.errors()).singleElement().satisfies(p -> {
        assertThat(p.path()).isEqualTo("(document)");
        assertThat(p.message()).startsWith("malformed YAML at line 7, column");
      });
    }

    @Test
    void aNulCharacterIsReportedWhereItIsNotAtLineOne() {
      // SnakeYAML refuses it without a place: it came out as "line 1, column 1"
      ValidationResult r = SpecValidator.parse(HEADER + "spec:\n  instances: 3\n  postgres: {image: \"pg\u0000\"}\n");
      assertThat(r.cluster()).isNull();
      assertThat(errors(r)).containsExactly("(document): malformed YAML at line 7, column 24: character U+0000 is"
          + " not allowed in YAML (control characters other than tab and line breaks, unpaired surrogates,"
          + " U+FFFE and U+FFFF)");
    }

    @Test
    void anUnpairedSurrogateAndAnEscapeCharacterAreReportedWithTheirPlace() {
      assertThat(errors(SpecValidator.parse(HEADER + "spec: {}\n# \uD800\n")))
          .singleElement().asString().startsWith("(document): malformed YAML at line 6, column 3: character U+D800");
      assertThat(errors(SpecValidator.parse(HEADER + "spec:\r\n  instances: \u001b[31m3\n")))
          .singleElement().asString().startsWith("(document): malformed YAML at line 6, column 14: character U+001B");
    }

    @Test
    void valuesAndKeysInMessagesCannotActOnATerminal() {
      // a right-to-left override, a zero-width space, a line separator: echoed as '?'
      ValidationResult r = SpecValidator.parse(HEADER.replace("name: demo", "name: \"de\u202Emo\u200B\"")
          + "spec:\n  postgres:\n    parameters:\n      \"bad\\e[2Jkey\\u2028\": \"1\"\n");
      assertThat(errors(r)).containsExactlyInAnyOrder(
          "metadata.name: must consist of lowercase letters, digits and '-', and start and end with a letter"
              + " or digit, got 'de?mo?'",
          "spec.postgres.parameters.bad?[2Jkey?: not a PostgreSQL parameter name (lowercase letters, digits, '_'"
              + " and '.')");
    }

    @Test
    void anUnterminatedQuoteIsMalformedYaml() {
      ValidationResult r = SpecValidator.parse(HEADER + "spec:\n  postgres: {image: \"pg}\n");
      assertThat(errors(r)).singleElement().asString().startsWith("(document): malformed YAML at line");
    }

    @Test
    void tabIndentationIsMalformedYaml() {
      ValidationResult r = SpecValidator.parse(HEADER + "spec:\n\tinstances: 3\n");
      assertThat(errors(r)).singleElement().asString().contains("malformed YAML").contains("TAB");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   \n", "# only a comment\n", "---\n", "~\n", "null\n"})
    void anEmptyDocumentIsAnError(String text) {
      ValidationResult r = SpecValidator.parse(text);
      assertThat(errors(r)).singleElement().asString().startsWith("(document): empty document");
    }

    @Test
    void aNullStringIsAnEmptyDocument() {
      assertThat(errors(SpecValidator.parse(null))).singleElement().asString().startsWith("(document): empty document");
    }

    @Test
    void aDocumentThatIsAListIsAnError() {
      assertThat(errors(SpecValidator.parse("- a\n- b\n")))
          .containsExactly("(document): expected a mapping (apiVersion, kind, metadata, spec), got a list");
    }

    @Test
    void aDocumentThatIsAScalarIsAnError() {
      assertThat(errors(SpecValidator.parse("hello\n")))
          .containsExactly("(document): expected a mapping (apiVersion, kind, metadata, spec), got 'hello'");
    }

    @Test
    void aSecondDocumentIsAnError() {
      ValidationResult r = SpecValidator.parse(HEADER + "spec: {}\n---\n" + HEADER + "spec: {}\n");
      assertThat(errors(r)).singleElement().asString().contains("more than one YAML document");
    }

    @Test
    void aTrailingDocumentMarkerIsFine() {
      assertThat(SpecValidator.parse("---\n" + HEADER + "spec: {}\n---\n").report()).isEmpty();
    }

    @Test
    void aDocumentOverOneMebibyteIsRefused() {
      String big = HEADER + "spec: {}\n" + ("# " + "x".repeat(98) + "\n").repeat(11_000);
      ValidationResult r = SpecValidator.parse(big);
      assertThat(r.cluster()).isNull();
      assertThat(errors(r)).singleElement().asString().startsWith("(document): the spec is " + big.length()
          + " bytes; at most 1048576 (1 MiB) are read");
    }

    @Test
    void aTenMegabyteDocumentIsRefusedWithItsSizeQuickly() {
      String big = HEADER + "spec: {}\n# " + "x".repeat(10 * 1024 * 1024) + "\n";
      long start = System.nanoTime();
      ValidationResult r = SpecValidator.parse(big);
      assertThat(errors(r)).containsExactly("(document): the spec is " + big.length()
          + " bytes; at most 1048576 (1 MiB) are read: a cluster spec is a few hundred bytes");
      assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
    }

    @Test
    void aDocumentOverOneMebibyteOfMultibyteCharactersIsRefused() {
      String big = HEADER + "spec: {}\n# " + "é".repeat(600_000) + "\n";
      assertThat(errors(SpecValidator.parse(big))).singleElement().asString()
          .contains("the spec is " + big.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + " bytes; at most 1048576");
    }

    @Test
    void aYamlAliasBombIsRefusedQuickly() {
      StringBuilder bomb = new StringBuilder(HEADER + "spec: {}\nlol0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
      for (int i = 1; i < 10; i++) {
        bomb.append("lol").append(i).append(": &a").append(i).append(" [");
        for (int j = 0; j < 9; j++) {
          bomb.append(j == 0 ? "" : ",").append("*a").append(i - 1);
        }
        bomb.append("]\n");
      }
      long start = System.nanoTime();
      ValidationResult r = SpecValidator.parse(bomb.toString());
      assertThat(System.nanoTime() - start).isLessThan(5_000_000_000L);
      assertThat(r.ok()).isFalse();
      assertThat(errors(r)).singleElement().asString()
          .startsWith("(document): YAML aliases (*a0) are not supported, at line 7");
    }

    @Test
    void evenASingleAliasIsRefusedBecauseItWouldBeMisread() {
      ValidationResult r = spec("postgres: {image: &img \"pgherd/postgres:15\"}\nbackup: {schedule: *img}");
      assertThat(errors(r)).singleElement().asString().contains("YAML aliases (*img) are not supported");
    }

    @Test
    void deepNestingIsRefused() {
      String deep = HEADER + "spec: {}\nx: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
      ValidationResult r = SpecValidator.parse(deep);
      assertThat(errors(r)).singleElement().asString().startsWith("(document): nested deeper than 32 levels");
    }

    @Test
    void controlCharactersAndOddScalarsNeverEscapeAsExceptions() {
      for (String odd : List.of("\u0000", "!!binary aGVsbG8=", "!!java.lang.Runtime {}", "*", "&", "{", "[",
          "? complex\n: key", "\"\\u0000\"", "1e99999", "0x1F", ".inf", "-.nan", "2024-01-01", "!!int x")) {
        ValidationResult r = spec("instances: " + odd);
        assertThat(r).isNotNull();
        assertThat(r.ok()).as(odd).isFalse();
      }
    }
  }

  @Nested
  class Immutability {

    @Test
    void validationNeverWritesDefaultsBackIntoTheSpec() throws Exception {
      ValidationResult parsed = SpecValidator.parse(HEADER + "spec:\n  loadBalancer: {readOnlyPort: 6000}\n");
      PostgresCluster cluster = parsed.cluster();
      ObjectMapper json = new ObjectMapper();
      String before = json.writeValueAsString(cluster);
      ValidationResult again = SpecValidator.validate(cluster);
      assertThat(again.ok()).isTrue();
      assertThat(json.writeValueAsString(cluster)).isEqualTo(before);
      assertThat(cluster.getSpec().getInstances()).isNull();
      assertThat(cluster.getSpec().getLoadBalancer().getReadWritePort()).isNull();
      assertThat(cluster.getSpec().getPostgres()).isNull();
      ClusterConfig.from(cluster);
      assertThat(json.writeValueAsString(cluster)).isEqualTo(before);
    }

    @Test
    void validatingAnInvalidClusterDoesNotChangeIt() throws Exception {
      PostgresCluster cluster = SpecValidator.parse(FULL).cluster();
      cluster.getSpec().setInstances(0);
      cluster.getSpec().getPostgres().getParameters().put("port", "1");
      ObjectMapper json = new ObjectMapper();
      String before = json.writeValueAsString(cluster);
      assertThat(SpecValidator.validate(cluster).ok()).isFalse();
      assertThat(json.writeValueAsString(cluster)).isEqualTo(before);
    }
  }

  @Nested
  class ValidatingObjects {

    @Test
    void aClusterBuiltInCodeIsValidated() {
      PostgresCluster c = new PostgresCluster();
      c.setMetadata(new ObjectMeta());
      c.getMetadata().setName("built");
      c.setSpec(new PostgresClusterSpec());
      c.getSpec().setInstances(2);
      assertThat(SpecValidator.validate(c).report()).isEmpty();
      assertThat(c.getApiVersion()).isEqualTo("pgherd.io/v1");
      assertThat(c.getKind()).isEqualTo("PostgresCluster");
    }

    @Test
    void aNullClusterIsAnErrorNotAnException() {
      ValidationResult r = SpecValidator.validate(null);
      assertThat(r.ok()).isFalse();
      assertThat(r.errors()).hasSize(1);
    }

    @Test
    void nullsInsideACodeBuiltClusterAreReportedNotThrown() {
      PostgresCluster c = new PostgresCluster();
      c.getMetadata().setName("x");
      c.setSpec(new PostgresClusterSpec());
      c.getSpec().setPostgres(new PostgresSpec());
      Map<String, String> params = new LinkedHashMap<>();
      params.put(null, "x");
      params.put("work_mem", null);
      c.getSpec().setPostgres(new PostgresSpec());
      c.getSpec().getPostgres().setParameters(params);
      c.getSpec().setBackup(new BackupSpec());
      c.getSpec().getBackup().setObjectStore(new ObjectStoreSpec());
      c.getSpec().getBackup().getObjectStore().setS3(new S3Spec());
      c.getSpec().setBootstrap(new BootstrapSpec());
      c.getSpec().getBootstrap().setRecovery(new RecoverySpec());
      c.getSpec().getBootstrap().getRecovery().setTarget(new RecoveryTargetSpec());
      ValidationResult r = SpecValidator.validate(c);
      assertThat(r.errors()).extracting(Problem::path).containsExactly(
          "spec.postgres.parameters.null", "spec.postgres.parameters.work_mem",
          "spec.backup.objectStore.s3.bucket", "spec.bootstrap.recovery.from");
    }

    @Test
    void theReportListsErrorsThenWarnings() {
      ValidationResult r = spec("instances: 0\nfoo: 1");
      assertThat(r.report()).isEqualTo(
          "error: spec.instances: must be between 1 and 9, got 0\nwarning: spec.foo: unknown field, ignored\n");
    }
  }
}
