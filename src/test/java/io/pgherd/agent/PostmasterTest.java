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
    // a process that ends with a status of its own on INT only; it sets its handler itself (a shell
    // cannot trap a signal ignored when it started, as INT is under a background job)
    Process p = new ProcessBuilder("python3", "-c", "import signal, sys, time\n"
        + "signal.signal(signal.SIGINT, lambda *a: sys.exit(42))\nprint('ready', flush=True)\ntime.sleep(30)\n")
        .start();
    try {
      assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine())
          .isEqualTo("ready");
      Postmaster pm = Postmaster.of(p);
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
