package io.pgherd.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CrdIsCurrentTest {

  static final String FILE = "postgresclusters.pgherd.io-v1.yml";
  static final Path GENERATED = Path.of("target/classes/META-INF/fabric8").resolve(FILE);
  static final Path COMMITTED = Path.of("crds").resolve(FILE);
  static final String HOW_TO_FIX = "crds/ is stale: run `mvn -q process-classes && cp "
      + "target/classes/META-INF/fabric8/postgresclusters.pgherd.io-v1.yml crds/`";

  @Test
  void theCommittedCrdMatchesTheOneGeneratedFromTheJavaTypes() throws IOException {
    assertThat(GENERATED).as("the CRD generator did not run (it runs at process-classes); " + HOW_TO_FIX)
        .isRegularFile();
    assertThat(COMMITTED).as(HOW_TO_FIX).isRegularFile();
    String generated = Files.readString(GENERATED, StandardCharsets.UTF_8);
    String committed = Files.readString(COMMITTED, StandardCharsets.UTF_8);
    assertThat(committed).as(HOW_TO_FIX).isEqualTo(generated);
  }

  @Test
  void theCrdHasTheStatusSubresourceAndTheSpecSchema() throws IOException {
    String crd = Files.readString(COMMITTED, StandardCharsets.UTF_8);
    assertThat(crd)
        .contains("name: \"postgresclusters.pgherd.io\"")
        .contains("kind: \"PostgresCluster\"")
        .contains("scope: \"Namespaced\"")
        .contains("subresources:\n      status: {}")
        .contains("instances:")
        .contains("maximumLagOnFailover:")
        .contains("secretAccessKeyEnv:")
        .doesNotContain("x-kubernetes-preserve-unknown-fields");
  }
}
