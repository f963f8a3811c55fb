package io.pgherd.cluster;

import io.pgherd.api.ClusterConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When the operator last heard from each member's agent (by container: a new container has a new
 * agent), and so when a primary that can no longer be reached must have fenced itself.
 *
 * <p>The timing (docs/architecture.md, "Self-fencing"): the agent counts its silence from the
 * arrival of the operator's last call, the operator from the answer to it (later); the agent asks
 * its peers from before the isolation timeout and fences at it, within one check period (200 ms)
 * and an immediate shutdown (ms). So once {@code isolationTimeout + MARGIN} has passed since the
 * operator last heard from it, a primary's agent has fenced it — if the agent can run at all (a
 * frozen container cannot, but then the engine that froze it can kill it).
 */
public final class AgentContact {
  /**
   * More than the agent's check period and an immediate shutdown take together (≤ 0.3 s): the rest
   * is slack for a process or machine slower than its timers (was 2 s while the agent asked its
   * peers only after the timeout, up to 1.3 s later).
   */
  public static final Duration MARGIN = Duration.ofMillis(1200);

  private final Map<String, Instant> heard = new ConcurrentHashMap<>();
  private final Map<String, Instant> since = new ConcurrentHashMap<>();
  /** Agents whose address answered nothing at the last call (no connection within the timeout), since when. */
  private final Map<String, Instant> silent = new ConcurrentHashMap<>();

  /** The agent's address answered nothing at {@code at} (its host lost or cut off, it seems); cleared by an answer. */
  public void unreachable(String containerId, Instant at) {
    silent.putIfAbsent(containerId, at);
  }

  /** Since when the agent's address has answered nothing, if its last call found it so. */
  public Optional<Instant> unreachableSince(String containerId) {
    return Optional.ofNullable(silent.get(containerId));
  }

  /** The agent in {@code containerId} heard the operator by {@code at} (the latest of what it is told counts). */
  public void heard(String containerId, Instant at) {
    heard.merge(containerId, at, (a, b) -> a.isAfter(b) ? a : b);
  }

  /** The agent answered: its address is reachable again. */
  public void answered(String containerId, Instant at) {
    heard(containerId, at);
    silent.remove(containerId);
  }

  /** The agent in {@code containerId} exists (its container publishes or serves the API) as of {@code at}. */
  public void expect(String containerId, Instant at) {
    since.putIfAbsent(containerId, at);
  }

  /** Whether {@code containerId} has an agent that fences itself (a container of an older pgherd has none). */
  public boolean hasAgent(String containerId) {
    return since.containsKey(containerId);
  }

  /** When the operator last heard from the agent: its last answer, else when this operator first saw it. */
  public Optional<Instant> lastHeard(String containerId) {
    return Optional.ofNullable(heard.getOrDefault(containerId, since.get(containerId)));
  }

  /** The instant by which the agent in {@code containerId} must have fenced a primary it runs. */
  public Optional<Instant> fencedBy(String containerId, ClusterConfig cfg) {
    return lastHeard(containerId).map(t -> t.plus(cfg.isolationTimeout()).plus(MARGIN));
  }

  /** A removed container's agent is forgotten. */
  public void forget(String containerId) {
    heard.remove(containerId);
    since.remove(containerId);
    silent.remove(containerId);
  }
}
