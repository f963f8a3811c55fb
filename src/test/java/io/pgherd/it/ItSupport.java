package io.pgherd.it;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.pgherd.api.ClusterConfig;
import io.pgherd.docker.DockerGateway;
import io.pgherd.docker.ImageBuilder;
import io.pgherd.model.Names;
import io.pgherd.store.Home;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/** Helpers for the real-Docker tests. */
final class ItSupport {
  private ItSupport() {}

  private static boolean imagesBuilt;

  /** Builds (or confirms, through Docker's cache) pgherd's images once per JVM. */
  static synchronized void buildImages() throws Exception {
    if (imagesBuilt) {
      return;
    }
    ImageBuilder builder = ImageBuilder.locate().orElseThrow(() -> new IllegalStateException("operator/build-images.sh not found"));
    builder.build(line -> System.out.println("[images] " + line));
    imagesBuilt = true;
  }

  private static boolean operatorImagesBuilt;

  /** Builds pgherd/operator (and the images it needs) from target/pgherd.jar once per JVM. */
  static synchronized void buildOperatorImages() throws Exception {
    if (operatorImagesBuilt) {
      return;
    }
    Process build = new ProcessBuilder("bash", repo().resolve("operator/build-operator-images.sh").toString())
        .directory(repo().toFile()).redirectErrorStream(true).start();
    try (java.io.BufferedReader r = new java.io.BufferedReader(
        new java.io.InputStreamReader(build.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      r.lines().forEach(l -> System.out.println("[images] " + l));
    }
    if (!build.waitFor(30, java.util.concurrent.TimeUnit.MINUTES) || build.exitValue() != 0) {
      throw new IllegalStateException("operator/build-operator-images.sh failed");
    }
    operatorImagesBuilt = true;
    imagesBuilt = true;
  }

  /** On every helper container: the pid of the test JVM that started it. */
  static final String HELPER_LABEL = "io.pgherd.it.helper-of-pid";

  /**
   * A container the test starts besides the product, to exec in (a client on a cluster's
   * network, a process to stream into): pgherd's PostgreSQL image, so it has bash and psql, with
   * sleep as its entrypoint, so nothing of pgherd runs in it. The image is never pulled (no
   * registry needs to be reachable): {@link #buildImages} builds it. Start it with
   * {@code start()}; {@code stop()} or {@code close()} removes it.
   */
  static GenericContainer<?> helper() {
    String image = ClusterConfig.DEFAULT_IMAGE;
    // asked through pgherd's gateway: Testcontainers' first use would try to pull it for its checks
    try (DockerGateway docker = DockerGateway.connect()) {
      if (!docker.imageExists(image)) {
        throw new IllegalStateException("image " + image + " is not in the Docker engine: ItSupport.buildImages()"
            + " builds it (helper containers never pull it)");
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new GenericContainer<>(DockerImageName.parse(image))
        .withImagePullPolicy(name -> false)
        .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("sleep"))
        .withCommand("600") // a helper of a killed run ends by itself after 10 minutes
        .withLabel(HELPER_LABEL, Long.toString(ProcessHandle.current().pid()));
  }

  /** As {@link #helper()}, named: for a test that refers to it by name as a user would. */
  static GenericContainer<?> helper(String name) {
    return helper().withCreateContainerCmdModifier(cmd -> cmd.withName(name));
  }

  /**
   * Removes the helper containers that an earlier, aborted run left behind; called at the start
   * of each IT class that starts helpers. Testcontainers removes its containers when the JVM
   * ends normally (a shutdown hook), and after a kill its reaper container (Ryuk) would, but
   * Ryuk is disabled (pom.xml: its image would have to be pulled), so a test JVM killed mid-run
   * (a timeout, a CI stop, kill -9) leaves its helpers in the engine, and a named one would
   * make the next run fail on the name. Selected by the labels: Testcontainers' own
   * (org.testcontainers=true) and {@link #HELPER_LABEL}, and only those whose test JVM is no
   * longer alive, so a run going on at the same time on the same engine (another work tree)
   * keeps its helpers, and so does anything else that uses Testcontainers there. (The pid is
   * one of this machine's: the ITs run where the engine does. A pid reused since is taken as
   * alive, which keeps a leftover; it ends by itself, see {@link #helper()}.)
   */
  static void removeLeftoverHelpers() throws Exception {
    buildImages(); // Testcontainers' first use runs its checks in the helpers' image (pom.xml)
    DockerClient client = DockerClientFactory.instance().client();
    List<Container> helpers = client.listContainersCmd().withShowAll(true)
        .withLabelFilter(List.of(DockerClientFactory.TESTCONTAINERS_LABEL + "=true", HELPER_LABEL)).exec();
    for (Container c : helpers) {
      if (!alive(c.getLabels().get(HELPER_LABEL))) {
        System.out.println("[helpers] removing " + String.join(",", c.getNames()) + ", left by test JVM "
            + c.getLabels().get(HELPER_LABEL));
        try {
          client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
          // removed meanwhile
        }
      }
    }
  }

  private static boolean alive(String pid) {
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Removes every Docker object of a cluster (leftovers of an earlier, interrupted run). */
  static void purge(DockerGateway docker, String cluster) {
    docker.containers(Names.LABEL_CLUSTER, cluster).forEach(c -> docker.remove(c.id()));
    docker.volumes(Names.LABEL_CLUSTER, cluster).forEach(docker::removeVolume);
    docker.removeNetwork(Names.network(cluster));
  }

  static Path writeSpec(Path dir, String name, String body) throws IOException {
    Path file = dir.resolve(name + "-" + System.nanoTime() + ".yaml");
    Files.writeString(file, "apiVersion: pgherd.io/v1\nkind: PostgresCluster\nmetadata:\n  name: " + name + "\nspec:\n"
        + body, StandardCharsets.UTF_8);
    return file;
  }

  static Connection connect(Home home, String cluster, int port) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", home.secrets().secret(cluster, Home.SUPERUSER_PASSWORD));
    p.setProperty("connectTimeout", "5");
    p.setProperty("socketTimeout", "20");
    p.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
  }

  record Run(int exitCode, String output) {}

  /** Runs a command (bounded to 5 minutes), capturing stdout and stderr together. */
  static Run run(Path home, List<String> command) throws IOException, InterruptedException {
    return run(home, command, java.util.Map.of());
  }

  /** As above, with extra environment variables. */
  static Run run(Path home, List<String> command, java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (home != null) {
      pb.environment().put("PGHERD_HOME", home.toString());
    }
    pb.environment().putAll(env);
    Process p = pb.start();
    java.util.concurrent.CompletableFuture<byte[]> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out after 5 minutes: " + cmd);
    }
    try {
      return new Run(p.exitValue(), new String(out.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the output of " + cmd + " could not be read: " + e, e);
    }
  }

  static Path repo() {
    String env = System.getenv("PGHERD_REPO");
    return env != null ? Path.of(env) : Path.of("").toAbsolutePath();
  }
}
