package io.pgherd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.pgherd.api.ClusterConfig;
import io.pgherd.api.PostgresClusterStatus;
import io.pgherd.api.SpecValidator;
import io.pgherd.api.ValidationResult;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.DockerUnavailableException;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.store.Home;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "apply", description = "Validate a spec and store it; the operator converges the cluster to it.")
final class ApplyCommand implements Callable<Integer> {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  @Mixin HomeOption home;

  @Option(names = {"-f", "--filename"}, required = true, description = "the PostgresCluster spec (YAML)")
  Path file;

  @Option(names = "--wait", description = "wait until the cluster is Healthy at this generation")
  boolean waitHealthy;

  @Option(names = "--timeout", defaultValue = "600", description = "seconds to wait with --wait (default ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    Applied applied = apply(home.home(), file, System.out, System.err);
    System.out.println("postgrescluster/" + applied.name() + " " + applied.outcome());
    if (waitHealthy) {
      waitHealthy(home.home(), applied.name(), applied.generation(), Duration.ofSeconds(timeoutSeconds), System.err);
    }
    return 0;
  }

  record Applied(String name, String outcome, long generation) {}

  /**
   * Validates {@code file} and stores it with a generation: "created", "configured" (the spec
   * changed: generation + 1) or "unchanged". A bad spec changes nothing.
   */
  static Applied apply(Home home, Path file, PrintStream out, PrintStream err) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new Main.UserError("cannot read " + file + ": "
          + (Files.isDirectory(file) ? "a directory, not a file" : Files.exists(file) ? "not a regular file" : "no such file"), 2);
    }
    String text = readSpecFile(file);
    ValidationResult v = SpecValidator.parse(text);
    v.warnings().forEach(w -> err.println("warning: " + w));
    if (!v.ok()) {
      StringBuilder msg = new StringBuilder("the spec in " + file + " is invalid; nothing was changed:");
      v.errors().forEach(e -> msg.append("\n  ").append(e));
      throw new Main.UserError(msg.toString(), 2);
    }
    String name = v.cluster().getMetadata().getName();
    checkImage(ClusterConfig.from(v.cluster()).image(), err);
    ObjectNode tree = (ObjectNode) YAML.readTree(text);
    ObjectNode metadata = (ObjectNode) tree.get("metadata");
    Optional<String> stored = home.readSpec(name);
    String outcome;
    long generation;
    if (stored.isEmpty()) {
      outcome = "created";
      generation = 1;
    } else {
      JsonNode old = YAML.readTree(stored.get());
      long oldGeneration = old.path("metadata").path("generation").asLong(0);
      JsonNode oldComparable = comparable(old);
      if (oldComparable.equals(comparable(tree))) {
        return new Applied(name, "unchanged", oldGeneration);
      }
      outcome = "configured";
      generation = oldGeneration + 1;
    }
    metadata.put("generation", generation);
    home.writeSpec(name, YAML.writeValueAsString(tree));
    return new Applied(name, outcome, generation);
  }

  /**
   * The spec file as text: refused before it is read when it is larger than a spec can be, and
   * refused with the place of the first bad byte when it is not UTF-8.
   */
  static String readSpecFile(Path file) throws IOException {
    long size = Files.size(file);
    if (size > SpecValidator.MAX_DOCUMENT_BYTES) {
      throw new Main.UserError("the spec in " + file + " is invalid; nothing was changed:\n  "
          + SpecValidator.DOCUMENT + ": " + SpecValidator.tooLarge(size), 2);
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (java.nio.file.AccessDeniedException e) {
      throw new Main.UserError("cannot read " + file + ": permission denied", 2);
    } catch (IOException e) {
      throw new Main.UserError("cannot read " + file + ": " + e.getMessage(), 2);
    }
    if (bytes.length > SpecValidator.MAX_DOCUMENT_BYTES) { // it grew while being read
      throw new Main.UserError("the spec in " + file + " is invalid; nothing was changed:\n  "
          + SpecValidator.DOCUMENT + ": " + SpecValidator.tooLarge(bytes.length), 2);
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int offset = in.position();
      int line = 1;
      int lineStart = 0;
      for (int i = 0; i < offset; i++) {
        if (bytes[i] == '\n') {
          line++;
          lineStart = i + 1;
        }
      }
      throw new Main.UserError(String.format(java.util.Locale.ROOT, "the spec in %s is invalid; nothing was"
          + " changed:\n  %s: not UTF-8 text: byte 0x%02X at line %d, column %d (byte %d of the file)",
          file, SpecValidator.DOCUMENT, bytes[offset] & 0xff, line, offset - lineStart + 1, offset), 2);
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  /** The parts of a stored spec that count as a change: everything but the generation. */
  private static JsonNode comparable(JsonNode tree) {
    JsonNode copy = tree.deepCopy();
    if (copy.get("metadata") instanceof ObjectNode m) {
      m.remove("generation");
    }
    return copy;
  }

  /** A spec naming an image that pgherd does not build must name one the engine has. */
  private static void checkImage(String image, PrintStream err) {
    if (ImageBuilder.builds(image)) {
      return;
    }
    try (DockerGateway docker = DockerGateway.connect()) {
      if (!docker.imageExists(image)) {
        throw new Main.UserError("spec.postgres.image: image '" + image
            + "' is not in the Docker engine and pgherd only builds " + ClusterConfig.DEFAULT_IMAGE
            + "; nothing was changed", 2);
      }
    } catch (DockerUnavailableException e) {
      err.println("warning: spec.postgres.image: cannot check that " + image + " exists: " + e.getMessage());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits for phase Healthy with observedGeneration ≥ generation, printing phase changes. */
  static void waitHealthy(Home home, String name, long generation, Duration timeout, PrintStream out)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    String last = null;
    while (Instant.now().isBefore(deadline)) {
      Optional<PostgresClusterStatus> s = home.readStatus(name);
      if (s.isPresent()) {
        PostgresClusterStatus st = s.get();
        String line = st.getPhase() + (st.getMessage() == null ? "" : ": " + st.getMessage());
        if (!line.equals(last)) {
          out.println(name + ": " + line);
          last = line;
        }
        if ("Healthy".equals(st.getPhase()) && st.getObservedGeneration() != null
            && st.getObservedGeneration() >= generation) {
          return;
        }
      }
      Thread.sleep(500);
    }
    throw new Main.UserError("timed out after " + timeout.toSeconds() + "s waiting for " + name
        + " to become Healthy (is `pgherd operator` running on " + home.root() + "?)", 1);
  }
}
