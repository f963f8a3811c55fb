package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestsTest {

  static final Path MANIFESTS = Path.of("manifests");

  static Stream<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(MANIFESTS)) {
      List<Path> list = files.filter(Files::isRegularFile).sorted().toList();
      return list.stream();
    }
  }

  @Test
  void theExpectedExamplesExist() {
    assertThat(MANIFESTS.resolve("demo.yaml")).isRegularFile();
    assertThat(MANIFESTS.resolve("minimal.yaml")).isRegularFile();
    assertThat(MANIFESTS.resolve("sync.yaml")).isRegularFile();
    assertThat(MANIFESTS.resolve("s3-backup.yaml")).isRegularFile();
    assertThat(MANIFESTS.resolve("pitr-restore.yaml")).isRegularFile();
    assertThat(MANIFESTS.resolve("tls.yaml")).isRegularFile();
  }

  /** Every entry of manifests/ is a *.yaml spec, so the parameterized tests below see all of them. */
  @Test
  void theDirectoryHoldsOnlyYamlSpecs() throws IOException {
    List<Path> all;
    try (Stream<Path> entries = Files.list(MANIFESTS)) {
      all = entries.sorted().toList();
    }
    assertThat(all).isNotEmpty().containsExactlyElementsOf(manifests().toList());
    assertThat(all).allSatisfy(f -> assertThat(f.getFileName().toString()).endsWith(".yaml"));
  }

  /** The validation the examples pass is not vacuous: a broken copy of one is refused, by field path. */
  @Test
  void aBrokenCopyOfAnExampleIsRefusedWithTheFieldPath() throws IOException {
    String good = Files.readString(MANIFESTS.resolve("s3-backup.yaml"), StandardCharsets.UTF_8);
    String broken = good.replace("fullBackups: 7", "fullBackups: 0");
    assertThat(broken).isNotEqualTo(good);
    ValidationResult r = SpecValidator.parse(broken);
    assertThat(r.ok()).isFalse();
    assertThat(r.errors()).extracting(Problem::toString)
        .containsExactly("spec.backup.retention.fullBackups: must be between 1 and 1000, got 0");
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void everyExampleIsValidWithoutWarnings(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    ValidationResult r = SpecValidator.parse(text);
    assertThat(r.errors()).as(file + "\n" + r.report()).isEmpty();
    assertThat(r.warnings()).as(file + "\n" + r.report()).isEmpty();
    assertThat(r.ok()).isTrue();
  }

  @ParameterizedTest
  @MethodSource("manifests")
  void everyExampleStartsWithACommentSayingWhatItShows(Path file) throws IOException {
    String first = Files.readAllLines(file, StandardCharsets.UTF_8).get(0);
    assertThat(first).startsWith("# ").hasSizeGreaterThan(20);
  }

  @Test
  void theExamplesCanRunSideBySide() throws IOException {
    List<ClusterConfig> configs = manifests()
        .map(f -> {
          try {
            return ClusterConfig.from(SpecValidator.parse(Files.readString(f)).cluster());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        })
        .toList();
    List<Integer> ports = configs.stream()
        .flatMap(c -> Stream.of(c.readWritePort(), c.readOnlyPort())).toList();
    assertThat(ports).doesNotHaveDuplicates();
    assertThat(configs.stream().map(ClusterConfig::name).toList()).doesNotHaveDuplicates();
  }

  @Test
  void theDemoIsTheQuickStartCluster() throws IOException {
    ClusterConfig demo = ClusterConfig.from(SpecValidator.parse(Files.readString(MANIFESTS.resolve("demo.yaml"))).cluster());
    assertThat(demo.name()).isEqualTo("demo");
    assertThat(demo.instances()).isEqualTo(3);
    assertThat(demo.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(demo.readWritePort()).isEqualTo(5432);
    assertThat(demo.readOnlyPort()).isEqualTo(5433);
    assertThat(demo.readOnly()).isEqualTo(ClusterConfig.ReadOnlyMode.ALL);
    assertThat(demo.replicationMode()).isEqualTo(ClusterConfig.ReplicationMode.ASYNC);
  }

  @Test
  void theSyncExampleUsesSynchronousReplication() throws IOException {
    ClusterConfig sync = ClusterConfig.from(SpecValidator.parse(Files.readString(MANIFESTS.resolve("sync.yaml"))).cluster());
    assertThat(sync.instances()).isEqualTo(3);
    assertThat(sync.replicationMode()).isEqualTo(ClusterConfig.ReplicationMode.SYNC);
  }

  @Test
  void theS3ExampleBacksUpOnAScheduleWithCredentialsFromAFile() throws IOException {
    PostgresCluster cluster = SpecValidator.parse(Files.readString(MANIFESTS.resolve("s3-backup.yaml"))).cluster();
    BackupConfig backup = BackupConfig.from(cluster).orElseThrow();
    assertThat(backup.schedule()).isEqualTo("0 0 2 * * ?");
    assertThat(backup.fullBackups()).isEqualTo(7);
    assertThat(backup.compression()).isEqualTo(Compression.ZSTD);
    assertThat(backup.store()).isInstanceOfSatisfying(BackupConfig.S3.class, s3 -> {
      assertThat(s3.bucket()).isEqualTo("pgherd-backups");
      assertThat(s3.pathStyle()).isTrue();
      assertThat(s3.credentialsFile()).isEqualTo("/etc/pgherd/s3-credentials");
      assertThat(s3.accessKeyIdEnv()).isNull();
      assertThat(s3.secretAccessKeyEnv()).isNull();
    });
  }

  @Test
  void thePitrExampleRestoresTheS3ExampleToATimeFromTheSameStore() throws IOException {
    PostgresCluster source = SpecValidator.parse(Files.readString(MANIFESTS.resolve("s3-backup.yaml"))).cluster();
    PostgresCluster copy = SpecValidator.parse(Files.readString(MANIFESTS.resolve("pitr-restore.yaml"))).cluster();
    RecoverySpec recovery = copy.getSpec().getBootstrap().getRecovery();
    assertThat(recovery.getFrom().getCluster()).isEqualTo(source.getMetadata().getName());
    assertThat(recovery.getTarget().getTime()).isNotBlank();
    assertThat(BackupConfig.from(copy).orElseThrow().store())
        .isEqualTo(BackupConfig.from(source).orElseThrow().store());
  }
}
