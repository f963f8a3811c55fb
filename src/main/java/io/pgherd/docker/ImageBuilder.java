package io.pgherd.docker;

import io.pgherd.api.ClusterConfig;
import io.pgherd.model.Names;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Builds pgherd's images from the Dockerfiles under operator/ by running
 * operator/build-images.sh (which first seeds a Debian base image when none can be pulled).
 * Docker's build cache makes a run with nothing changed take seconds.
 */
public final class ImageBuilder {
  private final Path repo;

  public ImageBuilder(Path repo) {
    this.repo = repo;
  }

  /**
   * The directory holding operator/build-images.sh: $PGHERD_REPO, else the directory above the
   * running jar (target/pgherd.jar → the checkout), else the working directory.
   */
  public static Optional<ImageBuilder> locate() {
    String env = System.getenv("PGHERD_REPO");
    if (env != null && !env.isBlank() && isRepo(Path.of(env))) {
      return Optional.of(new ImageBuilder(Path.of(env)));
    }
    try {
      Path jar = Path.of(ImageBuilder.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = jar.getParent(); p != null; p = p.getParent()) {
        if (isRepo(p)) {
          return Optional.of(new ImageBuilder(p));
        }
      }
    } catch (java.net.URISyntaxException | SecurityException e) {
      // fall through to the working directory
    }
    Path cwd = Path.of("").toAbsolutePath();
    return isRepo(cwd) ? Optional.of(new ImageBuilder(cwd)) : Optional.empty();
  }

  private static boolean isRepo(Path dir) {
    return Files.isRegularFile(dir.resolve("operator/build-images.sh"));
  }

  /** True for the images this builder makes (others must exist in the engine already). */
  public static boolean builds(String image) {
    return ClusterConfig.DEFAULT_IMAGE.equals(image) || Names.LB_IMAGE.equals(image);
  }

  public Path script() {
    return repo.resolve("operator/build-images.sh");
  }

  /** Runs the build, passing each output line to {@code progress}; throws when it fails. */
  public void build(Consumer<String> progress) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", script().toString()).directory(repo.toFile())
        .redirectErrorStream(true);
    Process process = pb.start();
    StringBuilder tail = new StringBuilder();
    try (BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        progress.accept(line);
        tail.append(line).append('\n');
        if (tail.length() > 4000) {
          tail.delete(0, tail.length() - 4000);
        }
      }
    }
    int rc = process.waitFor();
    if (rc != 0) {
      throw new IOException(script() + " failed with exit code " + rc + "; last output:\n" + tail);
    }
  }
}
