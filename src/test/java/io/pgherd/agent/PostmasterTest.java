package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The postmaster's signals go through /bin/sh's built-in kill (the member image has no kill
 * program: the first agent's stop and fence never reached PostgreSQL in a real member).
 */
class PostmasterTest {
  @Test
  void sendsTheSignalAskedFor() throws Exception {
    // a process that ends with a status of its own on INT only (TERM would end it with 143)
    Process p = new ProcessBuilder("/bin/sh", "-c", "trap 'exit 42' INT; while :; do sleep 0.05; done").start();
    try {
      Postmaster pm = Postmaster.of(p);
      Thread.sleep(200); // the trap is set
      assertThat(pm.signal("INT")).isTrue();
      assertThat(p.waitFor(5, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isEqualTo(42);
      assertThat(pm.signal("QUIT")).as("gone already").isFalse();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void refusesASignalItDoesNotSend() throws Exception {
    Process p = new ProcessBuilder("/bin/sh", "-c", "sleep 5").start();
    try {
      assertThatThrownBy(() -> Postmaster.of(p).signal("KILL; rm -rf /")).isInstanceOf(IllegalArgumentException.class);
    } finally {
      p.destroyForcibly();
    }
  }
}
