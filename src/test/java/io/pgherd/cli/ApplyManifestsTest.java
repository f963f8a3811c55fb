package io.pgherd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.store.Home;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file in manifests/ goes through what {@code pgherd apply -f FILE} does
 * ({@link ApplyCommand#apply}: the spec validation, the image check, storing the spec) into an
 * empty home, and is accepted without a warning. The examples use the image pgherd builds, so the
 * image check needs no Docker engine.
 */
class ApplyManifestsTest {

  static final Path MANIFESTS = Path.of("manifests");

  @TempDir Path tmp;

  @Test
  void everyFileInManifestsIsAcceptedByApply() throws IOException {
    List<Path> files;
    try (Stream<Path> entries = Files.list(MANIFESTS)) {
      files = entries.sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(5);
    Home home = new Home(tmp.resolve("home"));
    List<String> names = new ArrayList<>();
    for (Path file : files) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ApplyCommand.Applied applied = apply(home, file, err);
      assertThat(applied.outcome()).as(file.toString()).isEqualTo("created");
      assertThat(err.toString(StandardCharsets.UTF_8)).as(file + ": warnings").isEmpty();
      assertThat(home.readSpec(applied.name())).as(file.toString()).isPresent();
      names.add(applied.name());
    }
    // one stored spec per file: none was skipped, none overwrote another
    try (Stream<Path> stored = Files.list(home.root().resolve("clusters"))) {
      assertThat(stored.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrderElementsOf(names.stream().map(n -> n + ".yaml").toList());
    }
    assertThat(names).hasSameSizeAs(files).doesNotHaveDuplicates();
  }

  @Test
  void aBrokenCopyOfAManifestIsRefusedByApplyWithTheFieldPathAndNothingIsStored() throws IOException {
    String good = Files.readString(MANIFESTS.resolve("demo.yaml"), StandardCharsets.UTF_8);
    String broken = good.replace("instances: 3", "instances: 0");
    assertThat(broken).isNotEqualTo(good);
    Path copy = tmp.resolve("broken-demo.yaml");
    Files.writeString(copy, broken, StandardCharsets.UTF_8);
    Home home = new Home(tmp.resolve("home"));

    assertThatThrownBy(() -> apply(home, copy, new ByteArrayOutputStream()))
        .isInstanceOfSatisfying(Main.UserError.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("nothing was changed")
        .hasMessageContaining("spec.instances: must be between 1 and 9, got 0");
    assertThat(home.readSpec("demo")).isEmpty();
  }

  @Test
  void aFileThatIsNotUtf8IsRefusedWithThePlaceOfTheBadByteAndNothingIsStored() throws IOException {
    byte[] good = Files.readAllBytes(MANIFESTS.resolve("demo.yaml"));
    String text = new String(good, StandardCharsets.UTF_8);
    int at = text.indexOf("kind:");
    int line = (int) text.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
    byte[] bad = new byte[good.length + 1];
    System.arraycopy(good, 0, bad, 0, at);
    bad[at] = (byte) 0xff;
    System.arraycopy(good, at, bad, at + 1, good.length - at);
    Path copy = tmp.resolve("binary.yaml");
    Files.write(copy, bad);
    Home home = new Home(tmp.resolve("home"));

    assertThatThrownBy(() -> apply(home, copy, new ByteArrayOutputStream()))
        .isInstanceOfSatisfying(Main.UserError.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("nothing was changed")
        .hasMessageContaining("(document): not UTF-8 text: byte 0xFF at line " + line + ", column 1 (byte " + at);
    assertThat(home.root()).doesNotExist();
  }

  @Test
  void aTenMegabyteFileIsRefusedWithItsSizeBeforeItIsRead() throws IOException {
    Path big = tmp.resolve("big.yaml");
    try (var out = Files.newOutputStream(big)) {
      out.write(Files.readAllBytes(MANIFESTS.resolve("demo.yaml")));
      byte[] comment = ("# " + "x".repeat(1021) + "\n").getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 10 * 1024; i++) {
        out.write(comment);
      }
    }
    Home home = new Home(tmp.resolve("home"));

    assertThatThrownBy(() -> apply(home, big, new ByteArrayOutputStream()))
        .isInstanceOfSatisfying(Main.UserError.class, e -> assertThat(e.exitCode()).isEqualTo(2))
        .hasMessageContaining("(document): the spec is " + Files.size(big) + " bytes; at most 1048576 (1 MiB)");
    assertThat(home.root()).doesNotExist();
  }

  private static ApplyCommand.Applied apply(Home home, Path file, ByteArrayOutputStream err) throws IOException {
    try (PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return ApplyCommand.apply(home, file, out, e);
    }
  }
}
