package io.pgherd.reconcile;

import io.pgherd.docker.ImageBuilder;
import io.pgherd.runtime.ContainerRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images a cluster's containers need, for the operator: present, or (pgherd's own) built in
 * the background by operator/build-images.sh, one build at a time, its progress and its failure
 * reported in the meantime.
 */
final class ImageBuilds implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageBuilds.class);

  private final ContainerRuntime docker;
  private final Optional<ImageBuilder> builder;
  private final ExecutorService buildExecutor = Executors.newSingleThreadExecutor(r -> Operator.daemon(r, "pgherd-image-build"));
  private final Map<String, Future<?>> builds = new ConcurrentHashMap<>();
  private final Map<String, String> buildFailures = new ConcurrentHashMap<>();

  ImageBuilds(ContainerRuntime docker, Optional<ImageBuilder> builder) {
    this.docker = docker;
    this.builder = builder;
  }

  /** Image present → empty. pgherd's own images missing → build in the background. */
  Optional<String> ensureImage(String image) {
    if (docker.imageExists(image)) {
      buildFailures.remove(image);
      return Optional.empty();
    }
    if (!ImageBuilder.builds(image)) {
      return Optional.of("image " + image + " is not in the Docker engine; pull or build it");
    }
    if (builder.isEmpty()) {
      return Optional.of("image " + image + " is missing and operator/build-images.sh cannot be found: "
          + "run `pgherd images build` from the pgherd checkout");
    }
    String failure = buildFailures.get(image);
    Future<?> build = builds.computeIfAbsent("all", k -> buildExecutor.submit(() -> {
      try {
        LOG.info("building images with {}", builder.get().script());
        buildStarted = System.nanoTime();
        buildStep = "starting";
        builder.get().build(line -> {
          LOG.info("images: {}", line);
          buildProgress(line).ifPresent(step -> buildStep = step);
        });
        buildFailures.clear();
      } catch (Exception e) {
        buildFailures.put(image, e.getMessage());
        LOG.error("image build failed: {}", e.getMessage());
      } finally {
        builds.remove("all");
      }
    }));
    return Optional.of(failure != null ? "image build failed, retrying: " + failure
        : "building image " + image + " (" + (build.isDone() ? "finishing" : buildStep + ", "
            + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - buildStarted) + " s so far") + ")");
  }

  private volatile String buildStep = "starting";
  private volatile long buildStarted = System.nanoTime();
  private static final java.util.regex.Pattern BUILD_IMAGE =
      java.util.regex.Pattern.compile("build-images: (\\S+) <- ");
  private static final java.util.regex.Pattern BUILD_STEP =
      java.util.regex.Pattern.compile("\\[(\\w+)\\] Step (\\d+/\\d+) : (.*)");

  /**
   * The image build's progress in an output line of operator/build-images.sh, for status: which
   * image and which Dockerfile step ("postgres: step 5/12 RUN apt-get install ..."), else empty.
   */
  static Optional<String> buildProgress(String line) {
    java.util.regex.Matcher step = BUILD_STEP.matcher(line);
    if (step.find()) {
      String what = step.group(3).strip().replaceAll("\\s+", " ");
      return Optional.of(step.group(1) + ": step " + step.group(2) + " "
          + (what.length() > 40 ? what.substring(0, 40) + "…" : what));
    }
    java.util.regex.Matcher image = BUILD_IMAGE.matcher(line);
    return image.find() ? Optional.of(image.group(1) + ": starting") : Optional.empty();
  }

  /** Shuts the build thread down, interrupting a build in progress. */
  @Override
  public void close() {
    buildExecutor.shutdownNow();
  }
}
