package io.pgherd.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-fencing check on a real clock, with peers on the loopback: a closed port (refused at
 * once: unreachable) or a listening one (reachable). The operator's margin rests on the timing
 * shown here: the verdict is ready before the timeout and given at it, not a probe later.
 */
class GuardTest {
  private static final long T = 1500;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8));
  private final LongSupplier clock = () -> System.nanoTime() / 1_000_000;

  @Test
  void aPrimaryCutOffIsFencedAtTheTimeoutByACheckThatBeganBeforeIt(@TempDir Path dir) throws Exception {
    int closed = closedPort();
    Fence fence = new Fence(Files.createDirectory(dir.resolve("pgdata")), log);
    long lastCall = clock.getAsLong() - (T - 600); // within the probe lead: the peers are asked now
    Guard guard = guard(dir, fence, () -> lastCall, closed);

    guard.check();

    long silent = clock.getAsLong() - lastCall;
    assertThat(fence.fenced()).as("fenced by the check that began 600 ms before the timeout").isPresent();
    assertThat(silent).as("not before the timeout").isGreaterThanOrEqualTo(T);
    assertThat(fence.fenced().get()).contains("isolation timeout 1500 ms", "only 1 of 3 members reachable");
  }

  @Test
  void anEarlyVerdictIsDroppedWhenTheOperatorCallsMeanwhile(@TempDir Path dir) throws Exception {
    int closed = closedPort();
    Fence fence = new Fence(Files.createDirectory(dir.resolve("pgdata")), log);
    long start = clock.getAsLong();
    AtomicLong asked = new AtomicLong();
    // silent 1000 ms when the check begins; the operator's call lands during the wait for the timeout
    LongSupplier lastCall = () -> asked.incrementAndGet() <= 2 ? start - (T - 500) : clock.getAsLong();
    Guard guard = guard(dir, fence, lastCall, closed);

    guard.check();

    assertThat(fence.fenced()).as("the operator was heard before the timeout").isEmpty();
  }

  @Test
  void aPrimaryThatSeesAMajorityIsNotFencedNorKeptWaiting(@TempDir Path dir) throws Exception {
    try (ServerSocket peer = new ServerSocket(0)) { // every address: 127.0.0.1 and 127.0.0.2
      Fence fence = new Fence(Files.createDirectory(dir.resolve("pgdata")), log);
      long lastCall = clock.getAsLong() - 60_000;
      guard(dir, fence, () -> lastCall, peer.getLocalPort()).check();
      assertThat(fence.fenced()).isEmpty();
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("not fencing:", "3 of 3 members reachable (a majority)");
    }
  }

  @Test
  void aCheckLongBeforeTheTimeoutAsksNobody(@TempDir Path dir) throws Exception {
    Fence fence = new Fence(Files.createDirectory(dir.resolve("pgdata")), log);
    long lastCall = clock.getAsLong() - (T - Guard.PROBE_LEAD_MILLIS - 300);
    guard(dir, fence, () -> lastCall, closedPort()).check();
    assertThat(fence.fenced()).as("had it asked, it would have found no peer, waited and fenced").isEmpty();
  }

  private Guard guard(Path dir, Fence fence, LongSupplier lastCall, int peerPort) throws Exception {
    Path conf = dir.resolve("agent.conf");
    Files.writeString(conf, "peers=127.0.0.1,127.0.0.2\nisolation_timeout_ms=" + T + "\n");
    // a primary, its state as fresh as the clock (the watch looks every period)
    return new Guard(new AgentConf(conf), () -> new Health.State(Health.Role.PRIMARY, null, clock.getAsLong(), null), fence,
        () -> null, lastCall, clock, 500, peerPort, log);
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort(); // closed when returned: a connection to it is refused
    }
  }
}
