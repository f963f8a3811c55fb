package io.pgherd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.docker.DockerGateway;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/** {@link DockerGateway#execWithInput} against a real engine: what a restore streams its base backup through. */
class DockerExecIT {
  static GenericContainer<?> helper;
  /** The helper's id: what the gateway's exec is given. */
  static String target;
  static DockerGateway docker;

  @BeforeAll
  static void start() throws Exception {
    ItSupport.buildImages();
    ItSupport.removeLeftoverHelpers();
    helper = ItSupport.helper();
    helper.start();
    target = helper.getContainerId();
    docker = DockerGateway.connect();
  }

  @AfterAll
  static void stop() throws Exception {
    if (helper != null) {
      helper.stop();
    }
    if (docker != null) {
      docker.close();
    }
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(7).nextBytes(b);
    return b;
  }

  @Test
  void everyByteArrivesAndTheEndOfInputIsPassedOn() throws Exception {
    byte[] data = random(12 << 20);
    // no byte count: the process ends only if the end of its input reaches it
    String out = docker.execWithInput(target, new ByteArrayInputStream(data), "bash", "-c", "sha256sum | cut -c1-64");
    String expected = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    assertThat(out).isEqualTo(expected);
  }

  @Test
  void aProcessThatEndsEarlyIsAnErrorWithItsExitCodeAndOutputAndDoesNotWaitForTheRest() throws Exception {
    long started = System.nanoTime();
    assertThatThrownBy(() -> docker.execWithInput(target, new ByteArrayInputStream(random(64 << 20)), "bash", "-c",
        "head -c 10 >/dev/null; echo cannot go on >&2; exit 3"))
        .isInstanceOf(IOException.class).hasMessageContaining("exited 3").hasMessageContaining("cannot go on");
    assertThat((System.nanoTime() - started) / 1e9).as("seconds").isLessThan(30);
  }

  @Test
  void aFailingInputIsReportedAndEndsTheProcessInput() throws Exception {
    InputStream failing = new InputStream() {
      int left = 3 << 20;

      @Override
      public int read() throws IOException {
        if (left-- <= 0) {
          throw new IOException("the store went away");
        }
        return 'x';
      }
    };
    assertThatThrownBy(() -> docker.execWithInput(target, failing, "bash", "-c", "wc -c"))
        .isInstanceOf(IOException.class).hasMessageContaining("the store went away");
    // the process saw the end of its input and ended: nothing of it is left running
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
        docker.exec(target, "bash", "-c", "cat /proc/[0-9]*/comm 2>/dev/null || true").lines().toList())
        .doesNotContain("wc"));
  }
}
