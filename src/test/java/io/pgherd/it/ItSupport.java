package io.pgherd.it;

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
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + cmd);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static Path repo() {
    String env = System.getenv("PGHERD_REPO");
    return env != null ? Path.of(env) : Path.of("").toAbsolutePath();
  }
}
