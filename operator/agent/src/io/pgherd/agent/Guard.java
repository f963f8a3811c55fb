package io.pgherd.agent;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Self-fencing: every {@link #PERIOD_MILLIS} at most, once the operator has been silent for the
 * isolation timeout, asks whether the other members' agents can be reached (a TCP connection to
 * their health port within {@link #PEER_TIMEOUT_MILLIS}, name resolution included) and fences a
 * primary that sees no majority ({@link Isolation}). The peers are asked from {@link #PROBE_LEAD_MILLIS}
 * before the timeout, and a verdict reached early waits for it: a primary cut off from everything
 * is fenced within a check period of the timeout (docs/architecture.md, "Self-fencing"), the bound
 * the operator's margin ({@code cluster.AgentContact.MARGIN}) rests on.
 */
final class Guard implements Runnable {
  static final long PEER_TIMEOUT_MILLIS = 500;
  /** The longest a peer probe takes: its connection timeout and the wait for a name that does not resolve. */
  static final long PROBE_LEAD_MILLIS = PEER_TIMEOUT_MILLIS + 200;
  /** The longest between two checks (the agent's health period, when shorter). */
  static final long PERIOD_MILLIS = 200;

  private final AgentConf conf;
  private final Supplier<Health.State> state;
  private final Fence fence;
  private final Supplier<Postmaster> postmaster;
  private final LongSupplier lastOperatorCall;
  private final LongSupplier clock;
  private final long periodMillis;
  private final int peerPort;
  private final Log log;
  private final ExecutorService probes = Executors.newCachedThreadPool(r -> Http.daemon(r, "pgherd-agent-peer"));
  private String lastVerdict = "";

  Guard(AgentConf conf, Supplier<Health.State> state, Fence fence, Supplier<Postmaster> postmaster, LongSupplier lastOperatorCall,
      LongSupplier clock, long periodMillis, int peerPort, Log log) {
    this.conf = conf;
    this.state = state;
    this.fence = fence;
    this.postmaster = postmaster;
    this.lastOperatorCall = lastOperatorCall;
    this.clock = clock;
    this.periodMillis = Math.min(periodMillis, PERIOD_MILLIS);
    this.peerPort = peerPort;
    this.log = log;
  }

  @Override
  public void run() {
    while (true) {
      try {
        check();
        Thread.sleep(periodMillis);
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        log.info("self-fencing check failed: " + e);
      }
    }
  }

  void check() throws IOException, InterruptedException {
    AgentConf.Settings s = conf.current(log);
    long timeout = s.isolationTimeoutMillis();
    Health.State now = state.get();
    boolean primary = now != null && now.role() == Health.Role.PRIMARY
        && clock.getAsLong() - now.atMillis() <= Agent.MAX_STATE_AGE_MILLIS;
    if (timeout <= 0 || !primary || !Isolation.probeDue(silent(), timeout, PROBE_LEAD_MILLIS)
        || fence.fenced().isPresent()) {
      lastVerdict = "";
      return;
    }
    int reachable = reachable(s.peers());
    long wait = Isolation.untilTimeout(silent(), timeout);
    if (wait > 0 && !Isolation.majority(s.peers().size(), reachable)) {
      Thread.sleep(wait); // the verdict is ready before the timeout: given at the timeout, not a probe later
    }
    long silent = silent();
    if (!Isolation.operatorSilent(silent, timeout)) {
      return; // heard from the operator meanwhile, or not silent long enough yet (a majority seen: asked again)
    }
    Isolation.Decision d = Isolation.decide(true, silent, timeout, s.peers().size(), reachable);
    if (d.fence()) {
      fence.fence(d.reason(), postmaster.get());
    } else {
      String verdict = d.reason().replaceAll("\\d+ ms", "");
      if (!verdict.equals(lastVerdict)) {
        log.info("not fencing: " + d.reason()); // said when the verdict changes, not every period
        lastVerdict = verdict;
      }
    }
  }

  private long silent() {
    return clock.getAsLong() - lastOperatorCall.getAsLong();
  }

  private int reachable(List<String> peers) throws InterruptedException {
    List<Future<Boolean>> answers = new ArrayList<>();
    for (String peer : peers) {
      answers.add(probes.submit(() -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(peer, peerPort), (int) PEER_TIMEOUT_MILLIS);
          return true;
        } catch (IOException e) {
          return false;
        }
      }));
    }
    int n = 0;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PEER_TIMEOUT_MILLIS + 200);
    for (Future<Boolean> f : answers) {
      try {
        if (f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          n++;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        f.cancel(true); // a name that does not resolve in time counts as unreachable
      }
    }
    return n;
  }
}
