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
}
